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
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace kiln {
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
    if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
        dims->k.size() != 1 || dims->batch.size() + 3 != loops)
      return std::nullopt;
    // The output's innermost dim must be n, the vector dim.
    AffineMap out = op.getIndexingMapsArray().back();
    auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
    if (!last || last.getPosition() != dims->n[0])
      return std::nullopt;
    Strategy s;
    s.name = "contraction";
    s.cacheTiles.assign(loops, 1);
    s.registerTiles.assign(loops, 1);
    unsigned m = dims->m[0], n = dims->n[0], k = dims->k[0];
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
    // Loop order: batch, n, m, k; the k loop innermost keeps the output
    // tile in registers.
    for (unsigned b : dims->batch) {
      s.cacheOrder.push_back(b);
      s.registerOrder.push_back(b);
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

namespace {

struct KilnCPUTilePass
    : public kiln::impl::KilnCPUTilePassBase<KilnCPUTilePass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, Strategy>, 8> work;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<Strategy> strategy = chooseStrategy(op))
        work.push_back({op, *strategy});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, strategy] : work) {
      Operation *current = op;
      rewriter.setInsertionPoint(current);
      if (!strategy.cacheTiles.empty()) {
        FailureOr<scf::SCFTilingResult> cache =
            tile(rewriter, current, strategy.cacheTiles, strategy.cacheOrder);
        if (failed(cache))
          continue;
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
      // the full tiles have static shapes after canonicalization.
      SmallVector<scf::ForOp> loops;
      for (LoopLikeOpInterface loop : reg->loops)
        if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
          loops.push_back(forOp);
      linalg::peelLoops(rewriter, loops);
      ++numTiled;
    }
  }
};

struct KilnCPUVectorizePass
    : public kiln::impl::KilnCPUVectorizePassBase<KilnCPUVectorizePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::LinalgOp> marked;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kVectorizeMarker))
        marked.push_back(op);
    });
    IRRewriter rewriter(&getContext());
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

struct KilnHoistVectorTransfersPass
    : public kiln::impl::KilnHoistVectorTransfersPassBase<
          KilnHoistVectorTransfersPass> {
  void runOnOperation() override {
    linalg::hoistRedundantVectorTransfers(getOperation());
  }
};

} // namespace
