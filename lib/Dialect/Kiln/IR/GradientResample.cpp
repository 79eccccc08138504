//===- GradientResample.cpp - Gradients of resize and grid sampling -------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The KilnGradientOpInterface rules of `kiln.resize` and `kiln.grid_sample`.
//
// A resize is linear in its input and separable: along each resized axis,
// every output element is a fixed weighting of the input elements of its
// line (nearest, linear and cubic modes alike, antialiased or not). The
// rule finds those weights by resizing an identity matrix along that axis
// with the op's own settings, which gives the exact matrix the forward op
// applies, and multiplies the gradient by it transposed, axis by axis.
//
// A grid sample is differentiated tap by tap: the source coordinates and
// interpolation weights are recomputed from the grid with kiln ops, the
// input is read at each tap with kiln.gather_nd, and the gradient is
// scattered back with kiln.scatter_nd (the input's) or combined with the
// weights' derivatives (the grid's).
//
//===----------------------------------------------------------------------===//

#include "GradientBuilder.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::kiln;

/// The entries `picks` of the 1-D tensor `vector`: a new constant when
/// `vector` is one (so that the shapes it decides stay static), otherwise
/// slices joined at run time.
static Value pickEntries(GradientBuilder &gb, Value vector,
                         ArrayRef<int64_t> picks) {
  if (gb.hasFailed() || !vector)
    return {};
  DenseElementsAttr values;
  if (matchPattern(vector, m_Constant(&values))) {
    SmallVector<Attribute> all(values.getValues<Attribute>());
    SmallVector<Attribute> picked;
    for (int64_t p : picks)
      picked.push_back(all[p]);
    auto type = RankedTensorType::get({static_cast<int64_t>(picks.size())},
                                      values.getElementType());
    return gb.create<ConstantOp>(
        cast<ElementsAttr>(DenseElementsAttr::get(type, picked)));
  }
  SmallVector<Value> pieces;
  for (int64_t p : picks)
    pieces.push_back(gb.sliceAxis(vector, 0, p, p + 1));
  return gb.concat(pieces, 0);
}

/// The `size` x `size` identity matrix of `element`.
static Value identityMatrix(GradientBuilder &gb, int64_t size, Type element) {
  OpBuilder &b = gb.getBuilder();
  SmallVector<Attribute> values(size * size, b.getFloatAttr(element, 0.0));
  for (int64_t i = 0; i < size; ++i)
    values[i * size + i] = b.getFloatAttr(element, 1.0);
  auto type = RankedTensorType::get({size, size}, element);
  return gb.create<ConstantOp>(
      cast<ElementsAttr>(DenseElementsAttr::get(type, values)));
}

/// The permutation moving `axis` of a rank-`rank` tensor last.
static SmallVector<int64_t> axisLast(int64_t rank, int64_t axis) {
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  return perm;
}

/// The inverse of a permutation.
static SmallVector<int64_t> inverted(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return inverse;
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

// Along each resized axis (input size n, output size m), resizing the n x n
// identity along its columns gives the n x m matrix W with y = W^T x along
// that axis; the gradient is W g. Points that tf_crop_and_resize
// extrapolates read no input (the identity is resized with a zero
// extrapolation value), so they get no gradient.
LogicalResult ResizeOp::buildGradient(OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType inputType = getInput().getType();
  Type element = inputType.getElementType();
  if (!isa<FloatType>(element))
    return gb.finish(operandGrads, {});
  if (getKeepAspectRatioPolicy() != AspectRatioPolicy::Stretch)
    return gb.fail("cannot differentiate a resize with keep_aspect_ratio_"
                   "policy " +
                   stringifyAspectRatioPolicy(getKeepAspectRatioPolicy()) +
                   " (only stretch)"),
           failure();
  ArrayRef<int64_t> axes = getAxes();
  int64_t count = axes.size(), rank = inputType.getRank();
  Value g = resultGrads[0];
  for (auto [i, axis] : llvm::enumerate(axes)) {
    int64_t size = inputType.getDimSize(axis);
    if (ShapedType::isDynamic(size))
      return gb.fail("cannot differentiate a resize of dynamic dimension " +
                     Twine(axis)),
             failure();
    int64_t k = static_cast<int64_t>(i);
    // (Built one by one: the order of function arguments is unspecified.)
    Value roi = getRoi() ? pickEntries(gb, getRoi(), {k, count + k}) : Value();
    Value scales = getScales() ? pickEntries(gb, getScales(), {k}) : Value();
    Value sizes = getSizes() ? pickEntries(gb, getSizes(), {k}) : Value();
    Value identity = identityMatrix(gb, size, element);
    Value weights = gb.create<ResizeOp>(
        identity, roi, scales, sizes, builder.getDenseI64ArrayAttr({1}),
        getModeAttr(), getCoordinateTransformationModeAttr(),
        getNearestModeAttr(), getCubicCoeffAAttr(), getExcludeOutsideAttr(),
        builder.getF32FloatAttr(0.0f), getAntialiasAttr(),
        getKeepAspectRatioPolicyAttr());
    SmallVector<int64_t> perm = axisLast(rank, axis);
    Value moved = gb.transpose(g, perm);
    Value back = gb.create<MatMulOp>(moved, gb.transpose(weights, {1, 0}));
    g = gb.transpose(back, inverted(perm));
  }
  if (!gb.hasFailed() && g.getType() != inputType && inputType.hasStaticShape())
    g = gb.reshapeTo(g, inputType);
  return gb.finish(operandGrads, {g});
}

//===----------------------------------------------------------------------===//
// Grid sample
//===----------------------------------------------------------------------===//

namespace {
/// One spatial dimension of a grid sample: the source coordinate of every
/// output point, as the forward op computes it, and its derivative with
/// respect to the grid value.
struct SampleAxis {
  int64_t size;
  Value coord; // (N, O..., 1)
  Value slope; // d coord / d grid, (N, O..., 1) or a scalar
};
} // namespace

/// A rank-0 integer constant of `elementType`.
static Value integerScalar(GradientBuilder &gb, int64_t value,
                           Type elementType) {
  auto type = RankedTensorType::get({}, elementType);
  return gb.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(
      type, ArrayRef<Attribute>{IntegerAttr::get(elementType, value)})));
}

/// An integer tensor constant of `type` filled with `value`.
static Value integerSplat(GradientBuilder &gb, RankedTensorType type,
                          int64_t value) {
  return gb.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(
      type, IntegerAttr::get(type.getElementType(), value))));
}

// Linear mode reads the 2^r taps around each point with weights
// prod_i max(0, 1 - |t_i - x_i|); the input's gradient is each tap's
// weighted gradient scattered back, the grid's is the gradient times the
// weights' derivatives (d/dx_i flips the sign of the tap's weight along i)
// times d x_i / d grid. Nearest mode reads one rounded tap: the input gets
// the gradient there and the grid none. Zeros padding drops the taps
// outside the input; border padding clamps them, and a coordinate clamped
// to the border does not move with the grid.
LogicalResult
GridSampleOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType inputType = getInput().getType();
  RankedTensorType gridType = getGrid().getType();
  Type element = inputType.getElementType();
  InterpolationMode mode = getMode();
  GridSamplePadding padding = getPaddingMode();
  if (!isa<FloatType>(element))
    return gb.finish(operandGrads, {});
  if (mode == InterpolationMode::Cubic)
    return gb.fail("cannot differentiate a grid_sample in cubic mode (only "
                   "linear and nearest)"),
           failure();
  if (padding == GridSamplePadding::Reflection)
    return gb.fail("cannot differentiate a grid_sample with reflection "
                   "padding (only zeros and border)"),
           failure();
  if (!inputType.hasStaticShape() || !gridType.hasStaticShape())
    return gb.fail("cannot differentiate a grid_sample of dynamic shapes"),
           failure();

  OpBuilder &b = gb.getBuilder();
  Type i64 = b.getI64Type();
  Type gridElement = gridType.getElementType();
  int64_t r = inputType.getRank() - 2;
  int64_t batch = inputType.getDimSize(0);
  // (N, O..., 1): one value per output point.
  SmallVector<int64_t> pointShape(gridType.getShape());
  pointShape.back() = 1;
  auto pointIndexType = RankedTensorType::get(pointShape, i64);
  auto scalar = [&](double v) { return gb.scalar(v, gridElement); };

  // The source coordinates, as the forward op computes them.
  SmallVector<SampleAxis> dims;
  for (int64_t i = 0; i < r; ++i) {
    int64_t size = inputType.getDimSize(2 + i);
    double len = static_cast<double>(size);
    Value gi = gb.sliceAxis(getGrid(), r + 1, r - 1 - i, r - i);
    Value x, slope;
    if (getAlignCorners()) {
      x = gb.mul(gb.add(gi, scalar(1.0)), scalar((len - 1.0) / 2.0));
      slope = scalar((len - 1.0) / 2.0);
    } else {
      x = gb.mul(
          gb.sub(gb.mul(gb.add(gi, scalar(1.0)), scalar(len)), scalar(1.0)),
          scalar(0.5));
      slope = scalar(len / 2.0);
    }
    if (mode == InterpolationMode::Nearest)
      x = gb.unary<RoundOp>(x);
    if (padding == GridSamplePadding::Border) {
      double lo = getAlignCorners() ? 0.0 : -0.5;
      double hi = getAlignCorners() ? len - 1.0 : len - 0.5;
      Value outside = gb.create<OrOp>(gb.create<LessOp>(x, scalar(lo)),
                                      gb.create<GreaterOp>(x, scalar(hi)));
      Value clamped =
          gb.create<MinOp>(gb.create<MaxOp>(x, scalar(0.0)), scalar(len - 1.0));
      x = gb.select(outside, clamped, x);
      slope = gb.select(outside, scalar(0.0), gb.broadcastLike(slope, x));
    }
    dims.push_back({size, x, slope});
  }

  // The input and the result's gradient with the channels last: (N, D...,
  // C) and (N, O..., C), so that a tap is a gather_nd of (n, d...).
  SmallVector<int64_t> channelsLast{0};
  for (int64_t i = 0; i < r; ++i)
    channelsLast.push_back(2 + i);
  channelsLast.push_back(1);
  Value input = gb.transpose(getInput(), channelsLast);
  Value g = gb.transpose(resultGrads[0], channelsLast);
  if (gb.hasFailed())
    return failure();
  // The batch index of every point.
  SmallVector<Attribute> batches;
  for (int64_t n = 0; n < batch; ++n)
    batches.push_back(IntegerAttr::get(i64, n));
  SmallVector<int64_t> batchShape(pointShape.size(), 1);
  batchShape.front() = batch;
  Value batchIndex = gb.broadcastLike(
      gb.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(
          RankedTensorType::get(batchShape, i64), batches))),
      integerSplat(gb, pointIndexType, 0));

  // Each tap: its weight's factors along each dim, and whether it lies in
  // the input.
  int64_t taps = mode == InterpolationMode::Linear ? (int64_t(1) << r) : 1;
  SmallVector<Value> floors, fractions;
  for (SampleAxis &d : dims) {
    Value lower = gb.unary<FloorOp>(d.coord);
    floors.push_back(gb.cast(lower, i64));
    fractions.push_back(gb.sub(d.coord, lower));
  }
  Value gradInput = gb.zerosLike(input);
  SmallVector<Value> gridGrads(r);
  for (int64_t t = 0; t < taps; ++t) {
    SmallVector<Value> index{batchIndex}, factors;
    Value inside;
    for (int64_t i = 0; i < r; ++i) {
      bool upper = (t >> i) & 1;
      Value at =
          upper ? gb.add(floors[i], integerScalar(gb, 1, i64)) : floors[i];
      factors.push_back(upper ? fractions[i]
                              : gb.sub(scalar(1.0), fractions[i]));
      Value zero = integerScalar(gb, 0, i64);
      Value last = integerScalar(gb, dims[i].size - 1, i64);
      if (padding == GridSamplePadding::Zeros) {
        Value in = gb.create<AndOp>(gb.create<GreaterEqualOp>(at, zero),
                                    gb.create<LessEqualOp>(at, last));
        inside = inside ? gb.create<AndOp>(inside, in) : in;
      }
      index.push_back(gb.create<MinOp>(gb.create<MaxOp>(at, zero), last));
    }
    if (mode == InterpolationMode::Nearest)
      factors.assign(r, Value());
    Value indices = gb.concat(index, r + 1);
    // The tap's weight, zero outside the input under zeros padding.
    Value mask = inside ? gb.maskToFloat(inside, dims[0].coord) : Value();
    Value weight = mask;
    for (Value f : factors)
      if (f)
        weight = weight ? gb.mul(weight, f) : f;
    Value weighted = weight ? gb.mul(g, gb.cast(weight, element)) : g;
    gradInput = gb.create<ScatterNDOp>(
        gradInput, indices, weighted,
        ScatterReductionAttr::get(b.getContext(), ScatterReduction::Add));
    if (mode == InterpolationMode::Nearest)
      continue;
    // sum over channels of g * the tap's value, then d weight / d x_i.
    Value value = gb.create<GatherNDOp>(input, indices, b.getI64IntegerAttr(0));
    Value dot = gb.reduceSum(gb.mul(g, value), {r + 1}, /*keepdims=*/true);
    dot = gb.cast(dot, gridElement);
    if (mask)
      dot = gb.mul(dot, mask);
    for (int64_t i = 0; i < r; ++i) {
      Value term = dot;
      for (int64_t j = 0; j < r; ++j)
        if (j != i)
          term = gb.mul(term, factors[j]);
      if (!((t >> i) & 1))
        term = gb.neg(term);
      gridGrads[i] = gridGrads[i] ? gb.add(gridGrads[i], term) : term;
    }
  }
  gradInput = gb.transpose(gradInput, inverted(channelsLast));
  Value gradGrid;
  if (mode == InterpolationMode::Linear) {
    // Grid component k is spatial dim r - 1 - k.
    SmallVector<Value> components;
    for (int64_t k = 0; k < r; ++k) {
      int64_t i = r - 1 - k;
      components.push_back(gb.mul(gridGrads[i], dims[i].slope));
    }
    gradGrid = gb.concat(components, r + 1);
    if (!gb.hasFailed() && gradGrid.getType() != gridType)
      gradGrid = gb.broadcastLike(gradGrid, getGrid());
  } else {
    gradGrid = gb.zerosLike(getGrid());
  }
  return gb.finish(operandGrads, {gradInput, gradGrid});
}
