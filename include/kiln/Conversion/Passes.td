//===- Passes.td - Kiln's conversions ----------------------*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_PASSES_TD
#define KILN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalgPass : Pass<"convert-kiln-to-linalg", "ModuleOp"> {
  let summary = "Lowers kiln ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every kiln op into upstream dialects on tensors: elementwise ops
    become `linalg.generic` ops (broadcasting through their indexing maps),
    contractions and convolutions become linalg's named ops, data movement
    becomes `tensor` ops. Unsigned integer element types become signless
    (the lowered ops carry the signedness), so function signatures change
    accordingly. Each op family lives in its own file under
    `lib/Conversion/KilnToLinalg/`; an op without a lowering is left alone and
    reported as an error naming the op.

    Dynamic dims that broadcast are taken to be equal at run time (a dim
    that is `?` in two operands is not broadcast from 1).
  }];
  let dependentDialects = [
    "linalg::LinalgDialect", "tensor::TensorDialect", "arith::ArithDialect",
    "math::MathDialect", "func::FuncDialect", "scf::SCFDialect"
  ];
}

def KilnMemRefCopyToLinalgPass
    : Pass<"kiln-memref-copy-to-linalg", "func::FuncOp"> {
  let summary = "Turns memref.copy into linalg.copy";
  let description = [{
    MLIR lowers a `memref.copy` between non-contiguous buffers to a call to
    `memrefCopy`, a function of MLIR's runtime libraries, which compiled
    models must not need. As `linalg.copy` the copy lowers to loops like
    every other linalg op.
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

#endif // KILN_CONVERSION_PASSES_TD
