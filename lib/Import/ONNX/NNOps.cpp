//===- NNOps.cpp - ONNX linear algebra, conv, pooling, norms to kiln ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

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

/// Window attributes with ONNX defaults filled in and `auto_pad` resolved
/// into explicit pads.
struct Window {
  SmallVector<int64_t> kernel, strides, pads, dilations;
};

static FailureOr<Window> getWindow(NodeImporter &n, RankedTensorType input,
                                   ArrayRef<int64_t> kernel) {
  int64_t spatial = input.getRank() - 2;
  if (spatial < 1) {
    (void)n.error("input must have rank at least 3 (N, C, spatial...)");
    return failure();
  }
  Window w;
  w.kernel.assign(kernel);
  w.strides = n.intsAttr("strides").value_or(SmallVector<int64_t>(spatial, 1));
  w.dilations =
      n.intsAttr("dilations").value_or(SmallVector<int64_t>(spatial, 1));
  w.pads = n.intsAttr("pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
  if (static_cast<int64_t>(w.kernel.size()) != spatial ||
      static_cast<int64_t>(w.strides.size()) != spatial ||
      static_cast<int64_t>(w.dilations.size()) != spatial ||
      static_cast<int64_t>(w.pads.size()) != 2 * spatial) {
    (void)n.error("kernel_shape, strides, dilations and pads do not match "
                  "the input's " +
                  Twine(spatial) + " spatial dimensions");
    return failure();
  }
  std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    w.pads.assign(2 * spatial, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = input.getDimSize(i + 2);
      if (ShapedType::isDynamic(in)) {
        (void)n.error("auto_pad " + autoPad +
                      " needs static spatial dimensions");
        return failure();
      }
      int64_t out = (in + w.strides[i] - 1) / w.strides[i];
      int64_t effective = (w.kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.strides[i] + effective - in);
      int64_t small = total / 2, large = total - small;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[i + spatial] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    (void)n.error("unknown auto_pad '" + autoPad + "'");
    return failure();
  }
  return w;
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
    if (n.attr("output_shape"))
      return n.error("the output_shape attribute is not supported; use pads");
    SmallVector<int64_t> outputPadding =
        n.intsAttr("output_padding")
            .value_or(SmallVector<int64_t>(win->strides.size(), 0));
    y = n.create<ConvTransposeOp>(*x, *w, n.input(2), win->strides, win->pads,
                                  win->dilations, outputPadding, group);
  } else {
    y = n.create<ConvOp>(*x, *w, n.input(2), win->strides, win->pads,
                         win->dilations, group);
  }
  return n.finish(y);
}

template <typename OpTy> static LogicalResult convertPool(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (n.node.output_size() > 1 && !n.node.output(1).empty())
    return n.error("the indices output of MaxPool is not supported");
  if (n.intAttr("storage_order", 0) != 0)
    return n.error("storage_order 1 is not supported");
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
  return n.finish(y);
}

static LogicalResult convertBatchNorm(NodeImporter &n) {
  SmallVector<Value> in;
  for (unsigned i = 0; i < 5; ++i) {
    FailureOr<Value> v = n.requiredInput(i);
    if (failed(v))
      return failure();
    in.push_back(*v);
  }
  if (n.intAttr("training_mode", 0) != 0)
    return n.error("training_mode is not supported by the importer");
  Value y = n.create<BatchNormOp>(
      in[0], in[1], in[2], in[3], in[4],
      n.builder.getF32FloatAttr(n.floatAttr("epsilon", 1e-5f)));
  return n.finish(y);
}

static LogicalResult convertLayerNorm(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  for (unsigned i : {1u, 2u})
    if (n.node.output_size() > static_cast<int>(i) && !n.node.output(i).empty())
      return n.error("the mean and inverse-deviation outputs are not "
                     "supported");
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", -1), n.inputType(0).getRank());
  if (!axis)
    return failure();
  Value y = n.create<LayerNormOp>(
      *x, *scale, n.input(2), n.builder.getI64IntegerAttr(*axis),
      n.builder.getF32FloatAttr(n.floatAttr("epsilon", 1e-5f)));
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
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i)
      (i < *axis ? outer : inner) *= type.getDimSize(i);
    Value flat = n.create<ReshapeOp>(*x, ArrayRef<int64_t>{outer, inner});
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
  map["BatchNormalization"] = convertBatchNorm;
  map["LayerNormalization"] = convertLayerNorm;
  map["Softmax"] = convertSoftmax<SoftmaxOp>;
  map["LogSoftmax"] = convertSoftmax<LogSoftmaxOp>;
}
