//===- TrainingBuilder.h - Kiln ops for losses and optimizers ---*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Dialect/Kiln/Transforms. kiln-add-loss and kiln-optimizer
// build their computations through a TrainingBuilder, which infers and
// verifies every op it creates (errors are reported at the op's location)
// and remembers a failure: after one, every helper returns null, so that a
// computation is written straight through and checked once at the end.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_TRANSFORMS_TRAININGBUILDER_H
#define KILN_LIB_DIALECT_KILN_TRANSFORMS_TRAININGBUILDER_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir {
namespace kiln {

/// Builds kiln ops at `builder`'s insertion point, at `loc`.
class TrainingBuilder {
public:
  TrainingBuilder(OpBuilder &builder, Location loc)
      : builder(builder), loc(loc) {}

  OpBuilder &getBuilder() { return builder; }
  bool hasFailed() const { return failed; }

  /// Creates `OpTy` with its result type inferred; null after a failure or
  /// when the op does not verify. Null operands fail without a message (the
  /// helper that produced them reported it).
  template <typename OpTy, typename... Args> Value create(Args &&...args) {
    if (failed || (... || isNullValue(args))) {
      failed = true;
      return {};
    }
    Operation *op =
        createVerified<OpTy>(builder, loc, 1, std::forward<Args>(args)...);
    if (!op) {
      failed = true;
      return {};
    }
    return op->getResult(0);
  }

  /// A constant of `type` holding `value` everywhere (float or integer
  /// elements).
  Value splat(RankedTensorType type, double value) {
    Type element = type.getElementType();
    Attribute fill = isa<FloatType>(element)
                         ? Attribute(builder.getFloatAttr(element, value))
                         : Attribute(builder.getIntegerAttr(
                               element, static_cast<int64_t>(value)));
    return create<ConstantOp>(
        llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, fill)));
  }
  /// A rank-0 constant of element type `element`.
  Value scalar(double value, Type element) {
    return splat(RankedTensorType::get({}, element), value);
  }

  Value add(Value a, Value b) { return create<AddOp>(a, b); }
  Value sub(Value a, Value b) { return create<SubOp>(a, b); }
  Value mul(Value a, Value b) { return create<MulOp>(a, b); }
  Value div(Value a, Value b) { return create<DivOp>(a, b); }
  Value neg(Value a) { return create<NegOp>(a); }
  /// `a * value`, in the element type of `a`.
  Value scale(Value a, double value) {
    if (!a)
      return fail();
    return mul(a, scalar(value, elementType(a)));
  }
  /// Converts `a` to the element type `to`.
  Value cast(Value a, Type to) {
    if (!a)
      return fail();
    if (elementType(a) == to)
      return a;
    return create<CastOp>(a, TypeAttr::get(to), UnitAttr());
  }
  Value reduceSum(Value a, ArrayRef<int64_t> axes) {
    return create<ReduceSumOp>(a, builder.getDenseI64ArrayAttr(axes),
                               builder.getBoolAttr(false));
  }
  Value reshape(Value a, ArrayRef<int64_t> shape) {
    return create<ReshapeOp>(a, builder.getDenseI64ArrayAttr(shape));
  }

  static Type elementType(Value v) {
    return llvm::cast<RankedTensorType>(v.getType()).getElementType();
  }

private:
  template <typename T> static bool isNullValue(const T &arg) {
    if constexpr (std::is_convertible_v<const T &, Value>)
      return !static_cast<Value>(arg);
    else
      return false;
  }
  Value fail() {
    failed = true;
    return {};
  }

  OpBuilder &builder;
  Location loc;
  bool failed = false;
};

/// Makes `results` the values `func` returns, in place of its return op
/// `returnOp`, each with the attributes in `attrs` (null for none), and
/// updates the function's type.
inline void replaceResults(func::FuncOp func, func::ReturnOp returnOp,
                           ValueRange results, ArrayRef<DictionaryAttr> attrs) {
  OpBuilder builder(returnOp);
  func::ReturnOp::create(builder, returnOp.getLoc(), results);
  returnOp.erase();
  func.setFunctionType(FunctionType::get(
      func.getContext(), func.getArgumentTypes(), results.getTypes()));
  SmallVector<DictionaryAttr> all;
  for (DictionaryAttr a : attrs)
    all.push_back(a ? a : builder.getDictionaryAttr({}));
  func.setAllResultAttrs(all);
}

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_DIALECT_KILN_TRANSFORMS_TRAININGBUILDER_H
