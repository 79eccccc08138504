//===- TrainingStep.h - A training step from an ONNX model ------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// What `kilnc --train` builds: the ONNX model's float initializers become
// parameters (function arguments) unless frozen, a loss is added on one of
// its outputs against a new labels argument, and kiln-autodiff and
// kiln-optimizer turn it into one optimizer step, the module's `main`. The
// names of the step's inputs and outputs (`param:<name>`, `state:<name>:m`,
// `step`, `loss`, ...) are described in docs/training.md; the initial
// values of the inputs a driver feeds back are written beside the module
// (`<output>.init.npz`).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_TRAININGSTEP_H
#define KILN_TRAINING_TRAININGSTEP_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace kiln {

/// How the training step is built (kilnc's --train flags).
struct TrainingOptions {
  /// cross_entropy or mse.
  std::string loss = "cross_entropy";
  /// The model output the loss is computed on; empty for the first.
  std::string lossOutput;
  /// sgd, adam or adamw.
  std::string optimizer = "sgd";
  double lr = 1e-3;
  double momentum = 0.0;
  bool nesterov = false;
  double weightDecay = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  /// constant, step or cosine.
  std::string lrSchedule = "constant";
  int64_t lrStepSize = 1;
  double lrGamma = 0.1;
  int64_t totalSteps = 0;
  /// Initializers that stay constants.
  std::vector<std::string> freeze;
  /// The batch-norm running statistics' momentum, ONNX's convention.
  double bnMomentum = 0.9;
};

/// An initial value of one of the step's inputs: `data` holds the bytes of
/// `type`'s elements, or is empty for zeros.
struct InitialValue {
  std::string name;
  RankedTensorType type;
  std::vector<char> data;
};

/// What a training module carries besides its functions.
struct TrainingArtifacts {
  /// The initial parameters and batch-norm statistics, the zeroed optimizer
  /// state and the step counter, under the step's input names.
  std::vector<InitialValue> init;
  /// The original model in ONNX's binary form, without the values of the
  /// trained initializers, for kiln-train --export-onnx.
  std::string model;
  /// `key value` lines describing the step for kiln-train (docs/training.md).
  std::string info;
};

/// Imports the ONNX model at `path` (.onnx or .onnxtxt) as a training step
/// `main` and its forward pass `eval`, and fills `artifacts`. Errors are
/// reported through the context's diagnostics and give a null module.
OwningOpRef<ModuleOp> buildTrainingStep(llvm::StringRef path,
                                        MLIRContext &context,
                                        const TrainingOptions &options,
                                        TrainingArtifacts &artifacts);

/// Writes `init` to the .npz file `path` (one .npy entry per value, named
/// after it), atomically.
llvm::Error writeInitFile(llvm::StringRef path,
                          llvm::ArrayRef<InitialValue> init);

/// Registers the --train flags with LLVM's command line. Call before
/// parsing it.
void registerTrainingCLOptions();

/// The category of the --train flags.
llvm::cl::OptionCategory &getTrainingOptionCategory();

/// The options the command line gave, or none without --train; an error
/// when the flags are invalid or given without --train.
llvm::Expected<std::optional<TrainingOptions>> getTrainingOptionsFromCL();

} // namespace kiln
} // namespace mlir

#endif // KILN_TRAINING_TRAININGSTEP_H
