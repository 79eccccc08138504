//===- ConvToMatmul.cpp - Convolutions as image columns and a matmul ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Rewrites each f32 linalg.conv_2d_nchw_fchw on tensors into an image-column
// gather and a batched contraction (the im2col form that linalg's
// rewriteInIm2Col makes, which refuses a dynamic batch), so that
// kiln-gpu-tile-matmul makes a shared-memory tiled kernel of the
// contraction after bufferization.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUCONVTOMATMULPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Rewrites `conv_2d_nchw_fchw(input, filter, init)` into
///
///   columns[n, c * KH * KW + kh * KW + kw, oh * OW + ow] =
///       input[n, c, oh * SH + kh * DH, ow * SW + kw * DW]
///   out[n, f, p] += filter[f, q] * columns[n, q, p]
///
/// on the filter collapsed to F x (C*KH*KW) and the init collapsed to
/// N x F x (OH*OW), whose result is expanded back to N x F x OH x OW. The
/// batch N may be dynamic; every other size must be static.
struct ConvToMatmul : public OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    Value input = op.getInputs()[0], filter = op.getInputs()[1];
    Value init = op.getOutputs()[0];
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    auto filterType = dyn_cast<RankedTensorType>(filter.getType());
    auto outputType = dyn_cast<RankedTensorType>(init.getType());
    if (!inputType || !filterType || !outputType ||
        !inputType.getElementType().isF32() ||
        !filterType.getElementType().isF32() ||
        !outputType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not f32 tensors");
    if (!filterType.hasStaticShape() ||
        ShapedType::isDynamicShape(outputType.getShape().drop_front()))
      return rewriter.notifyMatchFailure(
          op, "a size other than the batch is dynamic");
    ArrayRef<int64_t> filterShape = filterType.getShape();
    ArrayRef<int64_t> outputShape = outputType.getShape();
    int64_t f = filterShape[0], c = filterShape[1], kh = filterShape[2],
            kw = filterShape[3];
    int64_t oh = outputShape[2], ow = outputShape[3];
    SmallVector<int64_t> strides =
        llvm::to_vector(op.getStrides().getValues<int64_t>());
    SmallVector<int64_t> dilations =
        llvm::to_vector(op.getDilations().getValues<int64_t>());
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Type f32 = rewriter.getF32Type();

    auto filterMatrix = tensor::CollapseShapeOp::create(
        rewriter, loc, filter,
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    SmallVector<ReassociationIndices> outputGroups = {{0}, {1}, {2, 3}};
    auto initMatrices =
        tensor::CollapseShapeOp::create(rewriter, loc, init, outputGroups);

    // The image columns: one generic that reads the input through the
    // convolution's window map.
    int64_t batch = outputShape[0];
    OpFoldResult batchSize = tensor::getMixedSize(rewriter, loc, init, 0);
    SmallVector<Value> dynamicSizes;
    if (ShapedType::isDynamic(batch))
      dynamicSizes.push_back(cast<Value>(batchSize));
    auto columnsType =
        RankedTensorType::get({batch, c * kh * kw, oh * ow}, f32);
    Value columnsInit =
        tensor::EmptyOp::create(rewriter, loc, columnsType, dynamicSizes);
    AffineExpr n, q, p;
    bindDims(context, n, q, p);
    AffineExpr channel = q.floorDiv(kh * kw);
    AffineExpr row = (q % (kh * kw)).floorDiv(kw), column = q % kw;
    AffineExpr outRow = p.floorDiv(ow), outColumn = p % ow;
    AffineMap windowMap =
        AffineMap::get(3, 0,
                       {n, channel, outRow * strides[0] + row * dilations[0],
                        outColumn * strides[1] + column * dilations[1]},
                       context);
    AffineMap identity3 = rewriter.getMultiDimIdentityMap(3);
    auto parallel = utils::IteratorType::parallel;
    auto columns = linalg::GenericOp::create(
        rewriter, loc, columnsType, ValueRange{input}, ValueRange{columnsInit},
        ArrayRef<AffineMap>{windowMap, identity3},
        ArrayRef<utils::IteratorType>{parallel, parallel, parallel},
        [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, args[0]);
        });

    // The contraction: loops (n, f, p, q).
    AffineExpr dn, df, dp, dq;
    bindDims(context, dn, df, dp, dq);
    SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {df, dq}, context),
                                   AffineMap::get(4, 0, {dn, dq, dp}, context),
                                   AffineMap::get(4, 0, {dn, df, dp}, context)};
    auto matmul = linalg::GenericOp::create(
        rewriter, loc, initMatrices.getType(),
        ValueRange{filterMatrix, columns.getResult(0)},
        ValueRange{initMatrices}, maps,
        ArrayRef<utils::IteratorType>{parallel, parallel, parallel,
                                      utils::IteratorType::reduction},
        [](OpBuilder &b, Location loc, ValueRange args) {
          Value product = arith::MulFOp::create(b, loc, args[0], args[1]);
          Value sum = arith::AddFOp::create(b, loc, product, args[2]);
          linalg::YieldOp::create(b, loc, sum);
        });

    SmallVector<OpFoldResult> resultShape = {
        batchSize, rewriter.getIndexAttr(f), rewriter.getIndexAttr(oh),
        rewriter.getIndexAttr(ow)};
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, outputType, matmul.getResult(0), outputGroups, resultShape);
    return success();
  }
};

struct KilnGPUConvToMatmulPass
    : public kiln::impl::KilnGPUConvToMatmulPassBase<KilnGPUConvToMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateKilnGPUConvToMatmulPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void mlir::kiln::populateKilnGPUConvToMatmulPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ConvToMatmul>(patterns.getContext());
}
