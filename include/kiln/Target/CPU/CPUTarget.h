//===- CPUTarget.h - Machine code for x86-64 CPUs ---------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// From the LLVM dialect to a binary: translation to LLVM IR with the module
// ABI's symbols (docs/abi.md), optimization, machine code through LLVM's
// TargetMachine in-process, and linking with lld.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TARGET_CPU_CPUTARGET_H
#define KILN_TARGET_CPU_CPUTARGET_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlir {
namespace kiln {

struct CPUTargetOptions {
  /// `native` (the host CPU and its features) or an LLVM CPU name such as
  /// `x86-64-v3`.
  std::string cpu = "native";
  /// LLVM's optimization level, 0 to 3.
  unsigned optLevel = 3;
};

/// The module ABI's signature text of `func` (docs/abi.md), from its kiln
/// types (which still carry signedness) and `kiln.name` attributes.
llvm::Expected<std::string> describeSignature(func::FuncOp func);

/// A function the compiled module exports, with its signature text.
struct ExportedFunction {
  std::string name;
  std::string signature;
};

/// A constant the compiled module exports: `<name>` holds `bytes` and
/// `<name>_size` (a uint64_t) their count.
struct ExportedData {
  std::string name;
  std::string bytes;
};

/// Translates `module`, in the LLVM dialect, to LLVM IR; adds the ABI's
/// `kiln_abi_version`, and `kiln_signature_<name>` and `kiln_entry_<name>`
/// around each function of `functions` (each must have an MLIR C
/// interface), and the `data` symbols; and optimizes for `options`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                  llvm::ArrayRef<ExportedFunction> functions,
                  const CPUTargetOptions &options,
                  llvm::ArrayRef<ExportedData> data = {});

/// Adds `int main(int argc, char **argv)` to `module` (which holds the ABI
/// symbols of the function `name`): it binds the linked-in model with the
/// runtime's `kiln_module_from_symbols` and runs `kiln_run_main`, so the
/// executable takes kiln-run's options.
llvm::Error addExecutableMain(llvm::Module &module, llvm::StringRef name);

/// Writes `module` as an object file or as assembly.
llvm::Error emitMachineCode(llvm::Module &module,
                            const CPUTargetOptions &options, bool assembly,
                            llvm::raw_pwrite_stream &os);

/// Links the object file `object` into the shared library `output` with
/// lld, against libm and libc.
llvm::Error linkSharedLibrary(llvm::StringRef object, llvm::StringRef output);

/// Archives the object file `object` as the static library `output`, with
/// llvm-ar.
llvm::Error archiveObject(llvm::StringRef object, llvm::StringRef output);

/// The C header of a static model: the ABI's declarations for the function
/// `name`, with `signature` in a comment.
std::string staticLibraryHeader(llvm::StringRef name,
                                llvm::StringRef signature);

/// Links the object file `object` (with a `main`) into the executable
/// `output`: the Kiln runtime archive `runtime` and zlib statically, libc,
/// libm and libstdc++ dynamically, with lld through clang's driver.
llvm::Error linkExecutable(llvm::StringRef object, llvm::StringRef runtime,
                           llvm::StringRef output);

} // namespace kiln
} // namespace mlir

#endif // KILN_TARGET_CPU_CPUTARGET_H
