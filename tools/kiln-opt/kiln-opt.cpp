//===- kiln-opt.cpp - Kiln's optimizer driver -----------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `mlir-opt` with the kiln dialect, Kiln's passes and the upstream passes and
// dialects of Kiln's pipelines, for lit tests and for running passes by hand.
//
//===----------------------------------------------------------------------===//

#include "kiln/InitAllDialects.h"
#include "kiln/InitAllPasses.h"
#include "kiln/Pipelines/Pipelines.h"
#include "kiln/Target/CUDA/CUDATarget.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::kiln::registerAllPasses();
  mlir::kiln::registerPipelines();
  mlir::kiln::registerCUDATargetPasses();
  mlir::DialectRegistry registry;
  mlir::kiln::registerPipelineDialects(registry);
  mlir::kiln::registerCUDATargetDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kiln optimizer driver\n", registry));
}
