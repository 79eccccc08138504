//===- Signature.cpp - The module ABI's signature text --------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CPU/CPUTarget.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::kiln;

/// The ABI's name of an element type, or "" if the ABI has none.
static std::string dtypeName(Type type) {
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  if (auto integer = dyn_cast<IntegerType>(type)) {
    unsigned width = integer.getWidth();
    if (width == 1 && integer.isSignless())
      return "i1";
    if (width != 8 && width != 16 && width != 32 && width != 64)
      return "";
    return (integer.isUnsigned() ? "u" : "i") + std::to_string(width);
  }
  return "";
}

/// Percent-encodes the bytes of `name` outside [A-Za-z0-9_.:/-].
static std::string encodeName(StringRef name) {
  std::string out;
  for (unsigned char c : name) {
    if (llvm::isAlnum(c) || StringRef("_.:/-").contains(c))
      out.push_back(c);
    else
      out += llvm::formatv("%{0:X2}", unsigned(c)).str();
  }
  return out.empty() ? std::string("%") : out;
}

static llvm::Error describe(std::string &out, StringRef kind, StringRef name,
                            Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return llvm::createStringError("%s '%s' is not a ranked tensor",
                                   kind.str().c_str(), name.str().c_str());
  std::string dtype = dtypeName(tensor.getElementType());
  if (dtype.empty()) {
    std::string typeName;
    llvm::raw_string_ostream os(typeName);
    os << tensor.getElementType();
    return llvm::createStringError(
        "%s '%s' has element type %s, which compiled modules do not take yet",
        kind.str().c_str(), name.str().c_str(), typeName.c_str());
  }
  out += (kind + " " + encodeName(name) + " " + dtype + " " +
          Twine(tensor.getRank()))
             .str();
  for (int64_t d : tensor.getShape())
    out += " " + std::to_string(ShapedType::isDynamic(d) ? -1 : d);
  out += "\n";
  return llvm::Error::success();
}

llvm::Expected<std::string> mlir::kiln::describeSignature(func::FuncOp func) {
  std::string out;
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "kiln.name");
    std::string fallback = "input" + std::to_string(i);
    if (llvm::Error e = describe(
            out, "input", name ? name.getValue() : fallback, type.getInput(i)))
      return std::move(e);
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "kiln.name");
    std::string fallback = "output" + std::to_string(i);
    if (llvm::Error e =
            describe(out, "output", name ? name.getValue() : fallback,
                     type.getResult(i)))
      return std::move(e);
  }
  return out;
}
