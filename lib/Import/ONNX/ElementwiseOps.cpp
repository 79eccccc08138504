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

static LogicalResult convertIdentity(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  n.setOutput(0, *x);
  return success();
}

/// Dropout outside training is the identity, and its mask (opset 10 on) is
/// all true. Training mode (opset 12's `training_mode` input) draws random
/// numbers unless the ratio is 0, so only that case is taken.
static LogicalResult convertDropout(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (n.opset >= 12 && n.input(2)) {
    std::optional<SmallVector<int64_t>> training = n.constantInts(2);
    if (!training || training->size() != 1)
      return n.error("training_mode must be a constant scalar for Kiln");
    if ((*training)[0] != 0) {
      std::optional<double> ratio =
          n.input(1) ? n.constantScalar(1) : std::optional<double>(0.5);
      if (!ratio || *ratio != 0)
        return n.error("training-mode Dropout with a non-zero ratio draws "
                       "random numbers, which Kiln does not import");
    }
  }
  n.setOutput(0, *x);
  if (n.node.output_size() < 2 || n.node.output(1).empty())
    return success();
  if (n.opset < 10)
    return n.error("the mask output of Dropout before opset 10 is not "
                   "supported");
  auto type = mlir::cast<RankedTensorType>(x->getType());
  if (!type.hasStaticShape())
    return n.error("the mask output needs a static shape");
  auto maskType = RankedTensorType::get(type.getShape(), n.builder.getI1Type());
  Value mask = n.create<ConstantOp>(DenseElementsAttr::get(maskType, true));
  n.setOutput(1, mask);
  return success(mask != nullptr);
}

/// BitCast (opset 26): the bits of each element read as type `to`.
static LogicalResult convertBitCast(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type to = convertElementType(n.intAttr("to", 0), n.builder.getContext());
  if (!to)
    return n.error("bitcasts to an unsupported element type");
  return n.finish(n.create<BitcastOp>(*x, TypeAttr::get(to)));
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
  map["Identity"] = convertIdentity;
  map["Dropout"] = convertDropout;
  map["BitCast"] = convertBitCast;
  map["Where"] = convertWhere;
}
