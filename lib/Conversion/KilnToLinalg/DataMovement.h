//===- DataMovement.h - Reshapes and broadcasts for KilnToLinalg -*- C++
//-*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Helpers shared by the static shape ops (ShapeToLinalg.cpp) and their
// run-time-shaped forms (DynamicShapeToLinalg.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_KILNTOLINALG_DATAMOVEMENT_H
#define KILN_LIB_CONVERSION_KILNTOLINALG_DATAMOVEMENT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir {
namespace kiln {

/// Reshapes `input` (row-major, same element count) to `resultType`, whose
/// dims have `sizes`: a `tensor.collapse_shape` or `tensor.expand_shape`
/// where the shapes say unambiguously which dims merge, else a
/// `tensor.reshape` with a shape tensor.
Value reshapeTensor(OpBuilder &b, Location loc, Value input,
                    RankedTensorType resultType, ArrayRef<OpFoldResult> sizes);

/// `tensor.extract_slice` of `source`, or a `tensor.empty` where the slice
/// or the source is statically empty (the verifier rejects every offset
/// into a dim of size 0, and offset `n` into a dim of size `n`).
Value extractSlice(OpBuilder &b, Location loc, Value source,
                   ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
                   ArrayRef<OpFoldResult> strides);

/// How one dim of an operand broadcasts to the result.
enum class BroadcastDim {
  /// The operand's dim is the result's.
  Same,
  /// The operand's dim is 1: every result index reads index 0.
  Expand,
  /// Known only at run time: index 0 if the operand's dim is 1.
  RunTime,
};

/// Broadcasts `input` (aligned on the right) to a tensor of `resultType`
/// with `sizes`, each input dim as `dims` says: a `linalg.generic` whose
/// indexing map broadcasts, or, when some dim is known only at run time,
/// which reads the input with `tensor.extract` at computed indices.
Value broadcastTensor(OpBuilder &b, Location loc, Value input,
                      RankedTensorType resultType, ArrayRef<OpFoldResult> sizes,
                      ArrayRef<BroadcastDim> dims);

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_CONVERSION_KILNTOLINALG_DATAMOVEMENT_H
