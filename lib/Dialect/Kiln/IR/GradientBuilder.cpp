//===- GradientBuilder.cpp - Helpers of the kiln gradient rules -----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "GradientBuilder.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::kiln;

static constexpr int64_t kDyn = ShapedType::kDynamic;

Value GradientBuilder::fail(const Twine &message) {
  if (!failed)
    op->emitOpError("gradient: ") << message;
  failed = true;
  return {};
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

Value GradientBuilder::scalar(double value, Type elementType) {
  if (failed)
    return {};
  if (!isa<FloatType>(elementType))
    return fail("a gradient constant needs a float element type");
  auto type = RankedTensorType::get({}, elementType);
  auto attr = DenseElementsAttr::get(
      type, ArrayRef<Attribute>{builder.getFloatAttr(elementType, value)});
  return create<ConstantOp>(llvm::cast<ElementsAttr>(attr));
}

Value GradientBuilder::scalarLike(double value, Value like) {
  if (failed || !like)
    return {};
  return scalar(value, tensorType(like).getElementType());
}

Value GradientBuilder::fillLike(Value like, double value) {
  if (failed || !like)
    return {};
  RankedTensorType type = tensorType(like);
  Type element = type.getElementType();
  if (!isa<FloatType>(element))
    return fail("cannot fill an integer tensor with a gradient");
  Attribute fill = builder.getFloatAttr(element, value);
  if (type.hasStaticShape())
    return create<ConstantOp>(
        llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, fill)));
  Value shape = create<ShapeOp>(like, builder.getI64IntegerAttr(0),
                                builder.getI64IntegerAttr(type.getRank()));
  return create<ConstantOfShapeOp>(shape, llvm::cast<TypedAttr>(fill));
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

Value GradientBuilder::add(Value a, Value b) { return create<AddOp>(a, b); }
Value GradientBuilder::sub(Value a, Value b) { return create<SubOp>(a, b); }
Value GradientBuilder::mul(Value a, Value b) { return create<MulOp>(a, b); }
Value GradientBuilder::div(Value a, Value b) { return create<DivOp>(a, b); }
Value GradientBuilder::neg(Value a) { return create<NegOp>(a); }

Value GradientBuilder::scale(Value a, double value) {
  if (value == 1.0)
    return a;
  return mul(a, scalarLike(value, a));
}

Value GradientBuilder::select(Value cond, Value a, Value b) {
  return create<WhereOp>(cond, a, b);
}

Value GradientBuilder::maskToFloat(Value mask, Value like) {
  if (failed || !like)
    return {};
  return cast(mask, tensorType(like).getElementType());
}

Value GradientBuilder::cast(Value a, Type to) {
  if (failed || !a)
    return {};
  if (tensorType(a).getElementType() == to)
    return a;
  return create<CastOp>(a, TypeAttr::get(to), UnitAttr());
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

Value GradientBuilder::reduceSum(Value a, ArrayRef<int64_t> axes,
                                 bool keepdims) {
  if (axes.empty())
    return a;
  return create<ReduceSumOp>(a, builder.getDenseI64ArrayAttr(axes),
                             builder.getBoolAttr(keepdims));
}

Value GradientBuilder::reduceMean(Value a, ArrayRef<int64_t> axes,
                                  bool keepdims) {
  if (axes.empty())
    return a;
  return create<ReduceMeanOp>(a, builder.getDenseI64ArrayAttr(axes),
                              builder.getBoolAttr(keepdims));
}

Value GradientBuilder::reshape(Value a, ArrayRef<int64_t> shape) {
  return create<ReshapeOp>(a, builder.getDenseI64ArrayAttr(shape));
}

Value GradientBuilder::reshapeTo(Value a, RankedTensorType type) {
  if (failed || !a)
    return {};
  if (tensorType(a).getShape() == type.getShape())
    return a;
  SmallVector<int64_t> shape(type.getShape());
  int numDynamic = 0;
  for (int64_t &d : shape)
    if (ShapedType::isDynamic(d)) {
      d = -1;
      ++numDynamic;
    }
  if (numDynamic > 1)
    return fail("cannot reshape a gradient to " +
                Twine(formatShape(type.getShape())) +
                ", which has several dynamic dimensions");
  return reshape(a, shape);
}

Value GradientBuilder::reshapeLike(Value a, Value like) {
  if (failed || !a || !like)
    return {};
  RankedTensorType type = tensorType(like);
  if (type.getNumDynamicDims() <= 1)
    return reshapeTo(a, type);
  Value shape = create<ShapeOp>(like, builder.getI64IntegerAttr(0),
                                builder.getI64IntegerAttr(type.getRank()));
  return create<DynamicReshapeOp>(a, shape, builder.getBoolAttr(false));
}

Value GradientBuilder::broadcastLike(Value a, Value like) {
  if (failed || !a || !like)
    return {};
  RankedTensorType type = tensorType(like);
  if (tensorType(a).getShape() == type.getShape())
    return a;
  if (type.hasStaticShape())
    return create<BroadcastToOp>(a,
                                 builder.getDenseI64ArrayAttr(type.getShape()));
  Value shape = create<ShapeOp>(like, builder.getI64IntegerAttr(0),
                                builder.getI64IntegerAttr(type.getRank()));
  return create<DynamicBroadcastToOp>(a, shape);
}

Value GradientBuilder::transpose(Value a, ArrayRef<int64_t> perm) {
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return a;
  return create<TransposeOp>(a, builder.getDenseI64ArrayAttr(perm));
}

Value GradientBuilder::slice(Value a, ArrayRef<int64_t> starts,
                             ArrayRef<int64_t> ends, ArrayRef<int64_t> axes,
                             ArrayRef<int64_t> steps) {
  return create<SliceOp>(a, builder.getDenseI64ArrayAttr(starts),
                         builder.getDenseI64ArrayAttr(ends),
                         builder.getDenseI64ArrayAttr(axes),
                         builder.getDenseI64ArrayAttr(steps));
}

Value GradientBuilder::sliceAxis(Value a, int64_t axis, int64_t begin,
                                 int64_t end) {
  return slice(a, {begin}, {end}, {axis}, {1});
}

Value GradientBuilder::reverse(Value a, int64_t axis) {
  return slice(a, {-1}, {std::numeric_limits<int64_t>::min()}, {axis}, {-1});
}

Value GradientBuilder::pad(Value a, ArrayRef<int64_t> pads, double value) {
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return a;
  return create<PadOp>(
      a, PadModeAttr::get(builder.getContext(), PadMode::Constant),
      builder.getDenseI64ArrayAttr(pads), builder.getF64FloatAttr(value));
}

Value GradientBuilder::padAxis(Value a, int64_t axis, int64_t before,
                               int64_t after) {
  if (failed || !a)
    return {};
  int64_t rank = tensorType(a).getRank();
  SmallVector<int64_t> pads(2 * rank, 0);
  pads[axis] = before;
  pads[axis + rank] = after;
  return pad(a, pads);
}

Value GradientBuilder::concat(ValueRange values, int64_t axis) {
  if (failed || llvm::any_of(values, [](Value v) { return !v; }))
    return {};
  if (values.size() == 1)
    return values.front();
  return create<ConcatOp>(values, builder.getI64IntegerAttr(axis));
}

Value GradientBuilder::unbroadcast(Value grad, Type type) {
  if (failed || !grad)
    return {};
  auto target = llvm::cast<RankedTensorType>(type);
  RankedTensorType from = tensorType(grad);
  int64_t lead = from.getRank() - target.getRank();
  if (lead < 0)
    return fail("a gradient has a lower rank than its operand");
  SmallVector<int64_t> leading = llvm::to_vector(llvm::seq<int64_t>(0, lead));
  Value g = reduceSum(grad, leading, /*keepdims=*/false);
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < target.getRank(); ++i)
    if (target.getDimSize(i) == 1 && from.getDimSize(i + lead) != 1)
      axes.push_back(i);
  return reduceSum(g, axes, /*keepdims=*/true);
}

SliceRange mlir::kiln::normalizeSlice(int64_t dim, int64_t start, int64_t end,
                                      int64_t step) {
  auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
    if (v < 0)
      v = v < -dim ? -dim - 1 : v + dim;
    return std::clamp(v, lo, hi);
  };
  if (dim == 0)
    return {0, step, 0};
  if (step > 0) {
    start = clampIndex(start, 0, dim);
    end = clampIndex(end, 0, dim);
    return {start, step, end > start ? (end - start + step - 1) / step : 0};
  }
  start = clampIndex(start, 0, dim - 1);
  end = clampIndex(end, -1, dim - 1);
  return {start, step, start > end ? (start - end - step - 1) / -step : 0};
}

Value GradientBuilder::unslice(Value grad, RankedTensorType inputType,
                               ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
                               ArrayRef<int64_t> axes,
                               ArrayRef<int64_t> steps) {
  Value g = grad;
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (failed || !g)
      return {};
    int64_t dim = inputType.getDimSize(axis);
    if (ShapedType::isDynamic(dim))
      return fail("cannot differentiate a slice of dynamic dimension " +
                  Twine(axis));
    SliceRange range = normalizeSlice(dim, starts[i], ends[i], steps[i]);
    if (range.count == 0) {
      // Nothing was taken along this axis: the gradient is zero, of the
      // input's size there.
      SmallVector<int64_t> shape(tensorType(g).getShape());
      shape[axis] = dim;
      RankedTensorType zeros = tensorType(g).clone(shape);
      if (!zeros.hasStaticShape())
        return fail("cannot differentiate an empty slice of a dynamic shape");
      g = create<ConstantOp>(llvm::cast<ElementsAttr>(DenseElementsAttr::get(
          zeros, builder.getFloatAttr(zeros.getElementType(), 0.0))));
      continue;
    }
    int64_t step = range.step, start = range.start;
    if (step < 0) {
      // Element j of the reversed gradient lands at first + j * |step|.
      g = reverse(g, axis);
      step = -step;
      start = range.start - (range.count - 1) * step;
    }
    if (step > 1) {
      // Interleave step-1 zeros after each element: (.., n, ..) ->
      // (.., n, 1, ..) -> (.., n, step, ..) -> (.., n * step, ..), then keep
      // the span from the first to the last element.
      RankedTensorType type = tensorType(g);
      SmallVector<int64_t> shape(type.getShape());
      shape.insert(shape.begin() + axis + 1, 1);
      Value expanded = reshapeTo(g, type.clone(shape));
      expanded = padAxis(expanded, axis + 1, 0, step - 1);
      SmallVector<int64_t> merged(type.getShape());
      merged[axis] = range.count * step;
      g = reshapeTo(expanded, type.clone(merged));
      // The zeros after the last element stay where the input has room.
      if (start + range.count * step > dim)
        g = sliceAxis(g, axis, 0, (range.count - 1) * step + 1);
    }
    if (failed || !g)
      return {};
    g = padAxis(g, axis, start, dim - start - tensorType(g).getDimSize(axis));
  }
  return g;
}

LogicalResult GradientBuilder::finish(SmallVectorImpl<Value> &operandGrads,
                                      ArrayRef<Value> grads) {
  if (failed)
    return failure();
  operandGrads.assign(grads.begin(), grads.end());
  operandGrads.resize(op->getNumOperands());
  return success();
}
