//===- Decompose.h - Building blocks for decomposed ONNX ops ----*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Private to the importer. Helpers for converters that express an ONNX op as
// a graph of existing kiln ops (attention, losses, normalizations, ...).
// Every helper returns null after an error has been reported at the node,
// and accepts null operands (returning null), so a chain of calls needs one
// check at its end.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_IMPORT_ONNX_DECOMPOSE_H
#define KILN_LIB_IMPORT_ONNX_DECOMPOSE_H

#include "NodeImporter.h"

namespace mlir {
namespace kiln {
namespace onnx_import {

/// The ranked type of `v` (null if `v` is null).
RankedTensorType typeOf(Value v);

/// A constant of `shape` and `elementType` holding `values` (one value is
/// splat); integer element types truncate the values.
Value denseConstant(NodeImporter &n, ArrayRef<int64_t> shape, Type elementType,
                    ArrayRef<double> values);

/// A constant of `rank` dimensions, all 1 except `axis` of size `size`,
/// holding 0, 1, ..., size-1.
Value iota(NodeImporter &n, int64_t size, int64_t axis, int64_t rank,
           Type elementType);

/// Reshapes `v` to `shape`, where a dynamic entry must be a dimension that
/// `v` has, dynamic, at the same index (it is copied), or the only other
/// dynamic entry (it is inferred). Reports an error otherwise.
Value reshapeTo(NodeImporter &n, Value v, ArrayRef<int64_t> shape);

/// Inserts size-1 dimensions so that they sit at `axes` of the result
/// (sorted, non-negative).
Value unsqueeze(NodeImporter &n, Value v, ArrayRef<int64_t> axes);

/// The dimensions `from..rank-1`.
SmallVector<int64_t> trailingAxes(int64_t from, int64_t rank);

/// `where(condition, 0, -inf)` in `elementType`: an additive attention or
/// loss mask.
Value additiveMask(NodeImporter &n, Value condition, Type elementType);

/// The 2-D shape {outer, inner} that ONNX's opset < 13 Softmax family
/// coerces a static `shape` to at `axis`: the products of the dimensions
/// before `axis` and of the rest.
SmallVector<int64_t> coercedTo2D(ArrayRef<int64_t> shape, int64_t axis);

/// Fails with an error naming `what` unless `type` has a static shape.
LogicalResult requireStatic(NodeImporter &n, RankedTensorType type,
                            StringRef what);

/// The window attributes of a Conv, ConvTranspose or pooling node with
/// ONNX defaults filled in and `auto_pad` resolved into explicit pads.
struct Window {
  SmallVector<int64_t> kernel, strides, pads, dilations;
};

/// Reads the node's strides, dilations, pads and auto_pad for `input`
/// (N, C, spatial...) and `kernel`; reports an error and fails when they do
/// not fit.
FailureOr<Window> getWindow(NodeImporter &n, RankedTensorType input,
                            ArrayRef<int64_t> kernel);

/// Creates a kiln reduction over `axes`.
template <typename OpTy>
Value reduce(NodeImporter &n, Value v, ArrayRef<int64_t> axes, bool keepdims) {
  if (!v)
    return {};
  return n.create<OpTy>(v, axes, keepdims);
}

/// Creates a binary kiln op; null if either operand is null.
template <typename OpTy> Value binary(NodeImporter &n, Value a, Value b) {
  if (!a || !b)
    return {};
  return n.create<OpTy>(a, b);
}

/// Creates a unary kiln op; null if the operand is null.
template <typename OpTy> Value unary(NodeImporter &n, Value a) {
  if (!a)
    return {};
  return n.create<OpTy>(a);
}

} // namespace onnx_import
} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_IMPORT_ONNX_DECOMPOSE_H
