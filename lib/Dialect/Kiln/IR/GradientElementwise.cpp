//===- GradientElementwise.cpp - Gradients of the elementwise kiln ops ----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The KilnGradientOpInterface rules of the elementwise ops: unary functions,
// arithmetic with broadcasting (gradients summed back to each operand's
// shape), min/max, select and casts. `x` is the input, `y` the result and
// `g` the gradient of the result.
//
//===----------------------------------------------------------------------===//

#include "GradientBuilder.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

namespace {
/// The gradient of a one-operand op as a function of x, y and g.
using UnaryRule =
    llvm::function_ref<Value(GradientBuilder &gb, Value x, Value y, Value g)>;
} // namespace

static LogicalResult unaryGradient(Operation *op, OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads,
                                   UnaryRule rule) {
  GradientBuilder gb(builder, op);
  Value grad =
      rule(gb, op->getOperand(0), op->getResult(0), resultGrads.front());
  return gb.finish(operandGrads, {grad});
}

/// `g * f` for a derivative `f` of the input.
#define KILN_UNARY_GRADIENT(OP, BODY)                                          \
  LogicalResult OP::buildGradient(OpBuilder &builder,                          \
                                  ArrayRef<Value> resultGrads,                 \
                                  SmallVectorImpl<Value> &operandGrads) {      \
    return unaryGradient(                                                      \
        *this, builder, resultGrads, operandGrads,                             \
        [](GradientBuilder &gb, Value x, Value y, Value g) -> Value {          \
          (void)x;                                                             \
          (void)y;                                                             \
          BODY                                                                 \
        });                                                                    \
  }

//===----------------------------------------------------------------------===//
// Unary functions
//===----------------------------------------------------------------------===//

KILN_UNARY_GRADIENT(IdentityOp, { return g; })
KILN_UNARY_GRADIENT(NegOp, { return gb.neg(g); })
KILN_UNARY_GRADIENT(AbsOp, { return gb.mul(g, gb.unary<SignOp>(x)); })
// Piecewise constant: the gradient is zero almost everywhere.
KILN_UNARY_GRADIENT(SignOp, { return gb.zerosLike(x); })
KILN_UNARY_GRADIENT(FloorOp, { return gb.zerosLike(x); })
KILN_UNARY_GRADIENT(CeilOp, { return gb.zerosLike(x); })
KILN_UNARY_GRADIENT(RoundOp, { return gb.zerosLike(x); })
KILN_UNARY_GRADIENT(ExpOp, { return gb.mul(g, y); })
KILN_UNARY_GRADIENT(LogOp, { return gb.div(g, x); })
// d sqrt(x) = 1 / (2 sqrt(x)).
KILN_UNARY_GRADIENT(SqrtOp, { return gb.div(gb.scale(g, 0.5), y); })
// d (1/x) = -1/x^2 = -y^2.
KILN_UNARY_GRADIENT(ReciprocalOp, { return gb.neg(gb.mul(g, gb.mul(y, y))); })
// d tanh = 1 - tanh^2.
KILN_UNARY_GRADIENT(TanhOp, {
  return gb.mul(g, gb.sub(gb.scalarLike(1.0, x), gb.mul(y, y)));
})
// d sigmoid = s (1 - s).
KILN_UNARY_GRADIENT(SigmoidOp, {
  return gb.mul(g, gb.mul(y, gb.sub(gb.scalarLike(1.0, x), y)));
})
// The subgradient 0 at x = 0.
KILN_UNARY_GRADIENT(ReluOp, {
  Value positive = gb.create<GreaterOp>(x, gb.scalarLike(0.0, x));
  return gb.select(positive, g, gb.scalarLike(0.0, x));
})
// d erf = 2/sqrt(pi) e^(-x^2).
KILN_UNARY_GRADIENT(ErfOp, {
  Value e = gb.unary<ExpOp>(gb.neg(gb.mul(x, x)));
  return gb.mul(g, gb.scale(e, 2.0 / std::sqrt(M_PI)));
})
KILN_UNARY_GRADIENT(SinOp, { return gb.mul(g, gb.unary<CosOp>(x)); })
KILN_UNARY_GRADIENT(CosOp, { return gb.neg(gb.mul(g, gb.unary<SinOp>(x))); })
// d tan = 1 + tan^2.
KILN_UNARY_GRADIENT(TanOp, {
  return gb.mul(g, gb.add(gb.scalarLike(1.0, x), gb.mul(y, y)));
})
// d asin = 1 / sqrt(1 - x^2); d acos is its negation.
KILN_UNARY_GRADIENT(AsinOp, {
  Value r = gb.unary<SqrtOp>(gb.sub(gb.scalarLike(1.0, x), gb.mul(x, x)));
  return gb.div(g, r);
})
KILN_UNARY_GRADIENT(AcosOp, {
  Value r = gb.unary<SqrtOp>(gb.sub(gb.scalarLike(1.0, x), gb.mul(x, x)));
  return gb.neg(gb.div(g, r));
})
// d atan = 1 / (1 + x^2).
KILN_UNARY_GRADIENT(AtanOp, {
  return gb.div(g, gb.add(gb.scalarLike(1.0, x), gb.mul(x, x)));
})
KILN_UNARY_GRADIENT(SinhOp, { return gb.mul(g, gb.unary<CoshOp>(x)); })
KILN_UNARY_GRADIENT(CoshOp, { return gb.mul(g, gb.unary<SinhOp>(x)); })
// d asinh = 1 / sqrt(x^2 + 1); d acosh = 1 / sqrt(x^2 - 1).
KILN_UNARY_GRADIENT(AsinhOp, {
  Value r = gb.unary<SqrtOp>(gb.add(gb.mul(x, x), gb.scalarLike(1.0, x)));
  return gb.div(g, r);
})
KILN_UNARY_GRADIENT(AcoshOp, {
  Value r = gb.unary<SqrtOp>(gb.sub(gb.mul(x, x), gb.scalarLike(1.0, x)));
  return gb.div(g, r);
})
// d atanh = 1 / (1 - x^2).
KILN_UNARY_GRADIENT(AtanhOp, {
  return gb.div(g, gb.sub(gb.scalarLike(1.0, x), gb.mul(x, x)));
})
// d ln(1 + e^x) = sigmoid(x).
KILN_UNARY_GRADIENT(SoftplusOp, { return gb.mul(g, gb.unary<SigmoidOp>(x)); })

LogicalResult LeakyReluOp::buildGradient(OpBuilder &builder,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput(), g = resultGrads[0];
  Value nonNegative = gb.create<GreaterEqualOp>(x, gb.scalarLike(0.0, x));
  Value slope = gb.select(nonNegative, gb.scalarLike(1.0, x),
                          gb.scalarLike(getAlpha().convertToDouble(), x));
  return gb.finish(operandGrads, {gb.mul(g, slope)});
}

// For x < 0, d alpha (e^x - 1) = alpha e^x = y + alpha.
LogicalResult EluOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput(), y = getOutput(), g = resultGrads[0];
  double alpha = getAlpha().convertToDouble();
  Value nonNegative = gb.create<GreaterEqualOp>(x, gb.scalarLike(0.0, x));
  Value slope = gb.select(nonNegative, gb.scalarLike(1.0, x),
                          gb.add(y, gb.scalarLike(alpha, x)));
  return gb.finish(operandGrads, {gb.mul(g, slope)});
}

LogicalResult GeluOp::buildGradient(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput(), g = resultGrads[0];
  auto one = [&] { return gb.scalarLike(1.0, x); };
  Value slope;
  if (getApproximate() == GeluApproximation::None) {
    // d x Phi(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
    // phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
    Value cdf = gb.scale(
        gb.add(one(), gb.unary<ErfOp>(gb.scale(x, 1.0 / std::sqrt(2.0)))), 0.5);
    Value pdf = gb.scale(gb.unary<ExpOp>(gb.scale(gb.mul(x, x), -0.5)),
                         1.0 / std::sqrt(2.0 * M_PI));
    slope = gb.add(cdf, gb.mul(x, pdf));
  } else {
    // y = x (1 + tanh u) / 2 with u = c (x + k x^3):
    // dy = (1 + t) / 2 + x (1 - t^2) c (1 + 3 k x^2) / 2.
    const double c = std::sqrt(2.0 / M_PI), k = 0.044715;
    Value x2 = gb.mul(x, x);
    Value u = gb.scale(gb.add(x, gb.scale(gb.mul(x2, x), k)), c);
    Value t = gb.unary<TanhOp>(u);
    Value du = gb.scale(gb.add(one(), gb.scale(x2, 3.0 * k)), c);
    Value dt = gb.mul(gb.sub(one(), gb.mul(t, t)), du);
    slope = gb.scale(gb.add(gb.add(one(), t), gb.mul(x, dt)), 0.5);
  }
  return gb.finish(operandGrads, {gb.mul(g, slope)});
}

// The gradient passes where min <= x <= max.
LogicalResult ClipOp::buildGradient(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput(), g = resultGrads[0];
  Value inside;
  if (std::optional<APFloat> min = getMin())
    inside =
        gb.create<GreaterEqualOp>(x, gb.scalarLike(min->convertToDouble(), x));
  if (std::optional<APFloat> max = getMax()) {
    Value below =
        gb.create<LessEqualOp>(x, gb.scalarLike(max->convertToDouble(), x));
    inside = inside ? gb.create<AndOp>(inside, below) : below;
  }
  Value grad = inside ? gb.select(inside, g, gb.scalarLike(0.0, x)) : g;
  return gb.finish(operandGrads, {grad});
}

// Between float types the gradient is cast back.
LogicalResult CastOp::buildGradient(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Type from = getInput().getType().getElementType();
  if (!isa<FloatType>(from) || !isa<FloatType>(getTo()))
    return gb.finish(operandGrads, {});
  return gb.finish(operandGrads, {gb.cast(resultGrads[0], from)});
}

//===----------------------------------------------------------------------===//
// Binary arithmetic with broadcasting
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0];
  return gb.finish(operandGrads, {gb.unbroadcast(g, getLhs().getType()),
                                  gb.unbroadcast(g, getRhs().getType())});
}

LogicalResult SubOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0];
  return gb.finish(operandGrads,
                   {gb.unbroadcast(g, getLhs().getType()),
                    gb.neg(gb.unbroadcast(g, getRhs().getType()))});
}

LogicalResult MulOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0], a = getLhs(), b = getRhs();
  return gb.finish(operandGrads, {gb.unbroadcast(gb.mul(g, b), a.getType()),
                                  gb.unbroadcast(gb.mul(g, a), b.getType())});
}

// d (a / b) = g / b for a and -g a / b^2 = -g y / b for b.
LogicalResult DivOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0], a = getLhs(), b = getRhs();
  Value ga = gb.div(g, b);
  return gb.finish(
      operandGrads,
      {gb.unbroadcast(ga, a.getType()),
       gb.unbroadcast(gb.neg(gb.mul(ga, getOutput())), b.getType())});
}

// d a^b = b a^(b-1) for a and a^b ln(a) for b (NaN for a negative base,
// where a^b itself is only defined for integer b).
LogicalResult PowOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0], a = getLhs(), b = getRhs();
  Value lower = gb.create<PowOp>(a, gb.sub(b, gb.scalarLike(1.0, b)));
  Value ga = gb.mul(g, gb.mul(b, lower));
  Value gb_ = gb.mul(g, gb.mul(getOutput(), gb.unary<LogOp>(a)));
  return gb.finish(operandGrads, {gb.unbroadcast(ga, a.getType()),
                                  gb.unbroadcast(gb_, b.getType())});
}

/// max/min: the gradient goes to the selected operand, split evenly on a
/// tie.
template <typename CompareOp>
static LogicalResult extremumGradient(Operation *op, OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, op);
  Value g = resultGrads[0], a = op->getOperand(0), b = op->getOperand(1);
  Value wins = gb.maskToFloat(gb.create<CompareOp>(a, b), g);
  Value ties = gb.maskToFloat(gb.create<EqualOp>(a, b), g);
  Value share = gb.add(wins, gb.scale(ties, 0.5));
  Value ga = gb.mul(g, share);
  return gb.finish(operandGrads, {gb.unbroadcast(ga, a.getType()),
                                  gb.unbroadcast(gb.sub(g, ga), b.getType())});
}

LogicalResult MaxOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  return extremumGradient<GreaterOp>(*this, builder, resultGrads, operandGrads);
}

LogicalResult MinOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  return extremumGradient<LessOp>(*this, builder, resultGrads, operandGrads);
}

LogicalResult WhereOp::buildGradient(OpBuilder &builder,
                                     ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0], c = getCondition();
  Value zero = gb.scalarLike(0.0, g);
  return gb.finish(operandGrads,
                   {Value(),
                    gb.unbroadcast(gb.select(c, g, zero), getX().getType()),
                    gb.unbroadcast(gb.select(c, zero, g), getY().getType())});
}

// a mod b = a - q b with q = floor(a / b) (Python's %) or trunc(a / b)
// (fmod): q is piecewise constant, so d/da = 1 and d/db = -q. An integer
// remainder is never differentiated (integers carry no gradient).
LogicalResult ModOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0], a = getLhs(), b = getRhs();
  if (!isa<FloatType>(tensorType(a).getElementType()))
    return gb.finish(operandGrads, {});
  Value ratio = gb.div(a, b);
  Value q = gb.unary<FloorOp>(ratio);
  if (getFmod())
    q = gb.select(gb.create<LessOp>(ratio, gb.scalarLike(0.0, ratio)),
                  gb.unary<CeilOp>(ratio), q);
  return gb.finish(operandGrads,
                   {gb.unbroadcast(g, a.getType()),
                    gb.unbroadcast(gb.neg(gb.mul(g, q)), b.getType())});
}
