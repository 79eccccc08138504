//===- GradientBuilder.h - Helpers of the kiln gradient rules ---*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Dialect/Kiln/IR. The gradient rules of the kiln ops
// (Gradient*.cpp) build kiln ops through a GradientBuilder, which infers and
// verifies every op it creates and remembers a failure: once an op cannot
// be built (its error is reported at the differentiated op), every later
// helper returns null, so a rule is written straight through and checks
// once, in `finish`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_IR_GRADIENTBUILDER_H
#define KILN_LIB_DIALECT_KILN_IR_GRADIENTBUILDER_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir {
namespace kiln {

/// Builds the kiln ops of one gradient rule at `builder`'s insertion point,
/// with the location of the op being differentiated.
class GradientBuilder {
public:
  GradientBuilder(OpBuilder &builder, Operation *op)
      : builder(builder), op(op), loc(op->getLoc()) {}

  OpBuilder &getBuilder() { return builder; }
  Location getLoc() const { return loc; }
  bool hasFailed() const { return failed; }

  /// Reports `message` at the differentiated op and marks the rule failed;
  /// returns null so that `return fail(...)` ends a helper.
  Value fail(const Twine &message);

  /// Creates `OpTy` with inferred result types and returns its first
  /// result; null if an earlier helper failed or the op does not verify.
  /// A null Value argument is an absent optional operand.
  template <typename OpTy, typename... Args> Value create(Args &&...args) {
    Operation *created = createOp<OpTy>(1, std::forward<Args>(args)...);
    return created ? created->getResult(0) : Value();
  }

  /// Like `create`, for ops with several results.
  template <typename OpTy, typename... Args>
  Operation *createOp(unsigned numResults, Args &&...args) {
    if (failed)
      return nullptr;
    Operation *created = createVerified<OpTy>(builder, loc, numResults,
                                              std::forward<Args>(args)...);
    if (!created)
      failed = true;
    return created;
  }

  // Constants.

  /// A rank-0 constant of float type `elementType`.
  Value scalar(double value, Type elementType);
  /// A rank-0 constant of the element type of `like`.
  Value scalarLike(double value, Value like);
  /// A tensor with the shape and element type of `like`, filled with
  /// `value` (static shapes are a splat constant, dynamic ones are built
  /// from `kiln.shape` at run time).
  Value fillLike(Value like, double value);
  Value zerosLike(Value like) { return fillLike(like, 0.0); }

  // Elementwise arithmetic (numpy broadcasting).

  Value add(Value a, Value b);
  Value sub(Value a, Value b);
  Value mul(Value a, Value b);
  Value div(Value a, Value b);
  Value neg(Value a);
  /// `a * value`.
  Value scale(Value a, double value);
  /// Elementwise op of one operand, such as ExpOp.
  template <typename OpTy> Value unary(Value a) { return create<OpTy>(a); }
  /// `cond ? a : b`.
  Value select(Value cond, Value a, Value b);
  /// A boolean mask as 0/1 in the element type of `like`.
  Value maskToFloat(Value mask, Value like);
  /// Converts `a` to the element type `to`.
  Value cast(Value a, Type to);

  // Shapes.

  Value reduceSum(Value a, ArrayRef<int64_t> axes, bool keepdims);
  Value reduceMean(Value a, ArrayRef<int64_t> axes, bool keepdims);
  /// `kiln.reshape` with its `shape` attribute as given (0 copies, -1
  /// infers).
  Value reshape(Value a, ArrayRef<int64_t> shape);
  /// Reshapes `a` to the shape of `like` (which has as many elements); with
  /// several dynamic dims, through `kiln.dynamic_reshape`.
  Value reshapeLike(Value a, Value like);
  /// Reshapes `a` to the type `type`, which has as many elements, or fails
  /// when the type has several dynamic dims.
  Value reshapeTo(Value a, RankedTensorType type);
  /// Broadcasts `a` to the shape of `like`.
  Value broadcastLike(Value a, Value like);
  Value transpose(Value a, ArrayRef<int64_t> perm);
  Value slice(Value a, ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
              ArrayRef<int64_t> axes, ArrayRef<int64_t> steps);
  /// `a[begin:end]` along `axis`, with step 1.
  Value sliceAxis(Value a, int64_t axis, int64_t begin, int64_t end);
  /// `a` reversed along `axis` (static dimension).
  Value reverse(Value a, int64_t axis);
  /// Zero padding; `pads` lists the begins, then the ends.
  Value pad(Value a, ArrayRef<int64_t> pads, double value = 0.0);
  /// Zero padding of one axis.
  Value padAxis(Value a, int64_t axis, int64_t before, int64_t after);
  Value concat(ValueRange values, int64_t axis);

  /// Sums the gradient `grad` of a broadcast result back to the shape of
  /// `type`, an operand's type: the leading dims the operand lacks are
  /// summed away, and so is every dim where the operand has size 1 and the
  /// result does not. A dynamic operand dim is taken not to broadcast.
  Value unbroadcast(Value grad, Type type);

  /// The adjoint of `kiln.slice`: scatters the gradient of a slice of a
  /// tensor of type `inputType` back to that tensor's shape, zero where
  /// nothing was taken. Every sliced axis must have a static size.
  Value unslice(Value grad, RankedTensorType inputType,
                ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
                ArrayRef<int64_t> axes, ArrayRef<int64_t> steps);

  /// Stores `grads` as the operand gradients; fails if any helper failed.
  LogicalResult finish(SmallVectorImpl<Value> &operandGrads,
                       ArrayRef<Value> grads);

private:
  OpBuilder &builder;
  Operation *op;
  Location loc;
  bool failed = false;
};

/// The type of `value` as a ranked tensor type.
inline RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The positions selected by a slice step along a dimension of static size
/// `dim`, after ONNX's clamping: element `i` of the result is element
/// `start + i * step` of the input, for `count` elements.
struct SliceRange {
  int64_t start;
  int64_t step;
  int64_t count;
};
SliceRange normalizeSlice(int64_t dim, int64_t start, int64_t end,
                          int64_t step);

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_DIALECT_KILN_IR_GRADIENTBUILDER_H
