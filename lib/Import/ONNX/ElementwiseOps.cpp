//===- ElementwiseOps.cpp - ONNX elementwise ops to kiln ------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Sum, Max, Min and Mean of any number of inputs, as a chain.
template <typename OpTy>
static LogicalResult convertVariadic(NodeImporter &n, bool mean = false) {
  if (n.numInputs() == 0)
    return n.error("needs at least one input");
  Value acc;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    FailureOr<Value> v = n.requiredInput(i);
    if (failed(v))
      return failure();
    acc = acc ? n.create<OpTy>(acc, *v) : *v;
    if (!acc)
      return failure();
  }
  if (mean && n.numInputs() > 1) {
    auto type = cast<RankedTensorType>(acc.getType());
    acc = n.create<DivOp>(acc, n.scalar(n.numInputs(), type.getElementType()));
  }
  return n.finish(acc);
}

static LogicalResult convertClip(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  std::optional<double> min, max;
  if (n.opset < 11) {
    if (n.attr("min"))
      min = n.floatAttr("min", 0);
    if (n.attr("max"))
      max = n.floatAttr("max", 0);
  } else {
    for (unsigned i : {1u, 2u}) {
      if (!n.input(i))
        continue;
      std::optional<double> bound = n.constantScalar(i);
      if (!bound)
        return n.error("bound " + Twine(i) +
                       " must be a constant scalar for Kiln");
      (i == 1 ? min : max) = bound;
    }
  }
  Builder &b = n.builder;
  Value y = n.create<ClipOp>(*x, min ? b.getF64FloatAttr(*min) : FloatAttr(),
                             max ? b.getF64FloatAttr(*max) : FloatAttr());
  return n.finish(y);
}

static LogicalResult convertCast(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type to = convertElementType(n.intAttr("to", 0), n.builder.getContext());
  if (!to)
    return n.error("casts to an unsupported element type");
  Value y = n.create<CastOp>(*x, TypeAttr::get(to));
  return n.finish(y);
}

static LogicalResult convertIdentity(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  n.setOutput(0, *x);
  return success();
}

/// Inference-mode Dropout is the identity; its mask output is not supported.
static LogicalResult convertDropout(NodeImporter &n) {
  if (n.node.output_size() > 1 && !n.node.output(1).empty())
    return n.error("the mask output of Dropout is not supported");
  return convertIdentity(n);
}

static LogicalResult convertWhere(NodeImporter &n) {
  FailureOr<Value> c = n.requiredInput(0), x = n.requiredInput(1),
                   y = n.requiredInput(2);
  if (failed(c) || failed(x) || failed(y))
    return failure();
  Value r = n.create<WhereOp>(*c, *x, *y);
  return n.finish(r);
}

static LogicalResult convertLeakyRelu(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Value y = n.create<LeakyReluOp>(
      *x, n.builder.getF32FloatAttr(n.floatAttr("alpha", 0.01f)));
  return n.finish(y);
}

static LogicalResult convertElu(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Value y =
      n.create<EluOp>(*x, n.builder.getF32FloatAttr(n.floatAttr("alpha", 1)));
  return n.finish(y);
}

static LogicalResult convertGelu(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  std::string approximate = n.stringAttr("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return n.error("unknown approximate '" + approximate + "'");
  Value y = n.create<GeluOp>(
      *x, GeluApproximationAttr::get(n.builder.getContext(),
                                     approximate == "tanh"
                                         ? GeluApproximation::Tanh
                                         : GeluApproximation::None));
  return n.finish(y);
}

void onnx_import::registerElementwiseOps(OpConverterMap &map) {
  map["Add"] = convertBinary<AddOp>;
  map["Sub"] = convertBinary<SubOp>;
  map["Mul"] = convertBinary<MulOp>;
  map["Div"] = convertBinary<DivOp>;
  map["Pow"] = convertBinary<PowOp>;
  map["Equal"] = convertBinary<EqualOp>;
  map["Less"] = convertBinary<LessOp>;
  map["LessOrEqual"] = convertBinary<LessEqualOp>;
  map["Greater"] = convertBinary<GreaterOp>;
  map["GreaterOrEqual"] = convertBinary<GreaterEqualOp>;
  map["And"] = convertBinary<AndOp>;
  map["Or"] = convertBinary<OrOp>;
  map["Xor"] = convertBinary<XorOp>;
  map["Sum"] = [](NodeImporter &n) { return convertVariadic<AddOp>(n); };
  map["Max"] = [](NodeImporter &n) { return convertVariadic<MaxOp>(n); };
  map["Min"] = [](NodeImporter &n) { return convertVariadic<MinOp>(n); };
  map["Mean"] = [](NodeImporter &n) { return convertVariadic<AddOp>(n, true); };
  map["Neg"] = convertUnary<NegOp>;
  map["Abs"] = convertUnary<AbsOp>;
  map["Sign"] = convertUnary<SignOp>;
  map["Exp"] = convertUnary<ExpOp>;
  map["Log"] = convertUnary<LogOp>;
  map["Sqrt"] = convertUnary<SqrtOp>;
  map["Reciprocal"] = convertUnary<ReciprocalOp>;
  map["Tanh"] = convertUnary<TanhOp>;
  map["Sigmoid"] = convertUnary<SigmoidOp>;
  map["Relu"] = convertUnary<ReluOp>;
  map["Erf"] = convertUnary<ErfOp>;
  map["Floor"] = convertUnary<FloorOp>;
  map["Ceil"] = convertUnary<CeilOp>;
  map["Round"] = convertUnary<RoundOp>;
  map["Sin"] = convertUnary<SinOp>;
  map["Cos"] = convertUnary<CosOp>;
  map["Softplus"] = convertUnary<SoftplusOp>;
  map["Not"] = convertUnary<NotOp>;
  map["LeakyRelu"] = convertLeakyRelu;
  map["Elu"] = convertElu;
  map["Gelu"] = convertGelu;
  map["Clip"] = convertClip;
  map["Cast"] = convertCast;
  map["Identity"] = convertIdentity;
  map["Dropout"] = convertDropout;
  map["Where"] = convertWhere;
}
