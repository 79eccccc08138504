//===- GraphBuilder.h - Build kiln graphs from C++ --------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// GraphBuilder builds one `func.func` of kiln ops, one call per op, with
// every result type inferred. Bad arguments (mismatched shapes, an axis out
// of range, ...) never abort: the op's error is reported through the
// context's diagnostics, the call returns a null Value, later calls that use
// it return null too, and finish() returns null.
//
//   mlir::MLIRContext context;
//   kiln::GraphBuilder g(context, "mlp");
//   mlir::Value x = g.input("x", {kiln::kDynamic, 784}, g.f32());
//   mlir::Value h = g.relu(g.add(g.matmul(x, g.weight("w1", {784, 128})),
//                                g.weight("b1", {128})));
//   g.output("logits", h);
//   mlir::OwningOpRef<mlir::ModuleOp> module = g.finish();
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BUILDER_GRAPHBUILDER_H
#define KILN_BUILDER_GRAPHBUILDER_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>

namespace mlir {
namespace kiln {

/// A dynamic dimension in a shape passed to the builder.
inline constexpr int64_t kDynamic = ShapedType::kDynamic;

/// Window attributes of convolutions. Empty lists take ONNX's defaults:
/// strides and dilations of 1, no padding.
struct ConvOptions {
  SmallVector<int64_t> strides;
  /// Begin pads of every spatial dim, then end pads.
  SmallVector<int64_t> pads;
  SmallVector<int64_t> dilations;
  int64_t group = 1;
  /// conv_transpose only.
  SmallVector<int64_t> outputPadding;
};

/// Window attributes of pooling. Empty lists take ONNX's defaults.
struct PoolOptions {
  SmallVector<int64_t> kernelShape;
  SmallVector<int64_t> strides;
  SmallVector<int64_t> pads;
  SmallVector<int64_t> dilations;
  bool ceilMode = false;
  /// average_pool only.
  bool countIncludePad = false;
};

/// Builds a function of kiln ops with inferred types. Axes may be negative
/// (counted from the end, as in ONNX); the builder normalises them.
class GraphBuilder {
public:
  /// Starts a module holding one function called `name`.
  GraphBuilder(MLIRContext &context, StringRef name = "main");

  MLIRContext *getContext() { return builder.getContext(); }
  /// The underlying builder, placed at the end of the function body.
  OpBuilder &getBuilder() { return builder; }
  /// True once any call failed.
  bool hasError() const { return hadError; }

  Type f32() { return builder.getF32Type(); }
  Type f16() { return builder.getF16Type(); }
  Type i64() { return builder.getI64Type(); }
  Type i1() { return builder.getI1Type(); }

  /// Names the next op that is not a constant (constants made for its
  /// operands keep their own locations); its location becomes `name`.
  GraphBuilder &named(StringRef name);

  /// Adds a function argument called `name`.
  Value input(StringRef name, ArrayRef<int64_t> shape, Type elementType);
  /// Marks `value` as a function result called `name`.
  void output(StringRef name, Value value);

  /// Finishes the function and verifies the module; null on any error.
  OwningOpRef<ModuleOp> finish();

  // Constants.
  Value constant(ElementsAttr value);
  Value constantF32(ArrayRef<int64_t> shape, ArrayRef<float> values);
  Value constantI64(ArrayRef<int64_t> shape, ArrayRef<int64_t> values);
  Value splat(ArrayRef<int64_t> shape, double value, Type elementType);
  /// A float32 weight held as a `dense_resource` blob called `name`. With no
  /// values, it is filled with a fixed pseudo-random pattern in [-0.5, 0.5).
  Value weight(StringRef name, ArrayRef<int64_t> shape,
               ArrayRef<float> values = {});

  // Elementwise.
  Value add(Value lhs, Value rhs);
  Value sub(Value lhs, Value rhs);
  Value mul(Value lhs, Value rhs);
  Value div(Value lhs, Value rhs);
  Value pow(Value lhs, Value rhs);
  Value max(Value lhs, Value rhs);
  Value min(Value lhs, Value rhs);
  Value equal(Value lhs, Value rhs);
  Value less(Value lhs, Value rhs);
  Value lessEqual(Value lhs, Value rhs);
  Value greater(Value lhs, Value rhs);
  Value greaterEqual(Value lhs, Value rhs);
  Value logicalAnd(Value lhs, Value rhs);
  Value logicalOr(Value lhs, Value rhs);
  Value logicalXor(Value lhs, Value rhs);
  Value logicalNot(Value input);
  Value where(Value condition, Value x, Value y);
  Value neg(Value input);
  Value abs(Value input);
  Value exp(Value input);
  Value log(Value input);
  Value sqrt(Value input);
  Value reciprocal(Value input);
  Value tanh(Value input);
  Value sigmoid(Value input);
  Value relu(Value input);
  Value erf(Value input);
  Value gelu(Value input, bool tanhApproximation = false);
  Value leakyRelu(Value input, float alpha = 0.01f);
  Value clip(Value input, std::optional<double> min, std::optional<double> max);
  Value cast(Value input, Type to);
  Value identity(Value input);

  // Linear algebra, convolution, pooling, normalisation.
  Value matmul(Value lhs, Value rhs);
  Value conv(Value input, Value weight, Value bias = {},
             const ConvOptions &options = {});
  Value convTranspose(Value input, Value weight, Value bias = {},
                      const ConvOptions &options = {});
  Value maxPool(Value input, const PoolOptions &options);
  Value averagePool(Value input, const PoolOptions &options);
  Value globalAveragePool(Value input);
  Value globalMaxPool(Value input);
  Value batchNorm(Value input, Value scale, Value bias, Value mean,
                  Value variance, float epsilon = 1e-5f);
  Value layerNorm(Value input, Value scale, Value bias = {}, int64_t axis = -1,
                  float epsilon = 1e-5f);
  Value softmax(Value input, int64_t axis = -1);
  Value logSoftmax(Value input, int64_t axis = -1);

  // Reductions. `axes` may be negative and in any order.
  Value reduceSum(Value input, ArrayRef<int64_t> axes, bool keepdims = true);
  Value reduceMean(Value input, ArrayRef<int64_t> axes, bool keepdims = true);
  Value reduceMax(Value input, ArrayRef<int64_t> axes, bool keepdims = true);
  Value reduceMin(Value input, ArrayRef<int64_t> axes, bool keepdims = true);
  Value argMax(Value input, int64_t axis, bool keepdims = true);
  Value argMin(Value input, int64_t axis, bool keepdims = true);

  // Shapes.
  Value reshape(Value input, ArrayRef<int64_t> shape);
  Value transpose(Value input, ArrayRef<int64_t> perm);
  Value concat(ValueRange inputs, int64_t axis);
  SmallVector<Value> split(Value input, int64_t axis, ArrayRef<int64_t> sizes);
  Value slice(Value input, ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
              ArrayRef<int64_t> axes, ArrayRef<int64_t> steps = {});
  Value gather(Value data, Value indices, int64_t axis = 0);
  Value pad(Value input, ArrayRef<int64_t> pads,
            PadMode mode = PadMode::Constant, double value = 0.0);
  Value broadcastTo(Value input, ArrayRef<int64_t> shape);

  /// Creates `OpTy` from `args` with `numResults` results whose types are
  /// inferred; reports the op's error and returns null on failure. Every
  /// method above goes through here; it is public for ops without a
  /// convenience method.
  template <typename OpTy, typename... Args>
  Operation *create(unsigned numResults, Args &&...args) {
    if (hadError)
      return nullptr;
    Operation *op = createVerified<OpTy>(builder, takeLocation(), numResults,
                                         std::forward<Args>(args)...);
    hadError = !op;
    return op;
  }

private:
  Location takeLocation();
  /// Returns the single result of `op`, or null.
  static Value result(Operation *op) { return op ? op->getResult(0) : Value(); }
  /// Fails (with a diagnostic) if any of `values` is null or not ranked.
  bool checkOperands(ValueRange values);
  /// Normalises a possibly negative axis of `value`; -1 and an error if it is
  /// out of range.
  int64_t normalizeAxis(Value value, int64_t axis);
  SmallVector<int64_t> normalizeAxes(Value value, ArrayRef<int64_t> axes);
  template <typename OpTy> Value binary(Value lhs, Value rhs);
  template <typename OpTy> Value unary(Value input);
  template <typename OpTy>
  Value reduce(Value input, ArrayRef<int64_t> axes, bool keepdims);
  template <typename OpTy> Value softmaxLike(Value input, int64_t axis);
  template <typename OpTy>
  Value argReduce(Value input, int64_t axis, bool keepdims);
  /// Fills ONNX defaults into the window lists of a rank-`rank` input.
  bool windowDefaults(Value input, SmallVectorImpl<int64_t> &strides,
                      SmallVectorImpl<int64_t> &pads,
                      SmallVectorImpl<int64_t> &dilations);
  LogicalResult error(const Twine &message);

  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  SmallVector<Value> results;
  SmallVector<std::string> resultNames;
  std::string pendingName;
  bool hadError = false;
};

} // namespace kiln
} // namespace mlir

#endif // KILN_BUILDER_GRAPHBUILDER_H
