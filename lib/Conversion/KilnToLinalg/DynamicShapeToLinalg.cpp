//===- DynamicShapeToLinalg.cpp - kiln shape computations to tensor -------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The ops of KilnShapeOps.td: shape queries (`kiln.shape`, `kiln.size`) as
// `tensor.dim` and `tensor.from_elements`, `kiln.range` and
// `kiln.constant_of_shape` as `linalg.generic` / `linalg.fill` of a run-time
// size, and the `kiln.dynamic_*` ops whose shape operand is read with
// `tensor.extract`. `kiln.dynamic_slice`, `dynamic_squeeze`,
// `dynamic_unsqueeze` and `dynamic_pad` are not lowered yet and are refused
// with a reason (`kiln.dynamic_reduce` is in ReductionToLinalg.cpp).
//
//===----------------------------------------------------------------------===//

#include "DataMovement.h"
#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Element `i` of the 1-D integer tensor `shape` as an index (`unsigned`
/// says how to extend it).
Value shapeEntry(OpBuilder &b, Location loc, Value shape, int64_t i,
                 bool isUnsigned) {
  Value index = arith::ConstantIndexOp::create(b, loc, i);
  Value v = tensor::ExtractOp::create(b, loc, shape, ValueRange{index});
  if (isUnsigned)
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// The static length of the 1-D shape operand `shape`, or failure.
FailureOr<int64_t> shapeLength(Value shape) {
  auto type = dyn_cast<RankedTensorType>(shape.getType());
  if (!type || type.getRank() != 1 || type.isDynamicDim(0))
    return failure();
  return type.getDimSize(0);
}

/// `kiln.shape`: the dims `[start, end)` as an i64 tensor.
struct ShapeOfToTensor : OneResultPattern<ShapeOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(ShapeOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    ArrayRef<int64_t> staticDims =
        inputType.getShape().slice(op.getStart(), op.getEnd() - op.getStart());
    auto type = RankedTensorType::get({static_cast<int64_t>(staticDims.size())},
                                      rewriter.getI64Type());
    Value result;
    if (llvm::none_of(staticDims, ShapedType::isDynamic)) {
      result = arith::ConstantOp::create(
          rewriter, loc, DenseIntElementsAttr::get(type, staticDims));
    } else {
      SmallVector<Value> dims;
      for (int64_t d = op.getStart(); d < op.getEnd(); ++d)
        dims.push_back(arith::IndexCastOp::create(
            rewriter, loc, rewriter.getI64Type(),
            tensor::DimOp::create(rewriter, loc, input, d)));
      result = tensor::FromElementsOp::create(rewriter, loc, type, dims);
    }
    return result;
  }
};

/// `kiln.size`: the product of the dims, as a 0-D i64 tensor.
struct SizeOfToTensor : OpConversionPattern<SizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType || resultType.getRank() != 0)
      return rewriter.notifyMatchFailure(op, "result is not a 0-D tensor");
    Value input = adaptor.getInput();
    IndexArith ia{rewriter, loc};
    OpFoldResult count = numElements(rewriter, loc, input);
    Value n = arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                         ia.value(count));
    rewriter.replaceOpWithNewOp<tensor::FromElementsOp>(op, resultType,
                                                        ValueRange{n});
    return success();
  }
};

/// `kiln.range`: `max(ceil((limit - start) / delta), 0)` elements
/// `start + i * delta`. The count of a float range is computed in f64, as
/// numpy's `arange` does.
struct RangeToLinalg : OpConversionPattern<RangeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType || resultType.getRank() != 1)
      return rewriter.notifyMatchFailure(op, "result is not a 1-D tensor");
    Type element = resultType.getElementType();
    if (isUnsignedInt(op.getStart().getType()))
      return rewriter.notifyMatchFailure(op, "unsigned ranges are not lowered");
    bool isFloat = isa<FloatType>(element);
    auto scalar = [&](Value t) -> Value {
      SmallVector<Value> zeros;
      if (int64_t rank = cast<RankedTensorType>(t.getType()).getRank())
        zeros.assign(rank, arith::ConstantIndexOp::create(rewriter, loc, 0));
      return tensor::ExtractOp::create(rewriter, loc, t, zeros);
    };
    Value start = scalar(adaptor.getStart()),
          limit = scalar(adaptor.getLimit()),
          delta = scalar(adaptor.getDelta());
    Type indexType = rewriter.getIndexType();
    Value count;
    if (isFloat) {
      Type f64 = rewriter.getF64Type();
      auto wide = [&](Value v) {
        return castScalar(rewriter, loc, v, element, f64);
      };
      Value span =
          arith::SubFOp::create(rewriter, loc, wide(limit), wide(start));
      Value steps = math::CeilOp::create(
          rewriter, loc,
          arith::DivFOp::create(rewriter, loc, span, wide(delta)));
      steps = arith::MaximumFOp::create(rewriter, loc, steps,
                                        scalarConstant(rewriter, loc, f64, 0));
      count =
          arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(), steps);
      count = arith::IndexCastOp::create(rewriter, loc, indexType, count);
    } else {
      Value span = arith::SubIOp::create(rewriter, loc, limit, start);
      Value steps = arith::CeilDivSIOp::create(rewriter, loc, span, delta);
      steps = arith::MaxSIOp::create(rewriter, loc, steps,
                                     scalarConstant(rewriter, loc, element, 0));
      count = arith::IndexCastOp::create(rewriter, loc, indexType, steps);
    }
    Value init = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{count}, element);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{},
        ValueRange{init},
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(1)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange) {
          Value i = linalg::IndexOp::create(b, l, 0);
          Value v;
          if (isFloat) {
            i = arith::IndexCastOp::create(b, l, b.getI64Type(), i);
            v = arith::SIToFPOp::create(b, l, element, i);
            v = arith::AddFOp::create(b, l, start,
                                      arith::MulFOp::create(b, l, v, delta));
          } else {
            v = arith::IndexCastOp::create(b, l, element, i);
            v = arith::AddIOp::create(b, l, start,
                                      arith::MulIOp::create(b, l, v, delta));
          }
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op,
                       castTo(rewriter, loc, generic.getResult(0), resultType));
    return success();
  }
};

/// `kiln.constant_of_shape`: `linalg.fill` of a tensor sized by the shape
/// operand.
struct ConstantOfShapeToLinalg : OpConversionPattern<ConstantOfShapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOfShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Type element = resultType.getElementType();
    TypedAttr fill;
    if (auto f = dyn_cast<FloatAttr>(op.getValue()))
      fill = FloatAttr::get(element, f.getValue());
    else if (auto i = dyn_cast<IntegerAttr>(op.getValue()))
      fill = IntegerAttr::get(element, i.getValue());
    else
      return rewriter.notifyMatchFailure(op, "unsupported fill value");
    bool isUnsigned = isUnsignedInt(op.getShape().getType());
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < resultType.getRank(); ++d)
      sizes.push_back(
          resultType.isDynamicDim(d)
              ? OpFoldResult(shapeEntry(rewriter, loc, adaptor.getShape(), d,
                                        isUnsigned))
              : OpFoldResult(rewriter.getIndexAttr(resultType.getDimSize(d))));
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes, element);
    Value value = arith::ConstantOp::create(rewriter, loc, fill);
    rewriter.replaceOp(op, castTo(rewriter, loc,
                                  fillTensor(rewriter, loc, value, init),
                                  resultType));
    return success();
  }
};

/// `kiln.dynamic_reshape`: each size is read from the shape operand; a 0
/// copies the input's dim (unless `allowzero`) and a -1 is the element
/// count divided by the other sizes. The reshape is a `tensor.reshape`.
struct DynamicReshapeToTensor : OpConversionPattern<DynamicReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DynamicReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    FailureOr<int64_t> length = shapeLength(adaptor.getShape());
    if (failed(length) || *length != resultType.getRank())
      return rewriter.notifyMatchFailure(op, "shape operand has no static "
                                             "length equal to the result rank");
    Value input = adaptor.getInput();
    int64_t inRank = cast<RankedTensorType>(input.getType()).getRank();
    bool isUnsigned = isUnsignedInt(op.getShape().getType());
    IndexArith ia{rewriter, loc};
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value minusOne = arith::ConstantIndexOp::create(rewriter, loc, -1);
    SmallVector<Value> entries, isInferred;
    Value known = one;
    for (int64_t d = 0; d < *length; ++d) {
      Value v = shapeEntry(rewriter, loc, adaptor.getShape(), d, isUnsigned);
      if (!op.getAllowzero() && d < inRank) {
        Value isZero = arith::CmpIOp::create(rewriter, loc,
                                             arith::CmpIPredicate::eq, v, zero);
        v = arith::SelectOp::create(
            rewriter, loc, isZero,
            tensor::DimOp::create(rewriter, loc, input, d), v);
      }
      Value inferred = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, v, minusOne);
      known = arith::MulIOp::create(
          rewriter, loc, known,
          arith::SelectOp::create(rewriter, loc, inferred, one, v));
      entries.push_back(v);
      isInferred.push_back(inferred);
    }
    OpFoldResult total = numElements(rewriter, loc, input);
    // A -1 next to a zero size is ill-formed; divide by 1 rather than 0.
    Value rest = arith::DivSIOp::create(
        rewriter, loc, ia.value(total),
        arith::MaxSIOp::create(rewriter, loc, known, one));
    SmallVector<OpFoldResult> sizes;
    for (auto [v, inferred] : llvm::zip_equal(entries, isInferred))
      sizes.push_back(arith::SelectOp::create(rewriter, loc, inferred, rest, v)
                          .getResult());
    // The declared result type may know some sizes statically.
    for (int64_t d = 0; d < resultType.getRank(); ++d)
      if (!resultType.isDynamicDim(d))
        sizes[d] = ia.index(resultType.getDimSize(d));
    rewriter.replaceOp(op,
                       reshapeTensor(rewriter, loc, input, resultType, sizes));
    return success();
  }
};

/// `kiln.dynamic_broadcast_to`: each result dim is the shape entry where
/// the input's dim is 1, else the input's dim (checked at run time where
/// the input's dim is dynamic).
struct DynamicBroadcastToLinalg : OpConversionPattern<DynamicBroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DynamicBroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    FailureOr<int64_t> length = shapeLength(adaptor.getShape());
    if (failed(length))
      return rewriter.notifyMatchFailure(op, "shape operand has no static "
                                             "length");
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    bool isUnsigned = isUnsignedInt(op.getShape().getType());
    int64_t rank = resultType.getRank();
    int64_t inOffset = rank - inputType.getRank(), shapeOffset = rank - *length;
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<OpFoldResult> sizes;
    SmallVector<BroadcastDim> dims;
    for (int64_t j = 0; j < rank; ++j) {
      int64_t i = j - inOffset, k = j - shapeOffset;
      Value entry;
      if (k >= 0)
        entry = shapeEntry(rewriter, loc, adaptor.getShape(), k, isUnsigned);
      if (i < 0) {
        sizes.push_back(entry);
        continue;
      }
      int64_t in = inputType.getDimSize(i);
      if (!entry || (!ShapedType::isDynamic(in) && in != 1)) {
        dims.push_back(BroadcastDim::Same);
        sizes.push_back(dimSize(rewriter, loc, input, i));
      } else if (in == 1) {
        dims.push_back(BroadcastDim::Expand);
        sizes.push_back(entry);
      } else {
        dims.push_back(BroadcastDim::RunTime);
        Value d = tensor::DimOp::create(rewriter, loc, input, i);
        Value isOne = arith::CmpIOp::create(rewriter, loc,
                                            arith::CmpIPredicate::eq, d, one);
        sizes.push_back(arith::SelectOp::create(rewriter, loc, isOne, entry, d)
                            .getResult());
      }
    }
    for (int64_t d = 0; d < rank; ++d)
      if (!resultType.isDynamicDim(d))
        sizes[d] = rewriter.getIndexAttr(resultType.getDimSize(d));
    rewriter.replaceOp(
        op, broadcastTensor(rewriter, loc, input, resultType, sizes, dims));
    return success();
  }
};

/// `kiln.dynamic_split`: one `tensor.extract_slice` per result, at offsets
/// that add up the sizes read from the operand.
struct DynamicSplitToTensor : OpConversionPattern<DynamicSplitOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DynamicSplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    FailureOr<int64_t> length = shapeLength(adaptor.getSizes());
    if (failed(length) || *length != static_cast<int64_t>(op.getNumResults()))
      return rewriter.notifyMatchFailure(op, "sizes operand has no static "
                                             "length equal to the result "
                                             "count");
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    bool isUnsigned = isUnsignedInt(op.getSizes().getType());
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> strides(rank, ia.index(1));
    SmallVector<Value> results;
    OpFoldResult offset = ia.index(0);
    for (auto [i, result] : llvm::enumerate(op.getResults())) {
      auto resultType =
          convertedTensorType(*getTypeConverter(), result.getType());
      if (!resultType)
        return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
      SmallVector<OpFoldResult> offsets(rank, ia.index(0));
      offsets[axis] = offset;
      sizes[axis] =
          shapeEntry(rewriter, loc, adaptor.getSizes(), i, isUnsigned);
      Value slice = extractSlice(rewriter, loc, input, offsets, sizes, strides);
      results.push_back(castTo(rewriter, loc, slice, resultType));
      offset = ia.add(offset, sizes[axis]);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// `kiln.dynamic_slice`: for every input dim, the start, step and size are
/// computed at run time (the default for a dim no axis names is the whole
/// dim, step 1), with ONNX's clamping; then one `linalg.generic` over the
/// result reads `input[start + i * step]`.
/// `kiln.dynamic_squeeze` and `kiln.dynamic_unsqueeze`: removing or
/// inserting dims of size 1 keeps the row-major layout, so both are a
/// `tensor.reshape` to sizes computed at run time. Output dim `k` takes the
/// size of the input dim that lands there: for squeeze, the k-th input dim
/// not listed in the axes; for unsqueeze, 1 where `k` is listed, else the
/// next input dim.
template <typename OpTy>
struct DynamicSqueezeToTensor : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  static constexpr bool unsqueeze = std::is_same_v<OpTy, DynamicUnsqueezeOp>;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType =
        convertedTensorType(*this->getTypeConverter(), op.getType());
    Value input = adaptor.getInput();
    int64_t inRank = cast<RankedTensorType>(input.getType()).getRank();
    FailureOr<int64_t> count = shapeLength(adaptor.getAxes());
    if (!resultType || failed(count))
      return rewriter.notifyMatchFailure(op, "needs axes of static length");
    int64_t outRank = resultType.getRank();
    bool isUnsigned = isUnsignedInt(op.getAxes().getType());
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    auto eq = [&](Value a, Value b) -> Value {
      return arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, a,
                                   b);
    };
    // The axes, normalised against the rank they index.
    int64_t axesRank = unsqueeze ? outRank : inRank;
    SmallVector<Value> axes;
    for (int64_t j = 0; j < *count; ++j) {
      Value a = shapeEntry(rewriter, loc, adaptor.getAxes(), j, isUnsigned);
      Value negative = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::slt, a, c(0));
      axes.push_back(arith::SelectOp::create(
          rewriter, loc, negative,
          arith::AddIOp::create(rewriter, loc, a, c(axesRank)), a));
    }
    auto listed = [&](Value position) -> Value {
      Value any =
          arith::ConstantOp::create(rewriter, loc, rewriter.getBoolAttr(false));
      for (Value a : axes)
        any = arith::OrIOp::create(rewriter, loc, any, eq(a, position));
      return any;
    };
    SmallVector<Value> sizes(outRank, c(1));
    if (unsqueeze) {
      // Walk the output; `next` counts the input dims used so far.
      Value next = c(0);
      for (int64_t k = 0; k < outRank; ++k) {
        Value inserted = listed(c(k));
        Value size = c(1);
        for (int64_t d = 0; d < inRank; ++d)
          size = arith::SelectOp::create(
              rewriter, loc, eq(next, c(d)),
              tensor::DimOp::create(rewriter, loc, input, d), size);
        sizes[k] = arith::SelectOp::create(rewriter, loc, inserted, c(1), size);
        next = arith::SelectOp::create(
            rewriter, loc, inserted, next,
            arith::AddIOp::create(rewriter, loc, next, c(1)));
      }
    } else {
      // Walk the input; `kept` counts the output dims filled so far.
      Value kept = c(0);
      for (int64_t d = 0; d < inRank; ++d) {
        Value removed = listed(c(d));
        Value dim = tensor::DimOp::create(rewriter, loc, input, d);
        for (int64_t k = 0; k < outRank; ++k) {
          Value here = arith::AndIOp::create(
              rewriter, loc, eq(kept, c(k)),
              arith::XOrIOp::create(
                  rewriter, loc, removed,
                  arith::ConstantOp::create(rewriter, loc,
                                            rewriter.getBoolAttr(true))));
          sizes[k] =
              arith::SelectOp::create(rewriter, loc, here, dim, sizes[k]);
        }
        kept = arith::SelectOp::create(
            rewriter, loc, removed, kept,
            arith::AddIOp::create(rewriter, loc, kept, c(1)));
      }
    }
    auto shapeType = RankedTensorType::get({outRank}, rewriter.getIndexType());
    Value shape =
        tensor::FromElementsOp::create(rewriter, loc, shapeType, sizes);
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, resultType, input,
                                                   shape);
    return success();
  }
};

struct DynamicSliceToLinalg : OpConversionPattern<DynamicSliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DynamicSliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    FailureOr<int64_t> count = shapeLength(adaptor.getStarts());
    if (!resultType || failed(count))
      return rewriter.notifyMatchFailure(op, "needs bounds of static length");
    int64_t rank = inputType.getRank();
    auto unsignedOf = [&](Value v) { return isUnsignedInt(v.getType()); };
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    auto select = [&](Value cond, Value a, Value b) -> Value {
      return arith::SelectOp::create(rewriter, loc, cond, a, b);
    };
    auto cmp = [&](arith::CmpIPredicate p, Value a, Value b) -> Value {
      return arith::CmpIOp::create(rewriter, loc, p, a, b);
    };
    auto add = [&](Value a, Value b) -> Value {
      return arith::AddIOp::create(rewriter, loc, a, b);
    };
    auto sub = [&](Value a, Value b) -> Value {
      return arith::SubIOp::create(rewriter, loc, a, b);
    };
    auto clamp = [&](Value v, Value lo, Value hi) -> Value {
      return arith::MinSIOp::create(
          rewriter, loc, arith::MaxSIOp::create(rewriter, loc, v, lo), hi);
    };
    using P = arith::CmpIPredicate;

    SmallVector<Value> starts, steps, sizes;
    for (int64_t d = 0; d < rank; ++d) {
      Value dim = tensor::DimOp::create(rewriter, loc, input, d);
      Value start = c(0), step = c(1), size = dim;
      for (int64_t j = 0; j < *count; ++j) {
        Value axis = shapeEntry(rewriter, loc, adaptor.getAxes(), j,
                                unsignedOf(op.getAxes()));
        axis = select(cmp(P::slt, axis, c(0)), add(axis, c(rank)), axis);
        Value here = cmp(P::eq, axis, c(d));
        Value s = shapeEntry(rewriter, loc, adaptor.getStarts(), j,
                             unsignedOf(op.getStarts()));
        Value e = shapeEntry(rewriter, loc, adaptor.getEnds(), j,
                             unsignedOf(op.getEnds()));
        Value st = shapeEntry(rewriter, loc, adaptor.getSteps(), j,
                              unsignedOf(op.getSteps()));
        // ONNX's ends are often INT64_MAX / INT64_MIN; index is 64-bit.
        s = select(cmp(P::slt, s, c(0)), add(s, dim), s);
        e = select(cmp(P::slt, e, c(0)), add(e, dim), e);
        Value forward = cmp(P::sgt, st, c(0));
        Value dimMinusOne = sub(dim, c(1));
        Value sClamped =
            select(forward, clamp(s, c(0), dim), clamp(s, c(0), dimMinusOne));
        Value eClamped =
            select(forward, clamp(e, c(0), dim), clamp(e, c(-1), dimMinusOne));
        // ceil((e - s) / st) for st > 0, ceil((s - e) / -st) otherwise.
        Value span =
            select(forward, sub(eClamped, sClamped), sub(sClamped, eClamped));
        Value stride = select(forward, st, sub(c(0), st));
        Value n = arith::CeilDivSIOp::create(rewriter, loc, span, stride);
        n = arith::MaxSIOp::create(rewriter, loc, n, c(0));
        start = select(here, sClamped, start);
        step = select(here, st, step);
        size = select(here, n, size);
      }
      starts.push_back(start);
      steps.push_back(step);
      sizes.push_back(size);
    }
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < rank; ++d)
      if (resultType.isDynamicDim(d))
        dynamic.push_back(sizes[d]);
    Value init = emptyTensor(rewriter, loc, resultType, dynamic);
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(b, l, d);
            at.push_back(arith::AddIOp::create(
                b, l, starts[d], arith::MulIOp::create(b, l, i, steps[d])));
          }
          Value v = tensor::ExtractOp::create(b, l, input, at);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// Refuses an op that is not lowered yet, saying why.
template <typename OpTy> struct Refused : OpConversionPattern<OpTy> {
  Refused(const TypeConverter &converter, MLIRContext *context,
          StringRef reason)
      : OpConversionPattern<OpTy>(converter, context), reason(reason.str()) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return rewriter.notifyMatchFailure(op, reason);
  }

  std::string reason;
};

} // namespace

void mlir::kiln::populateKilnDynamicShapeToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ShapeOfToTensor, SizeOfToTensor, RangeToLinalg,
               ConstantOfShapeToLinalg, DynamicReshapeToTensor,
               DynamicBroadcastToLinalg, DynamicSplitToTensor,
               DynamicSliceToLinalg>(converter, context);
  StringRef notYet = "not lowered yet: its run-time shape operand decides "
                     "which dims change";
  patterns.add<DynamicSqueezeToTensor<DynamicSqueezeOp>,
               DynamicSqueezeToTensor<DynamicUnsqueezeOp>>(converter, context);
  patterns.add<Refused<DynamicPadOp>>(converter, context, notYet);
}
