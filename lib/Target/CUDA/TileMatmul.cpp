//===- TileMatmul.cpp - Shared-memory tiled matmul kernels ----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Rewrites f32 linalg.matmul and linalg.batch_matmul on buffers into a
// gpu.launch whose blocks each compute a kTileM x kTileN tile of the output,
// each of their kThreadsY x kThreadsX threads a kRegM x kRegN register tile.
// The k dimension runs in steps of kTileK: at each step the block's threads
// copy the A and B tiles into workgroup memory together (reads outside the
// operands give 0), wait at a barrier, accumulate from workgroup memory into
// registers, and wait again before the next step's copies. At the end each
// thread adds its accumulators into the output elements that exist.
//
// A thread's register tile is strided: thread (tx, ty) owns rows
// ty + kThreadsY * i and columns tx + kThreadsX * j of the block's tile, so
// consecutive threads store consecutive output columns (coalesced) and read
// consecutive B columns from workgroup memory (no bank conflicts).
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUTILEMATMULPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

// The block's output tile, its k step, and its threads. Each thread holds a
// kRegM x kRegN tile of accumulators.
static constexpr int64_t kTileM = 64;
static constexpr int64_t kTileN = 64;
static constexpr int64_t kTileK = 16;
static constexpr int64_t kThreadsX = 16;
static constexpr int64_t kThreadsY = 16;
static constexpr int64_t kRegM = kTileM / kThreadsY;
static constexpr int64_t kRegN = kTileN / kThreadsX;
static constexpr int64_t kThreads = kThreadsX * kThreadsY;
// The A tile is stored k-major ([k][m]) with one padding column, so that
// the threads of a warp, which copy consecutive k of one row, write
// different banks.
static constexpr int64_t kTileAStride = kTileM + 1;

static_assert(kTileM % kThreadsY == 0 && kTileN % kThreadsX == 0,
              "a block's tile must split evenly into register tiles");
static_assert((kTileM * kTileK) % kThreads == 0 &&
                  (kTileK * kTileN) % kThreads == 0 && kThreads % kTileK == 0 &&
                  kThreads % kTileN == 0,
              "the threads must copy the A and B tiles in whole rounds");

/// The loop dims of a contraction: C[batch, m, n] += A[batch, m, k] *
/// B[batch, k, n], each operand's dims in any order; a batch dim may be
/// missing from A or from B, which is then shared by the batch.
struct MatmulDims {
  SmallVector<unsigned> batch;
  unsigned m, n, k;
};

/// Whether the body of `op` is `out + in0 * in1` in f32.
static bool isMultiplyAdd(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (body->getNumArguments() != 3 || body->getOperations().size() != 3)
    return false;
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value accumulator = body->getArgument(2);
  Value product = add.getLhs() == accumulator   ? add.getRhs()
                  : add.getRhs() == accumulator ? add.getLhs()
                                                : Value();
  auto multiply = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!multiply)
    return false;
  Value x = body->getArgument(0), y = body->getArgument(1);
  return (multiply.getLhs() == x && multiply.getRhs() == y) ||
         (multiply.getLhs() == y && multiply.getRhs() == x);
}

/// The dims of `op` if it is a contraction this pattern rewrites: a
/// `linalg.matmul`, `linalg.batch_matmul` or `linalg.generic` on f32
/// buffers computing `C += A * B` with one k dim, at least one m and one n
/// dim and any number of batch dims, not already inside a kernel or a
/// parallel loop.
static FailureOr<MatmulDims> matchTileableMatmul(linalg::LinalgOp op,
                                                 PatternRewriter &rewriter) {
  if (op->getParentOfType<gpu::LaunchOp>() ||
      op->getParentOfType<scf::ParallelOp>())
    return rewriter.notifyMatchFailure(op, "already inside a parallel loop");
  if (!op.hasPureBufferSemantics())
    return rewriter.notifyMatchFailure(op, "not on buffers");
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return rewriter.notifyMatchFailure(op, "not two inputs and one output");
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "operands are not f32 memrefs");
  }
  if (!op.hasOnlyProjectedPermutations() || !isMultiplyAdd(op))
    return rewriter.notifyMatchFailure(op, "not a multiply-accumulate");
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() ||
      dims->k.size() != 1 ||
      dims->batch.size() + dims->m.size() + dims->n.size() + 1 !=
          static_cast<size_t>(op.getNumLoops()))
    return rewriter.notifyMatchFailure(op, "not one k dim and m, n dims");
  // Of several m (or n) dims, the one innermost in C is the kernel's m (or
  // n); the others are batch dims that one operand does not have (a
  // convolution's image-column matmul shares its filter across the images
  // of the batch). Every parallel dim is in C, so no two blocks write the
  // same element.
  AffineMap outputMap = op.getIndexingMapsArray()[2];
  auto innermostInOutput = [&](ArrayRef<unsigned> candidates) {
    return *llvm::max_element(candidates, [&](unsigned x, unsigned y) {
      return *outputMap.getResultPosition(
                 getAffineDimExpr(x, op.getContext())) <
             *outputMap.getResultPosition(getAffineDimExpr(y, op.getContext()));
    });
  };
  unsigned m = innermostInOutput(dims->m), n = innermostInOutput(dims->n);
  SmallVector<unsigned> batch;
  for (unsigned dim = 0; dim < op.getNumLoops(); ++dim)
    if (dim != m && dim != n && dim != dims->k.front())
      batch.push_back(dim);
  // The batch runs along the grid's z, at most 65535 blocks. A dynamic
  // batch is not checked here: past 65535 the launch fails with the
  // driver's error.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t batchSize = 1;
  for (unsigned dim : batch)
    if (!ShapedType::isDynamic(ranges[dim]))
      batchSize *= ranges[dim];
  if (batchSize > 65535)
    return rewriter.notifyMatchFailure(op, "batch larger than a grid's z");
  return MatmulDims{batch, m, n, dims->k.front()};
}

namespace {

/// Builds the index arithmetic and the guarded loads of one matmul's
/// kernel.
class MatmulKernelBuilder {
public:
  MatmulKernelBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return add(x, index(y)); }
  Value mul(Value x, int64_t y) { return mul(x, index(y)); }
  Value div(Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, index(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, index(y));
  }
  Value lessThan(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value both(Value x, Value y) {
    if (!x)
      return y;
    return arith::AndIOp::create(b, loc, x, y);
  }

  /// `memref[indices]` where `inBounds` holds, else 0.
  Value guardedLoad(Value memref, ValueRange indices, Value inBounds) {
    Type f32 = b.getF32Type();
    auto guard = scf::IfOp::create(b, loc, TypeRange{f32}, inBounds,
                                   /*withElseRegion=*/true);
    OpBuilder::InsertionGuard insertion(b);
    b.setInsertionPointToStart(guard.thenBlock());
    Value loaded = memref::LoadOp::create(b, loc, memref, indices);
    scf::YieldOp::create(b, loc, loaded);
    b.setInsertionPointToStart(guard.elseBlock());
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    scf::YieldOp::create(b, loc, zero);
    return guard.getResult(0);
  }

  OpBuilder &b;
  Location loc;
};

/// `ceil(size / tile)`, at least 1, folded when `size` is a constant. A
/// grid is never empty; its threads' guards skip the missing elements.
static Value gridSize(OpBuilder &b, Location loc, Value size, int64_t tile) {
  if (std::optional<int64_t> constant = getConstantIntValue(size))
    return arith::ConstantIndexOp::create(
        b, loc, std::max<int64_t>(llvm::divideCeil(*constant, tile), 1));
  Value tiles = tile == 1 ? size
                          : arith::CeilDivUIOp::create(
                                b, loc, size,
                                arith::ConstantIndexOp::create(b, loc, tile))
                                .getResult();
  return arith::MaxUIOp::create(b, loc, tiles,
                                arith::ConstantIndexOp::create(b, loc, 1));
}

struct TileMatmul : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<MatmulDims> dims = matchTileableMatmul(op, rewriter);
    if (failed(dims))
      return failure();
    Location loc = op.getLoc();
    Value a = op.getDpsInputOperand(0)->get();
    Value bOperand = op.getDpsInputOperand(1)->get();
    Value c = op.getDpsInitOperand(0)->get();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();

    // Sizes, on the host: constants where static.
    SmallVector<Value> sizes;
    for (Range range : op.createLoopRanges(rewriter, loc))
      sizes.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
    Value m = sizes[dims->m], n = sizes[dims->n], k = sizes[dims->k];
    Value batchSize;
    std::optional<int64_t> staticBatchSize = 1;
    for (unsigned dim : dims->batch) {
      std::optional<int64_t> size = getConstantIntValue(sizes[dim]);
      staticBatchSize = size && staticBatchSize
                            ? std::optional<int64_t>(*size * *staticBatchSize)
                            : std::nullopt;
      batchSize = batchSize ? arith::MulIOp::create(rewriter, loc, batchSize,
                                                    sizes[dim])
                                  .getResult()
                            : sizes[dim];
    }
    if (batchSize && staticBatchSize)
      batchSize =
          arith::ConstantIndexOp::create(rewriter, loc, *staticBatchSize);
    Value gridX = gridSize(rewriter, loc, n, kTileN);
    Value gridY = gridSize(rewriter, loc, m, kTileM);
    Value gridZ = batchSize ? gridSize(rewriter, loc, batchSize, 1)
                            : arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value threadsX = arith::ConstantIndexOp::create(rewriter, loc, kThreadsX);
    Value threadsY = arith::ConstantIndexOp::create(rewriter, loc, kThreadsY);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);

    Type f32 = rewriter.getF32Type();
    Attribute workgroup = gpu::AddressSpaceAttr::get(
        rewriter.getContext(), gpu::AddressSpace::Workgroup);
    auto tileAType = MemRefType::get({kTileK, kTileAStride}, f32,
                                     MemRefLayoutAttrInterface(), workgroup);
    auto tileBType = MemRefType::get({kTileK, kTileN}, f32,
                                     MemRefLayoutAttrInterface(), workgroup);
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, gridX, gridY, gridZ, threadsX, threadsY, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{tileAType, tileBType});
    Value tileA = launch.getWorkgroupAttributions()[0];
    Value tileB = launch.getWorkgroupAttributions()[1];

    OpBuilder::InsertionGuard insertion(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    MatmulKernelBuilder kb(rewriter, loc);
    Value tx = launch.getThreadIds().x;
    Value ty = launch.getThreadIds().y;
    Value thread = kb.add(kb.mul(ty, kThreadsX), tx);
    Value rowBase = kb.mul(launch.getBlockIds().y, kTileM);
    Value columnBase = kb.mul(launch.getBlockIds().x, kTileN);
    // The loop indices of an element: the batch indices are the block's z
    // delinearized, m, n and k are set for each access. An empty batch
    // still gets a grid of one block, which does nothing.
    SmallVector<Value> loopIndices(op.getNumLoops());
    Value inBatch;
    if (batchSize) {
      Value blockZ = launch.getBlockIds().z;
      inBatch = kb.lessThan(blockZ, batchSize);
      for (unsigned dim : llvm::reverse(ArrayRef(dims->batch).drop_front())) {
        loopIndices[dim] =
            arith::RemUIOp::create(rewriter, loc, blockZ, sizes[dim]);
        blockZ = arith::DivUIOp::create(rewriter, loc, blockZ, sizes[dim]);
      }
      loopIndices[dims->batch.front()] = blockZ;
    }
    // The indices of `operand` (indexed by `map`) at row m, column n and
    // reduction index k (those it has).
    auto at = [&](AffineMap map, Value row, Value column, Value kIndex) {
      loopIndices[dims->m] = row;
      loopIndices[dims->n] = column;
      loopIndices[dims->k] = kIndex;
      SmallVector<Value> indices;
      for (unsigned result = 0; result < map.getNumResults(); ++result)
        indices.push_back(loopIndices[map.getDimPosition(result)]);
      return indices;
    };

    // The rows and columns of this thread's register tile, within the
    // block's tile.
    SmallVector<Value> tileRows, tileColumns;
    for (int64_t i = 0; i < kRegM; ++i)
      tileRows.push_back(kb.add(ty, i * kThreadsY));
    for (int64_t j = 0; j < kRegN; ++j)
      tileColumns.push_back(kb.add(tx, j * kThreadsX));

    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF32FloatAttr(0.0f));
    // The elements of the A and B tiles this thread copies at each k step.
    // A: k = t % kTileK of rows t / kTileK + r * (kThreads / kTileK), so a
    // warp reads runs of consecutive k; B: column t % kTileN of k rows
    // t / kTileN + r * (kThreads / kTileN), so a warp reads consecutive
    // columns.
    Value copyAK = kb.rem(thread, kTileK);
    Value copyARow = kb.div(thread, kTileK);
    Value copyBColumn = kb.rem(thread, kTileN);
    Value copyBK = kb.div(thread, kTileN);
    SmallVector<Value> copyARows, copyBKs;
    for (int64_t r = 0; r < kTileM * kTileK / kThreads; ++r)
      copyARows.push_back(kb.add(copyARow, r * (kThreads / kTileK)));
    for (int64_t r = 0; r < kTileK * kTileN / kThreads; ++r)
      copyBKs.push_back(kb.add(copyBK, r * (kThreads / kTileN)));
    Value copyColumn = kb.add(columnBase, copyBColumn);
    Value copyColumnInBounds = kb.lessThan(copyColumn, n);
    SmallVector<Value> copyRows, copyRowsInBounds;
    for (Value tileRow : copyARows) {
      copyRows.push_back(kb.add(rowBase, tileRow));
      copyRowsInBounds.push_back(
          kb.both(inBatch, kb.lessThan(copyRows.back(), m)));
    }
    copyColumnInBounds = kb.both(inBatch, copyColumnInBounds);

    SmallVector<Value> initial(kRegM * kRegN, zero);
    auto kLoop = scf::ForOp::create(rewriter, loc, kb.index(0), k,
                                    kb.index(kTileK), initial);
    {
      OpBuilder::InsertionGuard inLoop(rewriter);
      rewriter.setInsertionPointToStart(kLoop.getBody());
      Value kBase = kLoop.getInductionVar();
      // The previous step's reads of the tiles are done.
      gpu::BarrierOp::create(rewriter, loc);
      Value copyK = kb.add(kBase, copyAK);
      Value copyKInBounds = kb.lessThan(copyK, k);
      for (auto [tileRow, row, rowInBounds] :
           llvm::zip(copyARows, copyRows, copyRowsInBounds)) {
        Value inBounds = kb.both(rowInBounds, copyKInBounds);
        Value value =
            kb.guardedLoad(a, at(maps[0], row, Value(), copyK), inBounds);
        memref::StoreOp::create(rewriter, loc, value, tileA,
                                ValueRange{copyAK, tileRow});
      }
      for (Value tileK : copyBKs) {
        Value kIndex = kb.add(kBase, tileK);
        Value kInBounds = kb.lessThan(kIndex, k);
        Value inBounds = kb.both(kInBounds, copyColumnInBounds);
        Value value = kb.guardedLoad(
            bOperand, at(maps[1], Value(), copyColumn, kIndex), inBounds);
        memref::StoreOp::create(rewriter, loc, value, tileB,
                                ValueRange{tileK, copyBColumn});
      }
      // The tiles are complete.
      gpu::BarrierOp::create(rewriter, loc);

      // Accumulate the tiles' product into the registers, unrolled over
      // the tile's k: kRegM + kRegN workgroup loads, kRegM * kRegN
      // multiply-adds per k.
      // The multiply-adds may fuse (one fma.rn each in PTX).
      auto contract = arith::FastMathFlags::contract;
      SmallVector<Value> sums(kLoop.getRegionIterArgs());
      for (int64_t kk = 0; kk < kTileK; ++kk) {
        Value kkIndex = kb.index(kk);
        SmallVector<Value> fromA, fromB;
        for (Value tileRow : tileRows)
          fromA.push_back(memref::LoadOp::create(rewriter, loc, tileA,
                                                 ValueRange{kkIndex, tileRow}));
        for (Value tileColumn : tileColumns)
          fromB.push_back(memref::LoadOp::create(
              rewriter, loc, tileB, ValueRange{kkIndex, tileColumn}));
        for (int64_t i = 0; i < kRegM; ++i)
          for (int64_t j = 0; j < kRegN; ++j) {
            Value product = arith::MulFOp::create(rewriter, loc, fromA[i],
                                                  fromB[j], contract);
            sums[i * kRegN + j] = arith::AddFOp::create(
                rewriter, loc, sums[i * kRegN + j], product, contract);
          }
      }
      scf::YieldOp::create(rewriter, loc, sums);
    }

    // C += the accumulators, where C has the element.
    for (int64_t i = 0; i < kRegM; ++i) {
      Value row = kb.add(rowBase, tileRows[i]);
      Value rowInBounds = kb.both(inBatch, kb.lessThan(row, m));
      for (int64_t j = 0; j < kRegN; ++j) {
        Value column = kb.add(columnBase, tileColumns[j]);
        Value columnInBounds = kb.lessThan(column, n);
        Value inBounds = kb.both(rowInBounds, columnInBounds);
        auto guard = scf::IfOp::create(rewriter, loc, inBounds);
        OpBuilder::InsertionGuard inGuard(rewriter);
        rewriter.setInsertionPointToStart(guard.thenBlock());
        SmallVector<Value> indices = at(maps[2], row, column, Value());
        Value old = memref::LoadOp::create(rewriter, loc, c, indices);
        Value sum = arith::AddFOp::create(rewriter, loc, old,
                                          kLoop.getResult(i * kRegN + j));
        memref::StoreOp::create(rewriter, loc, sum, c, indices);
      }
    }
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.eraseOp(op);
    return success();
  }
};

struct KilnGPUTileMatmulPass
    : public kiln::impl::KilnGPUTileMatmulPassBase<KilnGPUTileMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateKilnGPUTileMatmulPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void mlir::kiln::populateKilnGPUTileMatmulPatterns(
    RewritePatternSet &patterns) {
  patterns.add<TileMatmul>(patterns.getContext());
}
