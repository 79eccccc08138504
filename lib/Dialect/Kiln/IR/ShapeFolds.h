//===- ShapeFolds.h - Constant folding of small tensors ---------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Private to the kiln IR library: constant folding of the small tensors
// that shape computations produce, shared by KilnFolds.cpp and
// KilnShapeFolds.cpp. Each function returns null when it does not fold.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_IR_SHAPEFOLDS_H
#define KILN_LIB_DIALECT_KILN_IR_SHAPEFOLDS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir {
namespace kiln {

/// Non-splat tensors above this many elements are never folded.
constexpr int64_t kMaxShapeFoldElements = 64;

/// ONNX Cast of a constant to the element type of `resultType`, for
/// integer and f16/bf16/f32/f64 types; null where the value does not fit.
Attribute foldConstantCast(Attribute input, RankedTensorType resultType);

/// Concatenation of constants along `axis`.
Attribute foldConstantConcat(ArrayRef<Attribute> inputs, int64_t axis,
                             RankedTensorType resultType);

/// ONNX Slice of a constant with normalised axes (see kiln.slice).
Attribute foldConstantSlice(Attribute input, ArrayRef<int64_t> starts,
                            ArrayRef<int64_t> ends, ArrayRef<int64_t> axes,
                            ArrayRef<int64_t> steps,
                            RankedTensorType resultType);

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_DIALECT_KILN_IR_SHAPEFOLDS_H
