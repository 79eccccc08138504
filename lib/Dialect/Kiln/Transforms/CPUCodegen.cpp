//===- CPUCodegen.cpp - Tiling and vectorization strategies for the CPU ---===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The CPU code generation strategy, one per op class, chosen by shape in
// `chooseStrategy`: contractions (matmul, batch_matmul and contraction-like
// generics) get cache tiles and a register tile that becomes a chain of
// outer-product FMAs; elementwise ops get a vector along their innermost dim.
// `kiln-cpu-tile` tiles and peels so that the full tiles have static shapes;
// `kiln-cpu-vectorize` turns those into vector code after canonicalization.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SetVector.h"

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

/// Marks an op tiled for vectorization: once its shape is static, it is one
/// register tile.
static constexpr StringLiteral kVectorizeMarker = "kiln.vectorize";

/// f32 lanes in a 512-bit register.
static constexpr int64_t kLanes = 16;

/// Marks the loop whose iterations kiln-outline-parallel may run on several
/// threads: they write disjoint parts of the tiled op's output.
static constexpr StringLiteral kParallelMarker = "kiln.parallel";

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
    SmallVector<unsigned> outer(dims->batch.begin(), dims->batch.end());
    for (unsigned d : llvm::concat<unsigned>(dims->m, dims->n))
      if (d != m && d != n)
        outer.push_back(d);
    Strategy s;
    s.name = "contraction";
    s.cacheTiles.assign(loops, 1);
    s.registerTiles.assign(loops, 1);
    // Cache tiles: a 256x256 panel of the right-hand side (256 KiB) stays
    // in L2 while 64 rows of the left-hand side stream past it.
    s.cacheTiles[m] = 64;
    s.cacheTiles[n] = 256;
    s.cacheTiles[k] = 256;
    // Register tile: 8 rows x 2 vectors of the output in 16 registers,
    // one step of k at a time (a broadcast and 2 FMAs per row).
    s.registerTiles[m] = 8;
    s.registerTiles[n] = 2 * kLanes;
    s.registerTiles[k] = 1;
    // Loop order: the outer dims, then n, m, k; the k loop innermost keeps the
    // output tile in registers.
    for (unsigned d : outer) {
      s.cacheOrder.push_back(d);
      s.registerOrder.push_back(d);
    }
    s.cacheOrder.append({n, k, m});
    s.registerOrder.append({n, m, k});
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

/// A depthwise convolution as one elementwise op: the sum, over the window's
/// taps, of the image slice each tap reads times that tap's per-channel
/// weight. It is then vectorized along the output rows like any elementwise
/// op.
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
  Value result = elementwiseOver(
      rewriter, loc, init, inputs, maps,
      [&](OpBuilder &b, Location nested, ValueRange args) {
        Value sum = args.back();
        for (int64_t t = 0; t < taps; ++t)
          sum = arith::AddFOp::create(
              b, nested, sum,
              arith::MulFOp::create(b, nested, args[t], args[taps + t]));
        return sum;
      });
  rewriter.replaceOp(conv, result);
  return success();
}

/// A max or sum pooling as one elementwise op: the maximum or the sum of
/// the output's initial value and the image slices the window's taps read.
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
  SmallVector<AffineMap> maps(
      taps.size(), AffineMap::getMultiDimIdentityMap(4, rewriter.getContext()));
  Value result = elementwiseOver(
      rewriter, loc, init, taps, maps,
      [&](OpBuilder &b, Location nested, ValueRange args) {
        Value acc = args.back();
        for (Value tap : args.drop_back()) {
          if constexpr (std::is_same_v<PoolOp, linalg::PoolingNchwMaxOp>)
            acc = arith::MaximumFOp::create(b, nested, acc, tap);
          else
            acc = arith::AddFOp::create(b, nested, acc, tap);
        }
        return acc;
      });
  rewriter.replaceOp(pool, result);
  return success();
}

/// A constant padding as a fill of the padded tensor and a linalg.copy of
/// the source into its interior, so that the copy is vectorized like any
/// elementwise op instead of becoming a scalar copy at bufferization.
static LogicalResult rewritePadAsFillAndCopy(RewriterBase &rewriter,
                                             tensor::PadOp pad) {
  Value padding = pad.getConstantPaddingValue();
  auto type = cast<RankedTensorType>(pad.getResultType());
  auto sourceType = cast<RankedTensorType>(pad.getSourceType());
  if (!padding || !type.hasStaticShape() || !sourceType.hasStaticShape() ||
      !pad.getLow().empty() || !pad.getHigh().empty())
    return failure();
  Location loc = pad.getLoc();
  Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                        type.getElementType());
  Value filled =
      linalg::FillOp::create(rewriter, loc, padding, empty).getResult(0);
  SmallVector<int64_t> ones(type.getRank(), 1);
  auto offsets = rewriter.getDenseI64ArrayAttr(pad.getStaticLow());
  auto sizes = rewriter.getDenseI64ArrayAttr(sourceType.getShape());
  auto strides = rewriter.getDenseI64ArrayAttr(ones);
  Value interior = tensor::ExtractSliceOp::create(
      rewriter, loc, sourceType, filled, ValueRange(), ValueRange(),
      ValueRange(), offsets, sizes, strides);
  Value copied =
      linalg::CopyOp::create(rewriter, loc, pad.getSource(), interior)
          .getResult(0);
  rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
      pad, copied, filled, ValueRange(), ValueRange(), ValueRange(), offsets,
      sizes, strides);
  return success();
}

namespace {

struct KilnCPUTilePass
    : public kiln::impl::KilnCPUTilePassBase<KilnCPUTilePass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
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
      FailureOr<std::pair<Operation *, Operation *>> rewritten =
          linalg::rewriteInIm2Col(rewriter, conv);
      if (failed(rewritten))
        continue;
      ++numIm2Col;
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

    SmallVector<std::pair<linalg::LinalgOp, Strategy>, 8> work;
    SmallVector<std::pair<linalg::LinalgOp, unsigned>> parallelOnly;
    getOperation().walk([&](linalg::LinalgOp op) {
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
      Operation *current = op;
      rewriter.setInsertionPoint(current);
      // Tiling replaces the op: what marking needs is read first.
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
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
      }
      FailureOr<scf::SCFTilingResult> reg = tile(
          rewriter, current, strategy.registerTiles, strategy.registerOrder);
      if (failed(reg))
        continue;
      reg->tiledOps.front()->setAttr(kVectorizeMarker,
                                     rewriter.getStringAttr(strategy.name));
      // Peeling splits every loop into full tiles and a remainder, so that
      // the full tiles have static shapes after canonicalization. The
      // register loops go first; peeling a cache loop then copies the
      // register nest, so that a partial cache tile of a static dim gets
      // static register tiles too.
      SmallVector<scf::ForOp> loops;
      for (LoopLikeOpInterface loop : reg->loops)
        if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
          loops.push_back(forOp);
      // Without cache tiles, the register tiles' loops are the outer ones.
      if (strategy.cacheTiles.empty())
        markParallelLoop(loops, strategy.registerTiles, strategy.registerOrder,
                         iterators, ranges);
      linalg::peelLoops(rewriter, loops);
      linalg::peelLoops(rewriter, cacheLoops);
      ++numTiled;
    }
  }
};

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
    for (int round = 0; round < 3; ++round) {
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
        sizes[dim] = op.getStaticLoopRanges()[dim] > kLanes ? kLanes : 1;
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
    for (linalg::LinalgOp op : marked) {
      op->removeAttr(kVectorizeMarker);
      if (op.hasDynamicShape())
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (failed(result))
        continue;
      rewriter.replaceOp(op, result->replacements);
      ++numVectorized;
    }

    // Contractions first become outer products (a broadcast and an FMA per
    // row), before anything else is lowered.
    RewritePatternSet contractions(&getContext());
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

/// Keeps the one vector tile a loop reads and writes in registers: when the
/// only memory write in `loop` is a transfer_write at loop-invariant
/// indices, a transfer_read of the same buffer at the same indices comes
/// before it, and every other read in the loop is of another buffer, the
/// read moves before the loop, the write after it, and the vector is
/// carried by the loop. Distinct root buffers never overlap: compiled
/// functions get distinct arguments, and bufferization never lets a linalg
/// op read a buffer it writes through a different allocation. Returns the
/// loop that replaces `loop`, or null when nothing moved.
static scf::ForOp hoistTileThroughLoop(RewriterBase &rewriter,
                                       scf::ForOp loop) {
  vector::TransferWriteOp write;
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
    auto candidate = dyn_cast<vector::TransferWriteOp>(op);
    if (!candidate || write || candidate->getBlock() != loop.getBody() ||
        !isa<MemRefType>(candidate.getShapedType()))
      unknown = true;
    write = candidate;
  });
  if (unknown || !write || write.getMask())
    return {};
  for (Value operand : write->getOperands())
    if (operand != write.getVector() && !loop.isDefinedOutsideOfLoop(operand))
      return {};

  vector::TransferReadOp read;
  Value root = rootBuffer(write.getBase());
  bool aliased = false;
  loop.getBody()->walk([&](Operation *op) {
    if (auto candidate = dyn_cast<vector::TransferReadOp>(op)) {
      if (!read && candidate->getBlock() == loop.getBody() &&
          candidate.getBase() == write.getBase() &&
          candidate.getIndices() == write.getIndices() &&
          candidate.getVectorType() == write.getVectorType() &&
          candidate.getPermutationMap() == write.getPermutationMap() &&
          !candidate.getMask() && candidate->isBeforeInBlock(write)) {
        read = candidate;
        return;
      }
      if (rootBuffer(candidate.getBase()) == root)
        aliased = true;
      return;
    }
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (rootBuffer(load.getMemRef()) == root)
        aliased = true;
      return;
    }
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (effects && effects.hasEffect<MemoryEffects::Read>() &&
        op != write.getOperation())
      aliased = true;
  });
  if (!read || aliased)
    return {};
  for (Value operand : read->getOperands())
    if (!loop.isDefinedOutsideOfLoop(operand))
      return {};

  rewriter.moveOpBefore(read, loop);
  rewriter.moveOpAfter(write, loop);
  Value written = write.getVector();
  FailureOr<LoopLikeOpInterface> carried =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, read.getVector(),
              /*replaceInitOperandUsesInLoop=*/true,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                return SmallVector<Value>{written};
              });
  if (failed(carried))
    return {};
  rewriter.modifyOpInPlace(write, [&] {
    write.getValueToStoreMutable().assign((*carried)->getResults().back());
  });
  return cast<scf::ForOp>(carried->getOperation());
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
      while (scf::ForOp carried = hoistTileThroughLoop(rewriter, loop))
        loop = carried;
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
