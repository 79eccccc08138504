//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
//   kilnc MODEL.onnx [-o OUT] [--emit=lib|exe|static|obj|asm|llvm|mlir]
//         [--stop-after=STAGE] [--cpu=native|NAME] [-O0..-O3]
//   kilnc MODEL.onnx --train [--loss=... --optimizer=... --lr=...]
//         (docs/training.md)
//   kilnc --list-onnx-ops
//
// Stages, in order (include/kiln/Pipelines/Pipelines.h): import, kiln,
// linalg, vector, bufferized, llvm. --emit=mlir prints the module after
// --stop-after (default: the last, llvm); the other outputs run every stage
// and then LLVM. Every file is written through a temporary file renamed
// into place, so a failed run leaves nothing behind.
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNX/ONNXImporter.h"
#include "kiln/Pipelines/Pipelines.h"
#include "kiln/Target/CPU/CPUTarget.h"
#include "kiln/Target/CUDA/CUDATarget.h"
#include "kiln/Training/TrainingStep.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace llvm;
using kiln::Stage;

namespace {

enum class Emit { MLIR, Lib, Static, Exe, Obj, Asm, LLVM, PTX };

enum class Target { CPU, CUDA };

cl::OptionCategory kilncCategory("kilnc options");

cl::opt<bool> listONNXOps("list-onnx-ops",
                          cl::desc("Print the ONNX op types Kiln imports, "
                                   "one per line, and exit"),
                          cl::init(false), cl::cat(kilncCategory));

cl::opt<std::string>
    inputFile(cl::Positional,
              cl::desc("<model.onnx | model.onnxtxt | module.mlir>"),
              cl::cat(kilncCategory));

cl::opt<std::string>
    outputFile("o",
               cl::desc("Output file ('-' is stdout for text outputs; "
                        "default: the model's name with the output's "
                        "extension, or stdout for --emit=mlir)"),
               cl::value_desc("file"), cl::init(""), cl::cat(kilncCategory));

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

cl::opt<Target> targetKind(
    "target", cl::desc("The device the model runs on"), cl::init(Target::CPU),
    cl::values(clEnumValN(Target::CPU, "cpu", "the host CPU (default)"),
               clEnumValN(Target::CUDA, "cuda",
                          "NVIDIA GPUs: kernels as PTX (and a cubin when "
                          "the CUDA toolkit is there), host code on the "
                          "CPU")),
    cl::cat(kilncCategory));

cl::opt<std::string>
    cudaArch("cuda-arch",
             cl::desc("With --target=cuda, the GPU architecture: sm_80 (the "
                      "default), sm_90, ..."),
             cl::init("sm_80"), cl::cat(kilncCategory));

cl::opt<std::string> cpu("cpu",
                         cl::desc("The CPU to generate code for: native (the "
                                  "default), or a name such as x86-64-v3"),
                         cl::init("native"), cl::cat(kilncCategory));

cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::Prefix, cl::init(3), cl::cat(kilncCategory));

cl::opt<bool> reportFusion(
    "report-fusion",
    cl::desc("Print how many kernels elementwise fusion formed from how many "
             "linalg ops, per function"),
    cl::cat(kilncCategory));

cl::opt<bool> reportMemory(
    "report-memory",
    cl::desc("Print each function's memory plan: the buffers placed in its "
             "arena, the arena's size and the allocations left to run time"),
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

int fail(Error error) {
  std::string message = toString(std::move(error));
  return fail(message);
}

/// The default output path: the model's name with `extension`.
std::string defaultOutput(StringRef extension) {
  SmallString<256> path(sys::path::filename(inputFile));
  sys::path::replace_extension(path, extension);
  return std::string(path);
}

/// Writes through `write` to `path` ('-' is stdout) via a temporary file
/// renamed into place.
int writeOutput(StringRef path, llvm::function_ref<void(raw_ostream &)> write) {
  Error error = writeToOutput(path, [&](raw_ostream &os) {
    write(os);
    return Error::success();
  });
  if (error)
    return fail("cannot write '" + path + "': " + toString(std::move(error)));
  return 0;
}

/// Writes a binary produced by `produce` into a temporary file beside
/// `path`, then renames it into place. A `path` that exists and is not a
/// regular file (/dev/null, a pipe) is copied into instead: renaming over it
/// would replace the device.
int writeBinary(StringRef path,
                llvm::function_ref<Error(StringRef temporary)> produce) {
  sys::fs::file_status existing;
  if (!sys::fs::status(path, existing) && sys::fs::exists(existing) &&
      !sys::fs::is_regular_file(existing) && !sys::fs::is_directory(existing)) {
    SmallString<256> temporary;
    if (std::error_code ec =
            sys::fs::createTemporaryFile("kilnc-output", "", temporary))
      return fail("cannot write '" + path + "': " + ec.message());
    Error error = produce(temporary);
    std::error_code copied =
        error ? std::error_code() : sys::fs::copy_file(temporary, path);
    sys::fs::remove(temporary);
    if (error)
      return fail(std::move(error));
    if (copied)
      return fail("cannot write '" + path + "': " + copied.message());
    return 0;
  }
  SmallString<256> temporary;
  std::string pattern = (path + ".tmp-%%%%%%").str();
  if (std::error_code ec = sys::fs::createUniqueFile(pattern, temporary))
    return fail("cannot write '" + path + "': " + ec.message());
  if (Error error = produce(temporary)) {
    sys::fs::remove(temporary);
    return fail(std::move(error));
  }
  if (std::error_code ec = sys::fs::rename(temporary, path)) {
    sys::fs::remove(temporary);
    return fail("cannot write '" + path + "': " + ec.message());
  }
  return 0;
}

/// Runs the stages after `done` up to and including `last`.
LogicalResult runStages(ModuleOp module, Stage done, Stage last,
                        TimingScope &timing) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableTiming(timing);
  kiln::PipelineOptions options;
  options.reportMemory = reportMemory;
  options.reportFusion = reportFusion;
  for (Stage stage : kiln::kCompileStages) {
    if (stage <= done || stage > last)
      continue;
    if (failed(kiln::addStagePasses(pm, stage, options)))
      return failure();
  }
  return pm.run(module);
}

/// Runs the CUDA target's stages after `linalg` up to `last`.
LogicalResult runCUDAStages(ModuleOp module, kiln::CUDAStage last,
                            const kiln::CUDATargetOptions &options,
                            TimingScope &timing) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableTiming(timing);
  if (failed(kiln::addCUDAStagePasses(pm, kiln::CUDAStage::GPU, options)))
    return failure();
  if (last == kiln::CUDAStage::LLVM &&
      failed(kiln::addCUDAStagePasses(pm, kiln::CUDAStage::LLVM, options)))
    return failure();
  return pm.run(module);
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  kiln::registerPipelines();
  kiln::registerCUDATargetPasses();
  kiln::registerTrainingCLOptions();
  // LLVM's code generator registers its own --stop-after (a pass name);
  // kilnc's names a stage, so that one is unregistered first.
  if (cl::Option *llvmStopAfter =
          cl::getRegisteredOptions().lookup("stop-after"))
    llvmStopAfter->removeArgument();
  cl::opt<std::string> stopAfter(
      "stop-after",
      cl::desc("With --emit=mlir, the last stage to run: import, kiln, "
               "linalg, vector, bufferized or llvm (the default)"),
      cl::init("llvm"), cl::cat(kilncCategory));
  cl::HideUnrelatedOptions({&kilncCategory, &kiln::getTrainingOptionCategory(),
                            &getColorCategory()});
  cl::ParseCommandLineOptions(argc, argv, "Kiln compiler driver\n");

  if (listONNXOps) {
    for (const std::string &op : kiln::getSupportedONNXOps())
      outs() << op << "\n";
    return 0;
  }
  if (inputFile.empty())
    return fail("no input model given (kilnc MODEL.onnx ...)");
  // --train compiles a training step (docs/training.md) and writes the
  // initial values of its inputs beside a library or executable.
  Expected<std::optional<kiln::TrainingOptions>> training =
      kiln::getTrainingOptionsFromCL();
  if (!training)
    return fail(training.takeError());
  if (*training && StringRef(inputFile).ends_with(".mlir"))
    return fail("--train needs an ONNX model, not a .mlir module");
  kiln::TrainingArtifacts trainingArtifacts;
  // --target=cuda shares the stages up to linalg and has its own after it.
  std::optional<kiln::CUDAStage> cudaLast;
  if (targetKind == Target::CUDA)
    cudaLast = kiln::parseCUDAStage(stopAfter);
  std::optional<Stage> last =
      cudaLast ? Stage::Linalg : kiln::parseStage(stopAfter);
  if (!last)
    return fail("unknown stage '" + stopAfter +
                "' for --stop-after (import, kiln, linalg, vector, "
                "bufferized, llvm)");
  if (stopAfter.getNumOccurrences() && emit != Emit::MLIR)
    return fail("--stop-after needs --emit=mlir");
  if (targetKind == Target::CUDA && !cudaLast && *last > Stage::Linalg)
    return fail("--target=cuda stops after import, kiln, linalg, gpu or "
                "llvm, not '" +
                stopAfter + "'");
  if (emit == Emit::PTX && targetKind != Target::CUDA)
    return fail("--emit=ptx needs --target=cuda");
  if (cudaArch.getNumOccurrences() && targetKind != Target::CUDA)
    return fail("--cuda-arch needs --target=cuda");
  if (targetKind == Target::CUDA && !kiln::isSupportedCUDAArch(cudaArch))
    return fail("unknown CUDA architecture '" + cudaArch +
                "' for --cuda-arch (" + kiln::supportedCUDAArchs() + ")");
  if (optLevel > 3)
    return fail("-O" + Twine(optLevel.getValue()) + " is not a level (0-3)");
  kiln::CPUTargetOptions target;
  target.cpu = cpu;
  target.optLevel = optLevel;
  kiln::CUDATargetOptions cudaTarget;
  if (targetKind == Target::CUDA) {
    cudaTarget.chip = cudaArch;
    cudaTarget.optLevel = optLevel;
    cudaTarget.toolkitPath = kiln::findCUDAToolkit();
    // The PTX is always embedded; with the toolkit's ptxas, inside a fatbin
    // beside the cubin.
    if (emit != Emit::PTX && kiln::canEmbedCubin(cudaTarget.toolkitPath))
      cudaTarget.format = kiln::GPUBinaryFormat::Fatbin;
  }

  DialectRegistry registry;
  kiln::registerPipelineDialects(registry);
  if (targetKind == Target::CUDA)
    kiln::registerCUDATargetDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors keep MLIR's default printing; remarks and warnings (such as
  // --report-memory's) are printed here, which the default would drop.
  ScopedDiagnosticHandler notes(&context, [](Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error)
      return failure();
    Location loc = diag.getLocation();
    if (auto file = dyn_cast<FileLineColLoc>(loc)) {
      errs() << file.getFilename().getValue();
      if (file.getLine())
        errs() << ":" << file.getLine() << ":" << file.getColumn();
    } else if (auto name = dyn_cast<NameLoc>(loc)) {
      errs() << "node '" << name.getName().getValue() << "'";
    } else {
      errs() << "kilnc";
    }
    errs() << ": "
           << (diag.getSeverity() == mlir::DiagnosticSeverity::Warning
                   ? "warning"
                   : "remark")
           << ": " << diag << "\n";
    return success();
  });

  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();

  OwningOpRef<ModuleOp> module;
  {
    TimingScope importTiming = timing.nest("import");
    // A .mlir input is a module in the kiln dialect (such as the output
    // of kiln-opt --kiln-autodiff), compiled as it is.
    if (StringRef(inputFile).ends_with(".mlir"))
      module = parseSourceFile<ModuleOp>(inputFile, &context);
    else if (*training)
      module = kiln::buildTrainingStep(inputFile, context, **training,
                                       trainingArtifacts);
    else
      module = kiln::importONNXFile(inputFile, context);
  }
  if (!module)
    return 1;
  // The exported functions: the model, and a training step's forward pass.
  SmallVector<std::string> exported{"main"};
  if (*training)
    exported.push_back("eval");
  for (const std::string &name : exported)
    if (!module->lookupSymbol<func::FuncOp>(name))
      return fail("the module has no function '" + name + "'");
  auto setCInterface = [&] {
    for (const std::string &name : exported)
      module->lookupSymbol<func::FuncOp>(name)->setAttr(
          "llvm.emit_c_interface", UnitAttr::get(&context));
  };

  if (emit == Emit::MLIR) {
    if (*last >= Stage::Linalg)
      setCInterface();
    if (failed(runStages(*module, Stage::Import, *last, timing)))
      return 1;
    if (cudaLast &&
        failed(runCUDAStages(*module, *cudaLast, cudaTarget, timing)))
      return 1;
    std::string path = outputFile.empty() ? "-" : outputFile.getValue();
    return writeOutput(path, [&](raw_ostream &os) { module->print(os); });
  }

  // The signature is read at the kiln stage, where types still carry
  // signedness and names.
  if (failed(runStages(*module, Stage::Import, Stage::Kiln, timing)))
    return 1;
  SmallVector<kiln::ExportedFunction> functions;
  for (const std::string &name : exported) {
    Expected<std::string> signature =
        kiln::describeSignature(module->lookupSymbol<func::FuncOp>(name));
    if (!signature)
      return fail(signature.takeError());
    functions.push_back({name, *signature});
  }
  const std::string &signature = functions.front().signature;
  setCInterface();
  if (failed(runStages(*module, Stage::Kiln,
                       targetKind == Target::CUDA ? Stage::Linalg : Stage::LLVM,
                       timing)))
    return 1;
  if (targetKind == Target::CUDA &&
      failed(runCUDAStages(*module, kiln::CUDAStage::LLVM, cudaTarget, timing)))
    return 1;
  if (emit == Emit::PTX) {
    Expected<std::string> ptx = kiln::collectPTX(*module);
    if (!ptx)
      return fail(ptx.takeError());
    std::string path =
        outputFile.empty() ? defaultOutput("ptx") : outputFile.getValue();
    return writeOutput(path, [&](raw_ostream &os) { os << *ptx; });
  }

  LLVMContext llvmContext;
  Expected<std::unique_ptr<llvm::Module>> llvmModule = [&] {
    TimingScope llvmTiming = timing.nest("LLVM");
    SmallVector<kiln::ExportedData> data;
    if (*training) {
      data.push_back({"kiln_training_model", trainingArtifacts.model});
      data.push_back({"kiln_training_info", trainingArtifacts.info});
    }
    return kiln::translateToLLVMIR(*module, llvmContext, functions, target,
                                   data);
  }();
  if (!llvmModule)
    return fail(llvmModule.takeError());
  if (targetKind == Target::CUDA)
    kiln::addCUDATargetSymbol(**llvmModule);

  switch (emit) {
  case Emit::LLVM: {
    std::string path =
        outputFile.empty() ? defaultOutput("ll") : outputFile.getValue();
    return writeOutput(
        path, [&](raw_ostream &os) { (*llvmModule)->print(os, nullptr); });
  }
  case Emit::Asm:
  case Emit::Obj: {
    bool assembly = emit == Emit::Asm;
    std::string path = outputFile.empty() ? defaultOutput(assembly ? "s" : "o")
                                          : outputFile.getValue();
    TimingScope codegenTiming = timing.nest("machine code");
    return writeBinary(path, [&](StringRef temporary) -> Error {
      std::error_code ec;
      raw_fd_ostream os(temporary, ec,
                        assembly ? sys::fs::OF_Text : sys::fs::OF_None);
      if (ec)
        return createStringError(ec, "cannot open '%s'",
                                 temporary.str().c_str());
      return kiln::emitMachineCode(**llvmModule, target, assembly, os);
    });
  }
  case Emit::Static: {
    std::string path =
        outputFile.empty() ? defaultOutput("a") : outputFile.getValue();
    SmallString<256> header(path);
    sys::path::replace_extension(header, "h");
    TimingScope codegenTiming = timing.nest("machine code");
    if (int status = writeBinary(path, [&](StringRef temporary) -> Error {
          SmallString<256> object;
          if (std::error_code ec =
                  sys::fs::createTemporaryFile("kiln-model", "o", object))
            return createStringError(ec,
                                     "cannot create a temporary object file");
          auto cleanup = make_scope_exit([&] { sys::fs::remove(object); });
          {
            std::error_code ec;
            raw_fd_ostream os(object, ec, sys::fs::OF_None);
            if (ec)
              return createStringError(ec, "cannot open '%s'",
                                       object.str().str().c_str());
            if (Error e =
                    kiln::emitMachineCode(**llvmModule, target, false, os))
              return e;
          }
          return kiln::archiveObject(object, temporary);
        }))
      return status;
    std::string text = kiln::staticLibraryHeader("main", signature);
    return writeOutput(header, [&](raw_ostream &os) { os << text; });
  }
  case Emit::Lib:
  case Emit::Exe: {
    bool executable = emit == Emit::Exe;
    std::string path = outputFile.empty()
                           ? defaultOutput(executable ? "" : "so")
                           : outputFile.getValue();
    if (path == inputFile)
      path += ".out";
    // The runtime archive sits in the lib folder beside kilnc's bin.
    std::string self = sys::fs::getMainExecutable(
        argv[0], reinterpret_cast<void *>(&emitName));
    SmallString<256> runtime(
        sys::path::parent_path(sys::path::parent_path(self)));
    sys::path::append(runtime, "lib", "libKilnRuntime.a");
    if (executable)
      if (Error e = kiln::addExecutableMain(**llvmModule, "main"))
        return fail(std::move(e));
    TimingScope codegenTiming = timing.nest("machine code and linking");
    int status = writeBinary(path, [&](StringRef temporary) -> Error {
      SmallString<256> object;
      if (std::error_code ec =
              sys::fs::createTemporaryFile("kiln-model", "o", object))
        return createStringError(ec, "cannot create a temporary object file");
      auto cleanup = make_scope_exit([&] { sys::fs::remove(object); });
      {
        std::error_code ec;
        raw_fd_ostream os(object, ec, sys::fs::OF_None);
        if (ec)
          return createStringError(ec, "cannot open '%s'",
                                   object.str().str().c_str());
        if (Error e = kiln::emitMachineCode(**llvmModule, target, false, os))
          return e;
      }
      return executable ? kiln::linkExecutable(object, runtime, temporary)
                        : kiln::linkSharedLibrary(object, temporary);
    });
    if (status || !*training)
      return status;
    if (Error e =
            kiln::writeInitFile(path + ".init.npz", trainingArtifacts.init))
      return fail("cannot write '" + path +
                  ".init.npz': " + toString(std::move(e)));
    return 0;
  }
  default:
    llvm_unreachable("handled above");
  }
}
