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
#include "mlir/IR/Value.h"
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
/// `saturate` is only valid for float8 targets.
LogicalResult inferCast(const ShapeDiag &diag, Type input, Type to,
                        bool saturate, llvm::SmallVectorImpl<Type> &results);
/// kiln.bitcast: the same shape, `to` as wide as the input's element type
/// (i1 counting as 8 bits).
LogicalResult inferBitcast(const ShapeDiag &diag, Type input, Type to,
                           SmallVectorImpl<Type> &results);
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

// Shape computations and run-time shapes (KilnShapeInference.cpp).
LogicalResult inferShapeOf(const ShapeDiag &diag, Type input, int64_t start,
                           int64_t end, llvm::SmallVectorImpl<Type> &results);
LogicalResult inferSizeOf(const ShapeDiag &diag, Type input,
                          llvm::SmallVectorImpl<Type> &results);
LogicalResult inferRange(const ShapeDiag &diag, Type start, Type limit,
                         Type delta, llvm::SmallVectorImpl<Type> &results);
LogicalResult inferConstantOfShape(const ShapeDiag &diag, Type shape,
                                   TypedAttr value,
                                   llvm::SmallVectorImpl<Type> &results);
LogicalResult inferDynamicReshape(const ShapeDiag &diag, Type input, Type shape,
                                  llvm::SmallVectorImpl<Type> &results);
LogicalResult inferDynamicBroadcastTo(const ShapeDiag &diag, Type input,
                                      Type shape,
                                      llvm::SmallVectorImpl<Type> &results);
LogicalResult inferDynamicReduce(const ShapeDiag &diag, Type input, Type axes,
                                 bool keepdims,
                                 llvm::SmallVectorImpl<Type> &results);
/// `bounds` are the types of starts, ends, axes and steps.
LogicalResult inferDynamicSlice(const ShapeDiag &diag, Type input,
                                llvm::ArrayRef<Type> bounds,
                                llvm::SmallVectorImpl<Type> &results);
/// One result per entry of `sizes`, whose length must be static.
LogicalResult inferDynamicSplit(const ShapeDiag &diag, Type input, Type sizes,
                                int64_t axis,
                                llvm::SmallVectorImpl<Type> &results);
LogicalResult inferDynamicSqueeze(const ShapeDiag &diag, Type input, Type axes,
                                  bool unsqueeze,
                                  llvm::SmallVectorImpl<Type> &results);
LogicalResult inferDynamicPad(const ShapeDiag &diag, Type input, Type pads,
                              Type value, llvm::SmallVectorImpl<Type> &results);

//===----------------------------------------------------------------------===//
// Data-movement and indexing ops (IndexingTypeInference.cpp)
//===----------------------------------------------------------------------===//

enum class CoordinateTransform : uint32_t;
enum class AspectRatioPolicy : uint32_t;

/// `roi`, `scales` and `sizes` may be null; each present one is 1-D with an
/// entry per axis (two for `roi`). Constant operands give static sizes.
LogicalResult inferResize(const ShapeDiag &diag, Value input, Value roi,
                          Value scales, Value sizes,
                          llvm::ArrayRef<int64_t> axes,
                          CoordinateTransform transform,
                          AspectRatioPolicy policy,
                          llvm::SmallVectorImpl<Type> &results);
LogicalResult inferGridSample(const ShapeDiag &diag, Type input, Type grid,
                              llvm::SmallVectorImpl<Type> &results);
LogicalResult inferGatherElements(const ShapeDiag &diag, Type data,
                                  Type indices, int64_t axis,
                                  llvm::SmallVectorImpl<Type> &results);
LogicalResult inferScatterElements(const ShapeDiag &diag, Type data,
                                   Type indices, Type updates, int64_t axis,
                                   llvm::SmallVectorImpl<Type> &results);
LogicalResult inferGatherND(const ShapeDiag &diag, Type data, Type indices,
                            int64_t batchDims,
                            llvm::SmallVectorImpl<Type> &results);
LogicalResult inferScatterND(const ShapeDiag &diag, Type data, Type indices,
                             Type updates,
                             llvm::SmallVectorImpl<Type> &results);
LogicalResult inferCompress(const ShapeDiag &diag, Value input, Value condition,
                            int64_t axis, llvm::SmallVectorImpl<Type> &results);
LogicalResult inferNonZero(const ShapeDiag &diag, Type input,
                           llvm::SmallVectorImpl<Type> &results);
LogicalResult inferUnique(const ShapeDiag &diag, Type input,
                          std::optional<int64_t> axis,
                          llvm::SmallVectorImpl<Type> &results);
/// `k` may be null.
LogicalResult inferTrilu(const ShapeDiag &diag, Type input, Type k,
                         llvm::SmallVectorImpl<Type> &results);
/// CumSum and CumProd.
LogicalResult inferScan(const ShapeDiag &diag, Value input, Value axis,
                        llvm::SmallVectorImpl<Type> &results);
LogicalResult inferTopK(const ShapeDiag &diag, Value input, Value k,
                        int64_t axis, llvm::SmallVectorImpl<Type> &results);
LogicalResult inferOneHot(const ShapeDiag &diag, Type indices, Value depth,
                          Type values, int64_t axis,
                          llvm::SmallVectorImpl<Type> &results);
LogicalResult inferTile(const ShapeDiag &diag, Value input, Value repeats,
                        llvm::SmallVectorImpl<Type> &results);
LogicalResult inferReverseSequence(const ShapeDiag &diag, Type input,
                                   Type sequenceLens, int64_t batchAxis,
                                   int64_t timeAxis,
                                   llvm::SmallVectorImpl<Type> &results);

//===- Elementwise extras (ElementwiseExtraInference.cpp) ----------------===//

/// An elementwise predicate: an `i1` tensor of the input's shape.
LogicalResult inferElementPredicate(const ShapeDiag &diag, Type input,
                                    llvm::SmallVectorImpl<Type> &results);

} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECT_KILN_IR_TYPEINFERENCE_H
