//===- onnx-import-fuzzer.cpp - libFuzzer target for the ONNX importer ----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes to the ONNX importer, as binary protobuf or (when the
// bytes look like text) as ONNX's textual syntax. Any input must end in a
// module or an error; a crash, a sanitizer report or a hang is a bug.
// External data resolves inside an empty temporary folder, so a fuzzed model
// can never read outside it.
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNX/ONNXImporter.h"
#include "kiln/InitAllDialects.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"

#include <cstdint>
#include <cstdlib>

namespace {

struct FuzzState {
  FuzzState() {
    mlir::DialectRegistry registry;
    mlir::kiln::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    // Errors are the expected outcome for most inputs; keep them quiet.
    context.getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("kiln-fuzz", dir))
      std::abort();
    options.modelDir = std::string(dir);
    options.fileName = "fuzz.onnx";
  }
  mlir::MLIRContext context{mlir::MLIRContext::Threading::DISABLED};
  mlir::kiln::ONNXImportOptions options;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FuzzState state;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::kiln::importONNX(bytes, state.context, state.options);
  (void)module;
  return 0;
}
