//===- KilnFolds.cpp - Folders of the kiln ops ----------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Folds that are obviously right: identities (x+0, x*1, a reshape or
// transpose that changes nothing) and constant folding of small arithmetic,
// which is mostly shape computation. A fold never changes a value's type.
//
//===----------------------------------------------------------------------===//

#include "ShapeFolds.h"

#include "kiln/Dialect/Kiln/IR/ConstantData.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;
using namespace mlir::kiln;

/// Constant folding is limited to tensors this small so that folding never
/// bloats the IR with large materialised constants.
static constexpr int64_t kMaxFoldElements = 4096;

/// Returns `value` if it is the result of folding to itself and has
/// `resultType`, so that no fold ever changes a type.
static OpFoldResult foldTo(Value value, Type resultType) {
  return value.getType() == resultType ? value : OpFoldResult();
}

/// True if `attr` is a splat constant equal to `constant` (0 or 1).
static bool isSplatOf(Attribute attr, int64_t constant) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  Type element = dense.getElementType();
  if (isa<FloatType>(element))
    return dense.getSplatValue<APFloat>().isExactlyValue(constant);
  if (isa<IntegerType>(element))
    return dense.getSplatValue<APInt>() == constant;
  return false;
}

using IntFn = function_ref<std::optional<APInt>(const APInt &, const APInt &)>;
using FloatFn = function_ref<APFloat(const APFloat &, const APFloat &)>;

/// Folds an elementwise binary op over two constants whose shapes equal the
/// (static) result shape or are splats.
static Attribute foldBinaryConstants(Attribute lhsAttr, Attribute rhsAttr,
                                     Type resultType, IntFn intFn,
                                     FloatFn floatFn) {
  auto lhs = dyn_cast_or_null<DenseElementsAttr>(lhsAttr);
  auto rhs = dyn_cast_or_null<DenseElementsAttr>(rhsAttr);
  auto type = dyn_cast<RankedTensorType>(resultType);
  if (!lhs || !rhs || !type || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldElements)
    return {};
  for (DenseElementsAttr operand : {lhs, rhs})
    if (!operand.isSplat() && operand.getType().getShape() != type.getShape())
      return {};
  int64_t count = lhs.isSplat() && rhs.isSplat() ? 1 : type.getNumElements();
  if (isa<IntegerType>(type.getElementType())) {
    SmallVector<APInt> values;
    auto l = lhs.getValues<APInt>();
    auto r = rhs.getValues<APInt>();
    for (int64_t i = 0; i < count; ++i) {
      std::optional<APInt> v =
          intFn(l[lhs.isSplat() ? 0 : i], r[rhs.isSplat() ? 0 : i]);
      if (!v)
        return {};
      values.push_back(*v);
    }
    if (count == 1)
      return DenseElementsAttr::get(type, values.front());
    return DenseElementsAttr::get(type, values);
  }
  if (isa<FloatType>(type.getElementType())) {
    SmallVector<APFloat> values;
    auto l = lhs.getValues<APFloat>();
    auto r = rhs.getValues<APFloat>();
    for (int64_t i = 0; i < count; ++i)
      values.push_back(
          floatFn(l[lhs.isSplat() ? 0 : i], r[rhs.isSplat() ? 0 : i]));
    if (count == 1)
      return DenseElementsAttr::get(type, values.front());
    return DenseElementsAttr::get(type, values);
  }
  return {};
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult IdentityOp::fold(FoldAdaptor) {
  return foldTo(getInput(), getType());
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = foldTo(getInput(), getType()))
    return r;
  return foldConstantCast(adaptor.getInput(), getType());
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0))
    if (OpFoldResult r = foldTo(getLhs(), getType()))
      return r;
  if (isSplatOf(adaptor.getLhs(), 0))
    if (OpFoldResult r = foldTo(getRhs(), getType()))
      return r;
  return foldBinaryConstants(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        return a + b;
      },
      [](const APFloat &a, const APFloat &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0))
    if (OpFoldResult r = foldTo(getLhs(), getType()))
      return r;
  return foldBinaryConstants(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        return a - b;
      },
      [](const APFloat &a, const APFloat &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    if (OpFoldResult r = foldTo(getLhs(), getType()))
      return r;
  if (isSplatOf(adaptor.getLhs(), 1))
    if (OpFoldResult r = foldTo(getRhs(), getType()))
      return r;
  return foldBinaryConstants(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        return a * b;
      },
      [](const APFloat &a, const APFloat &b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    if (OpFoldResult r = foldTo(getLhs(), getType()))
      return r;
  bool isBool = getType().getElementType().isInteger(1);
  return foldBinaryConstants(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [&](const APInt &a, const APInt &b) -> std::optional<APInt> {
        // Division by zero, and the one overflowing case, stay unfolded.
        if (isBool || b.isZero() || (a.isMinSignedValue() && b.isAllOnes()))
          return std::nullopt;
        return a.sdiv(b);
      },
      [](const APFloat &a, const APFloat &b) { return a / b; });
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  // Equal types mean the same shape: every dynamic result dim is either
  // copied or the one inferred dim, which the element count determines.
  if (OpFoldResult r = foldTo(getInput(), getType()))
    return r;
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (dense && getType().hasStaticShape() &&
      (dense.isSplat() || dense.getNumElements() <= kMaxFoldElements))
    return dense.reshape(getType());
  return {};
}

std::optional<ArrayRef<char>> mlir::kiln::rawElements(Attribute attr) {
  auto elements = dyn_cast_or_null<ElementsAttr>(attr);
  if (!elements)
    return std::nullopt;
  Type element = elements.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

ElementsAttr mlir::kiln::makeConstant(ShapedType type, ArrayRef<char> bytes,
                                      StringRef name) {
  if (type.getNumElements() <= 64)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t));
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

/// Transposes a constant at compile time (weights of a Gemm with transB, a
/// MatMul with a transposed weight), so that no call repeats it.
static ElementsAttr foldConstantTranspose(Attribute input,
                                          RankedTensorType resultType,
                                          ArrayRef<int64_t> perm) {
  std::optional<ArrayRef<char>> data = rawElements(input);
  if (!data || !resultType.hasStaticShape())
    return {};
  auto inType = cast<ShapedType>(cast<ElementsAttr>(input).getType());
  int64_t rank = inType.getRank();
  int64_t count = inType.getNumElements();
  size_t width = inType.getElementTypeBitWidth() / 8;
  if (data->size() != size_t(count) * width)
    return {};
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * inType.getDimSize(d + 1);
  ArrayRef<int64_t> outShape = resultType.getShape();
  std::vector<char> out(data->size());
  SmallVector<int64_t> index(rank, 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t source = 0;
    for (int64_t d = 0; d < rank; ++d)
      source += index[d] * inStrides[perm[d]];
    std::memcpy(out.data() + flat * width, data->data() + source * width,
                width);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return makeConstant(resultType, out, "transposed");
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool isIdentity = llvm::all_of(llvm::enumerate(perm), [](auto it) {
    return static_cast<int64_t>(it.index()) == it.value();
  });
  if (isIdentity)
    if (OpFoldResult r = foldTo(getInput(), getType()))
      return r;
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (dense && dense.isSplat() && getType().hasStaticShape())
    return dense.resizeSplat(getType());
  if (ElementsAttr folded =
          foldConstantTranspose(adaptor.getInput(), getType(), perm))
    return folded;
  return {};
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return foldTo(getInputs().front(), getType());
  return foldConstantConcat(llvm::to_vector(adaptor.getInputs()), getAxis(),
                            getType());
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  // A slice that keeps every element of every sliced axis in order.
  auto inType = cast<RankedTensorType>(getInput().getType());
  bool keepsAll = true;
  for (auto [axis, step] : llvm::zip(getAxes(), getSteps()))
    if (step != 1 || inType.isDynamicDim(axis) ||
        getType().getDimSize(axis) != inType.getDimSize(axis))
      keepsAll = false;
  if (keepsAll)
    return foldTo(getInput(), getType());
  return foldConstantSlice(adaptor.getInput(), getStarts(), getEnds(),
                           getAxes(), getSteps(), getType());
}

OpFoldResult PadOp::fold(FoldAdaptor) {
  if (llvm::all_of(getPads(), [](int64_t p) { return p == 0; }))
    return foldTo(getInput(), getType());
  return {};
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  // Equal types mean every shape entry kept the input's dimension.
  if (OpFoldResult r = foldTo(getInput(), getType()))
    return r;
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (dense && dense.isSplat() && getType().hasStaticShape())
    return dense.resizeSplat(getType());
  return {};
}
