//===- Utils.h - Shared helpers of the KilnToLinalg patterns ----*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_KILNTOLINALG_UTILS_H
#define KILN_LIB_CONVERSION_KILNTOLINALG_UTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace kiln {

/// Whether `type` (an element type, or a shaped type's element type) is an
/// unsigned integer type, as kiln writes ONNX's unsigned types. The lowered
/// code is signless, so patterns read signedness from the kiln op's own
/// (unconverted) types.
bool isUnsignedInt(Type type);

/// The converted `RankedTensorType` of a kiln value's type.
RankedTensorType convertedTensorType(const TypeConverter &converter, Type type);

/// The sizes of the dynamic dims of `type`, a result whose dims broadcast
/// from `operands` (numpy style, aligned on the right): each is read with
/// `tensor.dim` from the first operand whose dim there is dynamic. Fails if
/// no operand has one.
FailureOr<SmallVector<Value>> broadcastDynamicDims(OpBuilder &b, Location loc,
                                                   RankedTensorType type,
                                                   ValueRange operands);

/// The indexing map that reads `operand` (broadcast to `result`, aligned on
/// the right) at the result's loop indices: a static dim of 1 that
/// broadcasts reads index 0.
AffineMap broadcastIndexingMap(RankedTensorType operand,
                               RankedTensorType result);

/// `tensor.empty` of `type` with its dynamic dims' sizes.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynamicDims);

/// A scalar constant of `type` (integer or float) holding `value`.
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// Converts `value`, of element type `from` (kiln's, so signedness is
/// known), to `to` with ONNX's Cast semantics: float to integer truncates,
/// integer to float reads the source's signedness, to i1 tests non-zero.
Value castScalar(OpBuilder &b, Location loc, Value value, Type from, Type to);

/// The size of dim `d` of the ranked tensor `value`: an index attribute when
/// static, else a `tensor.dim`.
OpFoldResult dimSize(OpBuilder &b, Location loc, Value value, int64_t d);

/// The sizes of every dim of the ranked tensor `value`.
SmallVector<OpFoldResult> dimSizes(OpBuilder &b, Location loc, Value value);

/// The element count of the ranked tensor `value`: the product of its dims'
/// sizes, constant where they all are.
OpFoldResult numElements(OpBuilder &b, Location loc, Value value);

/// `tensor.empty` of `sizes` (static where they are constant).
Value emptyTensorOfSizes(OpBuilder &b, Location loc,
                         ArrayRef<OpFoldResult> sizes, Type elementType);

/// `linalg.fill` of `tensor` with the scalar `value`.
Value fillTensor(OpBuilder &b, Location loc, Value value, Value tensor);

/// Index arithmetic on `OpFoldResult`s that folds constant operands, so that
/// static shapes stay static.
struct IndexArith {
  OpBuilder &b;
  Location loc;

  Value value(OpFoldResult x) const;
  OpFoldResult add(OpFoldResult x, OpFoldResult y) const;
  OpFoldResult sub(OpFoldResult x, OpFoldResult y) const;
  OpFoldResult mul(OpFoldResult x, OpFoldResult y) const;
  /// Floor division by a positive divisor.
  OpFoldResult floorDiv(OpFoldResult x, OpFoldResult y) const;
  OpFoldResult max(OpFoldResult x, OpFoldResult y) const;
  OpFoldResult index(int64_t v) const { return b.getIndexAttr(v); }
};

/// `value` as a tensor of `type`, with a `tensor.cast` where its type
/// differs (only in how static its dims are).
Value castTo(OpBuilder &b, Location loc, Value value, Type type);

/// A conversion pattern of a kiln op with one ranked-tensor result: converts
/// the result type (failing to match where it is not a ranked tensor), has
/// `lower` build the result, and replaces the op with it, cast to the
/// converted type where it is less static.
template <typename OpTy> struct OneResultPattern : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  /// Builds the op's result, of `resultType` or a less static form of it.
  virtual FailureOr<Value> lower(OpTy op, OpAdaptor adaptor,
                                 RankedTensorType resultType,
                                 ConversionPatternRewriter &rewriter) const = 0;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const final {
    auto resultType =
        convertedTensorType(*this->getTypeConverter(), op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    FailureOr<Value> result = lower(op, adaptor, resultType, rewriter);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, castTo(rewriter, op.getLoc(), *result, resultType));
    return success();
  }
};

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_CONVERSION_KILNTOLINALG_UTILS_H
