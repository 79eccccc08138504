//===- CUDATarget.h - GPU code for NVIDIA GPUs ------------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The CUDA target takes a model from the shared `linalg` stage (tensors) to
// host code in the LLVM dialect that drives the GPU through the runtime's
// `mgpu*` functions (docs/abi.md, "GPU modules"), with the kernels embedded
// as PTX, or as a fatbin holding both a cubin and the PTX when the CUDA
// toolkit's ptxas and fatbinary are at hand. Two stages after `linalg`:
//
//   gpu   bufferized; buffers in device memory with copies only at the
//         function's boundaries; linalg mapped onto blocks and threads;
//         kernels outlined into one gpu.module with an NVVM target
//   llvm  kernels compiled and embedded (gpu.binary), host code in the LLVM
//         dialect, ready for the CPU target's translation
//
// docs/cuda.md describes the pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TARGET_CUDA_CUDATARGET_H
#define KILN_TARGET_CUDA_CUDATARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir {
namespace kiln {

/// The stages the CUDA target adds after the shared `linalg` stage.
enum class CUDAStage { GPU, LLVM };

/// The CUDA stage named `name` ("gpu" or "llvm"), if there is one.
std::optional<CUDAStage> parseCUDAStage(llvm::StringRef name);

/// How the kernels are embedded.
enum class GPUBinaryFormat {
  /// PTX text, which the driver compiles when the module is loaded.
  PTX,
  /// A fatbin holding the cubin for the chip and the PTX (needs ptxas and
  /// fatbinary from the CUDA toolkit).
  Fatbin,
};

struct CUDATargetOptions {
  /// The GPU architecture, `sm_80` style (isSupportedCUDAArch).
  std::string chip = "sm_80";
  /// Optimization level of the kernels' LLVM and of ptxas, 0 to 3.
  unsigned optLevel = 3;
  /// Threads per block of the generated kernels.
  int64_t blockSize = 256;
  /// The CUDA toolkit (libdevice, and ptxas and fatbinary for
  /// GPUBinaryFormat::Fatbin), as findCUDAToolkit gives it.
  std::string toolkitPath;
  GPUBinaryFormat format = GPUBinaryFormat::PTX;
};

/// The CUDA toolkit's folder: $CUDA_HOME, $CUDA_PATH or /usr/local/cuda,
/// the first that holds libdevice (nvvm/libdevice/libdevice.10.bc); empty if
/// none does.
std::string findCUDAToolkit();

/// The architectures the CUDA target accepts, comma separated.
llvm::StringRef supportedCUDAArchs();

/// Whether `chip` names an architecture the CUDA target generates code for.
bool isSupportedCUDAArch(llvm::StringRef chip);

/// Whether the toolkit at `toolkitPath` can make cubins (has ptxas and
/// fatbinary), so GPUBinaryFormat::Fatbin is available.
bool canEmbedCubin(llvm::StringRef toolkitPath);

/// Registers the dialects, interfaces and translations the CUDA stages need,
/// beyond the CPU pipeline's (registerPipelineDialects).
void registerCUDATargetDialects(DialectRegistry &registry);

/// Registers the CUDA target's passes (Passes.td) and the upstream passes
/// its stages are made of.
void registerCUDATargetPasses();

/// Adds the passes that take a module from the stage before `stage` (the
/// shared `linalg` stage for CUDAStage::GPU) to `stage`. Fails, with a
/// message, if a pipeline does not parse or the options are not usable.
LogicalResult addCUDAStagePasses(OpPassManager &pm, CUDAStage stage,
                                 const CUDATargetOptions &options);

/// The PTX of the kernels in `module`, after the `llvm` stage with
/// GPUBinaryFormat::PTX. A module without kernels gives an empty string.
llvm::Expected<std::string> collectPTX(ModuleOp module);

/// Adds the ABI's `const char kiln_target[] = "cuda"` to `module`.
void addCUDATargetSymbol(llvm::Module &module);

} // namespace kiln
} // namespace mlir

#endif // KILN_TARGET_CUDA_CUDATARGET_H
