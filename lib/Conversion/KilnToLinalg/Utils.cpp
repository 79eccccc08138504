//===- Utils.cpp - Shared helpers of the KilnToLinalg patterns ------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::kiln;

bool mlir::kiln::isUnsignedInt(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  return type.isUnsignedInteger();
}

RankedTensorType mlir::kiln::convertedTensorType(const TypeConverter &converter,
                                                 Type type) {
  return dyn_cast_or_null<RankedTensorType>(converter.convertType(type));
}

FailureOr<SmallVector<Value>>
mlir::kiln::broadcastDynamicDims(OpBuilder &b, Location loc,
                                 RankedTensorType type, ValueRange operands) {
  SmallVector<Value> dims;
  int64_t rank = type.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    if (!type.isDynamicDim(d))
      continue;
    Value size;
    for (Value operand : operands) {
      auto t = cast<RankedTensorType>(operand.getType());
      int64_t od = d - (rank - t.getRank());
      if (od >= 0 && t.isDynamicDim(od)) {
        size = tensor::DimOp::create(b, loc, operand, od);
        break;
      }
    }
    if (!size)
      return failure();
    dims.push_back(size);
  }
  return dims;
}

AffineMap mlir::kiln::broadcastIndexingMap(RankedTensorType operand,
                                           RankedTensorType result) {
  MLIRContext *context = result.getContext();
  int64_t rank = result.getRank(), offset = rank - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < operand.getRank(); ++d) {
    bool broadcasts =
        operand.getDimSize(d) == 1 && result.getDimSize(d + offset) != 1;
    exprs.push_back(broadcasts ? getAffineConstantExpr(0, context)
                               : getAffineDimExpr(d + offset, context));
  }
  return AffineMap::get(rank, 0, exprs, context);
}

Value mlir::kiln::emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                              ValueRange dynamicDims) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamicDims);
}

Value mlir::kiln::scalarConstant(OpBuilder &b, Location loc, Type type,
                                 double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value mlir::kiln::castScalar(OpBuilder &b, Location loc, Value value, Type from,
                             Type to) {
  Type target =
      to.isInteger() ? b.getIntegerType(to.getIntOrFloatBitWidth()) : to;
  Type source = value.getType();
  if (source == target)
    return value;
  bool fromFloat = isa<FloatType>(source), toFloat = isa<FloatType>(target);
  if (fromFloat && toFloat) {
    if (source.getIntOrFloatBitWidth() < target.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, target, value);
    return arith::TruncFOp::create(b, loc, target, value);
  }
  if (target.isInteger(1)) {
    // ONNX: non-zero is true (NaN included).
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   scalarConstant(b, loc, source, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                                 scalarConstant(b, loc, source, 0));
  }
  bool fromUnsigned = from.isUnsignedInteger() || from.isInteger(1);
  if (fromFloat)
    return to.isUnsignedInteger()
               ? arith::FPToUIOp::create(b, loc, target, value).getResult()
               : arith::FPToSIOp::create(b, loc, target, value).getResult();
  if (toFloat)
    return fromUnsigned
               ? arith::UIToFPOp::create(b, loc, target, value).getResult()
               : arith::SIToFPOp::create(b, loc, target, value).getResult();
  unsigned fromWidth = source.getIntOrFloatBitWidth(),
           toWidth = target.getIntOrFloatBitWidth();
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, target, value);
  return fromUnsigned
             ? arith::ExtUIOp::create(b, loc, target, value).getResult()
             : arith::ExtSIOp::create(b, loc, target, value).getResult();
}

OpFoldResult mlir::kiln::dimSize(OpBuilder &b, Location loc, Value value,
                                 int64_t d) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(d))
    return b.getIndexAttr(type.getDimSize(d));
  return tensor::DimOp::create(b, loc, value, d).getResult();
}

SmallVector<OpFoldResult> mlir::kiln::dimSizes(OpBuilder &b, Location loc,
                                               Value value) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0, e = cast<RankedTensorType>(value.getType()).getRank();
       d < e; ++d)
    sizes.push_back(dimSize(b, loc, value, d));
  return sizes;
}

Value mlir::kiln::emptyTensorOfSizes(OpBuilder &b, Location loc,
                                     ArrayRef<OpFoldResult> sizes,
                                     Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value mlir::kiln::fillTensor(OpBuilder &b, Location loc, Value value,
                             Value tensor) {
  return linalg::FillOp::create(b, loc, value, tensor).getResult(0);
}

Value IndexArith::value(OpFoldResult x) const {
  if (auto v = dyn_cast<Value>(x))
    return v;
  return arith::ConstantIndexOp::create(b, loc, *getConstantIntValue(x));
}

OpFoldResult IndexArith::add(OpFoldResult x, OpFoldResult y) const {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return index(*cx + *cy);
  if (cy && *cy == 0)
    return x;
  if (cx && *cx == 0)
    return y;
  return arith::AddIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexArith::sub(OpFoldResult x, OpFoldResult y) const {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return index(*cx - *cy);
  if (cy && *cy == 0)
    return x;
  return arith::SubIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexArith::mul(OpFoldResult x, OpFoldResult y) const {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return index(*cx * *cy);
  if (cy && *cy == 1)
    return x;
  if (cx && *cx == 1)
    return y;
  return arith::MulIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexArith::floorDiv(OpFoldResult x, OpFoldResult y) const {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return index(llvm::divideFloorSigned(*cx, *cy));
  if (cy && *cy == 1)
    return x;
  return arith::FloorDivSIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexArith::max(OpFoldResult x, OpFoldResult y) const {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return index(std::max(*cx, *cy));
  return arith::MaxSIOp::create(b, loc, value(x), value(y)).getResult();
}

Value mlir::kiln::castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

OpFoldResult mlir::kiln::numElements(OpBuilder &b, Location loc, Value value) {
  IndexArith ia{b, loc};
  OpFoldResult count = ia.index(1);
  for (OpFoldResult size : dimSizes(b, loc, value))
    count = ia.mul(count, size);
  return count;
}
