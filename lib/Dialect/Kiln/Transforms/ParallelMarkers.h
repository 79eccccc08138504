//===- ParallelMarkers.h - The attributes that carry parallel loops -------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The attribute names that pass a parallel loop from kiln-cpu-tile, which
// marks it, to kiln-outline-parallel, which outlines it into a function over
// a sub-range, and on to kiln-lower-parallel-calls, which calls that function
// through the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_TRANSFORMS_PARALLELMARKERS_H
#define KILN_LIB_DIALECT_KILN_TRANSFORMS_PARALLELMARKERS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
namespace kiln {

/// Marks a loop whose iterations write disjoint memory, so that they may run
/// on several threads (a unit attribute).
inline constexpr StringLiteral kParallelMarker = "kiln.parallel";

/// Marks the call that replaced an outlined parallel loop.
inline constexpr StringLiteral kParallelCall = "kiln.parallel_call";

/// Marks the function an outlined loop became; its value is the loop's step.
inline constexpr StringLiteral kParallelBody = "kiln.parallel_body";

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_DIALECT_KILN_TRANSFORMS_PARALLELMARKERS_H
