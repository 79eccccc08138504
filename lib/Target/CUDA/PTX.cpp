//===- PTX.cpp - The embedded kernels and the target symbol ---------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/CUDATarget.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

using namespace mlir;
using namespace mlir::kiln;

llvm::Expected<std::string> mlir::kiln::collectPTX(ModuleOp module) {
  std::string ptx;
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
        return llvm::createStringError("the GPU binary '%s' holds no PTX",
                                       binary.getSymName().str().c_str());
      if (!ptx.empty())
        return llvm::createStringError(
            "the kernels are in more than one GPU module");
      ptx = object.getObject().getValue().str();
    }
  }
  return ptx;
}

void mlir::kiln::addCUDATargetSymbol(llvm::Module &module) {
  llvm::Constant *text = llvm::ConstantDataArray::getString(
      module.getContext(), "cuda", /*AddNull=*/true);
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "kiln_target");
}
