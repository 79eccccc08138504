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

def KilnPlanMemoryPass : Pass<"kiln-plan-memory", "func::FuncOp"> {
  let summary = "Places a function's static intermediate buffers in one arena";
  let description = [{
    Runs on bufferized functions, before deallocation is inserted. Every
    `memref.alloc` in the function's entry block whose type is static, with
    the identity layout and whole-byte elements, and which never escapes the
    function becomes a `memref.view` into a single arena allocated once per
    call. Each buffer lives from its `memref.alloc` to the last op in the
    entry block that uses it or any value derived from it (views, casts,
    loop results); buffers whose lifetimes do not overlap share bytes. The
    offsets are chosen at compile time, largest buffer first, each at the
    lowest 64-byte-aligned offset free for its whole lifetime.

    A buffer escapes, and keeps its own allocation, when a value derived
    from it is returned, deallocated, stored, or turned into something that
    is not a memref (a tensor, a pointer, a cast). Buffers with dynamic
    sizes and buffers allocated inside loops or branches are allocated at
    run time as before.

    ```mlir
    // Before:
    %a = memref.alloc() : memref<256xf32>
    ...last use of %a...
    %b = memref.alloc() : memref<64xf32>
    // After:
    %arena = memref.alloc() {alignment = 64 : i64} : memref<1024xi8>
    %a = memref.view %arena[%c0][] : memref<1024xi8> to memref<256xf32>
    ...
    %b = memref.view %arena[%c0][] : memref<1024xi8> to memref<64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark per function with the arena's size and the bytes "
           "of the buffers placed in it">
  ];
  let statistics = [
    Statistic<"numPlanned", "num-planned", "Number of buffers placed in the arena">,
    Statistic<"numKept", "num-kept", "Number of allocations left as they were">,
    Statistic<"bufferBytes", "buffer-bytes", "Bytes of the placed buffers, summed">,
    Statistic<"arenaBytes", "arena-bytes", "Bytes of the arenas">
  ];
}

#endif // KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
