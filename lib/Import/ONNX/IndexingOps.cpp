//===- IndexingOps.cpp - ONNX resampling and indexing ops to kiln ---------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Resize/Upsample, GridSample, gather/scatter by index, Trilu, scans, TopK,
// OneHot, Tile, ReverseSequence, Compress, NonZero, Unique, and
// Einsum (decomposed into transpose/reshape/matmul/reduce_sum).
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <map>
#include <set>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Input `i`, or null if it is absent, empty or statically empty (an empty
/// tensor stands for an absent optional input in older opsets).
static Value nonEmptyInput(NodeImporter &n, unsigned i) {
  RankedTensorType type = n.inputType(i);
  if (!type)
    return {};
  if (type.hasStaticShape() && type.getNumElements() == 0)
    return {};
  return n.input(i);
}

/// Binds every result of `op` (null: failure) to the node's outputs.
static LogicalResult finishAll(NodeImporter &n, Operation *op) {
  if (!op)
    return failure();
  for (auto [i, r] : llvm::enumerate(op->getResults()))
    n.setOutput(i, r);
  return success();
}

//===----------------------------------------------------------------------===//
// Resize, Upsample, GridSample
//===----------------------------------------------------------------------===//

static std::optional<InterpolationMode> parseInterpolation(StringRef name) {
  return llvm::StringSwitch<std::optional<InterpolationMode>>(name)
      .Case("nearest", InterpolationMode::Nearest)
      .Case("linear", InterpolationMode::Linear)
      .Case("bilinear", InterpolationMode::Linear)
      .Default(std::nullopt);
}

/// Creates a kiln.resize from normalised parts.
static LogicalResult buildResize(NodeImporter &n, Value x, Value roi,
                                 Value scales, Value sizes,
                                 ArrayRef<int64_t> axes, InterpolationMode mode,
                                 CoordinateTransform transform,
                                 NearestMode nearest, float cubicA,
                                 bool excludeOutside, float extrapolation,
                                 bool antialias, AspectRatioPolicy policy) {
  MLIRContext *ctx = n.builder.getContext();
  Builder &b = n.builder;
  Value y = n.create<ResizeOp>(
      x, roi, scales, sizes, b.getDenseI64ArrayAttr(axes),
      InterpolationModeAttr::get(ctx, mode),
      CoordinateTransformAttr::get(ctx, transform),
      NearestModeAttr::get(ctx, nearest), b.getF32FloatAttr(cubicA),
      b.getBoolAttr(excludeOutside), b.getF32FloatAttr(extrapolation),
      b.getBoolAttr(antialias), AspectRatioPolicyAttr::get(ctx, policy));
  return n.finish(y);
}

/// Upsample (opsets 7 and 9) and Resize-10: scales only, the asymmetric
/// coordinate transform, and the floor of the coordinate for `nearest`.
static LogicalResult convertUpsampleLike(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  std::string modeName = n.stringAttr("mode", "nearest");
  std::optional<InterpolationMode> mode = parseInterpolation(modeName);
  if (!mode || *mode == InterpolationMode::Cubic)
    return n.error("mode '" + modeName + "' is not supported");
  Value scales;
  if (n.node.op_type() == "Upsample" && n.opset < 9) {
    const onnx::AttributeProto *a = n.attr("scales");
    if (!a)
      return n.error("the 'scales' attribute is required");
    SmallVector<float> values(a->floats().begin(), a->floats().end());
    auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                      n.builder.getF32Type());
    scales = n.create<ConstantOp>(
        DenseElementsAttr::get(type, ArrayRef<float>(values)));
  } else {
    FailureOr<Value> s = n.requiredInput(1);
    if (failed(s))
      return failure();
    scales = *s;
  }
  if (!scales)
    return failure();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  return buildResize(n, *x, {}, scales, {}, axes, *mode,
                     CoordinateTransform::Asymmetric, NearestMode::Floor,
                     -0.75f, false, 0.0f, false, AspectRatioPolicy::Stretch);
}

static LogicalResult convertResize(NodeImporter &n) {
  if (n.opset < 11)
    return convertUpsampleLike(n);
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();

  std::optional<InterpolationMode> mode =
      n.enumAttr<InterpolationMode>("mode", "nearest",
                                    {{"nearest", InterpolationMode::Nearest},
                                     {"linear", InterpolationMode::Linear},
                                     {"cubic", InterpolationMode::Cubic}});
  if (!mode)
    return failure();
  std::optional<CoordinateTransform> transform =
      n.enumAttr<CoordinateTransform>(
          "coordinate_transformation_mode", "half_pixel",
          {{"half_pixel", CoordinateTransform::HalfPixel},
           {"pytorch_half_pixel", CoordinateTransform::PytorchHalfPixel},
           {"align_corners", CoordinateTransform::AlignCorners},
           {"asymmetric", CoordinateTransform::Asymmetric},
           {"tf_crop_and_resize", CoordinateTransform::TfCropAndResize},
           {"half_pixel_symmetric", CoordinateTransform::HalfPixelSymmetric},
           {"tf_half_pixel_for_nn", CoordinateTransform::TfHalfPixelForNN}});
  if (!transform)
    return failure();
  std::optional<NearestMode> nearest = n.enumAttr<NearestMode>(
      "nearest_mode", "round_prefer_floor",
      {{"round_prefer_floor", NearestMode::RoundPreferFloor},
       {"round_prefer_ceil", NearestMode::RoundPreferCeil},
       {"floor", NearestMode::Floor},
       {"ceil", NearestMode::Ceil}});
  if (!nearest)
    return failure();
  std::optional<AspectRatioPolicy> policy = n.enumAttr<AspectRatioPolicy>(
      "keep_aspect_ratio_policy", "stretch",
      {{"stretch", AspectRatioPolicy::Stretch},
       {"not_larger", AspectRatioPolicy::NotLarger},
       {"not_smaller", AspectRatioPolicy::NotSmaller}});
  if (!policy)
    return failure();

  SmallVector<int64_t> axes;
  if (std::optional<SmallVector<int64_t>> given = n.intsAttr("axes")) {
    for (int64_t a : *given) {
      std::optional<int64_t> axis = n.normalizeAxis(a, rank);
      if (!axis)
        return failure();
      axes.push_back(*axis);
    }
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }

  Value scales = nonEmptyInput(n, 2), sizes = nonEmptyInput(n, 3);
  if (!scales == !sizes)
    return n.error("exactly one of 'scales' and 'sizes' must be given");
  Value roi;
  if (*transform == CoordinateTransform::TfCropAndResize) {
    roi = nonEmptyInput(n, 1);
    if (!roi)
      return n.error("tf_crop_and_resize needs a 'roi' input");
    if (scales)
      return n.error("tf_crop_and_resize with 'scales' is not supported (its "
                     "output size is specified ambiguously); give 'sizes'");
  }
  if (scales)
    *policy = AspectRatioPolicy::Stretch; // The policy only affects sizes.
  // Antialiasing only applies to linear and cubic interpolation.
  bool antialias =
      n.intAttr("antialias", 0) != 0 && *mode != InterpolationMode::Nearest;
  return buildResize(n, *x, roi, scales, sizes, axes, *mode, *transform,
                     *nearest, n.floatAttr("cubic_coeff_a", -0.75f),
                     n.intAttr("exclude_outside", 0) != 0,
                     n.floatAttr("extrapolation_value", 0.0f), antialias,
                     *policy);
}

static LogicalResult convertGridSample(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), grid = n.requiredInput(1);
  if (failed(x) || failed(grid))
    return failure();
  // Opset 16 names the modes bilinear/bicubic; opset 20 linear/cubic.
  std::optional<InterpolationMode> mode =
      n.opset < 20 ? n.enumAttr<InterpolationMode>(
                         "mode", "bilinear",
                         {{"nearest", InterpolationMode::Nearest},
                          {"bilinear", InterpolationMode::Linear},
                          {"bicubic", InterpolationMode::Cubic}})
                   : n.enumAttr<InterpolationMode>(
                         "mode", "linear",
                         {{"nearest", InterpolationMode::Nearest},
                          {"linear", InterpolationMode::Linear},
                          {"cubic", InterpolationMode::Cubic}});
  if (!mode)
    return failure();
  std::optional<GridSamplePadding> padding = n.enumAttr<GridSamplePadding>(
      "padding_mode", "zeros",
      {{"zeros", GridSamplePadding::Zeros},
       {"border", GridSamplePadding::Border},
       {"reflection", GridSamplePadding::Reflection}});
  if (!padding)
    return failure();
  if (n.opset < 20 && n.inputType(0).getRank() != 4)
    return n.error("GridSample before opset 20 takes 4-D inputs");
  MLIRContext *ctx = n.builder.getContext();
  Value y = n.create<GridSampleOp>(
      *x, *grid, InterpolationModeAttr::get(ctx, *mode),
      GridSamplePaddingAttr::get(ctx, *padding),
      n.builder.getBoolAttr(n.intAttr("align_corners", 0) != 0));
  return n.finish(y);
}

//===----------------------------------------------------------------------===//
// Gather and scatter
//===----------------------------------------------------------------------===//

static std::optional<ScatterReduction> parseReduction(NodeImporter &n) {
  return n.enumAttr<ScatterReduction>("reduction", "none",
                                      {{"none", ScatterReduction::None},
                                       {"add", ScatterReduction::Add},
                                       {"mul", ScatterReduction::Mul},
                                       {"max", ScatterReduction::Max},
                                       {"min", ScatterReduction::Min}});
}

static LogicalResult convertGatherElements(NodeImporter &n) {
  FailureOr<Value> data = n.requiredInput(0), indices = n.requiredInput(1);
  if (failed(data) || failed(indices))
    return failure();
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (!axis)
    return failure();
  return n.finish(n.create<GatherElementsOp>(*data, *indices, *axis));
}

/// ScatterElements, and Scatter (opsets 9-10), which has no reduction.
static LogicalResult convertScatterElements(NodeImporter &n) {
  FailureOr<Value> data = n.requiredInput(0), indices = n.requiredInput(1),
                   updates = n.requiredInput(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  std::optional<ScatterReduction> reduction = parseReduction(n);
  if (!axis || !reduction)
    return failure();
  Value y = n.create<ScatterElementsOp>(
      *data, *indices, *updates, n.builder.getI64IntegerAttr(*axis),
      ScatterReductionAttr::get(n.builder.getContext(), *reduction));
  return n.finish(y);
}

static LogicalResult convertGatherND(NodeImporter &n) {
  FailureOr<Value> data = n.requiredInput(0), indices = n.requiredInput(1);
  if (failed(data) || failed(indices))
    return failure();
  return n.finish(
      n.create<GatherNDOp>(*data, *indices, n.intAttr("batch_dims", 0)));
}

static LogicalResult convertScatterND(NodeImporter &n) {
  FailureOr<Value> data = n.requiredInput(0), indices = n.requiredInput(1),
                   updates = n.requiredInput(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  std::optional<ScatterReduction> reduction = parseReduction(n);
  if (!reduction)
    return failure();
  Value y = n.create<ScatterNDOp>(
      *data, *indices, *updates,
      ScatterReductionAttr::get(n.builder.getContext(), *reduction));
  return n.finish(y);
}

static LogicalResult convertCompress(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), condition = n.requiredInput(1);
  if (failed(x) || failed(condition))
    return failure();
  Value input = *x;
  int64_t axis = 0;
  if (n.attr("axis")) {
    std::optional<int64_t> a =
        n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
    if (!a)
      return failure();
    axis = *a;
  } else {
    // Without an axis, Compress works on the flattened input.
    input = n.create<ReshapeOp>(input, ArrayRef<int64_t>{-1});
    if (!input)
      return failure();
  }
  return n.finish(n.create<CompressOp>(input, *condition, axis));
}

static LogicalResult convertUnique(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  IntegerAttr axisAttr;
  if (n.attr("axis")) {
    std::optional<int64_t> axis =
        n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
    if (!axis)
      return failure();
    axisAttr = n.builder.getI64IntegerAttr(*axis);
  }
  return finishAll(n, createVerified<UniqueOp>(
                          n.builder, n.loc, 4, *x, axisAttr,
                          n.builder.getBoolAttr(n.intAttr("sorted", 1) != 0)));
}

//===----------------------------------------------------------------------===//
// Masks, scans, sorting, repetition
//===----------------------------------------------------------------------===//

static LogicalResult convertTrilu(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Value y = n.create<TriluOp>(*x, n.input(1),
                              n.builder.getBoolAttr(n.intAttr("upper", 1)));
  return n.finish(y);
}

template <typename OpTy> static LogicalResult convertScan(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), axis = n.requiredInput(1);
  if (failed(x) || failed(axis))
    return failure();
  Value y = n.create<OpTy>(*x, *axis,
                           n.builder.getBoolAttr(n.intAttr("exclusive", 0)),
                           n.builder.getBoolAttr(n.intAttr("reverse", 0)));
  return n.finish(y);
}

static LogicalResult convertTopK(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Value k;
  if (n.opset < 10) {
    const onnx::AttributeProto *a = n.attr("k");
    if (!a)
      return n.error("the 'k' attribute is required");
    k = n.constantI64({a->i()});
  } else {
    FailureOr<Value> given = n.requiredInput(1);
    if (failed(given))
      return failure();
    k = *given;
  }
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", -1), n.inputType(0).getRank());
  if (!k || !axis)
    return failure();
  Builder &b = n.builder;
  return finishAll(
      n, createVerified<TopKOp>(n.builder, n.loc, 2, *x, k,
                                b.getI64IntegerAttr(*axis),
                                b.getBoolAttr(n.intAttr("largest", 1) != 0),
                                b.getBoolAttr(n.intAttr("sorted", 1) != 0)));
}

static LogicalResult convertOneHot(NodeImporter &n) {
  FailureOr<Value> indices = n.requiredInput(0), depth = n.requiredInput(1),
                   values = n.requiredInput(2);
  if (failed(indices) || failed(depth) || failed(values))
    return failure();
  int64_t outRank = n.inputType(0).getRank() + 1;
  std::optional<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), outRank);
  if (!axis)
    return failure();
  return n.finish(n.create<OneHotOp>(*indices, *depth, *values, *axis));
}

static LogicalResult convertReverseSequence(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), lens = n.requiredInput(1);
  if (failed(x) || failed(lens))
    return failure();
  Value y = n.create<ReverseSequenceOp>(*x, *lens, n.intAttr("batch_axis", 1),
                                        n.intAttr("time_axis", 0));
  return n.finish(y);
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {

/// A tensor in an Einsum decomposition and the label of each dimension.
/// Letters label themselves; the broadcast dimensions of `...` get labels
/// from 256 up, aligned on the right.
struct Labeled {
  Value value;
  SmallVector<int> labels;
};

/// Decomposes Einsum into kiln ops, contracting operands pairwise.
class EinsumLowering {
public:
  explicit EinsumLowering(NodeImporter &n) : n(n) {}
  LogicalResult run();

private:
  LogicalResult parse(SmallVectorImpl<Labeled> &operands,
                      SmallVectorImpl<int> &output);
  int64_t dimOf(const Labeled &t, size_t i) const {
    return cast<RankedTensorType>(t.value.getType()).getDimSize(i);
  }
  Value transpose(Labeled &t, ArrayRef<int> order);
  Value reshape(Value v, ArrayRef<int64_t> dims, ArrayRef<bool> sameIndex);
  LogicalResult diagonals(Labeled &t);
  LogicalResult sumOut(Labeled &t, const std::multiset<int> &needed);
  LogicalResult contract(Labeled &a, Labeled &b,
                         const std::multiset<int> &needed, Labeled &result);

  NodeImporter &n;
  static constexpr int kEllipsisLabel = 256;
};

} // namespace

LogicalResult EinsumLowering::parse(SmallVectorImpl<Labeled> &operands,
                                    SmallVectorImpl<int> &output) {
  std::string equation;
  for (char c : n.stringAttr("equation", ""))
    if (c != ' ')
      equation.push_back(c);
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != n.numInputs())
    return n.error("the equation has " + Twine(terms.size()) +
                   " operands, the node " + Twine(n.numInputs()));
  int64_t ellipsisRank = 0;
  // Parses one term against a rank (-1 for the output).
  auto parseTerm = [&](StringRef term, int64_t rank,
                       SmallVectorImpl<int> &labels) -> LogicalResult {
    size_t dots = term.find("...");
    StringRef before = term.substr(0, dots),
              after = dots == StringRef::npos ? "" : term.substr(dots + 3);
    if (after.contains('.'))
      return n.error("bad ellipsis in '" + term + "'");
    int64_t letters = before.size() + after.size();
    int64_t broadcast = 0;
    if (dots != StringRef::npos)
      broadcast = rank < 0 ? ellipsisRank : rank - letters;
    else if (rank >= 0 && rank != letters)
      return n.error("term '" + term + "' does not match the rank " +
                     Twine(rank) + " of its operand");
    if (broadcast < 0)
      return n.error("term '" + term + "' has more labels than its operand");
    ellipsisRank = std::max(ellipsisRank, broadcast);
    for (char c : before) {
      if (!llvm::isAlpha(c))
        return n.error("bad label '" + Twine(c) + "'");
      labels.push_back(c);
    }
    for (int64_t i = 0; i < broadcast; ++i)
      labels.push_back(-static_cast<int>(broadcast - i)); // Fixed below.
    for (char c : after) {
      if (!llvm::isAlpha(c))
        return n.error("bad label '" + Twine(c) + "'");
      labels.push_back(c);
    }
    return success();
  };
  for (auto [i, term] : llvm::enumerate(terms)) {
    Labeled t{n.input(i), {}};
    if (!t.value)
      return n.error("input " + Twine(i) + " is required");
    if (failed(parseTerm(term, n.inputType(i).getRank(), t.labels)))
      return failure();
    operands.push_back(std::move(t));
  }
  // A broadcast dim at distance d from the ellipsis's end (held as -d so
  // far) gets label kEllipsisLabel + ellipsisRank - d, so that the
  // operands' broadcast dims align on the right.
  auto fix = [&](SmallVectorImpl<int> &labels) {
    for (int &l : labels)
      if (l < 0)
        l += kEllipsisLabel + static_cast<int>(ellipsisRank);
  };
  for (Labeled &t : operands)
    fix(t.labels);
  if (explicitOutput) {
    if (failed(parseTerm(rhs, -1, output)))
      return failure();
    fix(output);
  } else {
    // Implicit output: the broadcast dims, then the letters used once, in
    // alphabetical order.
    std::map<int, int> counts;
    for (Labeled &t : operands)
      for (int l : t.labels)
        ++counts[l];
    for (int64_t i = 0; i < ellipsisRank; ++i)
      output.push_back(kEllipsisLabel + i);
    for (auto [label, count] : counts)
      if (label < kEllipsisLabel && count == 1)
        output.push_back(label);
  }
  llvm::SmallSet<int, 8> seen;
  for (int l : output)
    if (!seen.insert(l).second)
      return n.error("the output repeats a label");
  return success();
}

Value EinsumLowering::transpose(Labeled &t, ArrayRef<int> order) {
  SmallVector<int64_t> perm;
  for (int l : order)
    perm.push_back(llvm::find(t.labels, l) - t.labels.begin());
  if (llvm::equal(perm,
                  llvm::seq<int64_t>(0, static_cast<int64_t>(perm.size()))))
    return t.value;
  return n.create<TransposeOp>(t.value, perm);
}

/// Reshapes `v` to `dims`; `sameIndex[i]` says that a dynamic `dims[i]` is
/// `v`'s dimension at index `i` (copied), else it is inferred (once).
Value EinsumLowering::reshape(Value v, ArrayRef<int64_t> dims,
                              ArrayRef<bool> sameIndex) {
  if (!v)
    return {};
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == dims)
    return v;
  SmallVector<int64_t> shape;
  bool inferred = false;
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (!ShapedType::isDynamic(d)) {
      shape.push_back(d);
    } else if (sameIndex[i]) {
      shape.push_back(0);
    } else if (!inferred) {
      inferred = true;
      shape.push_back(-1);
    } else {
      (void)n.error("needs a reshape with more than one unknown dimension");
      return {};
    }
  }
  return n.create<ReshapeOp>(v, shape);
}

/// Replaces each label repeated within `t` by one dimension holding the
/// diagonal, through kiln.gather_elements with constant indices.
LogicalResult EinsumLowering::diagonals(Labeled &t) {
  while (true) {
    int64_t rank = t.labels.size(), first = -1, second = -1;
    for (int64_t i = 0; i < rank && first < 0; ++i)
      for (int64_t j = i + 1; j < rank; ++j)
        if (t.labels[i] == t.labels[j]) {
          first = i;
          second = j;
          break;
        }
    if (first < 0)
      return success();
    auto type = cast<RankedTensorType>(t.value.getType());
    if (!type.hasStaticShape() ||
        type.getDimSize(first) != type.getDimSize(second))
      return n.error("a repeated label (diagonal) needs static, equal sizes");
    // Move the pair to the end, then gather x[..., r, r] along the last axis.
    SmallVector<int64_t> perm;
    SmallVector<int> labels;
    for (int64_t k = 0; k < rank; ++k)
      if (k != first && k != second) {
        perm.push_back(k);
        labels.push_back(t.labels[k]);
      }
    perm.push_back(first);
    perm.push_back(second);
    labels.push_back(t.labels[first]);
    Value v = t.value;
    if (!llvm::equal(perm, llvm::seq<int64_t>(0, rank)))
      v = n.create<TransposeOp>(v, perm);
    if (!v)
      return failure();
    SmallVector<int64_t> shape;
    for (int64_t k : perm)
      shape.push_back(type.getDimSize(k));
    int64_t size = shape.back();
    SmallVector<int64_t> indexShape(shape.begin(), shape.end() - 1);
    indexShape.push_back(1);
    int64_t count = 1;
    for (int64_t d : indexShape)
      count *= d;
    SmallVector<int64_t> indices(count);
    for (int64_t k = 0; k < count; ++k)
      indices[k] = k % size; // The row index, as the last dim is 1.
    Value idx = n.create<ConstantOp>(DenseElementsAttr::get(
        RankedTensorType::get(indexShape, n.builder.getI64Type()),
        ArrayRef<int64_t>(indices)));
    if (!idx)
      return failure();
    Value g = n.create<GatherElementsOp>(v, idx, rank - 1);
    if (!g)
      return failure();
    shape.pop_back();
    t.value = n.create<ReshapeOp>(g, shape);
    t.labels = labels;
    if (!t.value)
      return failure();
  }
}

/// Sums out the labels of `t` that no other operand and not the output
/// (`needed`, with one count per use) uses.
LogicalResult EinsumLowering::sumOut(Labeled &t,
                                     const std::multiset<int> &needed) {
  SmallVector<int64_t> axes;
  SmallVector<int> kept;
  for (auto [i, l] : llvm::enumerate(t.labels)) {
    if (needed.count(l))
      kept.push_back(l);
    else
      axes.push_back(i);
  }
  if (axes.empty())
    return success();
  t.value = n.create<ReduceSumOp>(t.value, axes, false);
  t.labels = kept;
  return success(t.value != nullptr);
}

LogicalResult EinsumLowering::contract(Labeled &a, Labeled &b,
                                       const std::multiset<int> &needed,
                                       Labeled &result) {
  auto in = [](const Labeled &t, int l) {
    return llvm::is_contained(t.labels, l);
  };
  SmallVector<int> batch, left, right, summed;
  for (int l : a.labels) {
    if (!in(b, l))
      left.push_back(l);
    else if (needed.count(l))
      batch.push_back(l);
    else
      summed.push_back(l);
  }
  for (int l : b.labels)
    if (!in(a, l))
      right.push_back(l);
  auto dim = [&](const Labeled &t, int l) {
    return dimOf(t, llvm::find(t.labels, l) - t.labels.begin());
  };
  // Product of the dims of a group of labels (dynamic if any is).
  auto product = [&](const Labeled &t, ArrayRef<int> group) {
    int64_t p = 1;
    for (int l : group) {
      int64_t d = dim(t, l);
      if (ShapedType::isDynamic(d))
        return ShapedType::kDynamic;
      p *= d;
    }
    return p;
  };
  for (int l : summed) {
    int64_t da = dim(a, l), db = dim(b, l);
    if (ShapedType::isDynamic(da) || ShapedType::isDynamic(db) || da != db)
      return n.error("summed label '" + Twine(char(l < 256 ? l : '.')) +
                     "' must have one static size in both operands");
  }
  size_t nb = batch.size();
  // a -> [batch, left, summed], b -> [batch, summed, right].
  SmallVector<int> orderA(batch), orderB(batch);
  llvm::append_range(orderA, left);
  llvm::append_range(orderA, summed);
  llvm::append_range(orderB, summed);
  llvm::append_range(orderB, right);
  Value ta = transpose(a, orderA), tb = transpose(b, orderB);
  auto groupShape = [&](const Labeled &t, ArrayRef<int> g1, ArrayRef<int> g2,
                        SmallVectorImpl<int64_t> &dims,
                        SmallVectorImpl<bool> &same) {
    for (int l : batch) {
      dims.push_back(dim(t, l));
      same.push_back(true);
    }
    dims.push_back(product(t, g1));
    same.push_back(g1.size() == 1);
    dims.push_back(product(t, g2));
    same.push_back(g2.size() == 1 && g1.size() == 1);
  };
  SmallVector<int64_t> dimsA, dimsB;
  SmallVector<bool> sameA, sameB;
  groupShape(a, left, summed, dimsA, sameA);
  groupShape(b, summed, right, dimsB, sameB);
  Value ma = reshape(ta, dimsA, sameA), mb = reshape(tb, dimsB, sameB);
  if (!ma || !mb)
    return failure();
  Value product2 = n.create<MatMulOp>(ma, mb);
  if (!product2)
    return failure();
  // [batch, L, R] -> [batch, left..., right...].
  auto outType = cast<RankedTensorType>(product2.getType());
  SmallVector<int64_t> dims;
  SmallVector<bool> same;
  for (size_t i = 0; i < nb; ++i) {
    dims.push_back(outType.getDimSize(i));
    same.push_back(true);
  }
  for (int l : left) {
    dims.push_back(dim(a, l));
    same.push_back(left.size() == 1);
  }
  for (int l : right) {
    dims.push_back(dim(b, l));
    same.push_back(right.size() == 1 && left.size() == 1);
  }
  result.value = reshape(product2, dims, same);
  result.labels = batch;
  llvm::append_range(result.labels, left);
  llvm::append_range(result.labels, right);
  return success(result.value != nullptr);
}

LogicalResult EinsumLowering::run() {
  SmallVector<Labeled> operands;
  SmallVector<int> output;
  if (failed(parse(operands, output)))
    return failure();
  for (int l : output) {
    bool found = llvm::any_of(operands, [&](const Labeled &t) {
      return llvm::is_contained(t.labels, l);
    });
    if (!found)
      return n.error("an output label appears in no operand");
  }
  for (Labeled &t : operands)
    if (failed(diagonals(t)))
      return failure();
  // Labels still needed after operand i: the output's and those of the
  // operands after i.
  auto neededAfter = [&](size_t i) {
    std::multiset<int> needed(output.begin(), output.end());
    for (size_t j = i + 1; j < operands.size(); ++j)
      needed.insert(operands[j].labels.begin(), operands[j].labels.end());
    return needed;
  };
  Labeled acc = operands[0];
  {
    std::multiset<int> needed = neededAfter(0);
    if (failed(sumOut(acc, needed)))
      return failure();
  }
  for (size_t i = 1; i < operands.size(); ++i) {
    std::multiset<int> needed = neededAfter(i);
    // Each side first sums out what only it uses.
    std::multiset<int> forAcc(needed), forNext(needed);
    forAcc.insert(operands[i].labels.begin(), operands[i].labels.end());
    forNext.insert(acc.labels.begin(), acc.labels.end());
    Labeled next = operands[i];
    if (failed(sumOut(acc, forAcc)) || failed(sumOut(next, forNext)))
      return failure();
    Labeled result;
    if (failed(contract(acc, next, needed, result)))
      return failure();
    acc = result;
  }
  Value y = transpose(acc, output);
  return n.finish(y);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerIndexingOps(OpConverterMap &map) {
  map["Resize"] = convertResize;
  map["Upsample"] = convertUpsampleLike;
  map["GridSample"] = convertGridSample;
  map["GatherElements"] = convertGatherElements;
  map["ScatterElements"] = convertScatterElements;
  map["Scatter"] = convertScatterElements;
  map["GatherND"] = convertGatherND;
  map["ScatterND"] = convertScatterND;
  map["Compress"] = convertCompress;
  map["NonZero"] = convertUnary<NonZeroOp>;
  map["Unique"] = convertUnique;
  map["Trilu"] = convertTrilu;
  map["CumSum"] = convertScan<CumSumOp>;
  map["CumProd"] = convertScan<CumProdOp>;
  map["TopK"] = convertTopK;
  map["OneHot"] = convertOneHot;
  map["Tile"] = convertBinary<TileOp>;
  map["ReverseSequence"] = convertReverseSequence;
  map["Einsum"] = [](NodeImporter &n) { return EinsumLowering(n).run(); };
}
