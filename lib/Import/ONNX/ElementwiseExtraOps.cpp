//===- ElementwiseExtraOps.cpp - More ONNX elementwise ops to kiln --------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Cast and CastLike (with float8 saturation), Clip with tensor bounds, Pow
// of mixed element types, the trigonometric and hyperbolic functions,
// IsNaN, IsInf, Mod, BitShift and the bitwise ops, and activations that
// decompose exactly into kiln ops (following the ONNX function bodies).
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

static Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// A binary kiln op; null (its error reported) if either operand is null.
template <typename OpTy>
static Value binary(NodeImporter &n, Value a, Value b) {
  return a && b ? n.create<OpTy>(a, b) : Value();
}

/// A unary kiln op; null if the operand is null.
template <typename OpTy> static Value unary(NodeImporter &n, Value a) {
  return a ? n.create<OpTy>(a) : Value();
}

/// kiln.where; null if an operand is null.
static Value select(NodeImporter &n, Value c, Value x, Value y) {
  return c && x && y ? n.create<WhereOp>(c, x, y) : Value();
}

static bool isFloat8(Type t) {
  return isa<Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type,
             Float8E5M2FNUZType, Float8E8M0FNUType>(t);
}

//===----------------------------------------------------------------------===//
// Cast and CastLike
//===----------------------------------------------------------------------===//

/// Casts `x` to `to` with the node's `saturate` and `round_mode`.
static LogicalResult castTo(NodeImporter &n, Value x, Type to) {
  // `saturate` (opset 19+, default 1) only applies to float8 targets.
  bool saturate = isFloat8(to) && n.intAttr("saturate", 1) != 0;
  if (isa<Float8E8M0FNUType>(to)) {
    std::string roundMode = n.stringAttr("round_mode", "up");
    if (roundMode != "up")
      return n.error("round_mode '" + roundMode +
                     "' is not supported (Kiln casts to FLOAT8E8M0 with "
                     "round_mode 'up')");
  }
  Value y = n.create<CastOp>(x, TypeAttr::get(to),
                             saturate ? n.builder.getUnitAttr() : UnitAttr());
  return n.finish(y);
}

static LogicalResult convertCast(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  const onnx::AttributeProto *toAttr = n.attr("to");
  if (!toAttr)
    return n.error("the 'to' attribute is required");
  int64_t toType = toAttr->i();
  if (toType == onnx::TensorProto::STRING)
    return n.error("casts to STRING are not supported");
  Type to = convertElementType(toType, n.builder.getContext());
  if (!to)
    return n.error("casts to an unsupported element type (data type " +
                   Twine(toType) + ")");
  return castTo(n, *x, to);
}

static LogicalResult convertCastLike(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), like = n.requiredInput(1);
  if (failed(x) || failed(like))
    return failure();
  return castTo(n, *x, elementTypeOf(*like));
}

//===----------------------------------------------------------------------===//
// Clip and Pow
//===----------------------------------------------------------------------===//

/// Clip: kiln.clip when the bounds are constants in order, else a
/// kiln.max / kiln.min chain (Max then Min, so min > max gives max).
static LogicalResult convertClip(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  Type element = xType.getElementType();
  std::optional<double> constant[2];
  Value bound[2];
  for (unsigned i = 0; i < 2; ++i) {
    StringRef name = i == 0 ? "min" : "max";
    if (n.opset < 11) {
      // Clip-6's bounds default to -FLT_MAX and FLT_MAX.
      float limit = std::numeric_limits<float>::max();
      constant[i] = n.floatAttr(name, i == 0 ? -limit : limit);
      continue;
    }
    if (!(bound[i] = n.input(i + 1)))
      continue;
    auto type = cast<RankedTensorType>(bound[i].getType());
    if (type.getElementType() != element)
      return n.error("'" + name + "' must have the input's element type");
    if (!type.hasStaticShape() || type.getNumElements() != 1 ||
        type.getRank() > xType.getRank())
      return n.error("'" + name + "' must be a scalar");
    constant[i] = n.constantScalar(i + 1);
  }
  bool useClip = (bound[0] ? constant[0].has_value() : true) &&
                 (bound[1] ? constant[1].has_value() : true) &&
                 !(constant[0] && constant[1] && *constant[0] > *constant[1]);
  // An integer bound that a double cannot hold exactly stays a tensor.
  for (unsigned i = 0; i < 2; ++i)
    if (useClip && bound[i] && isa<IntegerType>(element) &&
        std::abs(*constant[i]) > 9007199254740992.0)
      useClip = false;
  if (useClip) {
    Builder &b = n.builder;
    return n.finish(n.create<ClipOp>(
        *x, constant[0] ? b.getF64FloatAttr(*constant[0]) : FloatAttr(),
        constant[1] ? b.getF64FloatAttr(*constant[1]) : FloatAttr()));
  }
  Value y = *x;
  for (unsigned i = 0; i < 2 && y; ++i) {
    if (!bound[i] && !constant[i])
      continue;
    Value v = bound[i] ? bound[i] : n.scalar(*constant[i], element);
    y = i == 0 ? n.create<MaxOp>(y, v) : n.create<MinOp>(y, v);
  }
  return n.finish(y);
}

/// Pow whose exponent has another element type than the base: both are
/// widened (to f64 if either is a float, else to i64), raised, and the
/// result converted back to the base's type, as ONNX's result type is.
static LogicalResult convertPow(NodeImporter &n) {
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  Type base = elementTypeOf(*a), exponent = elementTypeOf(*b);
  if (base == exponent)
    return n.finish(n.create<PowOp>(*a, *b));
  Builder &builder = n.builder;
  Type wide = isa<FloatType>(base) || isa<FloatType>(exponent)
                  ? Type(builder.getF64Type())
                  : Type(builder.getI64Type());
  auto widen = [&](Value v) -> Value {
    if (!v || elementTypeOf(v) == wide)
      return v;
    return n.create<CastOp>(v, TypeAttr::get(wide), UnitAttr());
  };
  Value wa = widen(*a), wb = widen(*b);
  if (!wa || !wb)
    return failure();
  Value p = n.create<PowOp>(wa, wb);
  if (!p || base == wide)
    return n.finish(p);
  return n.finish(n.create<CastOp>(p, TypeAttr::get(base), UnitAttr()));
}

//===----------------------------------------------------------------------===//
// IsInf, Mod, BitShift
//===----------------------------------------------------------------------===//

static LogicalResult convertIsInf(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Builder &b = n.builder;
  Value y =
      n.create<IsInfOp>(*x, b.getBoolAttr(n.intAttr("detect_negative", 1) != 0),
                        b.getBoolAttr(n.intAttr("detect_positive", 1) != 0));
  return n.finish(y);
}

static LogicalResult convertMod(NodeImporter &n) {
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  int64_t fmod = n.intAttr("fmod", 0);
  if (fmod != 0 && fmod != 1)
    return n.error("fmod must be 0 or 1, got " + Twine(fmod));
  if (fmod == 0 && n.opset < 28 && isa<FloatType>(elementTypeOf(*a)))
    return n.error("fmod must be 1 for floating-point inputs before opset 28");
  return n.finish(n.create<ModOp>(*a, *b, n.builder.getBoolAttr(fmod == 1)));
}

static LogicalResult convertBitShift(NodeImporter &n) {
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  Type element = elementTypeOf(*a);
  if (n.opset < 28 && !element.isUnsignedInteger())
    return n.error("BitShift takes unsigned integers before opset 28");
  std::string direction = n.stringAttr("direction", "");
  if (direction == "LEFT")
    return n.finish(n.create<ShiftLeftOp>(*a, *b));
  if (direction == "RIGHT")
    return n.finish(n.create<ShiftRightOp>(*a, *b));
  return n.error("direction must be LEFT or RIGHT, got '" + direction + "'");
}

//===----------------------------------------------------------------------===//
// Activations that decompose into kiln ops
//===----------------------------------------------------------------------===//

/// Fetches input 0 of a float-only activation.
static FailureOr<Value> floatInput(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(elementTypeOf(*x))) {
    (void)n.error("takes a floating-point input");
    return failure();
  }
  return x;
}

// The decompositions create their ops one statement at a time, in the
// order of the ONNX function bodies, so that the IR does not depend on the
// compiler's order of evaluating arguments.

/// Softsign: x / (1 + |x|).
static LogicalResult convertSoftsign(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  Value one = n.scalar(1, elementTypeOf(*x));
  Value abs = unary<AbsOp>(n, *x);
  Value denominator = binary<AddOp>(n, one, abs);
  return n.finish(binary<DivOp>(n, *x, denominator));
}

/// Selu: where(x < 0, gamma * (alpha * e^x - alpha), gamma * x).
static LogicalResult convertSelu(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  Type t = elementTypeOf(*x);
  Value alpha = n.scalar(n.floatAttr("alpha", 1.67326319217681884765625f), t);
  Value gamma = n.scalar(n.floatAttr("gamma", 1.05070102214813232421875f), t);
  Value zero = n.scalar(0, t);
  Value exp = unary<ExpOp>(n, *x);
  Value alphaExp = binary<MulOp>(n, alpha, exp);
  Value shifted = binary<SubOp>(n, alphaExp, alpha);
  Value negative = binary<MulOp>(n, gamma, shifted);
  Value positive = binary<MulOp>(n, gamma, *x);
  Value isNegative = binary<LessOp>(n, *x, zero);
  return n.finish(select(n, isNegative, negative, positive));
}

/// Celu: alpha * elu(x / alpha) with elu's alpha 1.
static LogicalResult convertCelu(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  Value alpha = n.scalar(n.floatAttr("alpha", 1), elementTypeOf(*x));
  Value scaled = binary<DivOp>(n, *x, alpha);
  Value elu =
      scaled ? n.create<EluOp>(scaled, n.builder.getF32FloatAttr(1)) : Value();
  return n.finish(binary<MulOp>(n, alpha, elu));
}

/// max(min(alpha * x + beta, 1), 0).
static Value hardSigmoid(NodeImporter &n, Value x, float alpha, float beta) {
  Type t = elementTypeOf(x);
  Value alphaValue = n.scalar(alpha, t);
  Value betaValue = n.scalar(beta, t);
  Value zero = n.scalar(0, t);
  Value one = n.scalar(1, t);
  Value scaled = binary<MulOp>(n, x, alphaValue);
  Value affine = binary<AddOp>(n, scaled, betaValue);
  Value upper = binary<MinOp>(n, affine, one);
  return binary<MaxOp>(n, upper, zero);
}

static LogicalResult convertHardSigmoid(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  return n.finish(hardSigmoid(n, *x, n.floatAttr("alpha", 0.2f),
                              n.floatAttr("beta", 0.5f)));
}

/// HardSwish: x * HardSigmoid(x) with alpha 1/6 (as a float) and beta 0.5.
static LogicalResult convertHardSwish(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  Value sigmoid = hardSigmoid(n, *x, 1.0f / 6.0f, 0.5f);
  return n.finish(binary<MulOp>(n, *x, sigmoid));
}

/// ThresholdedRelu: where(alpha < x, x, 0).
static LogicalResult convertThresholdedRelu(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  Type t = elementTypeOf(*x);
  Value alpha = n.scalar(n.floatAttr("alpha", 1), t);
  Value zero = n.scalar(0, t);
  Value above = binary<LessOp>(n, alpha, *x);
  return n.finish(select(n, above, *x, zero));
}

/// Shrink: where(x < -lambd, x + bias, where(lambd < x, x - bias, 0)).
static LogicalResult convertShrink(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type t = elementTypeOf(*x);
  if (!isa<FloatType>(t))
    return n.error("Shrink of integers is not supported");
  float lambd = n.floatAttr("lambd", 0.5f), bias = n.floatAttr("bias", 0);
  Value lambdValue = n.scalar(lambd, t);
  Value biasValue = n.scalar(bias, t);
  Value zero = n.scalar(0, t);
  Value negLambd = n.scalar(-lambd, t);
  Value below = binary<LessOp>(n, *x, negLambd);
  Value plusBias = binary<AddOp>(n, *x, biasValue);
  Value minusBias = binary<SubOp>(n, *x, biasValue);
  Value above = binary<LessOp>(n, lambdValue, *x);
  Value inner = select(n, above, minusBias, zero);
  return n.finish(select(n, below, plusBias, inner));
}

/// Mish: x * tanh(softplus(x)).
static LogicalResult convertMish(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  Value softplus = unary<SoftplusOp>(n, *x);
  Value tanh = unary<TanhOp>(n, softplus);
  return n.finish(binary<MulOp>(n, *x, tanh));
}

/// Swish: x * sigmoid(alpha * x).
static LogicalResult convertSwish(NodeImporter &n) {
  FailureOr<Value> x = floatInput(n);
  if (failed(x))
    return failure();
  Value alpha = n.scalar(n.floatAttr("alpha", 1), elementTypeOf(*x));
  Value scaled = binary<MulOp>(n, alpha, *x);
  Value sigmoid = unary<SigmoidOp>(n, scaled);
  return n.finish(binary<MulOp>(n, *x, sigmoid));
}

/// PRelu: where(x < 0, slope * x, x); slope broadcasts to x's shape.
static LogicalResult convertPRelu(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), slope = n.requiredInput(1);
  if (failed(x) || failed(slope))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  Value scaled = binary<MulOp>(n, *slope, *x);
  if (!scaled)
    return failure();
  auto scaledType = cast<RankedTensorType>(scaled.getType());
  if (scaledType.getRank() != xType.getRank() ||
      llvm::any_of(llvm::zip(scaledType.getShape(), xType.getShape()),
                   [](auto dims) {
                     auto [s, d] = dims;
                     return !ShapedType::isDynamic(s) &&
                            !ShapedType::isDynamic(d) && s != d;
                   }))
    return n.error("slope must broadcast to the input's shape");
  Value isNegative = binary<LessOp>(n, *x, n.scalar(0, xType.getElementType()));
  return n.finish(select(n, isNegative, scaled, *x));
}

void onnx_import::registerElementwiseExtraOps(OpConverterMap &map) {
  map["Cast"] = convertCast;
  map["CastLike"] = convertCastLike;
  map["Clip"] = convertClip;
  map["Pow"] = convertPow;
  map["Tan"] = convertUnary<TanOp>;
  map["Asin"] = convertUnary<AsinOp>;
  map["Acos"] = convertUnary<AcosOp>;
  map["Atan"] = convertUnary<AtanOp>;
  map["Sinh"] = convertUnary<SinhOp>;
  map["Cosh"] = convertUnary<CoshOp>;
  map["Asinh"] = convertUnary<AsinhOp>;
  map["Acosh"] = convertUnary<AcoshOp>;
  map["Atanh"] = convertUnary<AtanhOp>;
  map["IsNaN"] = convertUnary<IsNaNOp>;
  map["IsInf"] = convertIsInf;
  map["Mod"] = convertMod;
  map["BitShift"] = convertBitShift;
  map["BitwiseAnd"] = convertBinary<BitwiseAndOp>;
  map["BitwiseOr"] = convertBinary<BitwiseOrOp>;
  map["BitwiseXor"] = convertBinary<BitwiseXorOp>;
  map["BitwiseNot"] = convertUnary<BitwiseNotOp>;
  map["Softsign"] = convertSoftsign;
  map["Selu"] = convertSelu;
  map["Celu"] = convertCelu;
  map["HardSigmoid"] = convertHardSigmoid;
  map["HardSwish"] = convertHardSwish;
  map["ThresholdedRelu"] = convertThresholdedRelu;
  map["Shrink"] = convertShrink;
  map["Mish"] = convertMish;
  map["Swish"] = convertSwish;
  map["PRelu"] = convertPRelu;
}
