//===- IndexingTypeInference.cpp - Shape functions of indexing ops --------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The shape rules of the data-movement and indexing ops of
// KilnIndexingOps.td. Like TypeInference.cpp, each function serves both the
// op's type inference and its verifier. Small tensor operands (scales,
// sizes, k, repeats, depth, axis) are read when they are constants and
// otherwise make the dimensions they decide dynamic.
//
//===----------------------------------------------------------------------===//

#include "ShapeHelpers.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/IR/TypeInference.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::shape_helpers;

/// The elements of `value` as doubles if it is an inline constant.
static std::optional<SmallVector<double>> constantValues(Value value) {
  DenseElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<double> out;
  Type element = attr.getElementType();
  if (isa<FloatType>(element)) {
    for (const APFloat &f : attr.getValues<APFloat>())
      out.push_back(f.convertToDouble());
  } else if (isa<IntegerType>(element)) {
    bool isUnsigned = element.isUnsignedInteger() || element.isInteger(1);
    for (const APInt &i : attr.getValues<APInt>())
      out.push_back(isUnsigned ? static_cast<double>(i.getZExtValue())
                               : static_cast<double>(i.getSExtValue()));
  } else {
    return std::nullopt;
  }
  return out;
}

/// The elements of `value` as integers if it is an inline integer constant.
static std::optional<SmallVector<int64_t>> constantInts(Value value) {
  DenseIntElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> out;
  bool isUnsigned = attr.getElementType().isUnsignedInteger();
  for (const APInt &i : attr.getValues<APInt>())
    out.push_back(isUnsigned ? static_cast<int64_t>(i.getZExtValue())
                             : i.getSExtValue());
  return out;
}

/// Checks that `type` is a 1-D tensor with `count` entries where static.
static LogicalResult checkVector(const ShapeDiag &diag, RankedTensorType type,
                                 int64_t count, StringRef name) {
  if (type.getRank() != 1)
    return diag.error("'", name, "' must be 1-D, got ",
                      formatShape(type.getShape()));
  if (!type.isDynamicDim(0) && type.getDimSize(0) != count)
    return diag.error("'", name, "' must have ", count, " entries, got ",
                      type.getDimSize(0));
  return success();
}

/// Checks that `type` holds exactly one element: a scalar or a 1-element
/// vector (a dynamic vector is accepted).
static LogicalResult checkSingleElement(const ShapeDiag &diag,
                                        RankedTensorType type, StringRef name) {
  if (type.getRank() == 0)
    return success();
  if (type.getRank() == 1 && (type.isDynamicDim(0) || type.getDimSize(0) == 1))
    return success();
  return diag.error("'", name, "' must be a scalar or have one element, got ",
                    formatShape(type.getShape()));
}

static LogicalResult checkAxisIn(const ShapeDiag &diag, int64_t axis,
                                 int64_t rank, StringRef name = "axis") {
  if (axis < 0 || axis >= rank)
    return diag.error("'", name, "' ", axis, " is out of range [0, ", rank,
                      ")");
  return success();
}

//===----------------------------------------------------------------------===//
// Resampling
//===----------------------------------------------------------------------===//

LogicalResult mlir::kiln::inferResize(const ShapeDiag &diag, Value input,
                                      Value roi, Value scales, Value sizes,
                                      ArrayRef<int64_t> axes,
                                      CoordinateTransform transform,
                                      AspectRatioPolicy policy,
                                      SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input ? input.getType() : Type(), "input");
  if (!in)
    return failure();
  int64_t rank = in.getRank();
  llvm::SmallBitVector seen(rank);
  for (int64_t a : axes) {
    if (failed(checkAxisIn(diag, a, rank, "axes")))
      return failure();
    if (seen.test(a))
      return diag.error("'axes' repeats axis ", a);
    seen.set(a);
  }
  int64_t count = axes.size();
  if (!scales == !sizes)
    return diag.error("exactly one of 'scales' and 'sizes' must be given");
  bool cropping = transform == CoordinateTransform::TfCropAndResize;
  if (cropping != static_cast<bool>(roi))
    return diag.error(cropping ? "tf_crop_and_resize needs a 'roi'"
                               : "'roi' is only used by tf_crop_and_resize");
  if (roi) {
    auto r = getRanked(diag, roi.getType(), "roi");
    if (!r || failed(checkVector(diag, r, 2 * count, "roi")))
      return failure();
  }
  if (policy != AspectRatioPolicy::Stretch && !sizes)
    return diag.error("keep_aspect_ratio_policy applies only to 'sizes'");

  SmallVector<int64_t> shape(in.getShape());
  if (scales) {
    auto st = getRanked(diag, scales.getType(), "scales");
    if (!st || failed(checkVector(diag, st, count, "scales")))
      return failure();
    std::optional<SmallVector<double>> values = constantValues(scales);
    for (auto [i, a] : llvm::enumerate(axes)) {
      if (values && (*values)[i] <= 0)
        return diag.error("'scales' must be positive, got ", (*values)[i]);
      if (!values || in.isDynamicDim(a))
        shape[a] = kDyn;
      else
        shape[a] = static_cast<int64_t>(
            std::floor(static_cast<double>(in.getDimSize(a)) * (*values)[i]));
    }
  } else {
    auto st = getRanked(diag, sizes.getType(), "sizes");
    if (!st || failed(checkVector(diag, st, count, "sizes")))
      return failure();
    std::optional<SmallVector<int64_t>> values = constantInts(sizes);
    if (values && llvm::any_of(*values, [](int64_t s) { return s < 0; }))
      return diag.error("'sizes' must not be negative");
    if (!values) {
      for (int64_t a : axes)
        shape[a] = kDyn;
    } else if (policy == AspectRatioPolicy::Stretch) {
      for (auto [i, a] : llvm::enumerate(axes))
        shape[a] = (*values)[i];
    } else {
      // One ratio for all axes: the smallest or the largest.
      bool known = llvm::none_of(axes, [&](int64_t a) {
        return in.isDynamicDim(a) || in.getDimSize(a) == 0;
      });
      double scale = policy == AspectRatioPolicy::NotLarger ? HUGE_VAL : 0;
      for (auto [i, a] : llvm::enumerate(axes)) {
        if (!known)
          break;
        double ratio = static_cast<double>((*values)[i]) /
                       static_cast<double>(in.getDimSize(a));
        scale = policy == AspectRatioPolicy::NotLarger ? std::min(scale, ratio)
                                                       : std::max(scale, ratio);
      }
      for (int64_t a : axes)
        shape[a] = known ? static_cast<int64_t>(
                               std::floor(scale * in.getDimSize(a) + 0.5))
                         : kDyn;
    }
  }
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferGridSample(const ShapeDiag &diag, Type input,
                                          Type grid,
                                          SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  auto g = getRanked(diag, grid, "grid");
  if (!in || !g)
    return failure();
  if (in.getRank() < 3)
    return diag.error("input must have rank 3 or more (N, C, spatial...), "
                      "got ",
                      in.getRank());
  if (g.getRank() != in.getRank())
    return diag.error("grid must have the input's rank ", in.getRank(),
                      ", got ", g.getRank());
  int64_t spatial = in.getRank() - 2;
  int64_t last = g.getDimSize(g.getRank() - 1);
  if (!ShapedType::isDynamic(last) && last != spatial)
    return diag.error("the last dimension of grid must be ", spatial, ", got ",
                      last);
  SmallVector<int64_t> shape{0, in.getDimSize(1)};
  if (failed(mergeDim(diag, in.getDimSize(0), g.getDimSize(0), shape[0],
                      "batch size")))
    return failure();
  for (int64_t i = 1; i <= spatial; ++i)
    shape.push_back(g.getDimSize(i));
  results.push_back(in.clone(shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Gather and scatter
//===----------------------------------------------------------------------===//

LogicalResult mlir::kiln::inferGatherElements(const ShapeDiag &diag, Type data,
                                              Type indices, int64_t axis,
                                              SmallVectorImpl<Type> &results) {
  auto d = getRanked(diag, data, "data");
  auto idx = getRanked(diag, indices, "indices");
  if (!d || !idx || failed(checkAxisIn(diag, axis, d.getRank())))
    return failure();
  if (idx.getRank() != d.getRank())
    return diag.error("indices must have the rank of data (", d.getRank(),
                      "), got ", idx.getRank());
  results.push_back(d.clone(idx.getShape()));
  return success();
}

LogicalResult mlir::kiln::inferScatterElements(const ShapeDiag &diag, Type data,
                                               Type indices, Type updates,
                                               int64_t axis,
                                               SmallVectorImpl<Type> &results) {
  auto d = getRanked(diag, data, "data");
  auto idx = getRanked(diag, indices, "indices");
  auto u = getRanked(diag, updates, "updates");
  if (!d || !idx || !u || failed(checkAxisIn(diag, axis, d.getRank())))
    return failure();
  if (u.getElementType() != d.getElementType())
    return diag.error("updates must have the element type of data, got ",
                      u.getElementType(), " and ", d.getElementType());
  if (idx.getRank() != d.getRank() || u.getRank() != d.getRank())
    return diag.error("indices and updates must have the rank of data (",
                      d.getRank(), ")");
  for (int64_t i = 0; i < d.getRank(); ++i) {
    int64_t merged;
    if (failed(mergeDim(diag, idx.getDimSize(i), u.getDimSize(i), merged,
                        "indices and updates dimension " + Twine(i))))
      return failure();
  }
  results.push_back(d);
  return success();
}

/// The static last dimension `k` of ND indices, or failure.
static FailureOr<int64_t> indexDepth(const ShapeDiag &diag,
                                     RankedTensorType idx, int64_t limit) {
  if (idx.getRank() < 1)
    return diag.error("indices must have rank 1 or more");
  int64_t k = idx.getDimSize(idx.getRank() - 1);
  if (ShapedType::isDynamic(k))
    return diag.error("the last dimension of indices must be static");
  if (k < 1 || k > limit)
    return diag.error("the last dimension of indices (", k, ") must be in [1, ",
                      limit, "]");
  return k;
}

LogicalResult mlir::kiln::inferGatherND(const ShapeDiag &diag, Type data,
                                        Type indices, int64_t batchDims,
                                        SmallVectorImpl<Type> &results) {
  auto d = getRanked(diag, data, "data");
  auto idx = getRanked(diag, indices, "indices");
  if (!d || !idx)
    return failure();
  if (batchDims < 0 || batchDims >= std::min(d.getRank(), idx.getRank()))
    return diag.error("'batch_dims' ", batchDims,
                      " must be less than the ranks of data and indices");
  FailureOr<int64_t> k = indexDepth(diag, idx, d.getRank() - batchDims);
  if (failed(k))
    return failure();
  SmallVector<int64_t> shape(idx.getShape().drop_back());
  for (int64_t i = 0; i < batchDims; ++i)
    if (failed(mergeDim(diag, d.getDimSize(i), idx.getDimSize(i), shape[i],
                        "batch dimension " + Twine(i))))
      return failure();
  llvm::append_range(shape, d.getShape().drop_front(batchDims + *k));
  results.push_back(d.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferScatterND(const ShapeDiag &diag, Type data,
                                         Type indices, Type updates,
                                         SmallVectorImpl<Type> &results) {
  auto d = getRanked(diag, data, "data");
  auto idx = getRanked(diag, indices, "indices");
  auto u = getRanked(diag, updates, "updates");
  if (!d || !idx || !u)
    return failure();
  if (u.getElementType() != d.getElementType())
    return diag.error("updates must have the element type of data, got ",
                      u.getElementType(), " and ", d.getElementType());
  FailureOr<int64_t> k = indexDepth(diag, idx, d.getRank());
  if (failed(k))
    return failure();
  SmallVector<int64_t> expected(idx.getShape().drop_back());
  llvm::append_range(expected, d.getShape().drop_front(*k));
  if (u.getRank() != static_cast<int64_t>(expected.size()))
    return diag.error("updates must have shape ", formatShape(expected),
                      ", got ", formatShape(u.getShape()));
  for (auto [i, e] : llvm::enumerate(expected)) {
    int64_t merged;
    if (failed(mergeDim(diag, e, u.getDimSize(i), merged,
                        "updates dimension " + Twine(i))))
      return failure();
  }
  results.push_back(d);
  return success();
}

LogicalResult mlir::kiln::inferCompress(const ShapeDiag &diag, Value input,
                                        Value condition, int64_t axis,
                                        SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input.getType(), "input");
  auto c = getRanked(diag, condition.getType(), "condition");
  if (!in || !c || failed(checkAxisIn(diag, axis, in.getRank())))
    return failure();
  if (c.getRank() != 1)
    return diag.error("condition must be 1-D, got ", formatShape(c.getShape()));
  int64_t dim = in.getDimSize(axis), length = c.getDimSize(0);
  if (!ShapedType::isDynamic(dim) && !ShapedType::isDynamic(length) &&
      length > dim)
    return diag.error("condition has ", length,
                      " entries, more than the axis size ", dim);
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = kDyn;
  if (std::optional<SmallVector<int64_t>> bits = constantInts(condition))
    shape[axis] = llvm::count_if(*bits, [](int64_t b) { return b != 0; });
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferNonZero(const ShapeDiag &diag, Type input,
                                       SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  results.push_back(RankedTensorType::get(
      {in.getRank(), kDyn}, IntegerType::get(in.getContext(), 64)));
  return success();
}

LogicalResult mlir::kiln::inferUnique(const ShapeDiag &diag, Type input,
                                      std::optional<int64_t> axis,
                                      SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  Type i64 = IntegerType::get(in.getContext(), 64);
  int64_t slices;
  if (axis) {
    if (failed(checkAxisIn(diag, *axis, in.getRank())))
      return failure();
    SmallVector<int64_t> shape(in.getShape());
    shape[*axis] = kDyn;
    results.push_back(in.clone(shape));
    slices = in.getDimSize(*axis);
  } else {
    results.push_back(in.clone({kDyn}));
    slices = in.hasStaticShape() ? in.getNumElements() : kDyn;
  }
  results.push_back(RankedTensorType::get({kDyn}, i64));
  results.push_back(RankedTensorType::get({slices}, i64));
  results.push_back(RankedTensorType::get({kDyn}, i64));
  return success();
}

//===----------------------------------------------------------------------===//
// Masks, scans, sorting, repetition
//===----------------------------------------------------------------------===//

LogicalResult mlir::kiln::inferTrilu(const ShapeDiag &diag, Type input, Type k,
                                     SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  if (in.getRank() < 2)
    return diag.error("input must have rank 2 or more, got ", in.getRank());
  if (k) {
    auto kt = getRanked(diag, k, "k");
    if (!kt || failed(checkSingleElement(diag, kt, "k")))
      return failure();
  }
  results.push_back(in);
  return success();
}

LogicalResult mlir::kiln::inferScan(const ShapeDiag &diag, Value input,
                                    Value axis,
                                    SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input.getType(), "input");
  auto a = getRanked(diag, axis.getType(), "axis");
  if (!in || !a || failed(checkSingleElement(diag, a, "axis")))
    return failure();
  if (in.getRank() < 1)
    return diag.error("input must have rank 1 or more");
  if (std::optional<SmallVector<int64_t>> v = constantInts(axis)) {
    int64_t rank = in.getRank();
    if (v->size() == 1 && ((*v)[0] < -rank || (*v)[0] >= rank))
      return diag.error("axis ", (*v)[0], " is out of range [", -rank, ", ",
                        rank, ")");
  }
  results.push_back(in);
  return success();
}

LogicalResult mlir::kiln::inferTopK(const ShapeDiag &diag, Value input, Value k,
                                    int64_t axis,
                                    SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input.getType(), "input");
  auto kt = getRanked(diag, k.getType(), "k");
  if (!in || !kt || failed(checkAxisIn(diag, axis, in.getRank())) ||
      failed(checkSingleElement(diag, kt, "k")))
    return failure();
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = kDyn;
  if (std::optional<SmallVector<int64_t>> v = constantInts(k)) {
    int64_t count = v->front();
    int64_t dim = in.getDimSize(axis);
    if (count < 0 || (!ShapedType::isDynamic(dim) && count > dim))
      return diag.error("k (", count, ") must be in [0, ", dim, "]");
    shape[axis] = count;
  }
  results.push_back(in.clone(shape));
  results.push_back(in.clone(shape, IntegerType::get(in.getContext(), 64)));
  return success();
}

LogicalResult mlir::kiln::inferOneHot(const ShapeDiag &diag, Type indices,
                                      Value depth, Type values, int64_t axis,
                                      SmallVectorImpl<Type> &results) {
  auto idx = getRanked(diag, indices, "indices");
  auto dt = getRanked(diag, depth.getType(), "depth");
  auto vt = getRanked(diag, values, "values");
  if (!idx || !dt || !vt || failed(checkSingleElement(diag, dt, "depth")) ||
      failed(checkVector(diag, vt, 2, "values")))
    return failure();
  if (axis < 0 || axis > idx.getRank())
    return diag.error("'axis' ", axis, " is out of range [0, ", idx.getRank(),
                      "]");
  int64_t size = kDyn;
  if (std::optional<SmallVector<double>> v = constantValues(depth)) {
    // ONNX converts a floating-point depth to an integer by truncation.
    size = static_cast<int64_t>(std::trunc(v->front()));
    if (size < 1)
      return diag.error("depth must be at least 1, got ", v->front());
  }
  SmallVector<int64_t> shape(idx.getShape());
  shape.insert(shape.begin() + axis, size);
  results.push_back(RankedTensorType::get(shape, vt.getElementType()));
  return success();
}

LogicalResult mlir::kiln::inferTile(const ShapeDiag &diag, Value input,
                                    Value repeats,
                                    SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input.getType(), "input");
  auto r = getRanked(diag, repeats.getType(), "repeats");
  if (!in || !r || failed(checkVector(diag, r, in.getRank(), "repeats")))
    return failure();
  SmallVector<int64_t> shape(in.getRank(), kDyn);
  if (std::optional<SmallVector<int64_t>> v = constantInts(repeats)) {
    for (auto [i, rep] : llvm::enumerate(*v)) {
      if (rep < 0)
        return diag.error("'repeats' must not be negative, got ", rep);
      int64_t dim = in.getDimSize(i);
      shape[i] = rep == 0 ? 0 : ShapedType::isDynamic(dim) ? kDyn : dim * rep;
    }
  } else {
    for (int64_t i = 0; i < in.getRank(); ++i)
      if (in.getDimSize(i) == 0)
        shape[i] = 0;
  }
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferReverseSequence(const ShapeDiag &diag,
                                               Type input, Type sequenceLens,
                                               int64_t batchAxis,
                                               int64_t timeAxis,
                                               SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  auto lens = getRanked(diag, sequenceLens, "sequence_lens");
  if (!in || !lens)
    return failure();
  if (in.getRank() < 2)
    return diag.error("input must have rank 2 or more, got ", in.getRank());
  if (failed(checkAxisIn(diag, batchAxis, 2, "batch_axis")) ||
      failed(checkAxisIn(diag, timeAxis, 2, "time_axis")))
    return failure();
  if (batchAxis == timeAxis)
    return diag.error("'batch_axis' and 'time_axis' must differ");
  int64_t batch = in.getDimSize(batchAxis);
  if (failed(checkVector(
          diag, lens, ShapedType::isDynamic(batch) ? lens.getDimSize(0) : batch,
          "sequence_lens")))
    return failure();
  results.push_back(in);
  return success();
}
