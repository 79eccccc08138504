//===- LossOps.cpp - ONNX loss functions to kiln --------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, decomposed. The
// class of each element is picked with a one-hot comparison against the
// class indices and a select-and-sum over the class axis, so that targets
// equal to ignore_index (which may be out of range) never index anything.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// The loss of `input` (N, C, d...) of log-probabilities against `target`
/// (N, d...), with the optional per-class `weight` (C).
static Value negativeLogLikelihood(NodeImporter &n, Value input, Value target,
                                   Value weight) {
  RankedTensorType inType = typeOf(input), tType = typeOf(target);
  int64_t rank = inType.getRank();
  if (rank < 2) {
    (void)n.error("the input must have rank at least 2 (N, C, d...)");
    return {};
  }
  if (tType.getRank() != rank - 1) {
    (void)n.error("the target must have rank " + Twine(rank - 1));
    return {};
  }
  if (!isa<IntegerType>(tType.getElementType())) {
    (void)n.error("the target must be an integer tensor");
    return {};
  }
  int64_t classes = inType.getDimSize(1);
  if (ShapedType::isDynamic(classes)) {
    (void)n.error("the class dimension must be static");
    return {};
  }
  Type element = inType.getElementType();
  std::string reduction = n.stringAttr("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    (void)n.error("unknown reduction '" + reduction + "'");
    return {};
  }
  const onnx::AttributeProto *ignoreAttr = n.attr("ignore_index");

  // onehot[n, c, d...] = target[n, d...] == c.
  Value classIds = iota(n, classes, 1, rank, tType.getElementType());
  Value onehot = binary<EqualOp>(n, unsqueeze(n, target, {1}), classIds);
  Value zero = n.scalar(0.0, element);
  auto pick = [&](Value perClass) -> Value {
    if (!onehot || !perClass || !zero)
      return {};
    Value selected = n.create<WhereOp>(onehot, perClass, zero);
    return reduce<ReduceSumOp>(n, selected, {1}, false);
  };
  Value loss = unary<NegOp>(n, pick(input));

  // Per-element weights; ignored elements weigh 0 and lose nothing.
  Value w;
  if (weight) {
    if (typeOf(weight).getRank() != 1 ||
        typeOf(weight).getElementType() != element) {
      (void)n.error("the weight must be a 1-D tensor of the input's type");
      return {};
    }
    // (C) -> (1, C, 1...).
    SmallVector<int64_t> axes = trailingAxes(2, rank);
    axes.insert(axes.begin(), 0);
    w = pick(unsqueeze(n, weight, axes));
    if (!w)
      return {};
  }
  Value valid;
  if (ignoreAttr) {
    valid = unary<NotOp>(n, binary<EqualOp>(n, target,
                                            n.scalar(double(ignoreAttr->i()),
                                                     tType.getElementType())));
    if (!valid)
      return {};
    loss = loss ? n.create<WhereOp>(valid, loss, zero) : Value();
    if (w) {
      w = n.create<WhereOp>(valid, w, zero);
    } else {
      Value one = n.scalar(1.0, element);
      w = one ? n.create<WhereOp>(valid, one, zero) : Value();
    }
  }
  if (weight)
    loss = binary<MulOp>(n, loss, w);
  if (!loss)
    return {};

  SmallVector<int64_t> all = trailingAxes(0, rank - 1);
  if (reduction == "none")
    return loss;
  if (reduction == "sum")
    return reduce<ReduceSumOp>(n, loss, all, false);
  if (!w)
    return reduce<ReduceMeanOp>(n, loss, all, false);
  return binary<DivOp>(n, reduce<ReduceSumOp>(n, loss, all, false),
                       reduce<ReduceSumOp>(n, w, all, false));
}

static LogicalResult convertNegativeLogLikelihoodLoss(NodeImporter &n) {
  FailureOr<Value> input = n.requiredInput(0), target = n.requiredInput(1);
  if (failed(input) || failed(target))
    return failure();
  return n.finish(negativeLogLikelihood(n, *input, *target, n.input(2)));
}

static LogicalResult convertSoftmaxCrossEntropyLoss(NodeImporter &n) {
  FailureOr<Value> scores = n.requiredInput(0), target = n.requiredInput(1);
  if (failed(scores) || failed(target))
    return failure();
  if (typeOf(*scores).getRank() < 2)
    return n.error("the scores must have rank at least 2 (N, C, d...)");
  Value logProb = n.create<LogSoftmaxOp>(*scores, int64_t(1));
  if (!logProb)
    return failure();
  n.setOutput(1, logProb);
  return n.finish(negativeLogLikelihood(n, logProb, *target, n.input(2)));
}

void onnx_import::registerLossOps(OpConverterMap &map) {
  map["NegativeLogLikelihoodLoss"] = convertNegativeLogLikelihoodLoss;
  map["SoftmaxCrossEntropyLoss"] = convertSoftmaxCrossEntropyLoss;
}
