//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kilnc MODEL.onnx [--emit=KIND] [--stop-after=STAGE] [-o OUT]`, and
// `kilnc --list-onnx-ops`.
//
// Stages, in order:
//   import  the kiln IR exactly as the ONNX importer produced it
//   kiln    after graph-level clean-up: canonicalize, shape inference, CSE
//
// Code generation (--emit=lib|static|exe|obj|asm|llvm|ptx) is not part of
// this build yet; asking for it is an error that says so.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Transforms/Passes.h"
#include "kiln/Import/ONNX/ONNXImporter.h"
#include "kiln/InitAllDialects.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace llvm;

namespace {

enum class Emit { MLIR, Lib, Static, Exe, Obj, Asm, LLVM, PTX };
enum class Stage { Import, Kiln };

cl::OptionCategory kilncCategory("kilnc options");

cl::opt<bool> listONNXOps("list-onnx-ops",
                          cl::desc("Print the ONNX op types Kiln imports, "
                                   "one per line, and exit"),
                          cl::init(false), cl::cat(kilncCategory));

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.onnx | model.onnxtxt>"),
                               cl::cat(kilncCategory));

cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' is stdout)"),
                                cl::value_desc("file"), cl::init(""),
                                cl::cat(kilncCategory));

cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Lib),
    cl::values(clEnumValN(Emit::MLIR, "mlir", "MLIR at the --stop-after stage"),
               clEnumValN(Emit::Lib, "lib", "a shared library (default)"),
               clEnumValN(Emit::Static, "static",
                          "a static archive and a C header"),
               clEnumValN(Emit::Exe, "exe", "a standalone executable"),
               clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::Asm, "asm", "assembly"),
               clEnumValN(Emit::LLVM, "llvm", "LLVM IR"),
               clEnumValN(Emit::PTX, "ptx", "PTX for NVIDIA GPUs")),
    cl::cat(kilncCategory));

StringRef emitName(Emit e) {
  switch (e) {
  case Emit::MLIR:
    return "mlir";
  case Emit::Lib:
    return "lib";
  case Emit::Static:
    return "static";
  case Emit::Exe:
    return "exe";
  case Emit::Obj:
    return "obj";
  case Emit::Asm:
    return "asm";
  case Emit::LLVM:
    return "llvm";
  case Emit::PTX:
    return "ptx";
  }
  llvm_unreachable("unknown --emit kind");
}

int fail(const Twine &message) {
  WithColor::error(errs(), "kilnc") << message << "\n";
  return 1;
}

/// Runs the graph-level clean-up that ends the `kiln` stage.
LogicalResult runKilnStage(ModuleOp module, TimingScope &timing) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableTiming(timing);
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(kiln::createKilnInferShapesPass());
  pm.addNestedPass<func::FuncOp>(createCSEPass());
  return pm.run(module);
}

/// Writes `module` to `path` through a temporary file renamed into place,
/// so a failed run never leaves a partial file.
LogicalResult writeModule(ModuleOp module, StringRef path) {
  Error error = writeToOutput(path, [&](raw_ostream &os) {
    module.print(os);
    os << "\n";
    return Error::success();
  });
  if (error) {
    (void)fail("cannot write '" + path + "': " + toString(std::move(error)));
    return failure();
  }
  return success();
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // LLVM's code generator registers its own --stop-after (a pass name);
  // kilnc's names a stage, so that one is unregistered first.
  if (cl::Option *llvmStopAfter =
          cl::getRegisteredOptions().lookup("stop-after"))
    llvmStopAfter->removeArgument();
  cl::opt<Stage> stopAfter(
      "stop-after", cl::desc("With --emit=mlir: the last stage to run"),
      cl::init(Stage::Kiln),
      cl::values(clEnumValN(Stage::Import, "import",
                            "the kiln IR as the importer produced it"),
                 clEnumValN(Stage::Kiln, "kiln",
                            "after canonicalization and shape inference")),
      cl::cat(kilncCategory));
  cl::HideUnrelatedOptions({&kilncCategory, &getColorCategory()});
  cl::ParseCommandLineOptions(argc, argv, "Kiln compiler driver\n");

  if (listONNXOps) {
    for (const std::string &op : kiln::getSupportedONNXOps())
      outs() << op << "\n";
    return 0;
  }
  if (inputFile.empty())
    return fail("no input model given (kilnc MODEL.onnx ...)");
  if (emit != Emit::MLIR)
    return fail("--emit=" + emitName(emit) +
                " needs code generation, which this build of Kiln does not "
                "have yet; use --emit=mlir");

  DialectRegistry registry;
  kiln::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();

  OwningOpRef<ModuleOp> module;
  {
    TimingScope importTiming = timing.nest("import");
    module = kiln::importONNXFile(inputFile, context);
  }
  if (!module)
    return 1;
  if (stopAfter >= Stage::Kiln && failed(runKilnStage(*module, timing)))
    return 1;

  std::string path = outputFile.empty() ? "-" : outputFile.getValue();
  return failed(writeModule(*module, path)) ? 1 : 0;
}
