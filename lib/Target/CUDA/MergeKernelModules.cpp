//===- MergeKernelModules.cpp - One gpu.module for all kernels ------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUMERGEKERNELMODULESPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct KilnGPUMergeKernelModulesPass
    : public kiln::impl::KilnGPUMergeKernelModulesPassBase<
          KilnGPUMergeKernelModulesPass> {
  void runOnOperation() override;
};

} // namespace

void KilnGPUMergeKernelModulesPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<gpu::GPUModuleOp> kernelModules(
      module.getOps<gpu::GPUModuleOp>());
  if (kernelModules.empty())
    return;
  OpBuilder b(kernelModules.front());
  auto merged = gpu::GPUModuleOp::create(b, kernelModules.front().getLoc(),
                                         "kiln_kernels");
  SymbolTable symbols(module);
  symbols.insert(merged);
  StringAttr mergedName = merged.getSymNameAttr();

  // Each kernel takes its module's name, which is unique in the module.
  DenseMap<SymbolRefAttr, SymbolRefAttr> renamed;
  for (gpu::GPUModuleOp kernels : kernelModules) {
    if (kernels.getTargetsAttr() || kernels.getOffloadingHandlerAttr()) {
      kernels.emitError("cannot merge a gpu.module that already has targets");
      return signalPassFailure();
    }
    StringAttr moduleName = kernels.getSymNameAttr();
    for (Operation &op :
         llvm::make_early_inc_range(kernels.getBody()->getOperations())) {
      auto func = dyn_cast<gpu::GPUFuncOp>(op);
      if (!func) {
        op.emitError("cannot merge kernel modules holding anything but "
                     "gpu.func");
        return signalPassFailure();
      }
      SymbolRefAttr from = SymbolRefAttr::get(
          moduleName, {FlatSymbolRefAttr::get(func.getNameAttr())});
      func.setName(moduleName);
      func->moveBefore(merged.getBody(), merged.getBody()->end());
      renamed[from] =
          SymbolRefAttr::get(mergedName, {FlatSymbolRefAttr::get(moduleName)});
    }
    kernels.erase();
  }
  module.walk([&](gpu::LaunchFuncOp launch) {
    auto it = renamed.find(launch.getKernel());
    if (it != renamed.end())
      launch.setKernelAttr(it->second);
  });
}
