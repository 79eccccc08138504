//===- GradientShape.cpp - Gradients of reductions and data movement ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The KilnGradientOpInterface rules of the reductions, the shape ops
// (reshape, transpose, concat, split, slice, pad, broadcast) and the
// indexing ops (gather, scatter-add as their adjoint, scans, top-k).
//
//===----------------------------------------------------------------------===//

#include "GradientBuilder.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::kiln;

/// The inverse of a permutation.
static SmallVector<int64_t> invertPermutation(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return inverse;
}

/// A rank-0 integer constant of `elementType`.
static Value integerScalar(GradientBuilder &gb, int64_t value,
                           Type elementType) {
  auto type = RankedTensorType::get({}, elementType);
  auto attr = DenseElementsAttr::get(
      type, ArrayRef<Attribute>{IntegerAttr::get(elementType, value)});
  return gb.create<ConstantOp>(cast<ElementsAttr>(attr));
}

/// Indices along a dimension of static size `dim` with the negative ones
/// made positive, as the scatters that form the gradients of gathers want
/// them.
static Value normalizeIndices(GradientBuilder &gb, Value indices, int64_t dim) {
  if (!indices)
    return {};
  if (ShapedType::isDynamic(dim))
    return gb.fail("cannot differentiate a gather along a dynamic dimension");
  Type element = tensorType(indices).getElementType();
  Value negative = gb.create<LessOp>(indices, integerScalar(gb, 0, element));
  return gb.select(negative, gb.add(indices, integerScalar(gb, dim, element)),
                   indices);
}

/// A copy of `op` reading `input` instead of its first operand: the
/// gradient of an op that is its own adjoint.
static Value cloneOnInput(GradientBuilder &gb, Operation *op, Value input) {
  if (gb.hasFailed() || !input)
    return {};
  Operation *copy = gb.getBuilder().clone(*op);
  copy->setOperand(0, input);
  return copy->getResult(0);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
/// What the reduction rules share: the gradient and the result with the
/// reduced dims kept as size 1.
struct Reduction {
  Value input, keptResult, keptGrad;
  SmallVector<int64_t> axes;
};
} // namespace

static Reduction prepareReduction(GradientBuilder &gb, Operation *op,
                                  ArrayRef<int64_t> axes, bool keepdims,
                                  Value grad) {
  Reduction r{op->getOperand(0), op->getResult(0), grad,
              SmallVector<int64_t>(axes)};
  if (keepdims || axes.empty())
    return r;
  RankedTensorType in = tensorType(r.input);
  SmallVector<int64_t> kept(in.getShape());
  for (int64_t axis : axes)
    kept[axis] = 1;
  RankedTensorType keptType = tensorType(grad).clone(kept);
  r.keptGrad = gb.reshapeTo(grad, keptType);
  r.keptResult = gb.reshapeTo(r.keptResult, keptType);
  return r;
}

/// Where `x` equals the (kept) extremum `y`, sharing the gradient evenly
/// between ties.
static Value extremumShare(GradientBuilder &gb, Value x, Value keptY,
                           ArrayRef<int64_t> axes, Value keptGrad) {
  Value mask = gb.maskToFloat(gb.create<EqualOp>(x, keptY), x);
  Value count = gb.reduceSum(mask, axes, /*keepdims=*/true);
  return gb.mul(mask, gb.div(keptGrad, count));
}

template <typename OpTy>
static LogicalResult reductionGradient(OpTy op, OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, op);
  Reduction r =
      prepareReduction(gb, op, op.getAxes(), op.getKeepdims(), resultGrads[0]);
  Value x = r.input, g = r.keptGrad, y = r.keptResult;
  auto spread = [&](Value v) { return gb.broadcastLike(v, x); };
  Value grad;
  if constexpr (std::is_same_v<OpTy, ReduceSumOp>) {
    grad = spread(g);
  } else if constexpr (std::is_same_v<OpTy, ReduceMeanOp>) {
    int64_t count = 1;
    for (int64_t axis : r.axes)
      count *= tensorType(x).getDimSize(axis);
    if (ShapedType::isDynamic(count) || count <= 0)
      return gb.fail("cannot differentiate a mean over a dynamic dimension"),
             failure();
    grad = spread(gb.scale(g, 1.0 / static_cast<double>(count)));
  } else if constexpr (std::is_same_v<OpTy, ReduceMaxOp> ||
                       std::is_same_v<OpTy, ReduceMinOp>) {
    grad = extremumShare(gb, x, y, r.axes, g);
  } else if constexpr (std::is_same_v<OpTy, ReduceProdOp>) {
    // d prod = prod / x (undefined where x is 0).
    grad = gb.div(gb.mul(g, y), x);
  } else if constexpr (std::is_same_v<OpTy, ReduceSumSquareOp>) {
    grad = gb.mul(gb.scale(x, 2.0), g);
  } else if constexpr (std::is_same_v<OpTy, ReduceL1Op>) {
    grad = gb.mul(gb.unary<SignOp>(x), g);
  } else if constexpr (std::is_same_v<OpTy, ReduceL2Op>) {
    grad = gb.mul(x, gb.div(g, y));
  } else {
    static_assert(std::is_same_v<OpTy, ReduceLogSumExpOp>);
    grad = gb.mul(gb.unary<ExpOp>(gb.sub(x, y)), g);
  }
  return gb.finish(operandGrads, {grad});
}

#define KILN_REDUCTION_GRADIENT(OP)                                            \
  LogicalResult OP::buildGradient(OpBuilder &builder,                          \
                                  ArrayRef<Value> resultGrads,                 \
                                  SmallVectorImpl<Value> &operandGrads) {      \
    return reductionGradient(*this, builder, resultGrads, operandGrads);       \
  }
KILN_REDUCTION_GRADIENT(ReduceSumOp)
KILN_REDUCTION_GRADIENT(ReduceMeanOp)
KILN_REDUCTION_GRADIENT(ReduceMaxOp)
KILN_REDUCTION_GRADIENT(ReduceMinOp)
KILN_REDUCTION_GRADIENT(ReduceProdOp)
KILN_REDUCTION_GRADIENT(ReduceSumSquareOp)
KILN_REDUCTION_GRADIENT(ReduceL1Op)
KILN_REDUCTION_GRADIENT(ReduceL2Op)
KILN_REDUCTION_GRADIENT(ReduceLogSumExpOp)
#undef KILN_REDUCTION_GRADIENT

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildGradient(OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads, {gb.reshapeLike(resultGrads[0], getInput())});
}

LogicalResult
DynamicReshapeOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads, {gb.reshapeLike(resultGrads[0], getInput())});
}

LogicalResult
DynamicSqueezeOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads, {gb.reshapeLike(resultGrads[0], getInput())});
}

LogicalResult
DynamicUnsqueezeOp::buildGradient(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads, {gb.reshapeLike(resultGrads[0], getInput())});
}

LogicalResult TransposeOp::buildGradient(OpBuilder &builder,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads, {gb.transpose(resultGrads[0],
                                               invertPermutation(getPerm()))});
}

LogicalResult
BroadcastToOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                             SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads,
                   {gb.unbroadcast(resultGrads[0], getInput().getType())});
}

LogicalResult
DynamicBroadcastToOp::buildGradient(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads,
                   {gb.unbroadcast(resultGrads[0], getInput().getType())});
}

// Each input gets its own slice of the gradient.
LogicalResult ConcatOp::buildGradient(OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  int64_t axis = getAxis(), offset = 0;
  SmallVector<Value> grads;
  for (Value input : getInputs()) {
    int64_t size = tensorType(input).getDimSize(axis);
    if (ShapedType::isDynamic(size))
      return gb.fail("cannot differentiate a concatenation of a dynamic "
                     "dimension"),
             failure();
    grads.push_back(
        isa<FloatType>(tensorType(input).getElementType())
            ? gb.sliceAxis(resultGrads[0], axis, offset, offset + size)
            : Value());
    offset += size;
  }
  return gb.finish(operandGrads, grads);
}

// The pieces' gradients joined again, zero for the pieces without one.
LogicalResult SplitOp::buildGradient(OpBuilder &builder,
                                     ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  SmallVector<Value> pieces;
  for (auto [result, grad] : llvm::zip(getOutputs(), resultGrads))
    pieces.push_back(grad ? grad : gb.zerosLike(result));
  return gb.finish(operandGrads, {gb.concat(pieces, getAxis())});
}

LogicalResult SliceOp::buildGradient(OpBuilder &builder,
                                     ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads,
                   {gb.unslice(resultGrads[0], getInput().getType(),
                               getStarts(), getEnds(), getAxes(), getSteps())});
}

/// The gradient of an edge or reflect pad along `axis`: the center, plus
/// the pads folded back onto the elements they copied.
static Value unpadAxis(GradientBuilder &gb, Value grad, int64_t axis,
                       int64_t size, int64_t before, int64_t after,
                       PadMode mode) {
  Value center = gb.sliceAxis(grad, axis, before, before + size);
  if (mode == PadMode::Constant)
    return center;
  if (before > 0) {
    Value head = gb.sliceAxis(grad, axis, 0, before);
    if (mode == PadMode::Edge) {
      head = gb.reduceSum(head, {axis}, /*keepdims=*/true);
      center = gb.add(center, gb.padAxis(head, axis, 0, size - 1));
    } else {
      // Pad position before-1-j copies element j+1.
      head = gb.reverse(head, axis);
      center = gb.add(center, gb.padAxis(head, axis, 1, size - 1 - before));
    }
  }
  if (after > 0) {
    Value tail = gb.sliceAxis(grad, axis, before + size, before + size + after);
    if (mode == PadMode::Edge) {
      tail = gb.reduceSum(tail, {axis}, /*keepdims=*/true);
      center = gb.add(center, gb.padAxis(tail, axis, size - 1, 0));
    } else {
      // Pad position j after the end copies element size-2-j.
      tail = gb.reverse(tail, axis);
      center = gb.add(center, gb.padAxis(tail, axis, size - 1 - after, 1));
    }
  }
  return center;
}

LogicalResult PadOp::buildGradient(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType in = getInput().getType();
  ArrayRef<int64_t> pads = getPads();
  int64_t rank = in.getRank();
  Value grad = resultGrads[0];
  for (int64_t axis = 0; axis < rank; ++axis) {
    int64_t before = pads[axis], after = pads[axis + rank];
    if (before == 0 && after == 0)
      continue;
    int64_t size = in.getDimSize(axis);
    if (ShapedType::isDynamic(size))
      return gb.fail("cannot differentiate a pad of dynamic dimension " +
                     Twine(axis)),
             failure();
    grad = unpadAxis(gb, grad, axis, size, before, after, getMode());
  }
  return gb.finish(operandGrads, {grad});
}

// Sums each repeat: (r0*d0, r1*d1, ...) -> (r0, d0, r1, d1, ...) -> (d0, ...).
LogicalResult TileOp::buildGradient(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType in = getInput().getType();
  DenseIntElementsAttr repeats;
  if (!matchPattern(getRepeats(), m_Constant(&repeats)))
    return gb.fail("cannot differentiate a tile with run-time repeats"),
           failure();
  if (!in.hasStaticShape())
    return gb.fail("cannot differentiate a tile of a dynamic shape"), failure();
  SmallVector<int64_t> split, axes;
  for (auto [i, repeat] : llvm::enumerate(repeats.getValues<APInt>())) {
    axes.push_back(2 * i);
    split.push_back(repeat.getSExtValue());
    split.push_back(in.getDimSize(i));
  }
  Value grad = gb.reshape(resultGrads[0], split);
  grad = gb.reduceSum(grad, axes, /*keepdims=*/false);
  return gb.finish(operandGrads, {grad, Value()});
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

// Scatter-adds the gradient into zeros of the data's shape. The gathered
// axis is moved to the front so that kiln.scatter_nd, which indexes the
// leading dimension, can do it.
LogicalResult GatherOp::buildGradient(OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType data = getData().getType();
  RankedTensorType indicesType = getIndices().getType();
  int64_t axis = getAxis(), rank = data.getRank(), q = indicesType.getRank();
  Value indices = normalizeIndices(gb, getIndices(), data.getDimSize(axis));
  SmallVector<int64_t> indexShape(indicesType.getShape());
  indexShape.push_back(1);
  indices = gb.reshapeTo(indices, indicesType.clone(indexShape));
  // The gradient's dims: data[:axis], indices, data[axis+1:]; the updates
  // want indices, data[:axis], data[axis+1:].
  SmallVector<int64_t> updatesPerm;
  for (int64_t i = 0; i < q; ++i)
    updatesPerm.push_back(axis + i);
  for (int64_t i = 0; i < axis; ++i)
    updatesPerm.push_back(i);
  for (int64_t i = axis + q; i < rank - 1 + q; ++i)
    updatesPerm.push_back(i);
  Value updates = gb.transpose(resultGrads[0], updatesPerm);
  SmallVector<int64_t> front{axis};
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      front.push_back(i);
  Value zeros = gb.transpose(gb.zerosLike(getData()), front);
  Value scattered = gb.create<ScatterNDOp>(
      zeros, indices, updates,
      ScatterReductionAttr::get(builder.getContext(), ScatterReduction::Add));
  return gb.finish(operandGrads,
                   {gb.transpose(scattered, invertPermutation(front))});
}

LogicalResult
GatherElementsOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  int64_t axis = getAxis();
  Value indices =
      normalizeIndices(gb, getIndices(), getData().getType().getDimSize(axis));
  Value grad = gb.create<ScatterElementsOp>(
      gb.zerosLike(getData()), indices, resultGrads[0],
      builder.getI64IntegerAttr(axis),
      ScatterReductionAttr::get(builder.getContext(), ScatterReduction::Add));
  return gb.finish(operandGrads, {grad});
}

LogicalResult GatherNDOp::buildGradient(OpBuilder &builder,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  if (getBatchDims() != 0)
    return gb.fail("cannot differentiate a gather_nd with batch dimensions"),
           failure();
  RankedTensorType data = getData().getType();
  RankedTensorType indicesType = getIndices().getType();
  int64_t depth = indicesType.getShape().back();
  // Negative indices become positive, each by its own dimension's size.
  SmallVector<Attribute> sizes;
  Type element = indicesType.getElementType();
  for (int64_t i = 0; i < depth; ++i) {
    if (data.isDynamicDim(i))
      return gb.fail("cannot differentiate a gather_nd along a dynamic "
                     "dimension"),
             failure();
    sizes.push_back(IntegerAttr::get(element, data.getDimSize(i)));
  }
  Value dims = gb.create<ConstantOp>(cast<ElementsAttr>(
      DenseElementsAttr::get(RankedTensorType::get({depth}, element), sizes)));
  Value negative =
      gb.create<LessOp>(getIndices(), integerScalar(gb, 0, element));
  Value indices = gb.select(negative, gb.add(getIndices(), dims), getIndices());
  Value grad = gb.create<ScatterNDOp>(
      gb.zerosLike(getData()), indices, resultGrads[0],
      ScatterReductionAttr::get(builder.getContext(), ScatterReduction::Add));
  return gb.finish(operandGrads, {grad});
}

// The values' gradient goes back to where each value was taken from.
LogicalResult TopKOp::buildGradient(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value grad = gb.create<ScatterElementsOp>(
      gb.zerosLike(getInput()), getIndices(), resultGrads[0],
      builder.getI64IntegerAttr(getAxis()),
      ScatterReductionAttr::get(builder.getContext(), ScatterReduction::Add));
  return gb.finish(operandGrads, {grad});
}

// Masks and reversals are their own adjoints.
LogicalResult TriluOp::buildGradient(OpBuilder &builder,
                                     ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads, {cloneOnInput(gb, *this, resultGrads[0])});
}

LogicalResult
ReverseSequenceOp::buildGradient(OpBuilder &builder,
                                 ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  return gb.finish(operandGrads, {cloneOnInput(gb, *this, resultGrads[0])});
}

// The adjoint of a running sum is the running sum in the other direction.
LogicalResult CumSumOp::buildGradient(OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value grad = cloneOnInput(gb, *this, resultGrads[0]);
  if (grad)
    cast<CumSumOp>(grad.getDefiningOp()).setReverse(!getReverse());
  return gb.finish(operandGrads, {grad});
}
