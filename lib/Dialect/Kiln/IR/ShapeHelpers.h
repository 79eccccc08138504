//===- ShapeHelpers.h - Helpers shared by the kiln shape functions -*- C++ -*-//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Dialect/Kiln/IR. The small checks that the shape functions
// of TypeInference.cpp, IndexingTypeInference.cpp and KilnShapeInference.cpp
// all use, written once.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_IR_SHAPEHELPERS_H
#define KILN_LIB_DIALECT_KILN_IR_SHAPEHELPERS_H

#include "kiln/Dialect/Kiln/IR/TypeInference.h"

#include "mlir/IR/BuiltinTypes.h"

namespace mlir {
namespace kiln {
namespace shape_helpers {

inline constexpr int64_t kDyn = ShapedType::kDynamic;

/// Returns `type` as a ranked tensor, or reports `what` and returns null.
inline RankedTensorType getRanked(const ShapeDiag &diag, Type type,
                                  StringRef what) {
  auto ranked = dyn_cast_or_null<RankedTensorType>(type);
  if (!ranked)
    (void)diag.error(what, " must be a ranked tensor, got ", type);
  return ranked;
}

/// Merges two dims that must be equal: the static one wins; fails on a
/// static mismatch.
inline LogicalResult mergeDim(const ShapeDiag &diag, int64_t a, int64_t b,
                              int64_t &result, const Twine &what) {
  if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
    return diag.error(what, " mismatch: ", a, " vs ", b);
  result = ShapedType::isDynamic(a) ? b : a;
  return success();
}

} // namespace shape_helpers
} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_DIALECT_KILN_IR_SHAPEHELPERS_H
