//===- ControlFlowOps.cpp - ONNX If, Scan and Loop to kiln ----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The kiln dialect has no regions, so control flow is imported by value:
//
// * If: with a constant condition, the branch taken is imported inline.
//   Otherwise both branches are imported (they are pure) and each output is
//   `kiln.where(cond, then, else)`, which needs both branches to give the
//   same type for that output.
// * Scan (opset 9 on): with a static sequence length the body is imported
//   once per iteration, in order, on slices of the scan inputs; the scan
//   outputs are stacked along their axes.
//
// * Loop: with a constant trip count, or a condition that is a constant
//   after every iteration, the body is unrolled like Scan's, at most
//   kMaxLoopIterations times; the scan outputs are stacked along a new
//   axis 0. A Loop whose trip count or condition is a run-time value is not
//   imported.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Reshapes `v` to drop dim `axis` (of size 1) or to insert a dim of size 1
/// before it. Dims before the axis are copied; at most one dynamic dim may
/// follow it.
static Value dropOrInsertDim(NodeImporter &n, Value v, int64_t axis,
                             bool insert) {
  auto type = mlir::cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  bool inferred = false;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (i == axis && insert)
      shape.push_back(1);
    if (i == axis && !insert)
      continue;
    int64_t d = type.getDimSize(i);
    if (i < axis) {
      shape.push_back(0);
    } else if (!ShapedType::isDynamic(d)) {
      shape.push_back(d);
    } else if (!inferred) {
      inferred = true;
      shape.push_back(-1);
    } else {
      (void)n.error("more than one dynamic dim follows the scan axis");
      return {};
    }
  }
  if (insert && axis == type.getRank())
    shape.push_back(1);
  return n.create<ReshapeOp>(v, shape);
}

static LogicalResult convertIf(NodeImporter &n) {
  FailureOr<Value> cond = n.requiredInput(0);
  if (failed(cond))
    return failure();
  auto condType = mlir::cast<RankedTensorType>(cond->getType());
  if (!condType.getElementType().isInteger(1) ||
      (condType.hasStaticShape() && condType.getNumElements() != 1))
    return n.error("the condition must be a one-element bool tensor");
  if (std::optional<SmallVector<int64_t>> known = n.constantInts(0)) {
    FailureOr<SmallVector<Value>> taken = n.importSubgraph(
        (*known)[0] ? "then_branch" : "else_branch", ArrayRef<Value>{});
    if (failed(taken))
      return failure();
    for (auto [i, v] : llvm::enumerate(*taken))
      n.setOutput(i, v);
    return success();
  }
  FailureOr<SmallVector<Value>> thenValues =
      n.importSubgraph("then_branch", ArrayRef<Value>{});
  if (failed(thenValues))
    return failure();
  FailureOr<SmallVector<Value>> elseValues =
      n.importSubgraph("else_branch", ArrayRef<Value>{});
  if (failed(elseValues))
    return failure();
  if (thenValues->size() != elseValues->size())
    return n.error("the branches have different numbers of outputs");
  // The condition as a scalar, so that it broadcasts to any output.
  Value scalar = n.create<ReshapeOp>(*cond, ArrayRef<int64_t>{});
  if (!scalar)
    return failure();
  for (auto [i, values] :
       llvm::enumerate(llvm::zip(*thenValues, *elseValues))) {
    auto [a, b] = values;
    if (a.getType() != b.getType())
      return n.error("output " + Twine(i) +
                     " has different types in the two branches, and the "
                     "condition is not a constant");
    Value selected = n.create<WhereOp>(scalar, a, b);
    if (!selected)
      return failure();
    n.setOutput(i, selected);
  }
  return success();
}

static LogicalResult convertScan(NodeImporter &n) {
  if (n.opset < 9)
    return n.error("Scan before opset 9 (with a batch dim and sequence_lens) "
                   "is not supported");
  int64_t numScanInputs = n.intAttr("num_scan_inputs", -1);
  int64_t numInputs = n.node.input_size();
  if (numScanInputs < 1 || numScanInputs > numInputs)
    return n.error("num_scan_inputs must be between 1 and the number of "
                   "inputs");
  int64_t numStates = numInputs - numScanInputs;
  auto attrOr = [&](StringRef name, int64_t count) {
    std::optional<SmallVector<int64_t>> v = n.intsAttr(name);
    return v ? *v : SmallVector<int64_t>(count, 0);
  };
  SmallVector<int64_t> inAxes = attrOr("scan_input_axes", numScanInputs);
  SmallVector<int64_t> inDirs = attrOr("scan_input_directions", numScanInputs);
  if (static_cast<int64_t>(inAxes.size()) != numScanInputs ||
      static_cast<int64_t>(inDirs.size()) != numScanInputs)
    return n.error("scan_input_axes and scan_input_directions need one entry "
                   "per scan input");

  SmallVector<Value> states, scanInputs;
  for (int64_t i = 0; i < numInputs; ++i) {
    FailureOr<Value> v = n.requiredInput(i);
    if (failed(v))
      return failure();
    (i < numStates ? states : scanInputs).push_back(*v);
  }
  // The sequence length, which every scan input must agree on.
  int64_t length = -1;
  for (auto [j, x] : llvm::enumerate(scanInputs)) {
    auto type = mlir::cast<RankedTensorType>(x.getType());
    std::optional<int64_t> axis = n.normalizeAxis(inAxes[j], type.getRank());
    if (!axis)
      return failure();
    inAxes[j] = *axis;
    int64_t d = type.getDimSize(*axis);
    if (ShapedType::isDynamic(d))
      return n.error("scan input " + Twine(j) +
                     " has a dynamic sequence length");
    if (length >= 0 && d != length)
      return n.error("the scan inputs have different sequence lengths");
    length = d;
  }
  if (length == 0)
    return n.error("an empty sequence is not supported");

  SmallVector<SmallVector<Value>> scanOutputs;
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<Value> bodyInputs(states);
    for (auto [j, x] : llvm::enumerate(scanInputs)) {
      int64_t at = inDirs[j] ? length - 1 - t : t;
      Value slice =
          n.create<SliceOp>(x, ArrayRef<int64_t>{at}, ArrayRef<int64_t>{at + 1},
                            ArrayRef<int64_t>{inAxes[j]}, ArrayRef<int64_t>{1});
      Value element =
          slice ? dropOrInsertDim(n, slice, inAxes[j], false) : Value();
      if (!element)
        return failure();
      bodyInputs.push_back(element);
    }
    FailureOr<SmallVector<Value>> out = n.importSubgraph("body", bodyInputs);
    if (failed(out))
      return failure();
    if (static_cast<int64_t>(out->size()) < numStates)
      return n.error("the body returns fewer values than there are states");
    for (int64_t s = 0; s < numStates; ++s)
      states[s] = (*out)[s];
    scanOutputs.resize(out->size() - numStates);
    for (size_t k = 0; k + numStates < out->size(); ++k)
      scanOutputs[k].push_back((*out)[numStates + k]);
  }
  for (auto [s, v] : llvm::enumerate(states))
    n.setOutput(s, v);

  int64_t numScanOutputs = scanOutputs.size();
  SmallVector<int64_t> outAxes = attrOr("scan_output_axes", numScanOutputs);
  SmallVector<int64_t> outDirs =
      attrOr("scan_output_directions", numScanOutputs);
  if (static_cast<int64_t>(outAxes.size()) != numScanOutputs ||
      static_cast<int64_t>(outDirs.size()) != numScanOutputs)
    return n.error("scan_output_axes and scan_output_directions need one "
                   "entry per scan output");
  for (auto [k, values] : llvm::enumerate(scanOutputs)) {
    int64_t rank =
        mlir::cast<RankedTensorType>(values.front().getType()).getRank();
    std::optional<int64_t> axis = n.normalizeAxis(outAxes[k], rank + 1);
    if (!axis)
      return failure();
    // A reverse scan output is built back to front.
    if (outDirs[k])
      std::reverse(values.begin(), values.end());
    SmallVector<Value> stacked;
    for (Value v : values) {
      Value e = dropOrInsertDim(n, v, *axis, true);
      if (!e)
        return failure();
      stacked.push_back(e);
    }
    Value result = stacked.size() == 1
                       ? stacked.front()
                       : n.create<ConcatOp>(ValueRange(stacked), *axis);
    if (!result)
      return failure();
    n.setOutput(numStates + k, result);
  }
  return success();
}

/// The most iterations a Loop is unrolled to.
static constexpr int64_t kMaxLoopIterations = 4096;

/// The value of a one-element bool constant, if `v` is one.
static std::optional<bool> constantBool(Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || dense.getNumElements() != 1 ||
      !dense.getElementType().isInteger(1))
    return std::nullopt;
  return *dense.getValues<bool>().begin();
}

static LogicalResult convertLoop(NodeImporter &n) {
  // The trip count M and the condition, both optional.
  std::optional<int64_t> tripCount;
  if (n.input(0)) {
    std::optional<SmallVector<int64_t>> c = n.constantInts(0);
    if (!c || c->size() != 1)
      return n.error("the trip count is a run-time value; only a constant "
                     "trip count is supported (the loop is unrolled)");
    tripCount = std::max<int64_t>((*c)[0], 0);
  }
  bool keepGoing = true;
  if (n.input(1)) {
    std::optional<SmallVector<int64_t>> c = n.constantInts(1);
    if (!c || c->size() != 1)
      return n.error("the condition is a run-time value; only a constant "
                     "condition is supported (the loop is unrolled)");
    keepGoing = (*c)[0] != 0;
  }
  // Without a condition input, the body's condition is ignored.
  bool useCondition = n.input(1) != nullptr;
  if (!tripCount && !useCondition)
    return n.error("a loop without a trip count or a condition never ends");
  if (tripCount && *tripCount > kMaxLoopIterations)
    return n.error("the trip count " + Twine(*tripCount) +
                   " is above the unrolling limit of " +
                   Twine(kMaxLoopIterations));

  SmallVector<Value> states;
  for (int64_t i = 2, e = n.node.input_size(); i < e; ++i) {
    FailureOr<Value> v = n.requiredInput(i);
    if (failed(v))
      return failure();
    states.push_back(*v);
  }
  int64_t numStates = states.size();
  Type i64 = n.builder.getI64Type(), i1 = n.builder.getI1Type();
  SmallVector<SmallVector<Value>> scanOutputs;
  int64_t numScanOutputs = -1;
  int64_t iteration = 0;
  for (; keepGoing && (!tripCount || iteration < *tripCount); ++iteration) {
    if (iteration == kMaxLoopIterations)
      return n.error("the loop condition is still true after " +
                     Twine(kMaxLoopIterations) +
                     " iterations, the unrolling limit");
    SmallVector<Value> bodyInputs{n.scalar(iteration, i64),
                                  n.scalar(keepGoing ? 1 : 0, i1)};
    bodyInputs.append(states);
    if (!bodyInputs[0] || !bodyInputs[1])
      return failure();
    FailureOr<SmallVector<Value>> out = n.importSubgraph("body", bodyInputs);
    if (failed(out))
      return failure();
    if (static_cast<int64_t>(out->size()) < 1 + numStates)
      return n.error("the body returns fewer values than the condition and "
                     "the loop-carried values");
    if (useCondition) {
      std::optional<bool> next = constantBool((*out)[0]);
      if (!next)
        return n.error("the body's condition is a run-time value; only a "
                       "condition that is constant after every iteration is "
                       "supported (the loop is unrolled)");
      keepGoing = *next;
    }
    for (int64_t s = 0; s < numStates; ++s)
      states[s] = (*out)[1 + s];
    numScanOutputs = out->size() - 1 - numStates;
    scanOutputs.resize(numScanOutputs);
    for (int64_t k = 0; k < numScanOutputs; ++k)
      scanOutputs[k].push_back((*out)[1 + numStates + k]);
  }
  for (auto [s, v] : llvm::enumerate(states))
    n.setOutput(s, v);
  int64_t numOutputs = n.node.output_size();
  if (numOutputs > numStates && iteration == 0)
    return n.error("the loop runs no iteration, so its scan outputs are "
                   "empty tensors of unknown shape");
  for (auto [k, values] : llvm::enumerate(scanOutputs)) {
    SmallVector<Value> stacked;
    for (Value v : values) {
      Value e = dropOrInsertDim(n, v, 0, true);
      if (!e)
        return failure();
      stacked.push_back(e);
    }
    Value result = stacked.size() == 1
                       ? stacked.front()
                       : n.create<ConcatOp>(ValueRange(stacked), 0);
    if (!result)
      return failure();
    n.setOutput(numStates + k, result);
  }
  return success();
}

void onnx_import::registerControlFlowOps(OpConverterMap &map) {
  map["If"] = convertIf;
  map["Scan"] = convertScan;
  map["Loop"] = convertLoop;
}
