//===- NNOps.cpp - ONNX linear algebra, conv, pooling, softmax to kiln ----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Gemm: alpha * A' * B' + beta * C, with A' and B' optionally transposed.
static LogicalResult convertGemm(NodeImporter &n) {
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  Value lhs = *a, rhs = *b;
  if (n.intAttr("transA", 0))
    lhs = n.create<TransposeOp>(lhs, ArrayRef<int64_t>{1, 0});
  if (n.intAttr("transB", 0))
    rhs = n.create<TransposeOp>(rhs, ArrayRef<int64_t>{1, 0});
  if (!lhs || !rhs)
    return failure();
  Value y = n.create<MatMulOp>(lhs, rhs);
  if (!y)
    return failure();
  Type element = cast<RankedTensorType>(y.getType()).getElementType();
  float alpha = n.floatAttr("alpha", 1), beta = n.floatAttr("beta", 1);
  if (alpha != 1)
    y = n.create<MulOp>(y, n.scalar(alpha, element));
  if (Value c = n.input(2); c && y && beta != 0) {
    if (beta != 1)
      c = n.create<MulOp>(c, n.scalar(beta, element));
    y = c ? n.create<AddOp>(y, c) : Value();
  }
  return n.finish(y);
}

/// ConvTranspose's `output_shape` (the spatial sizes, or all of N, C,
/// spatial...) overrides the pads: the total padding of each dimension is
/// split as the spec says (the larger half first, or last under
/// SAME_UPPER); a negative total grows the end through output_padding.
static LogicalResult padsForOutputShape(NodeImporter &n, RankedTensorType in,
                                        ArrayRef<int64_t> outShape, Window &w,
                                        SmallVectorImpl<int64_t> &outPadding) {
  size_t spatial = w.strides.size();
  if (outShape.size() == spatial + 2)
    outShape = outShape.drop_front(2);
  if (outShape.size() != spatial || outPadding.size() != spatial)
    return n.error("output_shape and output_padding must give every spatial "
                   "dimension");
  bool upper = n.stringAttr("auto_pad", "NOTSET") == "SAME_UPPER";
  for (size_t i = 0; i < spatial; ++i) {
    int64_t inSize = in.getDimSize(i + 2);
    if (ShapedType::isDynamic(inSize))
      return n.error("output_shape needs static spatial input dimensions");
    int64_t total = w.strides[i] * (inSize - 1) + outPadding[i] +
                    (w.kernel[i] - 1) * w.dilations[i] + 1 - outShape[i];
    if (total < 0) {
      w.pads[i] = w.pads[i + spatial] = 0;
      outPadding[i] -= total;
      continue;
    }
    int64_t small = total / 2, large = total - small;
    w.pads[i] = upper ? small : large;
    w.pads[i + spatial] = upper ? large : small;
  }
  return success();
}

template <typename OpTy> static LogicalResult convertConvLike(NodeImporter &n) {
  constexpr bool transposed = std::is_same_v<OpTy, ConvTransposeOp>;
  FailureOr<Value> x = n.requiredInput(0), w = n.requiredInput(1);
  if (failed(x) || failed(w))
    return failure();
  RankedTensorType inType = n.inputType(0), wType = n.inputType(1);
  SmallVector<int64_t> kernel;
  if (std::optional<SmallVector<int64_t>> k = n.intsAttr("kernel_shape"))
    kernel = *k;
  else if (wType.getRank() >= 3 &&
           llvm::none_of(wType.getShape().drop_front(2), ShapedType::isDynamic))
    kernel.assign(wType.getShape().begin() + 2, wType.getShape().end());
  else
    return n.error("the kernel shape is unknown (no kernel_shape attribute "
                   "and a weight with dynamic spatial dims)");
  FailureOr<Window> win = getWindow(n, inType, kernel);
  if (failed(win))
    return failure();
  int64_t group = n.intAttr("group", 1);
  Value y;
  if constexpr (transposed) {
    SmallVector<int64_t> outputPadding =
        n.intsAttr("output_padding")
            .value_or(SmallVector<int64_t>(win->strides.size(), 0));
    std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
    std::optional<SmallVector<int64_t>> outShape = n.intsAttr("output_shape");
    if (!outShape && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")) {
      // SAME pads give an output of input * stride.
      outShape.emplace();
      for (auto [i, s] : llvm::enumerate(win->strides))
        outShape->push_back(inType.getDimSize(i + 2) * s);
    }
    if (outShape &&
        failed(padsForOutputShape(n, inType, *outShape, *win, outputPadding)))
      return failure();
    y = n.create<ConvTransposeOp>(*x, *w, n.input(2), win->strides, win->pads,
                                  win->dilations, outputPadding, group);
  } else {
    y = n.create<ConvOp>(*x, *w, n.input(2), win->strides, win->pads,
                         win->dilations, group);
  }
  return n.finish(y);
}

/// The Indices output of MaxPool: for each output element, the flat index
/// into the input of the first maximum of its window (row-major, or with
/// the spatial dimensions column-major under `columnMajor`). The windows
/// are the shifted strided slices of the input padded with its lowest
/// value, stacked on a new last axis for an argmax.
static Value maxPoolIndices(NodeImporter &n, Value x, RankedTensorType yType,
                            const Window &w, bool columnMajor) {
  RankedTensorType type = typeOf(x);
  if (!type.hasStaticShape() || !yType.hasStaticShape()) {
    (void)n.error("the indices output of MaxPool needs static shapes");
    return {};
  }
  int64_t rank = type.getRank(), spatial = rank - 2;
  Type element = type.getElementType();
  double lowest = -INFINITY;
  if (auto intType = dyn_cast<IntegerType>(element))
    lowest = intType.isUnsigned() || intType.getWidth() == 1
                 ? 0.0
                 : -std::ldexp(1.0, intType.getWidth() - 1);
  SmallVector<int64_t> pads(2 * rank, 0);
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t in = type.getDimSize(i + 2), out = yType.getDimSize(i + 2);
    int64_t extent =
        (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1;
    pads[i + 2] = w.pads[i];
    pads[rank + i + 2] = std::max<int64_t>(0, extent - in - w.pads[i]);
  }
  Value padded = n.create<PadOp>(
      x, PadModeAttr::get(n.builder.getContext(), PadMode::Constant),
      n.builder.getDenseI64ArrayAttr(pads), n.builder.getF64FloatAttr(lowest));
  if (!padded)
    return {};
  // One slice per kernel position, in row-major order.
  SmallVector<Value> windows;
  SmallVector<SmallVector<double>> offsets(spatial);
  SmallVector<int64_t> kernelPos(spatial, 0);
  SmallVector<int64_t> axes, steps(w.strides);
  for (int64_t i = 0; i < spatial; ++i)
    axes.push_back(i + 2);
  while (true) {
    SmallVector<int64_t> starts, ends;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t start = kernelPos[i] * w.dilations[i];
      starts.push_back(start);
      ends.push_back(start + (yType.getDimSize(i + 2) - 1) * w.strides[i] + 1);
      offsets[i].push_back(static_cast<double>(start));
    }
    Value slice = n.create<SliceOp>(padded, starts, ends, axes, steps);
    windows.push_back(unsqueeze(n, slice, {rank}));
    if (!windows.back())
      return {};
    int64_t d = spatial - 1;
    while (d >= 0 && ++kernelPos[d] == w.kernel[d])
      kernelPos[d--] = 0;
    if (d < 0)
      break;
  }
  Value stacked =
      windows.size() == 1 ? windows[0] : n.create<ConcatOp>(windows, rank);
  Value best =
      stacked ? n.create<ArgMaxOp>(stacked, rank, false, false) : Value();
  if (!best)
    return {};
  // Flat index: the (n, c) plane, then the spatial coordinates.
  Type i64 = n.builder.getI64Type();
  int64_t channels = type.getDimSize(1), plane = 1;
  for (int64_t i = 0; i < spatial; ++i)
    plane *= type.getDimSize(i + 2);
  Value nc =
      binary<AddOp>(n,
                    binary<MulOp>(n, iota(n, type.getDimSize(0), 0, rank, i64),
                                  n.scalar(double(channels), i64)),
                    iota(n, channels, 1, rank, i64));
  Value index = binary<MulOp>(n, nc, n.scalar(double(plane), i64));
  int64_t weight = 1;
  for (int64_t k = 0; k < spatial; ++k) {
    int64_t i = columnMajor ? k : spatial - 1 - k;
    int64_t size = static_cast<int64_t>(offsets[i].size());
    Value table = denseConstant(n, {size}, i64, offsets[i]);
    Value offset =
        table ? n.create<GatherOp>(table, best, int64_t(0)) : Value();
    Value origin = binary<SubOp>(
        n,
        binary<MulOp>(n, iota(n, yType.getDimSize(i + 2), i + 2, rank, i64),
                      n.scalar(double(w.strides[i]), i64)),
        n.scalar(double(w.pads[i]), i64));
    Value coord = binary<AddOp>(n, origin, offset);
    index = binary<AddOp>(
        n, index, binary<MulOp>(n, coord, n.scalar(double(weight), i64)));
    weight *= type.getDimSize(i + 2);
  }
  return index;
}

template <typename OpTy> static LogicalResult convertPool(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  bool wantsIndices = n.node.output_size() > 1 && !n.node.output(1).empty();
  std::optional<SmallVector<int64_t>> kernel = n.intsAttr("kernel_shape");
  if (!kernel)
    return n.error("kernel_shape is required");
  FailureOr<Window> win = getWindow(n, n.inputType(0), *kernel);
  if (failed(win))
    return failure();
  bool ceilMode = n.intAttr("ceil_mode", 0) != 0;
  Value y;
  if constexpr (std::is_same_v<OpTy, MaxPoolOp>)
    y = n.create<MaxPoolOp>(*x, win->kernel, win->strides, win->pads,
                            win->dilations, ceilMode);
  else
    y = n.create<AveragePoolOp>(*x, win->kernel, win->strides, win->pads,
                                win->dilations, ceilMode,
                                n.intAttr("count_include_pad", 0) != 0);
  if (y && wantsIndices) {
    if constexpr (std::is_same_v<OpTy, MaxPoolOp>) {
      Value indices = maxPoolIndices(n, *x, typeOf(y), *win,
                                     n.intAttr("storage_order", 0) != 0);
      if (!indices)
        return failure();
      n.setOutput(1, indices);
    }
  }
  return n.finish(y);
}

/// |x|^p, as x*x for p = 2.
static Value absPow(NodeImporter &n, Value x, int64_t p, Type element) {
  if (p == 2)
    return n.create<MulOp>(x, x);
  Value a = n.create<AbsOp>(x);
  return a ? n.create<PowOp>(a, n.scalar(double(p), element)) : Value();
}

/// LpPool: (sum over the window of |x|^p)^(1/p). The window sums are a
/// depthwise convolution with a kernel of ones, so padding contributes 0.
static LogicalResult convertLpPool(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  std::optional<SmallVector<int64_t>> kernel = n.intsAttr("kernel_shape");
  if (!kernel)
    return n.error("kernel_shape is required");
  if (n.intAttr("ceil_mode", 0) != 0)
    return n.error("ceil_mode 1 is not supported for LpPool");
  int64_t channels = type.getRank() >= 2 ? type.getDimSize(1) : 0;
  if (ShapedType::isDynamic(channels) || channels <= 0)
    return n.error("LpPool needs a static channel dimension");
  FailureOr<Window> win = getWindow(n, type, *kernel);
  if (failed(win))
    return failure();
  int64_t p = n.intAttr("p", 2);
  if (p <= 0)
    return n.error("p must be positive");
  Type element = type.getElementType();
  SmallVector<int64_t> wShape{channels, 1};
  wShape.append(win->kernel.begin(), win->kernel.end());
  auto wType = RankedTensorType::get(wShape, element);
  Value ones = n.create<ConstantOp>(
      DenseElementsAttr::get(wType, n.builder.getFloatAttr(element, 1.0)));
  Value powered = absPow(n, *x, p, element);
  Value sums = powered && ones
                   ? n.create<ConvOp>(powered, ones, Value(), win->strides,
                                      win->pads, win->dilations, channels)
                   : Value();
  Value y =
      sums && p != 1 ? n.create<PowOp>(sums, n.scalar(1.0 / p, element)) : sums;
  return n.finish(y);
}

/// GlobalLpPool: the p-norm over all spatial dimensions.
static LogicalResult convertGlobalLpPool(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank(), p = n.intAttr("p", 2);
  if (rank < 3)
    return n.error("the input must have rank at least 3 (N, C, spatial...)");
  if (p <= 0)
    return n.error("p must be positive");
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  Value powered = absPow(n, *x, p, type.getElementType());
  Value sums = powered ? n.create<ReduceSumOp>(powered, axes, true) : Value();
  Value y =
      sums && p != 1
          ? n.create<PowOp>(sums, n.scalar(1.0 / p, type.getElementType()))
          : sums;
  return n.finish(y);
}

/// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1), which only differs from the per-axis form when the
/// axis is not the last one.
template <typename OpTy> static LogicalResult convertSoftmax(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", n.opset < 13 ? 1 : -1), rank);
  if (!axis)
    return failure();
  Value y;
  if (n.opset >= 13 || *axis == rank - 1) {
    y = n.create<OpTy>(*x, *axis);
  } else {
    if (!type.hasStaticShape())
      return n.error("a softmax over flattened trailing dimensions needs a "
                     "static shape");
    Value flat = n.create<ReshapeOp>(*x, coercedTo2D(type.getShape(), *axis));
    Value s = flat ? n.create<OpTy>(flat, int64_t(1)) : Value();
    y = s ? n.create<ReshapeOp>(s, type.getShape()) : Value();
  }
  return n.finish(y);
}

void onnx_import::registerNNOps(OpConverterMap &map) {
  map["MatMul"] = convertBinary<MatMulOp>;
  map["Gemm"] = convertGemm;
  map["Conv"] = convertConvLike<ConvOp>;
  map["ConvTranspose"] = convertConvLike<ConvTransposeOp>;
  map["MaxPool"] = convertPool<MaxPoolOp>;
  map["AveragePool"] = convertPool<AveragePoolOp>;
  map["GlobalAveragePool"] = convertUnary<GlobalAveragePoolOp>;
  map["GlobalMaxPool"] = convertUnary<GlobalMaxPoolOp>;
  map["LpPool"] = convertLpPool;
  map["GlobalLpPool"] = convertGlobalLpPool;
  map["Softmax"] = convertSoftmax<SoftmaxOp>;
  map["LogSoftmax"] = convertSoftmax<LogSoftmaxOp>;
}
