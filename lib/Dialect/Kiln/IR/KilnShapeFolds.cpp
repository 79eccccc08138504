//===- KilnShapeFolds.cpp - Folders of the shape ops ----------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Folders of the ops in KilnShapeOps.td, and constant folding of the small
// tensors that shape computations produce (Cast, Concat, Slice, Gather,
// comparisons, Where, integer Mod, ...). A fold never changes a value's type,
// and never builds a non-splat tensor above kMaxShapeFoldElements elements, so
// weights are never folded.
//
//===----------------------------------------------------------------------===//

#include "ShapeFolds.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "llvm/ADT/APSInt.h"

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// True if `type` is static and small enough to fold into.
static bool isFoldable(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && t.hasStaticShape() && t.getNumElements() <= kMaxShapeFoldElements;
}

/// The coordinates of flat index `i` in `shape` (row-major).
static SmallVector<int64_t> unflatten(int64_t i, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> coords(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    coords[d] = i % shape[d];
    i /= shape[d];
  }
  return coords;
}

/// The flat index of `coords` in `shape` (row-major).
static int64_t flatten(ArrayRef<int64_t> coords, ArrayRef<int64_t> shape) {
  int64_t i = 0;
  for (auto [c, d] : llvm::zip_equal(coords, shape))
    i = i * d + c;
  return i;
}

/// The flat index, in an operand of shape `shape`, of the element that
/// numpy broadcasting takes for result coordinates `coords`.
static int64_t broadcastIndex(ArrayRef<int64_t> coords,
                              ArrayRef<int64_t> shape) {
  SmallVector<int64_t> c(coords.take_back(shape.size()));
  for (auto [x, d] : llvm::zip_equal(c, shape))
    if (d == 1)
      x = 0;
  return flatten(c, shape);
}

/// Folds an elementwise op with numpy broadcasting over constant operands,
/// computing each element with `fn` (which returns null to give up).
static Attribute
foldElementwise(ArrayRef<Attribute> operands, Type resultType,
                function_ref<Attribute(ArrayRef<Attribute>)> fn) {
  if (!isFoldable(resultType))
    return {};
  auto type = cast<RankedTensorType>(resultType);
  SmallVector<DenseElementsAttr> dense;
  for (Attribute a : operands) {
    auto d = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!d)
      return {};
    dense.push_back(d);
  }
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    SmallVector<int64_t> coords = unflatten(i, type.getShape());
    SmallVector<Attribute, 3> args;
    for (DenseElementsAttr d : dense)
      args.push_back(d.getValues<Attribute>()[broadcastIndex(
          coords, d.getType().getShape())]);
    Attribute r = fn(args);
    if (!r)
      return {};
    values.push_back(r);
  }
  return DenseElementsAttr::get(type, values);
}

/// True for integer types whose values read as unsigned (i1 included).
static bool isUnsignedLike(Type type) {
  return type.isUnsignedInteger() || type.isInteger(1);
}

/// Compares two integer or float scalars: -1, 0 or 1, or nullopt when
/// unordered (NaN).
static std::optional<int> compare(Attribute a, Attribute b) {
  if (auto ia = dyn_cast<IntegerAttr>(a)) {
    APInt x = ia.getValue(), y = cast<IntegerAttr>(b).getValue();
    if (isUnsignedLike(ia.getType()))
      return x.ult(y) ? -1 : x.ugt(y) ? 1 : 0;
    return x.slt(y) ? -1 : x.sgt(y) ? 1 : 0;
  }
  auto fa = dyn_cast<FloatAttr>(a);
  auto fb = dyn_cast<FloatAttr>(b);
  if (!fa || !fb)
    return std::nullopt;
  switch (fa.getValue().compare(fb.getValue())) {
  case APFloat::cmpLessThan:
    return -1;
  case APFloat::cmpEqual:
    return 0;
  case APFloat::cmpGreaterThan:
    return 1;
  case APFloat::cmpUnordered:
    return std::nullopt;
  }
  return std::nullopt;
}

/// Folds a comparison whose result is `accept(ordering)` (false when
/// unordered).
static Attribute foldCompare(Attribute lhs, Attribute rhs, Type resultType,
                             function_ref<bool(int)> accept) {
  MLIRContext *context = resultType.getContext();
  return foldElementwise({lhs, rhs}, resultType, [&](ArrayRef<Attribute> v) {
    std::optional<int> order = compare(v[0], v[1]);
    return BoolAttr::get(context, order && accept(*order));
  });
}

/// Folds max (`wantGreater`) or min; a NaN operand gives NaN.
static Attribute foldExtremum(Attribute lhs, Attribute rhs, Type resultType,
                              bool wantGreater) {
  return foldElementwise(
      {lhs, rhs}, resultType, [&](ArrayRef<Attribute> v) -> Attribute {
        std::optional<int> order = compare(v[0], v[1]);
        if (!order)
          return isa<FloatAttr>(v[0]) &&
                         cast<FloatAttr>(v[0]).getValue().isNaN()
                     ? v[0]
                     : v[1];
        return (*order > 0) == wantGreater ? v[0] : v[1];
      });
}

/// The boolean value of an i1 element.
static bool isTrue(Attribute a) {
  return !cast<IntegerAttr>(a).getValue().isZero();
}

//===----------------------------------------------------------------------===//
// Helpers shared with KilnFolds.cpp
//===----------------------------------------------------------------------===//

/// Casts one scalar to `to` with ONNX's rules; null if it does not fold.
static Attribute castScalar(Attribute value, Type from, Type to) {
  bool toFloat = to.isF16() || to.isBF16() || to.isF32() || to.isF64();
  if (!isa<IntegerType>(to) && !toFloat)
    return {};
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    APInt v = i.getValue();
    bool isSigned = !isUnsignedLike(from);
    if (to.isInteger(1))
      return IntegerAttr::get(to, APInt(1, !v.isZero()));
    if (auto intType = dyn_cast<IntegerType>(to))
      return IntegerAttr::get(to, isSigned ? v.sextOrTrunc(intType.getWidth())
                                           : v.zextOrTrunc(intType.getWidth()));
    APFloat f(cast<FloatType>(to).getFloatSemantics());
    f.convertFromAPInt(v, isSigned, APFloat::rmNearestTiesToEven);
    return FloatAttr::get(to, f);
  }
  auto fa = dyn_cast<FloatAttr>(value);
  if (!fa)
    return {};
  APFloat f = fa.getValue();
  if (to.isInteger(1))
    return IntegerAttr::get(to, APInt(1, !f.isZero()));
  if (auto intType = dyn_cast<IntegerType>(to)) {
    // Out of range (or NaN) is undefined in ONNX: leave it to run time.
    llvm::APSInt r(intType.getWidth(), intType.isUnsigned());
    bool exact;
    if (f.convertToInteger(r, APFloat::rmTowardZero, &exact) &
        APFloat::opInvalidOp)
      return {};
    return IntegerAttr::get(to, r);
  }
  bool lost;
  f.convert(cast<FloatType>(to).getFloatSemantics(),
            APFloat::rmNearestTiesToEven, &lost);
  return FloatAttr::get(to, f);
}

Attribute mlir::kiln::foldConstantCast(Attribute input,
                                       RankedTensorType resultType) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(input);
  if (!dense || !resultType.hasStaticShape())
    return {};
  Type from = dense.getElementType(), to = resultType.getElementType();
  if (dense.isSplat()) {
    Attribute v = castScalar(dense.getSplatValue<Attribute>(), from, to);
    return v ? DenseElementsAttr::get(resultType, v) : Attribute();
  }
  return foldElementwise({input}, resultType, [&](ArrayRef<Attribute> v) {
    return castScalar(v[0], from, to);
  });
}

Attribute mlir::kiln::foldConstantConcat(ArrayRef<Attribute> inputs,
                                         int64_t axis,
                                         RankedTensorType resultType) {
  if (!isFoldable(resultType))
    return {};
  SmallVector<DenseElementsAttr> dense;
  for (Attribute a : inputs) {
    auto d = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!d || !d.getType().hasStaticShape())
      return {};
    dense.push_back(d);
  }
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < resultType.getNumElements(); ++i) {
    SmallVector<int64_t> coords = unflatten(i, resultType.getShape());
    for (DenseElementsAttr d : dense) {
      ArrayRef<int64_t> shape = d.getType().getShape();
      if (coords[axis] < shape[axis]) {
        values.push_back(d.getValues<Attribute>()[flatten(coords, shape)]);
        break;
      }
      coords[axis] -= shape[axis];
    }
  }
  if (static_cast<int64_t>(values.size()) != resultType.getNumElements())
    return {};
  return DenseElementsAttr::get(resultType, values);
}

Attribute mlir::kiln::foldConstantSlice(Attribute input,
                                        ArrayRef<int64_t> starts,
                                        ArrayRef<int64_t> ends,
                                        ArrayRef<int64_t> axes,
                                        ArrayRef<int64_t> steps,
                                        RankedTensorType resultType) {
  (void)ends; // The result type already holds each sliced size.
  auto dense = dyn_cast_or_null<DenseElementsAttr>(input);
  if (!dense || !resultType.hasStaticShape())
    return {};
  if (dense.isSplat())
    return dense.resizeSplat(resultType);
  if (!isFoldable(resultType))
    return {};
  ArrayRef<int64_t> inShape = dense.getType().getShape();
  SmallVector<int64_t> first(inShape.size(), 0), stride(inShape.size(), 1);
  for (auto [begin, axis, step] : llvm::zip_equal(starts, axes, steps)) {
    int64_t dim = inShape[axis], start = begin;
    if (start < 0)
      start += dim;
    first[axis] = step > 0 ? std::clamp<int64_t>(start, 0, dim)
                           : std::clamp<int64_t>(start, 0, dim - 1);
    stride[axis] = step;
  }
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < resultType.getNumElements(); ++i) {
    SmallVector<int64_t> coords = unflatten(i, resultType.getShape());
    for (size_t d = 0; d < coords.size(); ++d)
      coords[d] = first[d] + coords[d] * stride[d];
    values.push_back(dense.getValues<Attribute>()[flatten(coords, inShape)]);
  }
  return DenseElementsAttr::get(resultType, values);
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto type = cast<RankedTensorType>(getInput().getType());
  ArrayRef<int64_t> dims =
      type.getShape().slice(getStart(), getEnd() - getStart());
  if (llvm::any_of(dims, ShapedType::isDynamic))
    return {};
  return DenseElementsAttr::get(getType(), dims);
}

OpFoldResult SizeOp::fold(FoldAdaptor) {
  auto type = cast<RankedTensorType>(getInput().getType());
  if (!type.hasStaticShape())
    return {};
  return DenseElementsAttr::get(getType(), type.getNumElements());
}

//===----------------------------------------------------------------------===//
// Constant folding of ops defined in KilnOps.td
//===----------------------------------------------------------------------===//

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(adaptor.getLhs(), adaptor.getRhs(), getType(),
                     [](int order) { return order == 0; });
}

OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldCompare(adaptor.getLhs(), adaptor.getRhs(), getType(),
                     [](int order) { return order < 0; });
}

OpFoldResult LessEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(adaptor.getLhs(), adaptor.getRhs(), getType(),
                     [](int order) { return order <= 0; });
}

OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldCompare(adaptor.getLhs(), adaptor.getRhs(), getType(),
                     [](int order) { return order > 0; });
}

OpFoldResult GreaterEqualOp::fold(FoldAdaptor adaptor) {
  return foldCompare(adaptor.getLhs(), adaptor.getRhs(), getType(),
                     [](int order) { return order >= 0; });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldExtremum(adaptor.getLhs(), adaptor.getRhs(), getType(),
                      /*wantGreater=*/true);
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldExtremum(adaptor.getLhs(), adaptor.getRhs(), getType(),
                      /*wantGreater=*/false);
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  MLIRContext *context = getContext();
  return foldElementwise({adaptor.getLhs(), adaptor.getRhs()}, getType(),
                         [&](ArrayRef<Attribute> v) {
                           return BoolAttr::get(context,
                                                isTrue(v[0]) && isTrue(v[1]));
                         });
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  MLIRContext *context = getContext();
  return foldElementwise({adaptor.getLhs(), adaptor.getRhs()}, getType(),
                         [&](ArrayRef<Attribute> v) {
                           return BoolAttr::get(context,
                                                isTrue(v[0]) || isTrue(v[1]));
                         });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  MLIRContext *context = getContext();
  return foldElementwise({adaptor.getInput()}, getType(),
                         [&](ArrayRef<Attribute> v) {
                           return BoolAttr::get(context, !isTrue(v[0]));
                         });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      {adaptor.getInput()}, getType(), [](ArrayRef<Attribute> v) -> Attribute {
        if (auto i = dyn_cast<IntegerAttr>(v[0]))
          return IntegerAttr::get(i.getType(), -i.getValue());
        auto f = cast<FloatAttr>(v[0]);
        return FloatAttr::get(f.getType(), neg(f.getValue()));
      });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      {adaptor.getCondition(), adaptor.getX(), adaptor.getY()}, getType(),
      [](ArrayRef<Attribute> v) { return isTrue(v[0]) ? v[1] : v[2]; });
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  // Integers only; a remainder by zero is undefined and stays unfolded.
  if (!isa<IntegerType>(getType().getElementType()) ||
      getType().getElementType().isInteger(1))
    return {};
  bool isUnsigned = isUnsignedLike(getType().getElementType());
  bool cStyle = getFmod();
  return foldElementwise({adaptor.getLhs(), adaptor.getRhs()}, getType(),
                         [&](ArrayRef<Attribute> v) -> Attribute {
                           auto a = cast<IntegerAttr>(v[0]);
                           APInt x = a.getValue();
                           APInt y = cast<IntegerAttr>(v[1]).getValue();
                           if (y.isZero())
                             return {};
                           if (isUnsigned)
                             return IntegerAttr::get(a.getType(), x.urem(y));
                           // C's remainder has the sign of x; Python's, of y.
                           APInt r = x.srem(y);
                           if (!cStyle && !r.isZero() &&
                               r.isNegative() != y.isNegative())
                             r += y;
                           return IntegerAttr::get(a.getType(), r);
                         });
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  auto indices = dyn_cast_or_null<DenseElementsAttr>(adaptor.getIndices());
  RankedTensorType type = getType();
  if (!data || !indices || !isFoldable(type) ||
      !data.getType().hasStaticShape())
    return {};
  ArrayRef<int64_t> dataShape = data.getType().getShape();
  ArrayRef<int64_t> indexShape = indices.getType().getShape();
  int64_t axis = getAxis(), dim = dataShape[axis];
  bool isUnsigned = isUnsignedLike(indices.getElementType());
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    SmallVector<int64_t> coords = unflatten(i, type.getShape());
    ArrayRef<int64_t> c(coords);
    ArrayRef<int64_t> at = c.slice(axis, indexShape.size());
    APInt raw = indices.getValues<APInt>()[flatten(at, indexShape)];
    int64_t index = isUnsigned ? static_cast<int64_t>(raw.getZExtValue())
                               : raw.getSExtValue();
    if (index < 0)
      index += dim;
    if (index < 0 || index >= dim)
      return {}; // Out of range: an error at run time, not a fold.
    SmallVector<int64_t> source(c.take_front(axis));
    source.push_back(index);
    llvm::append_range(source, c.drop_front(axis + indexShape.size()));
    values.push_back(data.getValues<Attribute>()[flatten(source, dataShape)]);
  }
  return DenseElementsAttr::get(type, values);
}
