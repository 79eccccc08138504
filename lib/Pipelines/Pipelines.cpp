//===- Pipelines.cpp - Kiln's pass pipelines
//-------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Pipelines/Pipelines.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"
#include "kiln/InitAllDialects.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/AllInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/SubsetOpInterfaceImpl.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kiln;

std::optional<Stage> mlir::kiln::parseStage(StringRef name) {
  return llvm::StringSwitch<std::optional<Stage>>(name)
      .Case("import", Stage::Import)
      .Case("kiln", Stage::Kiln)
      .Case("linalg", Stage::Linalg)
      .Case("vector", Stage::Vector)
      .Case("bufferized", Stage::Bufferized)
      .Case("llvm", Stage::LLVM)
      .Default(std::nullopt);
}

StringRef mlir::kiln::stageName(Stage stage) {
  switch (stage) {
  case Stage::Import:
    return "import";
  case Stage::Kiln:
    return "kiln";
  case Stage::Linalg:
    return "linalg";
  case Stage::Vector:
    return "vector";
  case Stage::Bufferized:
    return "bufferized";
  case Stage::LLVM:
    return "llvm";
  }
  llvm_unreachable("unknown stage");
}

/// Each stage as a textual pipeline on the module. Results leave the entry
/// function owned by the caller: the deallocation pipeline copies a result
/// that would alias an argument or a constant. The static intermediates share
/// one arena (kiln-plan-memory), which the deallocation pipeline then frees
/// like any other allocation.
static std::string stagePipeline(Stage stage, const PipelineOptions &options) {
  switch (stage) {
  case Stage::Import:
    return "";
  case Stage::Kiln:
    return "func.func(canonicalize,kiln-infer-shapes,cse)";
  case Stage::Linalg:
    return "convert-kiln-to-linalg,func.func(canonicalize,cse)";
  case Stage::Vector:
    return std::string("func.func(kiln-fuse-elementwise{report=") +
           (options.reportFusion ? "1" : "0") +
           "},kiln-cpu-tile{report=" + (options.reportFusion ? "1" : "0") +
           "},canonicalize,cse,kiln-cpu-vectorize,canonicalize,"
           "cse)";
  case Stage::Bufferized:
    // Folding views into the vector transfers and CSE let a contraction's
    // output tile be read before its k loop and written after it.
    return std::string("one-shot-bufferize{bufferize-function-boundaries=1 "
                       "function-boundary-type-conversion=identity-layout-map},"
                       "func.func(kiln-plan-memory{report=") +
           (options.reportMemory ? "1" : "0") +
           "}),"
           "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
           "func.func(fold-memref-alias-ops,canonicalize,cse,"
           "kiln-hoist-vector-transfers,"
           "kiln-memref-copy-to-linalg,convert-linalg-to-loops),"
           "canonicalize,kiln-outline-parallel";
  case Stage::LLVM:
    // Math goes first: libm calls are scalar, so a vector math op without an
    // LLVM intrinsic is unrolled while the vector dialect is still there.
    return "convert-vector-to-scf{full-unroll=1},convert-math-to-funcs,"
           "convert-math-to-llvm,convert-math-to-libm,"
           "lower-affine,convert-scf-to-cf,convert-vector-to-llvm,"
           "expand-strided-metadata,lower-affine,"
           "finalize-memref-to-llvm,convert-arith-to-llvm,"
           "convert-index-to-llvm,convert-ub-to-llvm,convert-func-to-llvm,"
           "convert-cf-to-llvm,reconcile-unrealized-casts,"
           "kiln-lower-parallel-calls";
  }
  llvm_unreachable("unknown stage");
}

LogicalResult mlir::kiln::addStagePasses(OpPassManager &pm, Stage stage,
                                         const PipelineOptions &options) {
  std::string pipeline = stagePipeline(stage, options);
  if (pipeline.empty())
    return success();
  return parsePassPipeline(pipeline, pm, llvm::errs());
}

void mlir::kiln::registerPipelineDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registry
      .insert<bufferization::BufferizationDialect, memref::MemRefDialect,
              scf::SCFDialect, cf::ControlFlowDialect, affine::AffineDialect,
              vector::VectorDialect, LLVM::LLVMDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  // Linalg's bufferization, tiling, subset and value-bounds models.
  linalg::registerAllDialectInterfaceImplementations(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  // What tiling, peeling and hoisting ask of the ops they meet.
  affine::registerValueBoundsOpInterfaceExternalModels(registry);
  arith::registerValueBoundsOpInterfaceExternalModels(registry);
  scf::registerValueBoundsOpInterfaceExternalModels(registry);
  tensor::registerValueBoundsOpInterfaceExternalModels(registry);
  tensor::registerTilingInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  vector::registerSubsetOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

void mlir::kiln::registerPipelines() {
  static bool registered = [] {
    registerKilnPasses();
    registerKilnConversionPasses();
    registerConversionPasses();
    registerTransformsPasses();
    bufferization::registerBufferizationPasses();
    bufferization::registerBufferizationPipelines();
    registerLinalgPasses();
    memref::registerMemRefPasses();
    PassPipelineRegistration<>("kiln-lower-to-llvm",
                               "Runs every stage from kiln to the LLVM dialect",
                               [](OpPassManager &pm) {
                                 for (Stage stage : kCompileStages)
                                   (void)addStagePasses(pm, stage);
                               });
    return true;
  }();
  (void)registered;
}
