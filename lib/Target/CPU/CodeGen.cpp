//===- CodeGen.cpp - LLVM IR, the ABI's symbols and machine code ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace mlir::kiln;

/// The host's target, registered once.
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CPUTargetOptions &options) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no target for %s: %s", triple.str().c_str(),
                                   error.c_str());
  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures list;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      list.AddFeature(feature.getKey(), feature.getValue());
    features = list.getString();
  } else {
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(cpu))
      return llvm::createStringError(
          "unknown CPU '%s' (try native, x86-64, x86-64-v2, x86-64-v3, "
          "x86-64-v4 or a name from `llc -mcpu=help`)",
          cpu.c_str());
  }
  llvm::CodeGenOptLevel level =
      options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
      : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
      : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                              : llvm::CodeGenOptLevel::None;
  // Constructors (a CUDA module's kernel loading) go in .init_array, which
  // the loader runs; it ignores .ctors in a shared library.
  llvm::TargetOptions targetOptions;
  targetOptions.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(triple, cpu, features, targetOptions,
                                  llvm::Reloc::PIC_, std::nullopt, level));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for CPU "
                                   "'%s'",
                                   cpu.c_str());
  return std::move(machine);
}

/// Adds `kiln_signature_<name>` and `void kiln_entry_<name>(void **args)`,
/// which calls the C interface `_mlir_ciface_<name>` with args[0], args[1],
/// ... as its pointers.
static llvm::Error addABISymbols(llvm::Module &module, StringRef name,
                                 StringRef signature) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Function *ciface = module.getFunction(("_mlir_ciface_" + name).str());
  if (!ciface)
    return llvm::createStringError("the function '%s' has no C interface",
                                   name.str().c_str());
  llvm::IRBuilder<> b(context);
  llvm::Constant *text =
      llvm::ConstantDataArray::getString(context, signature, /*AddNull=*/true);
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           ("kiln_signature_" + name).str());

  auto *ptr = b.getPtrTy();
  auto *entryType = llvm::FunctionType::get(b.getVoidTy(), {ptr}, false);
  auto *entry =
      llvm::Function::Create(entryType, llvm::GlobalValue::ExternalLinkage,
                             ("kiln_entry_" + name).str(), module);
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", entry));
  SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < ciface->arg_size(); ++i) {
    if (!ciface->getArg(i)->getType()->isPointerTy())
      return llvm::createStringError(
          "argument %u of the C interface of '%s' is not a pointer", i,
          name.str().c_str());
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, entry->getArg(0), i);
    args.push_back(b.CreateLoad(ptr, slot));
  }
  b.CreateCall(ciface, args);
  b.CreateRetVoid();
  return llvm::Error::success();
}

/// Adds the ABI's symbols: `kiln_abi_version`, each function's signature
/// and entry point, and the data constants. Only these are exported; the
/// compiled functions become internal, so they never clash with a
/// program's own symbols (the model function is often called `main`) and
/// can be inlined into the entry.
static llvm::Error addABISymbols(llvm::Module &module,
                                 ArrayRef<ExportedFunction> functions,
                                 ArrayRef<ExportedData> data) {
  llvm::LLVMContext &context = module.getContext();
  auto *i32 = llvm::Type::getInt32Ty(context);
  auto *version = new llvm::GlobalVariable(
      module, i32, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantInt::get(i32, 1), "kiln_abi_version");
  version->setVisibility(llvm::GlobalValue::DefaultVisibility);
  llvm::StringSet<> entries;
  for (const ExportedFunction &f : functions) {
    if (llvm::Error e = addABISymbols(module, f.name, f.signature))
      return e;
    entries.insert("kiln_entry_" + f.name);
  }
  // Optional: how the runtime lends its threads to the parallel loops
  // (kiln-lower-parallel-calls; docs/abi.md).
  entries.insert("kiln_set_parallel_hook");
  for (const ExportedData &d : data) {
    llvm::Constant *bytes =
        llvm::ConstantDataArray::getString(context, d.bytes, /*AddNull=*/true);
    new llvm::GlobalVariable(module, bytes->getType(), /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage, bytes, d.name);
    auto *i64 = llvm::Type::getInt64Ty(context);
    new llvm::GlobalVariable(
        module, i64, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
        llvm::ConstantInt::get(i64, d.bytes.size()), d.name + "_size");
  }
  for (llvm::Function &f : module.functions())
    if (!f.isDeclaration() && !entries.contains(f.getName()))
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  return llvm::Error::success();
}

llvm::Error mlir::kiln::addExecutableMain(llvm::Module &module,
                                          StringRef name) {
  llvm::LLVMContext &context = module.getContext();
  llvm::GlobalVariable *version = module.getGlobalVariable("kiln_abi_version");
  llvm::GlobalVariable *signature =
      module.getGlobalVariable(("kiln_signature_" + name).str());
  llvm::Function *entry = module.getFunction(("kiln_entry_" + name).str());
  if (!version || !signature || !entry)
    return llvm::createStringError("the module lacks the ABI symbols of '%s'",
                                   name.str().c_str());
  llvm::IRBuilder<> b(context);
  auto *i32 = b.getInt32Ty();
  auto *ptr = b.getPtrTy();
  llvm::FunctionCallee bind = module.getOrInsertFunction(
      "kiln_module_from_symbols",
      llvm::FunctionType::get(i32, {ptr, ptr, ptr, ptr, ptr}, false));
  llvm::FunctionCallee runMain = module.getOrInsertFunction(
      "kiln_run_main", llvm::FunctionType::get(i32, {i32, ptr, ptr}, false));
  // The model's own function is often called `main` too; it is internal,
  // so it can give the name up.
  if (llvm::Function *existing = module.getFunction("main"))
    existing->setName("kiln_model_main");
  auto *mainType = llvm::FunctionType::get(i32, {i32, ptr}, false);
  auto *main = llvm::Function::Create(
      mainType, llvm::GlobalValue::ExternalLinkage, "main", module);
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", main));
  llvm::Value *slot = b.CreateAlloca(ptr);
  b.CreateStore(llvm::ConstantPointerNull::get(ptr), slot);
  // The runtime rejects a module it cannot bind with a message of its own
  // through kiln_run_main, which reports a null module as an error.
  b.CreateCall(bind, {version, signature, entry, slot,
                      llvm::ConstantPointerNull::get(ptr)});
  llvm::Value *status = b.CreateCall(
      runMain, {main->getArg(0), main->getArg(1), b.CreateLoad(ptr, slot)});
  b.CreateRet(status);
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<llvm::Module>>
mlir::kiln::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                              ArrayRef<ExportedFunction> functions,
                              const CPUTargetOptions &options,
                              ArrayRef<ExportedData> data) {
  // Value names have served the signature; LLVM IR has no place for them.
  module.walk([](LLVM::LLVMFuncOp func) {
    auto name = StringAttr::get(func.getContext(), "kiln.name");
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      func.removeArgAttr(i, name);
    for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
      func.removeResultAttr(i, name);
  });
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "kiln_model");
  if (!llvmModule)
    return llvm::createStringError("cannot translate the module to LLVM IR");
  if (llvm::Error e = addABISymbols(*llvmModule, functions, data))
    return std::move(e);
  auto machine = createTargetMachine(options);
  if (!machine)
    return machine.takeError();
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  auto optimize = makeOptimizingTransformer(options.optLevel,
                                            /*sizeLevel=*/0, machine->get());
  if (llvm::Error e = optimize(llvmModule.get()))
    return std::move(e);
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*llvmModule, &os))
    return llvm::createStringError("the generated LLVM IR is invalid: %s",
                                   problems.c_str());
  return std::move(llvmModule);
}

llvm::Error mlir::kiln::emitMachineCode(llvm::Module &module,
                                        const CPUTargetOptions &options,
                                        bool assembly,
                                        llvm::raw_pwrite_stream &os) {
  auto machine = createTargetMachine(options);
  if (!machine)
    return machine.takeError();
  llvm::legacy::PassManager pm;
  if ((*machine)->addPassesToEmitFile(pm, os, nullptr,
                                      assembly
                                          ? llvm::CodeGenFileType::AssemblyFile
                                          : llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit this kind of file");
  pm.run(module);
  return llvm::Error::success();
}
