//===- TypeInference.h - Shape functions of the kiln ops --------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The shape and type rules of every kiln op, written once. Each op's
// `inferReturnTypes` calls one of these functions; the verifier runs the
// same function through InferTypeOpInterface, so verification and inference
// can never disagree. Each function reports what is wrong through `diag`
// (when it has a location) and returns failure.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_TYPEINFERENCE_H
#define KILN_DIALECT_KILN_IR_TYPEINFERENCE_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeRange.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir {
namespace kiln {

enum class PadMode : uint32_t;

/// Where a shape function reports errors: the op's location (absent when
/// inference runs without one) and its name, so messages read like
/// `emitOpError` ones.
struct ShapeDiag {
  std::optional<Location> location;
  llvm::StringRef opName;

  /// Emits "'<op>' op <args...>" at the location, if any; returns failure.
  template <typename... Args> LogicalResult error(Args &&...args) const {
    return emitOptionalError(location, "'", opName, "' op ",
                             std::forward<Args>(args)...);
  }
};

/// Formats a shape as `2x?x3` (a scalar as `scalar`).
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// True if `declared` may stand for `inferred`: same count, ranked tensors of
/// the same element type and rank whose dimensions agree wherever both are
/// static.
bool areCompatibleResultTypes(TypeRange inferred, TypeRange declared);

/// Numpy broadcast of two shapes (dynamic dims allowed); fails on a static
/// mismatch.
LogicalResult broadcastShapes(const ShapeDiag &diag, llvm::ArrayRef<int64_t> a,
                              llvm::ArrayRef<int64_t> b,
                              llvm::SmallVectorImpl<int64_t> &result);

/// Fails unless 0 <= axis < rank of `type`.
LogicalResult checkAxis(const ShapeDiag &diag, RankedTensorType type,
                        int64_t axis);

LogicalResult inferSameType(const ShapeDiag &diag, Type input,
                            llvm::SmallVectorImpl<Type> &results);
LogicalResult inferConstant(const ShapeDiag &diag, ElementsAttr value,
                            llvm::SmallVectorImpl<Type> &results);
LogicalResult inferBroadcastBinary(const ShapeDiag &diag, Type lhs, Type rhs,
                                   bool comparison,
                                   llvm::SmallVectorImpl<Type> &results);
LogicalResult inferClip(const ShapeDiag &diag, Type input,
                        std::optional<llvm::APFloat> min,
                        std::optional<llvm::APFloat> max,
                        llvm::SmallVectorImpl<Type> &results);
LogicalResult inferCast(const ShapeDiag &diag, Type input, Type to,
                        llvm::SmallVectorImpl<Type> &results);
LogicalResult inferWhere(const ShapeDiag &diag, Type condition, Type x, Type y,
                         llvm::SmallVectorImpl<Type> &results);
LogicalResult inferMatMul(const ShapeDiag &diag, Type lhs, Type rhs,
                          llvm::SmallVectorImpl<Type> &results);
LogicalResult inferConv(const ShapeDiag &diag, Type input, Type weight,
                        Type bias, llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> pads,
                        llvm::ArrayRef<int64_t> dilations, int64_t group,
                        llvm::SmallVectorImpl<Type> &results);
LogicalResult inferConvTranspose(const ShapeDiag &diag, Type input, Type weight,
                                 Type bias, llvm::ArrayRef<int64_t> strides,
                                 llvm::ArrayRef<int64_t> pads,
                                 llvm::ArrayRef<int64_t> dilations,
                                 llvm::ArrayRef<int64_t> outputPadding,
                                 int64_t group,
                                 llvm::SmallVectorImpl<Type> &results);
LogicalResult inferPool(const ShapeDiag &diag, Type input,
                        llvm::ArrayRef<int64_t> kernelShape,
                        llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> pads,
                        llvm::ArrayRef<int64_t> dilations, bool ceilMode,
                        llvm::SmallVectorImpl<Type> &results);
LogicalResult inferGlobalPool(const ShapeDiag &diag, Type input,
                              llvm::SmallVectorImpl<Type> &results);
LogicalResult inferBatchNorm(const ShapeDiag &diag, Type input,
                             llvm::ArrayRef<Type> params,
                             llvm::SmallVectorImpl<Type> &results);
LogicalResult inferLayerNorm(const ShapeDiag &diag, Type input, Type scale,
                             Type bias, int64_t axis,
                             llvm::SmallVectorImpl<Type> &results);
LogicalResult inferReduce(const ShapeDiag &diag, Type input,
                          llvm::ArrayRef<int64_t> axes, bool keepdims,
                          llvm::SmallVectorImpl<Type> &results);
LogicalResult inferArgReduce(const ShapeDiag &diag, Type input, int64_t axis,
                             bool keepdims,
                             llvm::SmallVectorImpl<Type> &results);
LogicalResult inferReshape(const ShapeDiag &diag, Type input,
                           llvm::ArrayRef<int64_t> shape,
                           llvm::SmallVectorImpl<Type> &results);
LogicalResult inferTranspose(const ShapeDiag &diag, Type input,
                             llvm::ArrayRef<int64_t> perm,
                             llvm::SmallVectorImpl<Type> &results);
LogicalResult inferConcat(const ShapeDiag &diag, TypeRange inputs, int64_t axis,
                          llvm::SmallVectorImpl<Type> &results);
LogicalResult inferSplit(const ShapeDiag &diag, Type input, int64_t axis,
                         llvm::ArrayRef<int64_t> sizes,
                         llvm::SmallVectorImpl<Type> &results);
LogicalResult
inferSlice(const ShapeDiag &diag, Type input, llvm::ArrayRef<int64_t> starts,
           llvm::ArrayRef<int64_t> ends, llvm::ArrayRef<int64_t> axes,
           llvm::ArrayRef<int64_t> steps, llvm::SmallVectorImpl<Type> &results);
LogicalResult inferGather(const ShapeDiag &diag, Type data, Type indices,
                          int64_t axis, llvm::SmallVectorImpl<Type> &results);
LogicalResult inferPad(const ShapeDiag &diag, Type input, PadMode mode,
                       llvm::ArrayRef<int64_t> pads,
                       llvm::SmallVectorImpl<Type> &results);
LogicalResult inferBroadcastTo(const ShapeDiag &diag, Type input,
                               llvm::ArrayRef<int64_t> shape,
                               llvm::SmallVectorImpl<Type> &results);

/// The size of one sliced dimension under ONNX `Slice` clamping, or
/// ShapedType::kDynamic if `dim` is dynamic.
int64_t slicedDimSize(int64_t dim, int64_t start, int64_t end, int64_t step);

} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECT_KILN_IR_TYPEINFERENCE_H
