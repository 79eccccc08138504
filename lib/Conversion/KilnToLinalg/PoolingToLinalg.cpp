//===- PoolingToLinalg.cpp - kiln pooling ops to linalg -------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Windowed pooling pads the input (with the lowest value for max pooling,
// zeros for average pooling; with `ceil_mode` the end pad grows so that the
// last window fits), then reduces each window with `linalg.pooling_nc*_max`
// / `_sum` (1-D and 2-D) or a `linalg.generic` whose window operand is a
// `tensor.empty` of the kernel shape (3-D, unsigned). Average pooling then
// divides by each window's count: the window's positions inside the input,
// or inside the padded input with `count_include_pad`, never those past the
// end pad that `ceil_mode` adds.
//
// Global pooling is one `linalg.generic` reducing the spatial dims into a
// (N, C, 1, ...) result, then a division for the average.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The lowest value of `element` (kiln's type, so signedness is known), in
/// the converted (signless) type: -inf, the signed minimum, or 0.
Value lowestValue(OpBuilder &b, Location loc, Type element) {
  if (auto f = dyn_cast<FloatType>(element))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(f, APFloat::getInf(f.getFloatSemantics(),
                                          /*Negative=*/true)));
  unsigned width = element.getIntOrFloatBitWidth();
  Type signless = b.getIntegerType(width);
  APInt value = element.isUnsignedInteger() ? APInt::getZero(width)
                                            : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(signless, value));
}

/// The larger of two scalars; NaN propagates. Of a zero and a negative zero
/// either may be taken (`nsz`), which spares the code that orders them: a
/// float max is then one compare, one max and one blend per vector.
Value maxScalar(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y, arith::FastMathFlags::nsz);
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

/// The sliding-window geometry of a pooling op along its spatial dims.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd;

  int64_t extent(int64_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
  int64_t rank() const { return kernel.size(); }

  /// How many positions of window `o` along dim `i` lie in [lo, hi), where
  /// input positions count from 0.
  int64_t count(int64_t i, int64_t o, int64_t lo, int64_t hi) const {
    int64_t start = o * strides[i] - padBegin[i], n = 0;
    for (int64_t k = 0; k < kernel[i]; ++k) {
      int64_t p = start + k * dilations[i];
      n += p >= lo && p < hi;
    }
    return n;
  }
};

/// Pads `input` for `window`: `padBegin`, then `padEnd` plus whatever the
/// last of `outSizes` windows needs beyond it (ceil mode).
Value padForWindow(OpBuilder &b, Location loc, Value input,
                   const Window &window, ArrayRef<OpFoldResult> outSizes,
                   Value padValue) {
  IndexArith ia{b, loc};
  SmallVector<OpFoldResult> low(2, ia.index(0)), high = low;
  bool any = false;
  for (int64_t i = 0; i < window.rank(); ++i) {
    OpFoldResult in = dimSize(b, loc, input, i + 2);
    // The padded length the windows need: (out - 1) * stride + extent.
    OpFoldResult needed = ia.add(ia.mul(ia.sub(outSizes[i + 2], ia.index(1)),
                                        ia.index(window.strides[i])),
                                 ia.index(window.extent(i)));
    OpFoldResult extra = ia.max(
        ia.index(0), ia.sub(needed, ia.add(in, ia.index(window.padBegin[i] +
                                                        window.padEnd[i]))));
    OpFoldResult end = ia.add(ia.index(window.padEnd[i]), extra);
    low.push_back(ia.index(window.padBegin[i]));
    high.push_back(end);
    auto e = getConstantIntValue(end);
    any |= window.padBegin[i] != 0 || !e || *e != 0;
  }
  if (!any)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t i = 0; i < window.rank(); ++i) {
    auto h = getConstantIntValue(high[i + 2]);
    shape[i + 2] = ShapedType::isDynamic(shape[i + 2]) || !h
                       ? ShapedType::kDynamic
                       : shape[i + 2] + window.padBegin[i] + *h;
  }
  return tensor::PadOp::create(b, loc, type.clone(shape), input, low, high,
                               padValue);
}

/// Reduces each window of `padded` into `init` with `combine`: a named
/// pooling op when `named` builds one, else a `linalg.generic`.
Value poolWindows(
    OpBuilder &b, Location loc, Value padded, Value init, const Window &window,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    function_ref<Value(OpBuilder &, Location, Value, Value, Value,
                       DenseIntElementsAttr, DenseIntElementsAttr)>
        named) {
  Type element = cast<RankedTensorType>(padded.getType()).getElementType();
  Value kernel = tensor::EmptyOp::create(b, loc, window.kernel, element);
  if (named)
    if (Value result = named(b, loc, padded, kernel, init,
                             b.getI64TensorAttr(window.strides),
                             b.getI64TensorAttr(window.dilations)))
      return result;
  MLIRContext *context = b.getContext();
  int64_t spatial = window.rank(), loops = 2 + 2 * spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  SmallVector<AffineExpr> inputExprs = {dim(0), dim(1)}, kernelExprs,
                          outputExprs = {dim(0), dim(1)};
  for (int64_t i = 0; i < spatial; ++i) {
    AffineExpr o = dim(2 + i), k = dim(2 + spatial + i);
    inputExprs.push_back(o * window.strides[i] + k * window.dilations[i]);
    kernelExprs.push_back(k);
    outputExprs.push_back(o);
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, inputExprs, context),
      AffineMap::get(loops, 0, kernelExprs, context),
      AffineMap::get(loops, 0, outputExprs, context)};
  SmallVector<utils::IteratorType> iterators(2 + spatial,
                                             utils::IteratorType::parallel);
  iterators.append(spatial, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{padded, kernel},
             ValueRange{init}, maps, iterators,
             [&](OpBuilder &b, Location loc, ValueRange args) {
               linalg::YieldOp::create(b, loc,
                                       combine(b, loc, args[2], args[0]));
             })
      .getResult(0);
}

/// The output sizes of a pooling op: the result type's static sizes, the
/// input's N and C, and floor-mode sizes for dynamic spatial dims.
SmallVector<OpFoldResult> poolOutputSizes(OpBuilder &b, Location loc,
                                          Value input, RankedTensorType type,
                                          const Window &window) {
  IndexArith ia{b, loc};
  SmallVector<OpFoldResult> sizes = {dimSize(b, loc, input, 0),
                                     dimSize(b, loc, input, 1)};
  for (int64_t i = 0; i < window.rank(); ++i) {
    if (!type.isDynamicDim(i + 2)) {
      sizes.push_back(ia.index(type.getDimSize(i + 2)));
      continue;
    }
    OpFoldResult span =
        ia.sub(ia.add(dimSize(b, loc, input, i + 2),
                      ia.index(window.padBegin[i] + window.padEnd[i])),
               ia.index(window.extent(i)));
    sizes.push_back(
        ia.add(ia.floorDiv(span, ia.index(window.strides[i])), ia.index(1)));
  }
  return sizes;
}

/// The window geometry of a pooling op.
template <typename OpTy> Window windowOf(OpTy op) {
  Window w;
  int64_t spatial = op.getKernelShape().size();
  w.kernel.assign(op.getKernelShape().begin(), op.getKernelShape().end());
  w.strides.assign(op.getStrides().begin(), op.getStrides().end());
  w.dilations.assign(op.getDilations().begin(), op.getDilations().end());
  w.padBegin.assign(op.getPads().begin(), op.getPads().begin() + spatial);
  w.padEnd.assign(op.getPads().begin() + spatial, op.getPads().end());
  return w;
}

/// Whether ceil mode meets a dynamic spatial dim (whose output size would
/// need a runtime correction).
template <typename OpTy> bool ceilNeedsStaticSizes(OpTy op) {
  auto type = cast<RankedTensorType>(op.getInput().getType());
  if (!op.getCeilMode())
    return false;
  return llvm::any_of(type.getShape().drop_front(2), ShapedType::isDynamic);
}

struct MaxPoolToLinalg : OpConversionPattern<MaxPoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    if (ceilNeedsStaticSizes(op))
      return rewriter.notifyMatchFailure(op,
                                         "ceil_mode with dynamic spatial dims");
    Type kilnElement = op.getType().getElementType();
    if (kilnElement.isInteger(1))
      return rewriter.notifyMatchFailure(op, "boolean max pooling");
    bool isUnsigned = isUnsignedInt(kilnElement);
    Window window = windowOf(op);
    Value input = adaptor.getInput();
    SmallVector<OpFoldResult> sizes =
        poolOutputSizes(rewriter, loc, input, type, window);
    Value lowest = lowestValue(rewriter, loc, kilnElement);
    Value padded = padForWindow(rewriter, loc, input, window, sizes, lowest);
    Value init = fillTensor(
        rewriter, loc, lowest,
        emptyTensorOfSizes(rewriter, loc, sizes, type.getElementType()));
    auto named = [&](OpBuilder &b, Location loc, Value in, Value kernel,
                     Value out, DenseIntElementsAttr strides,
                     DenseIntElementsAttr dilations) -> Value {
      // The named ops take the signed maximum of integers.
      if (isUnsigned)
        return {};
      if (window.rank() == 1)
        return linalg::PoolingNcwMaxOp::create(b, loc, out.getType(),
                                               ValueRange{in, kernel}, out,
                                               strides, dilations)
            .getResult(0);
      if (window.rank() == 2)
        return linalg::PoolingNchwMaxOp::create(b, loc, out.getType(),
                                                ValueRange{in, kernel}, out,
                                                strides, dilations)
            .getResult(0);
      return {};
    };
    Value result = poolWindows(
        rewriter, loc, padded, init, window,
        [&](OpBuilder &b, Location loc, Value acc, Value x) {
          return maxScalar(b, loc, acc, x, isUnsigned);
        },
        named);
    if (result.getType() != type)
      result = tensor::CastOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AveragePoolToLinalg : OpConversionPattern<AveragePoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AveragePoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    Window window = windowOf(op);
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    bool includePad = op.getCountIncludePad();
    bool staticSpatial = !llvm::any_of(inputType.getShape().drop_front(2),
                                       ShapedType::isDynamic);
    bool noPads = llvm::all_of(window.padBegin, [](int64_t p) { return !p; }) &&
                  llvm::all_of(window.padEnd, [](int64_t p) { return !p; });
    // Without static sizes, only a uniform divisor is supported: floor mode,
    // and either no pads or pads that count.
    if (!staticSpatial && (op.getCeilMode() || !(includePad || noPads)))
      return rewriter.notifyMatchFailure(
          op, "dynamic spatial dims with ceil_mode or excluded pads");
    Type element = type.getElementType();
    SmallVector<OpFoldResult> sizes =
        poolOutputSizes(rewriter, loc, input, type, window);
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value padded = padForWindow(rewriter, loc, input, window, sizes, zero);
    Value init = fillTensor(rewriter, loc, zero,
                            emptyTensorOfSizes(rewriter, loc, sizes, element));
    auto named = [&](OpBuilder &b, Location loc, Value in, Value kernel,
                     Value out, DenseIntElementsAttr strides,
                     DenseIntElementsAttr dilations) -> Value {
      if (window.rank() == 1)
        return linalg::PoolingNcwSumOp::create(b, loc, out.getType(),
                                               ValueRange{in, kernel}, out,
                                               strides, dilations)
            .getResult(0);
      if (window.rank() == 2)
        return linalg::PoolingNchwSumOp::create(b, loc, out.getType(),
                                                ValueRange{in, kernel}, out,
                                                strides, dilations)
            .getResult(0);
      return {};
    };
    Value sum = poolWindows(
        rewriter, loc, padded, init, window,
        [](OpBuilder &b, Location loc, Value acc, Value x) -> Value {
          return arith::AddFOp::create(b, loc, acc, x);
        },
        named);

    // The divisor of each window, per spatial dim; uniform unless pads are
    // excluded or ceil mode adds positions past the end pad.
    int64_t spatial = window.rank();
    SmallVector<SmallVector<int64_t>> counts(spatial);
    bool uniform = true;
    int64_t full = 1;
    for (int64_t i = 0; i < spatial; ++i) {
      full *= window.kernel[i];
      if (!staticSpatial)
        continue;
      int64_t in = inputType.getDimSize(i + 2);
      int64_t lo = includePad ? -window.padBegin[i] : 0;
      int64_t hi = includePad ? in + window.padEnd[i] : in;
      for (int64_t o = 0, e = type.getDimSize(i + 2); o < e; ++o) {
        counts[i].push_back(window.count(i, o, lo, hi));
        uniform &= counts[i].back() == window.kernel[i];
      }
    }
    MLIRContext *context = rewriter.getContext();
    int64_t rank = type.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<Value> inputs = {sum};
    SmallVector<AffineMap> maps = {identity};
    Value divisor;
    if (uniform) {
      divisor = scalarConstant(rewriter, loc, element, full);
    } else {
      // A constant (spatial...) tensor of the divisors.
      SmallVector<int64_t> shape(type.getShape().drop_front(2));
      SmallVector<Attribute> values;
      SmallVector<int64_t> index(spatial, 0);
      int64_t total = ShapedType::getNumElements(shape);
      for (int64_t flat = 0; flat < total; ++flat) {
        int64_t product = 1;
        for (int64_t i = 0, rest = flat; i < spatial; ++i) {
          int64_t stride = ShapedType::getNumElements(
              ArrayRef<int64_t>(shape).drop_front(i + 1));
          product *= counts[i][(rest / stride)];
          rest %= stride;
        }
        values.push_back(rewriter.getFloatAttr(element, product));
      }
      auto divisorType = RankedTensorType::get(shape, element);
      inputs.push_back(arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(divisorType, values)));
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < spatial; ++i)
        exprs.push_back(getAffineDimExpr(i + 2, context));
      maps.push_back(AffineMap::get(rank, 0, exprs, context));
    }
    maps.push_back(identity);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, sum.getType(), inputs,
            ValueRange{emptyTensorOfSizes(rewriter, loc, sizes, element)}, maps,
            iterators,
            [&](OpBuilder &b, Location loc, ValueRange args) {
              Value d = divisor ? divisor : args[1];
              linalg::YieldOp::create(
                  b, loc,
                  arith::DivFOp::create(b, loc, args[0], d).getResult());
            })
            .getResult(0);
    if (result.getType() != type)
      result = tensor::CastOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Global pooling: one reduction over the spatial dims into (N, C, 1, ...).
template <typename OpTy, bool IsAverage>
struct GlobalPoolToLinalg : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*this->getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    Type kilnElement = op.getType().getElementType();
    Type element = type.getElementType();
    bool isUnsigned = isUnsignedInt(kilnElement);
    if (IsAverage && !isa<FloatType>(element))
      return rewriter.notifyMatchFailure(op, "integer average pooling");
    if (kilnElement.isInteger(1))
      return rewriter.notifyMatchFailure(op, "boolean pooling");
    Value input = adaptor.getInput();
    int64_t rank = type.getRank();
    MLIRContext *context = rewriter.getContext();
    SmallVector<OpFoldResult> sizes = {dimSize(rewriter, loc, input, 0),
                                       dimSize(rewriter, loc, input, 1)};
    sizes.append(rank - 2, rewriter.getIndexAttr(1));
    Value initValue = IsAverage ? scalarConstant(rewriter, loc, element, 0)
                                : lowestValue(rewriter, loc, kilnElement);
    Value init = fillTensor(rewriter, loc, initValue,
                            emptyTensorOfSizes(rewriter, loc, sizes, element));
    SmallVector<AffineExpr> outExprs = {getAffineDimExpr(0, context),
                                        getAffineDimExpr(1, context)};
    outExprs.append(rank - 2, getAffineConstantExpr(0, context));
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   AffineMap::get(rank, 0, outExprs, context)};
    SmallVector<utils::IteratorType> iterators(2,
                                               utils::IteratorType::parallel);
    iterators.append(rank - 2, utils::IteratorType::reduction);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, init.getType(), ValueRange{input}, ValueRange{init},
            maps, iterators,
            [&](OpBuilder &b, Location loc, ValueRange args) {
              Value r = IsAverage
                            ? arith::AddFOp::create(b, loc, args[1], args[0])
                                  .getResult()
                            : maxScalar(b, loc, args[1], args[0], isUnsigned);
              linalg::YieldOp::create(b, loc, r);
            })
            .getResult(0);
    if (IsAverage) {
      // Divide by the number of spatial positions.
      IndexArith ia{rewriter, loc};
      OpFoldResult count = ia.index(1);
      for (int64_t d = 2; d < rank; ++d)
        count = ia.mul(count, dimSize(rewriter, loc, input, d));
      Value divisor;
      if (auto c = getConstantIntValue(count)) {
        divisor = scalarConstant(rewriter, loc, element, *c);
      } else {
        Value n = arith::IndexCastOp::create(
            rewriter, loc, rewriter.getI64Type(), ia.value(count));
        divisor = arith::SIToFPOp::create(rewriter, loc, element, n);
      }
      AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
      SmallVector<utils::IteratorType> parallel(rank,
                                                utils::IteratorType::parallel);
      result =
          linalg::GenericOp::create(
              rewriter, loc, result.getType(), ValueRange{result},
              ValueRange{emptyTensorOfSizes(rewriter, loc, sizes, element)},
              SmallVector<AffineMap>{identity, identity}, parallel,
              [&](OpBuilder &b, Location loc, ValueRange args) {
                linalg::YieldOp::create(
                    b, loc,
                    arith::DivFOp::create(b, loc, args[0], divisor)
                        .getResult());
              })
              .getResult(0);
    }
    if (result.getType() != type)
      result = tensor::CastOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnPoolingToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<MaxPoolToLinalg, AveragePoolToLinalg,
               GlobalPoolToLinalg<GlobalAveragePoolOp, true>,
               GlobalPoolToLinalg<GlobalMaxPoolOp, false>>(
      converter, patterns.getContext());
}
