//===- NormalizationToLinalg.cpp - kiln normalisations to linalg ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kiln.batch_norm` is one elementwise `linalg.generic` reading the four
// per-channel parameters along dim 1.
//
// `kiln.layer_norm` follows ONNX LayerNormalization's function body: in the
// stash type (f32 for narrower floats, else the input's type) a reduction
// sums the input over the normalised dims, a second sums the squared
// deviations from the mean, and a final elementwise `linalg.generic`
// computes `(x - mean) * (1 / sqrt(var + epsilon))`, casts it back to the
// input's type and applies `scale` and `bias` there.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct BatchNormToLinalg : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    Type element = type.getElementType();
    Value input = adaptor.getInput();
    int64_t rank = type.getRank();
    MLIRContext *context = rewriter.getContext();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, context));
    Value epsilon = scalarConstant(rewriter, loc, element,
                                   op.getEpsilon().convertToDouble());
    Value init = emptyTensorOfSizes(rewriter, loc,
                                    dimSizes(rewriter, loc, input), element);
    SmallVector<AffineMap> maps = {identity, channel, channel,
                                   channel,  channel, identity};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, init.getType(),
            ValueRange{input, adaptor.getScale(), adaptor.getBias(),
                       adaptor.getMean(), adaptor.getVariance()},
            ValueRange{init}, maps, iterators,
            [&](OpBuilder &b, Location loc, ValueRange args) {
              // scale * (x - mean) / sqrt(var + epsilon) + bias
              Value centred = arith::SubFOp::create(b, loc, args[0], args[3]);
              Value deviation = math::SqrtOp::create(
                  b, loc, arith::AddFOp::create(b, loc, args[4], epsilon));
              Value normalized =
                  arith::DivFOp::create(b, loc, centred, deviation);
              Value scaled = arith::MulFOp::create(b, loc, normalized, args[1]);
              linalg::YieldOp::create(
                  b, loc,
                  arith::AddFOp::create(b, loc, scaled, args[2]).getResult());
            })
            .getResult(0);
    if (result.getType() != type)
      result = tensor::CastOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `x` extended to the float type `to` if it is narrower.
Value extendTo(OpBuilder &b, Location loc, Value x, Type to) {
  if (x.getType() == to)
    return x;
  return arith::ExtFOp::create(b, loc, to, x);
}

struct LayerNormToLinalg : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    auto element = cast<FloatType>(type.getElementType());
    // ONNX's default stash type is float32.
    Type stash = element.getWidth() < 32 ? rewriter.getF32Type() : element;
    Value input = adaptor.getInput();
    int64_t rank = type.getRank(), axis = op.getAxis();
    IndexArith ia{rewriter, loc};

    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> outerSizes(sizes.begin(), sizes.begin() + axis);
    OpFoldResult count = ia.index(1);
    for (int64_t d = axis; d < rank; ++d)
      count = ia.mul(count, sizes[d]);
    Value countValue;
    if (auto c = getConstantIntValue(count)) {
      countValue = scalarConstant(rewriter, loc, stash, *c);
    } else {
      Value n = arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                           ia.value(count));
      countValue = arith::SIToFPOp::create(rewriter, loc, stash, n);
    }
    Value epsilon =
        scalarConstant(rewriter, loc, stash, op.getEpsilon().convertToDouble());

    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<AffineExpr> outerExprs;
    for (int64_t d = 0; d < axis; ++d)
      outerExprs.push_back(rewriter.getAffineDimExpr(d));
    AffineMap outer =
        AffineMap::get(rank, 0, outerExprs, rewriter.getContext());
    SmallVector<utils::IteratorType> reduceIterators(
        axis, utils::IteratorType::parallel);
    reduceIterators.append(rank - axis, utils::IteratorType::reduction);
    Value zero = scalarConstant(rewriter, loc, stash, 0);
    auto zeros = [&] {
      return fillTensor(rewriter, loc, zero,
                        emptyTensorOfSizes(rewriter, loc, outerSizes, stash));
    };

    // Sum of x.
    Value sumInit = zeros();
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, sumInit.getType(), ValueRange{input},
            ValueRange{sumInit}, SmallVector<AffineMap>{identity, outer},
            reduceIterators,
            [&](OpBuilder &b, Location loc, ValueRange args) {
              Value x = extendTo(b, loc, args[0], stash);
              linalg::YieldOp::create(
                  b, loc,
                  arith::AddFOp::create(b, loc, args[1], x).getResult());
            })
            .getResult(0);
    // Sum of (x - mean)^2.
    Value squares =
        linalg::GenericOp::create(
            rewriter, loc, sum.getType(), ValueRange{input, sum},
            ValueRange{zeros()}, SmallVector<AffineMap>{identity, outer, outer},
            reduceIterators,
            [&](OpBuilder &b, Location loc, ValueRange args) {
              Value x = extendTo(b, loc, args[0], stash);
              Value mean = arith::DivFOp::create(b, loc, args[1], countValue);
              Value d = arith::SubFOp::create(b, loc, x, mean);
              Value square = arith::MulFOp::create(b, loc, d, d);
              linalg::YieldOp::create(
                  b, loc,
                  arith::AddFOp::create(b, loc, args[2], square).getResult());
            })
            .getResult(0);

    // The normalised, scaled and shifted result.
    Value scale = adaptor.getScale(), bias = adaptor.getBias();
    SmallVector<Value> inputs = {input, sum, squares, scale};
    SmallVector<AffineMap> maps = {
        identity, outer, outer,
        broadcastIndexingMap(cast<RankedTensorType>(scale.getType()), type)};
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(
          broadcastIndexingMap(cast<RankedTensorType>(bias.getType()), type));
    }
    maps.push_back(identity);
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value init = emptyTensorOfSizes(rewriter, loc, sizes, element);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, init.getType(), inputs, ValueRange{init}, maps,
            parallel,
            [&](OpBuilder &b, Location loc, ValueRange args) {
              Value x = extendTo(b, loc, args[0], stash);
              Value mean = arith::DivFOp::create(b, loc, args[1], countValue);
              Value var = arith::DivFOp::create(b, loc, args[2], countValue);
              Value d = arith::SubFOp::create(b, loc, x, mean);
              Value deviation = math::SqrtOp::create(
                  b, loc, arith::AddFOp::create(b, loc, var, epsilon));
              Value inverse = arith::DivFOp::create(
                  b, loc, scalarConstant(b, loc, stash, 1), deviation);
              Value normalized = arith::MulFOp::create(b, loc, d, inverse);
              if (stash != element)
                normalized =
                    arith::TruncFOp::create(b, loc, element, normalized);
              Value y = arith::MulFOp::create(b, loc, normalized, args[3]);
              if (bias)
                y = arith::AddFOp::create(b, loc, y, args[4]);
              linalg::YieldOp::create(b, loc, y);
            })
            .getResult(0);
    if (result.getType() != type)
      result = tensor::CastOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnNormalizationToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<BatchNormToLinalg, LayerNormToLinalg>(converter,
                                                     patterns.getContext());
}
