//===- KilnOps.cpp - kiln dialect operations ------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The op classes generated from KilnOps.td. Shape rules live in
// TypeInference.cpp, folders in KilnFolds.cpp and rewrite patterns in
// KilnCanonicalize.cpp.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::kiln;

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.cpp.inc"

Operation *mlir::kiln::inferTypesAndVerify(Operation *op) {
  auto iface = cast<InferTypeOpInterface>(op);
  SmallVector<Type> types;
  if (failed(iface.inferReturnTypes(op->getContext(), op->getLoc(),
                                    op->getOperands(), op->getAttrDictionary(),
                                    op->getPropertiesStorage(),
                                    op->getRegions(), types)) ||
      types.size() != op->getNumResults()) {
    op->erase();
    return nullptr;
  }
  for (auto [value, type] : llvm::zip_equal(op->getResults(), types))
    value.setType(type);
  if (failed(verify(op))) {
    op->erase();
    return nullptr;
  }
  return op;
}
