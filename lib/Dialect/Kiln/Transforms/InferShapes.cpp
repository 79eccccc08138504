//===- InferShapes.cpp - Refine kiln result types -------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNINFERSHAPESPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

/// The more static of two compatible ranked tensor types.
static Type refine(Type current, Type inferred) {
  auto cur = dyn_cast<RankedTensorType>(current);
  auto inf = dyn_cast<RankedTensorType>(inferred);
  if (!cur || !inf || cur.getRank() != inf.getRank())
    return current;
  SmallVector<int64_t> shape(cur.getShape());
  for (auto [d, i] : llvm::zip(shape, inf.getShape()))
    if (ShapedType::isDynamic(d))
      d = i;
  return cur.clone(shape);
}

namespace {
struct KilnInferShapesPass
    : public kiln::impl::KilnInferShapesPassBase<KilnInferShapesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    WalkResult result = func.walk([&](Operation *op) -> WalkResult {
      if (!isa<KilnDialect>(op->getDialect()))
        return WalkResult::advance();
      auto infer = dyn_cast<InferTypeOpInterface>(op);
      if (!infer)
        return WalkResult::advance();
      SmallVector<Type> inferred;
      if (failed(infer.inferReturnTypes(
              op->getContext(), op->getLoc(), op->getOperands(),
              op->getAttrDictionary(), op->getPropertiesStorage(),
              op->getRegions(), inferred)))
        return WalkResult::interrupt();
      for (auto [value, type] : llvm::zip(op->getResults(), inferred)) {
        Type refined = refine(value.getType(), type);
        if (refined != value.getType()) {
          value.setType(refined);
          ++numRefined;
        }
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();

    // Keep the signature in step with what the function returns.
    func.walk([&](func::ReturnOp ret) {
      FunctionType type = func.getFunctionType();
      if (TypeRange(ret.getOperandTypes()) != type.getResults())
        func.setType(FunctionType::get(&getContext(), type.getInputs(),
                                       ret.getOperandTypes()));
    });
  }
};
} // namespace
