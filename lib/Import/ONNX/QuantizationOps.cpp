//===- QuantizationOps.cpp - ONNX quantization ops to kiln ----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
// ConvInteger, QLinearMatMul and QLinearConv, decomposed into casts,
// arithmetic, rounding (half to even), clipping, matmul and conv.
//
// The float arithmetic follows the types ONNX's reference computes in, so
// that the results agree bit for bit: integer accumulation happens in i32
// (matmul) or in f64 (conv, whose kiln op takes floats only: every partial
// sum of products of two 8-bit differences is an integer far below 2^53, so
// f64 holds it exactly), and requantization multiplies the accumulator, in
// f64, by the scale ratio computed in the scales' own type.
// DynamicQuantizeLinear of an all-zero input has scale 1/255, as ONNX's
// reference gives (ONNX Runtime gives 1).
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Casts `v` to `to` (no op if it already has that element type).
static Value castTo(NodeImporter &n, Value v, Type to, bool saturate = false) {
  if (!v)
    return {};
  if (typeOf(v).getElementType() == to)
    return v;
  return n.create<CastOp>(v, TypeAttr::get(to),
                          saturate ? n.builder.getUnitAttr() : UnitAttr());
}

/// `a op b` with both operands cast to `type` (created in that order).
template <typename OpTy>
static Value binaryIn(NodeImporter &n, Type type, Value a, Value b) {
  Value ca = castTo(n, a, type);
  Value cb = castTo(n, b, type);
  return binary<OpTy>(n, ca, cb);
}

static Value clipTo(NodeImporter &n, Value v, double lo, double hi) {
  if (!v)
    return {};
  return n.create<ClipOp>(v, n.builder.getF64FloatAttr(lo),
                          n.builder.getF64FloatAttr(hi));
}

static bool isFloat8(Type t) {
  return isa<Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type,
             Float8E5M2FNUZType>(t);
}

static bool isSubByteFloat(Type t) {
  return isa<Float4E2M1FNType, Float6E2M3FNType, Float6E3M2FNType>(t);
}

/// The range of an integer quantized type; nullopt for other types.
static std::optional<std::pair<double, double>> integerRange(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  if (!i || i.getWidth() > 16 || i.getWidth() < 2)
    return std::nullopt;
  unsigned w = i.getWidth();
  if (i.isUnsigned())
    return std::make_pair(0.0, std::ldexp(1.0, w) - 1);
  return std::make_pair(-std::ldexp(1.0, w - 1), std::ldexp(1.0, w - 1) - 1);
}

/// The float type numpy computes `a op b` in, for float types.
static Type promoteFloats(Type a, Type b) {
  if (a == b)
    return a;
  unsigned wa = a.getIntOrFloatBitWidth(), wb = b.getIntOrFloatBitWidth();
  if (wa == wb) // f16 with bf16
    return Float32Type::get(a.getContext());
  return wa > wb ? a : b;
}

/// Lays out a scale or zero point so that it broadcasts against `x`:
/// a one-element tensor becomes a scalar, a 1-D tensor (per-axis) lies
/// along `axis`, and with `blockSize` each element is repeated blockSize
/// times along `axis` (the last block may be cut short).
static Value layoutParam(NodeImporter &n, Value param, RankedTensorType x,
                         int64_t axis, int64_t blockSize, StringRef what) {
  RankedTensorType type = typeOf(param);
  if (!type)
    return {};
  if (type.getRank() == 0)
    return param;
  if (type.hasStaticShape() && type.getNumElements() == 1)
    return n.create<ReshapeOp>(param, ArrayRef<int64_t>{});
  // Only per-axis and blocked parameters use the axis.
  std::optional<int64_t> normalized = x.getRank() == 0
                                          ? std::optional<int64_t>(0)
                                          : n.normalizeAxis(axis, x.getRank());
  if (!normalized)
    return {};
  axis = *normalized;
  if (blockSize <= 0) {
    if (type.getRank() != 1) {
      (void)n.error(what + " must be a scalar or a 1-D tensor unless "
                           "block_size is given");
      return {};
    }
    if (x.getRank() == 0) {
      (void)n.error("a per-axis " + what + " needs an input of rank >= 1");
      return {};
    }
    int64_t d = x.getDimSize(axis);
    if (!ShapedType::isDynamic(d) && !type.isDynamicDim(0) &&
        type.getDimSize(0) != d) {
      (void)n.error(what + " has " + Twine(type.getDimSize(0)) +
                    " elements but the input's axis " + Twine(axis) +
                    " has size " + Twine(d));
      return {};
    }
    SmallVector<int64_t> shape(x.getRank(), 1);
    shape[axis] = type.isDynamicDim(0) ? -1 : type.getDimSize(0);
    return n.create<ReshapeOp>(param, shape);
  }
  if (type.getRank() != x.getRank()) {
    (void)n.error("a blocked " + what + " must have the input's rank");
    return {};
  }
  int64_t d = x.getDimSize(axis), blocks = type.getDimSize(axis);
  if (ShapedType::isDynamic(d) || ShapedType::isDynamic(blocks)) {
    (void)n.error("blocked quantization needs a static axis " + Twine(axis));
    return {};
  }
  if (blocks != (d + blockSize - 1) / blockSize) {
    (void)n.error(what + " has " + Twine(blocks) + " blocks along axis " +
                  Twine(axis) + " but the input needs " +
                  Twine((d + blockSize - 1) / blockSize) + " (block_size " +
                  Twine(blockSize) + ")");
    return {};
  }
  SmallVector<int64_t> ids;
  for (int64_t i = 0; i < d; ++i)
    ids.push_back(i / blockSize);
  return n.create<GatherOp>(param, n.constantI64(ids), axis);
}

/// The element type named by attribute `name`, or null if it is absent or
/// zero; reports unknown types.
static FailureOr<Type> typeAttr(NodeImporter &n, StringRef name) {
  int64_t t = n.intAttr(name, 0);
  if (t == 0)
    return Type();
  Type type = convertElementType(t, n.builder.getContext());
  if (!type) {
    (void)n.error(name + " " + Twine(t) + " is not a supported element type");
    return failure();
  }
  return type;
}

//===----------------------------------------------------------------------===//
// QuantizeLinear / DequantizeLinear
//===----------------------------------------------------------------------===//

static LogicalResult convertDequantizeLinear(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  Value zp = n.input(2);
  RankedTensorType xType = n.inputType(0);
  Type xElem = xType.getElementType(),
       scaleElem = n.inputType(1).getElementType();
  if (!isa<FloatType>(scaleElem))
    return n.error("x_scale must be a float tensor");
  int64_t axis = n.intAttr("axis", 1);
  int64_t blockSize = n.opset >= 21 ? n.intAttr("block_size", 0) : 0;
  FailureOr<Type> outElem =
      n.opset >= 23 ? typeAttr(n, "output_dtype") : FailureOr<Type>(Type());
  if (failed(outElem))
    return failure();
  Type out = *outElem ? *outElem : scaleElem;
  MLIRContext *ctx = n.builder.getContext();
  Type f32 = Float32Type::get(ctx), f64 = Float64Type::get(ctx);

  // As ONNX's reference: x in f32, minus the zero point (whose integer type
  // promotes the difference to f64 when it is 32 bits wide), times the
  // scale, then rounded to the output type. float8 and float4 inputs have
  // no zero point (it must be zero).
  bool hasZeroPoint = zp && isa<IntegerType>(xElem);
  if (zp && typeOf(zp).getElementType() != xElem)
    return n.error("x_zero_point must have the type of x");
  Value dx = castTo(n, *x, f32);
  Type diffType = f32;
  if (hasZeroPoint) {
    if (xElem.getIntOrFloatBitWidth() > 16)
      diffType = f64;
    Value z = layoutParam(n, zp, xType, axis, blockSize, "x_zero_point");
    dx = binaryIn<SubOp>(n, diffType, dx, z);
  }
  Value s = layoutParam(n, *scale, xType, axis, blockSize, "x_scale");
  Type mulType = promoteFloats(diffType, scaleElem);
  Value y = binaryIn<MulOp>(n, mulType, dx, s);
  return n.finish(castTo(n, y, out));
}

static LogicalResult convertQuantizeLinear(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  Value zp = n.input(2);
  RankedTensorType xType = n.inputType(0);
  Type xElem = xType.getElementType(),
       scaleElem = n.inputType(1).getElementType();
  if (!isa<FloatType>(xElem) && !isa<IntegerType>(xElem))
    return n.error("x must be a float or integer tensor");
  if (!isa<FloatType>(scaleElem))
    return n.error("y_scale must be a float tensor");
  int64_t axis = n.intAttr("axis", 1);
  int64_t blockSize = n.opset >= 21 ? n.intAttr("block_size", 0) : 0;
  FailureOr<Type> outAttr =
      n.opset >= 21 ? typeAttr(n, "output_dtype") : FailureOr<Type>(Type());
  FailureOr<Type> precision =
      n.opset >= 23 ? typeAttr(n, "precision") : FailureOr<Type>(Type());
  if (failed(outAttr) || failed(precision))
    return failure();
  Type out = *outAttr;
  if (zp) {
    Type zpElem = typeOf(zp).getElementType();
    if (out && out != zpElem)
      return n.error("output_dtype does not match y_zero_point's type");
    out = zpElem;
  }
  MLIRContext *ctx = n.builder.getContext();
  if (!out)
    out = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  bool saturate = n.opset >= 19 ? n.intAttr("saturate", 1) != 0 : true;

  // q = x / scale, in `precision` if given, else in numpy's promotion of
  // the two types.
  Type divType;
  if (*precision) {
    if (!isa<FloatType>(*precision))
      return n.error("precision must be a float type");
    divType = *precision;
  } else {
    divType = isa<FloatType>(xElem) ? promoteFloats(xElem, scaleElem)
                                    : Float64Type::get(ctx);
  }
  Value s = layoutParam(n, *scale, xType, axis, blockSize, "y_scale");
  Value q = binaryIn<DivOp>(n, divType, *x, s);

  if (std::optional<std::pair<double, double>> range = integerRange(out)) {
    // round(q) + zero point, saturated. The sum is exact in f32 wherever
    // it is in range; beyond, it saturates either way.
    Value r = unary<RoundOp>(n, q);
    if (divType.getIntOrFloatBitWidth() < 32)
      r = castTo(n, r, Float32Type::get(ctx));
    if (zp) {
      Type rType = typeOf(r) ? typeOf(r).getElementType() : Type();
      Value z = layoutParam(n, zp, xType, axis, blockSize, "y_zero_point");
      r = rType ? binary<AddOp>(n, r, castTo(n, z, rType)) : Value();
    }
    r = clipTo(n, r, range->first, range->second);
    return n.finish(castTo(n, r, out));
  }
  if (isFloat8(out))
    return n.finish(castTo(n, q, out, saturate));
  if (isSubByteFloat(out)) {
    if (zp) {
      Value z = layoutParam(n, zp, xType, axis, blockSize, "y_zero_point");
      q = binary<AddOp>(n, q, castTo(n, z, divType));
    }
    return n.finish(castTo(n, q, out));
  }
  std::string name;
  llvm::raw_string_ostream os(name);
  os << out;
  return n.error("cannot quantize to " + name);
}

//===----------------------------------------------------------------------===//
// DynamicQuantizeLinear
//===----------------------------------------------------------------------===//

static LogicalResult convertDynamicQuantizeLinear(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType xType = n.inputType(0);
  Type f32 = xType.getElementType();
  if (!f32.isF32())
    return n.error("x must be a float32 tensor");
  MLIRContext *ctx = n.builder.getContext();
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  SmallVector<int64_t> all = trailingAxes(0, xType.getRank());
  Value zero = n.scalar(0.0, f32);
  // As the spec: the range is widened to hold 0, its scale maps it onto
  // [0, 255] (a scale of 1/255 for an all-zero input), and the zero point
  // is the rounded image of 0.
  Value maxX = binary<MaxOp>(n, zero, reduce<ReduceMaxOp>(n, *x, all, false));
  Value minX = binary<MinOp>(n, zero, reduce<ReduceMinOp>(n, *x, all, false));
  Value equal = binary<EqualOp>(n, maxX, minX);
  Value width = binary<SubOp>(n, maxX, minX);
  Value one = n.scalar(1.0, f32);
  width =
      equal && one && width ? n.create<WhereOp>(equal, one, width) : Value();
  Value scale = binary<DivOp>(n, width, n.scalar(255.0, f32));
  Value initialZp = binary<SubOp>(n, zero, binary<DivOp>(n, minX, scale));
  Value zp = unary<RoundOp>(n, clipTo(n, initialZp, 0.0, 255.0));
  Value y =
      binary<AddOp>(n, unary<RoundOp>(n, binary<DivOp>(n, *x, scale)), zp);
  y = castTo(n, clipTo(n, y, 0.0, 255.0), u8);
  Value zpOut = castTo(n, zp, u8);
  if (!y || !scale || !zpOut)
    return failure();
  n.setOutput(0, y);
  n.setOutput(1, scale);
  n.setOutput(2, zpOut);
  return success();
}

//===----------------------------------------------------------------------===//
// MatMulInteger / QLinearMatMul
//===----------------------------------------------------------------------===//

/// `v` in i32 minus its zero point `zp` (if any); `perRow` lays a 1-D zero
/// point along the rows (the second-to-last axis).
static Value minusZeroPoint(NodeImporter &n, Value v, Value zp, bool perRow) {
  Type i32 = IntegerType::get(n.builder.getContext(), 32);
  Value r = castTo(n, v, i32);
  if (!zp)
    return r;
  RankedTensorType zType = typeOf(zp);
  if (zType.getElementType() != typeOf(v).getElementType()) {
    (void)n.error("a zero point must have the type of its input");
    return {};
  }
  Value z = castTo(n, zp, i32);
  if (perRow && zType.getRank() == 1)
    z = reshapeTo(n, z, {zType.getDimSize(0), 1});
  return binary<SubOp>(n, r, z);
}

/// Lays a 1-D per-row scale along the rows.
static Value perRow(NodeImporter &n, Value v) {
  RankedTensorType type = typeOf(v);
  if (!type || type.getRank() != 1)
    return v;
  return reshapeTo(n, v, {type.getDimSize(0), 1});
}

static LogicalResult convertMatMulInteger(NodeImporter &n) {
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  Value lhs = minusZeroPoint(n, *a, n.input(2), /*perRow=*/true);
  Value rhs = minusZeroPoint(n, *b, n.input(3), /*perRow=*/false);
  return n.finish(binary<MatMulOp>(n, lhs, rhs));
}

/// saturate(round(acc * multiplier + zp)) in `out`, computed in f64 as
/// ONNX's reference computes it.
static Value requantize(NodeImporter &n, Value acc, Value multiplier, Value zp,
                        Type out) {
  std::optional<std::pair<double, double>> range = integerRange(out);
  if (!range || out.getIntOrFloatBitWidth() != 8) {
    (void)n.error("the output must be int8 or uint8");
    return {};
  }
  Type f64 = Float64Type::get(n.builder.getContext());
  Value y = binaryIn<MulOp>(n, f64, acc, multiplier);
  if (zp)
    y = binary<AddOp>(n, y, castTo(n, zp, f64));
  y = clipTo(n, unary<RoundOp>(n, y), range->first, range->second);
  return castTo(n, y, out);
}

static LogicalResult convertQLinearMatMul(NodeImporter &n) {
  FailureOr<SmallVector<Value>> inputs = n.requiredInputs({0, 1, 3, 4, 6});
  if (failed(inputs))
    return failure();
  SmallVector<Value> &in = *inputs;
  Value a = in[0], aScale = in[1], b = in[2], bScale = in[3], yScale = in[4];
  Value aZp = n.input(2), bZp = n.input(5), yZp = n.input(7);
  for (Value v : {a, b})
    if (!integerRange(typeOf(v).getElementType()) ||
        typeOf(v).getElementType().getIntOrFloatBitWidth() != 8)
      return n.error("only int8 and uint8 inputs are supported");
  Type out = yZp ? typeOf(yZp).getElementType() : typeOf(a).getElementType();
  Type scaleType = typeOf(aScale).getElementType();
  if (!isa<FloatType>(scaleType) ||
      typeOf(bScale).getElementType() != scaleType ||
      typeOf(yScale).getElementType() != scaleType)
    return n.error("the scales must be float tensors of one type");
  Value lhs = minusZeroPoint(n, a, aZp, /*perRow=*/true);
  Value rhs = minusZeroPoint(n, b, bZp, /*perRow=*/false);
  Value acc = binary<MatMulOp>(n, lhs, rhs);
  Value multiplier =
      binary<DivOp>(n, binary<MulOp>(n, perRow(n, aScale), bScale), yScale);
  return n.finish(requantize(n, acc, multiplier, yZp, out));
}

//===----------------------------------------------------------------------===//
// ConvInteger / QLinearConv
//===----------------------------------------------------------------------===//

/// The ONNX Conv attributes with defaults filled in and auto_pad resolved
/// (as the Conv converter resolves them), the kernel shape coming from `w`
/// when not given.
static FailureOr<Window> getConvWindow(NodeImporter &n, RankedTensorType input,
                                       RankedTensorType weight) {
  int64_t spatial = input.getRank() - 2;
  if (spatial < 1 || weight.getRank() != input.getRank()) {
    (void)n.error("x must have rank at least 3 (N, C, spatial...) and w the "
                  "same rank");
    return failure();
  }
  SmallVector<int64_t> kernel;
  if (std::optional<SmallVector<int64_t>> k = n.intsAttr("kernel_shape"))
    kernel = *k;
  else if (llvm::none_of(weight.getShape().drop_front(2),
                         ShapedType::isDynamic))
    kernel.assign(weight.getShape().begin() + 2, weight.getShape().end());
  else {
    (void)n.error("the kernel shape is unknown");
    return failure();
  }
  return getWindow(n, input, kernel);
}

/// Lays a 1-D per-output-channel tensor along axis `axis` of `rank` dims.
static Value alongAxis(NodeImporter &n, Value v, int64_t axis, int64_t rank) {
  RankedTensorType type = typeOf(v);
  if (!type || type.getRank() != 1 || type.getDimSize(0) == 1)
    return v;
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = type.getDimSize(0);
  return reshapeTo(n, v, shape);
}

/// The integer convolution of (x - xZp) and (w - wZp) plus `bias`, as exact
/// integers in f64; a 1-D wZp is per output channel.
static Value integerConv(NodeImporter &n, Value x, Value w, Value xZp,
                         Value wZp, Value bias) {
  RankedTensorType xType = typeOf(x), wType = typeOf(w);
  if (!isa<IntegerType>(xType.getElementType()) ||
      !isa<IntegerType>(wType.getElementType())) {
    (void)n.error("x and w must be integer tensors");
    return {};
  }
  FailureOr<Window> win = getConvWindow(n, xType, wType);
  if (failed(win))
    return {};
  if ((xZp && typeOf(xZp).getElementType() != xType.getElementType()) ||
      (wZp && typeOf(wZp).getElementType() != wType.getElementType())) {
    (void)n.error("a zero point must have the type of its input");
    return {};
  }
  Type f64 = Float64Type::get(n.builder.getContext());
  Value dx = castTo(n, x, f64), dw = castTo(n, w, f64);
  if (xZp)
    dx = binary<SubOp>(n, dx, castTo(n, xZp, f64));
  if (wZp)
    dw = binary<SubOp>(n, dw,
                       castTo(n, alongAxis(n, wZp, 0, wType.getRank()), f64));
  Value b = bias ? castTo(n, bias, f64) : Value();
  if (!dx || !dw || (bias && !b))
    return {};
  return n.create<ConvOp>(dx, dw, b, win->strides, win->pads, win->dilations,
                          n.intAttr("group", 1));
}

static LogicalResult convertConvInteger(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), w = n.requiredInput(1);
  if (failed(x) || failed(w))
    return failure();
  Value acc = integerConv(n, *x, *w, n.input(2), n.input(3), Value());
  return n.finish(castTo(n, acc, IntegerType::get(n.builder.getContext(), 32)));
}

static LogicalResult convertQLinearConv(NodeImporter &n) {
  FailureOr<SmallVector<Value>> inputs = n.requiredInputs({0, 1, 3, 4, 6});
  if (failed(inputs))
    return failure();
  SmallVector<Value> &in = *inputs;
  Value x = in[0], xScale = in[1], w = in[2], wScale = in[3], yScale = in[4];
  Value xZp = n.input(2), wZp = n.input(5), yZp = n.input(7), bias = n.input(8);
  Type out = yZp ? typeOf(yZp).getElementType() : typeOf(x).getElementType();
  Type scaleType = typeOf(xScale).getElementType();
  if (!isa<FloatType>(scaleType) ||
      typeOf(wScale).getElementType() != scaleType ||
      typeOf(yScale).getElementType() != scaleType)
    return n.error("the scales must be float tensors of one type");
  if (bias && !typeOf(bias).getElementType().isInteger(32))
    return n.error("the bias B must be an int32 tensor");
  int64_t rank = typeOf(x).getRank();
  Value acc = integerConv(n, x, w, xZp, wZp, bias);
  Value multiplier = binary<DivOp>(
      n, binary<MulOp>(n, xScale, alongAxis(n, wScale, 1, rank)), yScale);
  return n.finish(requantize(n, acc, multiplier, yZp, out));
}

void onnx_import::registerQuantizationOps(OpConverterMap &map) {
  map["QuantizeLinear"] = convertQuantizeLinear;
  map["DequantizeLinear"] = convertDequantizeLinear;
  map["DynamicQuantizeLinear"] = convertDynamicQuantizeLinear;
  map["MatMulInteger"] = convertMatMulInteger;
  map["QLinearMatMul"] = convertQLinearMatMul;
  map["ConvInteger"] = convertConvInteger;
  map["QLinearConv"] = convertQLinearConv;
}
