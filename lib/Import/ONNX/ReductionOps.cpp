//===- ReductionOps.cpp - ONNX reductions to kiln -------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Reduce* ops. The axes moved from an attribute to an input in opset
/// `axesInputSince` (13 for ReduceSum, 18 for the others); an empty axes
/// list reduces everything unless `noop_with_empty_axes` is set. Axes known
/// only at run time give kiln.dynamic_reduce of `kind`.
template <typename OpTy>
static LogicalResult convertReduce(NodeImporter &n, int64_t axesInputSince,
                                   ReduceKind kind) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  std::optional<SmallVector<int64_t>> axes;
  if (n.opset >= axesInputSince && n.input(1)) {
    axes = n.constantInts(1);
    if (!axes)
      return n.finish(n.create<DynamicReduceOp>(
          kind, *x, n.input(1), n.intAttr("keepdims", 1) != 0,
          n.intAttr("noop_with_empty_axes", 0) != 0));
  } else if (n.opset < axesInputSince) {
    axes = n.intsAttr("axes");
  }
  SmallVector<int64_t> normalized;
  if (!axes || axes->empty()) {
    if (n.intAttr("noop_with_empty_axes", 0) != 0) {
      // Reducing no axis still applies the per-element part (x^2, |x|,
      // log) of the reductions that have one.
      if (kind == ReduceKind::Sum || kind == ReduceKind::Mean ||
          kind == ReduceKind::Max || kind == ReduceKind::Min ||
          kind == ReduceKind::Prod) {
        n.setOutput(0, *x);
        return success();
      }
    } else {
      for (int64_t i = 0; i < rank; ++i)
        normalized.push_back(i);
    }
  } else {
    for (int64_t a : *axes) {
      std::optional<int64_t> axis = n.normalizeAxis(a, rank);
      if (!axis)
        return failure();
      normalized.push_back(*axis);
    }
    llvm::sort(normalized);
    normalized.erase(std::unique(normalized.begin(), normalized.end()),
                     normalized.end());
  }
  Value y = n.create<OpTy>(*x, normalized, n.intAttr("keepdims", 1) != 0);
  if (kind == ReduceKind::LogSum && y)
    y = n.create<LogOp>(y);
  return n.finish(y);
}

template <typename OpTy>
static LogicalResult convertArgReduce(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  std::optional<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (!axis)
    return failure();
  Value y = n.create<OpTy>(*x, *axis, n.intAttr("keepdims", 1) != 0,
                           n.intAttr("select_last_index", 0) != 0);
  return n.finish(y);
}

void onnx_import::registerReductionOps(OpConverterMap &map) {
  auto add = [&](StringRef name, OpConverter converter) {
    map[name] = std::move(converter);
  };
  add("ReduceSum", [](NodeImporter &n) {
    return convertReduce<ReduceSumOp>(n, 13, ReduceKind::Sum);
  });
  add("ReduceMean", [](NodeImporter &n) {
    return convertReduce<ReduceMeanOp>(n, 18, ReduceKind::Mean);
  });
  add("ReduceMax", [](NodeImporter &n) {
    return convertReduce<ReduceMaxOp>(n, 18, ReduceKind::Max);
  });
  add("ReduceMin", [](NodeImporter &n) {
    return convertReduce<ReduceMinOp>(n, 18, ReduceKind::Min);
  });
  add("ReduceProd", [](NodeImporter &n) {
    return convertReduce<ReduceProdOp>(n, 18, ReduceKind::Prod);
  });
  add("ReduceSumSquare", [](NodeImporter &n) {
    return convertReduce<ReduceSumSquareOp>(n, 18, ReduceKind::SumSquare);
  });
  add("ReduceL1", [](NodeImporter &n) {
    return convertReduce<ReduceL1Op>(n, 18, ReduceKind::L1);
  });
  add("ReduceL2", [](NodeImporter &n) {
    return convertReduce<ReduceL2Op>(n, 18, ReduceKind::L2);
  });
  add("ReduceLogSumExp", [](NodeImporter &n) {
    return convertReduce<ReduceLogSumExpOp>(n, 18, ReduceKind::LogSumExp);
  });
  add("ReduceLogSum", [](NodeImporter &n) {
    return convertReduce<ReduceSumOp>(n, 18, ReduceKind::LogSum);
  });
  add("ArgMax", convertArgReduce<ArgMaxOp>);
  add("ArgMin", convertArgReduce<ArgMinOp>);
}
