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

/// `kiln.matmul`, as `linalg.matmul` / `linalg.batch_matmul` or a
/// `linalg.generic` (vectors, broadcast batch dims).
void populateKilnMatMulToLinalgPatterns(const TypeConverter &converter,
                                        RewritePatternSet &patterns);

/// `kiln.conv` and `kiln.conv_transpose`, as linalg convolutions or
/// `linalg.generic`.
void populateKilnConvolutionToLinalgPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns);

/// Max, average and global pooling, as `linalg.pooling_*` or
/// `linalg.generic`.
void populateKilnPoolingToLinalgPatterns(const TypeConverter &converter,
                                         RewritePatternSet &patterns);

/// `kiln.batch_norm` and `kiln.layer_norm`, as `linalg.generic`.
void populateKilnNormalizationToLinalgPatterns(const TypeConverter &converter,
                                               RewritePatternSet &patterns);

/// The `kiln.reduce_*` ops, `kiln.argmax` / `kiln.argmin` and
/// `kiln.softmax` / `kiln.log_softmax`, as `linalg.generic` reductions.
void populateKilnReductionToLinalgPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns);

/// Reshape, transpose, concat, split, slice, gather, pad and broadcast_to,
/// as tensor ops, `linalg.transpose` and `linalg.generic`.
void populateKilnShapeToLinalgPatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns);

/// The ops of KilnShapeOps.td (`kiln.shape`, `kiln.size`, `kiln.range`,
/// `kiln.constant_of_shape` and the `kiln.dynamic_*` ops).
void populateKilnDynamicShapeToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns);

/// The ops of KilnIndexingOps.td (resize, gather/scatter by index, trilu,
/// scans, top-k, compress, one-hot, tile, reverse_sequence), as
/// `linalg.generic` and `scf.for` nests over tensors.
void populateKilnIndexingToLinalgPatterns(const TypeConverter &converter,
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
