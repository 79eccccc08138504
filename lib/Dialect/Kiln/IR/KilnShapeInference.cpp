//===- KilnShapeInference.cpp - Shape functions of the shape ops ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Shape functions of the ops in KilnShapeOps.td: shape queries, kiln.range,
// and the ops whose result shape comes from a run-time tensor. A result
// dimension is static only when every run-time value allowed by the op's
// semantics gives it the same size.
//
//===----------------------------------------------------------------------===//

#include "ShapeHelpers.h"
#include "kiln/Dialect/Kiln/IR/TypeInference.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::shape_helpers;

/// Checks that `type` is a 1-D tensor (a list of sizes, axes or bounds) and
/// returns its length, which may be dynamic unless `needStatic`. Returns
/// nullopt after reporting an error.
static std::optional<int64_t> listLength(const ShapeDiag &diag, Type type,
                                         StringRef name, bool needStatic) {
  RankedTensorType t = getRanked(diag, type, name);
  if (!t)
    return std::nullopt;
  if (t.getRank() != 1) {
    (void)diag.error(name, " must be a 1-D tensor, got rank ", t.getRank());
    return std::nullopt;
  }
  if (needStatic && t.isDynamicDim(0)) {
    (void)diag.error(name, " must have a static length");
    return std::nullopt;
  }
  return t.getDimSize(0);
}

LogicalResult mlir::kiln::inferShapeOf(const ShapeDiag &diag, Type input,
                                       int64_t start, int64_t end,
                                       SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  if (start < 0 || start > end || end > in.getRank())
    return diag.error("needs 0 <= start <= end <= rank (", in.getRank(),
                      "), got start ", start, " and end ", end);
  results.push_back(RankedTensorType::get(
      {end - start}, IntegerType::get(in.getContext(), 64)));
  return success();
}

LogicalResult mlir::kiln::inferSizeOf(const ShapeDiag &diag, Type input,
                                      SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  results.push_back(
      RankedTensorType::get({}, IntegerType::get(in.getContext(), 64)));
  return success();
}

LogicalResult mlir::kiln::inferRange(const ShapeDiag &diag, Type start,
                                     Type limit, Type delta,
                                     SmallVectorImpl<Type> &results) {
  RankedTensorType s = getRanked(diag, start, "start");
  RankedTensorType l = getRanked(diag, limit, "limit");
  RankedTensorType d = getRanked(diag, delta, "delta");
  if (!s || !l || !d)
    return failure();
  for (RankedTensorType t : {s, l, d}) {
    if (t.getRank() != 0)
      return diag.error("start, limit and delta must be scalars, got ", t);
    if (t.getElementType() != s.getElementType())
      return diag.error("start, limit and delta must have one element type, "
                        "got ",
                        s.getElementType(), " and ", t.getElementType());
  }
  if (s.getElementType().isInteger(1))
    return diag.error("start, limit and delta must be numbers, not i1");
  results.push_back(RankedTensorType::get({kDyn}, s.getElementType()));
  return success();
}

LogicalResult mlir::kiln::inferConstantOfShape(const ShapeDiag &diag,
                                               Type shape, TypedAttr value,
                                               SmallVectorImpl<Type> &results) {
  std::optional<int64_t> rank =
      listLength(diag, shape, "shape", /*needStatic=*/true);
  if (!rank)
    return failure();
  if (!isa_and_nonnull<IntegerAttr, FloatAttr>(value))
    return diag.error("'value' must be an integer or float scalar, got ",
                      value);
  results.push_back(RankedTensorType::get(SmallVector<int64_t>(*rank, kDyn),
                                          value.getType()));
  return success();
}

LogicalResult mlir::kiln::inferDynamicReshape(const ShapeDiag &diag, Type input,
                                              Type shape,
                                              SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  std::optional<int64_t> rank =
      listLength(diag, shape, "shape", /*needStatic=*/true);
  if (!in || !rank)
    return failure();
  results.push_back(in.clone(SmallVector<int64_t>(*rank, kDyn)));
  return success();
}

LogicalResult
mlir::kiln::inferDynamicBroadcastTo(const ShapeDiag &diag, Type input,
                                    Type shape,
                                    SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  std::optional<int64_t> length =
      listLength(diag, shape, "shape", /*needStatic=*/true);
  if (!in || !length)
    return failure();
  int64_t rank = std::max(in.getRank(), *length);
  SmallVector<int64_t> out(rank, kDyn);
  // An input dimension other than 1 can only be kept: the shape's entry
  // must be 1 or equal to it.
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t d = in.getDimSize(i);
    if (!ShapedType::isDynamic(d) && d != 1)
      out[rank - in.getRank() + i] = d;
  }
  results.push_back(in.clone(out));
  return success();
}

LogicalResult mlir::kiln::inferDynamicReduce(const ShapeDiag &diag, Type input,
                                             Type axes, bool keepdims,
                                             SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  std::optional<int64_t> count =
      listLength(diag, axes, "axes", /*needStatic=*/!keepdims);
  if (!in || !count)
    return failure();
  if (keepdims) {
    SmallVector<int64_t> out;
    for (int64_t d : in.getShape())
      out.push_back(d == 1 ? 1 : kDyn);
    results.push_back(in.clone(out));
    return success();
  }
  if (*count == 0 || *count > in.getRank())
    return diag.error("without keepdims, axes must have a length in [1, ",
                      in.getRank(), "], got ", *count);
  results.push_back(
      in.clone(SmallVector<int64_t>(in.getRank() - *count, kDyn)));
  return success();
}

LogicalResult mlir::kiln::inferDynamicSlice(const ShapeDiag &diag, Type input,
                                            ArrayRef<Type> bounds,
                                            SmallVectorImpl<Type> &results) {
  static const char *names[] = {"starts", "ends", "axes", "steps"};
  RankedTensorType in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  int64_t length = kDyn;
  Type element;
  for (auto [type, name] : llvm::zip(bounds, names)) {
    std::optional<int64_t> n =
        listLength(diag, type, name, /*needStatic=*/false);
    if (!n)
      return failure();
    Type e = cast<RankedTensorType>(type).getElementType();
    if (element && e != element)
      return diag.error("starts, ends, axes and steps must have one element "
                        "type, got ",
                        element, " and ", e);
    element = e;
    if (!ShapedType::isDynamic(*n)) {
      if (!ShapedType::isDynamic(length) && length != *n)
        return diag.error("starts, ends, axes and steps must have the same "
                          "length, got ",
                          length, " and ", *n);
      length = *n;
    }
  }
  if (!ShapedType::isDynamic(length) && length > in.getRank())
    return diag.error("slices ", length, " axes of a rank-", in.getRank(),
                      " tensor");
  SmallVector<int64_t> out;
  for (int64_t d : in.getShape())
    out.push_back(d == 0 ? 0 : kDyn);
  results.push_back(in.clone(out));
  return success();
}

LogicalResult mlir::kiln::inferDynamicSplit(const ShapeDiag &diag, Type input,
                                            Type sizes, int64_t axis,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  std::optional<int64_t> count =
      listLength(diag, sizes, "sizes", /*needStatic=*/true);
  if (!in || !count)
    return failure();
  if (axis < 0 || axis >= in.getRank())
    return diag.error("axis ", axis, " is out of range [0, ", in.getRank(),
                      ")");
  if (*count < 1)
    return diag.error("sizes must not be empty");
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = kDyn;
  results.append(*count, in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferDynamicSqueeze(const ShapeDiag &diag, Type input,
                                              Type axes, bool unsqueeze,
                                              SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  std::optional<int64_t> count =
      listLength(diag, axes, "axes", /*needStatic=*/true);
  if (!in || !count)
    return failure();
  if (*count == 0)
    return diag.error("axes must not be empty");
  if (!unsqueeze && *count > in.getRank())
    return diag.error("cannot squeeze ", *count, " axes of a rank-",
                      in.getRank(), " tensor");
  int64_t rank = unsqueeze ? in.getRank() + *count : in.getRank() - *count;
  results.push_back(in.clone(SmallVector<int64_t>(rank, kDyn)));
  return success();
}

LogicalResult mlir::kiln::inferDynamicPad(const ShapeDiag &diag, Type input,
                                          Type pads, Type value,
                                          SmallVectorImpl<Type> &results) {
  RankedTensorType in = getRanked(diag, input, "input");
  RankedTensorType fill = getRanked(diag, value, "value");
  std::optional<int64_t> count =
      listLength(diag, pads, "pads", /*needStatic=*/false);
  if (!in || !fill || !count)
    return failure();
  if (!ShapedType::isDynamic(*count) && *count != 2 * in.getRank())
    return diag.error("pads must have ", 2 * in.getRank(), " entries, got ",
                      *count);
  if (!fill.hasStaticShape() || fill.getNumElements() != 1)
    return diag.error("value must have exactly one element, got ", fill);
  if (fill.getElementType() != in.getElementType())
    return diag.error("value must have the input's element type ",
                      in.getElementType(), ", got ", fill.getElementType());
  results.push_back(in.clone(SmallVector<int64_t>(in.getRank(), kDyn)));
  return success();
}
