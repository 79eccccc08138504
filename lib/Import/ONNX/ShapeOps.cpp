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

/// A 1-D constant of `values` with the integer element type `element`.
static Value constantInts(NodeImporter &n, ArrayRef<int64_t> values,
                          Type element) {
  auto type =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, element);
  SmallVector<APInt> data;
  for (int64_t v : values)
    data.push_back(APInt(element.getIntOrFloatBitWidth(), v,
                         /*isSigned=*/true, /*implicitTrunc=*/true));
  return n.create<ConstantOp>(DenseElementsAttr::get(type, data));
}

/// Gives `value`, the result of a just-created kiln.dynamic_reshape, the
/// more static type `dims`, which the caller knows to hold: a kiln op
/// accepts any result type compatible with the inferred one.
static Value refineReshape(Value value, ArrayRef<int64_t> dims) {
  auto type = value ? dyn_cast<RankedTensorType>(value.getType()) : nullptr;
  if (type && isa_and_nonnull<DynamicReshapeOp>(value.getDefiningOp()) &&
      type.getRank() == static_cast<int64_t>(dims.size()))
    value.setType(type.clone(dims));
  return value;
}

/// Dimensions `start` to `end` of `x`, as a 1-D i64 tensor (a constant
/// when they are static).
static Value shapeOf(NodeImporter &n, Value x, int64_t start, int64_t end) {
  return n.create<ShapeOp>(x, start, end);
}

/// Reshapes `x` to `dims` (which may hold dynamic dims). `source[i]` is the
/// input dim that output dim `i` comes from, or -1. A dynamic dim is copied
/// (0) when it stays at its index, else inferred (-1, at most once); with
/// more moved dynamic dims the shape is assembled at run time.
static Value reshapeTo(NodeImporter &n, Value x, ArrayRef<int64_t> dims,
                       ArrayRef<int64_t> source) {
  SmallVector<int64_t> shape;
  bool inferred = false, expressible = true;
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (!ShapedType::isDynamic(d)) {
      shape.push_back(d);
    } else if (source[i] == static_cast<int64_t>(i)) {
      shape.push_back(0);
    } else if (!inferred) {
      inferred = true;
      shape.push_back(-1);
    } else {
      expressible = false;
    }
  }
  if (expressible)
    return n.create<ReshapeOp>(x, shape);
  SmallVector<Value> pieces;
  for (auto [i, d] : llvm::enumerate(dims)) {
    Value piece = ShapedType::isDynamic(d)
                      ? shapeOf(n, x, source[i], source[i] + 1)
                      : n.constantI64({d});
    if (!piece)
      return {};
    pieces.push_back(piece);
  }
  Value runtimeShape = n.create<ConcatOp>(pieces, 0);
  if (!runtimeShape)
    return {};
  return refineReshape(n.create<DynamicReshapeOp>(x, runtimeShape, false),
                       dims);
}

/// Reshape. A constant target shape gives kiln.reshape; a run-time one,
/// kiln.dynamic_reshape. With `allowzero` (opset 14) a 0 in the shape is a
/// size of zero rather than a copy.
static LogicalResult convertReshape(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (n.opset < 5) {
    std::optional<SmallVector<int64_t>> shape = n.intsAttr("shape");
    if (!shape)
      return n.error("the 'shape' attribute is required");
    return n.finish(n.create<ReshapeOp>(*x, *shape));
  }
  FailureOr<Value> target = n.requiredInput(1);
  if (failed(target))
    return failure();
  bool allowZero = n.opset >= 14 && n.intAttr("allowzero", 0) != 0;
  std::optional<SmallVector<int64_t>> shape = n.constantInts(1);
  if (!shape)
    return n.finish(n.create<DynamicReshapeOp>(*x, *target, allowZero));
  if (!allowZero || !llvm::is_contained(*shape, 0))
    return n.finish(n.create<ReshapeOp>(*x, *shape));
  // With allowzero, the shape is the result's shape: all sizes, one zero.
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return n.error("with allowzero, the shape may not hold both 0 and a "
                   "negative entry");
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.finish(refineReshape(
        n.create<DynamicReshapeOp>(*x, *target, allowZero), *shape));
  if (type.getNumElements() != 0)
    return n.error("cannot reshape " + formatShape(type.getShape()) + " into " +
                   formatShape(*shape) + ": element counts differ");
  return n.finish(n.create<ConstantOp>(
      DenseElementsAttr::get(type.clone(*shape), ArrayRef<Attribute>())));
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
  if (!shape.empty())
    return n.finish(n.create<ReshapeOp>(*x, shape));
  // Dynamic dims on both sides: multiply the dims out at run time.
  SmallVector<Value> pieces;
  for (auto [from, to] : {std::pair{int64_t(0), axis}, {axis, rank}}) {
    Value dims = shapeOf(n, *x, from, to);
    if (!dims)
      return failure();
    pieces.push_back(
        n.create<ReduceProdOp>(dims, ArrayRef<int64_t>{0}, /*keepdims=*/true));
    if (!pieces.back())
      return failure();
  }
  Value target = n.create<ConcatOp>(pieces, 0);
  if (!target)
    return failure();
  return n.finish(refineReshape(n.create<DynamicReshapeOp>(*x, target, false),
                                {outer, inner}));
}

static LogicalResult convertSqueezeLike(NodeImporter &n, bool unsqueeze) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (n.opset >= 13 && n.input(1) && !n.constantInts(1)) {
    if (unsqueeze)
      return n.finish(n.create<DynamicUnsqueezeOp>(*x, n.input(1)));
    return n.finish(n.create<DynamicSqueezeOp>(*x, n.input(1)));
  }
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
  if (n.opset >= 13 && n.input(1) && !n.constantInts(1)) {
    RankedTensorType sizesType = n.inputType(1);
    if (sizesType.getRank() != 1 ||
        sizesType.getDimSize(0) != n.node.output_size())
      return n.error("input 'split' must be a 1-D tensor with one entry per "
                     "output");
    Operation *op = createVerified<DynamicSplitOp>(
        n.builder, n.loc, n.node.output_size(), *x, n.input(1), *axis);
    if (!op)
      return failure();
    for (auto [i, r] : llvm::enumerate(op->getResults()))
      n.setOutput(i, r);
    return success();
  }
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

/// Slice (opset 10+) with bounds known only at run time: absent axes and
/// steps become constants of the bounds' element type.
static LogicalResult convertDynamicSlice(NodeImporter &n, Value x) {
  FailureOr<Value> starts = n.requiredInput(1), ends = n.requiredInput(2);
  if (failed(starts) || failed(ends))
    return failure();
  RankedTensorType type = n.inputType(1);
  if (type.getRank() != 1 || type.isDynamicDim(0))
    return n.error("input 'starts' must be a 1-D tensor of static length");
  int64_t count = type.getDimSize(0);
  Value axes = n.input(3), steps = n.input(4);
  if (!axes)
    axes = constantInts(n, llvm::to_vector(llvm::seq<int64_t>(0, count)),
                        type.getElementType());
  if (!steps)
    steps =
        constantInts(n, SmallVector<int64_t>(count, 1), type.getElementType());
  if (!axes || !steps)
    return failure();
  return n.finish(n.create<DynamicSliceOp>(x, *starts, *ends, axes, steps));
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
    if (!starts || !ends || (n.input(3) && !axes) || (n.input(4) && !steps))
      return convertDynamicSlice(n, *x);
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

/// Pad (opset 11+) whose pads or fill value are known only at run time.
/// `constantPads` holds the pads if they are constant (the result then
/// has a static shape where the input has).
static LogicalResult
convertDynamicPad(NodeImporter &n, Value x, PadMode mode,
                  std::optional<SmallVector<int64_t>> constantPads) {
  FailureOr<Value> pads = n.requiredInput(1);
  if (failed(pads))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  if (n.opset >= 18 && n.input(3)) {
    // Pads for the listed axes only: gather them into a full-rank list.
    std::optional<SmallVector<int64_t>> axes = n.constantInts(3);
    if (!axes)
      return n.error("the axes of Pad must be a constant for Kiln");
    RankedTensorType padsType = n.inputType(1);
    int64_t count = axes->size();
    if (padsType.getRank() != 1 || padsType.getDimSize(0) != 2 * count)
      return n.error("pads must have two entries per axis");
    SmallVector<int64_t> position(rank, -1);
    for (auto [i, a] : llvm::enumerate(*axes)) {
      std::optional<int64_t> axis = n.normalizeAxis(a, rank);
      if (!axis)
        return failure();
      position[*axis] = i;
    }
    SmallVector<Value> pieces;
    for (int64_t side = 0; side < 2; ++side) {
      for (int64_t d = 0; d < rank; ++d) {
        int64_t at = position[d] + side * count;
        Value piece =
            position[d] < 0
                ? constantInts(n, {0}, padsType.getElementType())
                : n.create<SliceOp>(*pads, ArrayRef<int64_t>{at},
                                    ArrayRef<int64_t>{at + 1},
                                    ArrayRef<int64_t>{0}, ArrayRef<int64_t>{1});
        if (!piece)
          return failure();
        pieces.push_back(piece);
      }
    }
    pads = n.create<ConcatOp>(pieces, 0);
    if (!*pads)
      return failure();
  }
  Value fill = n.input(2) ? n.input(2) : n.scalar(0, type.getElementType());
  if (!fill)
    return failure();
  Value y = n.create<DynamicPadOp>(
      PadModeAttr::get(n.builder.getContext(), mode), x, *pads, fill);
  // Constant non-negative pads give the static sizes kiln.pad would.
  SmallVector<Type> inferred;
  if (y && constantPads && !n.input(3) &&
      llvm::all_of(*constantPads, [](int64_t p) { return p >= 0; }) &&
      succeeded(inferPad(ShapeDiag{}, type, mode, *constantPads, inferred)))
    y.setType(inferred.front());
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
    std::optional<double> v = n.input(2) ? n.constantScalar(2) : 0.0;
    if (!pads || !v)
      return convertDynamicPad(n, *x, mode, pads);
    value = *v;
  }
  if (!pads)
    return n.error("pads must be a constant for Kiln");
  if (n.opset >= 18 && n.input(3)) {
    // Pads for the listed axes only: spread them over every dimension.
    std::optional<SmallVector<int64_t>> axes = n.constantInts(3);
    if (!axes)
      return n.error("the axes of Pad must be a constant for Kiln");
    int64_t rank = n.inputType(0).getRank(), count = axes->size();
    if (static_cast<int64_t>(pads->size()) != 2 * count)
      return n.error("pads must have two entries per axis");
    SmallVector<int64_t> full(2 * rank, 0);
    for (auto [i, a] : llvm::enumerate(*axes)) {
      std::optional<int64_t> axis = n.normalizeAxis(a, rank);
      if (!axis)
        return failure();
      full[*axis] = (*pads)[i];
      full[*axis + rank] = (*pads)[i + count];
    }
    pads = full;
  }
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
  FailureOr<Value> target = n.requiredInput(1);
  if (failed(target))
    return failure();
  std::optional<SmallVector<int64_t>> shape = n.constantInts(1);
  if (!shape)
    return n.finish(n.create<DynamicBroadcastToOp>(*x, *target));
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

/// Shape, with ONNX's clamping of `start` and `end` (opset 15). Folds to a
/// constant when the dims in range are static.
static LogicalResult convertShape(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  int64_t start = n.intAttr("start", 0), end = n.intAttr("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  return n.finish(shapeOf(n, *x, start, std::max(start, end)));
}

static LogicalResult convertSize(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  return n.finish(n.create<SizeOp>(*x));
}

/// ConstantOfShape: a splat constant for a constant shape, else
/// kiln.constant_of_shape.
static LogicalResult convertConstantOfShape(NodeImporter &n) {
  FailureOr<Value> target = n.requiredInput(0);
  if (failed(target))
    return failure();
  Builder &b = n.builder;
  TypedAttr fill = b.getF32FloatAttr(0);
  if (const onnx::AttributeProto *a = n.attr("value")) {
    FailureOr<ElementsAttr> value =
        n.convertTensor(a->t(), "the value of node '" + n.node.name() + "'");
    if (failed(value))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(*value);
    if (!dense || dense.getNumElements() != 1)
      return n.error("'value' must hold exactly one element");
    fill = cast<TypedAttr>(*dense.value_begin<Attribute>());
  }
  std::optional<SmallVector<int64_t>> shape = n.constantInts(0);
  if (!shape)
    return n.finish(n.create<ConstantOfShapeOp>(*target, fill));
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return n.error("the shape has a negative dimension");
  return n.finish(n.create<ConstantOp>(DenseElementsAttr::get(
      RankedTensorType::get(*shape, fill.getType()), Attribute(fill))));
}

/// Range results longer than this stay kiln.range ops.
static constexpr int64_t kMaxRangeElements = 4096;

/// Range: a constant when start, limit and delta are, else kiln.range.
static LogicalResult convertRange(NodeImporter &n) {
  FailureOr<Value> start = n.requiredInput(0), limit = n.requiredInput(1),
                   delta = n.requiredInput(2);
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  Type element = n.inputType(0).getElementType();
  auto makeOp = [&] {
    return n.finish(n.create<RangeOp>(*start, *limit, *delta));
  };
  if (auto intType = dyn_cast<IntegerType>(element)) {
    std::optional<SmallVector<int64_t>> s = n.constantInts(0),
                                        l = n.constantInts(1),
                                        d = n.constantInts(2);
    if (!s || !l || !d || s->size() != 1 || l->size() != 1 || d->size() != 1)
      return makeOp();
    int64_t first = s->front(), last = l->front(), step = d->front();
    if (step == 0)
      return n.error("delta must not be zero");
    // The span as a wide integer, so that no extreme bound overflows.
    __int128 span = step > 0 ? __int128(last) - first : __int128(first) - last;
    __int128 stride = step > 0 ? __int128(step) : -__int128(step);
    __int128 wide = span <= 0 ? 0 : (span + stride - 1) / stride;
    if (wide > kMaxRangeElements)
      return makeOp();
    int64_t count = static_cast<int64_t>(wide);
    SmallVector<APInt> values;
    for (int64_t i = 0; i < count; ++i)
      values.push_back(APInt(intType.getWidth(), first + i * step,
                             /*isSigned=*/true, /*implicitTrunc=*/true));
    return n.finish(n.create<ConstantOp>(DenseElementsAttr::get(
        RankedTensorType::get({count}, element), values)));
  }
  auto floatType = dyn_cast<FloatType>(element);
  std::optional<double> s = n.constantScalar(0), l = n.constantScalar(1),
                        d = n.constantScalar(2);
  if (!floatType || !s || !l || !d)
    return makeOp();
  if (*d == 0)
    return n.error("delta must not be zero");
  double length = std::ceil((*l - *s) / *d);
  if (!(length <= kMaxRangeElements))
    return makeOp();
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(length));
  // With stash_type, f16 and bf16 ranges are computed in f32.
  bool inF32 = n.attr("stash_type") && n.intAttr("stash_type", 1) == 1 &&
               (element.isF16() || element.isBF16());
  SmallVector<APFloat> values;
  for (int64_t i = 0; i < count; ++i) {
    double v = inF32 ? static_cast<double>(static_cast<float>(*s) +
                                           static_cast<float>(i) *
                                               static_cast<float>(*d))
                     : *s + static_cast<double>(i) * *d;
    APFloat f(v);
    bool lost;
    f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &lost);
    values.push_back(f);
  }
  return n.finish(n.create<ConstantOp>(
      DenseElementsAttr::get(RankedTensorType::get({count}, element), values)));
}

/// EyeLike of a statically shaped 2-D input: a constant.
static LogicalResult convertEyeLike(NodeImporter &n) {
  if (failed(n.requiredInput(0)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() != 2 || !type.hasStaticShape())
    return n.error("EyeLike needs a 2-D input of static shape");
  Type element = type.getElementType();
  if (n.attr("dtype")) {
    element = convertElementType(n.intAttr("dtype", 0), n.builder.getContext());
    if (!element)
      return n.error("unsupported dtype");
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (rows * cols > (int64_t(1) << 20))
    return n.error("EyeLike of more than 2^20 elements is not supported");
  Builder &b = n.builder;
  Attribute zero = b.getZeroAttr(element);
  Attribute one = isa<FloatType>(element)
                      ? Attribute(b.getFloatAttr(element, 1.0))
                      : Attribute(b.getIntegerAttr(element, 1));
  int64_t k = n.intAttr("k", 0);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(j - i == k ? one : zero);
  return n.finish(n.create<ConstantOp>(
      DenseElementsAttr::get(type.clone(element), values)));
}

/// CenterCropPad (opset 18): each listed axis is cropped to a centred
/// window (its start rounded down) or padded with zeros on both sides (an
/// odd extra element on the right) to the size `shape` gives it.
static LogicalResult convertCenterCropPad(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  std::optional<SmallVector<int64_t>> sizes = n.constantInts(1);
  if (!sizes)
    return n.error("the shape must be a constant for Kiln");
  auto type = mlir::cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  if (std::optional<SmallVector<int64_t>> given = n.intsAttr("axes")) {
    for (int64_t a : *given) {
      std::optional<int64_t> axis = n.normalizeAxis(a, rank);
      if (!axis)
        return failure();
      axes.push_back(*axis);
    }
  } else {
    for (int64_t a = 0; a < rank; ++a)
      axes.push_back(a);
  }
  if (axes.size() != sizes->size())
    return n.error("shape has " + Twine(sizes->size()) + " sizes for " +
                   Twine(axes.size()) + " axes");
  SmallVector<int64_t> starts, ends, sliceAxes, pads(2 * rank, 0);
  bool anyPad = false;
  for (auto [axis, target] : llvm::zip(axes, *sizes)) {
    int64_t in = type.getDimSize(axis);
    if (ShapedType::isDynamic(in))
      return n.error("axis " + Twine(axis) + " has a dynamic size");
    if (target < 0)
      return n.error("negative size " + Twine(target));
    if (in > target) {
      sliceAxes.push_back(axis);
      starts.push_back((in - target) / 2);
      ends.push_back((in - target) / 2 + target);
    } else if (in < target) {
      pads[axis] = (target - in) / 2;
      pads[rank + axis] = target - in - pads[axis];
      anyPad = true;
    }
  }
  Value y = *x;
  if (!sliceAxes.empty())
    y = n.create<SliceOp>(y, starts, ends, sliceAxes,
                          SmallVector<int64_t>(sliceAxes.size(), 1));
  if (y && anyPad)
    y = n.create<PadOp>(
        y, PadModeAttr::get(n.builder.getContext(), PadMode::Constant),
        n.builder.getDenseI64ArrayAttr(pads), n.builder.getF64FloatAttr(0));
  return n.finish(y);
}

void onnx_import::registerShapeOps(OpConverterMap &map) {
  map["CenterCropPad"] = convertCenterCropPad;
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
  map["Size"] = convertSize;
  map["Range"] = convertRange;
  map["EyeLike"] = convertEyeLike;
}
