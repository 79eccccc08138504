//===- ONNXImporter.h - Import ONNX models into the kiln dialect -*- C++
//-*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Turns an ONNX model (binary protobuf `.onnx` or ONNX's textual syntax
// `.onnxtxt`) into a module holding one `func.func` of kiln ops. Every op's
// location names its ONNX node. Bad or unsupported input is reported through
// the context's diagnostics and yields a null module; it never aborts.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_IMPORT_ONNX_ONNXIMPORTER_H
#define KILN_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir {
namespace kiln {

/// The oldest and newest default-domain opsets the importer accepts.
inline constexpr int64_t kMinONNXOpset = 7;
inline constexpr int64_t kMaxONNXOpset = 28;

struct ONNXImportOptions {
  /// Folder that external-data paths are resolved in (and may not leave).
  std::string modelDir = ".";
  /// Name of the file, used in locations.
  std::string fileName = "<onnx>";
  /// Name of the generated function.
  std::string functionName = "main";
};

/// Imports a model from its bytes: ONNX's textual syntax if it starts with
/// `<` (after blanks and comments), else binary protobuf.
OwningOpRef<ModuleOp> importONNX(llvm::StringRef bytes, MLIRContext &context,
                                 const ONNXImportOptions &options = {});

/// Reads `path` and imports it; external data is resolved beside it.
OwningOpRef<ModuleOp> importONNXFile(llvm::StringRef path,
                                     MLIRContext &context);

/// Registers `--import-onnx` with mlir-translate style tools.
/// The op types of the default ONNX domain that the importer converts,
/// sorted.
std::vector<std::string> getSupportedONNXOps();

void registerONNXImportTranslation();

} // namespace kiln
} // namespace mlir

#endif // KILN_IMPORT_ONNX_ONNXIMPORTER_H
