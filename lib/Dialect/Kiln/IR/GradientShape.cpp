//===- GradientShape.cpp - Gradients of reductions and data movement ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The KilnGradientOpInterface rules of the reductions, the shape ops
// (reshape, transpose, concat, split, slice, pad, broadcast), the indexing
// ops (gathers, with scatter-add as their adjoint, scatters, scans, top-k,
// compress, one-hot) and the ops with run-time shape operands.
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

// The adjoint of a running product: d y_i / d x_j = y_i / x_j for the j
// that y_i multiplies, so the gradient is the running sum of g * y in the
// other direction, divided by x (undefined where x is 0).
LogicalResult CumProdOp::buildGradient(OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value sums = gb.create<CumSumOp>(gb.mul(resultGrads[0], getOutput()),
                                   getAxis(), getExclusiveAttr(),
                                   builder.getBoolAttr(!getReverse()));
  return gb.finish(operandGrads, {gb.div(sums, getInput()), Value()});
}

//===----------------------------------------------------------------------===//
// Scatters
//===----------------------------------------------------------------------===//

namespace {
/// How the two scatters read and write their updates' positions: `gather`
/// reads a tensor of the data's shape at the updates' positions, `scatter`
/// combines updates into a tensor of the data's shape.
struct ScatterAccess {
  llvm::function_ref<Value(Value)> gather;
  llvm::function_ref<Value(Value, Value, ScatterReduction)> scatter;
};
} // namespace

/// The gradients of data and updates of a scatter with `reduction` and
/// result `y`, from the result's gradient `g`:
/// - none: data gets `g` except where an update was written, each update
///   the gradient of its position (with duplicate indices, where ONNX
///   leaves the winner unspecified, every duplicate gets it);
/// - add: data gets `g`, each update the gradient of its position;
/// - mul: data gets `g` times the updates of its position, each update
///   `g * y / update` (undefined where an update is 0);
/// - max and min: the gradient of a position goes to the elements equal
///   to its result, the data's and the updates', shared evenly on a tie.
static LogicalResult scatterGradient(GradientBuilder &gb, Value data,
                                     Value updates, Value y, Value g,
                                     ScatterReduction reduction,
                                     const ScatterAccess &access,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value gradData, gradUpdates;
  switch (reduction) {
  case ScatterReduction::None:
    gradData = access.scatter(g, gb.zerosLike(updates), ScatterReduction::None);
    gradUpdates = access.gather(g);
    break;
  case ScatterReduction::Add:
    gradData = g;
    gradUpdates = access.gather(g);
    break;
  case ScatterReduction::Mul:
    gradData = access.scatter(g, updates, ScatterReduction::Mul);
    gradUpdates = gb.div(access.gather(gb.mul(g, y)), updates);
    break;
  case ScatterReduction::Max:
  case ScatterReduction::Min: {
    Value dataWins = gb.maskToFloat(gb.create<EqualOp>(data, y), data);
    Value updateWins =
        gb.maskToFloat(gb.create<EqualOp>(updates, access.gather(y)), updates);
    Value count =
        gb.add(dataWins, access.scatter(gb.zerosLike(data), updateWins,
                                        ScatterReduction::Add));
    Value share = gb.div(g, count);
    gradData = gb.mul(share, dataWins);
    gradUpdates = gb.mul(access.gather(share), updateWins);
    break;
  }
  }
  return gb.finish(operandGrads, {gradData, Value(), gradUpdates});
}

LogicalResult
ScatterElementsOp::buildGradient(OpBuilder &builder,
                                 ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  IntegerAttr axis = getAxisAttr();
  Value indices = getIndices();
  auto gather = [&](Value from) -> Value {
    return gb.create<GatherElementsOp>(from, indices, axis);
  };
  auto scatter = [&](Value into, Value values,
                     ScatterReduction reduction) -> Value {
    return gb.create<ScatterElementsOp>(
        into, indices, values, axis,
        ScatterReductionAttr::get(builder.getContext(), reduction));
  };
  return scatterGradient(gb, getData(), getUpdates(), getOutput(),
                         resultGrads[0], getReduction(), {gather, scatter},
                         operandGrads);
}

LogicalResult ScatterNDOp::buildGradient(OpBuilder &builder,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value indices = getIndices();
  auto gather = [&](Value from) -> Value {
    return gb.create<GatherNDOp>(from, indices, builder.getI64IntegerAttr(0));
  };
  auto scatter = [&](Value into, Value values,
                     ScatterReduction reduction) -> Value {
    return gb.create<ScatterNDOp>(
        into, indices, values,
        ScatterReductionAttr::get(builder.getContext(), reduction));
  };
  return scatterGradient(gb, getData(), getUpdates(), getOutput(),
                         resultGrads[0], getReduction(), {gather, scatter},
                         operandGrads);
}

//===----------------------------------------------------------------------===//
// Selections and run-time shapes
//===----------------------------------------------------------------------===//

/// `grad` cast back to the static type of `operand` when its own type lost
/// static dims (the results of the run-time shape ops are dynamic).
static Value matchOperandType(GradientBuilder &gb, Value grad, Value operand) {
  if (gb.hasFailed() || !grad)
    return {};
  RankedTensorType type = tensorType(operand);
  if (grad.getType() == type || !type.hasStaticShape())
    return grad;
  return gb.reshapeTo(grad, type);
}

/// An i64 tensor of the shape of `like` whose every element holds its own
/// row-major position: run through a data-movement op, it tells where each
/// element of the result came from.
static Value positionsLike(GradientBuilder &gb, Value like) {
  if (gb.hasFailed() || !like)
    return {};
  OpBuilder &b = gb.getBuilder();
  Type i64 = b.getI64Type();
  RankedTensorType type = tensorType(like);
  Value count = gb.create<SizeOp>(like);
  Value range = gb.create<RangeOp>(integerScalar(gb, 0, i64), count,
                                   integerScalar(gb, 1, i64));
  if (type.getNumDynamicDims() <= 1)
    return gb.reshapeTo(range, RankedTensorType::get(type.getShape(), i64));
  Value shape = gb.create<ShapeOp>(like, b.getI64IntegerAttr(0),
                                   b.getI64IntegerAttr(type.getRank()));
  return gb.create<DynamicReshapeOp>(range, shape, b.getBoolAttr(false));
}

/// Sums `grad` into zeros of the shape of `like` at the row-major
/// positions `positions` (of `grad`'s shape); a negative position (a
/// padded element) is dropped.
static Value scatterToPositions(GradientBuilder &gb, Value like,
                                Value positions, Value grad) {
  if (gb.hasFailed() || !like || !positions || !grad)
    return {};
  OpBuilder &b = gb.getBuilder();
  Type i64 = b.getI64Type();
  // Position -1 goes to one extra element, dropped at the end.
  Value count = gb.create<SizeOp>(like);
  Value flat = gb.reshape(positions, {-1});
  flat = gb.select(gb.create<LessOp>(flat, integerScalar(gb, 0, i64)), count,
                   flat);
  Type element = tensorType(like).getElementType();
  auto one = RankedTensorType::get({1}, element);
  Value extra = gb.create<ConstantOp>(cast<ElementsAttr>(
      DenseElementsAttr::get(one, b.getFloatAttr(element, 0.0))));
  Value zeros =
      gb.concat({gb.reshape(gb.zerosLike(like), {-1}), extra}, /*axis=*/0);
  Value sums = gb.create<ScatterElementsOp>(
      zeros, flat, gb.reshape(grad, {-1}), b.getI64IntegerAttr(0),
      ScatterReductionAttr::get(b.getContext(), ScatterReduction::Add));
  sums = gb.sliceAxis(sums, 0, 0, -1);
  return matchOperandType(gb, gb.reshapeLike(sums, like), like);
}

// The kept slices' gradients scattered back to their places along the
// axis, moved to the front for kiln.scatter_nd; zero for the dropped ones.
LogicalResult CompressOp::buildGradient(OpBuilder &builder,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  int64_t axis = getAxis(), rank = getInput().getType().getRank();
  Value kept = gb.create<NonZeroOp>(getCondition());
  Value indices = gb.transpose(kept, {1, 0});
  SmallVector<int64_t> front{axis};
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      front.push_back(i);
  Value zeros = gb.transpose(gb.zerosLike(getInput()), front);
  Value scattered = gb.create<ScatterNDOp>(
      zeros, indices, gb.transpose(resultGrads[0], front),
      ScatterReductionAttr::get(builder.getContext(), ScatterReduction::Add));
  Value grad = gb.transpose(scattered, invertPermutation(front));
  return gb.finish(operandGrads,
                   {matchOperandType(gb, grad, getInput()), Value()});
}

// values[1] is read where the one-hot mask is set, values[0] elsewhere:
// each gets the sum of the gradient over its elements.
LogicalResult OneHotOp::buildGradient(OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType valuesType = getValues().getType();
  Type element = valuesType.getElementType();
  if (!isa<FloatType>(element) || !valuesType.hasStaticShape() ||
      valuesType.getNumElements() != 2)
    return gb.finish(operandGrads, {});
  Value levels =
      gb.create<ConstantOp>(cast<ElementsAttr>(DenseElementsAttr::get(
          valuesType,
          ArrayRef<Attribute>{builder.getFloatAttr(element, 0.0),
                              builder.getFloatAttr(element, 1.0)})));
  Value mask =
      gb.create<OneHotOp>(getIndices(), getDepth(), levels, getAxisAttr());
  Value g = resultGrads[0];
  SmallVector<int64_t> all =
      llvm::to_vector(llvm::seq<int64_t>(0, getOutput().getType().getRank()));
  Value on = gb.reduceSum(gb.mul(g, mask), all, /*keepdims=*/false);
  Value off = gb.sub(gb.reduceSum(g, all, /*keepdims=*/false), on);
  Value grad = gb.concat({gb.reshape(off, {1}), gb.reshape(on, {1})}, 0);
  return gb.finish(operandGrads,
                   {Value(), Value(), gb.reshapeTo(grad, valuesType)});
}

// Where each element of the slice came from is found by slicing the
// positions of the input the same way.
LogicalResult
DynamicSliceOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value taken =
      gb.create<DynamicSliceOp>(positionsLike(gb, getInput()), getStarts(),
                                getEnds(), getAxes(), getSteps());
  return gb.finish(operandGrads,
                   {scatterToPositions(gb, getInput(), taken, resultGrads[0])});
}

// The positions of the input, padded the same way with -1 as the fill,
// tell where each element came from (edge and reflect pads copy several
// times); the fill value gets the gradient of the filled elements.
LogicalResult
DynamicPadOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Type i64 = builder.getI64Type();
  Value g = resultGrads[0];
  Value padded =
      gb.create<DynamicPadOp>(getModeAttr(), positionsLike(gb, getInput()),
                              getPads(), integerScalar(gb, -1, i64));
  Value gradInput = scatterToPositions(gb, getInput(), padded, g);
  Value gradValue;
  if (getMode() == PadMode::Constant &&
      isa<FloatType>(getValue().getType().getElementType())) {
    Value filled = gb.create<LessOp>(padded, integerScalar(gb, 0, i64));
    SmallVector<int64_t> all =
        llvm::to_vector(llvm::seq<int64_t>(0, tensorType(g).getRank()));
    gradValue = gb.reduceSum(gb.select(filled, g, gb.scalarLike(0.0, g)), all,
                             /*keepdims=*/false);
    gradValue = gb.reshapeTo(gradValue, getValue().getType());
  }
  return gb.finish(operandGrads, {gradInput, Value(), gradValue});
}

// The pieces' gradients joined again, zero for the pieces without one.
LogicalResult
DynamicSplitOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  SmallVector<Value> pieces;
  for (auto [result, grad] : llvm::zip(getOutputs(), resultGrads))
    pieces.push_back(grad ? grad : gb.zerosLike(result));
  Value grad = gb.concat(pieces, getAxis());
  return gb.finish(operandGrads, {matchOperandType(gb, grad, getInput())});
}

// As the static reductions, with the reduced dims put back as size 1 by
// kiln.dynamic_unsqueeze of the same axes (a negative axis counts from the
// end of the input, which is the end of the unsqueezed result too), and
// the counts and tie shares reduced over the same run-time axes. Which dims
// have size 1 is known only at run time, so the result and its gradient
// are broadcast to the input's shape before any arithmetic.
LogicalResult
DynamicReduceOp::buildGradient(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  Value x = getInput(), axes = getAxes(), g = resultGrads[0], y = getOutput();
  Type element = tensorType(x).getElementType();
  Value count = gb.div(gb.cast(gb.create<SizeOp>(x), element),
                       gb.cast(gb.create<SizeOp>(y), element));
  if (!getKeepdims()) {
    g = gb.create<DynamicUnsqueezeOp>(g, axes);
    y = gb.create<DynamicUnsqueezeOp>(y, axes);
  }
  g = gb.broadcastLike(g, x);
  y = gb.broadcastLike(y, x);
  Value grad;
  switch (getKind()) {
  case ReduceKind::Sum:
    grad = g;
    break;
  case ReduceKind::Mean:
    grad = gb.div(g, count);
    break;
  case ReduceKind::Max:
  case ReduceKind::Min: {
    Value mask = gb.maskToFloat(gb.create<EqualOp>(x, y), x);
    Value ties = gb.create<DynamicReduceOp>(
        ReduceKindAttr::get(builder.getContext(), ReduceKind::Sum), mask, axes,
        builder.getBoolAttr(true), getNoopWithEmptyAxesAttr());
    grad = gb.mul(mask, gb.div(g, gb.broadcastLike(ties, x)));
    break;
  }
  case ReduceKind::Prod:
    grad = gb.div(gb.mul(g, y), x);
    break;
  case ReduceKind::SumSquare:
    grad = gb.mul(gb.scale(x, 2.0), g);
    break;
  case ReduceKind::L1:
    grad = gb.mul(gb.unary<SignOp>(x), g);
    break;
  case ReduceKind::L2:
    grad = gb.mul(x, gb.div(g, y));
    break;
  case ReduceKind::LogSum:
    grad = gb.div(g, gb.unary<ExpOp>(y));
    break;
  case ReduceKind::LogSumExp:
    grad = gb.mul(gb.unary<ExpOp>(gb.sub(x, y)), g);
    break;
  }
  return gb.finish(operandGrads, {matchOperandType(gb, grad, x), Value()});
}

// Each input element (or slice) is a copy of the unique it maps to, so it
// gets that unique's gradient; the copies of one unique share it equally
// (as tied maxima do), divided by the unique's count.
LogicalResult UniqueOp::buildGradient(OpBuilder &builder,
                                      ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  RankedTensorType inputType = getInput().getType();
  if (!resultGrads[0] || !isa<FloatType>(inputType.getElementType()))
    return gb.finish(operandGrads, {});
  int64_t axis = getAxis() ? static_cast<int64_t>(*getAxis()) : 0;
  if (axis < 0)
    axis += inputType.getRank();
  auto gather = [&](Value from) {
    return gb.create<GatherOp>(from, getInverseIndices(),
                               builder.getI64IntegerAttr(axis));
  };
  Value copies = gather(resultGrads[0]);
  Value counts = gb.cast(gather(getCounts()), inputType.getElementType());
  if (getAxis()) {
    // The counts run along the axis; broadcast them over the other dims.
    SmallVector<int64_t> shape(inputType.getRank(), 1);
    shape[axis] = -1;
    counts = gb.reshape(counts, shape);
  }
  return gb.finish(operandGrads,
                   {gb.reshapeTo(gb.div(copies, counts), inputType)});
}

// Element i is start + i * delta: start gets the sum of the gradient, delta
// the sum weighted by the positions, and limit (which only sets the
// length) none.
LogicalResult RangeOp::buildGradient(OpBuilder &builder,
                                     ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradientBuilder gb(builder, *this);
  auto type = cast<RankedTensorType>(getStart().getType());
  Type element = type.getElementType();
  if (!isa<FloatType>(element))
    return gb.finish(operandGrads, {});
  Value g = resultGrads[0];
  Value count = gb.cast(gb.create<SizeOp>(getOutput()), element);
  Value positions = gb.create<RangeOp>(gb.scalar(0.0, element), count,
                                       gb.scalar(1.0, element));
  Value start = gb.reduceSum(g, {0}, /*keepdims=*/false);
  Value delta = gb.reduceSum(gb.mul(g, positions), {0}, /*keepdims=*/false);
  return gb.finish(operandGrads, {gb.reshapeTo(start, type), Value(),
                                  gb.reshapeTo(delta, type)});
}
