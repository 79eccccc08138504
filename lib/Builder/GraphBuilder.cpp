//===- GraphBuilder.cpp - Build kiln graphs from C++ ----------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Builder/GraphBuilder.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::kiln;

GraphBuilder::GraphBuilder(MLIRContext &context, StringRef name)
    : builder(&context) {
  context.getOrLoadDialect<KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  Location loc = UnknownLoc::get(&context);
  module = ModuleOp::create(builder, loc);
  builder.setInsertionPointToEnd(module->getBody());
  func =
      func::FuncOp::create(builder, loc, name, builder.getFunctionType({}, {}));
  builder.setInsertionPointToEnd(func.addEntryBlock());
}

LogicalResult GraphBuilder::error(const Twine &message) {
  hadError = true;
  Location loc =
      pendingName.empty()
          ? Location(UnknownLoc::get(getContext()))
          : Location(NameLoc::get(builder.getStringAttr(pendingName)));
  pendingName.clear();
  return emitError(loc, "kiln graph builder: ") << message;
}

GraphBuilder &GraphBuilder::named(StringRef name) {
  pendingName = name.str();
  return *this;
}

Location GraphBuilder::takeLocation() {
  if (pendingName.empty())
    return UnknownLoc::get(getContext());
  Location loc = NameLoc::get(builder.getStringAttr(pendingName));
  pendingName.clear();
  return loc;
}

Value GraphBuilder::input(StringRef name, ArrayRef<int64_t> shape,
                          Type elementType) {
  if (hadError)
    return {};
  for (int64_t d : shape)
    if (d < 0 && d != kDynamic) {
      (void)error("input '" + name + "' has a negative dimension");
      return {};
    }
  Block &body = func.getBody().front();
  Value arg = body.addArgument(RankedTensorType::get(shape, elementType),
                               NameLoc::get(builder.getStringAttr(name)));
  SmallVector<Type> inputs(body.getArgumentTypes());
  func.setType(builder.getFunctionType(inputs, {}));
  func.setArgAttr(arg.getParentRegion()->front().getNumArguments() - 1,
                  "kiln.name", builder.getStringAttr(name));
  return arg;
}

void GraphBuilder::output(StringRef name, Value value) {
  if (!value) {
    hadError = true;
    return;
  }
  results.push_back(value);
  resultNames.push_back(name.str());
}

OwningOpRef<ModuleOp> GraphBuilder::finish() {
  if (hadError || !module)
    return nullptr;
  if (results.empty()) {
    (void)error("the graph has no outputs");
    return nullptr;
  }
  Location loc = UnknownLoc::get(getContext());
  func::ReturnOp::create(builder, loc, results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  SmallVector<Type> inputs(func.getBody().front().getArgumentTypes());
  func.setType(builder.getFunctionType(inputs, resultTypes));
  for (auto [i, name] : llvm::enumerate(resultNames))
    func.setResultAttr(i, "kiln.name", builder.getStringAttr(name));
  if (failed(verify(*module)))
    return nullptr;
  return std::move(module);
}

bool GraphBuilder::checkOperands(ValueRange values) {
  if (hadError)
    return false;
  for (Value v : values) {
    if (!v) {
      (void)error("an operand is null");
      return false;
    }
    if (!isa<RankedTensorType>(v.getType())) {
      (void)error("operands must be ranked tensors");
      return false;
    }
  }
  return true;
}

int64_t GraphBuilder::normalizeAxis(Value value, int64_t axis) {
  int64_t rank = mlir::cast<RankedTensorType>(value.getType()).getRank();
  if (axis < -rank || axis >= rank) {
    (void)error("axis " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
    return -1;
  }
  return axis < 0 ? axis + rank : axis;
}

SmallVector<int64_t> GraphBuilder::normalizeAxes(Value value,
                                                 ArrayRef<int64_t> axes) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    int64_t n = normalizeAxis(value, a);
    if (n < 0)
      return {};
    out.push_back(n);
  }
  llvm::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

Value GraphBuilder::constant(ElementsAttr value) {
  if (!value) {
    (void)error("constant without a value");
    return {};
  }
  // A constant built while evaluating a named op's arguments must not take
  // that op's name: keep the pending name for the op that uses it.
  std::string name = std::move(pendingName);
  pendingName.clear();
  Value v = result(create<ConstantOp>(1, value));
  pendingName = std::move(name);
  return v;
}

Value GraphBuilder::constantF32(ArrayRef<int64_t> shape,
                                ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, f32());
  if (type.getNumElements() != static_cast<int64_t>(values.size())) {
    (void)error("constant of shape " + formatShape(shape) + " needs " +
                Twine(type.getNumElements()) + " values, got " +
                Twine(values.size()));
    return {};
  }
  return constant(DenseElementsAttr::get(type, values));
}

Value GraphBuilder::constantI64(ArrayRef<int64_t> shape,
                                ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, i64());
  if (type.getNumElements() != static_cast<int64_t>(values.size())) {
    (void)error("constant of shape " + formatShape(shape) + " needs " +
                Twine(type.getNumElements()) + " values, got " +
                Twine(values.size()));
    return {};
  }
  return constant(DenseElementsAttr::get(type, values));
}

Value GraphBuilder::splat(ArrayRef<int64_t> shape, double value,
                          Type elementType) {
  auto type = RankedTensorType::get(shape, elementType);
  if (auto floatType = dyn_cast<FloatType>(elementType))
    return constant(
        DenseElementsAttr::get(type, builder.getFloatAttr(floatType, value)));
  if (auto intType = dyn_cast<IntegerType>(elementType))
    return constant(DenseElementsAttr::get(
        type, builder.getIntegerAttr(intType, static_cast<int64_t>(value))));
  (void)error("splat needs an integer or float element type");
  return {};
}

Value GraphBuilder::weight(StringRef name, ArrayRef<int64_t> shape,
                           ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, f32());
  if (!type.hasStaticShape()) {
    (void)error("weight '" + name + "' must have a static shape");
    return {};
  }
  int64_t count = type.getNumElements();
  SmallVector<float> data(values);
  if (data.empty()) {
    // A fixed linear congruential sequence: reproducible, no <random>.
    uint32_t state = 2166136261u; // FNV-1a of the name: stable everywhere.
    for (char c : name)
      state = (state ^ static_cast<uint8_t>(c)) * 16777619u;
    data.resize(count);
    for (float &v : data) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
    }
  } else if (static_cast<int64_t>(data.size()) != count) {
    (void)error("weight '" + name + "' of shape " + formatShape(shape) +
                " needs " + Twine(count) + " values, got " +
                Twine(data.size()));
    return {};
  }
  auto attr = DenseF32ResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(data));
  return constant(mlir::cast<ElementsAttr>(attr));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpTy> Value GraphBuilder::binary(Value lhs, Value rhs) {
  if (!checkOperands({lhs, rhs}))
    return {};
  return result(create<OpTy>(1, lhs, rhs));
}

template <typename OpTy> Value GraphBuilder::unary(Value input) {
  if (!checkOperands(input))
    return {};
  return result(create<OpTy>(1, input));
}

Value GraphBuilder::add(Value l, Value r) { return binary<AddOp>(l, r); }
Value GraphBuilder::sub(Value l, Value r) { return binary<SubOp>(l, r); }
Value GraphBuilder::mul(Value l, Value r) { return binary<MulOp>(l, r); }
Value GraphBuilder::div(Value l, Value r) { return binary<DivOp>(l, r); }
Value GraphBuilder::pow(Value l, Value r) { return binary<PowOp>(l, r); }
Value GraphBuilder::max(Value l, Value r) { return binary<MaxOp>(l, r); }
Value GraphBuilder::min(Value l, Value r) { return binary<MinOp>(l, r); }
Value GraphBuilder::equal(Value l, Value r) { return binary<EqualOp>(l, r); }
Value GraphBuilder::less(Value l, Value r) { return binary<LessOp>(l, r); }
Value GraphBuilder::lessEqual(Value l, Value r) {
  return binary<LessEqualOp>(l, r);
}
Value GraphBuilder::greater(Value l, Value r) {
  return binary<GreaterOp>(l, r);
}
Value GraphBuilder::greaterEqual(Value l, Value r) {
  return binary<GreaterEqualOp>(l, r);
}
Value GraphBuilder::logicalAnd(Value l, Value r) { return binary<AndOp>(l, r); }
Value GraphBuilder::logicalOr(Value l, Value r) { return binary<OrOp>(l, r); }
Value GraphBuilder::logicalXor(Value l, Value r) { return binary<XorOp>(l, r); }
Value GraphBuilder::logicalNot(Value x) { return unary<NotOp>(x); }
Value GraphBuilder::neg(Value x) { return unary<NegOp>(x); }
Value GraphBuilder::abs(Value x) { return unary<AbsOp>(x); }
Value GraphBuilder::exp(Value x) { return unary<ExpOp>(x); }
Value GraphBuilder::log(Value x) { return unary<LogOp>(x); }
Value GraphBuilder::sqrt(Value x) { return unary<SqrtOp>(x); }
Value GraphBuilder::reciprocal(Value x) { return unary<ReciprocalOp>(x); }
Value GraphBuilder::tanh(Value x) { return unary<TanhOp>(x); }
Value GraphBuilder::sigmoid(Value x) { return unary<SigmoidOp>(x); }
Value GraphBuilder::relu(Value x) { return unary<ReluOp>(x); }
Value GraphBuilder::erf(Value x) { return unary<ErfOp>(x); }
Value GraphBuilder::identity(Value x) { return unary<IdentityOp>(x); }

Value GraphBuilder::where(Value condition, Value x, Value y) {
  if (!checkOperands({condition, x, y}))
    return {};
  return result(create<WhereOp>(1, condition, x, y));
}

Value GraphBuilder::gelu(Value input, bool tanhApproximation) {
  if (!checkOperands(input))
    return {};
  return result(create<GeluOp>(1, input,
                               tanhApproximation ? GeluApproximation::Tanh
                                                 : GeluApproximation::None));
}

Value GraphBuilder::leakyRelu(Value input, float alpha) {
  if (!checkOperands(input))
    return {};
  return result(create<LeakyReluOp>(1, input, builder.getF32FloatAttr(alpha)));
}

Value GraphBuilder::clip(Value input, std::optional<double> min,
                         std::optional<double> max) {
  if (!checkOperands(input))
    return {};
  FloatAttr minAttr = min ? builder.getF64FloatAttr(*min) : FloatAttr();
  FloatAttr maxAttr = max ? builder.getF64FloatAttr(*max) : FloatAttr();
  return result(create<ClipOp>(1, input, minAttr, maxAttr));
}

Value GraphBuilder::cast(Value input, Type to) {
  if (!checkOperands(input))
    return {};
  return result(create<CastOp>(1, input, TypeAttr::get(to)));
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolution, pooling, normalisation
//===----------------------------------------------------------------------===//

Value GraphBuilder::matmul(Value lhs, Value rhs) {
  return binary<MatMulOp>(lhs, rhs);
}

bool GraphBuilder::windowDefaults(Value input,
                                  SmallVectorImpl<int64_t> &strides,
                                  SmallVectorImpl<int64_t> &pads,
                                  SmallVectorImpl<int64_t> &dilations) {
  int64_t spatial = mlir::cast<RankedTensorType>(input.getType()).getRank() - 2;
  if (spatial < 1) {
    (void)error("a windowed op needs an (N, C, spatial...) input");
    return false;
  }
  if (strides.empty())
    strides.assign(spatial, 1);
  if (pads.empty())
    pads.assign(2 * spatial, 0);
  if (dilations.empty())
    dilations.assign(spatial, 1);
  return true;
}

Value GraphBuilder::conv(Value input, Value weight, Value bias,
                         const ConvOptions &options) {
  if (!checkOperands({input, weight}) || (bias && !checkOperands(bias)))
    return {};
  ConvOptions o = options;
  if (!windowDefaults(input, o.strides, o.pads, o.dilations))
    return {};
  return result(create<ConvOp>(1, input, weight, bias, o.strides, o.pads,
                               o.dilations, o.group));
}

Value GraphBuilder::convTranspose(Value input, Value weight, Value bias,
                                  const ConvOptions &options) {
  if (!checkOperands({input, weight}) || (bias && !checkOperands(bias)))
    return {};
  ConvOptions o = options;
  if (!windowDefaults(input, o.strides, o.pads, o.dilations))
    return {};
  if (o.outputPadding.empty())
    o.outputPadding.assign(o.strides.size(), 0);
  return result(create<ConvTransposeOp>(1, input, weight, bias, o.strides,
                                        o.pads, o.dilations, o.outputPadding,
                                        o.group));
}

Value GraphBuilder::maxPool(Value input, const PoolOptions &options) {
  if (!checkOperands(input))
    return {};
  PoolOptions o = options;
  if (!windowDefaults(input, o.strides, o.pads, o.dilations))
    return {};
  return result(create<MaxPoolOp>(1, input, o.kernelShape, o.strides, o.pads,
                                  o.dilations, o.ceilMode));
}

Value GraphBuilder::averagePool(Value input, const PoolOptions &options) {
  if (!checkOperands(input))
    return {};
  PoolOptions o = options;
  if (!windowDefaults(input, o.strides, o.pads, o.dilations))
    return {};
  return result(create<AveragePoolOp>(1, input, o.kernelShape, o.strides,
                                      o.pads, o.dilations, o.ceilMode,
                                      o.countIncludePad));
}

Value GraphBuilder::globalAveragePool(Value input) {
  return unary<GlobalAveragePoolOp>(input);
}

Value GraphBuilder::globalMaxPool(Value input) {
  return unary<GlobalMaxPoolOp>(input);
}

Value GraphBuilder::batchNorm(Value input, Value scale, Value bias, Value mean,
                              Value variance, float epsilon) {
  if (!checkOperands({input, scale, bias, mean, variance}))
    return {};
  return result(create<BatchNormOp>(1, input, scale, bias, mean, variance,
                                    builder.getF32FloatAttr(epsilon)));
}

Value GraphBuilder::layerNorm(Value input, Value scale, Value bias,
                              int64_t axis, float epsilon) {
  if (!checkOperands({input, scale}) || (bias && !checkOperands(bias)))
    return {};
  int64_t a = normalizeAxis(input, axis);
  if (a < 0)
    return {};
  return result(create<LayerNormOp>(1, input, scale, bias,
                                    builder.getI64IntegerAttr(a),
                                    builder.getF32FloatAttr(epsilon)));
}

template <typename OpTy>
Value GraphBuilder::softmaxLike(Value input, int64_t axis) {
  if (!checkOperands(input))
    return {};
  int64_t a = normalizeAxis(input, axis);
  if (a < 0)
    return {};
  return result(create<OpTy>(1, input, a));
}

Value GraphBuilder::softmax(Value input, int64_t axis) {
  return softmaxLike<SoftmaxOp>(input, axis);
}

Value GraphBuilder::logSoftmax(Value input, int64_t axis) {
  return softmaxLike<LogSoftmaxOp>(input, axis);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename OpTy>
Value GraphBuilder::reduce(Value input, ArrayRef<int64_t> axes, bool keepdims) {
  if (!checkOperands(input))
    return {};
  SmallVector<int64_t> normalized = normalizeAxes(input, axes);
  if (hadError)
    return {};
  return result(create<OpTy>(1, input, normalized, keepdims));
}

Value GraphBuilder::reduceSum(Value x, ArrayRef<int64_t> axes, bool keep) {
  return reduce<ReduceSumOp>(x, axes, keep);
}
Value GraphBuilder::reduceMean(Value x, ArrayRef<int64_t> axes, bool keep) {
  return reduce<ReduceMeanOp>(x, axes, keep);
}
Value GraphBuilder::reduceMax(Value x, ArrayRef<int64_t> axes, bool keep) {
  return reduce<ReduceMaxOp>(x, axes, keep);
}
Value GraphBuilder::reduceMin(Value x, ArrayRef<int64_t> axes, bool keep) {
  return reduce<ReduceMinOp>(x, axes, keep);
}

template <typename OpTy>
Value GraphBuilder::argReduce(Value input, int64_t axis, bool keepdims) {
  if (!checkOperands(input))
    return {};
  int64_t a = normalizeAxis(input, axis);
  if (a < 0)
    return {};
  return result(create<OpTy>(1, input, a, keepdims,
                             /*select_last_index=*/false));
}

Value GraphBuilder::argMax(Value x, int64_t axis, bool keepdims) {
  return argReduce<ArgMaxOp>(x, axis, keepdims);
}
Value GraphBuilder::argMin(Value x, int64_t axis, bool keepdims) {
  return argReduce<ArgMinOp>(x, axis, keepdims);
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

Value GraphBuilder::reshape(Value input, ArrayRef<int64_t> shape) {
  if (!checkOperands(input))
    return {};
  return result(create<ReshapeOp>(1, input, shape));
}

Value GraphBuilder::transpose(Value input, ArrayRef<int64_t> perm) {
  if (!checkOperands(input))
    return {};
  return result(create<TransposeOp>(1, input, perm));
}

Value GraphBuilder::concat(ValueRange inputs, int64_t axis) {
  if (inputs.empty()) {
    (void)error("concat needs at least one input");
    return {};
  }
  if (!checkOperands(inputs))
    return {};
  int64_t a = normalizeAxis(inputs.front(), axis);
  if (a < 0)
    return {};
  return result(create<ConcatOp>(1, inputs, a));
}

SmallVector<Value> GraphBuilder::split(Value input, int64_t axis,
                                       ArrayRef<int64_t> sizes) {
  if (!checkOperands(input))
    return {};
  int64_t a = normalizeAxis(input, axis);
  if (a < 0)
    return {};
  Operation *op = create<SplitOp>(sizes.size(), input, a, sizes);
  if (!op)
    return {};
  return SmallVector<Value>(op->getResults());
}

Value GraphBuilder::slice(Value input, ArrayRef<int64_t> starts,
                          ArrayRef<int64_t> ends, ArrayRef<int64_t> axes,
                          ArrayRef<int64_t> steps) {
  if (!checkOperands(input))
    return {};
  SmallVector<int64_t> normalized;
  for (int64_t a : axes) {
    normalized.push_back(normalizeAxis(input, a));
    if (normalized.back() < 0)
      return {};
  }
  SmallVector<int64_t> s(steps);
  if (s.empty())
    s.assign(axes.size(), 1);
  return result(create<SliceOp>(1, input, starts, ends, normalized, s));
}

Value GraphBuilder::gather(Value data, Value indices, int64_t axis) {
  if (!checkOperands({data, indices}))
    return {};
  int64_t a = normalizeAxis(data, axis);
  if (a < 0)
    return {};
  return result(create<GatherOp>(1, data, indices, a));
}

Value GraphBuilder::pad(Value input, ArrayRef<int64_t> pads, PadMode mode,
                        double value) {
  if (!checkOperands(input))
    return {};
  return result(create<PadOp>(1, input, PadModeAttr::get(getContext(), mode),
                              builder.getDenseI64ArrayAttr(pads),
                              builder.getF64FloatAttr(value)));
}

Value GraphBuilder::broadcastTo(Value input, ArrayRef<int64_t> shape) {
  if (!checkOperands(input))
    return {};
  return result(create<BroadcastToOp>(1, input, shape));
}
