//===- KilnOps.h - kiln dialect operations ----------------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNOPS_H
#define KILN_DIALECT_KILN_IR_KILNOPS_H

#include "kiln/Dialect/Kiln/IR/KilnDialect.h"
#include "kiln/Dialect/Kiln/IR/KilnInterfaces.h"
#include "kiln/Dialect/Kiln/IR/TypeInference.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "kiln/Dialect/Kiln/IR/KilnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnAttrs.h.inc"

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.h.inc"

namespace mlir {
namespace kiln {

/// Infers and sets the result types of a just-created kiln op, then verifies
/// it. On failure the op's errors are reported at its location, the op is
/// erased and null is returned.
Operation *inferTypesAndVerify(Operation *op);

/// Creates `OpTy` from `args` with `numResults` results whose types are
/// inferred. Unlike `OpTy::create` without result types, invalid operands or
/// attributes never abort: the errors are reported and null is returned.
template <typename OpTy, typename... Args>
Operation *createVerified(OpBuilder &builder, Location loc, unsigned numResults,
                          Args &&...args) {
  SmallVector<Type> placeholders(numResults, builder.getNoneType());
  auto op = OpTy::create(builder, loc, TypeRange(placeholders),
                         std::forward<Args>(args)...);
  return inferTypesAndVerify(op.getOperation());
}

} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECT_KILN_IR_KILNOPS_H
