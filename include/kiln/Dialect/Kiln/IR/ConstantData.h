//===- ConstantData.h - The bytes of kiln constants -------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Folds that compute new weights at compile time (a transposed weight, a
// convolution with a batch normalisation folded in) read constants as raw
// bytes and make new ones, inline when small and as resource blobs (like
// the importer's weights) otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_CONSTANTDATA_H
#define KILN_DIALECT_KILN_IR_CONSTANTDATA_H

#include "mlir/IR/BuiltinAttributes.h"

#include <optional>

namespace mlir {
namespace kiln {

/// The bytes of a constant stored element by element in whole bytes, or
/// nullopt (splats, bit-packed booleans, blobs not loaded).
std::optional<ArrayRef<char>> rawElements(Attribute attr);

/// A constant of `type` holding `bytes`: inline when small, else a blob
/// named after `name`.
ElementsAttr makeConstant(ShapedType type, ArrayRef<char> bytes,
                          StringRef name);

} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECT_KILN_IR_CONSTANTDATA_H
