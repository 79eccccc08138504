//===- Passes.td - Transformations of the kiln dialect -----*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
#define KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnInferShapesPass : Pass<"kiln-infer-shapes", "func::FuncOp"> {
  let summary = "Refines result types of kiln ops from their operands";
  let description = [{
    Re-runs each kiln op's type inference in program order and refines its
    result type where the inferred type is more static (for example after a
    function argument's dynamic batch dimension was made static). The
    function's result types follow its `func.return` operands.

    ```mlir
    // Before:
    %0 = kiln.relu %arg0 : (tensor<4xf32>) -> tensor<?xf32>
    // After:
    %0 = kiln.relu %arg0 : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
  let statistics = [
    Statistic<"numRefined", "num-refined", "Number of result types refined">
  ];
}

#endif // KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
