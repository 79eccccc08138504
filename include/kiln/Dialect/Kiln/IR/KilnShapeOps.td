//===- KilnShapeOps.td - kiln shape computations -----------*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Ops that compute shapes (kiln.shape, kiln.size, kiln.range) and ops whose
// result shape comes from a tensor operand known only at run time
// (kiln.constant_of_shape and the kiln.dynamic_* family). The static forms
// (kiln.reshape, kiln.broadcast_to, kiln.slice, ...) take their shapes as
// attributes; the importer picks them whenever the shape operand is a
// constant, and these ops otherwise. A shape operand is a 1-D integer
// tensor; where its length decides the result's rank it must be static.
//
// Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNSHAPEOPS_TD
#define KILN_DIALECT_KILN_IR_KILNSHAPEOPS_TD

def Kiln_I64Tensor : RankedTensorOf<[I64]>;

//===----------------------------------------------------------------------===//
// Shape queries and index generation
//===----------------------------------------------------------------------===//

def Kiln_ShapeOp : Kiln_Op<"shape"> {
  let summary = "the dimensions of a tensor, as a 1-D i64 tensor";
  let description = [{
    Returns dimensions `start` up to (not including) `end` of `input`, with
    `0 <= start <= end <= rank`. Dynamic dimensions are read at run time;
    the op folds to a constant when every dimension in the range is static.

    ```mlir
    %s = kiln.shape %x {end = 3 : i64, start = 1 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, I64Attr:$start, I64Attr:$end);
  let results = (outs Kiln_I64Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferShapeOf(diag, adaptor.getInput().getType(),
          adaptor.getStart(), adaptor.getEnd(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kiln_SizeOp : Kiln_Op<"size"> {
  let summary = "the number of elements of a tensor, as an i64 scalar";
  let description = [{
    Folds to a constant when `input` has a static shape.

    ```mlir
    %n = kiln.size %x : (tensor<?x4xf32>) -> tensor<i64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_I64Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferSizeOf(diag, adaptor.getInput().getType(),
                                       inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kiln_RangeOp : Kiln_Op<"range", [Kiln_HasGradient]> {
  let summary = "an arithmetic sequence from scalar start, limit and delta";
  let description = [{
    ONNX `Range`: element `i` is `start + i * delta`, and there are
    `max(ceil((limit - start) / delta), 0)` elements. The three operands are
    scalars of one element type; the length is known only at run time (the
    importer emits a constant when all three are constants).

    ```mlir
    %r = kiln.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$start, Kiln_Tensor:$limit,
                       Kiln_Tensor:$delta);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferRange(diag, adaptor.getStart().getType(),
          adaptor.getLimit().getType(), adaptor.getDelta().getType(),
          inferredReturnTypes);
  }];
}

def Kiln_ConstantOfShapeOp : Kiln_Op<"constant_of_shape"> {
  let summary = "a tensor of a run-time shape filled with one value";
  let description = [{
    ONNX `ConstantOfShape` with a shape known only at run time: `shape` is a
    1-D integer tensor of static length (the result's rank) holding
    non-negative sizes, and `value` is the scalar fill, whose type is the
    result's element type. Every result dimension is dynamic. (A constant
    shape becomes a splat `kiln.constant` instead.)

    ```mlir
    %z = kiln.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_IntegerTensor:$shape, TypedAttrInterface:$value);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferConstantOfShape(diag,
          adaptor.getShape().getType(), adaptor.getValue(),
          inferredReturnTypes);
  }];
}

//===----------------------------------------------------------------------===//
// Shape manipulation with run-time shapes
//===----------------------------------------------------------------------===//

def Kiln_DynamicReshapeOp : Kiln_Op<"dynamic_reshape", [Kiln_HasGradient]> {
  let summary = "reshapes a tensor to a shape given as a run-time tensor";
  let description = [{
    ONNX `Reshape` whose target `shape` (a 1-D integer tensor of static
    length, the result's rank) is known only at run time. Entries are sizes,
    at most one `-1` (computed from the element count) and, unless
    `allowzero`, `0` to copy the input's dimension at the same index; with
    `allowzero` a `0` is a size of zero. Every result dimension is dynamic.

    ```mlir
    %y = kiln.dynamic_reshape %x, %s {allowzero = false}
        : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$shape,
                       BoolAttr:$allowzero);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferDynamicReshape(diag,
          adaptor.getInput().getType(), adaptor.getShape().getType(),
          inferredReturnTypes);
  }];
}

def Kiln_DynamicBroadcastToOp : Kiln_Op<"dynamic_broadcast_to", [Kiln_HasGradient]> {
  let summary = "broadcasts a tensor against a run-time shape";
  let description = [{
    ONNX `Expand` whose `shape` (a 1-D integer tensor of static length) is
    known only at run time: the result is the numpy broadcast of the input's
    shape and `shape`, of rank `max(rank(input), len(shape))`. A result
    dimension is static only where the input's (right-aligned) dimension is
    static and not 1, since `shape` can then only keep it.

    ```mlir
    %y = kiln.dynamic_broadcast_to %x, %s : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x3x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$shape);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferDynamicBroadcastTo(diag,
          adaptor.getInput().getType(), adaptor.getShape().getType(),
          inferredReturnTypes);
  }];
}

def Kiln_ReduceKind : I32EnumAttr<"ReduceKind",
    "the reduction kiln.dynamic_reduce computes", [
    I32EnumAttrCase<"Sum", 0, "sum">,
    I32EnumAttrCase<"Mean", 1, "mean">,
    I32EnumAttrCase<"Max", 2, "max">,
    I32EnumAttrCase<"Min", 3, "min">,
    I32EnumAttrCase<"Prod", 4, "prod">,
    I32EnumAttrCase<"SumSquare", 5, "sum_square">,
    I32EnumAttrCase<"L1", 6, "l1">,
    I32EnumAttrCase<"L2", 7, "l2">,
    I32EnumAttrCase<"LogSum", 8, "log_sum">,
    I32EnumAttrCase<"LogSumExp", 9, "log_sum_exp">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_ReduceKindAttr : EnumAttr<Kiln_Dialect, Kiln_ReduceKind, "reduce_kind">;

def Kiln_DynamicReduceOp : Kiln_Op<"dynamic_reduce", [Kiln_HasGradient]> {
  let summary = "reduces a tensor over axes given as a run-time tensor";
  let description = [{
    An ONNX `Reduce*` op whose `axes` (a 1-D integer tensor; entries may be
    negative, counted from the end, and must be unique) are known only at
    run time. `kind` names the reduction, computed as `kiln.reduce_<kind>`
    does (`log_sum` is the log of a sum). Empty `axes` reduce every axis, or
    nothing with `noop_with_empty_axes`.

    With `keepdims` the result has the input's rank, and a dimension is
    static only where the input's is 1. Without it, `axes` must have a
    static, non-zero length `n` (so that it reduces exactly `n` axes) and
    the result has rank `rank(input) - n`, every dimension dynamic.

    ```mlir
    %r = kiln.dynamic_reduce sum %x, %axes {keepdims = true, noop_with_empty_axes = false}
        : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_ReduceKindAttr:$kind, Kiln_Tensor:$input,
                       Kiln_IntegerTensor:$axes, BoolAttr:$keepdims,
                       BoolAttr:$noop_with_empty_axes);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferDynamicReduce(diag,
          adaptor.getInput().getType(), adaptor.getAxes().getType(),
          adaptor.getKeepdims(), inferredReturnTypes);
  }];
  let assemblyFormat =
      "$kind $input `,` $axes attr-dict `:` functional-type(operands, results)";
}

def Kiln_DynamicSliceOp : Kiln_Op<"dynamic_slice", [Kiln_HasGradient]> {
  let summary = "a strided slice with run-time bounds";
  let description = [{
    ONNX `Slice` whose `starts`, `ends`, `axes` and `steps` (1-D tensors of
    one integer type and one length) are known only at run time, with the
    same clamping rules as `kiln.slice`: axes may be negative and must be
    unique, steps are non-zero. The result has the input's rank; a
    dimension stays static only if it is 0, every other one is dynamic.

    ```mlir
    %y = kiln.dynamic_slice %x, %starts, %ends, %axes, %steps
        : (tensor<20x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>)
        -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$starts,
                       Kiln_IntegerTensor:$ends, Kiln_IntegerTensor:$axes,
                       Kiln_IntegerTensor:$steps);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferDynamicSlice(diag,
          adaptor.getInput().getType(),
          {adaptor.getStarts().getType(), adaptor.getEnds().getType(),
           adaptor.getAxes().getType(), adaptor.getSteps().getType()},
          inferredReturnTypes);
  }];
}

def Kiln_DynamicSplitOp : Kiln_Op<"dynamic_split", [Kiln_HasGradient]> {
  let summary = "splits a tensor along an axis into run-time sizes";
  let description = [{
    ONNX `Split` whose `sizes` (a 1-D integer tensor of static length, one
    non-negative entry per result, adding up to the axis's size) are known
    only at run time. Each result is the input's shape with a dynamic `axis` dimension.

    ```mlir
    %a, %b = kiln.dynamic_split %x, %sizes {axis = 1 : i64}
        : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2x?xf32>)
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$sizes,
                       I64Attr:$axis);
  let results = (outs Variadic<Kiln_Tensor>:$outputs);
  let infer = [{
      return ::mlir::kiln::inferDynamicSplit(diag,
          adaptor.getInput().getType(), adaptor.getSizes().getType(),
          adaptor.getAxis(), inferredReturnTypes);
  }];
}

def Kiln_DynamicSqueezeOp : Kiln_Op<"dynamic_squeeze", [Kiln_HasGradient]> {
  let summary = "removes size-1 dimensions listed in a run-time tensor";
  let description = [{
    ONNX `Squeeze` whose `axes` (a 1-D integer tensor of static, non-zero
    length `n`; entries may be negative and must be unique, each naming a
    dimension of size 1) are known only at run time. The result has rank
    `rank(input) - n`; its dimensions are dynamic.

    ```mlir
    %y = kiln.dynamic_squeeze %x, %axes : (tensor<1x3x1x5xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$axes);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferDynamicSqueeze(diag,
          adaptor.getInput().getType(), adaptor.getAxes().getType(),
          /*unsqueeze=*/false, inferredReturnTypes);
  }];
}

def Kiln_DynamicUnsqueezeOp : Kiln_Op<"dynamic_unsqueeze", [Kiln_HasGradient]> {
  let summary = "inserts size-1 dimensions at positions in a run-time tensor";
  let description = [{
    ONNX `Unsqueeze` whose `axes` (a 1-D integer tensor of static, non-zero
    length `n`; entries may be negative, counted from the end of the
    result, and must be unique) are known only at run time. The result has rank
    `rank(input) + n`; its dimensions are dynamic.

    ```mlir
    %y = kiln.dynamic_unsqueeze %x, %axes : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$axes);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferDynamicSqueeze(diag,
          adaptor.getInput().getType(), adaptor.getAxes().getType(),
          /*unsqueeze=*/true, inferredReturnTypes);
  }];
}

def Kiln_DynamicPadOp : Kiln_Op<"dynamic_pad", [Kiln_HasGradient]> {
  let summary = "pads a tensor by amounts given as a run-time tensor";
  let description = [{
    ONNX `Pad` whose `pads` (a 1-D integer tensor: the begin pad of every
    dimension, then the end pads) or fill `value` (a one-element tensor of
    the input's element type, used in `constant` mode) are known only at
    run time. A negative pad removes elements. Every result dimension is
    dynamic.

    ```mlir
    %y = kiln.dynamic_pad constant %x, %pads, %v
        : (tensor<3x4xf32>, tensor<4xi64>, tensor<f32>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_PadModeAttr:$mode, Kiln_Tensor:$input,
                       Kiln_IntegerTensor:$pads, Kiln_Tensor:$value);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferDynamicPad(diag, adaptor.getInput().getType(),
          adaptor.getPads().getType(), adaptor.getValue().getType(),
          inferredReturnTypes);
  }];
  let assemblyFormat = "$mode $input `,` $pads `,` $value attr-dict `:` "
                       "functional-type(operands, results)";
}

#endif // KILN_DIALECT_KILN_IR_KILNSHAPEOPS_TD
