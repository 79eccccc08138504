//===- Decompose.cpp - Building blocks for decomposed ONNX ops ------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

RankedTensorType onnx_import::typeOf(Value v) {
  return v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

Value onnx_import::denseConstant(NodeImporter &n, ArrayRef<int64_t> shape,
                                 Type elementType, ArrayRef<double> values) {
  auto type = RankedTensorType::get(shape, elementType);
  DenseElementsAttr attr;
  if (auto f = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> elements;
    for (double v : values) {
      APFloat a(v);
      bool lost;
      a.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      elements.push_back(a);
    }
    attr = values.size() == 1 ? DenseElementsAttr::get(type, elements[0])
                              : DenseElementsAttr::get(type, elements);
  } else {
    unsigned width = elementType.getIntOrFloatBitWidth();
    SmallVector<APInt> elements;
    for (double v : values)
      elements.push_back(APInt(width, static_cast<int64_t>(v),
                               /*isSigned=*/width > 1));
    attr = values.size() == 1 ? DenseElementsAttr::get(type, elements[0])
                              : DenseElementsAttr::get(type, elements);
  }
  return n.create<ConstantOp>(attr);
}

Value onnx_import::iota(NodeImporter &n, int64_t size, int64_t axis,
                        int64_t rank, Type elementType) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = size;
  SmallVector<double> values;
  for (int64_t i = 0; i < size; ++i)
    values.push_back(static_cast<double>(i));
  if (size == 1)
    return denseConstant(n, shape, elementType, {0.0});
  return denseConstant(n, shape, elementType, values);
}

/// Appends the reshape spec entry of a dynamic target dimension of `type`'s
/// value: 0 (the input's dimension at the same index) when `sameIndex`, else
/// -1 (inferred), which only one entry may be; reports an error otherwise.
static LogicalResult appendDynamicDim(NodeImporter &n, RankedTensorType type,
                                      bool sameIndex, bool &inferred,
                                      SmallVectorImpl<int64_t> &spec) {
  if (sameIndex) {
    spec.push_back(0);
    return success();
  }
  if (!inferred) {
    inferred = true;
    spec.push_back(-1);
    return success();
  }
  return n.error("this decomposition needs more static dimensions (the "
                 "input has shape " +
                 formatShape(type.getShape()) + ")");
}

Value onnx_import::reshapeTo(NodeImporter &n, Value v,
                             ArrayRef<int64_t> shape) {
  RankedTensorType type = typeOf(v);
  if (!type)
    return {};
  SmallVector<int64_t> spec;
  bool inferred = false;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (!ShapedType::isDynamic(d)) {
      if (d == 0) {
        (void)n.error("cannot reshape to an empty dimension");
        return {};
      }
      spec.push_back(d);
    } else if (failed(
                   appendDynamicDim(n, type,
                                    static_cast<int64_t>(i) < type.getRank() &&
                                        type.isDynamicDim(i),
                                    inferred, spec))) {
      return {};
    }
  }
  if (spec == SmallVector<int64_t>(type.getShape()))
    return v;
  return n.create<ReshapeOp>(v, spec);
}

Value onnx_import::unsqueeze(NodeImporter &n, Value v, ArrayRef<int64_t> axes) {
  RankedTensorType type = typeOf(v);
  if (!type)
    return {};
  int64_t next = 0, rank = type.getRank() + axes.size();
  // A dynamic dimension keeps its index only before the first new axis.
  SmallVector<int64_t> spec;
  bool inferred = false;
  for (int64_t i = 0; i < rank; ++i) {
    if (llvm::is_contained(axes, i)) {
      spec.push_back(1);
      continue;
    }
    int64_t d = type.getDimSize(next);
    if (!ShapedType::isDynamic(d))
      spec.push_back(d);
    else if (failed(appendDynamicDim(n, type, next == i, inferred, spec)))
      return {};
    ++next;
  }
  return n.create<ReshapeOp>(v, spec);
}

SmallVector<int64_t> onnx_import::trailingAxes(int64_t from, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t i = from; i < rank; ++i)
    axes.push_back(i);
  return axes;
}

Value onnx_import::additiveMask(NodeImporter &n, Value condition,
                                Type elementType) {
  if (!condition)
    return {};
  Value zero = n.scalar(0.0, elementType);
  Value negInf = n.scalar(-INFINITY, elementType);
  if (!zero || !negInf)
    return {};
  return n.create<WhereOp>(condition, zero, negInf);
}

SmallVector<int64_t> onnx_import::coercedTo2D(ArrayRef<int64_t> shape,
                                              int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    (i < axis ? outer : inner) *= shape[i];
  return {outer, inner};
}

LogicalResult onnx_import::requireStatic(NodeImporter &n, RankedTensorType type,
                                         StringRef what) {
  if (type && type.hasStaticShape())
    return success();
  return n.error(what + " must have a static shape for this conversion");
}

FailureOr<Window> onnx_import::getWindow(NodeImporter &n,
                                         RankedTensorType input,
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
