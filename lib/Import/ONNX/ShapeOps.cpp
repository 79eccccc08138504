//===- ShapeOps.cpp - ONNX shape, data movement and constants to kiln -----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Integers from input `i` (opset >= `sinceOpset`) or else attribute `name`;
/// nullopt if neither is given. A non-constant input is an error.
static FailureOr<std::optional<SmallVector<int64_t>>>
intsFromInputOrAttr(NodeImporter &n, unsigned i, int64_t sinceOpset,
                    StringRef name) {
  if (n.opset >= sinceOpset) {
    if (!n.input(i))
      return std::optional<SmallVector<int64_t>>();
    std::optional<SmallVector<int64_t>> v = n.constantInts(i);
    if (!v) {
      (void)n.error("input '" + name + "' must be a constant for Kiln");
      return failure();
    }
    return v;
  }
  return n.intsAttr(name);
}

/// Reshapes `x` to `dims` (which may hold dynamic dims). `source[i]` is the
/// input dim that output dim `i` comes from, or -1. A dynamic dim is copied
/// (0) when it stays at its index, else inferred (-1, at most once).
static Value reshapeTo(NodeImporter &n, Value x, ArrayRef<int64_t> dims,
                       ArrayRef<int64_t> source) {
  SmallVector<int64_t> shape;
  bool inferred = false;
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (!ShapedType::isDynamic(d)) {
      shape.push_back(d);
    } else if (source[i] == static_cast<int64_t>(i)) {
      shape.push_back(0);
    } else if (!inferred) {
      inferred = true;
      shape.push_back(-1);
    } else {
      (void)n.error("moves more than one dynamic dimension");
      return {};
    }
  }
  return n.create<ReshapeOp>(x, shape);
}

static LogicalResult convertReshape(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  std::optional<SmallVector<int64_t>> shape =
      n.opset < 5 ? n.intsAttr("shape") : n.constantInts(1);
  if (!shape)
    return n.error("the target shape must be a constant for Kiln");
  if (n.intAttr("allowzero", 0) != 0 && llvm::is_contained(*shape, 0))
    return n.error("allowzero with a zero in the shape is not supported");
  Value y = n.create<ReshapeOp>(*x, *shape);
  return n.finish(y);
}

static LogicalResult convertFlatten(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  int64_t axis = n.intAttr("axis", 1);
  if (axis < -rank || axis > rank)
    return n.error("axis " + Twine(axis) + " is out of range");
  if (axis < 0)
    axis += rank;
  auto product = [&](int64_t from, int64_t to) {
    int64_t p = 1;
    for (int64_t i = from; i < to; ++i) {
      if (type.isDynamicDim(i))
        return ShapedType::kDynamic;
      p *= type.getDimSize(i);
    }
    return p;
  };
  int64_t outer = product(0, axis), inner = product(axis, rank);
  SmallVector<int64_t> shape;
  if (!ShapedType::isDynamic(outer))
    shape = {outer, -1};
  else if (axis == 1)
    shape = {0, -1}; // Keeps a dynamic batch dimension.
  else if (!ShapedType::isDynamic(inner))
    shape = {-1, inner};
  else
    return n.error("cannot flatten with dynamic dims on both sides of the "
                   "axis");
  Value y = n.create<ReshapeOp>(*x, shape);
  return n.finish(y);
}

static LogicalResult convertSqueezeLike(NodeImporter &n, bool unsqueeze) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      intsFromInputOrAttr(n, 1, 13, "axes");
  if (failed(axes))
    return failure();
  int64_t outRank = type.getRank();
  if (unsqueeze) {
    if (!*axes)
      return n.error("axes are required");
    outRank += (*axes)->size();
  }
  llvm::SmallBitVector marked(unsqueeze ? outRank : type.getRank());
  if (*axes) {
    for (int64_t a : **axes) {
      std::optional<int64_t> axis = n.normalizeAxis(a, marked.size());
      if (!axis)
        return failure();
      marked.set(*axis);
    }
  } else {
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.getDimSize(i) == 1)
        marked.set(i);
      else if (type.isDynamicDim(i))
        return n.error("squeezing all size-1 dims needs static dims");
  }
  SmallVector<int64_t> dims, source;
  if (unsqueeze) {
    int64_t next = 0;
    for (int64_t i = 0; i < outRank; ++i) {
      if (marked.test(i)) {
        dims.push_back(1);
        source.push_back(-1);
      } else {
        dims.push_back(type.getDimSize(next));
        source.push_back(next++);
      }
    }
  } else {
    for (int64_t i = 0; i < type.getRank(); ++i) {
      if (marked.test(i)) {
        if (!type.isDynamicDim(i) && type.getDimSize(i) != 1)
          return n.error("cannot squeeze dimension " + Twine(i) + " of size " +
                         Twine(type.getDimSize(i)));
        continue;
      }
      dims.push_back(type.getDimSize(i));
      source.push_back(i);
    }
  }
  Value y = reshapeTo(n, *x, dims, source);
  return n.finish(y);
}

static LogicalResult convertTranspose(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> p = n.intsAttr("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  Value y = n.create<TransposeOp>(*x, perm);
  return n.finish(y);
}

static LogicalResult convertConcat(NodeImporter &n) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < n.numInputs(); ++i)
    if (Value v = n.input(i))
      inputs.push_back(v);
  if (inputs.empty())
    return n.error("needs at least one input");
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 1),
                      cast<RankedTensorType>(inputs[0].getType()).getRank());
  if (!axis)
    return failure();
  Value y = n.create<ConcatOp>(inputs, *axis);
  return n.finish(y);
}

static LogicalResult convertSplit(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), type.getRank());
  if (!axis)
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> sizes =
      intsFromInputOrAttr(n, 1, 13, "split");
  if (failed(sizes))
    return failure();
  SmallVector<int64_t> split;
  if (*sizes) {
    split = **sizes;
  } else {
    int64_t parts = n.node.output_size();
    if (n.attr("num_outputs"))
      parts = n.intAttr("num_outputs", parts);
    int64_t dim = type.getDimSize(*axis);
    if (ShapedType::isDynamic(dim) || parts < 1)
      return n.error("an even split needs a static dimension");
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      split.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  Operation *op =
      createVerified<SplitOp>(n.builder, n.loc, split.size(), *x, *axis, split);
  if (!op)
    return failure();
  for (auto [i, r] : llvm::enumerate(op->getResults()))
    n.setOutput(i, r);
  return success();
}

static LogicalResult convertSlice(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  std::optional<SmallVector<int64_t>> starts, ends, axes, steps;
  if (n.opset < 10) {
    starts = n.intsAttr("starts");
    ends = n.intsAttr("ends");
    axes = n.intsAttr("axes");
  } else {
    starts = n.constantInts(1);
    ends = n.constantInts(2);
    axes = n.input(3) ? n.constantInts(3) : std::nullopt;
    steps = n.input(4) ? n.constantInts(4) : std::nullopt;
    if ((n.input(3) && !axes) || (n.input(4) && !steps))
      return n.error("axes and steps must be constants for Kiln");
  }
  if (!starts || !ends)
    return n.error("starts and ends must be constants for Kiln");
  if (!axes) {
    axes.emplace();
    for (size_t i = 0; i < starts->size(); ++i)
      axes->push_back(i);
  }
  for (int64_t &a : *axes) {
    std::optional<int64_t> axis = n.normalizeAxis(a, rank);
    if (!axis)
      return failure();
    a = *axis;
  }
  if (!steps)
    steps = SmallVector<int64_t>(starts->size(), 1);
  Value y = n.create<SliceOp>(*x, *starts, *ends, *axes, *steps);
  return n.finish(y);
}

static LogicalResult convertGather(NodeImporter &n) {
  FailureOr<Value> data = n.requiredInput(0), indices = n.requiredInput(1);
  if (failed(data) || failed(indices))
    return failure();
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (!axis)
    return failure();
  Value y = n.create<GatherOp>(*data, *indices, *axis);
  return n.finish(y);
}

static LogicalResult convertPad(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  std::string modeName = n.stringAttr("mode", "constant");
  PadMode mode;
  if (modeName == "constant")
    mode = PadMode::Constant;
  else if (modeName == "reflect")
    mode = PadMode::Reflect;
  else if (modeName == "edge")
    mode = PadMode::Edge;
  else
    return n.error("pad mode '" + modeName + "' is not supported");
  std::optional<SmallVector<int64_t>> pads;
  double value = 0;
  if (n.opset < 11) {
    pads = n.intsAttr(n.opset < 2 ? "paddings" : "pads");
    value = n.floatAttr("value", 0);
  } else {
    pads = n.constantInts(1);
    if (n.input(2)) {
      std::optional<double> v = n.constantScalar(2);
      if (!v)
        return n.error("the pad value must be a constant for Kiln");
      value = *v;
    }
    if (n.input(3))
      return n.error("the axes input of Pad is not supported");
  }
  if (!pads)
    return n.error("pads must be a constant for Kiln");
  if (llvm::any_of(*pads, [](int64_t p) { return p < 0; }))
    return n.error("negative pads are not supported");
  Value y = n.create<PadOp>(*x, PadModeAttr::get(n.builder.getContext(), mode),
                            n.builder.getDenseI64ArrayAttr(*pads),
                            n.builder.getF64FloatAttr(value));
  return n.finish(y);
}

static LogicalResult convertExpand(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  std::optional<SmallVector<int64_t>> shape = n.constantInts(1);
  if (!shape)
    return n.error("the shape must be a constant for Kiln");
  Value y = n.create<BroadcastToOp>(*x, *shape);
  return n.finish(y);
}

/// Turns a Constant node's attribute into a tensor.
static LogicalResult convertConstant(NodeImporter &n) {
  Builder &b = n.builder;
  Value y;
  if (const onnx::AttributeProto *a = n.attr("value")) {
    FailureOr<ElementsAttr> attr =
        n.convertTensor(a->t(), "the value of node '" + n.node.name() + "'");
    if (failed(attr))
      return failure();
    y = n.create<ConstantOp>(*attr);
  } else if (const onnx::AttributeProto *a = n.attr("value_float")) {
    y = n.create<ConstantOp>(DenseElementsAttr::get(
        RankedTensorType::get({}, b.getF32Type()), a->f()));
  } else if (const onnx::AttributeProto *a = n.attr("value_floats")) {
    SmallVector<float> v(a->floats().begin(), a->floats().end());
    y = n.create<ConstantOp>(DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)v.size()}, b.getF32Type()),
        ArrayRef<float>(v)));
  } else if (const onnx::AttributeProto *a = n.attr("value_int")) {
    y = n.create<ConstantOp>(DenseElementsAttr::get(
        RankedTensorType::get({}, b.getI64Type()), a->i()));
  } else if (const onnx::AttributeProto *a = n.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    y = n.constantI64(v);
  } else {
    return n.error("only value, value_float(s) and value_int(s) constants "
                   "are supported");
  }
  return n.finish(y);
}

/// Shape of a statically shaped tensor, as a constant.
static LogicalResult convertShape(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  if (!type)
    return n.error("input 0 is required");
  if (!type.hasStaticShape())
    return n.error("Shape of a tensor with dynamic dims is not supported");
  int64_t rank = type.getRank();
  int64_t start = n.intAttr("start", 0), end = n.intAttr("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(type.getDimSize(i));
  n.setOutput(0, n.constantI64(dims));
  return success();
}

static LogicalResult convertConstantOfShape(NodeImporter &n) {
  std::optional<SmallVector<int64_t>> shape = n.constantInts(0);
  if (!shape)
    return n.error("the shape must be a constant for Kiln");
  Builder &b = n.builder;
  Attribute fill = b.getZeroAttr(b.getF32Type());
  Type element = b.getF32Type();
  if (const onnx::AttributeProto *a = n.attr("value")) {
    element = convertElementType(a->t().data_type(), b.getContext());
    if (!element)
      return n.error("unsupported fill type");
    double v = 0;
    const onnx::TensorProto &t = a->t();
    if (t.has_raw_data() && !t.raw_data().empty()) {
      const std::string &raw = t.raw_data();
      if (element.isF32() && raw.size() == 4) {
        float f;
        std::memcpy(&f, raw.data(), 4);
        v = f;
      } else if (element.isInteger(64) && raw.size() == 8) {
        int64_t i;
        std::memcpy(&i, raw.data(), 8);
        v = static_cast<double>(i);
      } else {
        return n.error("unsupported fill encoding");
      }
    } else if (t.float_data_size() == 1) {
      v = t.float_data(0);
    } else if (t.int64_data_size() == 1) {
      v = static_cast<double>(t.int64_data(0));
    } else if (t.int32_data_size() == 1) {
      v = t.int32_data(0);
    }
    fill = isa<FloatType>(element)
               ? Attribute(b.getFloatAttr(element, v))
               : Attribute(b.getIntegerAttr(element, static_cast<int64_t>(v)));
  }
  for (int64_t d : *shape)
    if (d < 0)
      return n.error("the shape has a negative dimension");
  Value y = n.create<ConstantOp>(
      DenseElementsAttr::get(RankedTensorType::get(*shape, element), fill));
  return n.finish(y);
}

void onnx_import::registerShapeOps(OpConverterMap &map) {
  map["Reshape"] = convertReshape;
  map["Flatten"] = convertFlatten;
  map["Squeeze"] = [](NodeImporter &n) { return convertSqueezeLike(n, false); };
  map["Unsqueeze"] = [](NodeImporter &n) {
    return convertSqueezeLike(n, true);
  };
  map["Transpose"] = convertTranspose;
  map["Concat"] = convertConcat;
  map["Split"] = convertSplit;
  map["Slice"] = convertSlice;
  map["Gather"] = convertGather;
  map["Pad"] = convertPad;
  map["Expand"] = convertExpand;
  map["Constant"] = convertConstant;
  map["Shape"] = convertShape;
  map["ConstantOfShape"] = convertConstantOfShape;
}
