//===- IndexingUtils.h - Helpers of the indexing lowerings ------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Index helpers shared by IndexingToLinalg.cpp and ResizeToLinalg.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_KILNTOLINALG_INDEXINGUTILS_H
#define KILN_LIB_CONVERSION_KILNTOLINALG_INDEXINGUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace kiln {

/// `value` (an integer, or a float truncated toward zero) as an index.
Value indexOf(OpBuilder &b, Location loc, Value value, bool isUnsigned);

/// The index `i` counted from the end when negative, clamped into
/// [0, size - 1].
Value wrapIndex(OpBuilder &b, Location loc, Value i, Value size);

/// The first element of a rank-0 or rank-1 tensor.
Value extractFirst(OpBuilder &b, Location loc, Value tensor);

/// `sizes` as index values.
SmallVector<Value> indexValues(OpBuilder &b, Location loc,
                               ArrayRef<OpFoldResult> sizes);

/// `linalg.index` of every loop of the enclosing `linalg.generic`.
SmallVector<Value> loopIndices(OpBuilder &b, Location loc, int64_t rank);

/// A `linalg.generic` over a fresh tensor of `sizes`, whose body computes
/// each element from the loop indices.
Value generateTensor(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type elementType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> element);

/// `kiln.resize` and `kiln.grid_sample` (ResizeToLinalg.cpp).
void populateKilnResizeToLinalgPatterns(const TypeConverter &converter,
                                        RewritePatternSet &patterns);

/// `kiln.nonzero` and `kiln.unique` (UniqueToLinalg.cpp).
void populateKilnUniqueToLinalgPatterns(const TypeConverter &converter,
                                        RewritePatternSet &patterns);

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_CONVERSION_KILNTOLINALG_INDEXINGUTILS_H
