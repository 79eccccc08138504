//===- Passes.td - The CUDA target's passes ----------------*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TARGET_CUDA_PASSES_TD
#define KILN_TARGET_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnGPUHostDeviceCopiesPass
    : Pass<"kiln-gpu-host-device-copies", "ModuleOp"> {
  let summary = "Puts public functions' buffers in device memory, copying "
                "only at their boundaries, with weights cached on the device";
  let description = [{
    On each bufferized public function of the module, whose arguments and
    results are host memory (the module ABI, docs/abi.md):

    - every `memref.alloc` / `memref.dealloc` becomes `gpu.alloc` /
      `gpu.dealloc`, so intermediates live in device memory;
    - every memref argument, and every `memref.get_global` of a global that
      is not `constant`, is copied into a new device buffer once, at entry,
      with `gpu.memcpy`; the function uses the copy, which is freed before
      each return;
    - a `constant` global (a weight) is not copied per call: at entry the
      function asks the runtime for its device copy with
      `kilnCudaConstant(host address, bytes)` (an `llvm.call`, whose result
      becomes a memref through `builtin.unrealized_conversion_cast`), which
      the runtime uploads on the module's first run and keeps until it
      unloads the module. Device code (linalg ops, `scf.parallel` bodies),
      returns, calls into regions and views feeding them use the device
      copy; host code that reads the weight's contents keeps reading the
      host global. Nothing may write into a constant (bufferization copies
      before a write): a write is an error;
    - every returned memref is copied into a new host buffer (`memref.alloc`,
      which the caller owns and frees) before the return, and its device
      buffer is freed (a weight's cached copy never is).

    Private functions (helpers such as the deallocation helper) are left
    alone. The function's memrefs must have the identity layout.
  }];
  let dependentDialects = [
    "arith::ArithDialect", "gpu::GPUDialect", "LLVM::LLVMDialect",
    "memref::MemRefDialect"
  ];
}

def KilnGPUMapLinalgPass : Pass<"kiln-gpu-map-linalg", "func::FuncOp"> {
  let summary = "Lowers linalg ops on buffers to scf.parallel loops mapped "
                "onto GPU blocks and threads";
  let description = [{
    Each linalg op outside a loop becomes an `scf.parallel` over its
    parallel dims (its reduction dims are sequential `scf.for` loops inside,
    one thread per output element). An op without parallel dims (a full
    reduction) runs in a one-iteration loop, so it still runs on the GPU, in
    one thread. Each such loop is collapsed to one dimension, tiled by
    `block-size` (fewer for a smaller constant trip count) and mapped: the
    tiles onto blocks (x), the elements of a tile onto threads (x), which
    `convert-parallel-loops-to-gpu` turns into `gpu.launch`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = [
    "gpu::GPUDialect", "scf::SCFDialect", "arith::ArithDialect",
    "affine::AffineDialect", "memref::MemRefDialect"
  ];
}

def KilnGPUConvToMatmulPass
    : Pass<"kiln-gpu-conv-to-matmul", "func::FuncOp"> {
  let summary = "Rewrites f32 NCHW convolutions on tensors into an "
                "image-column gather and a batched matmul";
  let description = [{
    Each `linalg.conv_2d_nchw_fchw` whose operands are f32 tensors, with
    static sizes except the batch, becomes the image-column form of
    `linalg::rewriteInIm2Col` (built here, as that one refuses a dynamic
    batch): a `linalg.generic` that gathers the input into an
    `N x (C*KH*KW) x (OH*OW)` tensor through the window's strides and
    dilations (the padding is a `tensor.pad` before the convolution), and a
    contraction `linalg.generic` with the batch dim N,
    `out[n, f, p] += filter[f, q] * columns[n, q, p]`, on the filter and
    the init collapsed to `F x (C*KH*KW)` and `N x F x (OH*OW)`; its result
    is expanded back to `N x F x OH x OW`. After bufferization
    `kiln-gpu-tile-matmul` makes a shared-memory tiled kernel of the
    contraction and `kiln-gpu-map-linalg` maps the gather, one thread per
    column element.

    Other convolutions (depthwise, grouped, other layouts or element types)
    are left as they are.
  }];
  let dependentDialects = [
    "arith::ArithDialect", "linalg::LinalgDialect", "tensor::TensorDialect"
  ];
}

def KilnGPUTileMatmulPass : Pass<"kiln-gpu-tile-matmul", "func::FuncOp"> {
  let summary = "Rewrites f32 matmuls on buffers into shared-memory tiled "
                "GPU kernels";
  let description = [{
    Each f32 contraction `C += A * B` on buffers with one m, one n and one
    k dim and any number of batch dims (`linalg.matmul`,
    `linalg.batch_matmul`, or a `linalg.generic` whose body is that
    multiply-add; operands may be transposed through the indexing maps),
    outside any loop already mapped onto the GPU, becomes a `gpu.launch`:
    one block of 16x16 threads per 64x64 output tile (a grid of
    `ceil(N/64)` x `ceil(M/64)` x batch blocks), each thread accumulating
    a 4x4 register tile. The k dimension runs in steps of 16; at each step
    the block copies the 64x16 tile of A and the 16x64 tile of B into
    workgroup memory (the launch's workgroup attributions), each thread a
    few elements, reading 0 outside the operands; a `gpu.barrier` separates
    the copies from the accumulation and the accumulation from the next
    step's copies. Finally each thread adds its accumulators into the
    output elements that exist (`C += A * B`, like the linalg op). Sizes
    may be dynamic and need not be multiples of the tiles.

    A batch dim may be missing from A or from B (a convolution's
    image-column matmul shares the filter across the batch): of several m
    (or n) dims, the one innermost in C is the kernel's, the others are
    batch dims.

    Other ops, other element types, and a static batch above the grid's
    65535 blocks along z are left to `kiln-gpu-map-linalg`.

    ```mlir
    linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>)
                  outs(%c : memref<?x?xf32>)
    // becomes
    gpu.launch blocks(...) in (...) threads(...) in (...)
        workgroup(%ta : memref<16x65xf32, #gpu.address_space<workgroup>>,
                  %tb : memref<16x64xf32, #gpu.address_space<workgroup>>) {
      %acc:16 = scf.for %k0 = %c0 to %k step %c16 iter_args(...) {
        gpu.barrier
        // guarded loads of A and B, stores into %ta and %tb
        gpu.barrier
        // scf.for over the 16 k of the tile: 16 multiply-adds per k
      }
      // guarded C[row, column] += %acc#i
      gpu.terminator
    }
    ```
  }];
  let dependentDialects = [
    "arith::ArithDialect", "gpu::GPUDialect", "memref::MemRefDialect",
    "scf::SCFDialect"
  ];
}

def KilnGPUBlockReducePass : Pass<"kiln-gpu-block-reduce", "func::FuncOp"> {
  let summary = "Rewrites f32 row reductions on buffers into kernels with "
                "one block per output element";
  let description = [{
    A linalg op on buffers, outside any loop already mapped onto the GPU,
    whose leading dims are parallel and whose trailing dims (at least one)
    are reductions, with one f32 output and a body of pure ops on the
    inputs ending in `out = add(out, value)` or `max(out, value)`
    (`arith.addf`, `arith.maximumf`, `arith.maxnumf`), where every input
    that walks the reduction has the innermost dim as its last index (a
    row), becomes a `gpu.launch`: one block per output element (the
    parallel dims linearized along the grid's x), `min(256, max(32, row
    length rounded up to a power of two))` threads (256 for a dynamic
    length). Thread t computes `value` for elements t, t + threads, ... of
    the row (the reduction dims linearized) and combines them, starting
    from the identity (-0 or -inf); the partial results go into a
    workgroup buffer and are combined in a tree, halving the active
    threads at each step with a `gpu.barrier` after each; thread 0
    combines the result into the output element (`out = combine(out,
    total)`, like the op). A reduction to a scalar runs in one block.
    Sizes may be dynamic; an empty output still launches one block, which
    writes nothing.

    Other ops (pooling windows, `linalg.index`, other combiners and types,
    inputs read across rows such as a matmul's B) are left to
    `kiln-gpu-map-linalg`.
  }];
  let dependentDialects = [
    "arith::ArithDialect", "gpu::GPUDialect", "memref::MemRefDialect",
    "scf::SCFDialect"
  ];
}

def KilnGPUHostSharedPass : Pass<"kiln-gpu-host-shared", "func::FuncOp"> {
  let summary = "Makes device buffers that host code reads or writes host "
                "shared";
  let description = [{
    After `convert-parallel-loops-to-gpu`, whatever still touches memory
    outside a `gpu.launch` runs on the host (for instance a scalar read of a
    shape tensor). A `gpu.alloc` whose buffer such code loads from or stores
    to gets `host_shared` (managed memory, reachable from both sides), so
    the host never dereferences a device pointer.
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}

def KilnGPUStreamMemoryOpsPass
    : Pass<"kiln-gpu-stream-memory-ops", "func::FuncOp"> {
  let summary = "Chains a function's device allocations, copies, frees and "
                "launches on one stream, waiting only where the host must";
  let description = [{
    `gpu-to-llvm` lowers `gpu.alloc` (except `host_shared`), `gpu.memcpy`,
    `gpu.memset` and `gpu.dealloc` only in their async form, and a
    synchronous `gpu.launch` waits for its kernel. In each block (outside
    kernels), this pass makes every such op async on one chain of tokens
    that starts with a `gpu.wait async` (one stream, which in a Kiln run is
    the run's stream, docs/abi.md) and inserts one `gpu.wait` for the chain
    only before host code that must see the GPU's work done:

    - an op that reads or writes buffer contents on the host (a load from a
      `host_shared` buffer, a call), except `kilnCudaConstant`, which reads
      only host memory;
    - an op with regions (an `scf.for` or `scf.if` of host code: their
      blocks start chains of their own);
    - the block's terminator, so a function returns only when its results
      are copied back.

    Host allocations, views, shape arithmetic and `host_shared` allocations
    (synchronous) wait for nothing.
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}

def KilnGPUMergeKernelModulesPass
    : Pass<"kiln-gpu-merge-kernel-modules", "ModuleOp"> {
  let summary = "Gathers the outlined kernels into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel. This pass
    moves every kernel into one module, `@kiln_kernels`, each kernel named
    after the module it came from, and updates the `gpu.launch_func` ops, so
    a model has one PTX module (one image to load, one file for
    `kilnc --emit=ptx`).
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}

#endif // KILN_TARGET_CUDA_PASSES_TD
