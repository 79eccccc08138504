//===- KilnToLinalg.h - Lowering kiln to linalg -----------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The patterns of the KilnToLinalg conversion, one populate function per op
// family (one file each in lib/Conversion/KilnToLinalg/).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H
#define KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace kiln {

/// Converts kiln's types to those linalg and arith take: tensors of unsigned
/// integers become tensors of signless integers of the same width; every
/// other type is kept.
class KilnToLinalgTypeConverter : public TypeConverter {
public:
  KilnToLinalgTypeConverter();
};

/// Elementwise ops (unary, binary with broadcasting, where, cast, clip and
/// the activations) as `linalg.generic`.
void populateKilnElementwiseToLinalgPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns);

/// `kiln.constant`, as `arith.constant`.
void populateKilnConstantToArithPatterns(const TypeConverter &converter,
                                         RewritePatternSet &patterns);

/// Every family's patterns.
void populateKilnToLinalgPatterns(const TypeConverter &converter,
                                  RewritePatternSet &patterns);

} // namespace kiln
} // namespace mlir

#endif // KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H
