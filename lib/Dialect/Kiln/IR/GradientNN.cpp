//===- GradientNN.cpp - Gradients of the neural-network kiln ops ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The KilnGradientOpInterface rules of matmul, convolution, pooling,
// normalisation and softmax. Each is built from other kiln ops: the data
// gradient of a convolution is a transposed convolution, its filter
// gradient a convolution with the batch and channel dims swapped, and the
// pooling gradients are sums over the window's offsets of strided slices
// put back in place.
//
//===----------------------------------------------------------------------===//

#include "GradientBuilder.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

/// `value` with its last two dimensions swapped.
static Value transposeLastTwo(GradientBuilder &gb, Value value) {
  if (!value)
    return {};
  int64_t rank = tensorType(value).getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  return gb.transpose(value, perm);
}

/// (a, b, rest...) -> (b, a, rest...).
static Value swapFirstTwo(GradientBuilder &gb, Value value) {
  if (!value)
    return {};
  int64_t rank = tensorType(value).getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[0], perm[1]);
  return gb.transpose(value, perm);
}

/// The axes 0, 2, 3, ...: all but the channel axis 1.
static SmallVector<int64_t> nonChannelAxes(Value value) {
  SmallVector<int64_t> axes{0};
  for (int64_t i = 2; i < tensorType(value).getRank(); ++i)
    axes.push_back(i);
  return axes;
}

//===----------------------------------------------------------------------===//
// Matrix product
//===----------------------------------------------------------------------===//

// dA = G B^T and dB = A^T G on the batch-broadcast shapes, summed back to
// each operand's batch shape; 1-D operands are made matrices first.
LogicalResult MatMulOp::buildGradient(OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value a = getLhs(), b = getRhs(), g = resultGrads[0];
  RankedTensorType aType = getLhs().getType(), bType = getRhs().getType();
  bool aVector = aType.getRank() == 1, bVector = bType.getRank() == 1;
  if (aVector)
    a = gb.reshapeTo(a, aType.clone({1, aType.getDimSize(0)}));
  if (bVector)
    b = gb.reshapeTo(b, bType.clone({bType.getDimSize(0), 1}));
  SmallVector<int64_t> gShape(tensorType(g).getShape());
  if (aVector)
    gShape.insert(bVector ? gShape.end() : gShape.end() - 1, 1);
  if (bVector)
    gShape.push_back(1);
  g = gb.reshapeTo(g, tensorType(g).clone(gShape));
  Value ga = gb.create<MatMulOp>(g, transposeLastTwo(gb, b));
  Value gbv = gb.create<MatMulOp>(transposeLastTwo(gb, a), g);
  if (!gb.hasFailed()) {
    ga = gb.unbroadcast(ga, a.getType());
    gbv = gb.unbroadcast(gbv, b.getType());
  }
  if (aVector)
    ga = gb.reshapeTo(ga, aType);
  if (bVector)
    gbv = gb.reshapeTo(gbv, bType);
  return gb.finish(operandGrads, {ga, gbv});
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// The gradient of a convolution's weight (Cout, Cin/group, kernel...) from
/// its `input` (N, Cin, spatial...) and the gradient of its result `grad`
/// (N, Cout, out...): a convolution of the input, with batch and channels
/// swapped, by the result's gradient, where the strides and dilations trade
/// places; then, for groups, the diagonal blocks.
static Value filterGradient(GradientBuilder &gb, Value input, Value grad,
                            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                            ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                            int64_t group) {
  if (!input || !grad)
    return {};
  OpBuilder &b = gb.getBuilder();
  RankedTensorType inType = tensorType(input), gradType = tensorType(grad);
  int64_t inChannels = inType.getDimSize(1),
          outChannels = gradType.getDimSize(1);
  if (group > 1 &&
      (ShapedType::isDynamic(inChannels) || ShapedType::isDynamic(outChannels)))
    return gb.fail("cannot differentiate a grouped convolution's weight with "
                   "dynamic channels");
  Value full = gb.create<ConvOp>(
      swapFirstTwo(gb, input), swapFirstTwo(gb, grad), Value(),
      b.getDenseI64ArrayAttr(dilations), b.getDenseI64ArrayAttr(pads),
      b.getDenseI64ArrayAttr(strides), b.getI64IntegerAttr(1));
  if (!full)
    return {};
  // (Cin, Cout, k'...) with k' >= kernel: keep the kernel's extent.
  int64_t spatial = kernel.size();
  SmallVector<int64_t> starts(spatial, 0), ends(kernel), axes,
      steps(spatial, 1);
  bool trim = false;
  for (int64_t i = 0; i < spatial; ++i) {
    axes.push_back(i + 2);
    trim |= tensorType(full).getDimSize(i + 2) != kernel[i];
  }
  if (trim)
    full = gb.slice(full, starts, ends, axes, steps);
  if (group == 1)
    return swapFirstTwo(gb, full);
  int64_t inPerGroup = inChannels / group, outPerGroup = outChannels / group;
  SmallVector<Value> blocks;
  for (int64_t g = 0; g < group; ++g) {
    Value block =
        gb.slice(full, {g * inPerGroup, g * outPerGroup},
                 {(g + 1) * inPerGroup, (g + 1) * outPerGroup}, {0, 1}, {1, 1});
    blocks.push_back(swapFirstTwo(gb, block));
  }
  return gb.concat(blocks, 0);
}

/// The kernel's spatial sizes from a weight type, or failure if dynamic.
static FailureOr<SmallVector<int64_t>> kernelSizes(GradientBuilder &gb,
                                                   RankedTensorType weight) {
  SmallVector<int64_t> kernel(weight.getShape().drop_front(2));
  if (llvm::any_of(kernel, ShapedType::isDynamic)) {
    gb.fail("cannot differentiate a convolution with a dynamic kernel size");
    return failure();
  }
  return kernel;
}

// The input's gradient is the transposed convolution of the result's
// gradient, with the output padding that restores the input's size.
LogicalResult ConvOp::buildGradient(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0];
  RankedTensorType in = getInput().getType();
  FailureOr<SmallVector<int64_t>> kernel =
      kernelSizes(gb, getWeight().getType());
  if (failed(kernel))
    return failure();
  ArrayRef<int64_t> strides = getStrides(), pads = getPads(),
                    dilations = getDilations();
  int64_t spatial = kernel->size();
  SmallVector<int64_t> outputPadding;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t inSize = in.getDimSize(i + 2);
    int64_t outSize = tensorType(g).getDimSize(i + 2);
    if (ShapedType::isDynamic(inSize) || ShapedType::isDynamic(outSize))
      return gb.fail("cannot differentiate a convolution over a dynamic "
                     "spatial size"),
             failure();
    int64_t covered = strides[i] * (outSize - 1) +
                      ((*kernel)[i] - 1) * dilations[i] + 1 - pads[i] -
                      pads[i + spatial];
    outputPadding.push_back(inSize - covered);
  }
  Value gx = gb.create<ConvTransposeOp>(
      g, getWeight(), Value(), builder.getDenseI64ArrayAttr(strides),
      builder.getDenseI64ArrayAttr(pads),
      builder.getDenseI64ArrayAttr(dilations),
      builder.getDenseI64ArrayAttr(outputPadding),
      builder.getI64IntegerAttr(getGroup()));
  Value gw = filterGradient(gb, getInput(), g, *kernel, strides, pads,
                            dilations, getGroup());
  Value gbias = getBias()
                    ? gb.reduceSum(g, nonChannelAxes(g), /*keepdims=*/false)
                    : Value();
  return gb.finish(operandGrads, {gx, gw, gbias});
}

// A transposed convolution is the adjoint of a convolution: the input's
// gradient is that convolution of the result's gradient, and the weight's
// gradient the convolution's filter gradient with the roles exchanged.
LogicalResult
ConvTransposeOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value g = resultGrads[0];
  FailureOr<SmallVector<int64_t>> kernel =
      kernelSizes(gb, getWeight().getType());
  if (failed(kernel))
    return failure();
  Value gx =
      gb.create<ConvOp>(g, getWeight(), Value(), getStridesAttr(),
                        getPadsAttr(), getDilationsAttr(), getGroupAttr());
  Value gw = filterGradient(gb, g, getInput(), *kernel, getStrides(), getPads(),
                            getDilations(), getGroup());
  Value gbias = getBias()
                    ? gb.reduceSum(g, nonChannelAxes(g), /*keepdims=*/false)
                    : Value();
  return gb.finish(operandGrads, {gx, gw, gbias});
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

namespace {
/// The windows of a pooling op as strided slices of its padded input: for
/// each kernel offset, the slice holding that offset's element of every
/// window.
struct PoolWindows {
  RankedTensorType input;
  SmallVector<int64_t> padBefore, padAfter;
  SmallVector<SmallVector<int64_t>> starts, ends;
  SmallVector<int64_t> axes, steps;
};
} // namespace

static FailureOr<PoolWindows>
poolWindows(GradientBuilder &gb, RankedTensorType input,
            RankedTensorType output, ArrayRef<int64_t> kernel,
            ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
            ArrayRef<int64_t> dilations) {
  PoolWindows w;
  w.input = input;
  int64_t spatial = kernel.size();
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t inSize = input.getDimSize(i + 2),
            outSize = output.getDimSize(i + 2);
    if (ShapedType::isDynamic(inSize) || ShapedType::isDynamic(outSize)) {
      gb.fail("cannot differentiate pooling over a dynamic spatial size");
      return failure();
    }
    // The padded extent the windows reach (ceil mode may reach past the
    // end pad).
    int64_t reach =
        (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
    w.padBefore.push_back(pads[i]);
    w.padAfter.push_back(std::max<int64_t>(reach - pads[i] - inSize, 0));
    w.axes.push_back(i + 2);
    w.steps.push_back(strides[i]);
  }
  // Every kernel offset, row-major (the order ties are broken in).
  SmallVector<int64_t> offset(spatial, 0);
  while (true) {
    SmallVector<int64_t> start, end;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t outSize = output.getDimSize(i + 2);
      start.push_back(offset[i] * dilations[i]);
      end.push_back(start.back() + (outSize - 1) * strides[i] + 1);
    }
    w.starts.push_back(start);
    w.ends.push_back(end);
    int64_t i = spatial - 1;
    while (i >= 0 && ++offset[i] == kernel[i])
      offset[i--] = 0;
    if (i < 0)
      break;
  }
  return w;
}

/// `value` padded on its spatial dims as the windows want.
static Value padSpatial(GradientBuilder &gb, const PoolWindows &w, Value value,
                        double fill) {
  int64_t rank = w.input.getRank();
  SmallVector<int64_t> pads(2 * rank, 0);
  for (auto [i, axis] : llvm::enumerate(w.axes)) {
    pads[axis] = w.padBefore[i];
    pads[axis + rank] = w.padAfter[i];
  }
  return gb.pad(value, pads, fill);
}

/// The sum over the window offsets of `contribution(k)` put back where
/// offset k's slice came from, with the padding removed.
static Value scatterWindows(GradientBuilder &gb, const PoolWindows &w,
                            Value padded,
                            llvm::function_ref<Value(size_t)> contribution) {
  if (!padded)
    return {};
  RankedTensorType paddedType = tensorType(padded);
  Value sum;
  for (size_t k = 0; k < w.starts.size(); ++k) {
    Value part = gb.unslice(contribution(k), paddedType, w.starts[k], w.ends[k],
                            w.axes, w.steps);
    sum = sum ? gb.add(sum, part) : part;
  }
  if (llvm::all_of(w.padBefore, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(w.padAfter, [](int64_t p) { return p == 0; }))
    return sum;
  SmallVector<int64_t> starts, ends, steps(w.axes.size(), 1);
  for (auto [i, axis] : llvm::enumerate(w.axes)) {
    starts.push_back(w.padBefore[i]);
    ends.push_back(w.padBefore[i] + w.input.getDimSize(axis));
  }
  return gb.slice(sum, starts, ends, w.axes, steps);
}

// The gradient of each window goes to its first maximal element.
LogicalResult MaxPoolOp::buildGradient(OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  FailureOr<PoolWindows> w =
      poolWindows(gb, getInput().getType(), getOutput().getType(),
                  getKernelShape(), getStrides(), getPads(), getDilations());
  if (failed(w))
    return failure();
  Value g = resultGrads[0], y = getOutput();
  Value padded = padSpatial(gb, *w, getInput(), -INFINITY);
  Value zero = gb.scalarLike(0.0, g);
  Value taken;
  Value grad = scatterWindows(gb, *w, padded, [&](size_t k) -> Value {
    Value element =
        gb.slice(padded, w->starts[k], w->ends[k], w->axes, w->steps);
    Value hit = gb.create<EqualOp>(element, y);
    Value first = hit;
    if (taken) {
      first = gb.create<AndOp>(hit, gb.create<NotOp>(taken));
      taken = gb.create<OrOp>(taken, hit);
    } else {
      taken = hit;
    }
    return gb.select(first, g, zero);
  });
  return gb.finish(operandGrads, {grad});
}

// Each element of a window gets the window's gradient over its divisor.
// The divisor comes from the op itself, so that ceil mode and
// count_include_pad need no second description: pooling ones gives
// count / divisor per window, and the count is the windows' sum of a
// zero-padded tensor of ones.
LogicalResult
AveragePoolOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                             SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  FailureOr<PoolWindows> w =
      poolWindows(gb, getInput().getType(), getOutput().getType(),
                  getKernelShape(), getStrides(), getPads(), getDilations());
  if (failed(w))
    return failure();
  Value ones = gb.fillLike(getInput(), 1.0);
  Value pooledOnes = gb.create<AveragePoolOp>(
      ones, getKernelShapeAttr(), getStridesAttr(), getPadsAttr(),
      getDilationsAttr(), getCeilModeAttr(), getCountIncludePadAttr());
  Value paddedOnes = padSpatial(gb, *w, ones, 0.0);
  Value count;
  for (size_t k = 0; k < w->starts.size(); ++k) {
    Value element =
        gb.slice(paddedOnes, w->starts[k], w->ends[k], w->axes, w->steps);
    count = count ? gb.add(count, element) : element;
  }
  Value share = gb.mul(resultGrads[0], gb.div(pooledOnes, count));
  Value grad = scatterWindows(gb, *w, paddedOnes,
                              [&](size_t) -> Value { return share; });
  return gb.finish(operandGrads, {grad});
}

LogicalResult
GlobalAveragePoolOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType in = getInput().getType();
  int64_t count = 1;
  for (int64_t d : in.getShape().drop_front(2))
    count = ShapedType::isDynamic(d) ? ShapedType::kDynamic : count * d;
  if (ShapedType::isDynamic(count) || count == 0)
    return gb.fail("cannot differentiate pooling over a dynamic spatial "
                   "size"),
           failure();
  Value grad = gb.broadcastLike(
      gb.scale(resultGrads[0], 1.0 / static_cast<double>(count)), getInput());
  return gb.finish(operandGrads, {grad});
}

// Shared evenly between the maximal elements, as reduce_max.
LogicalResult
GlobalMaxPoolOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput();
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < tensorType(x).getRank(); ++i)
    axes.push_back(i);
  Value mask = gb.maskToFloat(gb.create<EqualOp>(x, getOutput()), x);
  Value count = gb.reduceSum(mask, axes, /*keepdims=*/true);
  Value grad = gb.mul(mask, gb.div(resultGrads[0], count));
  return gb.finish(operandGrads, {grad});
}

//===----------------------------------------------------------------------===//
// Normalisation and softmax
//===----------------------------------------------------------------------===//

// y = s (x - m) r + b with r = 1 / sqrt(v + eps), per channel.
LogicalResult BatchNormOp::buildGradient(OpBuilder &builder,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput(), g = resultGrads[0];
  RankedTensorType in = getInput().getType();
  // (C) -> (C, 1, ...) to broadcast over an (N, C, ...) tensor.
  SmallVector<int64_t> channelShape{in.getDimSize(1)};
  channelShape.append(in.getRank() - 2, 1);
  auto perChannel = [&](Value v) {
    return gb.reshapeTo(v, tensorType(v).clone(channelShape));
  };
  double epsilon = getEpsilon().convertToDouble();
  Value r = gb.div(
      gb.scalarLike(1.0, x),
      gb.unary<SqrtOp>(gb.add(getVariance(), gb.scalarLike(epsilon, x))));
  Value s = getScale();
  Value centered = gb.sub(x, perChannel(getMean()));
  SmallVector<int64_t> axes = nonChannelAxes(x);
  Value sumG = gb.reduceSum(g, axes, /*keepdims=*/false);
  Value sumGc = gb.reduceSum(gb.mul(g, centered), axes, /*keepdims=*/false);
  Value sr = gb.mul(s, r);
  Value gx = gb.mul(g, perChannel(sr));
  Value gscale = gb.mul(sumGc, r);
  Value gmean = gb.neg(gb.mul(sumG, sr));
  // d r / d v = -r^3 / 2.
  Value gvar =
      gb.mul(gb.scale(gb.mul(sumGc, s), -0.5), gb.mul(r, gb.mul(r, r)));
  return gb.finish(operandGrads, {gx, gscale, sumG, gmean, gvar});
}

// With x^ = (x - mu) r over the normalised dims and d = g scale:
// dx = r (d - mean(d) - x^ mean(d x^)).
LogicalResult LayerNormOp::buildGradient(OpBuilder &builder,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput(), g = resultGrads[0];
  int64_t rank = getInput().getType().getRank();
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(getAxis(), rank));
  double epsilon = getEpsilon().convertToDouble();
  Value centered = gb.sub(x, gb.reduceMean(x, axes, /*keepdims=*/true));
  Value variance =
      gb.reduceMean(gb.mul(centered, centered), axes, /*keepdims=*/true);
  Value r =
      gb.div(gb.scalarLike(1.0, x),
             gb.unary<SqrtOp>(gb.add(variance, gb.scalarLike(epsilon, x))));
  Value normalized = gb.mul(centered, r);
  Value d = gb.mul(g, getScale());
  Value meanD = gb.reduceMean(d, axes, /*keepdims=*/true);
  Value meanDX = gb.reduceMean(gb.mul(d, normalized), axes, /*keepdims=*/true);
  Value gx = gb.mul(r, gb.sub(gb.sub(d, meanD), gb.mul(normalized, meanDX)));
  Value gscale = gb.unbroadcast(gb.mul(g, normalized), getScale().getType());
  Value gbias = getBias() ? gb.unbroadcast(g, getBias().getType()) : Value();
  return gb.finish(operandGrads, {gx, gscale, gbias});
}

// dx = y (g - sum(g y)).
LogicalResult SoftmaxOp::buildGradient(OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value y = getOutput(), g = resultGrads[0];
  Value dot = gb.reduceSum(gb.mul(g, y), {static_cast<int64_t>(getAxis())},
                           /*keepdims=*/true);
  return gb.finish(operandGrads, {gb.mul(y, gb.sub(g, dot))});
}

// dx = g - softmax(x) sum(g), softmax(x) = e^y.
LogicalResult
LogSoftmaxOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value y = getOutput(), g = resultGrads[0];
  Value total = gb.reduceSum(g, {static_cast<int64_t>(getAxis())},
                             /*keepdims=*/true);
  return gb.finish(operandGrads,
                   {gb.sub(g, gb.mul(gb.unary<ExpOp>(y), total))});
}
