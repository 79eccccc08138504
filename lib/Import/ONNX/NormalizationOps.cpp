//===- NormalizationOps.cpp - ONNX normalizations and Hardmax to kiln -----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// BatchNormalization and LayerNormalization map to their kiln ops (their
// statistics outputs are decomposed); the other normalizations are
// decomposed into reductions and elementwise ops, in the order of the ONNX
// function bodies.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// True if output `i` of the node is requested.
static bool wantsOutput(NodeImporter &n, int i) {
  return n.node.output_size() > i && !n.node.output(i).empty();
}

/// `x` in the stash type of the node's `stash_type` (default float32).
static FailureOr<Value> toStashType(NodeImporter &n, Value x) {
  Type stash = convertElementType(
      static_cast<int32_t>(n.intAttr("stash_type", 1)), n.builder.getContext());
  if (!stash || !isa<FloatType>(stash))
    return n.error("stash_type must be a floating-point type");
  if (typeOf(x).getElementType() == stash)
    return x;
  Value c = n.create<CastOp>(x, TypeAttr::get(stash));
  if (!c)
    return failure();
  return c;
}

/// Casts `x` back to `element` if it is not of it.
static Value castTo(NodeImporter &n, Value x, Type element) {
  if (!x || typeOf(x).getElementType() == element)
    return x;
  return n.create<CastOp>(x, TypeAttr::get(element));
}

/// The mean, keeping dimensions, and the centred input over `axes`.
struct Centred {
  Value mean, centred, variance;
};
static Centred centre(NodeImporter &n, Value x, ArrayRef<int64_t> axes) {
  Centred c;
  c.mean = reduce<ReduceMeanOp>(n, x, axes, true);
  c.centred = binary<SubOp>(n, x, c.mean);
  c.variance = reduce<ReduceMeanOp>(n, binary<MulOp>(n, c.centred, c.centred),
                                    axes, true);
  return c;
}

/// (x - mean) / sqrt(var + epsilon) over `axes`.
static Value standardize(NodeImporter &n, Value x, ArrayRef<int64_t> axes,
                         double epsilon) {
  if (!x)
    return {};
  Centred c = centre(n, x, axes);
  Type element = typeOf(x).getElementType();
  return binary<DivOp>(
      n, c.centred,
      unary<SqrtOp>(n,
                    binary<AddOp>(n, c.variance, n.scalar(epsilon, element))));
}

/// A per-channel (C) parameter as (C, 1, ...) for a rank-`rank` input.
static Value perChannel(NodeImporter &n, Value p, int64_t rank) {
  if (!p)
    return {};
  if (typeOf(p).getRank() != 1) {
    (void)n.error("per-channel parameters must be 1-D");
    return {};
  }
  return unsqueeze(n, p, trailingAxes(1, rank - 1));
}

static LogicalResult convertBatchNorm(NodeImporter &n) {
  FailureOr<SmallVector<Value>> inputs = n.requiredInputs({0, 1, 2, 3, 4});
  if (failed(inputs))
    return failure();
  SmallVector<Value> &in = *inputs;
  auto epsilon = n.builder.getF32FloatAttr(n.floatAttr("epsilon", 1e-5f));
  bool training = n.opset >= 14 && n.intAttr("training_mode", 0) != 0;
  if (!training) {
    if (n.opset < 14 && (wantsOutput(n, 1) || wantsOutput(n, 2) ||
                         wantsOutput(n, 3) || wantsOutput(n, 4)))
      return n.error("the training outputs of opsets before 14 are not "
                     "supported");
    return n.finish(
        n.create<BatchNormOp>(in[0], in[1], in[2], in[3], in[4], epsilon));
  }
  // Training: normalise with the batch statistics (population variance) and
  // update the running ones with `momentum`.
  int64_t rank = typeOf(in[0]).getRank();
  if (rank < 2)
    return n.error("the input must have rank at least 2 (N, C, ...)");
  SmallVector<int64_t> axes = trailingAxes(2, rank);
  axes.insert(axes.begin(), 0);
  Centred c = centre(n, in[0], axes);
  int64_t channels = typeOf(in[0]).getDimSize(1);
  Value mean = reshapeTo(n, c.mean, {channels});
  Value var = reshapeTo(n, c.variance, {channels});
  if (!mean || !var)
    return failure();
  Value y = n.create<BatchNormOp>(in[0], in[1], in[2], mean, var, epsilon);
  Type element = typeOf(in[3]).getElementType();
  double momentum = n.floatAttr("momentum", 0.9f);
  Value m = n.scalar(momentum, element), rest = n.scalar(1 - momentum, element);
  Value runMean =
      binary<AddOp>(n, binary<MulOp>(n, in[3], m),
                    binary<MulOp>(n, castTo(n, mean, element), rest));
  Value runVar = binary<AddOp>(n, binary<MulOp>(n, in[4], m),
                               binary<MulOp>(n, castTo(n, var, element), rest));
  if (!y || !runMean || !runVar)
    return failure();
  n.setOutput(1, runMean);
  n.setOutput(2, runVar);
  return n.finish(y);
}

static LogicalResult convertLayerNorm(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  std::optional<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), rank);
  if (!axis)
    return failure();
  float epsilon = n.floatAttr("epsilon", 1e-5f);
  Value y = n.create<LayerNormOp>(*x, *scale, n.input(2),
                                  n.builder.getI64IntegerAttr(*axis),
                                  n.builder.getF32FloatAttr(epsilon));
  if (!y)
    return failure();
  if (wantsOutput(n, 1) || wantsOutput(n, 2)) {
    // Mean and 1 / sqrt(var + epsilon), in the stash type, keeping dims.
    FailureOr<Value> xs = toStashType(n, *x);
    if (failed(xs))
      return failure();
    Centred c = centre(n, *xs, trailingAxes(*axis, rank));
    Type stash = typeOf(*xs).getElementType();
    Value inv = unary<ReciprocalOp>(
        n, unary<SqrtOp>(
               n, binary<AddOp>(n, c.variance, n.scalar(epsilon, stash))));
    if (!c.mean || !inv)
      return failure();
    n.setOutput(1, c.mean);
    n.setOutput(2, inv);
  }
  return n.finish(y);
}

static LogicalResult convertRMSNorm(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  std::optional<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), rank);
  if (!axis)
    return failure();
  FailureOr<Value> xs = toStashType(n, *x);
  if (failed(xs))
    return failure();
  Type stash = typeOf(*xs).getElementType();
  Value meanSquare = reduce<ReduceMeanOp>(n, binary<MulOp>(n, *xs, *xs),
                                          trailingAxes(*axis, rank), true);
  Value rms = unary<SqrtOp>(
      n, binary<AddOp>(n, meanSquare,
                       n.scalar(n.floatAttr("epsilon", 1e-5f), stash)));
  Value normed = binary<MulOp>(n, *xs, unary<ReciprocalOp>(n, rms));
  Value y = binary<MulOp>(n, castTo(n, normed, n.inputType(0).getElementType()),
                          *scale);
  return n.finish(y);
}

/// GroupNormalization: opset 18 takes scale and bias per group, opset 21
/// per channel (and normalises in the stash type).
static LogicalResult convertGroupNorm(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1),
                   bias = n.requiredInput(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank(), groups = n.intAttr("num_groups", 0);
  if (rank < 2)
    return n.error("the input must have rank at least 2 (N, C, ...)");
  int64_t channels = type.getDimSize(1);
  if (groups <= 0 || ShapedType::isDynamic(channels) || channels % groups != 0)
    return n.error("num_groups must divide a static channel count");
  double epsilon = n.floatAttr("epsilon", 1e-5f);
  Type element = type.getElementType();
  Value in = *x;
  if (n.opset >= 21) {
    FailureOr<Value> xs = toStashType(n, *x);
    if (failed(xs))
      return failure();
    in = *xs;
  }
  // (N, G, C/G * spatial...), normalised over the last dimension.
  SmallVector<int64_t> grouped{type.getDimSize(0), groups,
                               ShapedType::kDynamic};
  Value normed = standardize(n, reshapeTo(n, in, grouped), {2}, epsilon);
  Value y;
  if (n.opset >= 21) {
    normed = castTo(n, reshapeTo(n, normed, type.getShape()), element);
    y = binary<AddOp>(n, binary<MulOp>(n, normed, perChannel(n, *scale, rank)),
                      perChannel(n, *bias, rank));
  } else {
    y = binary<AddOp>(n, binary<MulOp>(n, normed, perChannel(n, *scale, 3)),
                      perChannel(n, *bias, 3));
    y = reshapeTo(n, y, type.getShape());
  }
  return n.finish(y);
}

static LogicalResult convertInstanceNorm(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1),
                   bias = n.requiredInput(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  if (rank < 3)
    return n.error("the input must have rank at least 3 (N, C, spatial...)");
  Value normed =
      standardize(n, *x, trailingAxes(2, rank), n.floatAttr("epsilon", 1e-5f));
  Value y =
      binary<AddOp>(n, binary<MulOp>(n, perChannel(n, *scale, rank), normed),
                    perChannel(n, *bias, rank));
  return n.finish(y);
}

/// x / ||x||_p along `axis`, and 0 where the norm is 0.
static LogicalResult convertLpNorm(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  std::optional<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), rank);
  if (!axis)
    return failure();
  int64_t p = n.intAttr("p", 2);
  Value norm;
  if (p == 1)
    norm = reduce<ReduceL1Op>(n, *x, {*axis}, true);
  else if (p == 2)
    norm = reduce<ReduceL2Op>(n, *x, {*axis}, true);
  else
    return n.error("p must be 1 or 2, got " + Twine(p));
  Type element = n.inputType(0).getElementType();
  Value zero = n.scalar(0.0, element);
  Value isZero = binary<EqualOp>(n, norm, zero);
  Value quotient = binary<DivOp>(n, *x, norm);
  if (!isZero || !quotient)
    return failure();
  return n.finish(n.create<WhereOp>(isZero, zero, quotient));
}

/// (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9), as the function body.
static LogicalResult convertMVN(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> axes;
  for (int64_t a : n.intsAttr("axes").value_or(SmallVector<int64_t>{0, 2, 3})) {
    std::optional<int64_t> axis = n.normalizeAxis(a, rank);
    if (!axis)
      return failure();
    axes.push_back(*axis);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  Type element = n.inputType(0).getElementType();
  Value mean = reduce<ReduceMeanOp>(n, *x, axes, true);
  Value meanOfSquares =
      reduce<ReduceMeanOp>(n, binary<MulOp>(n, *x, *x), axes, true);
  Value variance =
      binary<SubOp>(n, meanOfSquares, binary<MulOp>(n, mean, mean));
  Value std =
      binary<AddOp>(n, unary<SqrtOp>(n, variance), n.scalar(1e-9, element));
  return n.finish(binary<DivOp>(n, binary<SubOp>(n, *x, mean), std));
}

/// Local response normalisation across channels: the window sum of squares
/// is a sum of shifted slices of the zero-padded squares.
static LogicalResult convertLRN(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank(), size = n.intAttr("size", 0);
  if (rank < 3)
    return n.error("the input must have rank at least 3 (N, C, spatial...)");
  int64_t channels = type.getDimSize(1);
  if (size <= 0)
    return n.error("size must be positive");
  if (ShapedType::isDynamic(channels))
    return n.error("the channel dimension must be static");
  Type element = type.getElementType();
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  Value square = binary<MulOp>(n, *x, *x);
  SmallVector<int64_t> pads(2 * rank, 0);
  pads[1] = before;
  pads[rank + 1] = after;
  Value padded = square
                     ? n.create<PadOp>(square,
                                       PadModeAttr::get(n.builder.getContext(),
                                                        PadMode::Constant),
                                       n.builder.getDenseI64ArrayAttr(pads),
                                       n.builder.getF64FloatAttr(0.0))
                     : Value();
  Value sum;
  if (!padded)
    return failure();
  for (int64_t i = 0; i < size; ++i) {
    Value slice = n.create<SliceOp>(padded, ArrayRef<int64_t>{i},
                                    ArrayRef<int64_t>{i + channels},
                                    ArrayRef<int64_t>{1}, ArrayRef<int64_t>{1});
    sum = sum ? binary<AddOp>(n, sum, slice) : slice;
    if (!sum)
      return failure();
  }
  double alpha = n.floatAttr("alpha", 1e-4f), beta = n.floatAttr("beta", 0.75f),
         bias = n.floatAttr("bias", 1.0f);
  Value base =
      binary<AddOp>(n, n.scalar(bias, element),
                    binary<MulOp>(n, n.scalar(alpha / size, element), sum));
  Value denom = binary<PowOp>(n, base, n.scalar(beta, element));
  return n.finish(binary<DivOp>(n, *x, denom));
}

/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere. Before
/// opset 13 the input is coerced to 2-D at `axis`.
static LogicalResult convertHardmax(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", n.opset < 13 ? 1 : -1), rank);
  if (!axis)
    return failure();
  Value in = *x;
  int64_t along = *axis;
  if (n.opset < 13) {
    if (failed(requireStatic(n, type, "the input of Hardmax before opset 13")))
      return failure();
    in = reshapeTo(n, in, coercedTo2D(type.getShape(), *axis));
    along = 1;
  }
  RankedTensorType inType = typeOf(in);
  if (!inType)
    return failure();
  int64_t size = inType.getDimSize(along);
  if (ShapedType::isDynamic(size))
    return n.error("the Hardmax axis must be static");
  Type i64 = n.builder.getI64Type();
  Value index = n.create<ArgMaxOp>(in, along, true, false);
  Value hot =
      binary<EqualOp>(n, index, iota(n, size, along, inType.getRank(), i64));
  Value y = hot ? n.create<CastOp>(hot, TypeAttr::get(type.getElementType()))
                : Value();
  if (y && n.opset < 13)
    y = reshapeTo(n, y, type.getShape());
  return n.finish(y);
}

void onnx_import::registerNormalizationOps(OpConverterMap &map) {
  map["BatchNormalization"] = convertBatchNorm;
  map["LayerNormalization"] = convertLayerNorm;
  map["RMSNormalization"] = convertRMSNorm;
  map["GroupNormalization"] = convertGroupNorm;
  map["InstanceNormalization"] = convertInstanceNorm;
  map["LpNormalization"] = convertLpNorm;
  map["MeanVarianceNormalization"] = convertMVN;
  map["LRN"] = convertLRN;
  map["Hardmax"] = convertHardmax;
}
