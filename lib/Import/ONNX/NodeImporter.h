//===- NodeImporter.h - What an ONNX op converter sees ----------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Private to the importer. Each ONNX op type has one converter, a function
// of a NodeImporter, registered by the file of its op family
// (ElementwiseOps.cpp, NNOps.cpp, ShapeOps.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_IMPORT_ONNX_NODEIMPORTER_H
#define KILN_LIB_IMPORT_ONNX_NODEIMPORTER_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <optional>

namespace mlir {
namespace kiln {
namespace onnx_import {

class NodeImporter;
/// Decodes a TensorProto (raw, typed or external data) into an attribute;
/// `what` names the tensor in errors.
using TensorConverter = std::function<FailureOr<ElementsAttr>(
    const onnx::TensorProto &, const Twine &what)>;
using OpConverter = std::function<LogicalResult(NodeImporter &)>;
/// Imports a subgraph (an If branch, a Scan or Loop body) inline at the
/// builder's insertion point, binding its inputs to the given values with
/// `outer`'s values visible; returns its outputs.
using SubgraphImporter = std::function<FailureOr<SmallVector<Value>>(
    const onnx::GraphProto &, ArrayRef<Value>,
    const llvm::StringMap<Value> &outer)>;
using OpConverterMap = llvm::StringMap<OpConverter>;

void registerElementwiseOps(OpConverterMap &map);
void registerNNOps(OpConverterMap &map);
void registerShapeOps(OpConverterMap &map);
void registerReductionOps(OpConverterMap &map);
void registerElementwiseExtraOps(OpConverterMap &map);
void registerIndexingOps(OpConverterMap &map);
void registerAttentionOps(OpConverterMap &map);
void registerLossOps(OpConverterMap &map);
void registerNormalizationOps(OpConverterMap &map);
void registerSpaceDepthOps(OpConverterMap &map);
void registerQuantizationOps(OpConverterMap &map);
void registerRecurrentOps(OpConverterMap &map);
void registerSignalOps(OpConverterMap &map);
void registerSignalImageOps(OpConverterMap &map);
void registerControlFlowOps(OpConverterMap &map);
void registerRecentOps(OpConverterMap &map);

/// ONNX element types newer than the ONNX library Kiln links (1.12), which
/// does not name them; `data_type` and `elem_type` carry them as numbers.
enum : int32_t {
  kOnnxFloat8E4M3FN = 17,
  kOnnxFloat8E4M3FNUZ = 18,
  kOnnxFloat8E5M2 = 19,
  kOnnxFloat8E5M2FNUZ = 20,
  kOnnxUInt4 = 21,
  kOnnxInt4 = 22,
  kOnnxFloat4E2M1 = 23,
  kOnnxFloat8E8M0 = 24,
  kOnnxUInt2 = 25,
  kOnnxInt2 = 26,
  kOnnxFloat6E2M3 = 27,
  kOnnxFloat6E3M2 = 28,
};

/// Converts an ONNX element type; null for types Kiln does not handle.
Type convertElementType(int32_t onnxType, MLIRContext *context);

/// The context of converting one node: its inputs as values, its
/// attributes, and where its outputs go.
class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, int64_t opset, OpBuilder &builder,
               Location loc, llvm::StringMap<Value> &values,
               TensorConverter convertTensor)
      : node(node), opset(opset), builder(builder), loc(loc),
        convertTensor(std::move(convertTensor)), values(values) {}

  const onnx::NodeProto &node;
  /// The default-domain opset the model imports.
  const int64_t opset;
  OpBuilder &builder;
  const Location loc;
  /// Decodes tensor-valued attributes exactly as initializers are decoded.
  const TensorConverter convertTensor;

  /// "node 'N' (Type, opset V)", as errors name the node.
  std::string describe() const;
  /// Reports "node 'N' (Type, opset V): message" at the node; fails.
  LogicalResult error(const Twine &message);

  /// The number of inputs, not counting trailing empty names.
  unsigned numInputs() const;
  /// Input `i`, or null if it is absent or empty.
  Value input(unsigned i) const;
  /// Input `i`, or an error naming it if it is absent.
  FailureOr<Value> requiredInput(unsigned i);
  /// Inputs `indices`, in order; fails after the error naming the first
  /// absent one.
  FailureOr<SmallVector<Value>> requiredInputs(ArrayRef<unsigned> indices) {
    SmallVector<Value> result;
    for (unsigned i : indices) {
      FailureOr<Value> v = requiredInput(i);
      if (failed(v))
        return failure();
      result.push_back(*v);
    }
    return result;
  }
  RankedTensorType inputType(unsigned i) const;
  /// The values of input `i` if it is a constant integer tensor.
  std::optional<SmallVector<int64_t>> constantInts(unsigned i) const;
  /// The value of input `i` if it is a constant one-element float tensor.
  std::optional<double> constantScalar(unsigned i) const;

  const onnx::AttributeProto *attr(StringRef name) const;
  int64_t intAttr(StringRef name, int64_t otherwise) const;
  float floatAttr(StringRef name, float otherwise) const;
  std::string stringAttr(StringRef name, StringRef otherwise) const;
  std::optional<SmallVector<int64_t>> intsAttr(StringRef name) const;
  /// The string attribute `name` (`otherwise` if absent) mapped through
  /// `cases`; reports "unknown NAME 'VALUE'" and returns nullopt when it is
  /// none of them.
  template <typename EnumT>
  std::optional<EnumT> enumAttr(StringRef name, StringRef otherwise,
                                ArrayRef<std::pair<StringRef, EnumT>> cases) {
    std::string value = stringAttr(name, otherwise);
    for (const auto &[key, e] : cases)
      if (key == value)
        return e;
    (void)error("unknown " + name + " '" + value + "'");
    return std::nullopt;
  }

  /// Binds output `i` to `value` (an empty output name is skipped).
  void setOutput(unsigned i, Value value);
  /// Binds output 0 to `value`; fails if it is null (its error was
  /// reported when it was created).
  LogicalResult finish(Value value) {
    setOutput(0, value);
    return success(value != nullptr);
  }

  /// Creates a kiln op with inferred types; null, with errors reported at
  /// the node, if it is invalid.
  template <typename OpTy, typename... Args> Value create(Args &&...args) {
    Operation *op =
        createVerified<OpTy>(builder, loc, 1, std::forward<Args>(args)...);
    return op ? foldCreated(op) : Value();
  }
  /// Folds a just-created one-result op whose operands allow it (see
  /// ImportFolding.cpp): returns the value it folds to, a new small
  /// kiln.constant, or else the op's result.
  Value foldCreated(Operation *op);
  /// A kiln.constant of an integer tensor.
  Value constantI64(ArrayRef<int64_t> values);
  /// A scalar constant of `elementType`.
  Value scalar(double value, Type elementType);

  /// Normalises a possibly negative axis for `rank`; reports an error and
  /// returns nullopt when out of range.
  std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

  /// Imports the graph attribute `name` inline with `inputs` bound to its
  /// inputs; reports an error naming the node if it is missing.
  FailureOr<SmallVector<Value>> importSubgraph(StringRef name,
                                               ArrayRef<Value> inputs);

  /// Set by the model importer.
  SubgraphImporter subgraphImporter;

private:
  llvm::StringMap<Value> &values;
};

/// Converts a node of one input and one output, without attributes, to
/// `OpTy`.
template <typename OpTy> LogicalResult convertUnary(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  return n.finish(n.create<OpTy>(*x));
}

/// Converts a node of two inputs, without attributes, to `OpTy`.
template <typename OpTy> LogicalResult convertBinary(NodeImporter &n) {
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  return n.finish(n.create<OpTy>(*a, *b));
}

} // namespace onnx_import
} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_IMPORT_ONNX_NODEIMPORTER_H
