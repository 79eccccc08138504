//===- ONNXImporter.cpp - Import ONNX models into the kiln dialect --------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNX/ONNXImporter.h"
#include "NodeImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <onnx/defs/parser.h>

#include <stdexcept>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Tensors above this many elements become dense_resource blobs.
static constexpr int64_t kInlineElementLimit = 16;
/// Declared tensor sizes above this are rejected before any allocation.
static constexpr int64_t kMaxTensorBytes = int64_t(1) << 36;

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

std::string NodeImporter::describe() const {
  std::string name = node.name();
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    name = nameLoc.getName().str();
  return "node '" + name + "' (" + node.op_type() + ", opset " +
         std::to_string(opset) + ")";
}

FailureOr<SmallVector<Value>>
NodeImporter::importSubgraph(StringRef name, ArrayRef<Value> inputs) {
  const onnx::AttributeProto *a = attr(name);
  if (!a || !a->has_g())
    return error("needs the graph attribute '" + name + "'");
  return subgraphImporter(a->g(), inputs, values);
}

LogicalResult NodeImporter::error(const Twine &message) {
  return emitError(loc) << describe() << ": " << message;
}

unsigned NodeImporter::numInputs() const {
  unsigned n = node.input_size();
  while (n > 0 && node.input(n - 1).empty())
    --n;
  return n;
}

Value NodeImporter::input(unsigned i) const {
  if (i >= static_cast<unsigned>(node.input_size()) || node.input(i).empty())
    return {};
  return values.lookup(node.input(i));
}

FailureOr<Value> NodeImporter::requiredInput(unsigned i) {
  Value v = input(i);
  if (!v) {
    (void)error("input " + Twine(i) + " is required");
    return failure();
  }
  return v;
}

RankedTensorType NodeImporter::inputType(unsigned i) const {
  Value v = input(i);
  return v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

/// The elements of a constant `value`, dense or resource-backed.
static std::optional<SmallVector<APInt>> constantIntElements(Value value) {
  if (!value)
    return std::nullopt;
  // A tensor with no elements is a known (empty) list, whatever defines it.
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (type && type.hasStaticShape() && type.getNumElements() == 0 &&
      isa<IntegerType>(type.getElementType()))
    return SmallVector<APInt>();
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant || !isa<IntegerType>(constant.getType().getElementType()))
    return std::nullopt;
  ElementsAttr attr = constant.getValue();
  auto dense = dyn_cast<DenseIntElementsAttr>(attr);
  if (dense)
    return SmallVector<APInt>(dense.getValues<APInt>());
  if (auto blob = dyn_cast<DenseI64ResourceElementsAttr>(attr))
    if (std::optional<ArrayRef<int64_t>> data = blob.tryGetAsArrayRef()) {
      SmallVector<APInt> out;
      for (int64_t v : *data)
        out.push_back(APInt(64, v, /*isSigned=*/true));
      return out;
    }
  return std::nullopt;
}

std::optional<SmallVector<int64_t>>
NodeImporter::constantInts(unsigned i) const {
  std::optional<SmallVector<APInt>> elements = constantIntElements(input(i));
  if (!elements)
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const APInt &v : *elements)
    out.push_back(v.getSExtValue());
  return out;
}

std::optional<double> NodeImporter::constantScalar(unsigned i) const {
  Value v = input(i);
  if (!v)
    return std::nullopt;
  auto constant = v.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  Type element = dense.getElementType();
  if (isa<FloatType>(element))
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  if (element.isUnsignedInteger())
    return static_cast<double>(
        (*dense.getValues<APInt>().begin()).getZExtValue());
  if (isa<IntegerType>(element))
    return static_cast<double>(
        (*dense.getValues<APInt>().begin()).getSExtValue());
  return std::nullopt;
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::intAttr(StringRef name, int64_t otherwise) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : otherwise;
}

float NodeImporter::floatAttr(StringRef name, float otherwise) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : otherwise;
}

std::string NodeImporter::stringAttr(StringRef name,
                                     StringRef otherwise) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : otherwise.str();
}

std::optional<SmallVector<int64_t>>
NodeImporter::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

void NodeImporter::setOutput(unsigned i, Value value) {
  if (i < static_cast<unsigned>(node.output_size()) && !node.output(i).empty())
    values[node.output(i)] = value;
}

Value NodeImporter::constantI64(ArrayRef<int64_t> data) {
  auto type = RankedTensorType::get({static_cast<int64_t>(data.size())},
                                    builder.getI64Type());
  return create<ConstantOp>(DenseElementsAttr::get(type, data));
}

Value NodeImporter::scalar(double value, Type elementType) {
  auto type = RankedTensorType::get({}, elementType);
  if (auto f = dyn_cast<FloatType>(elementType))
    return create<ConstantOp>(
        DenseElementsAttr::get(type, builder.getFloatAttr(f, value)));
  return create<ConstantOp>(DenseElementsAttr::get(
      type, builder.getIntegerAttr(elementType, static_cast<int64_t>(value))));
}

std::optional<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    (void)error("axis " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
    return std::nullopt;
  }
  return axis < 0 ? axis + rank : axis;
}

Type onnx_import::convertElementType(int32_t onnxType, MLIRContext *context) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  default:
    break;
  }
  // Types newer than the ONNX library Kiln links (1.12), by number.
  switch (onnxType) {
  case kOnnxFloat8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case kOnnxFloat8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case kOnnxFloat8E5M2:
    return b.getType<Float8E5M2Type>();
  case kOnnxFloat8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case kOnnxUInt4:
    return b.getIntegerType(4, /*isSigned=*/false);
  case kOnnxInt4:
    return b.getIntegerType(4);
  case kOnnxFloat4E2M1:
    return b.getType<Float4E2M1FNType>();
  case kOnnxFloat8E8M0:
    return b.getType<Float8E8M0FNUType>();
  case kOnnxUInt2:
    return b.getIntegerType(2, /*isSigned=*/false);
  case kOnnxInt2:
    return b.getIntegerType(2);
  case kOnnxFloat6E2M3:
    return b.getType<Float6E2M3FNType>();
  case kOnnxFloat6E3M2:
    return b.getType<Float6E3M2FNType>();
  default:
    return {};
  }
}

//===----------------------------------------------------------------------===//
// The model importer
//===----------------------------------------------------------------------===//

/// Whether `path` is `dir` or lies under it (both absolute, normalised).
static bool isInsideFolder(StringRef path, StringRef dir) {
  return path.starts_with(dir) &&
         (path.size() == dir.size() ||
          llvm::sys::path::is_separator(path[dir.size()]));
}

namespace {

static std::string dataTypeName(int32_t type) {
  static const char *const newer[] = {
      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",        "INT4",           "FLOAT4E2M1", "FLOAT8E8M0",
      "UINT2",        "INT2",           "FLOAT6E2M3", "FLOAT6E3M2"};
  if (type >= kOnnxFloat8E4M3FN && type <= kOnnxFloat6E3M2)
    return newer[type - kOnnxFloat8E4M3FN];
  if (onnx::TensorProto::DataType_IsValid(type))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(type));
  return "data type " + std::to_string(type);
}

/// Every ONNX op type the importer converts, by family.
static void registerAllConverters(OpConverterMap &map) {
  registerElementwiseOps(map);
  registerNNOps(map);
  registerShapeOps(map);
  registerReductionOps(map);
  registerElementwiseExtraOps(map);
  registerIndexingOps(map);
  registerAttentionOps(map);
  registerLossOps(map);
  registerNormalizationOps(map);
  registerSpaceDepthOps(map);
  registerQuantizationOps(map);
  registerRecurrentOps(map);
  registerSignalOps(map);
  registerSignalImageOps(map);
  registerControlFlowOps(map);
  registerRecentOps(map);
}

class ModelImporter {
public:
  ModelImporter(MLIRContext &context, const ONNXImportOptions &options)
      : context(context), options(options), builder(&context),
        fileLoc(FileLineColLoc::get(&context, options.fileName, 0, 0)) {
    registerAllConverters(converters);
  }

  OwningOpRef<ModuleOp> import(const onnx::ModelProto &model);

private:
  LogicalResult error(const Twine &message) {
    return emitError(fileLoc) << message;
  }
  Location nodeLoc(const onnx::NodeProto &node, unsigned index);
  FailureOr<RankedTensorType> convertValueType(const onnx::ValueInfoProto &v);
  FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                        const Twine &what);
  LogicalResult readExternalData(const onnx::TensorProto &tensor, int64_t bytes,
                                 std::string &out, const Twine &what);
  /// A NodeImporter for `node`, reading and binding values in `scope`.
  NodeImporter makeNodeImporter(const onnx::NodeProto &node, Location loc,
                                llvm::StringMap<Value> &scope);
  FailureOr<SmallVector<Value>>
  importSubgraph(const onnx::GraphProto &graph, ArrayRef<Value> inputs,
                 const llvm::StringMap<Value> &outer);

  MLIRContext &context;
  const ONNXImportOptions &options;
  OpBuilder builder;
  Location fileLoc;
  OpConverterMap converters;
  llvm::StringMap<Value> values;
  /// The default-domain opset the model imports.
  int64_t opset = -1;
};

} // namespace

Location ModelImporter::nodeLoc(const onnx::NodeProto &node, unsigned index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  return NameLoc::get(builder.getStringAttr(name), fileLoc);
}

FailureOr<RankedTensorType>
ModelImporter::convertValueType(const onnx::ValueInfoProto &v) {
  if (!v.type().has_tensor_type())
    return error("value '" + v.name() +
                 "' is not a tensor (sequence, map and optional types are "
                 "not supported)");
  const onnx::TypeProto::Tensor &t = v.type().tensor_type();
  Type element = convertElementType(t.elem_type(), &context);
  if (!element)
    return error("value '" + v.name() + "' has unsupported element type " +
                 dataTypeName(t.elem_type()));
  if (!t.has_shape())
    return error("value '" + v.name() + "' has no shape (its rank is unknown)");
  SmallVector<int64_t> shape;
  for (const onnx::TensorShapeProto::Dimension &d : t.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        return error("value '" + v.name() + "' has a negative dimension " +
                     Twine(d.dim_value()));
      shape.push_back(d.dim_value());
    } else {
      shape.push_back(ShapedType::kDynamic);
    }
  }
  return RankedTensorType::get(shape, element);
}

LogicalResult ModelImporter::readExternalData(const onnx::TensorProto &tensor,
                                              int64_t bytes, std::string &out,
                                              const Twine &what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &e : tensor.external_data()) {
    if (e.key() == "location")
      location = e.value();
    else if (e.key() == "offset" || e.key() == "length") {
      int64_t v;
      if (StringRef(e.value()).getAsInteger(10, v) || v < 0)
        return error(what + ": bad external-data " + e.key() + " '" +
                     e.value() + "'");
      (e.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty())
    return error(what + ": external data without a location");
  if (llvm::sys::path::is_absolute(location))
    return error(what + ": external-data path '" + location +
                 "' must be relative to the model's folder");
  SmallString<256> dir, path;
  if (llvm::sys::fs::real_path(options.modelDir, dir))
    return error(what + ": cannot resolve the model folder '" +
                 options.modelDir + "'");
  SmallString<256> joined(dir);
  llvm::sys::path::append(joined, location);
  // Checked lexically first, so that a path out of the folder is named as
  // such whether or not its target exists.
  SmallString<256> lexical(joined);
  llvm::sys::path::remove_dots(lexical, /*remove_dot_dot=*/true);
  if (!isInsideFolder(lexical, dir))
    return error(what + ": external-data path '" + location +
                 "' leaves the model's folder");
  if (llvm::sys::fs::real_path(joined, path))
    return error(what + ": external-data file '" + location +
                 "' not found in " + dir);
  if (!isInsideFolder(path, dir))
    return error(what + ": external-data path '" + location +
                 "' leaves the model's folder");
  if (length >= 0 && length != bytes)
    return error(what + ": external-data length " + Twine(length) +
                 " does not match the tensor's " + Twine(bytes) + " bytes");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error(what + ": cannot read '" + path + "'");
  int64_t size = (*buffer)->getBufferSize();
  if (offset > size || bytes > size - offset)
    return error(what + ": external data at offset " + Twine(offset) + " of " +
                 Twine(bytes) + " bytes runs past the end of '" + location +
                 "' (" + Twine(size) + " bytes)");
  out.assign((*buffer)->getBufferStart() + offset, bytes);
  return success();
}

/// Copies a typed repeated field into little-endian bytes of `width` each.
template <typename Field>
static std::string packField(const Field &field, unsigned width) {
  std::string out(field.size() * width, '\0');
  for (int i = 0; i < field.size(); ++i) {
    uint64_t v;
    if constexpr (std::is_floating_point_v<typename Field::value_type>) {
      if (width == 4) {
        float f = static_cast<float>(field.Get(i));
        std::memcpy(out.data() + i * width, &f, 4);
        continue;
      }
      double d = field.Get(i);
      std::memcpy(&v, &d, 8);
    } else {
      v = static_cast<uint64_t>(field.Get(i));
    }
    std::memcpy(out.data() + i * width, &v, width);
  }
  return out;
}

FailureOr<ElementsAttr>
ModelImporter::convertTensor(const onnx::TensorProto &tensor,
                             const Twine &what) {
  Type element = convertElementType(tensor.data_type(), &context);
  if (!element)
    return error(what + " has unsupported element type " +
                 dataTypeName(tensor.data_type()));
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return error(what + " has a negative dimension " + Twine(d));
    if (d > 0 && count > kMaxTensorBytes / d)
      return error(what + " declares more elements than Kiln accepts");
    shape.push_back(d);
    count *= d;
  }
  // Types of 2, 4 and 6 bits are packed LSB first, several to a byte.
  unsigned bits = element.isInteger(1) ? 8 : element.getIntOrFloatBitWidth();
  bool subByte = bits < 8;
  unsigned width = subByte ? 1 : bits / 8;
  if (count > kMaxTensorBytes / width)
    return error(what + " declares more bytes than Kiln accepts");
  int64_t bytes = subByte ? (count * bits + 7) / 8 : count * width;

  std::string data;
  // 6-bit types in int32_data hold one element per entry, not a bitstream.
  SmallVector<uint8_t> codes;
  bool haveCodes = false;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternalData(tensor, bytes, data, what)))
      return failure();
  } else if (tensor.has_raw_data()) {
    data = tensor.raw_data();
  } else if (subByte && bits == 6) {
    if (tensor.int32_data_size() != count)
      return error(what + " holds " + Twine(tensor.int32_data_size()) +
                   " elements, but its shape needs " + Twine(count));
    for (int32_t v : tensor.int32_data())
      codes.push_back(static_cast<uint8_t>(v) & 0x3f);
    haveCodes = true;
  } else {
    switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      data = packField(tensor.float_data(), 4);
      break;
    case onnx::TensorProto::DOUBLE:
      data = packField(tensor.double_data(), 8);
      break;
    case onnx::TensorProto::INT64:
      data = packField(tensor.int64_data(), 8);
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      data = packField(tensor.uint64_data(), width);
      break;
    default: // Narrow integers, bool, 16- and 8-bit floats use int32_data;
             // 4- and 2-bit types hold one packed byte per entry.
      data = packField(tensor.int32_data(), width);
      break;
    }
  }
  if (!haveCodes && static_cast<int64_t>(data.size()) != bytes)
    return error(what + " holds " + Twine(data.size()) + " bytes, but its " +
                 "shape and type need " + Twine(bytes));
  if (subByte && !haveCodes)
    for (int64_t i = 0; i < count; ++i) {
      uint64_t bit = i * bits, word = 0;
      // Up to two bytes hold one element's bits.
      for (uint64_t byte = bit / 8; byte <= (bit + bits - 1) / 8; ++byte)
        word |= uint64_t(static_cast<uint8_t>(data[byte]))
                << (8 * (byte - bit / 8));
      codes.push_back((word >> (bit % 8)) & ((1u << bits) - 1));
    }

  auto type = RankedTensorType::get(shape, element);
  ElementsAttr attr;
  if (element.isInteger(1)) {
    SmallVector<bool> bools;
    for (char c : data)
      bools.push_back(c != 0);
    attr = DenseElementsAttr::get(type, bools);
  } else if (subByte) {
    // Always inline: dense_resource blobs have no sub-byte layout.
    if (auto floatType = dyn_cast<FloatType>(element)) {
      SmallVector<APFloat> values;
      for (uint8_t c : codes)
        values.emplace_back(floatType.getFloatSemantics(), APInt(bits, c));
      attr = DenseElementsAttr::get(type, values);
    } else {
      SmallVector<APInt> values;
      for (uint8_t c : codes)
        values.emplace_back(bits, c);
      attr = DenseElementsAttr::get(type, values);
    }
  } else if (count <= kInlineElementLimit) {
    attr = DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(data.data(), data.size()));
  } else {
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(data.data(), data.size()), alignof(uint64_t));
    std::string name = tensor.name().empty() ? "constant" : tensor.name();
    attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  }
  return attr;
}

NodeImporter ModelImporter::makeNodeImporter(const onnx::NodeProto &node,
                                             Location loc,
                                             llvm::StringMap<Value> &scope) {
  NodeImporter importer(node, opset, builder, loc, scope,
                        [this](const onnx::TensorProto &t, const Twine &what) {
                          return convertTensor(t, what);
                        });
  importer.subgraphImporter = [this](const onnx::GraphProto &graph,
                                     ArrayRef<Value> inputs,
                                     const llvm::StringMap<Value> &outer) {
    return importSubgraph(graph, inputs, outer);
  };
  return importer;
}

FailureOr<SmallVector<Value>>
ModelImporter::importSubgraph(const onnx::GraphProto &graph,
                              ArrayRef<Value> inputs,
                              const llvm::StringMap<Value> &outer) {
  // The enclosing scopes' values stay visible; the subgraph's own names
  // shadow them.
  llvm::StringMap<Value> scope(outer);
  if (static_cast<size_t>(graph.input_size()) != inputs.size())
    return emitError(fileLoc)
           << "subgraph '" << graph.name() << "' has " << graph.input_size()
           << " inputs, but " << inputs.size() << " are given";
  for (auto [info, value] : llvm::zip(graph.input(), inputs))
    scope[info.name()] = value;
  for (const onnx::TensorProto &t : graph.initializer()) {
    FailureOr<ElementsAttr> attr =
        convertTensor(t, "initializer '" + t.name() + "'");
    if (failed(attr))
      return failure();
    Operation *constant =
        createVerified<ConstantOp>(builder, fileLoc, 1, *attr);
    if (!constant)
      return failure();
    scope[t.name()] = constant->getResult(0);
  }
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    Location loc = nodeLoc(node, index);
    NodeImporter importer = makeNodeImporter(node, loc, scope);
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    auto converter = converters.find(node.op_type());
    if (!defaultDomain || converter == converters.end())
      return importer.error(defaultDomain ? "op not supported"
                                          : "domain not supported");
    for (const std::string &in : node.input())
      if (!in.empty() && !scope.count(in))
        return importer.error("input '" + in +
                              "' is not defined before the node");
    if (failed(converter->second(importer)))
      return failure();
    for (auto [i, out] : llvm::enumerate(node.output()))
      if (!out.empty() && !scope.lookup(out))
        return importer.error("output " + Twine(i) + " ('" + out +
                              "') is not supported");
  }
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    Value v = scope.lookup(out.name());
    if (!v)
      return emitError(fileLoc)
             << "subgraph '" << graph.name() << "' never computes its output '"
             << out.name() << "'";
    results.push_back(v);
  }
  return results;
}

OwningOpRef<ModuleOp> ModelImporter::import(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 0) {
    (void)error("the model imports no default-domain (ai.onnx) opset");
    return nullptr;
  }
  if (opset < kMinONNXOpset || opset > kMaxONNXOpset) {
    (void)error("opset " + Twine(opset) + " is not supported (Kiln imports " +
                Twine(kMinONNXOpset) + " to " + Twine(kMaxONNXOpset) + ")");
    return nullptr;
  }
  const onnx::GraphProto &graph = model.graph();

  OwningOpRef<ModuleOp> module = ModuleOp::create(builder, fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, options.functionName,
                                   builder.getFunctionType({}, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToEnd(body);

  // Initializers first: a graph input that is also an initializer takes the
  // initializer as its default and is not a function argument.
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &t : graph.initializer()) {
    FailureOr<ElementsAttr> attr =
        convertTensor(t, "initializer '" + t.name() + "'");
    if (failed(attr))
      return nullptr;
    Operation *constant =
        createVerified<ConstantOp>(builder, fileLoc, 1, *attr);
    if (!constant)
      return nullptr;
    values[t.name()] = constant->getResult(0);
    initializers.insert(t.name());
  }
  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (initializers.contains(in.name()))
      continue;
    if (values.count(in.name())) {
      (void)error("graph input '" + in.name() + "' is declared twice");
      return nullptr;
    }
    FailureOr<RankedTensorType> type = convertValueType(in);
    if (failed(type))
      return nullptr;
    values[in.name()] = body->addArgument(
        *type, NameLoc::get(builder.getStringAttr(in.name()), fileLoc));
    inputTypes.push_back(*type);
    inputNames.push_back(in.name());
  }

  // Nodes, in order. Every node that cannot be imported (an unknown op or
  // domain, an unsupported attribute value or element type, ops that do not
  // verify) is collected with its reason, and the values it would produce
  // are poisoned so that its users are neither converted nor reported as
  // reading undefined values. One error lists them all at the end.
  SmallVector<std::string> failedNodes;
  llvm::StringSet<> poisoned;
  auto poison = [&](const onnx::NodeProto &node) {
    for (const std::string &out : node.output())
      poisoned.insert(out);
  };
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    Location loc = nodeLoc(node, index);
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    auto converter = converters.find(node.op_type());
    std::string nodeName = "node '" + cast<NameLoc>(loc).getName().str() +
                           "' (" + (defaultDomain ? "" : node.domain() + ".") +
                           node.op_type() + ", opset " + std::to_string(opset) +
                           ")";
    if (!defaultDomain || converter == converters.end()) {
      failedNodes.push_back(nodeName + (defaultDomain
                                            ? ": op not supported"
                                            : ": domain not supported"));
      poison(node);
      continue;
    }
    if (llvm::any_of(node.input(), [&](const std::string &n) {
          return poisoned.contains(n);
        })) {
      poison(node);
      continue;
    }
    for (const std::string &in : node.input())
      if (!in.empty() && !values.count(in)) {
        emitError(loc) << "node '" << cast<NameLoc>(loc).getName().str()
                       << "' (" << node.op_type() << "): input '" << in
                       << "' is not defined before the node (the graph is "
                          "not in topological order, has a cycle, or reads "
                          "an undefined value)";
        return nullptr;
      }
    NodeImporter importer = makeNodeImporter(node, loc, values);
    // The node's errors, from its converter and from the verifiers of the
    // kiln ops it creates, are kept as the reason it cannot be imported.
    std::string prefix = importer.describe() + ": ";
    SmallVector<std::string> reasons;
    LogicalResult converted = failure();
    {
      ScopedDiagnosticHandler collect(&context, [&](Diagnostic &d) {
        if (d.getSeverity() != DiagnosticSeverity::Error)
          return failure();
        std::string message = d.str();
        if (StringRef(message).starts_with(prefix))
          message = message.substr(prefix.size());
        reasons.push_back(std::move(message));
        return success();
      });
      converted = converter->second(importer);
      if (succeeded(converted))
        for (auto [i, out] : llvm::enumerate(node.output()))
          if (!out.empty() && !values.lookup(out)) {
            (void)importer.error("output " + Twine(i) + " ('" + out +
                                 "') is not supported");
            converted = failure();
            break;
          }
    }
    if (failed(converted)) {
      failedNodes.push_back(
          nodeName + ": " +
          (reasons.empty() ? std::string("not supported") : reasons.front()));
      poison(node);
    }
  }
  if (failedNodes.size() == 1) {
    emitError(fileLoc) << failedNodes.front();
    return nullptr;
  }
  if (!failedNodes.empty()) {
    InFlightDiagnostic diag = emitError(fileLoc)
                              << "cannot import " << failedNodes.size()
                              << " ONNX nodes:";
    for (const std::string &u : failedNodes)
      diag << "\n  " << u;
    return nullptr;
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    Value v = values.lookup(out.name());
    if (!v) {
      (void)error("graph output '" + out.name() + "' is never computed");
      return nullptr;
    }
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  if (results.empty()) {
    (void)error("the graph has no outputs");
    return nullptr;
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(inputTypes, resultTypes));
  for (auto [i, name] : llvm::enumerate(inputNames))
    func.setArgAttr(i, "kiln.name", builder.getStringAttr(name));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "kiln.name", builder.getStringAttr(out.name()));
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

/// True if `bytes` starts (after blanks and `#` comments) with `<`, as the
/// textual syntax does.
static bool looksTextual(StringRef bytes) {
  while (true) {
    bytes = bytes.ltrim();
    if (bytes.starts_with("#")) {
      bytes = bytes.drop_until([](char c) { return c == '\n'; });
      continue;
    }
    return bytes.starts_with("<");
  }
}

std::vector<std::string> mlir::kiln::getSupportedONNXOps() {
  OpConverterMap map;
  registerAllConverters(map);
  std::vector<std::string> ops;
  for (const auto &entry : map)
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}

OwningOpRef<ModuleOp> mlir::kiln::importONNX(StringRef bytes,
                                             MLIRContext &context,
                                             const ONNXImportOptions &options) {
  context.getOrLoadDialect<KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&context, options.fileName, 0, 0);
  onnx::ModelProto model;
  if (looksTextual(bytes)) {
    std::string text = bytes.str();
    // ONNX's parser reports most errors in its status, but some (a number
    // out of range, say) escape it as C++ exceptions.
    std::string parseError;
    try {
      onnx::OnnxParser parser(text.c_str());
      onnx::Status status = parser.Parse(model);
      if (!status.IsOK())
        parseError = status.ErrorMessage();
    } catch (const std::invalid_argument &e) {
      parseError = std::string("a malformed number (") + e.what() + ")";
    } catch (const std::out_of_range &e) {
      parseError = std::string("a number out of range (") + e.what() + ")";
    } catch (const std::exception &e) {
      parseError = e.what();
    }
    if (!parseError.empty()) {
      emitError(fileLoc) << "cannot parse the ONNX text: " << parseError;
      return nullptr;
    }
  } else if (bytes.size() > static_cast<size_t>(INT_MAX) ||
             !model.ParseFromArray(bytes.data(),
                                   static_cast<int>(bytes.size()))) {
    emitError(fileLoc) << "not a valid ONNX model (the protobuf does not "
                          "parse; truncated or not an ONNX file?)";
    return nullptr;
  }
  return ModelImporter(context, options).import(model);
}

OwningOpRef<ModuleOp> mlir::kiln::importONNXFile(StringRef path,
                                                 MLIRContext &context) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(UnknownLoc::get(&context))
        << "cannot read '" << path << "': " << buffer.getError().message();
    return nullptr;
  }
  ONNXImportOptions options;
  options.fileName = path.str();
  StringRef dir = llvm::sys::path::parent_path(path);
  options.modelDir = dir.empty() ? "." : dir.str();
  return importONNX((*buffer)->getBuffer(), context, options);
}

void mlir::kiln::registerONNXImportTranslation() {
  static TranslateToMLIRRegistration registration(
      "import-onnx", "import an ONNX model (.onnx or .onnxtxt) into kiln",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        ONNXImportOptions options;
        options.fileName = buffer->getBufferIdentifier().str();
        StringRef dir = llvm::sys::path::parent_path(options.fileName);
        options.modelDir = dir.empty() ? "." : dir.str();
        OwningOpRef<ModuleOp> module =
            importONNX(buffer->getBuffer(), *context, options);
        if (!module)
          return nullptr;
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) {
        registry.insert<KilnDialect, func::FuncDialect>();
      });
}
