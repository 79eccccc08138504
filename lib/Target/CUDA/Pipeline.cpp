//===- Pipeline.cpp - The CUDA target's stages ----------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/CUDATarget.h"
#include "kiln/Target/CUDA/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kiln;

std::optional<CUDAStage> mlir::kiln::parseCUDAStage(StringRef name) {
  return llvm::StringSwitch<std::optional<CUDAStage>>(name)
      .Case("gpu", CUDAStage::GPU)
      .Case("llvm", CUDAStage::LLVM)
      .Default(std::nullopt);
}

// Architectures that LLVM 22's NVPTX back end and CUDA 13's ptxas both
// support with PTX ISA 8.0.
static constexpr StringLiteral kArchs[] = {"sm_75", "sm_80", "sm_86",
                                           "sm_87", "sm_89", "sm_90"};

StringRef mlir::kiln::supportedCUDAArchs() {
  return "sm_75, sm_80, sm_86, sm_87, sm_89, sm_90";
}

bool mlir::kiln::isSupportedCUDAArch(StringRef chip) {
  return llvm::is_contained(kArchs, chip);
}

std::string mlir::kiln::findCUDAToolkit() {
  SmallVector<std::string> candidates;
  for (const char *variable : {"CUDA_HOME", "CUDA_PATH"})
    if (std::optional<std::string> value = llvm::sys::Process::GetEnv(variable))
      if (!value->empty())
        candidates.push_back(*value);
  candidates.push_back("/usr/local/cuda");
  for (const std::string &candidate : candidates) {
    SmallString<256> libdevice(candidate);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::exists(libdevice))
      return candidate;
  }
  return "";
}

bool mlir::kiln::canEmbedCubin(StringRef toolkitPath) {
  if (toolkitPath.empty())
    return false;
  for (StringRef tool : {"ptxas", "fatbinary"}) {
    SmallString<256> path(toolkitPath);
    llvm::sys::path::append(path, "bin", tool);
    if (!llvm::sys::fs::can_execute(path))
      return false;
  }
  return true;
}

void mlir::kiln::registerCUDATargetDialects(DialectRegistry &registry) {
  registry.insert<affine::AffineDialect, arith::ArithDialect,
                  cf::ControlFlowDialect, gpu::GPUDialect, index::IndexDialect,
                  LLVM::LLVMDialect, memref::MemRefDialect, NVVM::NVVMDialect,
                  scf::SCFDialect>();
  // The conversions to LLVM that gpu-to-llvm and convert-gpu-to-nvvm
  // collect through interfaces.
  registerAllExtensions(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

void mlir::kiln::registerCUDATargetPasses() {
  static bool registered = [] {
    registerKilnCUDAPasses();
    registerGPUPasses();
    return true;
  }();
  (void)registered;
}

/// The `gpu` stage: bufferization with buffers in device memory, linalg
/// mapped onto blocks and threads, the kernels outlined into one module
/// with an NVVM target.
static std::string gpuStagePipeline(const CUDATargetOptions &options) {
  std::string pipeline;
  llvm::raw_string_ostream os(pipeline);
  // Elementwise chains fuse into one op, hence one kernel.
  // Convolutions become image columns and a contraction, which
  // kiln-gpu-tile-matmul tiles once on buffers.
  os << "func.func(linalg-fuse-elementwise-ops,kiln-gpu-conv-to-matmul,"
        "canonicalize,cse),"
     << "one-shot-bufferize{bufferize-function-boundaries=1 "
        "function-boundary-type-conversion=identity-layout-map},"
     << "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
     << "func.func(kiln-memref-copy-to-linalg),kiln-gpu-host-device-copies,"
     << "func.func(kiln-gpu-tile-matmul,kiln-gpu-block-reduce,"
     << "kiln-gpu-map-linalg{block-size=" << options.blockSize << "},"
     << "convert-parallel-loops-to-gpu,kiln-gpu-host-shared,"
        "kiln-gpu-stream-memory-ops,canonicalize,"
        "cse),"
     << "gpu-launch-sink-index-computations,gpu-kernel-outlining,"
     << "kiln-gpu-merge-kernel-modules,"
     << "nvvm-attach-target{chip=" << options.chip
     << " features=+ptx80 O=" << options.optLevel << "}";
  return pipeline;
}

/// The `llvm` stage: kernels to NVVM and then to a gpu.binary, host code to
/// the LLVM dialect, the GPU calls to the runtime's mgpu* functions.
static std::string llvmStagePipeline(const CUDATargetOptions &options) {
  std::string pipeline;
  llvm::raw_string_ostream os(pipeline);
  os << "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
     << "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,"
        "reconcile-unrealized-casts),"
     << "gpu-to-llvm,"
     << "convert-math-to-funcs,finalize-memref-to-llvm,convert-math-to-llvm,"
        "convert-math-to-libm,convert-arith-to-llvm,convert-index-to-llvm,"
        "convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts,"
     << "gpu-module-to-binary{format="
     << (options.format == GPUBinaryFormat::Fatbin ? "fatbin" : "isa");
  if (!options.toolkitPath.empty())
    os << " toolkit=" << options.toolkitPath;
  os << "}";
  return pipeline;
}

LogicalResult mlir::kiln::addCUDAStagePasses(OpPassManager &pm, CUDAStage stage,
                                             const CUDATargetOptions &options) {
  if (!isSupportedCUDAArch(options.chip)) {
    llvm::errs() << "error: '" << options.chip
                 << "' is not a CUDA architecture Kiln supports ("
                 << supportedCUDAArchs() << ")\n";
    return failure();
  }
  if (options.format == GPUBinaryFormat::Fatbin &&
      !canEmbedCubin(options.toolkitPath)) {
    llvm::errs() << "error: embedding cubins needs ptxas and fatbinary from "
                    "the CUDA toolkit, which were not found\n";
    return failure();
  }
  std::string pipeline = stage == CUDAStage::GPU ? gpuStagePipeline(options)
                                                 : llvmStagePipeline(options);
  return parsePassPipeline(pipeline, pm, llvm::errs());
}
