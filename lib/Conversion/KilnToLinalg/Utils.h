//===- Utils.h - Shared helpers of the KilnToLinalg patterns ----*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_KILNTOLINALG_UTILS_H
#define KILN_LIB_CONVERSION_KILNTOLINALG_UTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace kiln {

/// Whether `type` (an element type, or a shaped type's element type) is an
/// unsigned integer type, as kiln writes ONNX's unsigned types. The lowered
/// code is signless, so patterns read signedness from the kiln op's own
/// (unconverted) types.
bool isUnsignedInt(Type type);

/// The converted `RankedTensorType` of a kiln value's type.
RankedTensorType convertedTensorType(const TypeConverter &converter, Type type);

/// The sizes of the dynamic dims of `type`, a result whose dims broadcast
/// from `operands` (numpy style, aligned on the right): each is read with
/// `tensor.dim` from the first operand whose dim there is dynamic. Fails if
/// no operand has one.
FailureOr<SmallVector<Value>> broadcastDynamicDims(OpBuilder &b, Location loc,
                                                   RankedTensorType type,
                                                   ValueRange operands);

/// The indexing map that reads `operand` (broadcast to `result`, aligned on
/// the right) at the result's loop indices: a static dim of 1 that
/// broadcasts reads index 0.
AffineMap broadcastIndexingMap(RankedTensorType operand,
                               RankedTensorType result);

/// `tensor.empty` of `type` with its dynamic dims' sizes.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynamicDims);

/// A scalar constant of `type` (integer or float) holding `value`.
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// Converts `value`, of element type `from` (kiln's, so signedness is
/// known), to `to` with ONNX's Cast semantics: float to integer truncates,
/// integer to float reads the source's signedness, to i1 tests non-zero.
Value castScalar(OpBuilder &b, Location loc, Value value, Type from, Type to);

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_CONVERSION_KILNTOLINALG_UTILS_H
