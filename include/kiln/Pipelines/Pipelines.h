//===- Pipelines.h - Kiln's pass pipelines ----------------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The stages a model goes through on its way to the CPU, each a pass
// pipeline that kilnc can stop after (--stop-after=<stage>):
//
//   kiln        graph-level clean-up: canonicalize, shape inference, CSE
//   linalg      kiln lowered to linalg/tensor/arith/math on tensors
//   vector      elementwise fusion, then the CPU strategies: tiled, peeled and
//               vectorized linalg on tensors
//   bufferized  one-shot bufferization, static memory planning (one arena
//               per call), buffer deallocation, loops
//   llvm        the LLVM dialect, with the entry's C interface
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PIPELINES_PIPELINES_H
#define KILN_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir {
namespace kiln {

enum class Stage { Import, Kiln, Linalg, Vector, Bufferized, LLVM };

/// Every stage after Import, in order.
inline constexpr Stage kCompileStages[] = {
    Stage::Kiln, Stage::Linalg, Stage::Vector, Stage::Bufferized, Stage::LLVM};

/// The stage named `name` (as --stop-after spells it), if there is one.
std::optional<Stage> parseStage(llvm::StringRef name);
/// The name of `stage`.
llvm::StringRef stageName(Stage stage);

/// What the stages report on the way.
struct PipelineOptions {
  /// A remark per function with its memory plan (kiln-plan-memory).
  bool reportMemory = false;
  /// A remark per function with the kernels fusion formed
  /// (kiln-fuse-elementwise).
  bool reportFusion = false;
};

/// Adds the passes that take a module from the stage before `stage` to
/// `stage` (nothing for Import). Fails if a pass pipeline does not parse.
LogicalResult addStagePasses(OpPassManager &pm, Stage stage,
                             const PipelineOptions &options = {});

/// The dialects, interfaces and translations every stage needs.
void registerPipelineDialects(DialectRegistry &registry);

/// Registers the passes the stages are made of, and the pipeline
/// `kiln-lower-to-llvm` (all stages) for kiln-opt.
void registerPipelines();

} // namespace kiln
} // namespace mlir

#endif // KILN_PIPELINES_PIPELINES_H
