//===- BlockReduce.cpp - Row reductions one block per output element ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Rewrites an f32 linalg op on buffers whose leading dims are parallel and
// whose trailing dims (at least one) are reductions read along rows, with a
// body `out = combine(out, f(ins))` for combine = add or max, into a
// gpu.launch with one block per output element. Each of the block's threads
// combines a strided part of the row, the threads' partial results meet in
// workgroup memory in a tree, and thread 0 combines the result into the
// output element, which the linalg op accumulates into.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUBLOCKREDUCEPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

// Threads per block: a power of two (the tree halves it), at least a warp.
static constexpr int64_t kMaxThreads = 256;
static constexpr int64_t kMinThreads = 32;

/// The combiner of a reduction body: `out = combine(out, value)`.
struct RowReduction {
  Operation *combiner;
  /// The combiner's operand that is not `out`, computed from the inputs.
  Value value;
  unsigned numParallel;
};

/// `x + y` or `max(x, y)` like `combiner`.
static Value combine(OpBuilder &b, Operation *combiner, Value x, Value y) {
  Operation *clone = b.clone(*combiner);
  clone->setOperands({x, y});
  return clone->getResult(0);
}

/// The identity of `combiner`: -0 for an add (x + -0 is x, -0 included),
/// -inf for a max.
static Value identity(OpBuilder &b, Location loc, Operation *combiner) {
  Type f32 = b.getF32Type();
  if (isa<arith::AddFOp>(combiner))
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-0.0f));
  return arith::ConstantOp::create(
      b, loc,
      b.getFloatAttr(f32, APFloat::getInf(APFloat::IEEEsingle(),
                                          /*Negative=*/true)));
}

/// Whether `op` is a row reduction this pass rewrites, and its combiner.
static FailureOr<RowReduction> matchRowReduction(linalg::LinalgOp op,
                                                 PatternRewriter &rewriter) {
  if (op->getParentOfType<gpu::LaunchOp>() ||
      op->getParentOfType<scf::ParallelOp>())
    return rewriter.notifyMatchFailure(op, "already inside a parallel loop");
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op->getNumRegions() != 1 || op.hasIndexSemantics())
    return rewriter.notifyMatchFailure(op, "not one output on buffers");
  auto outputType =
      dyn_cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  if (!outputType || !outputType.getElementType().isF32())
    return rewriter.notifyMatchFailure(op, "output is not f32");
  // Parallel dims first, then at least one reduction dim.
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numParallel = op.getNumParallelLoops();
  if (numParallel == iterators.size())
    return rewriter.notifyMatchFailure(op, "no reduction");
  for (auto [dim, iterator] : llvm::enumerate(iterators))
    if ((dim < numParallel) != (iterator == utils::IteratorType::parallel))
      return rewriter.notifyMatchFailure(op, "reduction dims not innermost");
  if (!op.hasOnlyProjectedPermutations())
    return rewriter.notifyMatchFailure(op, "not projected permutations");
  auto walksReduction = [&](AffineMap map) {
    return llvm::any_of(map.getResults(), [&](AffineExpr result) {
      return cast<AffineDimExpr>(result).getPosition() >= numParallel;
    });
  };
  // Each block writes its own output element.
  if (walksReduction(op.getMatchingIndexingMap(op.getDpsInitOperand(0))))
    return rewriter.notifyMatchFailure(op, "output indexed by a reduction");
  // Every input that walks the reduction reads along its rows.
  unsigned innermost = iterators.size() - 1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    bool reads = walksReduction(map);
    if (reads && (map.getNumResults() == 0 ||
                  map.getDimPosition(map.getNumResults() - 1) != innermost))
      return rewriter.notifyMatchFailure(op, "an input is not read by rows");
  }
  // The body: pure ops on the inputs, then out = combine(out, value).
  Block *body = op.getBlock();
  Value out = body->getArguments().back();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  Operation *combiner = yield.getOperand(0).getDefiningOp();
  if (!combiner || combiner->getBlock() != body ||
      !isa<arith::AddFOp, arith::MaximumFOp, arith::MaxNumFOp>(combiner) ||
      !out.hasOneUse() || out.getUses().begin()->getOwner() != combiner)
    return rewriter.notifyMatchFailure(op, "not out = add/max(out, value)");
  Value value = combiner->getOperand(0) == out ? combiner->getOperand(1)
                                               : combiner->getOperand(0);
  for (Operation &inner : body->without_terminator())
    if (!isPure(&inner) || inner.getNumRegions() != 0)
      return rewriter.notifyMatchFailure(op, "body has side effects");
  // The grid's x holds the output elements.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t outputs = 1;
  for (unsigned dim = 0; dim < numParallel; ++dim)
    if (!ShapedType::isDynamic(ranges[dim]))
      outputs *= ranges[dim];
  if (outputs > std::numeric_limits<int32_t>::max())
    return rewriter.notifyMatchFailure(op, "more outputs than a grid's x");
  return RowReduction{combiner, value, numParallel};
}

/// `index` split into the sizes `sizes` (the last varies fastest).
static SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value index,
                                      ArrayRef<Value> sizes) {
  SmallVector<Value> indices(sizes.size());
  for (int64_t i = sizes.size() - 1; i > 0; --i) {
    indices[i] = arith::RemUIOp::create(b, loc, index, sizes[i]);
    index = arith::DivUIOp::create(b, loc, index, sizes[i]);
  }
  if (!sizes.empty())
    indices[0] = index;
  return indices;
}

/// The product of `sizes` (1 when empty), folded where constant.
static Value product(OpBuilder &b, Location loc, ArrayRef<Value> sizes) {
  std::optional<int64_t> constant = 1;
  Value result;
  for (Value size : sizes) {
    std::optional<int64_t> value = getConstantIntValue(size);
    constant =
        value && constant ? std::optional(*value * *constant) : std::nullopt;
    result =
        result ? arith::MulIOp::create(b, loc, result, size).getResult() : size;
  }
  if (constant)
    return arith::ConstantIndexOp::create(b, loc, *constant);
  return result;
}

namespace {

struct BlockReduce : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<RowReduction> reduction = matchRowReduction(op, rewriter);
    if (failed(reduction))
      return failure();
    Location loc = op.getLoc();
    unsigned numParallel = reduction->numParallel;

    // Sizes, on the host: constants where static.
    SmallVector<Value> sizes;
    for (Range range : op.createLoopRanges(rewriter, loc))
      sizes.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
    ArrayRef<Value> parallelSizes = ArrayRef(sizes).take_front(numParallel);
    ArrayRef<Value> reductionSizes = ArrayRef(sizes).drop_front(numParallel);
    Value outputs = product(rewriter, loc, parallelSizes);
    Value rowLength = product(rewriter, loc, reductionSizes);
    // A grid is never empty; a block past the outputs does nothing.
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value grid =
        getConstantIntValue(outputs)
            ? arith::ConstantIndexOp::create(
                  rewriter, loc,
                  std::max<int64_t>(*getConstantIntValue(outputs), 1))
                  .getResult()
            : arith::MaxUIOp::create(rewriter, loc, outputs, one).getResult();
    int64_t threads = kMaxThreads;
    if (std::optional<int64_t> length = getConstantIntValue(rowLength))
      threads = std::clamp<int64_t>(llvm::PowerOf2Ceil(*length), kMinThreads,
                                    kMaxThreads);
    Value threadCount = arith::ConstantIndexOp::create(rewriter, loc, threads);

    Type f32 = rewriter.getF32Type();
    auto partialsType = MemRefType::get(
        {threads}, f32, MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(rewriter.getContext(),
                                   gpu::AddressSpace::Workgroup));
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, grid, one, one, threadCount, one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, TypeRange{partialsType});
    Value partials = launch.getWorkgroupAttributions()[0];

    OpBuilder::InsertionGuard insertion(rewriter);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value row = launch.getBlockIds().x;
    Value thread = launch.getThreadIds().x;
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value inRange = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::ult, row, outputs);
    // Indices of the output element, valid where `inRange` holds: a block
    // past the outputs reads element 0's row (its loads stay inside the
    // operands) and writes nothing.
    Value safeRow = arith::SelectOp::create(rewriter, loc, inRange, row, zero);
    SmallVector<Value> loopIndices =
        delinearize(rewriter, loc, safeRow, parallelSizes);
    loopIndices.resize(sizes.size());
    auto indicesOf = [&](AffineMap map) {
      SmallVector<Value> indices;
      for (unsigned result = 0; result < map.getNumResults(); ++result)
        indices.push_back(loopIndices[map.getDimPosition(result)]);
      return indices;
    };

    // Each thread combines elements thread, thread + threads, ... of the
    // row. A block past the outputs walks an empty row.
    Operation *combiner = reduction->combiner;
    Value start = identity(rewriter, loc, combiner);
    Value end =
        arith::SelectOp::create(rewriter, loc, inRange, rowLength, zero);
    auto walk = scf::ForOp::create(rewriter, loc, thread, end, threadCount,
                                   ValueRange{start});
    {
      OpBuilder::InsertionGuard inLoop(rewriter);
      rewriter.setInsertionPointToStart(walk.getBody());
      SmallVector<Value> reductionIndices =
          delinearize(rewriter, loc, walk.getInductionVar(), reductionSizes);
      for (auto [i, index] : llvm::enumerate(reductionIndices))
        loopIndices[numParallel + i] = index;
      IRMapping mapping;
      Block *body = op.getBlock();
      for (OpOperand *input : op.getDpsInputOperands()) {
        Value element =
            memref::LoadOp::create(rewriter, loc, input->get(),
                                   indicesOf(op.getMatchingIndexingMap(input)));
        mapping.map(body->getArgument(input->getOperandNumber()), element);
      }
      for (Operation &inner : body->without_terminator())
        if (&inner != combiner)
          rewriter.clone(inner, mapping);
      Value value = mapping.lookupOrDefault(reduction->value);
      scf::YieldOp::create(
          rewriter, loc,
          combine(rewriter, combiner, walk.getRegionIterArgs()[0], value));
    }

    // The tree: at each step the first half of the active threads combine
    // the second half's partial results into theirs.
    memref::StoreOp::create(rewriter, loc, walk.getResult(0), partials,
                            ValueRange{thread});
    gpu::BarrierOp::create(rewriter, loc);
    for (int64_t half = threads / 2; half >= 1; half /= 2) {
      Value halfIndex = arith::ConstantIndexOp::create(rewriter, loc, half);
      Value active = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::ult, thread, halfIndex);
      auto guard = scf::IfOp::create(rewriter, loc, active);
      {
        OpBuilder::InsertionGuard inGuard(rewriter);
        rewriter.setInsertionPointToStart(guard.thenBlock());
        Value mine =
            memref::LoadOp::create(rewriter, loc, partials, ValueRange{thread});
        Value other = arith::AddIOp::create(rewriter, loc, thread, halfIndex);
        Value theirs =
            memref::LoadOp::create(rewriter, loc, partials, ValueRange{other});
        memref::StoreOp::create(rewriter, loc,
                                combine(rewriter, combiner, mine, theirs),
                                partials, ValueRange{thread});
      }
      gpu::BarrierOp::create(rewriter, loc);
    }

    // Thread 0 of a block inside the outputs: out = combine(out, total).
    Value first = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                        thread, zero);
    auto write = scf::IfOp::create(
        rewriter, loc, arith::AndIOp::create(rewriter, loc, first, inRange));
    {
      OpBuilder::InsertionGuard inWrite(rewriter);
      rewriter.setInsertionPointToStart(write.thenBlock());
      Value total =
          memref::LoadOp::create(rewriter, loc, partials, ValueRange{zero});
      OpOperand *init = op.getDpsInitOperand(0);
      SmallVector<Value> indices = indicesOf(op.getMatchingIndexingMap(init));
      Value old = memref::LoadOp::create(rewriter, loc, init->get(), indices);
      // The op's own order: the combiner's operands as the body has them.
      Value result = combiner->getOperand(0) == reduction->value
                         ? combine(rewriter, combiner, total, old)
                         : combine(rewriter, combiner, old, total);
      memref::StoreOp::create(rewriter, loc, result, init->get(), indices);
    }
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.eraseOp(op);
    return success();
  }
};

struct KilnGPUBlockReducePass
    : public kiln::impl::KilnGPUBlockReducePassBase<KilnGPUBlockReducePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateKilnGPUBlockReducePatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void mlir::kiln::populateKilnGPUBlockReducePatterns(
    RewritePatternSet &patterns) {
  patterns.add<BlockReduce>(patterns.getContext());
}
