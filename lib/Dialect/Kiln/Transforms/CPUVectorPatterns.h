//===- CPUVectorPatterns.h - Vector rewrites of the CPU strategies -*- C++
//-*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Rewrites that kiln-cpu-vectorize applies to the vector code of the
// non-contraction strategies: strided reads as contiguous reads and a
// shuffle, and math functions as polynomials.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_TRANSFORMS_CPUVECTORPATTERNS_H
#define KILN_LIB_DIALECT_KILN_TRANSFORMS_CPUVECTORPATTERNS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace kiln {

/// Adds the pattern that reads a vector of a tensor slice whose innermost
/// stride is small (a stride-2 window's taps) as one contiguous vector of
/// the sliced tensor, `stride` times as wide, and keeps every `stride`-th
/// lane with a shuffle: a strided read otherwise becomes one load per lane.
void populateDeinterleaveStridedReadPatterns(RewritePatternSet &patterns);

/// The indexing maps of a matmul (m, n, k) whose left-hand side is read
/// transposed, (k, m): a block of a packed left-hand side.
SmallVector<AffineMap> transposedLhsMatmulMaps(MLIRContext *context);

/// One-column register tiles over a left-hand side read transposed become
/// FMAs along the rows (see ColumnContractionAsFMA).
void populateColumnContractionPatterns(RewritePatternSet &patterns);

/// Replaces the f32 vector math functions that have no vector instruction
/// (exp, erf, tanh, log) in `root` by polynomial approximations, so that they
/// stay vectors instead of becoming one libm call per lane. Scalar math is
/// left to libm.
LogicalResult approximateVectorMath(Operation *root);

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_DIALECT_KILN_TRANSFORMS_CPUVECTORPATTERNS_H
