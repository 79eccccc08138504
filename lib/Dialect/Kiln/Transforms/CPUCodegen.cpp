//===- CPUCodegen.cpp - Tiling and vectorization strategies for the CPU ---===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The CPU code generation strategy, one per op class, chosen by shape in
// `chooseStrategy`: contractions (matmul, batch_matmul and contraction-like
// generics) get cache tiles and a register tile that becomes a chain of
// outer-product FMAs; reductions along the innermost dim carry a vector of
// partial results along each row; elementwise ops (and the windows, paddings,
// image columns and concatenations rewritten as elementwise ops or copies)
// get a vector along their innermost dim.
// `kiln-cpu-tile` tiles and peels so that the full tiles have static shapes;
// `kiln-cpu-vectorize` turns those into vector code after canonicalization.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/ConstantData.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "CPUVectorPatterns.h"
#include "ParallelMarkers.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SetVector.h"

#include <cstring>

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNFUSEELEMENTWISEPASS
#define GEN_PASS_DEF_KILNCPUTILEPASS
#define GEN_PASS_DEF_KILNCPUVECTORIZEPASS
#define GEN_PASS_DEF_KILNHOISTVECTORTRANSFERSPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using mlir::kiln::kParallelMarker;

/// Marks an op tiled for vectorization: once its shape is static, it is one
/// register tile.
static constexpr StringLiteral kVectorizeMarker = "kiln.vectorize";

/// f32 lanes in a 512-bit register.
static constexpr int64_t kLanes = 16;

/// Marks the loop over a row that carries a reduction's partial results, so
/// that kiln-cpu-vectorize keeps them in a register through it.
static constexpr StringLiteral kPartialResultsMarker = "kiln.partial_results";

/// The fewest loop iterations (elements times reduction steps) for which an
/// op's loops are worth spreading over threads: below that, waking threads
/// costs more than the op.
static constexpr int64_t kMinParallelWork = int64_t(1) << 16;

namespace {

/// How one op is tiled: cache tiles (0 = not tiled at that level), then
/// register tiles, each with the loop order to use.
struct Strategy {
  StringRef name;
  SmallVector<int64_t> cacheTiles;
  SmallVector<int64_t> cacheOrder;
  SmallVector<int64_t> registerTiles;
  SmallVector<int64_t> registerOrder;
  /// Contractions only: the input operand read along n and k alone (the
  /// right-hand side), or -1. Each panel of it that one cache tile of k and
  /// one register tile of n read is copied into a contiguous buffer once, and
  /// every register tile of the panel's rows reads that buffer: the register
  /// tiles then stream consecutive lines instead of a strided column, whose
  /// rows compete for the same few L1 sets when its row stride is a large
  /// power of two.
  int64_t packedOperand = -1;
  /// The n dim that the register tiles run their vectors along.
  unsigned vectorDim = 0;
  /// Row reductions only: the reduction dim, split into register tiles of
  /// partial results (see tileRowReduction), or -1.
  int64_t partialReductionDim = -1;
  /// Row reductions only: how many of a row's elements the partial results
  /// take, a multiple of 16; the others are reduced one by one after them.
  int64_t reductionVectors = 0;
};

} // namespace

static bool isFloat32(Value value) {
  return getElementTypeOrSelf(value.getType()).isF32();
}

/// Whether every operand reads its elements along the op's innermost loop
/// contiguously, or does not depend on that loop (a broadcast).
static bool isContiguousAlongInnermost(linalg::LinalgOp op) {
  unsigned innermost = op.getNumLoops() - 1;
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (!map.isProjectedPermutation())
      return false;
    if (map.getNumResults() == 0)
      continue;
    bool uses = map.isFunctionOfDim(innermost);
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (uses && (!last || last.getPosition() != innermost))
      return false;
  }
  return true;
}

/// The fewest rows (the static range of a contraction's m dim) for which
/// copying the right-hand side's panels pays: every row's register tiles
/// reuse the copy.
static constexpr int64_t kMinPackedRows = 32;

/// The row distances, in bytes, that the panels of a right-hand side are
/// copied for: multiples of 512 bytes put a panel's rows in at most 8 of
/// the 64 sets of a 48 KiB L1, which then holds too few of them. Rows a
/// less regular distance apart spread over the sets, and the copy measured
/// no faster than reading them in place.
static constexpr int64_t kPackedRowStride = 512;

/// The input of contraction `op` to copy panel by panel (see
/// Strategy::packedOperand): the one it reads along `n` and `k` and not
/// along `m`, with `n` innermost so that a panel's rows are copied as
/// vectors; -1 when there is none, or when the `rows` the panels serve are
/// too few for the copy to pay.
static int64_t packedOperand(linalg::LinalgOp op, unsigned m, unsigned n,
                             unsigned k, int64_t rows) {
  if (!ShapedType::isDynamic(rows) && rows < kMinPackedRows)
    return -1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() == 0 || map.isFunctionOfDim(m) ||
        !map.isFunctionOfDim(n) || !map.isFunctionOfDim(k))
      continue;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last || last.getPosition() != n)
      return -1;
    // The distance between the rows of a panel (consecutive k), in bytes.
    std::optional<unsigned> kPos =
        map.getResultPosition(getAffineDimExpr(k, op.getContext()));
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!kPos || !type)
      return -1;
    int64_t stride = 4;
    for (int64_t size : type.getShape().drop_front(*kPos + 1))
      stride = ShapedType::isDynamic(size) ? 0 : stride * size;
    if (stride != 0 && stride % kPackedRowStride != 0)
      return -1;
    return input->getOperandNumber();
  }
  return -1;
}

/// A cache tile of at most `limit` for a dim of `range`: the largest
/// multiple of `multiple` that divides the range and is at least half the
/// limit, else the limit itself.
static int64_t dividingTile(int64_t range, int64_t limit, int64_t multiple) {
  if (ShapedType::isDynamic(range) || range <= limit)
    return limit;
  for (int64_t tile = limit; tile >= limit / 2; tile -= multiple)
    if (range % tile == 0)
      return tile;
  return limit;
}

/// The thread counts a parallel dim's tiles are balanced for.
static constexpr int64_t kBalancedThreads[] = {2, 4};

/// A tile of at most `limit` and at least `lowest`, a multiple of
/// `multiple`, for a dim of `range` whose full tiles the threads share and
/// whose remainder one thread runs after them: the tile whose busiest
/// thread runs the fewest elements on 2 threads, then on 4, then the
/// largest. 784 columns in tiles of 256 are 3 tiles that leave one of 2
/// threads idle a third of the time, and a remainder of 16; tiles of 192
/// are 4 and the same remainder.
static int64_t balancedTile(int64_t range, int64_t limit, int64_t multiple,
                            int64_t lowest) {
  if (ShapedType::isDynamic(range) || range <= limit)
    return limit;
  auto busiest = [&](int64_t tile, int64_t threads) {
    int64_t tiles = range / tile;
    return (tiles + threads - 1) / threads * tile + range % tile;
  };
  int64_t best = limit;
  for (int64_t tile = limit; tile >= lowest; tile -= multiple) {
    auto cost = [&](int64_t t) {
      SmallVector<int64_t, 2> costs;
      for (int64_t threads : kBalancedThreads)
        costs.push_back(busiest(t, threads));
      return costs;
    };
    if (cost(tile) < cost(best))
      best = tile;
  }
  return best;
}

/// The largest right-hand side, in bytes, that a contraction over a packed
/// left-hand side runs each cache tile of rows over whole (see
/// chooseStrategy): half of this machine's 2 MiB of L2.
static constexpr int64_t kRowsOuterRhsBytes = 1024 * 1024;

/// The most cache tiles of k of a contraction whose few rows are split for
/// the threads (see chooseStrategy): the threads share the rows once per
/// cache tile of k.
static constexpr int64_t kMaxSplitDepthTiles = 2;

/// The fewest products of such a contraction: a smaller one (a small MLP's
/// training step, 64 x 128 x 32) runs in about the time the threads take to
/// meet.
static constexpr int64_t kMinSplitWork = int64_t(1) << 20;

/// The rows in a block of a left-hand side packed by prepackConstantLhs.
static constexpr int64_t kPackedLhsRows = 8;

/// For a contraction whose left-hand side is packed in blocks of rows
/// (prepackConstantLhs: read as (blocks, k, rows in a block), the output as
/// (blocks, rows in a block, n)), the blocks' dim; nullopt otherwise.
static std::optional<unsigned>
packedRowBlocks(linalg::LinalgOp op,
                const linalg::ContractionDimensions &dims) {
  if (dims.m.size() != 2 || op.getNumDpsInputs() != 2)
    return std::nullopt;
  unsigned blocks = dims.m.front(), rows = dims.m.back();
  MLIRContext *context = op.getContext();
  AffineMap lhs = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap expected = AffineMap::get(op.getNumLoops(), 0,
                                      {getAffineDimExpr(blocks, context),
                                       getAffineDimExpr(dims.k[0], context),
                                       getAffineDimExpr(rows, context)},
                                      context);
  if (lhs != expected || op.getStaticLoopRanges()[rows] != kPackedLhsRows)
    return std::nullopt;
  return blocks;
}

/// Whether `op` is a contraction over a packed left-hand side's blocks.
static bool hasPackedRowBlocks(Operation *op) {
  auto contraction = dyn_cast<linalg::LinalgOp>(op);
  if (!contraction || !linalg::isaContractionOpInterface(contraction))
    return false;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(contraction);
  return succeeded(dims) && packedRowBlocks(contraction, *dims).has_value();
}

/// Whether a loop that the threads share already contains `op` (a fused
/// epilogue's tile).
static bool isInsideSharedLoop(Operation *op) {
  for (auto loop = op->getParentOfType<scf::ForOp>(); loop;
       loop = loop->getParentOfType<scf::ForOp>())
    if (loop->hasAttr(kParallelMarker))
      return true;
  return false;
}

/// The strategy for `op`, or nullopt to leave it to the scalar loops.
static std::optional<Strategy> chooseStrategy(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op.getNumDpsInits() != 1 || !llvm::all_of(op->getOperands(), isFloat32))
    return std::nullopt;
  unsigned loops = op.getNumLoops();

  if (linalg::isaContractionOpInterface(op)) {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims) || dims->m.empty() || dims->n.empty() ||
        dims->k.size() != 1 ||
        dims->batch.size() + dims->m.size() + dims->n.size() + 1 != loops)
      return std::nullopt;
    // The vector dim is the n dim innermost in the output; the register
    // rows are the last m dim. Every other parallel dim (batch dims, and
    // extra m and n dims such as an image's batch in a convolution's
    // contraction) is tiled by 1.
    AffineMap out = op.getIndexingMapsArray().back();
    auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
    if (!last || !llvm::is_contained(dims->n, last.getPosition()))
      return std::nullopt;
    unsigned m = dims->m.back(), n = last.getPosition(), k = dims->k[0];
    // A left-hand side packed in blocks of rows (prepackConstantLhs) has its
    // rows as two dims: the blocks, and the rows within a block, which are
    // the register tile's rows. The blocks then take the rows' cache tiles.
    std::optional<unsigned> rowBlocks = packedRowBlocks(op, *dims);
    SmallVector<unsigned> outer(dims->batch.begin(), dims->batch.end());
    for (unsigned d : llvm::concat<unsigned>(dims->m, dims->n))
      if (d != m && d != n && d != rowBlocks)
        outer.push_back(d);
    Strategy s;
    s.name = "contraction";
    s.cacheTiles.assign(loops, 1);
    s.registerTiles.assign(loops, 1);
    // Cache tiles: a 256x256 panel of the right-hand side (256 KiB) stays
    // in L2 while 256 rows of the left-hand side stream past it. When n is
    // one cache tile, the m tiles are what the threads share: 64 rows then
    // leave more of them.
    // The tiles of the dim the threads share are balanced between them
    // (balancedTile); the m tiles of several column tiles divide their dim
    // when a tile a little smaller does.
    int64_t columns = op.getStaticLoopRanges()[n];
    int64_t rows = op.getStaticLoopRanges()[m];
    if (rowBlocks)
      rows *= op.getStaticLoopRanges()[*rowBlocks];
    bool oneColumnTile = !ShapedType::isDynamic(columns) && columns <= 256;
    s.cacheTiles[m] = oneColumnTile ? balancedTile(rows, 64, 8, 32)
                                    : dividingTile(rows, 256, 8);
    s.cacheTiles[n] = balancedTile(columns, 256, 2 * kLanes, 128);
    s.cacheTiles[k] = 256;
    // Register tile: 8 rows x 2 vectors of the output in 16 registers,
    // one step of k at a time (a broadcast and 2 FMAs per row).
    s.registerTiles[m] = 8;
    s.registerTiles[n] = 2 * kLanes;
    s.registerTiles[k] = 1;
    // A packed left-hand side's rows stream from L2 past a panel of the
    // right-hand side that stays in L1: a panel of 128 steps of k (16 KiB
    // of 32 columns) leaves L1 room for the rows. ResNet-18's 14x14
    // convolution ran 10% faster so than with 256.
    if (rowBlocks) {
      s.cacheTiles[*rowBlocks] =
          std::max<int64_t>(s.cacheTiles[m] / kPackedLhsRows, 1);
      s.cacheTiles[m] = kPackedLhsRows;
      s.cacheTiles[k] = 128;
      s.registerTiles[*rowBlocks] = 1;
    }
    // Loop order: the outer dims, then n, m, k; the k loop innermost keeps the
    // output tile in registers.
    for (unsigned d : outer) {
      s.cacheOrder.push_back(d);
      s.registerOrder.push_back(d);
    }
    // Over a packed left-hand side, a right-hand side of one column tile
    // that fits in L2 stays there while each cache tile of rows runs all of
    // k: the output tile stays in cache across k, and the threads share the
    // row tiles once instead of once per cache tile of k. ResNet-18's 7x7
    // convolutions (903 KiB of columns) ran 10% faster so; its 14x14 ones
    // (1.8 MiB) ran 13% slower, and keep k outside.
    int64_t depth = op.getStaticLoopRanges()[k];
    bool rowsOuter = rowBlocks && oneColumnTile &&
                     !ShapedType::isDynamic(depth) &&
                     depth * columns * 4 <= kRowsOuterRhsBytes;
    if (rowsOuter) {
      s.cacheOrder.append({n, *rowBlocks, k, m});
      s.registerOrder.append({n, *rowBlocks, m, k});
    } else if (rowBlocks) {
      s.cacheOrder.append({n, k, *rowBlocks, m});
      s.registerOrder.append({n, *rowBlocks, m, k});
    } else {
      s.cacheOrder.append({n, k, m});
      s.registerOrder.append({n, m, k});
    }
    s.vectorDim = n;
    s.packedOperand = packedOperand(op, m, n, k, rows);
    // One column tile of at most 64 rows would be a single cache tile, which
    // one thread runs alone: its rows are split in two instead, unless each
    // cache tile would then copy the same panels of a packed operand, or
    // stream a right-hand side larger than L2 again, or share a few rows
    // once per cache tile of a long k (a training step's weight gradients,
    // 16 or 32 rows over 16384 products: 64 loops of 2 tiles each, and 9 MiB
    // of columns streamed twice, ran 40% slower split).
    if (oneColumnTile && !ShapedType::isDynamic(rows) && rows <= 64 &&
        rows % 16 == 0 && s.packedOperand < 0 && !isInsideSharedLoop(op) &&
        !ShapedType::isDynamic(depth) &&
        depth <= kMaxSplitDepthTiles * s.cacheTiles[k] &&
        depth * columns * 4 <= kRowsOuterRhsBytes &&
        rows * columns * depth >= kMinSplitWork)
      s.cacheTiles[rowBlocks ? *rowBlocks : m] =
          rows / 2 / (rowBlocks ? kPackedLhsRows : 1);
    return s;
  }

  // A reduction along the innermost loop alone (a softmax's maximum and sum,
  // a layer norm's mean, a global average pooling): one row at a time, its
  // elements added into a vector of partial results, 16 lanes per step, that
  // one horizontal reduction ends. A row whose length 16 does not divide
  // reduces its whole vectors so, then its last elements one by one (a 13x13
  // image's 169: 160 and 9); only a generic op is split so.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (op.getNumReductionLoops() == 1 &&
      op.getIteratorTypesArray().back() == utils::IteratorType::reduction &&
      isContiguousAlongInnermost(op) && !ShapedType::isDynamic(ranges.back()) &&
      ranges.back() >= kLanes &&
      (ranges.back() % kLanes == 0 || isa<linalg::GenericOp>(op))) {
    Strategy s;
    s.name = "reduction";
    s.registerTiles.assign(loops, 1);
    s.registerTiles.back() = 0;
    s.partialReductionDim = loops - 1;
    s.reductionVectors = ranges.back() / kLanes * kLanes;
    return s;
  }

  if (op.getNumParallelLoops() == loops && isContiguousAlongInnermost(op)) {
    Strategy s;
    s.name = "elementwise";
    s.registerTiles.assign(loops, 1);
    s.registerTiles.back() = kLanes;
    return s;
  }
  return std::nullopt;
}

/// Tiles `op` by `sizes` in `order`; returns the tiled op and the loops,
/// outermost first.
static FailureOr<scf::SCFTilingResult> tile(RewriterBase &rewriter,
                                            Operation *op,
                                            ArrayRef<int64_t> sizes,
                                            ArrayRef<int64_t> order) {
  auto tileable = dyn_cast<TilingInterface>(op);
  if (!tileable)
    return failure();
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  if (!order.empty())
    options.setInterchange(order);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, tileable, options);
  if (failed(result))
    return failure();
  rewriter.replaceOp(op, result->replacements);
  return result;
}

/// Whether an op whose loops have `ranges` does enough work to share it
/// between threads; a dynamic range counts as large.
static bool isWorthSharing(ArrayRef<int64_t> ranges) {
  int64_t work = 1;
  for (int64_t range : ranges) {
    if (ShapedType::isDynamic(range) || range >= kMinParallelWork)
      return true;
    work = std::min(work * range, kMinParallelWork);
  }
  return work >= kMinParallelWork;
}

/// The loop ranges that decide whether `op` is worth sharing between
/// threads: its own, except that a fill of a column (its innermost dim of
/// size 1, such as a padding's left and right borders) counts each element
/// as the 16 of the cache line it writes: those fills are bound by the
/// lines they touch, one per element.
static SmallVector<int64_t> sharingRanges(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (isa<linalg::FillOp>(op) && !ranges.empty() && ranges.back() == 1)
    ranges.back() = kLanes;
  // An elementwise op reads each of its inputs per element: a pooling
  // window's 9 taps make each element 9 elements' work.
  if (op.getNumParallelLoops() == op.getNumLoops() && !ranges.empty() &&
      op.getNumDpsInputs() > 1 && !ShapedType::isDynamic(ranges.back()))
    ranges.push_back(op.getNumDpsInputs());
  return ranges;
}

/// The loop along which `op`, which no strategy vectorizes (a gather of
/// image columns, a transpose, a row-wise reduction), is still worth running
/// on several threads: its outermost loop not of size 1, when that loop is
/// parallel and indexes the output (each of its iterations writes its own
/// slice), and the op does enough work.
static std::optional<unsigned> parallelOnlyDim(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!isWorthSharing(ranges))
    return std::nullopt;
  auto outer = llvm::find_if(ranges, [](int64_t r) { return r != 1; });
  if (outer == ranges.end())
    return std::nullopt;
  unsigned dim = outer - ranges.begin();
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (op.getIteratorTypesArray()[dim] != utils::IteratorType::parallel ||
      !out.isProjectedPermutation() || !out.isFunctionOfDim(dim))
    return std::nullopt;
  return dim;
}

/// Marks the outermost of `loops`, the loops that tiling an op by `sizes` in
/// `order` made, outermost first, that runs over a parallel dim of the op
/// (`iterators`) more than once. Every iteration of such a loop computes a
/// tile of the output that no other iteration touches. Nothing is marked when
/// the op's work (`ranges`, dynamic dims counting as large) is too small to
/// share, or when the loops do not match the tiled dims.
static void markParallelLoop(ArrayRef<scf::ForOp> loops,
                             ArrayRef<int64_t> sizes, ArrayRef<int64_t> order,
                             ArrayRef<utils::IteratorType> iterators,
                             ArrayRef<int64_t> ranges) {
  if (!isWorthSharing(ranges))
    return;
  SmallVector<int64_t> dims;
  for (unsigned i = 0, e = sizes.size(); i < e; ++i) {
    int64_t dim = order.empty() ? i : order[i];
    if (sizes[dim] != 0)
      dims.push_back(dim);
  }
  if (dims.size() != loops.size())
    return;
  for (auto [i, dim] : llvm::enumerate(dims)) {
    scf::ForOp loop = loops[i];
    if (iterators[dim] != utils::IteratorType::parallel)
      continue;
    std::optional<APInt> trips = loop.getStaticTripCount();
    if (trips && trips->ule(1))
      continue;
    loop->setAttr(kParallelMarker, UnitAttr::get(loop.getContext()));
    return;
  }
}

/// The loop dim an op's vectors run along: the innermost dim of its output.
static std::optional<unsigned> vectorDim(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1)
    return std::nullopt;
  AffineMap out = op.getIndexingMapsArray().back();
  if (out.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!last)
    return std::nullopt;
  return last.getPosition();
}

/// A 1x1 convolution of one image with unit strides is already a matmul:
/// filter (F, C) times image (C, H*W), with no columns to gather.
static LogicalResult rewritePointwiseAsMatmul(RewriterBase &rewriter,
                                              linalg::Conv2DNchwFchwOp conv) {
  auto image = cast<RankedTensorType>(conv.getInputs()[0].getType());
  auto filter = cast<RankedTensorType>(conv.getInputs()[1].getType());
  auto out = cast<RankedTensorType>(conv.getOutputs()[0].getType());
  if (!image.hasStaticShape() || !filter.hasStaticShape() ||
      !out.hasStaticShape() || image.getDimSize(0) != 1 ||
      filter.getDimSize(2) != 1 || filter.getDimSize(3) != 1 ||
      image.getDimSize(2) != out.getDimSize(2) ||
      image.getDimSize(3) != out.getDimSize(3) ||
      !llvm::all_of(conv.getStrides().getValues<int64_t>(),
                    [](int64_t v) { return v == 1; }))
    return failure();
  Location loc = conv.getLoc();
  SmallVector<ReassociationIndices> toMatrix = {{0, 1}, {2, 3}};
  Value columns = tensor::CollapseShapeOp::create(
      rewriter, loc, conv.getInputs()[0], toMatrix);
  Value weights = tensor::CollapseShapeOp::create(
      rewriter, loc, conv.getInputs()[1],
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  Value init = tensor::CollapseShapeOp::create(rewriter, loc,
                                               conv.getOutputs()[0], toMatrix);
  Value product = linalg::MatmulOp::create(rewriter, loc, init.getType(),
                                           ValueRange{weights, columns}, init)
                      .getResult(0);
  rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(conv, out, product,
                                                     toMatrix);
  return success();
}

/// The image slices a sliding window's taps read: for an NCHW image and a
/// KH x KW window, the output-shaped slice each tap (i, j) reads, strided by
/// the op's strides and offset by its dilations; nothing for a window of more
/// than 64 taps or a dynamic shape.
static SmallVector<Value> windowTaps(RewriterBase &rewriter, Location loc,
                                     Value image, RankedTensorType outType,
                                     int64_t kh, int64_t kw,
                                     DenseIntElementsAttr stridesAttr,
                                     DenseIntElementsAttr dilationsAttr) {
  auto imageType = cast<RankedTensorType>(image.getType());
  if (!imageType.hasStaticShape() || !outType.hasStaticShape() ||
      kh * kw > 64 || imageType.getRank() != 4)
    return {};
  SmallVector<int64_t> strides(stridesAttr.getValues<int64_t>());
  SmallVector<int64_t> dilations(dilationsAttr.getValues<int64_t>());
  SmallVector<Value> taps;
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j)
      taps.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, outType, image, ValueRange(), ValueRange(),
          ValueRange(),
          rewriter.getDenseI64ArrayAttr(
              {0, 0, i * dilations[0], j * dilations[1]}),
          rewriter.getDenseI64ArrayAttr(outType.getShape()),
          rewriter.getDenseI64ArrayAttr({1, 1, strides[0], strides[1]})));
  return taps;
}

/// One elementwise op over the output `init` reading `inputs` through
/// `maps` (the output's map is appended), whose body is `combine`.
static Value
elementwiseOver(RewriterBase &rewriter, Location loc, Value init,
                ValueRange inputs, SmallVector<AffineMap> maps,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(init.getType());
  maps.push_back(
      AffineMap::getMultiDimIdentityMap(type.getRank(), rewriter.getContext()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             rewriter, loc, type, inputs, init, maps, iterators,
             [&](OpBuilder &b, Location nested, ValueRange args) {
               linalg::YieldOp::create(b, nested, body(b, nested, args));
             })
      .getResult(0);
}

/// The term a window op's sum or maximum starts from, when the output's
/// initial value is a per-channel broadcast (a bias) or a fill that nothing
/// else reads: the op reads the broadcast's vector (appended to `inputs` and
/// `maps`) or the fill's scalar itself, and `init` becomes an empty tensor,
/// so that the initial value is never written over the whole output first.
/// Otherwise the op starts from the output's initial value, as it reads it.
namespace {
struct InitialTerm {
  /// The fill's scalar, when a fill produced the initial value.
  Value scalar;
  /// Whether the last input is the per-channel vector.
  bool perChannel = false;
  /// The fill or broadcast, erased once the window op replaced its reader.
  Operation *producer = nullptr;

  void eraseProducer(RewriterBase &rewriter) const {
    if (producer && producer->use_empty())
      rewriter.eraseOp(producer);
  }

  /// The starting term, from the body's arguments.
  Value in(ValueRange args) const {
    if (scalar)
      return scalar;
    return perChannel ? args[args.size() - 2] : args.back();
  }
};
} // namespace

static InitialTerm takeInitialTerm(RewriterBase &rewriter, Location loc,
                                   Value &init, SmallVectorImpl<Value> &inputs,
                                   SmallVectorImpl<AffineMap> &maps) {
  auto outType = cast<RankedTensorType>(init.getType());
  InitialTerm term;
  if (!init.hasOneUse() || outType.getRank() != 4)
    return term;
  if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
    if (!fill.hasPureTensorSemantics())
      return term;
    term.scalar = fill.getInputs()[0];
    term.producer = fill;
  } else if (auto broadcast = init.getDefiningOp<linalg::BroadcastOp>()) {
    if (!broadcast.hasPureTensorSemantics() ||
        broadcast.getDimensions() != ArrayRef<int64_t>{0, 2, 3})
      return term;
    inputs.push_back(broadcast.getInput());
    maps.push_back(AffineMap::get(4, 0, rewriter.getAffineDimExpr(1)));
    term.perChannel = true;
    term.producer = broadcast;
  } else {
    return term;
  }
  init = tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                 outType.getElementType());
  return term;
}

/// Fuses the elementwise op that alone reads `result`, a window op's
/// elementwise result, into it: an activation after a depthwise convolution
/// then runs on each vector as it is computed, where it would read and write
/// the whole output again.
static void fuseWindowConsumer(RewriterBase &rewriter, Value result) {
  if (!result.hasOneUse())
    return;
  OpOperand &use = *result.getUses().begin();
  auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!consumer || !consumer.hasPureTensorSemantics() ||
      consumer.getNumParallelLoops() != consumer.getNumLoops() ||
      !consumer.isDpsInput(&use) ||
      !consumer.getMatchingIndexingMap(&use).isIdentity() ||
      !linalg::areElementwiseOpsFusable(&use))
    return;
  Operation *producer = result.getDefiningOp();
  rewriter.setInsertionPoint(consumer);
  FailureOr<linalg::ElementwiseOpFusionResult> fused =
      linalg::fuseElementwiseOps(rewriter, &use);
  if (failed(fused))
    return;
  for (Value consumerResult : consumer->getResults())
    rewriter.replaceAllUsesWith(consumerResult,
                                fused->replacements.lookup(consumerResult));
  rewriter.eraseOp(consumer);
  if (producer->use_empty())
    rewriter.eraseOp(producer);
}

/// A depthwise convolution as one elementwise op: the sum, over the window's
/// taps, of the image slice each tap reads times that tap's per-channel
/// weight, starting from its bias, and followed by the activation that reads
/// it. It is then vectorized along the output rows like any elementwise op.
static LogicalResult
rewriteDepthwiseAsElementwise(RewriterBase &rewriter,
                              linalg::DepthwiseConv2DNchwChwOp conv) {
  Value filter = conv.getInputs()[1], init = conv.getOutputs()[0];
  auto filterType = cast<RankedTensorType>(filter.getType());
  auto outType = cast<RankedTensorType>(init.getType());
  if (!filterType.hasStaticShape())
    return failure();
  int64_t channels = filterType.getDimSize(0);
  int64_t kh = filterType.getDimSize(1), kw = filterType.getDimSize(2);
  Location loc = conv.getLoc();
  SmallVector<Value> inputs =
      windowTaps(rewriter, loc, conv.getInputs()[0], outType, kh, kw,
                 conv.getStrides(), conv.getDilations());
  if (inputs.empty())
    return failure();
  auto weightType = RankedTensorType::get({channels}, outType.getElementType());
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j)
      inputs.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, weightType, filter, ValueRange(), ValueRange(),
          ValueRange(), rewriter.getDenseI64ArrayAttr({0, i, j}),
          rewriter.getDenseI64ArrayAttr({channels, 1, 1}),
          rewriter.getDenseI64ArrayAttr({1, 1, 1})));
  MLIRContext *context = rewriter.getContext();
  int64_t taps = kh * kw;
  SmallVector<AffineMap> maps(taps,
                              AffineMap::getMultiDimIdentityMap(4, context));
  maps.append(taps, AffineMap::get(4, 0, getAffineDimExpr(1, context)));
  InitialTerm start = takeInitialTerm(rewriter, loc, init, inputs, maps);
  Value result = elementwiseOver(
      rewriter, loc, init, inputs, maps,
      [&](OpBuilder &b, Location nested, ValueRange args) {
        Value sum = start.in(args);
        for (int64_t t = 0; t < taps; ++t)
          sum = arith::AddFOp::create(
              b, nested, sum,
              arith::MulFOp::create(b, nested, args[t], args[taps + t]));
        return sum;
      });
  rewriter.replaceOp(conv, result);
  start.eraseProducer(rewriter);
  fuseWindowConsumer(rewriter, result);
  return success();
}

/// A max or sum pooling as one elementwise op: the maximum or the sum of
/// the output's initial value and the image slices the window's taps read,
/// followed by the elementwise op that reads it (an average's division).
/// NaN propagates through the maximum; of a zero and a negative zero either
/// may be taken (`nsz`), which makes each tap's maximum a compare, a max and
/// a blend instead of six instructions that also order the zeros.
template <typename PoolOp>
static LogicalResult rewritePoolingAsElementwise(RewriterBase &rewriter,
                                                 PoolOp pool) {
  auto window = cast<RankedTensorType>(pool.getInputs()[1].getType());
  Value init = pool.getOutputs()[0];
  auto outType = cast<RankedTensorType>(init.getType());
  if (!window.hasStaticShape() || window.getRank() != 2)
    return failure();
  Location loc = pool.getLoc();
  SmallVector<Value> taps = windowTaps(
      rewriter, loc, pool.getInputs()[0], outType, window.getDimSize(0),
      window.getDimSize(1), pool.getStrides(), pool.getDilations());
  if (taps.empty())
    return failure();
  int64_t numTaps = taps.size();
  SmallVector<AffineMap> maps(
      numTaps, AffineMap::getMultiDimIdentityMap(4, rewriter.getContext()));
  InitialTerm start = takeInitialTerm(rewriter, loc, init, taps, maps);
  Value result = elementwiseOver(
      rewriter, loc, init, taps, maps,
      [&](OpBuilder &b, Location nested, ValueRange args) {
        Value acc = start.in(args);
        for (Value tap : args.take_front(numTaps)) {
          if constexpr (std::is_same_v<PoolOp, linalg::PoolingNchwMaxOp>)
            acc = arith::MaximumFOp::create(b, nested, acc, tap,
                                            arith::FastMathFlags::nsz);
          else
            acc = arith::AddFOp::create(b, nested, acc, tap);
        }
        return acc;
      });
  rewriter.replaceOp(pool, result);
  start.eraseProducer(rewriter);
  fuseWindowConsumer(rewriter, result);
  return success();
}

/// Copies the slice of every window tap (`taps`, KH x KW of them, each
/// (N, C, OH, OW)) at `offsets` of `sizes` into its place in `dest`, viewed
/// as (N, C', KH, KW, OH', OW'): the slice of tap (i, j) goes to (n, c, i, j,
/// oh, ow) at `destOffsets` (n, c, oh, ow). Returns the updated `dest`.
static Value copyTapSlices(OpBuilder &b, Location loc, ArrayRef<Value> taps,
                           int64_t kw, Value dest,
                           ArrayRef<OpFoldResult> offsets,
                           ArrayRef<OpFoldResult> destOffsets,
                           ArrayRef<int64_t> sizes) {
  Type element = cast<RankedTensorType>(dest.getType()).getElementType();
  auto sliceType = RankedTensorType::get(sizes, element);
  SmallVector<OpFoldResult> ones(6, b.getIndexAttr(1));
  SmallVector<OpFoldResult> tapSizes =
      getAsIndexOpFoldResult(b.getContext(), sizes);
  SmallVector<OpFoldResult> slotSizes = getAsIndexOpFoldResult(
      b.getContext(), {sizes[0], sizes[1], 1, 1, sizes[2], sizes[3]});
  for (auto [index, whole] : llvm::enumerate(taps)) {
    Value tap = whole;
    if (cast<RankedTensorType>(tap.getType()).getShape() != sizes)
      tap = tensor::ExtractSliceOp::create(b, loc, sliceType, tap, offsets,
                                           tapSizes,
                                           ArrayRef(ones).take_front(4));
    SmallVector<OpFoldResult> slot = {destOffsets[0],
                                      destOffsets[1],
                                      b.getIndexAttr(index / kw),
                                      b.getIndexAttr(index % kw),
                                      destOffsets[2],
                                      destOffsets[3]};
    Value place = tensor::ExtractSliceOp::create(b, loc, sliceType, dest, slot,
                                                 slotSizes, ones);
    Value copied = linalg::CopyOp::create(b, loc, tap, place).getResult(0);
    dest = tensor::InsertSliceOp::create(b, loc, copied, dest, slot, slotSizes,
                                         ones);
  }
  return dest;
}

namespace {

/// An image-column gather written as tap copies (rewriteIm2ColAsTapCopies),
/// kept so that a fused convolution epilogue can gather the columns of each
/// of its row tiles itself (fuseEpilogue): the taps, each the image slice
/// (1, C, OH, OW) one filter tap reads, and the op that gathers them all.
struct TapGather {
  SmallVector<Value> taps;
  int64_t channels, kh, kw, oh, ow;
  Operation *gather;
};

} // namespace

/// The image columns of an NCHW convolution, (N, C*KH*KW, OH*OW), built as
/// one copy per window tap instead of one gather: viewed as (N, C, KH, KW,
/// OH, OW), the columns of tap (i, j) are the image slice that tap reads,
/// (N, C, OH, OW), strided by the convolution's strides. Each copy is an
/// elementwise op whose rows are contiguous in the image for a unit stride,
/// and every other lane of a contiguous vector for a stride of 2. When the
/// gather is large enough to share, the copies run per channel, in a loop
/// marked for the threads. Replaces `im2col`, the gather, whose result type
/// is the columns'.
static LogicalResult
rewriteIm2ColAsTapCopies(RewriterBase &rewriter, Operation *im2col, Value image,
                         RankedTensorType filterType, RankedTensorType outType,
                         DenseIntElementsAttr strides,
                         DenseIntElementsAttr dilations,
                         DenseMap<Value, TapGather> &gathers) {
  auto columnsType = dyn_cast<RankedTensorType>(im2col->getResult(0).getType());
  auto imageType = cast<RankedTensorType>(image.getType());
  if (!columnsType || !columnsType.hasStaticShape() ||
      !imageType.hasStaticShape() || !filterType.hasStaticShape() ||
      !outType.hasStaticShape() || columnsType.getRank() != 3)
    return failure();
  int64_t n = imageType.getDimSize(0), c = imageType.getDimSize(1);
  int64_t kh = filterType.getDimSize(2), kw = filterType.getDimSize(3);
  int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
  if (columnsType.getShape() != ArrayRef<int64_t>{n, c * kh * kw, oh * ow} ||
      kh * kw > 64)
    return failure();
  Location loc = im2col->getLoc();
  rewriter.setInsertionPoint(im2col);
  auto tapsType = RankedTensorType::get({n, c, kh, kw, oh, ow},
                                        columnsType.getElementType());
  SmallVector<ReassociationIndices> toColumns = {{0}, {1, 2, 3}, {4, 5}};
  Value columns = tensor::EmptyOp::create(rewriter, loc, tapsType.getShape(),
                                          tapsType.getElementType());
  auto tapType =
      RankedTensorType::get({n, c, oh, ow}, columnsType.getElementType());
  SmallVector<Value> taps =
      windowTaps(rewriter, loc, image, tapType, kh, kw, strides, dilations);
  if (taps.empty())
    return failure();
  // Copies every tap's channels [channel, channel + count) into `dest`.
  auto copyTaps = [&](OpBuilder &b, Value dest, OpFoldResult channel,
                      int64_t count) {
    OpFoldResult zero = b.getIndexAttr(0);
    SmallVector<OpFoldResult> offsets = {zero, channel, zero, zero};
    return copyTapSlices(b, loc, taps, kw, dest, offsets, offsets,
                         {n, count, oh, ow});
  };
  // A gather large enough to share runs one channel per iteration of a loop
  // the threads split: every iteration writes its own channel of every tap.
  if (c > 1 && isWorthSharing({n, c, kh, kw, oh, ow})) {
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value channels = arith::ConstantIndexOp::create(rewriter, loc, c);
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, channels, one, ValueRange{columns},
        [&](OpBuilder &b, Location loc, Value channel, ValueRange args) {
          scf::YieldOp::create(b, loc, copyTaps(b, args[0], channel, 1));
        });
    loop->setAttr(kParallelMarker, rewriter.getUnitAttr());
    columns = loop.getResult(0);
  } else {
    columns = copyTaps(rewriter, columns, rewriter.getIndexAttr(0), c);
  }
  auto collapsed = rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
      im2col, columnsType, columns, toColumns);
  gathers[collapsed.getResult()] = {std::move(taps),        c, kh, kw, oh, ow,
                                    columns.getDefiningOp()};
  return success();
}

/// Has a tensor inserted into a larger one (a concatenation's inputs) be
/// computed in place: when `insert`'s source is the only result of a linalg
/// op that is used only there and whose output's initial value is never
/// read, that op is moved next to `insert` and writes into the slice of the
/// destination instead, so that bufferization writes the destination
/// directly. Any other source is copied by a linalg.copy into the slice,
/// which is vectorized like an elementwise op instead of becoming a scalar
/// memref copy.
static LogicalResult rewriteInsertInPlace(RewriterBase &rewriter,
                                          tensor::InsertSliceOp insert) {
  RankedTensorType sourceType = insert.getSourceType();
  if (!sourceType.hasStaticShape() || !insert.hasUnitStride() ||
      sourceType.getRank() != insert.getDestType().getRank())
    return failure();
  Location loc = insert.getLoc();
  // A fresh destination is an allocation of its own: tensor.empty ops of the
  // same shape would be merged by CSE, and bufferization would then copy
  // every concatenation but one out of a shared buffer.
  if (auto empty = insert.getDest().getDefiningOp<tensor::EmptyOp>()) {
    rewriter.setInsertionPointAfter(empty);
    Value fresh = bufferization::AllocTensorOp::create(
        rewriter, empty.getLoc(), empty.getType(), empty.getDynamicSizes());
    rewriter.modifyOpInPlace(insert,
                             [&] { insert.getDestMutable().assign(fresh); });
  }
  auto producer = insert.getSource().getDefiningOp<linalg::LinalgOp>();
  if (producer && producer->getNumResults() == 1 &&
      producer.getNumDpsInits() == 1 && producer->hasOneUse() &&
      producer->getBlock() == insert->getBlock() &&
      !producer.payloadUsesValueFromOperand(producer.getDpsInitOperand(0))) {
    rewriter.moveOpBefore(producer, insert);
    rewriter.setInsertionPoint(producer);
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, loc, sourceType, insert.getDest(), insert.getMixedOffsets(),
        insert.getMixedSizes(), insert.getMixedStrides());
    rewriter.modifyOpInPlace(
        producer, [&] { producer.getDpsInitOperand(0)->set(slice); });
    return success();
  }
  if (producer && isa<linalg::CopyOp>(producer))
    return failure();
  rewriter.setInsertionPoint(insert);
  Value slice = tensor::ExtractSliceOp::create(
      rewriter, loc, sourceType, insert.getDest(), insert.getMixedOffsets(),
      insert.getMixedSizes(), insert.getMixedStrides());
  Value copied =
      linalg::CopyOp::create(rewriter, loc, insert.getSource(), slice)
          .getResult(0);
  rewriter.modifyOpInPlace(insert,
                           [&] { insert.getSourceMutable().assign(copied); });
  return success();
}

/// A constant padding as the source written into the interior of a fresh
/// tensor, then a linalg.fill of each border slab (for each padded dim, the
/// slabs below and above the source, within the source's extent along the
/// dims before it; for an image padded along its rows and columns, one loop
/// over the channels fills each channel's slabs). The source's producer writes
/// the interior itself when it can (see rewriteInsertInPlace), which saves a
/// pass over the image; else a linalg.copy does, vectorized like any
/// elementwise op instead of becoming a scalar copy at bufferization. Every
/// write goes to a slice of the tensor that only this padding writes: a fill of
/// the whole tensor first would be the same value for every padding of that
/// shape, and once CSE merged those, bufferization would copy it for each of
/// them.
static LogicalResult rewritePadAsFillAndCopy(RewriterBase &rewriter,
                                             tensor::PadOp pad) {
  Value padding = pad.getConstantPaddingValue();
  auto type = cast<RankedTensorType>(pad.getResultType());
  auto sourceType = cast<RankedTensorType>(pad.getSourceType());
  if (!padding || !type.hasStaticShape() || !sourceType.hasStaticShape() ||
      !pad.getLow().empty() || !pad.getHigh().empty())
    return failure();
  Location loc = pad.getLoc();
  ArrayRef<int64_t> low = pad.getStaticLow();
  ArrayRef<int64_t> shape = type.getShape();
  ArrayRef<int64_t> sourceShape = sourceType.getShape();
  SmallVector<int64_t> ones(type.getRank(), 1);
  auto strides = rewriter.getDenseI64ArrayAttr(ones);
  // Writes `value`, of the shape of `sizes`, into `dest` at `offsets`.
  auto insert = [&](Value value, Value dest, ArrayRef<int64_t> offsets,
                    ArrayRef<int64_t> sizes) -> Value {
    return tensor::InsertSliceOp::create(
        rewriter, loc, value, dest, ValueRange(), ValueRange(), ValueRange(),
        rewriter.getDenseI64ArrayAttr(offsets),
        rewriter.getDenseI64ArrayAttr(sizes), strides);
  };
  auto slice = [&](Value source, ArrayRef<int64_t> offsets,
                   ArrayRef<int64_t> sizes) -> Value {
    return tensor::ExtractSliceOp::create(
        rewriter, loc, RankedTensorType::get(sizes, type.getElementType()),
        source, ValueRange(), ValueRange(), ValueRange(),
        rewriter.getDenseI64ArrayAttr(offsets),
        rewriter.getDenseI64ArrayAttr(sizes), strides);
  };
  Value result = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
  // The source goes into the interior as a concatenation's input does: its
  // producer writes there directly when it can, else a copy does.
  auto interior = tensor::InsertSliceOp::create(
      rewriter, loc, pad.getSource(), result, ValueRange(), ValueRange(),
      ValueRange(), rewriter.getDenseI64ArrayAttr(low),
      rewriter.getDenseI64ArrayAttr(sourceShape), strides);
  result = interior.getResult();
  // Images padded along their rows and columns alone: loops over the images
  // and their channels fill each channel's frame, its rows above and below
  // the source, then its columns left and right of it. The threads share the
  // images (or one image's channels) when the frames touch enough cache
  // lines (each element of a column is a line of its own), where the slabs'
  // fills of all the channels would be four loops, the rows' too small to
  // share.
  int64_t rank = type.getRank();
  // The border slabs: for each padded dim, the slabs below and above the
  // source, within the source's extent along the dims before it.
  SmallVector<std::pair<SmallVector<int64_t>, SmallVector<int64_t>>> slabs;
  for (int64_t d = 0; d < rank; ++d) {
    SmallVector<int64_t> offsets, sizes;
    for (int64_t e = 0; e < rank; ++e) {
      offsets.push_back(e < d ? low[e] : 0);
      sizes.push_back(e < d ? sourceShape[e] : shape[e]);
    }
    int64_t high = shape[d] - low[d] - sourceShape[d];
    for (auto [offset, size] :
         {std::pair<int64_t, int64_t>{0, low[d]},
          std::pair<int64_t, int64_t>{low[d] + sourceShape[d], high}}) {
      if (size == 0)
        continue;
      offsets[d] = offset;
      sizes[d] = size;
      slabs.push_back({offsets, sizes});
    }
  }
  if (rank == 4 && low[0] == 0 && low[1] == 0 && shape[0] == sourceShape[0] &&
      shape[1] == sourceShape[1]) {
    int64_t columnLines =
        (low[3] > 0) + (shape[3] - low[3] - sourceShape[3] > 0);
    int64_t rowLines =
        (shape[2] - sourceShape[2]) * ((shape[3] + kLanes - 1) / kLanes);
    int64_t lines = rowLines + columnLines * sourceShape[2];
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value images = arith::ConstantIndexOp::create(rewriter, loc, shape[0]);
    Value channels = arith::ConstantIndexOp::create(rewriter, loc, shape[1]);
    // One image's frame at a time: the images of a batch, then their
    // channels, each frame's slabs written together.
    scf::ForOp channelLoop;
    auto frameLoop = scf::ForOp::create(
        rewriter, loc, zero, images, one, ValueRange{result},
        [&](OpBuilder &b, Location loc, Value image, ValueRange imageArgs) {
          channelLoop = scf::ForOp::create(
              b, loc, zero, channels, one, ValueRange{imageArgs[0]},
              [&](OpBuilder &b, Location loc, Value channel, ValueRange args) {
                Value frame = args[0];
                SmallVector<OpFoldResult> strideAttrs(4, b.getIndexAttr(1));
                for (auto [slabOffsets, slabSizes] : slabs) {
                  // The slab of this image's channel alone.
                  SmallVector<int64_t> sizes = slabSizes;
                  sizes[0] = sizes[1] = 1;
                  SmallVector<OpFoldResult> offsets =
                      getAsIndexOpFoldResult(b.getContext(), slabOffsets);
                  offsets[0] = image;
                  offsets[1] = channel;
                  SmallVector<OpFoldResult> sizeAttrs =
                      getAsIndexOpFoldResult(b.getContext(), sizes);
                  Value slab = tensor::ExtractSliceOp::create(
                      b, loc,
                      RankedTensorType::get(sizes, type.getElementType()),
                      frame, offsets, sizeAttrs, strideAttrs);
                  Value filled = linalg::FillOp::create(b, loc, padding, slab)
                                     .getResult(0);
                  frame = tensor::InsertSliceOp::create(
                      b, loc, filled, frame, offsets, sizeAttrs, strideAttrs);
                }
                scf::YieldOp::create(b, loc, frame);
              });
          scf::YieldOp::create(b, loc, channelLoop.getResult(0));
        });
    // The threads share the images, or a single image's channels.
    if (isWorthSharing({shape[0] * shape[1], lines * kLanes})) {
      if (shape[0] > 1)
        frameLoop->setAttr(kParallelMarker, rewriter.getUnitAttr());
      else if (shape[1] > 1)
        channelLoop->setAttr(kParallelMarker, rewriter.getUnitAttr());
    }
    rewriter.replaceOp(pad, frameLoop.getResult(0));
    (void)rewriteInsertInPlace(rewriter, interior);
    return success();
  }
  for (auto [offsets, sizes] : slabs) {
    Value border = linalg::FillOp::create(rewriter, loc, padding,
                                          slice(result, offsets, sizes))
                       .getResult(0);
    result = insert(border, result, offsets, sizes);
  }
  rewriter.replaceOp(pad, result);
  // Once the padding is gone, the interior's insert is its source's only use.
  (void)rewriteInsertInPlace(rewriter, interior);
  return success();
}

/// The widest run of an image's columns (output positions) that one tile of
/// a fused convolution epilogue covers: whole image rows, at most this many
/// positions, so that the tile's product stays in L2 for the epilogue. Rows
/// that are not whole vectors need several of them per tile for the vectors'
/// remainders to matter little: SqueezeNet's first convolution, rows of 111
/// positions, ran in tiles of 1 row under a limit of 256 and of 3 under 384,
/// 9% faster at 2 threads; a limit of 512 measured no better.
static constexpr int64_t kEpilogueColumns = 384;

/// The narrowest such run worth fusing: narrower tiles split the contraction
/// into vectors too short to pay for the pass over memory saved.
static constexpr int64_t kMinEpilogueColumns = 64;

/// The fewest tiles a fused epilogue worth sharing between threads is split
/// into, when its filters allow.
static constexpr int64_t kMinEpilogueTiles = 4;
/// The most filters a fused epilogue keeps whole, splitting rows rather than
/// filters to make kMinEpilogueTiles tiles (see fuseEpilogue).
static constexpr int64_t kFewFilters = 32;

/// The most bytes of the columns that one row tile of a fused epilogue reads
/// when the filters take several tiles: they must stay in L2 from one
/// filter tile to the next. (Measured on 3x3 convolutions: 128 filters on
/// 28x28 images, whose row tiles read 516 KiB, ran 20% slower fused;
/// SqueezeNet's last convolution, 1000 filters on 13x13 images reading
/// 338 KiB, ran 3% faster fused.)
static constexpr int64_t kEpilogueColumnBytes = 384 * 1024;

/// The deepest sums, and the largest tile of the product in bytes, of a
/// fused epilogue whose tile is kept within half of L1 (see fuseEpilogue).
static constexpr int64_t kShallowReduction = 32;
static constexpr int64_t kShallowTileBytes = 24 * 1024;
/// The most columns, in bytes, that one chunk of channels of a deep fused
/// epilogue gathers (see fuseEpilogue): an eighth of L2, with the filter
/// tile's product beside it.
static constexpr int64_t kChunkColumnBytes = 128 * 1024;

/// The largest divisor of `size` that is at most `limit`, preferring
/// multiples of `multiple`.
static int64_t divisorAtMost(int64_t size, int64_t limit, int64_t multiple) {
  int64_t best = 1, bestMultiple = 0;
  for (int64_t d = 1; d <= std::min(size, limit); ++d) {
    if (size % d != 0)
      continue;
    best = d;
    if (d % multiple == 0)
      bestMultiple = d;
  }
  return bestMultiple ? bestMultiple : best;
}

/// The left-hand sides of matmuls packed so far, by the constant they were
/// packed from: every tile of one convolution's weights reads one packing.
using PackedConstants = DenseMap<Attribute, Value>;

/// The bytes of the f32 constant `value` is, seen through collapse_shape
/// ops, when it has `elements` values; the constant's attribute in `weights`.
static std::optional<ArrayRef<char>>
constantF32Bytes(Value value, int64_t elements, Attribute &weights) {
  while (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>())
    value = collapse.getSrc();
  if (!matchPattern(value, m_Constant(&weights)))
    return std::nullopt;
  std::optional<ArrayRef<char>> bytes = kiln::rawElements(weights);
  if (!bytes || bytes->size() != size_t(elements) * 4)
    return std::nullopt;
  return bytes;
}

/// `weights`, (rows, depth) f32 whose bytes are `bytes`, laid out in blocks
/// of 8 rows, (rows / 8, depth, 8): packed[b][k][r] = weights[b * 8 + r][k].
/// The constant is made once, at the start of `user`'s function.
static Value packedLhsConstant(RewriterBase &rewriter, Operation *user,
                               Attribute weights, ArrayRef<char> bytes,
                               int64_t rows, int64_t depth,
                               PackedConstants &packings) {
  Value &packed = packings[weights];
  if (packed)
    return packed;
  std::vector<char> data(bytes.size());
  const float *from = reinterpret_cast<const float *>(bytes.data());
  float *to = reinterpret_cast<float *>(data.data());
  for (int64_t b = 0; b < rows / kPackedLhsRows; ++b)
    for (int64_t k = 0; k < depth; ++k)
      for (int64_t r = 0; r < kPackedLhsRows; ++r)
        to[(b * depth + k) * kPackedLhsRows + r] =
            from[(b * kPackedLhsRows + r) * depth + k];
  auto packedType = RankedTensorType::get(
      {rows / kPackedLhsRows, depth, kPackedLhsRows}, rewriter.getF32Type());
  auto func = user->getParentOfType<FunctionOpInterface>();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(&func.getFunctionBody().front());
  packed = arith::ConstantOp::create(
      rewriter, user->getLoc(),
      cast<TypedAttr>(kiln::makeConstant(packedType, data, "packed")));
  return packed;
}

/// The columns (channels * KH * KW, rows * OW) of the channels [channel,
/// channel + channels) and the output rows [row, row + rows) that `gather`
/// gathers for the whole image: each tap's slice of those, copied into its
/// place.
static Value gatherSlice(OpBuilder &b, Location loc, const TapGather &gather,
                         OpFoldResult channel, int64_t channels,
                         OpFoldResult row, int64_t rows) {
  Type element =
      cast<RankedTensorType>(gather.taps.front().getType()).getElementType();
  Value columns = tensor::EmptyOp::create(
      b, loc,
      ArrayRef<int64_t>{1, channels, gather.kh, gather.kw, rows, gather.ow},
      element);
  OpFoldResult zero = b.getIndexAttr(0);
  columns = copyTapSlices(b, loc, gather.taps, gather.kw, columns,
                          {zero, channel, row, zero}, {zero, zero, zero, zero},
                          {1, channels, rows, gather.ow});
  SmallVector<ReassociationIndices> toMatrix = {{0, 1, 2, 3}, {4, 5}};
  return tensor::CollapseShapeOp::create(b, loc, columns, toMatrix);
}

/// Fuses the elementwise op that consumes a convolution's product (its
/// bias, activation, residual addition) into the contraction, tile by tile:
/// `matmul`, filter (F, K) times columns (K, H*W), whose result is reshaped
/// to the image (1, F, H, W) and read only by an elementwise generic over
/// that image, becomes a loop nest over tiles of whole image rows and of
/// filters. Each tile computes its part of the product, starting from its
/// part of the bias broadcast (or fill) that initialized the product, then
/// applies the elementwise op to it while it is in cache, writing the
/// consumer's output directly. The product, its initialization and the
/// elementwise op then make one pass over memory instead of three. The tile
/// sizes divide the image and the filters, so every tile is static. A
/// reduction of each channel's image to one value (a global pooling) is
/// fused so too when the image is one row tile: each filter tile then
/// writes its sums, and the product never reaches memory.
static LogicalResult fuseEpilogue(RewriterBase &rewriter,
                                  linalg::MatmulOp matmul,
                                  DenseMap<Value, TapGather> &gathers,
                                  PackedConstants &packings) {
  if (!matmul.hasPureTensorSemantics() || matmul->getNumResults() != 1 ||
      !llvm::all_of(matmul->getOperands(), isFloat32) ||
      matmul.getIndexingMapsArray() !=
          linalg::MatmulOp::getDefaultIndexingMaps(matmul.getContext()))
    return failure();
  auto productType = dyn_cast<RankedTensorType>(matmul->getResult(0).getType());
  if (!productType || !productType.hasStaticShape())
    return failure();
  int64_t filters = productType.getDimSize(0);
  int64_t columns = productType.getDimSize(1);
  int64_t reduction =
      cast<RankedTensorType>(matmul.getInputs()[0].getType()).getDimSize(1);

  // The product reshaped to the image, through expand_shape ops alone.
  Value image = matmul->getResult(0);
  SmallVector<tensor::ExpandShapeOp> expands;
  while (image.hasOneUse()) {
    auto expand = dyn_cast<tensor::ExpandShapeOp>(*image.getUsers().begin());
    if (!expand)
      break;
    expands.push_back(expand);
    image = expand.getResult();
  }
  auto imageType = cast<RankedTensorType>(image.getType());
  if (expands.empty() || imageType.getRank() != 4 ||
      imageType.getDimSize(0) != 1 || imageType.getDimSize(1) != filters ||
      imageType.getDimSize(2) * imageType.getDimSize(3) != columns ||
      !image.hasOneUse())
    return failure();
  int64_t height = imageType.getDimSize(2), width = imageType.getDimSize(3);

  // Its one reader: an elementwise op over the image, every operand read or
  // written element for element, the image read once, the output's initial
  // value never read; or a reduction of each channel's image to one value
  // (a global pooling, with the activation before it fused in), its inputs
  // read element for element.
  auto consumer = dyn_cast<linalg::GenericOp>(*image.getUsers().begin());
  if (!consumer || !consumer.hasPureTensorSemantics() ||
      consumer.getNumDpsInits() != 1 || consumer->getNumResults() != 1 ||
      consumer.getNumLoops() != 4 ||
      !llvm::all_of(consumer->getOperands(), isFloat32) ||
      llvm::count(consumer.getDpsInputs(), image) != 1 ||
      !llvm::all_of(consumer.getDpsInputOperands(), [&](OpOperand *input) {
        return consumer.getMatchingIndexingMap(input).isIdentity();
      }))
    return failure();
  MLIRContext *context = rewriter.getContext();
  AffineExpr zeroExpr = getAffineConstantExpr(0, context);
  bool pools =
      consumer.getIteratorTypesArray() ==
          ArrayRef<utils::IteratorType>{
              utils::IteratorType::parallel, utils::IteratorType::parallel,
              utils::IteratorType::reduction, utils::IteratorType::reduction} &&
      consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0)) ==
          AffineMap::get(4, 0,
                         {getAffineDimExpr(0, context),
                          getAffineDimExpr(1, context), zeroExpr, zeroExpr},
                         context);
  if (!pools &&
      (consumer.getNumParallelLoops() != consumer.getNumLoops() ||
       !consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0))
            .isIdentity() ||
       consumer.payloadUsesValueFromOperand(consumer.getDpsInitOperand(0))))
    return failure();

  // Whole rows, preferring a multiple of 16 positions (whole vectors).
  int64_t rowsPerTile = 1;
  bool wholeVectors = false;
  for (int64_t rows = 1; rows <= height; ++rows) {
    if (height % rows != 0 || rows * width > kEpilogueColumns)
      continue;
    bool whole = rows * width % kLanes == 0;
    if (whole || !wholeVectors) {
      rowsPerTile = rows;
      wholeVectors = whole;
    }
  }
  int64_t tileColumns = rowsPerTile * width;
  if (tileColumns < kMinEpilogueColumns && rowsPerTile != height)
    return failure();
  // A reduction's tile reduces whole images: the tiles of rows would add
  // into the same outputs.
  if (pools && rowsPerTile != height)
    return failure();
  // Every tile of filters reads the row tile's columns again: unless they
  // stay in L2 between the filter tiles, the fused nest streams them from
  // memory once per filter tile, which costs more than the passes saved.
  int64_t filtersPerTile = divisorAtMost(filters, 64, 8);
  // Sums of a few products (MobileNetV2's expansions of 16 to 32 channels)
  // leave the tile's bias, product and consumer passes most of the work:
  // their tile of the product then stays within half of L1 between them.
  // MobileNetV2 ran 4% faster at 2 threads so; deeper sums (SqueezeNet's 64)
  // measured no better.
  if (reduction <= kShallowReduction)
    filtersPerTile = divisorAtMost(
        filters,
        std::clamp<int64_t>(kShallowTileBytes / (tileColumns * 4), 8, 64), 8);
  // A small image is one row tile: its filters then make the tiles that
  // the threads share, at least kMinEpilogueTiles of them when they divide.
  bool shared = isWorthSharing({filters, columns, reduction});

  // The columns, when a gather of taps produces them and the threads share
  // the row tiles: each row tile then gathers its own columns, which stay in
  // cache for its product, where a gather of the whole image would write
  // them to memory and the product read them back.
  const TapGather *gather = nullptr;
  Value gatherKey;
  auto findGather = [&] {
    Value columnsValue = matmul.getInputs()[1];
    while (!gathers.count(columnsValue)) {
      auto collapse = columnsValue.getDefiningOp<tensor::CollapseShapeOp>();
      if (!collapse)
        break;
      columnsValue = collapse.getSrc();
    }
    auto found = gathers.find(columnsValue);
    if (found != gathers.end() && found->second.oh == height &&
        found->second.ow == width &&
        found->second.channels * found->second.kh * found->second.kw ==
            reduction) {
      gather = &found->second;
      gatherKey = columnsValue;
    }
  };
  // Deep sums whose columns would not stay in L2 (more than
  // kRowsOuterRhsBytes: ResNet-18's 14x14 convolutions' 1.8 MB), on images of
  // one row tile, run in two filter tiles, one per thread, each summing its
  // products chunk of channels by chunk of channels: each chunk gathers its
  // columns (at most kChunkColumnBytes) itself, which stay in L2 for the
  // chunk's product. The columns then never reach memory, where both threads
  // would stream all of them: those convolutions ran 20% faster at 2
  // threads. With 900 KB of columns (the 7x7 ones), which stay in L2, the
  // second gather cost more than it saved.
  int64_t chunkChannels = 0;
  if (filtersPerTile != filters &&
      reduction * tileColumns * 4 > kEpilogueColumnBytes) {
    if (!pools && shared && rowsPerTile == height &&
        reduction * tileColumns * 4 > kRowsOuterRhsBytes &&
        filters % (2 * kPackedLhsRows) == 0) {
      findGather();
      for (int64_t c = gather ? gather->channels : 0; c > 0; --c)
        if (gather->channels % c == 0 &&
            c * gather->kh * gather->kw * tileColumns * 4 <=
                kChunkColumnBytes) {
          chunkChannels = c;
          break;
        }
    }
    if (!chunkChannels)
      return failure();
    filtersPerTile = filters / 2;
  }
  // When the threads share the filter tiles, they are balanced between
  // them: 576 filters in tiles of 64 are 9, which 2 threads share 5 and 4;
  // in tiles of 48 they are 12.
  if (shared && height == rowsPerTile && !chunkChannels) {
    int64_t balanced = balancedTile(filters, 64, 8, 32);
    if (filters % balanced == 0)
      filtersPerTile = balanced;
  }
  // Too few tiles for the threads: a few filters (at most kFewFilters) stay
  // whole, and the image's rows split into smaller tiles, when whole rows
  // give enough of them. Split filters would each read all the row tile's
  // columns again for only two register blocks of rows: SqueezeNet's
  // 32-filter squeezes of 27x27 images (3 row tiles of 9 rows) ran 1.8 times
  // as fast at 2 threads in 9 row tiles of 3 rows as in 2 x 3 tiles.
  if (shared && !chunkChannels && filters <= kFewFilters &&
      height / rowsPerTile > 1 &&
      filters / filtersPerTile * (height / rowsPerTile) < kMinEpilogueTiles) {
    for (int64_t rows = rowsPerTile - 1; rows >= 1; --rows)
      if (height % rows == 0 && height / rows >= kMinEpilogueTiles &&
          rows * width >= kMinEpilogueColumns) {
        rowsPerTile = rows;
        tileColumns = rows * width;
        break;
      }
  }
  while (shared && !chunkChannels && filtersPerTile % 16 == 0 &&
         filters / filtersPerTile * (height / rowsPerTile) < kMinEpilogueTiles)
    filtersPerTile /= 2;
  if (height / rowsPerTile > 1)
    findGather();

  // What initialized the product: a bias broadcast over the image, a fill,
  // or any other tensor, sliced.
  Value init = matmul.getDpsInits()[0];
  Value initSource = init;
  while (auto collapse = initSource.getDefiningOp<tensor::CollapseShapeOp>())
    initSource = collapse.getSrc();
  auto broadcast = initSource.getDefiningOp<linalg::BroadcastOp>();
  if (broadcast &&
      (!broadcast.hasPureTensorSemantics() ||
       broadcast.getDimensions() != ArrayRef<int64_t>{0, 2, 3} ||
       cast<RankedTensorType>(broadcast.getInput().getType()).getShape() !=
           ArrayRef<int64_t>{filters} ||
       initSource.getType() != image.getType()))
    broadcast = {};
  auto fill = init.getDefiningOp<linalg::FillOp>();

  Location loc = consumer.getLoc();
  rewriter.setInsertionPoint(consumer);
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(rewriter, loc, value).getResult();
  };
  Value zero = index(0);
  Value widthValue = index(width);
  Type element = productType.getElementType();
  SmallVector<ReassociationIndices> toImage = {{0, 1}, {2, 3}};
  auto tileType = RankedTensorType::get({filtersPerTile, tileColumns}, element);
  auto imageTileType =
      RankedTensorType::get({1, filtersPerTile, rowsPerTile, width}, element);
  OpFoldResult zeroAttr = rewriter.getIndexAttr(0);
  OpFoldResult oneAttr = rewriter.getIndexAttr(1);
  SmallVector<OpFoldResult> ones2(2, oneAttr), ones4(4, oneAttr);
  SmallVector<OpFoldResult> tileSizes = getAsIndexOpFoldResult(
      rewriter.getContext(), {1, filtersPerTile, rowsPerTile, width});

  // Shallow sums over constant filters, on images whose rows are whole
  // register tiles of 8 positions or more, or whose output is one
  // contiguous matrix (flatRegisterTiles), run the epilogue on each register
  // tile (see registerTile below): the product never leaves registers. Their
  // passes over the tile (the bias, the product, the consumer) are most of
  // their work otherwise. MobileNetV2 ran 5% faster so, SqueezeNet 2-3%;
  // rows of 7, 14 or 55 positions split row by row into tiles of 4, 2 and 1
  // ran slower.
  Value packedFilters;
  // An output that is a fresh image, written by a consumer that reads the
  // product alone, is one contiguous matrix (F, H * W): its register tiles
  // may run across rows.
  bool flatRegisterTiles =
      width % kPackedLhsRows != 0 &&
      consumer.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>() &&
      consumer.getNumDpsInputs() == 1;
  if (!pools && shared && reduction <= kShallowReduction &&
      filtersPerTile % kPackedLhsRows == 0 &&
      (width % kPackedLhsRows == 0 || flatRegisterTiles) &&
      consumer.getBody()->getOps<linalg::IndexOp>().empty()) {
    Attribute weights;
    if (std::optional<ArrayRef<char>> bytes = constantF32Bytes(
            matmul.getInputs()[0], filters * reduction, weights))
      packedFilters = packedLhsConstant(rewriter, matmul, weights, *bytes,
                                        filters, reduction, packings);
  }

  // The initial value of the product's tile of `rows` filters from `filter`
  // by `cols` columns from `column`: the bias broadcast over it, the fill, or
  // the tile of any other initial value. A broadcast or fill made here gets
  // `marker` as its vectorization strategy when it is given.
  auto initialTile = [&](OpBuilder &b, Location loc, Value filter, Value column,
                         int64_t rows, int64_t cols,
                         StringAttr marker) -> Value {
    auto type = RankedTensorType::get({rows, cols}, element);
    Operation *op;
    if (broadcast) {
      Value bias = tensor::ExtractSliceOp::create(
          b, loc, broadcast.getInput(), ArrayRef<OpFoldResult>{filter},
          ArrayRef<OpFoldResult>{b.getIndexAttr(rows)},
          ArrayRef<OpFoldResult>{oneAttr});
      Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), element);
      op = linalg::BroadcastOp::create(b, loc, bias, empty,
                                       ArrayRef<int64_t>{1});
    } else if (fill) {
      Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), element);
      op = linalg::FillOp::create(b, loc, fill.getInputs()[0], empty);
    } else {
      return tensor::ExtractSliceOp::create(
          b, loc, init, SmallVector<OpFoldResult>{filter, column},
          getAsIndexOpFoldResult(b.getContext(), {rows, cols}), ones2);
    }
    if (marker)
      op->setAttr(kVectorizeMarker, marker);
    return op->getResult(0);
  };

  // The register tile of 8 filters from `filter` and `cols` positions from
  // `position` of the image seen as a matrix (F, H * W): its product starts
  // from the bias (or fill, or initial value) in registers, each step of k
  // adds the outer product of the packed filters' 8 values and the columns'
  // `cols` values at `column` of `columns`, and the consumer applies to it
  // before its one store into `dest`'s slice at `at`, which it returns. The
  // vectorization carries the product through the k loop
  // (kPartialResultsMarker) and folds its writes and reads away: the
  // product never reaches memory.
  auto registerTile = [&](OpBuilder &b, Location loc, Value filter,
                          Value position, Value columns, Value column,
                          int64_t cols, Value dest,
                          ArrayRef<OpFoldResult> at) -> Value {
    MLIRContext *ctx = b.getContext();
    StringAttr elementwise = b.getStringAttr("elementwise");
    auto accType = RankedTensorType::get({kPackedLhsRows, cols}, element);
    Value start = initialTile(b, loc, filter, position, kPackedLhsRows, cols,
                              elementwise);
    Value block = arith::DivUIOp::create(b, loc, filter, index(kPackedLhsRows));
    auto k = scf::ForOp::create(
        b, loc, zero, index(reduction), index(1), ValueRange{start},
        [&](OpBuilder &b, Location loc, Value step, ValueRange args) {
          Value lhs = tensor::ExtractSliceOp::create(
              b, loc, RankedTensorType::get({1, kPackedLhsRows}, element),
              packedFilters, SmallVector<OpFoldResult>{block, step, zeroAttr},
              getAsIndexOpFoldResult(ctx, {1, 1, kPackedLhsRows}),
              SmallVector<OpFoldResult>(3, oneAttr));
          Value rhs = tensor::ExtractSliceOp::create(
              b, loc, columns, SmallVector<OpFoldResult>{step, column},
              getAsIndexOpFoldResult(ctx, {1, cols}), ones2);
          auto product = linalg::MatmulTransposeAOp::create(
              b, loc, TypeRange{accType}, ValueRange{lhs, rhs}, args);
          product->setAttr(kVectorizeMarker, b.getStringAttr("contraction"));
          scf::YieldOp::create(b, loc, product->getResult(0));
        });
    k->setAttr(kPartialResultsMarker, b.getUnitAttr());
    // The slices of the image at `at`, (1, 8, 1, cols) of (1, F, H, W) or
    // (8, cols) of (F, H * W), seen as (8, cols).
    SmallVector<int64_t> shape =
        at.size() == 4 ? SmallVector<int64_t>{1, kPackedLhsRows, 1, cols}
                       : SmallVector<int64_t>{kPackedLhsRows, cols};
    SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(ctx, shape);
    SmallVector<OpFoldResult> strides(at.size(), oneAttr);
    auto sliceOf = [&](Value image) -> Value {
      return tensor::ExtractSliceOp::create(b, loc, accType, image, at, sizes,
                                            strides);
    };
    SmallVector<Value> inputs;
    for (Value input : consumer.getDpsInputs())
      inputs.push_back(input == image ? k.getResult(0) : sliceOf(input));
    SmallVector<AffineMap> maps(inputs.size() + 1,
                                AffineMap::getMultiDimIdentityMap(2, ctx));
    auto tiled = linalg::GenericOp::create(
        b, loc, TypeRange{accType}, inputs, ValueRange{sliceOf(dest)}, maps,
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel));
    IRMapping mapping;
    consumer.getRegion().cloneInto(&tiled.getRegion(), mapping);
    tiled->setAttr(kVectorizeMarker, elementwise);
    return tensor::InsertSliceOp::create(b, loc, tiled.getResult(0), dest, at,
                                         sizes, strides);
  };
  // The register tiles of a line of `length` positions from `position` of
  // the image matrix, its columns from `column` of `columns`, written into
  // `dest` at the slice `at` gives for a filter and an offset in the line:
  // tiles of 32 positions, then of 16, 8, ... for the rest; the filters'
  // blocks inside, so that each tile's panel of columns (k x 32) stays in L1
  // while they pass.
  auto lineTiles =
      [&](OpBuilder &b, Location loc, Value dest, Value position, Value columns,
          Value column, int64_t length, Value filter,
          function_ref<SmallVector<OpFoldResult>(Value, Value, Value)> at)
      -> Value {
    int64_t from = 0;
    for (int64_t cols = 2 * kLanes; cols > 0 && from < length; cols /= 2) {
      int64_t to = from + (length - from) / cols * cols;
      if (to == from)
        continue;
      dest =
          scf::ForOp::create(
              b, loc, index(from), index(to), index(cols), ValueRange{dest},
              [&](OpBuilder &b, Location loc, Value x, ValueRange args) {
                Value tilePosition = arith::AddIOp::create(b, loc, position, x);
                Value tileColumn = arith::AddIOp::create(b, loc, column, x);
                // The blocks' filters are computed from `filter`, so that
                // the threads' outlining sees each filter tile's writes
                // depend on the shared loop's induction variable.
                auto blocks = scf::ForOp::create(
                    b, loc, zero, index(filtersPerTile), index(kPackedLhsRows),
                    ValueRange{args[0]},
                    [&](OpBuilder &b, Location loc, Value i, ValueRange args) {
                      Value f = arith::AddIOp::create(b, loc, filter, i);
                      scf::YieldOp::create(
                          b, loc,
                          registerTile(b, loc, f, tilePosition, columns,
                                       tileColumn, cols, args[0],
                                       at(f, x, tilePosition)));
                    });
                scf::YieldOp::create(b, loc, blocks.getResult(0));
              })
              .getResult(0);
      from = to;
    }
    return dest;
  };
  // Every register tile of a tile of rows and filters: row by row, or, in an
  // output that is one contiguous matrix (F, H * W) (flatRegisterTiles),
  // along the tile's positions as one line, so that rows whose width is not
  // a multiple of 8 leave one narrow remainder per tile, not one per row.
  auto registerTiles = [&](OpBuilder &b, Location loc, Value row, Value filter,
                           Value gathered, Value dest) -> Value {
    Value columns = gathered ? gathered : matmul.getInputs()[1];
    if (flatRegisterTiles) {
      Value first = arith::MulIOp::create(b, loc, row, widthValue);
      SmallVector<ReassociationIndices> toMatrix = {{0, 1}, {2, 3}};
      Value matrix = tensor::CollapseShapeOp::create(b, loc, dest, toMatrix);
      matrix =
          lineTiles(b, loc, matrix, first, columns, gathered ? zero : first,
                    tileColumns, filter, [&](Value f, Value, Value position) {
                      return SmallVector<OpFoldResult>{f, position};
                    });
      return tensor::ExpandShapeOp::create(b, loc, dest.getType(), matrix,
                                           toMatrix);
    }
    auto rows = scf::ForOp::create(
        b, loc, zero, index(rowsPerTile), index(1), ValueRange{dest},
        [&](OpBuilder &b, Location loc, Value r, ValueRange args) {
          Value imageRow = arith::AddIOp::create(b, loc, row, r);
          Value position = arith::MulIOp::create(b, loc, imageRow, widthValue);
          Value column = gathered ? arith::MulIOp::create(b, loc, r, widthValue)
                                  : position;
          scf::YieldOp::create(
              b, loc,
              lineTiles(
                  b, loc, args[0], position, columns, column, width, filter,
                  [&](Value f, Value x, Value) {
                    return SmallVector<OpFoldResult>{zeroAttr, f, imageRow, x};
                  }));
        });
    return rows.getResult(0);
  };

  // One tile of rows and filters: its part of the product, starting from
  // its part of the initial value, and the consumer's tile of it, written
  // into `dest`, which it returns.
  auto computeTile = [&](OpBuilder &b, Location loc, Value row, Value filter,
                         Value gathered, Value dest) -> Value {
    if (packedFilters)
      return registerTiles(b, loc, row, filter, gathered, dest);
    Value column = arith::MulIOp::create(b, loc, row, widthValue);
    // The tile of a matrix at (`row`, `col`) of `rows` x `cols`.
    auto tileOf = [&](Value matrix, OpFoldResult row, OpFoldResult col,
                      int64_t rows, int64_t cols) -> Value {
      return tensor::ExtractSliceOp::create(
          b, loc, matrix, SmallVector<OpFoldResult>{row, col},
          getAsIndexOpFoldResult(b.getContext(), {rows, cols}), ones2);
    };
    Value start = initialTile(b, loc, filter, column, filtersPerTile,
                              tileColumns, StringAttr());
    Value product;
    if (chunkChannels) {
      int64_t taps = gather->kh * gather->kw;
      auto chunks = scf::ForOp::create(
          b, loc, zero, index(gather->channels), index(chunkChannels),
          ValueRange{start},
          [&](OpBuilder &b, Location loc, Value channel, ValueRange args) {
            Value chunk = gatherSlice(b, loc, *gather, channel, chunkChannels,
                                      b.getIndexAttr(0), height);
            Value k = arith::MulIOp::create(b, loc, channel, index(taps));
            Value part = tileOf(matmul.getInputs()[0], filter, k,
                                filtersPerTile, chunkChannels * taps);
            scf::YieldOp::create(
                b, loc,
                linalg::MatmulOp::create(b, loc, tileType,
                                         ValueRange{part, chunk}, args[0])
                    .getResult(0));
          });
      product = chunks.getResult(0);
    } else {
      Value lhs = tileOf(matmul.getInputs()[0], filter, zeroAttr,
                         filtersPerTile, reduction);
      Value rhs = gathered ? gathered
                           : tileOf(matmul.getInputs()[1], zeroAttr, column,
                                    reduction, tileColumns);
      product = linalg::MatmulOp::create(b, loc, tileType, ValueRange{lhs, rhs},
                                         start)
                    .getResult(0);
    }
    Value productImage =
        tensor::ExpandShapeOp::create(b, loc, imageTileType, product, toImage);
    SmallVector<OpFoldResult> offsets = {zeroAttr, filter, row, zeroAttr};
    // A reduction's tile writes one value per filter.
    SmallVector<OpFoldResult> outOffsets =
        pools ? SmallVector<OpFoldResult>{zeroAttr, filter, zeroAttr, zeroAttr}
              : offsets;
    SmallVector<OpFoldResult> outSizes =
        pools
            ? getAsIndexOpFoldResult(b.getContext(), {1, filtersPerTile, 1, 1})
            : tileSizes;
    auto outType =
        pools ? RankedTensorType::get({1, filtersPerTile, 1, 1}, element)
              : imageTileType;
    SmallVector<Value> operands;
    for (Value input : consumer.getDpsInputs())
      operands.push_back(input == image ? productImage
                                        : tensor::ExtractSliceOp::create(
                                              b, loc, imageTileType, input,
                                              offsets, tileSizes, ones4)
                                              .getResult());
    Value out = tensor::ExtractSliceOp::create(b, loc, outType, dest,
                                               outOffsets, outSizes, ones4);
    operands.push_back(out);
    Operation *tiled =
        clone(b, consumer.getOperation(), TypeRange{outType}, operands);
    Value written = tensor::InsertSliceOp::create(
        b, loc, tiled->getResult(0), dest, outOffsets, outSizes, ones4);
    return written;
  };

  // The threads share the row tiles, or the filter tiles when the image is
  // one row tile. With a few row tiles that the threads would share
  // unevenly (3 on 2 threads: 2 and 1), and filter tiles they share more
  // evenly, the loop over the filter tiles is the outer one, and the one
  // they share: 3 row tiles and 2 filter tiles are then 3 tiles for each
  // thread instead of 4 for the busier one. Each filter tile then gathers
  // its own columns.
  int64_t rowTiles = height / rowsPerTile;
  int64_t filterTiles = filters / filtersPerTile;
  auto busiest = [](int64_t tiles, int64_t threads) {
    return (tiles + threads - 1) / threads;
  };
  bool filtersOuter =
      shared && rowTiles > 1 && filterTiles > 1 &&
      busiest(filterTiles, 2) * rowTiles < busiest(rowTiles, 2) * filterTiles;
  auto rowLoopOver =
      [&](OpBuilder &b, Location loc, Value dest,
          function_ref<Value(OpBuilder &, Location, Value, Value, Value)>
              inner) {
        return scf::ForOp::create(
            b, loc, zero, index(height), index(rowsPerTile), ValueRange{dest},
            [&](OpBuilder &b, Location loc, Value row, ValueRange args) {
              Value gathered;
              if (gather)
                gathered = gatherSlice(b, loc, *gather, b.getIndexAttr(0),
                                       gather->channels, row, rowsPerTile);
              scf::YieldOp::create(b, loc,
                                   inner(b, loc, row, gathered, args[0]));
            });
      };
  auto filterLoopOver =
      [&](OpBuilder &b, Location loc, Value dest,
          function_ref<Value(OpBuilder &, Location, Value, Value)> inner) {
        return scf::ForOp::create(
            b, loc, zero, index(filters), index(filtersPerTile),
            ValueRange{dest},
            [&](OpBuilder &b, Location loc, Value filter, ValueRange args) {
              scf::YieldOp::create(b, loc, inner(b, loc, filter, args[0]));
            });
      };
  Value init0 = consumer.getDpsInits()[0];
  scf::ForOp outerLoop, innerLoop;
  if (filtersOuter) {
    outerLoop = filterLoopOver(
        rewriter, loc, init0,
        [&](OpBuilder &b, Location loc, Value filter, Value dest) {
          innerLoop = rowLoopOver(b, loc, dest,
                                  [&](OpBuilder &b, Location loc, Value row,
                                      Value gathered, Value dest) {
                                    return computeTile(b, loc, row, filter,
                                                       gathered, dest);
                                  });
          return innerLoop.getResult(0);
        });
  } else {
    outerLoop = rowLoopOver(
        rewriter, loc, init0,
        [&](OpBuilder &b, Location loc, Value row, Value gathered, Value dest) {
          innerLoop = filterLoopOver(
              b, loc, dest,
              [&](OpBuilder &b, Location loc, Value filter, Value dest) {
                return computeTile(b, loc, row, filter, gathered, dest);
              });
          return innerLoop.getResult(0);
        });
  }
  if (shared) {
    if (filtersOuter || rowTiles > 1)
      outerLoop->setAttr(kParallelMarker, rewriter.getUnitAttr());
    else if (filterTiles > 1)
      innerLoop->setAttr(kParallelMarker, rewriter.getUnitAttr());
  }
  rewriter.replaceOp(consumer, outerLoop.getResult(0));
  for (tensor::ExpandShapeOp expand : llvm::reverse(expands))
    rewriter.eraseOp(expand);
  Value columnsValue = matmul.getInputs()[1];
  rewriter.eraseOp(matmul);
  // A gather no other op reads goes, with the reshapes of its columns.
  if (gather) {
    Operation *gatherOp = gather->gather;
    gathers.erase(gatherKey);
    while (columnsValue.use_empty()) {
      Operation *producer = columnsValue.getDefiningOp();
      if (!producer || producer->getNumResults() != 1)
        break;
      Value source = producer->getNumOperands() > 0 && producer != gatherOp
                         ? producer->getOperand(0)
                         : Value();
      rewriter.eraseOp(producer);
      if (!source)
        break;
      columnsValue = source;
    }
  }
  return success();
}

static FailureOr<linalg::LinalgOp>
dropUnitDimsToNamed(RewriterBase &rewriter, Operation *op, bool parallelOnly);

/// Tiles `op` by `strategy`'s register tiles, marks the register tile for
/// vectorization and returns the register loops, outermost first.
static FailureOr<SmallVector<scf::ForOp>>
tileRegisters(RewriterBase &rewriter, Operation *op, const Strategy &strategy,
              ArrayRef<int64_t> sizes) {
  FailureOr<scf::SCFTilingResult> reg =
      tile(rewriter, op, sizes, strategy.registerOrder);
  if (failed(reg))
    return failure();
  Operation *tiled = reg->tiledOps.front();
  // A register tile of a contraction over a packed left-hand side's blocks
  // (prepackConstantLhs) reads one block: without the unit dims of the block
  // and the rows' other dims, it is a matmul whose left-hand side is read
  // transposed, (k, m), which vectorizes into one outer product per step of
  // k without transposing anything.
  if (hasPackedRowBlocks(tiled)) {
    FailureOr<linalg::LinalgOp> named =
        dropUnitDimsToNamed(rewriter, tiled, /*parallelOnly=*/true);
    if (succeeded(named))
      tiled = *named;
  }
  tiled->setAttr(kVectorizeMarker, rewriter.getStringAttr(strategy.name));
  SmallVector<scf::ForOp> loops;
  for (LoopLikeOpInterface loop : reg->loops)
    if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
      loops.push_back(forOp);
  return loops;
}

namespace {

/// What copying a contraction's right-hand side panel by panel made.
struct PackedPanels {
  /// The contraction of one panel, reading the copy.
  Operation *contraction;
  /// The register loops of the copy, then the loop over the panels.
  SmallVector<scf::ForOp> loops;
};

} // namespace

/// Splits contraction `op` (one cache tile) into panels of one register
/// tile of n each, and has each panel's contraction read its part of the
/// right-hand side (`strategy.packedOperand`) through a copy into a fresh,
/// contiguous tensor, itself tiled as an elementwise op. The fresh tensor is
/// created inside the panel loop, so that every thread gets its own buffer.
static FailureOr<PackedPanels> packPanels(RewriterBase &rewriter, Operation *op,
                                          const Strategy &strategy) {
  SmallVector<int64_t> sizes(strategy.registerTiles.size(), 0);
  sizes[strategy.vectorDim] = strategy.registerTiles[strategy.vectorDim];
  FailureOr<scf::SCFTilingResult> panels = tile(rewriter, op, sizes, {});
  if (failed(panels))
    return failure();
  PackedPanels result;
  auto contraction = cast<linalg::LinalgOp>(panels->tiledOps.front());
  result.contraction = contraction;

  OpOperand &rhs = contraction->getOpOperand(strategy.packedOperand);
  Value panel = rhs.get();
  Location loc = contraction.getLoc();
  rewriter.setInsertionPoint(contraction);
  SmallVector<OpFoldResult> panelSizes =
      tensor::getMixedSizes(rewriter, loc, panel);
  Value buffer = tensor::EmptyOp::create(rewriter, loc, panelSizes,
                                         getElementTypeOrSelf(panel.getType()));
  auto copy = linalg::CopyOp::create(rewriter, loc, panel, buffer);
  // The contraction reads the copy through a slice of the panel's sizes:
  // tiling it then asks the slice for its sizes, which peeling makes
  // static, rather than the copy's loops, whose types stay dynamic.
  SmallVector<OpFoldResult> zeros(panelSizes.size(), rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> ones(panelSizes.size(), rewriter.getIndexAttr(1));
  Value packed = tensor::ExtractSliceOp::create(
      rewriter, loc, copy.getResult(0), zeros, panelSizes, ones);
  rewriter.modifyOpInPlace(contraction, [&] { rhs.set(packed); });
  std::optional<Strategy> copyStrategy =
      chooseStrategy(cast<linalg::LinalgOp>(copy.getOperation()));
  if (copyStrategy) {
    rewriter.setInsertionPoint(copy);
    FailureOr<SmallVector<scf::ForOp>> copyLoops = tileRegisters(
        rewriter, copy, *copyStrategy, copyStrategy->registerTiles);
    if (succeeded(copyLoops))
      result.loops.append(copyLoops->begin(), copyLoops->end());
  }
  // Inner loops first: peeling the panel loop copies the copy's loops.
  for (LoopLikeOpInterface loop : panels->loops)
    if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
      result.loops.push_back(forOp);
  return result;
}

/// Collapses the reduction loops of `op` into one when they are its
/// innermost loops, every input reads all its loops in order and the output
/// reads the others in order, then unit dims at constant 0 (a global pooling
/// over an image's rows and columns into a (N, C, 1, 1) output).
static LogicalResult collapseInnerReductions(RewriterBase &rewriter,
                                             linalg::GenericOp op) {
  unsigned loops = op.getNumLoops(), reductions = op.getNumReductionLoops();
  unsigned parallel = loops - reductions;
  if (op.getNumDpsInits() != 1 || parallel == 0)
    return failure();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = parallel; d < loops; ++d)
    if (iterators[d] != utils::IteratorType::reduction)
      return failure();
  for (OpOperand *input : op.getDpsInputOperands())
    if (!op.getMatchingIndexingMap(input).isIdentity())
      return failure();
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto outType = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  if (!outType || !outType.hasStaticShape() || out.getNumResults() < parallel)
    return failure();
  for (unsigned r = 0; r < out.getNumResults(); ++r) {
    bool ok =
        r < parallel
            ? out.getResult(r) == getAffineDimExpr(r, op.getContext())
            : out.getResult(r) == getAffineConstantExpr(0, op.getContext()) &&
                  outType.getDimSize(r) == 1;
    if (!ok)
      return failure();
  }
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // The inputs' reduction dims as one; the output's trailing unit dims
  // folded into its last parallel dim.
  SmallVector<ReassociationIndices> inGroups;
  for (unsigned d = 0; d < parallel; ++d)
    inGroups.push_back({int64_t(d)});
  ReassociationIndices inner;
  for (unsigned d = parallel; d < loops; ++d)
    inner.push_back(d);
  inGroups.push_back(inner);
  SmallVector<ReassociationIndices> outGroups;
  for (unsigned d = 0; d < parallel; ++d)
    outGroups.push_back({int64_t(d)});
  for (unsigned d = parallel; d < out.getNumResults(); ++d)
    outGroups.back().push_back(d);
  SmallVector<Value> inputs;
  for (Value input : op.getDpsInputs())
    inputs.push_back(
        tensor::CollapseShapeOp::create(rewriter, loc, input, inGroups));
  Value init = op.getDpsInits()[0];
  if (outGroups.size() != size_t(outType.getRank()))
    init = tensor::CollapseShapeOp::create(rewriter, loc, init, outGroups);
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps(
      inputs.size(), AffineMap::getMultiDimIdentityMap(parallel + 1, ctx));
  SmallVector<AffineExpr> outExprs;
  for (unsigned d = 0; d < parallel; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  maps.push_back(AffineMap::get(parallel + 1, 0, outExprs, ctx));
  SmallVector<utils::IteratorType> collapsedIterators(
      parallel, utils::IteratorType::parallel);
  collapsedIterators.push_back(utils::IteratorType::reduction);
  auto collapsed = linalg::GenericOp::create(
      rewriter, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      collapsedIterators);
  rewriter.inlineRegionBefore(op.getRegion(), collapsed.getRegion(),
                              collapsed.getRegion().begin());
  Value result = collapsed.getResult(0);
  if (result.getType() != outType)
    result = tensor::ExpandShapeOp::create(rewriter, loc, outType, result,
                                           outGroups);
  rewriter.replaceOp(op, result);
  return success();
}

/// Splits `op`, a reduction along its innermost loop that every operand
/// reading that loop reads along its innermost dim, in two along that loop:
/// an op over its first `length` steps, then one over the others that
/// continues from the first's result. Returns the first.
static FailureOr<linalg::LinalgOp> splitReductionTail(RewriterBase &rewriter,
                                                      linalg::LinalgOp op,
                                                      int64_t length) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || generic.getNumDpsInits() != 1)
    return failure();
  unsigned dim = op.getNumLoops() - 1;
  int64_t range = op.getStaticLoopRanges()[dim];
  Location loc = op.getLoc();
  // The operands of the part over steps [offset, offset + size).
  auto part = [&](int64_t offset, int64_t size) {
    SmallVector<Value> inputs;
    for (OpOperand *input : op.getDpsInputOperands()) {
      Value value = input->get();
      AffineMap map = op.getMatchingIndexingMap(input);
      if (map.getNumResults() == 0 || !map.isFunctionOfDim(dim)) {
        inputs.push_back(value);
        continue;
      }
      int64_t rank = map.getNumResults();
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, loc, value);
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      offsets.back() = rewriter.getIndexAttr(offset);
      sizes.back() = rewriter.getIndexAttr(size);
      inputs.push_back(tensor::ExtractSliceOp::create(rewriter, loc, value,
                                                      offsets, sizes, strides));
    }
    return inputs;
  };
  auto clonePart = [&](ValueRange inputs, Value init) {
    IRMapping mapping;
    auto cloned = cast<linalg::GenericOp>(rewriter.clone(*generic, mapping));
    rewriter.modifyOpInPlace(cloned, [&] {
      for (auto [operand, value] :
           llvm::zip(cloned.getDpsInputOperands(), inputs))
        operand->set(value);
      cloned.getDpsInitsMutable()[0].set(init);
    });
    return cloned;
  };
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isFunctionOfDim(dim) &&
        map.getResults().back() != getAffineDimExpr(dim, op.getContext()))
      return failure();
  }
  rewriter.setInsertionPoint(op);
  linalg::GenericOp vectors =
      clonePart(part(0, length), generic.getDpsInits()[0]);
  linalg::GenericOp tail =
      clonePart(part(length, range - length), vectors->getResult(0));
  rewriter.replaceOp(op, tail->getResults());
  return cast<linalg::LinalgOp>(vectors.getOperation());
}

/// Tiles row reduction `op` by `strategy`: its parallel dims by 1, the loop
/// over them marked for the threads when the op is large enough; then each
/// row's reduction dim by 16 lanes of partial results, a vector that the
/// loop over the row carries (an initial fill, an elementwise step per 16
/// elements, and a final reduction of the 16 lanes), each marked for
/// vectorization. A row whose length 16 does not divide is split first
/// (splitReductionTail).
static LogicalResult tileRowReduction(RewriterBase &rewriter,
                                      linalg::LinalgOp op,
                                      const Strategy &strategy) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  rewriter.setInsertionPoint(op);
  // The rows' whole vectors first, then their remainder, which stays a
  // scalar loop.
  if (strategy.reductionVectors != ranges[strategy.partialReductionDim]) {
    FailureOr<linalg::LinalgOp> vectors =
        splitReductionTail(rewriter, op, strategy.reductionVectors);
    if (failed(vectors))
      return failure();
    op = *vectors;
    rewriter.setInsertionPoint(op);
  }
  FailureOr<scf::SCFTilingResult> rows =
      tile(rewriter, op, strategy.registerTiles, {});
  if (failed(rows))
    return failure();
  SmallVector<scf::ForOp> rowLoops;
  for (LoopLikeOpInterface loop : rows->loops)
    if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
      rowLoops.push_back(forOp);
  markParallelLoop(rowLoops, strategy.registerTiles, {}, iterators, ranges);

  auto row = dyn_cast<PartialReductionOpInterface>(rows->tiledOps.front());
  if (!row)
    return failure();
  rewriter.setInsertionPoint(row);
  SmallVector<OpFoldResult> lanes(ranges.size(), rewriter.getIndexAttr(0));
  lanes[strategy.partialReductionDim] = rewriter.getIndexAttr(kLanes);
  FailureOr<scf::SCFTilingResult> partial =
      scf::tileReductionUsingScf(rewriter, row, lanes);
  if (failed(partial))
    return failure();
  rewriter.replaceOp(row, partial->replacements);
  StringAttr marker = rewriter.getStringAttr(strategy.name);
  for (Operation *step : partial->tiledOps)
    step->setAttr(kVectorizeMarker, marker);
  for (Operation *merge : partial->mergeOps)
    if (isa<linalg::LinalgOp>(merge))
      merge->setAttr(kVectorizeMarker, marker);
  for (Value init : partial->initialValues)
    if (auto fill = init.getDefiningOp<linalg::FillOp>())
      fill->setAttr(kVectorizeMarker, marker);
  for (LoopLikeOpInterface loop : partial->loops)
    loop->setAttr(kPartialResultsMarker, rewriter.getUnitAttr());
  return success();
}

/// `op`, a generic contraction with loops of static size 1, without them
/// (with `parallelOnly`, only its parallel ones), as the named op it then is
/// (a matmul, or a matmul with its left-hand side transposed), else as the
/// generic op it then is; failure, `op` untouched, when it has no such loop.
static FailureOr<linalg::LinalgOp>
dropUnitDimsToNamed(RewriterBase &rewriter, Operation *op, bool parallelOnly) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || !linalg::isaContractionOpInterface(generic) ||
      !llvm::is_contained(generic.getStaticLoopRanges(), 1))
    return failure();
  rewriter.setInsertionPoint(generic);
  linalg::ControlDropUnitDims control;
  if (parallelOnly)
    control.controlFn = [](Operation *op) {
      SmallVector<unsigned> dims;
      for (auto [dim, iterator] :
           llvm::enumerate(cast<linalg::LinalgOp>(op).getIteratorTypesArray()))
        if (iterator == utils::IteratorType::parallel)
          dims.push_back(dim);
      return dims;
    };
  FailureOr<linalg::DropUnitDimsResult> dropped =
      linalg::dropUnitDims(rewriter, generic, control);
  if (failed(dropped))
    return failure();
  rewriter.replaceOp(generic, dropped->replacements);
  auto reduced = dyn_cast<linalg::GenericOp>(dropped->resultOp.getOperation());
  if (!reduced)
    return failure();
  rewriter.setInsertionPoint(reduced);
  // Left-hand side read (k, m) (a block of a packed left-hand side): a
  // matmul with its left-hand side transposed, built here since the generic
  // specialization does not recognize it.
  if (reduced.getIndexingMapsArray() ==
      kiln::transposedLhsMatmulMaps(reduced.getContext())) {
    auto matmul = linalg::MatmulTransposeAOp::create(
        rewriter, reduced.getLoc(), reduced->getResultTypes(),
        reduced.getDpsInputs(), reduced.getDpsInits());
    rewriter.replaceOp(reduced, matmul->getResults());
    return cast<linalg::LinalgOp>(matmul.getOperation());
  }
  if (parallelOnly)
    return cast<linalg::LinalgOp>(reduced.getOperation());
  FailureOr<linalg::LinalgOp> named =
      linalg::specializeGenericOp(rewriter, reduced);
  if (failed(named))
    return cast<linalg::LinalgOp>(reduced.getOperation());
  return named;
}

/// The most bytes of a left-hand side for which a constant right-hand side
/// is laid out in panels at compile time (prepackConstantRhs): every panel
/// reads the whole left-hand side, which must stay in L2 (2 MiB) from one
/// panel to the next. A 1024 x 1024 one (4 MiB) ran 18% slower so, a 64 x
/// 1024 one (256 KiB) 10% faster.
static constexpr int64_t kPrepackedLhsBytes = 512 * 1024;

/// Whether `matmul` is a plain f32 matmul on tensors (no transposed
/// operand), which the pre-packings rewrite.
static bool isPlainF32Matmul(linalg::MatmulOp matmul) {
  return matmul.hasPureTensorSemantics() &&
         llvm::all_of(matmul->getOperands(), isFloat32) &&
         matmul.getIndexingMapsArray() ==
             linalg::MatmulOp::getDefaultIndexingMaps(matmul.getContext());
}

/// Replaces `matmul` by a contraction over 4 dims (3 parallel, then k) of
/// `lhs` and `rhs` through `maps`, whose output is the matmul's output
/// expanded by `reassociation` to `outType`, and collapsed back after it.
static void replaceByContraction(RewriterBase &rewriter,
                                 linalg::MatmulOp matmul, Value lhs, Value rhs,
                                 RankedTensorType outType,
                                 ArrayRef<ReassociationIndices> reassociation,
                                 ArrayRef<AffineMap> maps) {
  Location loc = matmul.getLoc();
  Value init = tensor::ExpandShapeOp::create(
      rewriter, loc, outType, matmul.getDpsInits()[0], reassociation);
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{outType}, ValueRange{lhs, rhs}, ValueRange{init},
      maps, iterators, [](OpBuilder &b, Location loc, ValueRange args) {
        Value product = arith::MulFOp::create(b, loc, args[0], args[1]);
        Value sum = arith::AddFOp::create(b, loc, args[2], product);
        linalg::YieldOp::create(b, loc, sum);
      });
  rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
      matmul, matmul->getResultTypes()[0], generic.getResult(0), reassociation);
}

/// A matmul (M, K) x (K, N) whose right-hand side is a constant, N a
/// multiple of 32 and M at least kMinPackedRows (a fully connected layer's
/// weight, a transformer's projection) reads that constant in panels of 32
/// columns laid out at compile time: (N / 32, K, 32), each panel one
/// contiguous (K, 32) block, where the contraction strategy would copy each
/// panel at every call (see Strategy::packedOperand). The matmul becomes a
/// contraction over dims (m, b, n, k), the panels b, its output viewed as
/// (M, N / 32, 32); the threads share the panels.
static LogicalResult prepackConstantRhs(RewriterBase &rewriter,
                                        linalg::MatmulOp matmul) {
  if (!isPlainF32Matmul(matmul))
    return failure();
  auto lhsType = cast<RankedTensorType>(matmul.getInputs()[0].getType());
  auto rhsType = cast<RankedTensorType>(matmul.getInputs()[1].getType());
  if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape())
    return failure();
  constexpr int64_t panel = 2 * kLanes;
  int64_t rows = lhsType.getDimSize(0), depth = rhsType.getDimSize(0);
  int64_t columns = rhsType.getDimSize(1);
  if (rows < kMinPackedRows || columns % panel != 0 || columns < 2 * panel ||
      rows * depth * 4 > kPrepackedLhsBytes)
    return failure();
  Attribute weights;
  if (!matchPattern(matmul.getInputs()[1], m_Constant(&weights)))
    return failure();
  std::optional<ArrayRef<char>> bytes = kiln::rawElements(weights);
  if (!bytes || bytes->size() != size_t(depth * columns) * 4)
    return failure();
  // packed[b][k][n] = weights[k][b * 32 + n]: a panel's rows, one per k,
  // are copied whole.
  std::vector<char> packed(bytes->size());
  for (int64_t b = 0; b < columns / panel; ++b)
    for (int64_t k = 0; k < depth; ++k)
      std::memcpy(packed.data() + ((b * depth + k) * panel) * 4,
                  bytes->data() + (k * columns + b * panel) * 4, panel * 4);
  auto packedType = RankedTensorType::get({columns / panel, depth, panel},
                                          rhsType.getElementType());
  Location loc = matmul.getLoc();
  rewriter.setInsertionPoint(matmul);
  Value constant = arith::ConstantOp::create(
      rewriter, loc,
      cast<TypedAttr>(kiln::makeConstant(packedType, packed, "packed")));
  auto outType = RankedTensorType::get({rows, columns / panel, panel},
                                       rhsType.getElementType());
  MLIRContext *ctx = matmul.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), b = getAffineDimExpr(1, ctx),
             n = getAffineDimExpr(2, ctx), k = getAffineDimExpr(3, ctx);
  replaceByContraction(
      rewriter, matmul, matmul.getInputs()[0], constant, outType, {{0}, {1, 2}},
      {AffineMap::get(4, 0, {m, k}, ctx), AffineMap::get(4, 0, {b, k, n}, ctx),
       AffineMap::get(4, 0, {m, b, n}, ctx)});
  return success();
}

/// Whether `offset`, a slice's offset, is a multiple of `multiple`: a
/// constant one, or the induction variable of a loop from a multiple of it
/// by a multiple of it (a fused epilogue's filter tiles).
static bool isMultipleOf(OpFoldResult offset, int64_t multiple) {
  if (std::optional<int64_t> value = getConstantIntValue(offset))
    return *value % multiple == 0;
  auto arg = dyn_cast<BlockArgument>(cast<Value>(offset));
  auto loop =
      arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp()) : scf::ForOp();
  if (!loop || loop.getInductionVar() != arg)
    return false;
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  return lb && step && *lb % multiple == 0 && *step % multiple == 0;
}

/// A matmul (M, K) x (K, N) whose left-hand side is a constant, or a slice
/// of whole blocks of its rows (a convolution's filters, (F, C * KH * KW), or
/// a fused epilogue's tile of them, or of their chunk of channels), reads
/// that constant laid out at compile time in
/// blocks of 8 rows: (F / 8, K, 8), each block's k-th column 8 contiguous
/// values. A register tile's 8 rows then read one contiguous stream, where
/// the rows of the constant would be 8 streams a row's length apart, which
/// compete for the L1 cache with the right-hand side (ResNet-18's 14x14
/// convolutions: rows of 9 KiB). The matmul becomes a contraction over dims
/// (block, row, n, k), its output viewed as (M / 8, 8, N).
static LogicalResult prepackConstantLhs(RewriterBase &rewriter,
                                        linalg::MatmulOp matmul,
                                        PackedConstants &packings) {
  if (!isPlainF32Matmul(matmul))
    return failure();
  auto lhsType = cast<RankedTensorType>(matmul.getInputs()[0].getType());
  auto outType = cast<RankedTensorType>(matmul.getDpsInits()[0].getType());
  if (!lhsType.hasStaticShape() || !outType.hasStaticShape())
    return failure();
  int64_t rows = lhsType.getDimSize(0), depth = lhsType.getDimSize(1);
  if (rows % kPackedLhsRows != 0)
    return failure();
  // The constant, through a slice (of whole blocks of rows, and any columns:
  // a deep fused epilogue's chunk of k) and reshapes.
  Value source = matmul.getInputs()[0];
  OpFoldResult firstRow = rewriter.getIndexAttr(0);
  OpFoldResult firstColumn = rewriter.getIndexAttr(0);
  if (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>()) {
    auto sourceType = slice.getSourceType();
    if (!slice.hasUnitStride() || sourceType.getRank() != 2 ||
        !isMultipleOf(slice.getMixedOffsets()[0], kPackedLhsRows))
      return failure();
    firstRow = slice.getMixedOffsets()[0];
    firstColumn = slice.getMixedOffsets()[1];
    source = slice.getSource();
  }
  auto sourceType = cast<RankedTensorType>(source.getType());
  int64_t allRows = sourceType.getDimSize(0);
  int64_t allDepth = sourceType.getDimSize(1);
  if (ShapedType::isDynamic(allRows) || ShapedType::isDynamic(allDepth) ||
      allRows % kPackedLhsRows != 0)
    return failure();
  Attribute weights;
  std::optional<ArrayRef<char>> bytes =
      constantF32Bytes(source, allRows * allDepth, weights);
  if (!bytes)
    return failure();

  Location loc = matmul.getLoc();
  Type element = lhsType.getElementType();
  Value packed = packedLhsConstant(rewriter, matmul, weights, *bytes, allRows,
                                   allDepth, packings);

  rewriter.setInsertionPoint(matmul);
  OpFoldResult firstBlock = firstRow;
  if (auto row = dyn_cast<Value>(firstRow))
    firstBlock = arith::DivUIOp::create(rewriter, loc, row,
                                        arith::ConstantIndexOp::create(
                                            rewriter, loc, kPackedLhsRows))
                     .getResult();
  else
    firstBlock =
        rewriter.getIndexAttr(*getConstantIntValue(firstRow) / kPackedLhsRows);
  SmallVector<OpFoldResult> ones(3, rewriter.getIndexAttr(1));
  Value lhs = tensor::ExtractSliceOp::create(
      rewriter, loc, packed,
      SmallVector<OpFoldResult>{firstBlock, firstColumn,
                                rewriter.getIndexAttr(0)},
      getAsIndexOpFoldResult(rewriter.getContext(),
                             {rows / kPackedLhsRows, depth, kPackedLhsRows}),
      ones);
  auto blockedType = RankedTensorType::get(
      {rows / kPackedLhsRows, kPackedLhsRows, outType.getDimSize(1)}, element);
  MLIRContext *ctx = matmul.getContext();
  AffineExpr b = getAffineDimExpr(0, ctx), r = getAffineDimExpr(1, ctx),
             n = getAffineDimExpr(2, ctx), k = getAffineDimExpr(3, ctx);
  replaceByContraction(
      rewriter, matmul, lhs, matmul.getInputs()[1], blockedType, {{0, 1}, {2}},
      {AffineMap::get(4, 0, {b, k, r}, ctx), AffineMap::get(4, 0, {k, n}, ctx),
       AffineMap::get(4, 0, {b, r, n}, ctx)});
  return success();
}

namespace {

struct KilnCPUTilePass
    : public kiln::impl::KilnCPUTilePassBase<KilnCPUTilePass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // The inputs of a concatenation are written in place, before any rewrite
    // below inserts slices of its own.
    // The image-column gathers of the convolutions rewritten below, by the
    // columns they produce.
    DenseMap<Value, TapGather> gathers;
    SmallVector<tensor::InsertSliceOp> inserts;
    getOperation().walk([&](tensor::InsertSliceOp insert) {
      if (isFloat32(insert.getSource()) &&
          isa<func::FuncOp>(insert->getParentOp()))
        inserts.push_back(insert);
    });
    for (tensor::InsertSliceOp insert : inserts)
      (void)rewriteInsertInPlace(rewriter, insert);

    // A convolution on NCHW images is a contraction of its filter, (F, C *
    // KH * KW), with the image's columns, (C * KH * KW, OH * OW): once the
    // columns are materialized, the contraction strategy applies.
    // A dynamic batch is first tiled by one image.
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp conv) {
      if (conv.hasPureTensorSemantics() &&
          llvm::all_of(conv->getOperands(), isFloat32))
        convs.push_back(conv);
    });
    for (linalg::Conv2DNchwFchwOp conv : convs) {
      rewriter.setInsertionPoint(conv);
      if (conv.hasDynamicShape()) {
        SmallVector<int64_t> perImage(conv.getNumLoops(), 0);
        perImage[0] = 1;
        FailureOr<scf::SCFTilingResult> tiled =
            tile(rewriter, conv, perImage, {});
        if (failed(tiled))
          continue;
        conv = cast<linalg::Conv2DNchwFchwOp>(tiled->tiledOps.front());
        rewriter.setInsertionPoint(conv);
        if (conv.hasDynamicShape())
          continue;
      }
      if (succeeded(rewritePointwiseAsMatmul(rewriter, conv))) {
        ++numIm2Col;
        continue;
      }
      Value image = conv.getInputs()[0];
      auto filterType = cast<RankedTensorType>(conv.getInputs()[1].getType());
      auto outType = cast<RankedTensorType>(conv.getOutputs()[0].getType());
      DenseIntElementsAttr strides = conv.getStrides();
      DenseIntElementsAttr dilations = conv.getDilations();
      FailureOr<std::pair<Operation *, Operation *>> rewritten =
          linalg::rewriteInIm2Col(rewriter, conv);
      if (failed(rewritten))
        continue;
      ++numIm2Col;
      (void)rewriteIm2ColAsTapCopies(rewriter, rewritten->first, image,
                                     filterType, outType, strides, dilations,
                                     gathers);
      // One image's contraction is a plain matmul once its unit batch dim
      // is gone: filter (F, C*KH*KW) times columns (C*KH*KW, OH*OW).
      Operation *result = rewritten->second;
      if (auto expand = dyn_cast<tensor::ExpandShapeOp>(result))
        result = expand.getSrc().getDefiningOp();
      auto contraction = dyn_cast_or_null<linalg::GenericOp>(result);
      if (!contraction)
        continue;
      rewriter.setInsertionPoint(contraction);
      FailureOr<linalg::DropUnitDimsResult> dropped = linalg::dropUnitDims(
          rewriter, contraction, linalg::ControlDropUnitDims());
      if (failed(dropped))
        continue;
      rewriter.replaceOp(contraction, dropped->replacements);
      if (auto generic =
              dyn_cast<linalg::GenericOp>(dropped->resultOp.getOperation())) {
        rewriter.setInsertionPoint(generic);
        (void)linalg::specializeGenericOp(rewriter, generic);
      }
    }

    SmallVector<tensor::PadOp> pads;
    getOperation().walk([&](tensor::PadOp pad) {
      if (isFloat32(pad.getResult()))
        pads.push_back(pad);
    });
    for (tensor::PadOp pad : pads) {
      rewriter.setInsertionPoint(pad);
      (void)rewritePadAsFillAndCopy(rewriter, pad);
    }

    SmallVector<linalg::DepthwiseConv2DNchwChwOp> depthwise;
    getOperation().walk([&](linalg::DepthwiseConv2DNchwChwOp conv) {
      if (conv.hasPureTensorSemantics() &&
          llvm::all_of(conv->getOperands(), isFloat32))
        depthwise.push_back(conv);
    });
    for (linalg::DepthwiseConv2DNchwChwOp conv : depthwise) {
      rewriter.setInsertionPoint(conv);
      if (succeeded(rewriteDepthwiseAsElementwise(rewriter, conv)))
        ++numIm2Col;
    }

    SmallVector<Operation *> pools;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp>(op) &&
          llvm::all_of(op->getOperands(), isFloat32))
        pools.push_back(op);
    });
    for (Operation *op : pools) {
      rewriter.setInsertionPoint(op);
      if (auto max = dyn_cast<linalg::PoolingNchwMaxOp>(op))
        (void)rewritePoolingAsElementwise(rewriter, max);
      else
        (void)rewritePoolingAsElementwise(rewriter,
                                          cast<linalg::PoolingNchwSumOp>(op));
    }

    PackedConstants packings;
    SmallVector<linalg::MatmulOp> products;
    getOperation().walk(
        [&](linalg::MatmulOp matmul) { products.push_back(matmul); });
    unsigned epilogues = 0;
    for (linalg::MatmulOp matmul : products)
      if (succeeded(fuseEpilogue(rewriter, matmul, gathers, packings)))
        ++epilogues;
    numEpilogues += epilogues;
    if (report && epilogues)
      getOperation().emitRemark()
          << "fusion: " << epilogues
          << " convolution product(s) fused with their elementwise consumer";

    // A reduction over several innermost dims that every operand reads
    // contiguously (a global pooling over an image's rows and columns)
    // becomes one over a single dim, which the row reduction strategy takes.
    SmallVector<linalg::GenericOp> multiReductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && op.getNumReductionLoops() > 1 &&
          llvm::all_of(op->getOperands(), isFloat32))
        multiReductions.push_back(op);
    });
    for (linalg::GenericOp op : multiReductions)
      (void)collapseInnerReductions(rewriter, op);

    SmallVector<linalg::MatmulOp> weighted;
    getOperation().walk(
        [&](linalg::MatmulOp matmul) { weighted.push_back(matmul); });
    for (linalg::MatmulOp matmul : weighted)
      if (succeeded(prepackConstantRhs(rewriter, matmul)) ||
          succeeded(prepackConstantLhs(rewriter, matmul, packings)))
        ++numPrepacked;

    SmallVector<std::pair<linalg::LinalgOp, Strategy>, 8> work;
    SmallVector<std::pair<linalg::LinalgOp, unsigned>> parallelOnly;
    getOperation().walk([&](linalg::LinalgOp op) {
      // Register tiles made above (a fused epilogue's) are tiled already.
      if (op->hasAttr(kVectorizeMarker))
        return;
      if (std::optional<Strategy> strategy = chooseStrategy(op))
        work.push_back({op, *strategy});
      else if (std::optional<unsigned> dim = parallelOnlyDim(op))
        parallelOnly.push_back({op, *dim});
    });
    for (auto [op, dim] : parallelOnly) {
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      SmallVector<int64_t> sizes(ranges.size(), 0);
      sizes[dim] = 1;
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = tile(rewriter, op, sizes, {});
      if (failed(tiled))
        continue;
      SmallVector<scf::ForOp> loops;
      for (LoopLikeOpInterface loop : tiled->loops)
        if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
          loops.push_back(forOp);
      markParallelLoop(loops, sizes, {}, iterators, ranges);
    }
    for (auto &[op, strategy] : work) {
      if (strategy.partialReductionDim >= 0) {
        if (succeeded(tileRowReduction(rewriter, op, strategy)))
          ++numTiled;
        continue;
      }
      Operation *current = op;
      rewriter.setInsertionPoint(current);
      // Tiling replaces the op: what marking needs is read first.
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      SmallVector<int64_t> ranges = sharingRanges(op);
      SmallVector<scf::ForOp> cacheLoops;
      if (!strategy.cacheTiles.empty()) {
        // A cache tile never exceeds a static dim: a dim smaller than its
        // tile is one tile of static size.
        SmallVector<int64_t> sizes = strategy.cacheTiles;
        for (auto [size, range] : llvm::zip(sizes, op.getStaticLoopRanges()))
          if (!ShapedType::isDynamic(range) && range < size)
            size = range;
        FailureOr<scf::SCFTilingResult> cache =
            tile(rewriter, current, sizes, strategy.cacheOrder);
        if (failed(cache))
          continue;
        for (LoopLikeOpInterface loop : cache->loops)
          if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
            cacheLoops.push_back(forOp);
        markParallelLoop(cacheLoops, sizes, strategy.cacheOrder, iterators,
                         ranges);
        current = cache->tiledOps.front();
        rewriter.setInsertionPoint(current);
        // A cache tile of a pre-packed contraction (prepackConstantRhs) has
        // one panel: without that unit dim it is a matmul, whose
        // vectorization is an outer product per step of k (a generic's
        // would broadcast and transpose its operands).
        // A packed left-hand side's blocks drop theirs at the register
        // tiles (see tileRegisters).
        FailureOr<linalg::LinalgOp> named =
            hasPackedRowBlocks(current)
                ? FailureOr<linalg::LinalgOp>(failure())
                : dropUnitDimsToNamed(rewriter, current,
                                      /*parallelOnly=*/false);
        if (succeeded(named)) {
          std::optional<Strategy> plain = chooseStrategy(*named);
          if (!plain)
            continue;
          strategy = *plain;
          current = *named;
          iterators = named->getIteratorTypesArray();
          ranges = sharingRanges(*named);
          rewriter.setInsertionPoint(current);
        }
      }
      // A packed right-hand side splits the cache tile into panels of one
      // register tile of n first; the register tiles then leave n whole.
      SmallVector<int64_t> registerTiles = strategy.registerTiles;
      SmallVector<scf::ForOp> panelLoops;
      if (strategy.packedOperand >= 0) {
        FailureOr<PackedPanels> packed =
            packPanels(rewriter, current, strategy);
        if (failed(packed))
          continue;
        current = packed->contraction;
        panelLoops = std::move(packed->loops);
        registerTiles[strategy.vectorDim] = 0;
        rewriter.setInsertionPoint(current);
        ++numPacked;
      }
      FailureOr<SmallVector<scf::ForOp>> loops =
          tileRegisters(rewriter, current, strategy, registerTiles);
      if (failed(loops))
        continue;
      // Peeling splits every loop into full tiles and a remainder, so that
      // the full tiles have static shapes after canonicalization. The
      // register loops go first, then the panel loops; peeling a cache loop
      // then copies the nest inside it, so that a partial cache tile of a
      // static dim gets static register tiles too.
      // Without cache tiles, the register tiles' loops are the outer ones.
      if (strategy.cacheTiles.empty())
        markParallelLoop(*loops, registerTiles, strategy.registerOrder,
                         iterators, ranges);
      linalg::peelLoops(rewriter, *loops);
      linalg::peelLoops(rewriter, panelLoops);
      linalg::peelLoops(rewriter, cacheLoops);
      ++numTiled;
    }

    // Peeling simplifies the tile sizes of the loops it splits, but not of a
    // loop whose step already divides its range, such as the register rows
    // of a remainder panel: their `affine.min` sizes fold here, from the
    // loops' bounds and steps, so that those tiles have static shapes too.
    RewritePatternSet tileSizes(&getContext());
    scf::populateSCFForLoopCanonicalizationPatterns(tileSizes);
    scf::ForOp::getCanonicalizationPatterns(tileSizes, &getContext());
    affine::AffineMinOp::getCanonicalizationPatterns(tileSizes, &getContext());
    affine::AffineApplyOp::getCanonicalizationPatterns(tileSizes,
                                                       &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(tileSizes)))) {
      getOperation().emitError("kiln-cpu-tile: tile sizes did not converge");
      return signalPassFailure();
    }
  }
};

/// Carries the vector that `loop` reads from and writes back to one of its
/// tensor iter_args at loop-invariant indices (a reduction's partial
/// results) in registers: the read moves before the loop, reading the
/// iter_arg's initial value, and the write after it; the loop then yields
/// the vector. Loops of any other shape are left alone.
static void hoistPartialResults(RewriterBase &rewriter, scf::ForOp loop) {
  for (BlockArgument arg : loop.getRegionIterArgs()) {
    if (!arg.hasNUses(2))
      continue;
    vector::TransferReadOp read;
    vector::TransferWriteOp write;
    for (Operation *user : arg.getUsers()) {
      if (auto r = dyn_cast<vector::TransferReadOp>(user))
        read = r;
      else if (auto w = dyn_cast<vector::TransferWriteOp>(user))
        write = w;
    }
    OpOperand *yielded = loop.getTiedLoopYieldedValue(arg);
    if (!read || !write || read.getMask() || write.getMask() ||
        read->getBlock() != loop.getBody() ||
        write->getBlock() != loop.getBody() || !write->hasOneUse() ||
        !yielded || yielded->get() != write.getResult() ||
        !read->isBeforeInBlock(write) ||
        !isEqualConstantIntOrValueArray(
            getAsOpFoldResult(read.getIndices()),
            getAsOpFoldResult(write.getIndices())) ||
        read.getVectorType() != write.getVectorType() ||
        read.getPermutationMap() != write.getPermutationMap() ||
        read.getInBoundsValues() != write.getInBoundsValues())
      continue;
    // The indices and padding must be known before the loop: constants that
    // vectorization created inside it move out.
    SmallVector<Value> invariants(read.getIndices());
    invariants.push_back(read.getPadding());
    if (!llvm::all_of(invariants, [&](Value value) {
          if (loop.isDefinedOutsideOfLoop(value))
            return true;
          Operation *def = value.getDefiningOp();
          return def && def->hasTrait<OpTrait::ConstantLike>() &&
                 def->getBlock() == loop.getBody();
        }))
      continue;
    for (Value value : invariants)
      if (!loop.isDefinedOutsideOfLoop(value))
        rewriter.moveOpBefore(value.getDefiningOp(), loop);
    unsigned position = arg.getArgNumber() - loop.getNumInductionVars();
    Value init = loop.getInitArgs()[position];
    // The vector is read from the initial tensor before the loop.
    rewriter.setInsertionPoint(loop);
    IRMapping mapping;
    mapping.map(arg, init);
    Operation *before = rewriter.clone(*read, mapping);
    // The loop carries the vector: the read inside becomes the carried
    // vector, the write inside is dropped, and the tensor is yielded as is.
    Value written = write.getVector();
    FailureOr<LoopLikeOpInterface> carried =
        cast<LoopLikeOpInterface>(loop.getOperation())
            .replaceWithAdditionalYields(
                rewriter, before->getResult(0),
                /*replaceInitOperandUsesInLoop=*/false,
                [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                  return SmallVector<Value>{written};
                });
    if (failed(carried))
      return;
    auto newLoop = cast<scf::ForOp>(carried->getOperation());
    BlockArgument vectorArg = newLoop.getRegionIterArgs().back();
    BlockArgument tensorArg = newLoop.getRegionIterArgs()[position];
    auto newWrite = cast<vector::TransferWriteOp>(
        newLoop.getTiedLoopYieldedValue(tensorArg)->get().getDefiningOp());
    auto newRead = cast<vector::TransferReadOp>(
        *llvm::find_if(tensorArg.getUsers(), [](Operation *user) {
          return isa<vector::TransferReadOp>(user);
        }));
    rewriter.replaceAllUsesWith(newRead.getResult(), vectorArg);
    rewriter.eraseOp(newRead);
    rewriter.replaceAllUsesWith(newWrite.getResult(), tensorArg);
    // The vector is written into the tensor after the loop.
    rewriter.setInsertionPointAfter(newLoop);
    Value result = newLoop.getResult(position);
    auto after = vector::TransferWriteOp::create(
        rewriter, newWrite.getLoc(), newLoop.getResults().back(), result,
        cast<vector::TransferReadOp>(before).getIndices(),
        newWrite.getPermutationMapAttr(), newWrite.getInBoundsAttr());
    rewriter.replaceAllUsesExcept(result, after.getResult(), after);
    rewriter.eraseOp(newWrite);
    return;
  }
}

/// How many times an odd-width tile may be split: 16 lanes, then 8, 4, 2
/// and 1 leave at most one tile of each power of two.
static constexpr int kSplitRounds = 5;

/// The width of the tiles an odd-width register tile of `width` lanes is
/// split into: 16 lanes while it is wider, then the widest power of two below
/// it, so that a remainder of 7 lanes becomes vectors of 4, 2 and 1 lanes
/// instead of 7 scalars.
static int64_t splitWidth(int64_t width) {
  if (width > kLanes)
    return kLanes;
  return static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(width)));
}

struct KilnCPUVectorizePass
    : public kiln::impl::KilnCPUVectorizePassBase<KilnCPUVectorizePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    // Vectors of odd widths (a remainder such as 17 lanes) legalize into
    // element-by-element code: such tiles are split into 16-lane tiles and
    // a narrower remainder until every width is a multiple of 16 or a power
    // of two.
    OpPassManager cleanup(func::FuncOp::getOperationName());
    cleanup.addPass(createCanonicalizerPass());
    cleanup.addPass(createCSEPass());
    for (int round = 0; round < kSplitRounds; ++round) {
      SmallVector<std::pair<linalg::LinalgOp, unsigned>> odd;
      func.walk([&](linalg::LinalgOp op) {
        if (!op->hasAttr(kVectorizeMarker) || op.hasDynamicShape())
          return;
        std::optional<unsigned> dim = vectorDim(op);
        if (!dim)
          return;
        int64_t width = op.getStaticLoopRanges()[*dim];
        if (width % kLanes != 0 && !llvm::isPowerOf2_64(width))
          odd.push_back({op, *dim});
      });
      if (odd.empty())
        break;
      for (auto [op, dim] : odd) {
        SmallVector<int64_t> sizes(op.getNumLoops(), 0);
        sizes[dim] = splitWidth(op.getStaticLoopRanges()[dim]);
        rewriter.setInsertionPoint(op);
        StringAttr strategy = op->getAttrOfType<StringAttr>(kVectorizeMarker);
        FailureOr<scf::SCFTilingResult> split = tile(rewriter, op, sizes, {});
        if (failed(split))
          continue;
        split->tiledOps.front()->setAttr(kVectorizeMarker, strategy);
        SmallVector<scf::ForOp> loops;
        for (LoopLikeOpInterface loop : split->loops)
          if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
            loops.push_back(forOp);
        linalg::peelLoops(rewriter, loops);
      }
      if (failed(runPipeline(cleanup, func)))
        return signalPassFailure();
    }

    SmallVector<linalg::LinalgOp> marked;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kVectorizeMarker))
        marked.push_back(op);
    });
    SmallVector<Operation *> copyReads;
    for (linalg::LinalgOp op : marked) {
      op->removeAttr(kVectorizeMarker);
      if (op.hasDynamicShape())
        continue;
      bool isCopy = isa<linalg::CopyOp>(op.getOperation());
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (failed(result))
        continue;
      if (isCopy)
        for (Value replacement : result->replacements)
          if (auto write = replacement.getDefiningOp<vector::TransferWriteOp>())
            if (auto read =
                    write.getVector().getDefiningOp<vector::TransferReadOp>())
              copyReads.push_back(read);
      rewriter.replaceOp(op, result->replacements);
      ++numVectorized;
    }
    // A copied tile is read from the tensor it is a slice of: a vector read
    // of a whole slice written whole into another slice would fold into the
    // slice itself, and bufferize as a scalar copy.
    RewritePatternSet subsets(&getContext());
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(subsets);
    (void)applyOpPatternsGreedily(copyReads, std::move(subsets));

    // A reduction's partial results are read before the loop over the row
    // and written after it, the loop carrying the vector; the write of the
    // initial value and the read of the final one then fold away, and the
    // partial results never reach memory.
    SmallVector<LoopLikeOpInterface> partialLoops;
    func.walk([&](LoopLikeOpInterface loop) {
      if (loop->removeAttr(kPartialResultsMarker))
        partialLoops.push_back(loop);
    });
    for (LoopLikeOpInterface loop : partialLoops)
      if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
        hoistPartialResults(rewriter, forOp);

    // A window's taps with a stride of 2 read contiguous vectors and keep
    // every other lane.
    RewritePatternSet strided(&getContext());
    kiln::populateDeinterleaveStridedReadPatterns(strided);
    if (failed(applyPatternsGreedily(func, std::move(strided)))) {
      func.emitError("kiln-cpu-vectorize: strided reads did not converge");
      return signalPassFailure();
    }

    // Contractions first become outer products (a broadcast and an FMA per
    // row), before anything else is lowered.
    RewritePatternSet contractions(&getContext());
    kiln::populateColumnContractionPatterns(contractions);
    vector::populateVectorReductionToContractPatterns(contractions);
    vector::populateVectorContractLoweringPatterns(
        contractions, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(contractions);
    if (failed(applyPatternsGreedily(func, std::move(contractions))))
      return signalPassFailure();
    RewritePatternSet rest(&getContext());
    vector::populateVectorMultiReductionLoweringPatterns(
        rest, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorTransferPermutationMapLoweringPatterns(rest);
    if (failed(applyPatternsGreedily(func, std::move(rest))))
      return signalPassFailure();
    if (failed(kiln::approximateVectorMath(func))) {
      func.emitError("kiln-cpu-vectorize: math approximation did not converge");
      return signalPassFailure();
    }
  }
};

/// The buffer `value` is a view of: through views, reshapes and casts to
/// the allocation, argument or global it starts from. A `memref.view` is a
/// buffer of its own: kiln-plan-memory gives buffers that are live at the
/// same time disjoint bytes of the arena.
static Value rootBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view || isa<memref::ViewOp>(def))
      break;
    value = view.getViewSource();
  }
  return value;
}

/// How many elements along dim `dim` of its buffer `transfer` touches.
static int64_t extentAlong(vector::TransferWriteOp transfer, unsigned dim) {
  for (auto [i, result] :
       llvm::enumerate(transfer.getPermutationMap().getResults()))
    if (auto expr = dyn_cast<AffineDimExpr>(result);
        expr && expr.getPosition() == dim)
      return transfer.getVectorType().getDimSize(i);
  return 1;
}

/// Whether writes `a` and `b` provably touch disjoint elements: they write
/// the same buffer, and along some dim both start at constant indices whose
/// ranges do not overlap (the tiles an odd-width tile was split into).
static bool areDisjointTiles(vector::TransferWriteOp a,
                             vector::TransferWriteOp b) {
  if (a.getBase() != b.getBase())
    return false;
  for (auto [dim, indices] :
       llvm::enumerate(llvm::zip(a.getIndices(), b.getIndices()))) {
    std::optional<int64_t> startA = getConstantIntValue(std::get<0>(indices));
    std::optional<int64_t> startB = getConstantIntValue(std::get<1>(indices));
    if (!startA || !startB)
      continue;
    if (*startA + extentAlong(a, dim) <= *startB ||
        *startB + extentAlong(b, dim) <= *startA)
      return true;
  }
  return false;
}

/// Keeps the vector tiles a loop reads and writes in registers: when every
/// memory write in `loop` is a transfer_write at loop-invariant indices, each
/// preceded in the loop by a transfer_read of the same buffer at the same
/// indices, the writes into one buffer provably touch disjoint elements (the
/// tiles that an odd-width tile was split into), and every other read in the
/// loop is of another buffer, the reads move before the loop, the writes
/// after it, and the vectors are carried by the loop. Distinct root buffers
/// never overlap: compiled functions get distinct arguments, and
/// bufferization never lets a linalg op read a buffer it writes through a
/// different allocation. Returns the loop that replaces `loop`, or null when
/// nothing moved.
static scf::ForOp hoistTilesThroughLoop(RewriterBase &rewriter,
                                        scf::ForOp loop) {
  SmallVector<vector::TransferWriteOp> writes;
  bool unknown = false;
  loop.getBody()->walk([&](Operation *op) {
    if (op == loop.getBody()->getTerminator())
      return;
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        unknown = true;
      return;
    }
    if (!effects.hasEffect<MemoryEffects::Write>() &&
        !effects.hasEffect<MemoryEffects::Free>() &&
        !effects.hasEffect<MemoryEffects::Allocate>())
      return;
    auto write = dyn_cast<vector::TransferWriteOp>(op);
    if (!write || write->getBlock() != loop.getBody() ||
        !isa<MemRefType>(write.getShapedType()) || write.getMask())
      unknown = true;
    else
      writes.push_back(write);
  });
  if (unknown || writes.empty())
    return {};
  llvm::SmallDenseSet<Value> roots;
  for (auto [i, write] : llvm::enumerate(writes)) {
    for (Value operand : write->getOperands())
      if (operand != write.getVector() && !loop.isDefinedOutsideOfLoop(operand))
        return {};
    Value root = rootBuffer(write.getBase());
    for (vector::TransferWriteOp other : ArrayRef(writes).take_front(i))
      if (rootBuffer(other.getBase()) == root &&
          !areDisjointTiles(other, write))
        return {};
    roots.insert(root);
  }

  // The read of each write's tile; any other read of a written buffer stops
  // the hoisting.
  SmallVector<vector::TransferReadOp> reads(writes.size());
  bool aliased = false;
  loop.getBody()->walk([&](Operation *op) {
    if (auto candidate = dyn_cast<vector::TransferReadOp>(op)) {
      for (auto [write, read] : llvm::zip(writes, reads)) {
        if (!read && candidate->getBlock() == loop.getBody() &&
            candidate.getBase() == write.getBase() &&
            candidate.getIndices() == write.getIndices() &&
            candidate.getVectorType() == write.getVectorType() &&
            candidate.getPermutationMap() == write.getPermutationMap() &&
            !candidate.getMask() && candidate->isBeforeInBlock(write)) {
          read = candidate;
          return;
        }
      }
      if (roots.contains(rootBuffer(candidate.getBase())))
        aliased = true;
      return;
    }
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (roots.contains(rootBuffer(load.getMemRef())))
        aliased = true;
      return;
    }
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (effects && effects.hasEffect<MemoryEffects::Read>() &&
        !isa<vector::TransferWriteOp>(op))
      aliased = true;
  });
  if (aliased)
    return {};
  for (vector::TransferReadOp read : reads) {
    if (!read)
      return {};
    for (Value operand : read->getOperands())
      if (!loop.isDefinedOutsideOfLoop(operand))
        return {};
  }

  SmallVector<Value> initial, written;
  for (auto [read, write] : llvm::zip(reads, writes)) {
    rewriter.moveOpBefore(read, loop);
    rewriter.moveOpAfter(write, loop);
    initial.push_back(read.getVector());
    written.push_back(write.getVector());
  }
  FailureOr<LoopLikeOpInterface> carried =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, initial,
              /*replaceInitOperandUsesInLoop=*/true,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                return written;
              });
  if (failed(carried))
    return {};
  ValueRange results =
      (*carried)->getResults().take_back(static_cast<unsigned>(writes.size()));
  for (auto [write, result] : llvm::zip(writes, results))
    rewriter.modifyOpInPlace(
        write, [&] { write.getValueToStoreMutable().assign(result); });
  return cast<scf::ForOp>(carried->getOperation());
}

/// A loop that carries a vector only to shape-cast it at the start of each
/// iteration, and yields the shape cast of a vector of that cast's type,
/// carries that type instead, cast once before the loop and once after it. A
/// one-column register tile's accumulator (see ColumnContractionAsFMA),
/// vector<8x1xf32>, is otherwise 8 one-lane vectors, gathered into one
/// register and scattered back at each step of k.
static void carryShapeCasts(scf::ForOp loop) {
  for (unsigned i = 0, e = loop.getNumRegionIterArgs(); i < e; ++i) {
    BlockArgument arg = loop.getRegionIterArgs()[i];
    if (!arg.hasOneUse())
      continue;
    auto cast = dyn_cast<vector::ShapeCastOp>(*arg.getUsers().begin());
    auto yielded =
        loop.getYieldedValues()[i].getDefiningOp<vector::ShapeCastOp>();
    if (!cast || !yielded ||
        yielded.getSource().getType() != cast.getResult().getType())
      continue;
    Type carried = cast.getResult().getType(), original = arg.getType();
    OpBuilder builder(loop);
    OpOperand &init = loop.getInitArgsMutable()[i];
    init.set(vector::ShapeCastOp::create(builder, loop.getLoc(), carried,
                                         init.get()));
    arg.setType(carried);
    cast.getResult().replaceAllUsesWith(arg);
    cast.erase();
    loop.getYieldedValuesMutable()->slice(i, 1)[0].set(yielded.getSource());
    if (yielded->use_empty())
      yielded.erase();
    Value result = loop.getResult(i);
    result.setType(carried);
    builder.setInsertionPointAfter(loop);
    auto back =
        vector::ShapeCastOp::create(builder, loop.getLoc(), original, result);
    result.replaceAllUsesExcept(back.getResult(), back);
  }
}

struct KilnHoistVectorTransfersPass
    : public kiln::impl::KilnHoistVectorTransfersPassBase<
          KilnHoistVectorTransfersPass> {
  void runOnOperation() override {
    // A tile written in place leaves a copy of a buffer onto itself, whose
    // view of the output would stop the hoisting.
    llvm::SetVector<Operation *> dead;
    getOperation().walk([&](memref::CopyOp copy) {
      if (copy.getSource() != copy.getTarget())
        return;
      if (Operation *view = copy.getSource().getDefiningOp())
        dead.insert(view);
      copy.erase();
    });
    for (Operation *view : dead)
      if (isOpTriviallyDead(view))
        view->erase();
    linalg::hoistRedundantVectorTransfers(getOperation());
    // What the upstream hoisting leaves: tiles of buffers seen through
    // reshapes, such as a convolution's output viewed as a matrix.
    // Inner loops first, so that a tile moved out of a loop can move on out
    // of the loop around it when that loop comes.
    IRRewriter rewriter(&getContext());
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      while (scf::ForOp carried = hoistTilesThroughLoop(rewriter, loop))
        loop = carried;
    getOperation().walk([&](scf::ForOp loop) { carryShapeCasts(loop); });
  }
};

/// Whether fusing the producer of `operand` into its consumer computes each
/// of the producer's elements once: the consumer reads the operand through a
/// permutation of all its loops (an elementwise op or a reduction), never
/// across loops the operand does not have (as a contraction reads its
/// operands).
static bool fusesWithoutRecomputation(OpOperand *operand) {
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  auto producer = operand->get().getDefiningOp<linalg::LinalgOp>();
  if (!consumer || !producer || !producer->hasOneUse())
    return false;
  return consumer.getMatchingIndexingMap(operand).isPermutation();
}

struct KilnFuseElementwisePass
    : public kiln::impl::KilnFuseElementwisePassBase<KilnFuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    auto countGenerics = [&] {
      unsigned count = 0;
      func.walk([&](linalg::LinalgOp) { ++count; });
      return count;
    };
    unsigned before = countGenerics();
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 fusesWithoutRecomputation);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    if (report) {
      unsigned after = countGenerics();
      func.emitRemark() << "fusion: " << before << " linalg op(s) became "
                        << after << " kernel(s)";
    }
  }
};

} // namespace
