//===- CPUVectorPatterns.cpp - Vector rewrites of the CPU strategies ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "CPUVectorPatterns.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

/// The widest innermost stride a strided read is widened for: a wider
/// stride reads more lanes that it throws away than it keeps.
static constexpr int64_t kMaxDeinterleaveStride = 4;

namespace {

/// A read of `vector<1x..x1xL>` from a chain of `tensor.extract_slice`s whose
/// composed innermost stride is `s` in [2, 4] becomes a read of
/// `vector<1x..x1x(s*L)>` of the chain's source and a shuffle of lanes 0, s,
/// 2s, ...: one or two vector loads and a permute instead of L scalar loads.
/// The wide read may run past the end of the source's innermost dim by up to
/// s - 1 lanes, which it never keeps: it is marked possibly out of bounds
/// along that dim and reads padding there.
struct DeinterleaveStridedRead
    : public OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    VectorType type = read.getVectorType();
    auto sliceType = dyn_cast<RankedTensorType>(read.getBase().getType());
    if (!sliceType || read.getMask() || type.getRank() != sliceType.getRank() ||
        !read.getPermutationMap().isMinorIdentity() || type.isScalable())
      return rewriter.notifyMatchFailure(read, "not a full-rank tensor read");
    int64_t lanes = type.getShape().back();
    if (lanes < 2 || llvm::any_of(type.getShape().drop_back(),
                                  [](int64_t size) { return size != 1; }))
      return rewriter.notifyMatchFailure(read, "not a row of lanes");
    if (!llvm::all_of(read.getInBoundsValues(), [](bool b) { return b; }))
      return rewriter.notifyMatchFailure(read, "may read out of bounds");

    // The chain of slices the read sees through, innermost slice first, and
    // their composed innermost stride.
    SmallVector<tensor::ExtractSliceOp> slices;
    int64_t stride = 1;
    Value source = read.getBase();
    while (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>()) {
      if (slice.getSourceType().getRank() != slice.getType().getRank() ||
          !llvm::all_of(slice.getMixedStrides(), [](OpFoldResult s) {
            return getConstantIntValue(s).has_value();
          }))
        break;
      stride *= *getConstantIntValue(slice.getMixedStrides().back());
      slices.push_back(slice);
      source = slice.getSource();
    }
    if (stride < 2 || stride > kMaxDeinterleaveStride)
      return rewriter.notifyMatchFailure(read, "no small innermost stride");

    // Compose the slices' offsets and strides into indices of their source.
    Location loc = read.getLoc();
    SmallVector<OpFoldResult> indices = getAsOpFoldResult(read.getIndices());
    for (tensor::ExtractSliceOp slice : slices) {
      for (auto [index, offset, sliceStride] : llvm::zip(
               indices, slice.getMixedOffsets(), slice.getMixedStrides())) {
        AffineExpr i, o;
        bindSymbols(rewriter.getContext(), i, o);
        index = affine::makeComposedFoldedAffineApply(
            rewriter, loc, i * *getConstantIntValue(sliceStride) + o,
            {index, offset});
      }
    }
    SmallVector<int64_t> wideShape(type.getShape());
    wideShape.back() = stride * lanes;
    auto wideType = VectorType::get(wideShape, type.getElementType());
    SmallVector<bool> inBounds(type.getRank(), true);
    inBounds.back() = false;
    SmallVector<Value> indexValues =
        getValueOrCreateConstantIndexOp(rewriter, loc, indices);
    Value wide = vector::TransferReadOp::create(
        rewriter, loc, wideType, source, indexValues, read.getPadding(),
        AffineMap::getMinorIdentityMap(wideShape.size(), wideShape.size(),
                                       rewriter.getContext()),
        inBounds);
    auto flatType = VectorType::get({stride * lanes}, type.getElementType());
    Value flat = vector::ShapeCastOp::create(rewriter, loc, flatType, wide);
    SmallVector<int64_t> mask;
    for (int64_t lane = 0; lane < lanes; ++lane)
      mask.push_back(lane * stride);
    Value kept = vector::ShuffleOp::create(rewriter, loc, flat, flat, mask);
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(read, type, kept);
    return success();
  }
};

/// A step of a one-column register tile whose left-hand side is read
/// transposed, (k, m) (a packed left-hand side's block: its rows
/// contiguous), `vector<1xM>` x `vector<1x1>` into `vector<Mx1>`, becomes
/// one FMA along the rows: the rows times the broadcast column element, where
/// the outer product would be M scalar FMAs, one per row.
struct ColumnContractionAsFMA : public OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    auto lhsType = dyn_cast<VectorType>(contract.getLhsType());
    auto rhsType = dyn_cast<VectorType>(contract.getRhsType());
    auto accType = dyn_cast<VectorType>(contract.getAccType());
    if (!lhsType || !rhsType || !accType ||
        contract.getKind() != vector::CombiningKind::ADD ||
        !lhsType.getElementType().isF32() || lhsType.getRank() != 2 ||
        lhsType.getDimSize(0) != 1 ||
        rhsType.getShape() != ArrayRef<int64_t>{1, 1} ||
        accType.getShape() != ArrayRef<int64_t>{lhsType.getDimSize(1), 1} ||
        lhsType.isScalable())
      return failure();
    if (contract.getIndexingMapsArray() !=
        kiln::transposedLhsMatmulMaps(contract.getContext()))
      return failure();
    Location loc = contract.getLoc();
    auto rowType =
        VectorType::get({lhsType.getDimSize(1)}, lhsType.getElementType());
    Value rows =
        vector::ShapeCastOp::create(rewriter, loc, rowType, contract.getLhs());
    Value element = vector::ExtractOp::create(rewriter, loc, contract.getRhs(),
                                              ArrayRef<int64_t>{0, 0});
    Value column = vector::BroadcastOp::create(rewriter, loc, rowType, element);
    // Once the column's reads and writes are hoisted out of the k loop, the
    // loop carries the shape-cast vector of the rows (see
    // KilnHoistVectorTransfersPass): one vector register, not M one-lane
    // vectors.
    Value acc =
        vector::ShapeCastOp::create(rewriter, loc, rowType, contract.getAcc());
    Value sum = vector::FMAOp::create(rewriter, loc, rows, column, acc);
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(contract, accType, sum);
    return success();
  }
};

} // namespace

SmallVector<AffineMap>
mlir::kiln::transposedLhsMatmulMaps(MLIRContext *context) {
  AffineExpr m = getAffineDimExpr(0, context), n = getAffineDimExpr(1, context),
             k = getAffineDimExpr(2, context);
  return {AffineMap::get(3, 0, {k, m}, context),
          AffineMap::get(3, 0, {k, n}, context),
          AffineMap::get(3, 0, {m, n}, context)};
}

void mlir::kiln::populateColumnContractionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ColumnContractionAsFMA>(patterns.getContext(),
                                       /*benefit=*/2);
}

void mlir::kiln::populateDeinterleaveStridedReadPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DeinterleaveStridedRead>(patterns.getContext());
}

LogicalResult mlir::kiln::approximateVectorMath(Operation *root) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (isa<math::ExpOp, math::ErfOp, math::TanhOp, math::LogOp>(op) &&
        isa<VectorType>(op->getResult(0).getType()) &&
        getElementTypeOrSelf(op->getResult(0).getType()).isF32())
      ops.push_back(op);
  });
  if (ops.empty())
    return success();
  RewritePatternSet patterns(root->getContext());
  populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
    return llvm::is_contained(
        {math::ExpOp::getOperationName(), math::ErfOp::getOperationName(),
         math::TanhOp::getOperationName(), math::LogOp::getOperationName()},
        name);
  });
  return applyOpPatternsGreedily(ops, std::move(patterns));
}
