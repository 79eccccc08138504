//===- GradientNN.cpp - Gradients of the neural-network kiln ops ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The KilnGradientOpInterface rules of matmul, convolution, pooling,
// normalisation and softmax. Each is built from other kiln ops: the data
// gradient of a convolution is a stride-1 convolution by the reversed kernel
// per phase of the strides, its filter gradient one matrix product of the
// result's gradient by the input's columns (for one group), and the pooling
// gradients are sums over the window's offsets of strided slices put back
// in place.
//
//===----------------------------------------------------------------------===//

#include "GradientBuilder.h"

#include <cmath>
#include <limits>
#include <numeric>

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

/// `shape` for `kiln.reshape`: a dynamic entry becomes 0, which copies the
/// input's dim at the same index (callers keep dynamic dims in place).
static Value reshapeKeeping(GradientBuilder &gb, Value value,
                            ArrayRef<int64_t> shape) {
  if (!value)
    return {};
  SmallVector<int64_t> attr(shape);
  for (int64_t &dim : attr)
    if (ShapedType::isDynamic(dim))
      dim = 0;
  return gb.reshape(value, attr);
}

namespace {
/// The geometry of a convolution whose operand gradients are being built:
/// static spatial sizes of its input and result, and its attributes.
struct ConvGeometry {
  SmallVector<int64_t> inSizes, outSizes, kernel;
  ArrayRef<int64_t> strides, pads, dilations;
  int64_t group;
  int64_t spatial() const { return kernel.size(); }
};
} // namespace

/// The input's gradient as a transposed convolution (the general form, for
/// the grouped convolutions whose weight's channels are not static).
static Value transposedInputGradient(GradientBuilder &gb, Value grad,
                                     Value weight, const ConvGeometry &geo) {
  OpBuilder &b = gb.getBuilder();
  SmallVector<int64_t> outputPadding;
  for (int64_t i = 0, e = geo.spatial(); i < e; ++i) {
    int64_t covered = geo.strides[i] * (geo.outSizes[i] - 1) +
                      (geo.kernel[i] - 1) * geo.dilations[i] + 1 - geo.pads[i] -
                      geo.pads[i + e];
    outputPadding.push_back(geo.inSizes[i] - covered);
  }
  return gb.create<ConvTransposeOp>(
      grad, weight, Value(), b.getDenseI64ArrayAttr(geo.strides),
      b.getDenseI64ArrayAttr(geo.pads), b.getDenseI64ArrayAttr(geo.dilations),
      b.getDenseI64ArrayAttr(outputPadding), b.getI64IntegerAttr(geo.group));
}

namespace {
/// One phase of a strided convolution's input gradient along one spatial
/// dim: the input positions `s * i + phase`. Those positions are reached
/// only by the kernel taps `t` with `(phase + pad - t * dilation) % s == 0`;
/// tap `t` reads the result's gradient at `i + (phase + pad - t *
/// dilation) / s`. The taps are evenly spaced, so the phase's gradient is a
/// stride-1 convolution of the result's gradient with those taps reversed.
struct Phase {
  /// The first and last tap (`first > last` when no tap reaches it), and
  /// the step between taps.
  int64_t first = 0, last = -1, tapStep = 1;
  /// The dilation of the phase's convolution, and the offset into the
  /// result's gradient read by its first tap (the last kernel tap).
  int64_t dilation = 1, offset = 0;
  int64_t taps() const {
    return last < first ? 0 : (last - first) / tapStep + 1;
  }
};
} // namespace

static Phase phaseOf(int64_t phase, int64_t kernel, int64_t stride, int64_t pad,
                     int64_t dilation) {
  Phase p;
  int64_t common = std::gcd(stride, dilation);
  p.tapStep = stride / common;
  p.dilation = dilation / common;
  for (int64_t t = 0; t < kernel; ++t) {
    if ((phase + pad - t * dilation) % stride != 0)
      continue;
    if (p.last < p.first)
      p.first = t;
    p.last = t;
  }
  if (p.taps() > 0)
    p.offset = (phase + pad - p.last * dilation) / stride;
  return p;
}

/// The gradient of a convolution's input (N, Cin, in...) from the gradient
/// of its result `grad` (N, Cout, out...) and its `weight`. With unit
/// strides it is one convolution of `grad` by the weight with its channel
/// dims exchanged (per group) and its kernel reversed, padded by what the
/// kernel reaches past the pads; with strides `s`, the input positions
/// split into `prod(s)` phases, each such a stride-1 convolution by the
/// taps that reach it, interleaved afterwards. Either way the work lands
/// on the convolution kernels the code generator makes fast (im2col and a
/// matmul), not on a transposed convolution.
static Value inputGradient(GradientBuilder &gb, Value input, Value weight,
                           Value grad, const ConvGeometry &geo) {
  if (!input || !weight || !grad)
    return {};
  OpBuilder &b = gb.getBuilder();
  int64_t spatial = geo.spatial(), group = geo.group;
  RankedTensorType weightType = tensorType(weight);
  int64_t outChannels = weightType.getDimSize(0),
          inPerGroup = weightType.getDimSize(1);
  if (group > 1 &&
      (ShapedType::isDynamic(outChannels) || ShapedType::isDynamic(inPerGroup)))
    return transposedInputGradient(gb, grad, weight, geo);

  // The weight (Cout, Cin/group, k...) as (Cin, Cout/group, k...): each
  // group's block with its two channel dims exchanged.
  SmallVector<int64_t> perm{1, 0};
  for (int64_t i = 0; i < spatial; ++i)
    perm.push_back(i + 2);
  Value swapped;
  if (group == 1) {
    swapped = gb.transpose(weight, perm);
  } else {
    SmallVector<int64_t> blocks{group, outChannels / group, inPerGroup};
    blocks.append(geo.kernel);
    SmallVector<int64_t> blockPerm{0, 2, 1};
    for (int64_t i = 0; i < spatial; ++i)
      blockPerm.push_back(i + 3);
    SmallVector<int64_t> merged{group * inPerGroup, outChannels / group};
    merged.append(geo.kernel);
    swapped =
        gb.reshape(gb.transpose(gb.reshape(weight, blocks), blockPerm), merged);
  }

  // Every phase computes ceil(in / s) positions along each dim (those past
  // the input are dropped once the phases are interleaved).
  SmallVector<int64_t> phaseSizes;
  for (int64_t i = 0; i < spatial; ++i)
    phaseSizes.push_back(llvm::divideCeil(geo.inSizes[i], geo.strides[i]));
  SmallVector<int64_t> spatialAxes, unitSteps(spatial, 1);
  for (int64_t i = 0; i < spatial; ++i)
    spatialAxes.push_back(i + 2);
  Value zeros;
  // A phase no tap reaches (or only through padding) has a zero gradient:
  // a strided slice of zeros of the input's shape.
  auto zeroPhase = [&]() {
    if (!zeros)
      zeros = gb.zerosLike(input);
    return gb.slice(
        zeros, SmallVector<int64_t>(spatial, 0),
        SmallVector<int64_t>(spatial, std::numeric_limits<int64_t>::max()),
        spatialAxes, geo.strides);
  };

  // The phases, row-major over their index along each dim.
  int64_t numPhases = 1;
  for (int64_t s : geo.strides)
    numPhases *= s;
  SmallVector<Value> pieces;
  for (int64_t index = 0; index < numPhases; ++index) {
    SmallVector<int64_t> phase(spatial);
    for (int64_t i = spatial - 1, rest = index; i >= 0; --i) {
      phase[i] = rest % geo.strides[i];
      rest /= geo.strides[i];
    }
    SmallVector<int64_t> tapStarts, tapEnds, tapSteps, from, to, padBefore,
        padAfter, phaseDilations;
    bool reached = true, sliceGrad = false;
    for (int64_t i = 0; i < spatial && reached; ++i) {
      Phase p = phaseOf(phase[i], geo.kernel[i], geo.strides[i], geo.pads[i],
                        geo.dilations[i]);
      int64_t taps = p.taps();
      // The gradient positions read: [offset, offset + span + size - 1].
      int64_t first = p.offset,
              end = p.offset + (taps - 1) * p.dilation + phaseSizes[i];
      int64_t lo = std::max<int64_t>(first, 0),
              hi = std::min(end, geo.outSizes[i]);
      if (taps == 0 || lo >= hi) {
        reached = false;
        break;
      }
      // The kernel's taps from the last to the first.
      tapStarts.push_back(p.last);
      tapEnds.push_back(p.first > 0 ? p.first - 1
                                    : std::numeric_limits<int64_t>::min());
      tapSteps.push_back(-p.tapStep);
      from.push_back(lo);
      to.push_back(hi);
      sliceGrad |= lo > 0 || hi < geo.outSizes[i];
      padBefore.push_back(lo - first);
      padAfter.push_back(end - hi);
      phaseDilations.push_back(p.dilation);
    }
    if (!reached) {
      pieces.push_back(zeroPhase());
      continue;
    }
    Value taps = gb.slice(swapped, tapStarts, tapEnds, spatialAxes, tapSteps);
    Value source =
        sliceGrad ? gb.slice(grad, from, to, spatialAxes, unitSteps) : grad;
    SmallVector<int64_t> phasePads(padBefore);
    phasePads.append(padAfter);
    pieces.push_back(gb.create<ConvOp>(
        source, taps, Value(), b.getDenseI64ArrayAttr(unitSteps),
        b.getDenseI64ArrayAttr(phasePads),
        b.getDenseI64ArrayAttr(phaseDilations), b.getI64IntegerAttr(group)));
  }

  // Interleave, last dim first: the phases along dim i, each (..., n, ...),
  // stack into (..., n, s, ...), which is (..., n * s, ...) in order.
  for (int64_t i = spatial - 1; i >= 0; --i) {
    int64_t stride = geo.strides[i];
    if (stride == 1)
      continue;
    SmallVector<Value> merged;
    for (int64_t at = 0, e = pieces.size(); at < e; at += stride) {
      SmallVector<Value> stack;
      for (int64_t r = 0; r < stride; ++r) {
        Value piece = pieces[at + r];
        if (!piece)
          return {};
        SmallVector<int64_t> shape(tensorType(piece).getShape());
        shape.insert(shape.begin() + i + 3, 1);
        stack.push_back(reshapeKeeping(gb, piece, shape));
      }
      Value stacked = gb.concat(stack, i + 3);
      if (!stacked)
        return {};
      SmallVector<int64_t> shape(tensorType(stacked).getShape());
      shape[i + 2] *= stride;
      shape.erase(shape.begin() + i + 3);
      Value whole = reshapeKeeping(gb, stacked, shape);
      if (shape[i + 2] != geo.inSizes[i])
        whole = gb.sliceAxis(whole, i + 2, 0, geo.inSizes[i]);
      merged.push_back(whole);
    }
    pieces = std::move(merged);
  }
  return pieces.front();
}

/// The gradient of a one-group convolution's weight (Cout, Cin, k...) as
/// one matrix product: the result's gradient as (Cout, N * out...) times
/// the input's columns (N * out..., k... * Cin), the strided slices of the
/// padded channels-last input that each kernel tap reads, side by side.
/// The contraction runs over the batch and the result's positions, long
/// and contiguous in both operands, and the product is only as wide as the
/// weight: the shape the code generator tiles well (where a convolution by
/// the result's gradient would compute a few outputs from huge windows).
static Value weightGradient(GradientBuilder &gb, Value input, Value grad,
                            const ConvGeometry &geo) {
  if (!input || !grad)
    return {};
  int64_t spatial = geo.spatial();
  int64_t inChannels = tensorType(input).getDimSize(1);
  // (N, Cin, in...) -> (N, in..., Cin), padded.
  SmallVector<int64_t> toLast{0};
  for (int64_t i = 0; i < spatial; ++i)
    toLast.push_back(i + 2);
  toLast.push_back(1);
  SmallVector<int64_t> pads(2 * (spatial + 2), 0);
  for (int64_t i = 0; i < spatial; ++i) {
    pads[i + 1] = geo.pads[i];
    pads[spatial + 2 + i + 1] = geo.pads[i + spatial];
  }
  Value padded = gb.pad(gb.transpose(input, toLast), pads);
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < spatial; ++i)
    axes.push_back(i + 1);
  // One slice per kernel tap, row-major, each (N, out..., Cin).
  SmallVector<Value> columns;
  SmallVector<int64_t> tap(spatial, 0);
  int64_t taps = 1;
  for (int64_t k : geo.kernel)
    taps *= k;
  for (int64_t index = 0; index < taps; ++index) {
    SmallVector<int64_t> starts, ends;
    for (int64_t i = spatial - 1, rest = index; i >= 0; --i) {
      tap[i] = rest % geo.kernel[i];
      rest /= geo.kernel[i];
    }
    for (int64_t i = 0; i < spatial; ++i) {
      starts.push_back(tap[i] * geo.dilations[i]);
      ends.push_back(starts.back() + (geo.outSizes[i] - 1) * geo.strides[i] +
                     1);
    }
    columns.push_back(gb.slice(padded, starts, ends, axes, geo.strides));
  }
  Value cols =
      columns.size() == 1 ? columns.front() : gb.concat(columns, spatial + 1);
  cols = gb.reshape(cols, {-1, taps * inChannels});
  // (N, Cout, out...) -> (Cout, N * out...).
  SmallVector<int64_t> perm =
      llvm::to_vector(llvm::seq<int64_t>(0, spatial + 2));
  std::swap(perm[0], perm[1]);
  Value rows = gb.reshape(gb.transpose(grad, perm), {0, -1});
  // (Cout, k... * Cin) -> (Cout, Cin, k...).
  Value product = gb.create<MatMulOp>(rows, cols);
  Value perTap = gb.reshape(product, {0, taps, inChannels});
  SmallVector<int64_t> shape{0, inChannels};
  shape.append(geo.kernel);
  return gb.reshape(gb.transpose(perTap, {0, 2, 1}), shape);
}

// The input's gradient is a convolution of the result's gradient by the
// reversed kernel (one per phase of the strides), the weight's one matrix
// product for one group and a convolution of the swapped input by the
// result's gradient otherwise (filterGradient); the bias's a sum.
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
  ConvGeometry geo;
  geo.kernel = *kernel;
  geo.strides = getStrides();
  geo.pads = getPads();
  geo.dilations = getDilations();
  geo.group = getGroup();
  for (int64_t i = 0, e = kernel->size(); i < e; ++i) {
    int64_t inSize = in.getDimSize(i + 2);
    int64_t outSize = tensorType(g).getDimSize(i + 2);
    if (ShapedType::isDynamic(inSize) || ShapedType::isDynamic(outSize))
      return gb.fail("cannot differentiate a convolution over a dynamic "
                     "spatial size"),
             failure();
    geo.inSizes.push_back(inSize);
    geo.outSizes.push_back(outSize);
  }
  Value gx = inputGradient(gb, getInput(), getWeight(), g, geo);
  Value gw = geo.group == 1 && !ShapedType::isDynamic(in.getDimSize(1))
                 ? weightGradient(gb, getInput(), g, geo)
                 : filterGradient(gb, getInput(), g, *kernel, geo.strides,
                                  geo.pads, geo.dilations, geo.group);
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
