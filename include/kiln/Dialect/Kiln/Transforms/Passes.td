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

def KilnFuseElementwisePass
    : Pass<"kiln-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuses elementwise linalg producers into their consumers";
  let description = [{
    Fuses an elementwise linalg op on tensors into the linalg op that uses
    its result, when that result has no other use and the consumer reads it
    through a permutation of all the consumer's loops: elementwise chains
    become one kernel, and an elementwise op feeding a reduction (such as
    the exponential of a softmax) is computed inside it. A producer is never
    fused into a consumer that would compute its elements more than once,
    such as a contraction reading its operand across its other loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark per function with the number of linalg ops before "
           "and after fusion">
  ];
}

def KilnCPUTilePass : Pass<"kiln-cpu-tile", "func::FuncOp"> {
  let summary = "Tiles linalg ops on tensors by the CPU strategy of their class";
  let description = [{
    First has each input of a concatenation (a `tensor.insert_slice` into a
    fresh tensor, which becomes a `bufferization.alloc_tensor`) be written in
    place by the linalg op that computes it, or else copied in by a
    `linalg.copy`. Then rewrites each static f32 `linalg.conv_2d_nchw_fchw`
    as the image's columns and a contraction with the filter, the columns
    one `linalg.copy` per window tap of the image slice the tap reads; a
    constant `tensor.pad` as a copy into the interior of a fresh tensor and
    a fill of each border slab; depthwise convolutions and poolings as one
    elementwise op over their taps' slices. Then chooses a strategy per
    linalg op on f32 tensors, by op class and shape, in one place
    (`chooseStrategy` in CPUCodegen.cpp):

    - contractions (matmul, batch_matmul, contraction-like generics whose
      output is contiguous along n): cache tiles of 256 (m; 64 when n is one
      cache tile) x 256 (n) x 256 (k), then register tiles of 8 x 32 x 1,
      loops ordered n, m, k. When there are at least 32 rows and the
      right-hand side's rows are a multiple of 512 bytes apart (or an
      unknown distance), each panel of it (a cache tile of k by 32 columns)
      is first copied into a fresh contiguous tensor that the panel's
      register tiles read;
    - reductions along the innermost loop alone, of a static multiple of 16
      elements (a softmax's maximum and sum, a layer norm's mean): tiles of
      one row, each row's reduction carried in 16 partial results (a fill,
      a 16-lane elementwise step, a final reduction of the lanes, each
      marked; the loop over the row marked `kiln.partial_results`);
    - elementwise ops whose operands are contiguous (or broadcast) along
      the innermost loop: tiles of 16 along it, 1 elsewhere.

    A convolution's product whose image is read only by an elementwise op
    (its activation, a residual addition) is first fused with it, tile by
    tile: a loop nest over tiles of whole image rows (at most 256
    positions) and of filters, each computing its part of the product from
    its part of the bias broadcast (or fill) and applying the elementwise
    op to it while it is in cache. The tiles divide the image and the
    filters; their contraction and elementwise op then take the strategies
    below.

    The register-tile loops are peeled, so that after canonicalization every
    full tile has a static shape; the tiled op is marked `kiln.vectorize`
    for `kiln-cpu-vectorize`. Other ops are left to the scalar loops.

    Of the outer loops (the cache loops of a contraction, the register loops
    of an elementwise op), the outermost one over a parallel dim that runs
    more than once is marked `kiln.parallel` (a unit attribute), when the
    op's loops run at least 2^16 iterations in all: its iterations write
    disjoint tiles of the output, so `kiln-outline-parallel` may spread them
    over threads. A loop over a reduction dim is never marked. An op that no
    strategy takes but whose loops are all parallel (an im2col gather, a
    transpose) and that does as much work is tiled by 1 along its outermost
    loop of size > 1, which is marked; its body stays scalar.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark per function with the number of convolution "
           "products fused with their elementwise consumer">
  ];
  let statistics = [
    Statistic<"numTiled", "num-tiled", "Number of ops tiled">,
    Statistic<"numIm2Col", "num-im2col",
              "Number of convolutions rewritten as image columns and a contraction">,
    Statistic<"numPacked", "num-packed",
              "Number of contractions whose right-hand side is copied panel by panel">,
    Statistic<"numPrepacked", "num-prepacked",
              "Number of contractions whose constant right-hand side is laid out in panels at compile time">,
    Statistic<"numEpilogues", "num-epilogues",
              "Number of convolution products fused with their elementwise consumer">
  ];
}

def KilnCPUVectorizePass : Pass<"kiln-cpu-vectorize", "func::FuncOp"> {
  let summary = "Vectorizes the static register tiles kiln-cpu-tile marked";
  let description = [{
    Vectorizes each linalg op marked `kiln.vectorize` whose shape is static
    (the peeled remainders stay scalar loops), after splitting a tile of odd
    width into 16-lane tiles and, except for contractions (whose remainder
    becomes 1-lane tiles), vectors of the powers of two below the rest.
    Carries a reduction's partial results through the loop over its row in
    a vector; reads a tap of a window with an innermost stride of 2 to 4 as
    one contiguous vector and a shuffle; lowers contractions to outer
    products (broadcast-FMA chains), splits 2-D transfers into one per row
    and lowers multi-reductions to vector reductions; replaces f32 vector
    exp, erf, tanh and log by polynomial approximations.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numVectorized", "num-vectorized", "Number of ops vectorized">
  ];
}

def KilnAutodiffPass : Pass<"kiln-autodiff", "ModuleOp"> {
  let summary = "Builds the gradient of a function returning a scalar loss";
  let description = [{
    Reverse-mode automatic differentiation on the kiln dialect. For the
    function `function`, whose first result is a floating-point loss of
    one element, it adds `<function>_grad`: the same arguments, returning
    the loss and then the gradient of the loss with respect to each
    argument listed in `wrt` (argument indices or `kiln.name` values; by
    default every floating-point argument), each of its argument's type
    and named `<argument name>_grad`. Any further results of the function
    (such as batch normalisation's updated running statistics) come after
    the gradients, unchanged and not differentiated.

    The forward ops are copied; a reverse sweep then visits the ops between
    the differentiated arguments and the loss, last first, and builds each
    op's rule (`KilnGradientOpInterface`) with kiln ops, seeded with 1 for
    the loss. A value used several times gets the sum of its gradients.
    Integer values (indices, shapes, comparison results) carry no gradient,
    so ops reached only through them need no rule; an op on the path
    without a rule is an error naming it. An argument the loss does not
    depend on gets a zero gradient.

    With `replace` the gradient function takes the original's name and the
    original is removed, so that `kilnc` compiles the gradient as `main`.

    ```mlir
    // Before:
    func.func @main(%x: tensor<3xf32>) -> tensor<f32> {
      %y = kiln.mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      %l = kiln.reduce_sum %y {axes = array<i64: 0>, keepdims = false}
          : (tensor<3xf32>) -> tensor<f32>
      return %l : tensor<f32>
    }
    // After (kiln-autodiff), besides @main:
    func.func @main_grad(%x: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "The function to differentiate">,
    ListOption<"wrt", "wrt", "std::string",
               "The arguments to differentiate with respect to, by index or "
               "kiln.name (default: every floating-point argument)">,
    Option<"replace", "replace", "bool", /*default=*/"false",
           "Give the gradient function the original's name, removing the "
           "original">
  ];
}

def KilnHoistVectorTransfersPass
    : Pass<"kiln-hoist-vector-transfers", "func::FuncOp"> {
  let summary = "Keeps loop-invariant vector reads and writes out of loops";
  let description = [{
    On buffers: a `vector.transfer_read` and `vector.transfer_write` of the
    same loop-invariant location in a loop move out of it, and the vector
    becomes a loop-carried value. This is what keeps a contraction's output
    tile in registers across its k loop. Copies of a buffer onto itself,
    which in-place tiles leave behind, are erased first.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect"];
}

def KilnBatchNormTrainingPass
    : Pass<"kiln-batch-norm-training", "ModuleOp"> {
  let summary = "Batch normalisation with batch statistics and running-stat "
                "updates";
  let description = [{
    Every `kiln.batch_norm` of `function` whose mean and variance are named
    arguments normalises with the mean and (biased) variance of its input
    over every dimension but the channel (1), computed with kiln reductions
    so that the gradient flows through them. The arguments are renamed
    `buffer:<name>`, and the function returns, after its results, their
    updated values under the same names:
    `running = momentum * running + (1 - momentum) * batch`, with the
    unbiased batch variance (`n / (n - 1)` times the biased one) for the
    variance. `momentum` follows ONNX's convention (0.9 is PyTorch's 0.1).
    A batch norm whose statistics are constants keeps its inference form.
    A statistic used by two batch norms is an error.

    Run after `kiln-add-loss`; `kiln-autodiff` and `kiln-optimizer` carry
    the `buffer:` results through.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "The function to rewrite">,
    Option<"momentum", "momentum", "double", /*default=*/"0.9",
           "The running statistics' momentum, ONNX's convention">,
  ];
}

def KilnAddLossPass : Pass<"kiln-add-loss", "ModuleOp"> {
  let summary = "Replaces a function's results by a loss on one of them";
  let description = [{
    Turns a model function into a loss function: a new last argument takes
    the labels (named `label`), and the function returns the loss of the
    result `output` against them (named `loss`) instead of its results. The
    losses are built from kiln ops, so that `kiln-autodiff` differentiates
    them with the ops' own rules:

    - `cross_entropy`: the result holds logits `(N, C, d...)` (class axis 1,
      static `C`); the labels are `i64` class indices `(N, d...)`. The loss
      is the mean over `N, d...` of `-log_softmax(logits)[label]`; a label
      outside `[0, C)` contributes zero (and still counts in the mean).
    - `mse`: the labels have the result's type; the loss is the mean of the
      squared differences.

    ```mlir
    // Before:
    func.func @main(%x: tensor<?x4xf32>) -> tensor<?x3xf32>
    // After (kiln-add-loss="loss=cross_entropy"):
    func.func @main(%x: tensor<?x4xf32>, %label: tensor<?xi64>
                        {kiln.name = "label"}) -> (tensor<f32> {kiln.name = "loss"})
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "The function to turn into a loss function">,
    Option<"loss", "loss", "std::string", /*default=*/"\"cross_entropy\"",
           "The loss: cross_entropy or mse">,
    Option<"output", "output", "std::string", /*default=*/"\"\"",
           "The result the loss is computed on, by kiln.name or index "
           "(default: the first)">,
    Option<"label", "label", "std::string", /*default=*/"\"label\"",
           "The kiln.name of the labels argument">
  ];
}

def KilnOptimizerPass : Pass<"kiln-optimizer", "ModuleOp"> {
  let summary = "Turns a gradient function into a training step";
  let description = [{
    Runs on a function built by `kiln-autodiff`, which returns a loss and
    then the gradients of its arguments `<name>_grad`. It becomes one
    optimizer step: the differentiated arguments are the parameters, named
    `param:<name>`; the optimizer's state (`state:<name>:momentum` for SGD
    with momentum, `state:<name>:m` and `state:<name>:v` for Adam and
    AdamW) and the step counter `step` (`tensor<i64>`, the number of steps
    taken) are new arguments. The step returns `loss`, every parameter's
    updated value (`param:<name>`), its updated state, the function's
    results named `buffer:<name>` as they are (batch-norm running
    statistics, which the forward computation updates), and `step` + 1:
    the results named like arguments are the next step's arguments.

    - `sgd`: `g = grad + wd * p`; with momentum `b = momentum * b + g`, and
      `g = b` (or `g + momentum * b` with `nesterov`); `p -= lr * g`.
    - `adam`: `g = grad + wd * p`; `m = b1 * m + (1 - b1) * g`,
      `v = b2 * v + (1 - b2) * g^2`; with `t = step + 1`,
      `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
    - `adamw`: Adam with decoupled weight decay: first `p *= 1 - lr * wd`,
      then the Adam update of `grad`.

    The learning rate follows `lr-schedule`, computed from `step` in the
    compiled code: `constant`; `step` (`lr * gamma^floor(step /
    step-size)`); `cosine` (`lr * (1 + cos(pi * min(step, total) / total))
    / 2`).

    ```mlir
    // Before (kiln-autodiff=replace):
    func.func @main(%x: tensor<2x4xf32>, %w: tensor<4x3xf32> {kiln.name = "w"})
        -> (tensor<f32> {kiln.name = "loss"}, tensor<4x3xf32> {kiln.name = "w_grad"})
    // After (kiln-optimizer="optimizer=sgd lr=0.1 replace"):
    func.func @main(%x: tensor<2x4xf32>, %w: tensor<4x3xf32> {kiln.name = "param:w"},
                    %step: tensor<i64> {kiln.name = "step"})
        -> (tensor<f32> {kiln.name = "loss"}, tensor<4x3xf32> {kiln.name = "param:w"},
            tensor<i64> {kiln.name = "step"})
    ```
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"main\"",
           "The gradient function to turn into a step">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "sgd, adam or adamw">,
    Option<"lr", "lr", "double", /*default=*/"1e-3", "The learning rate">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "SGD's momentum">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false",
           "SGD with Nesterov momentum">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "Weight decay (L2 for sgd and adam, decoupled for adamw)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9",
           "Adam's decay of the first moment">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999",
           "Adam's decay of the second moment">,
    Option<"eps", "eps", "double", /*default=*/"1e-8",
           "Adam's denominator term">,
    Option<"lrSchedule", "lr-schedule", "std::string",
           /*default=*/"\"constant\"",
           "The learning-rate schedule: constant, step or cosine">,
    Option<"lrStepSize", "lr-step-size", "int64_t", /*default=*/"1",
           "With the step schedule, the steps between decays">,
    Option<"lrGamma", "lr-gamma", "double", /*default=*/"0.1",
           "With the step schedule, the decay factor">,
    Option<"totalSteps", "total-steps", "int64_t", /*default=*/"0",
           "With the cosine schedule, the steps to reach zero">,
    Option<"replace", "replace", "bool", /*default=*/"false",
           "Give the step the function's name, replacing it (default: a new "
           "function <function>_step)">
  ];
}

def KilnOutlineParallelPass : Pass<"kiln-outline-parallel", "ModuleOp"> {
  let summary = "Outlines the bodies of parallel loops into functions over "
                "a sub-range";
  let description = [{
    Runs on bufferized code. Each `scf.for` that `kiln-cpu-tile` marked
    `kiln.parallel` (its iterations write disjoint tiles of an output) is
    checked again, now that buffers are explicit: it must have no results, a
    constant positive step, and every memory write in its body must go to a
    buffer allocated inside the body, or to a buffer at indices (or through
    a view whose offsets) depend on the loop's induction variable; an op with
    unknown memory effects, or a free of a buffer from outside the body,
    disqualifies it. A loop that fails the check loses its mark and stays
    serial.

    A loop that passes becomes a private function over a sub-range of its
    iterations, and a call to it over the whole range:

    ```mlir
    // Before:
    scf.for %i = %c0 to %c256 step %c64 {
      ... writes %out[%i + ...] ...
    } {kiln.parallel}
    // After:
    func.call @main_par0(%c0, %c256, %out) {kiln.parallel_call}
        : (index, index, memref<256x256xf32>) -> ()
    func.func private @main_par0(%begin: index, %end: index,
                                 %out: memref<256x256xf32>)
        attributes {kiln.parallel_body = 64 : i64} {
      scf.for %i = %begin to %end step %c64 { ... }
      return
    }
    ```

    The function's `kiln.parallel_body` is the loop's step; the callee may
    be called with any sub-range whose bounds are the lower bound plus
    multiples of the step. Captured constants are cloned into the function;
    other captured values become its arguments, after the sub-range.
    `kiln-lower-parallel-calls` turns the calls into calls of the runtime's
    thread pool once the code is in the LLVM dialect.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
  let statistics = [
    Statistic<"numOutlined", "num-outlined", "Number of loops outlined">,
    Statistic<"numRefused", "num-refused",
              "Number of marked loops left serial by the check">
  ];
}

def KilnLowerParallelCallsPass
    : Pass<"kiln-lower-parallel-calls", "ModuleOp"> {
  let summary = "Runs the calls of outlined parallel loops through the "
                "module's parallel hook";
  let description = [{
    Runs on the LLVM dialect, after `kiln-outline-parallel` and the
    conversion of its functions. For each function marked
    `kiln.parallel_body = <step>`, it adds a thunk
    `<function>_thunk(ptr %ctx, i64 %begin, i64 %end)` that loads the
    function's other arguments from the struct at `%ctx` and calls it over
    `[%begin, %end)`. Each call of the function becomes: store its other
    arguments into a struct on the caller's stack, then call
    `kiln_parallel_for(thunk, ctx, lb, ub, step)`.

    `kiln_parallel_for` (internal) reads the module's global
    `kiln_parallel_hook`: when null, it calls the thunk once over
    `[lb, ub)`; otherwise it calls the hook with the same five values, which
    runs the thunk over chunks of the range (bounds `lb` plus multiples of
    `step`) on the runtime's threads and returns when all are done. The
    module exports `void kiln_set_parallel_hook(void *hook)`, which the
    runtime calls once when it loads the module (docs/abi.md). A module
    without parallel loops gets none of these.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
  let statistics = [
    Statistic<"numCalls", "num-calls", "Number of parallel calls lowered">
  ];
}

#endif // KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
