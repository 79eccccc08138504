//===- KilnIndexingOps.td - kiln data-movement ops ---------*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Resampling, gather/scatter by index, triangular masks, scans, sorting and
// other data-movement ops. Included from KilnOps.td.
//
// ONNX gives several of these ops small tensor inputs (resize scales, top-k
// `k`, tile repeats, one-hot depth, scan axis) that real models compute at
// run time. They stay operands here; a shape function reads their values
// when they are constants (`kiln.constant`) and otherwise leaves the
// dimensions they decide dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNINDEXINGOPS_TD
#define KILN_DIALECT_KILN_IR_KILNINDEXINGOPS_TD

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

def Kiln_InterpolationMode : I32EnumAttr<"InterpolationMode",
    "how kiln.resize and kiln.grid_sample interpolate", [
    I32EnumAttrCase<"Nearest", 0, "nearest">,
    I32EnumAttrCase<"Linear", 1, "linear">,
    I32EnumAttrCase<"Cubic", 2, "cubic">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_InterpolationModeAttr :
    EnumAttr<Kiln_Dialect, Kiln_InterpolationMode, "interpolation">;

def Kiln_CoordinateTransform : I32EnumAttr<"CoordinateTransform",
    "how kiln.resize maps an output coordinate to an input coordinate", [
    I32EnumAttrCase<"HalfPixel", 0, "half_pixel">,
    I32EnumAttrCase<"PytorchHalfPixel", 1, "pytorch_half_pixel">,
    I32EnumAttrCase<"AlignCorners", 2, "align_corners">,
    I32EnumAttrCase<"Asymmetric", 3, "asymmetric">,
    I32EnumAttrCase<"TfCropAndResize", 4, "tf_crop_and_resize">,
    I32EnumAttrCase<"HalfPixelSymmetric", 5, "half_pixel_symmetric">,
    I32EnumAttrCase<"TfHalfPixelForNN", 6, "tf_half_pixel_for_nn">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_CoordinateTransformAttr :
    EnumAttr<Kiln_Dialect, Kiln_CoordinateTransform, "coordinate_transform">;

def Kiln_NearestMode : I32EnumAttr<"NearestMode",
    "how kiln.resize rounds a coordinate to the nearest input element", [
    I32EnumAttrCase<"RoundPreferFloor", 0, "round_prefer_floor">,
    I32EnumAttrCase<"RoundPreferCeil", 1, "round_prefer_ceil">,
    I32EnumAttrCase<"Floor", 2, "floor">,
    I32EnumAttrCase<"Ceil", 3, "ceil">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_NearestModeAttr :
    EnumAttr<Kiln_Dialect, Kiln_NearestMode, "nearest_mode">;

def Kiln_AspectRatioPolicy : I32EnumAttr<"AspectRatioPolicy",
    "how kiln.resize interprets target sizes", [
    I32EnumAttrCase<"Stretch", 0, "stretch">,
    I32EnumAttrCase<"NotLarger", 1, "not_larger">,
    I32EnumAttrCase<"NotSmaller", 2, "not_smaller">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_AspectRatioPolicyAttr :
    EnumAttr<Kiln_Dialect, Kiln_AspectRatioPolicy, "aspect_ratio_policy">;

def Kiln_ScatterReduction : I32EnumAttr<"ScatterReduction",
    "how a scatter combines an update with the element it lands on", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Add", 1, "add">,
    I32EnumAttrCase<"Mul", 2, "mul">,
    I32EnumAttrCase<"Max", 3, "max">,
    I32EnumAttrCase<"Min", 4, "min">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_ScatterReductionAttr :
    EnumAttr<Kiln_Dialect, Kiln_ScatterReduction, "scatter_reduction">;

def Kiln_GridSamplePadding : I32EnumAttr<"GridSamplePadding",
    "what kiln.grid_sample reads outside the input", [
    I32EnumAttrCase<"Zeros", 0, "zeros">,
    I32EnumAttrCase<"Border", 1, "border">,
    I32EnumAttrCase<"Reflection", 2, "reflection">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_GridSamplePaddingAttr :
    EnumAttr<Kiln_Dialect, Kiln_GridSamplePadding, "grid_sample_padding">;

//===----------------------------------------------------------------------===//
// Resampling
//===----------------------------------------------------------------------===//

def Kiln_ResizeOp : Kiln_Op<"resize", [AttrSizedOperandSegments, Kiln_HasGradient]> {
  let summary = "resizes a tensor by interpolation (ONNX Resize)";
  let description = [{
    ONNX `Resize` (opset 19 semantics; older Resize and Upsample versions
    map onto it). `axes` (non-negative, distinct) are the resized
    dimensions; `scales` (float) or `sizes` (integer), exactly one of them,
    has one entry per axis, and `roi` (for `tf_crop_and_resize` only) holds
    the start of each axis's region, then the ends. A dimension resized by
    `scales` has size `floor(input * scale)`; by `sizes`, the size given, or
    under a `not_larger`/`not_smaller` policy the input size times the
    smallest/largest ratio, rounded half up. Sizes taken from non-constant
    operands are dynamic.

    ```mlir
    %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>,
        coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>,
        cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false,
        extrapolation_value = 0.000000e+00 : f32,
        keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>,
        mode = #kiln<interpolation linear>,
        nearest_mode = #kiln<nearest_mode round_prefer_floor>}
        : (tensor<1x3x8x8xf32>, tensor<2xf32>) -> tensor<1x3x?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input,
                       Optional<Kiln_FloatTensor>:$roi,
                       Optional<Kiln_FloatTensor>:$scales,
                       Optional<Kiln_IntegerTensor>:$sizes,
                       DenseI64ArrayAttr:$axes,
                       Kiln_InterpolationModeAttr:$mode,
                       Kiln_CoordinateTransformAttr:$coordinate_transformation_mode,
                       Kiln_NearestModeAttr:$nearest_mode,
                       F32Attr:$cubic_coeff_a, BoolAttr:$exclude_outside,
                       F32Attr:$extrapolation_value, BoolAttr:$antialias,
                       Kiln_AspectRatioPolicyAttr:$keep_aspect_ratio_policy);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferResize(diag, adaptor.getInput(),
          adaptor.getRoi(), adaptor.getScales(), adaptor.getSizes(),
          adaptor.getAxes(), adaptor.getCoordinateTransformationMode(),
          adaptor.getKeepAspectRatioPolicy(), inferredReturnTypes);
  }];
  let assemblyFormat = [{
    $input (`roi` $roi^)? (`scales` $scales^)? (`sizes` $sizes^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def Kiln_GridSampleOp : Kiln_Op<"grid_sample", [Kiln_HasGradient]> {
  let summary = "samples a tensor at grid locations (ONNX GridSample)";
  let description = [{
    `input` is (N, C, D1, ..., Dr) and `grid` (N, O1, ..., Or, r) holds
    normalised coordinates in [-1, 1], innermost dimension first (x, y,
    ...). The result is (N, C, O1, ..., Or).

    ```mlir
    %y = kiln.grid_sample %x, %g {align_corners = false,
        mode = #kiln<interpolation linear>,
        padding_mode = #kiln<grid_sample_padding zeros>}
        : (tensor<1x3x8x8xf32>, tensor<1x4x4x2xf32>) -> tensor<1x3x4x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_FloatTensor:$grid,
                       Kiln_InterpolationModeAttr:$mode,
                       Kiln_GridSamplePaddingAttr:$padding_mode,
                       BoolAttr:$align_corners);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferGridSample(diag, adaptor.getInput().getType(),
          adaptor.getGrid().getType(), inferredReturnTypes);
  }];
}

//===----------------------------------------------------------------------===//
// Gather and scatter
//===----------------------------------------------------------------------===//

def Kiln_GatherElementsOp : Kiln_Op<"gather_elements", [Kiln_HasGradient]> {
  let summary = "gathers elements along an axis by an index tensor";
  let description = [{
    `output[i][j][k] = data[index[i][j][k]][j][k]` for `axis = 0`, and so on;
    `indices` has the rank of `data` and gives the result's shape. Negative
    indices count from the end.

    ```mlir
    %y = kiln.gather_elements %d, %i {axis = 1 : i64}
        : (tensor<3x3xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IntegerTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferGatherElements(diag,
          adaptor.getData().getType(), adaptor.getIndices().getType(),
          adaptor.getAxis(), inferredReturnTypes);
  }];
}

def Kiln_ScatterElementsOp : Kiln_Op<"scatter_elements", [Kiln_HasGradient]> {
  let summary = "writes updates into a copy of data along an axis";
  let description = [{
    ONNX `ScatterElements`: `indices` and `updates` have one shape and the
    rank of `data`; each update lands at its own position with the index
    substituted along `axis`, combined with the element there by
    `reduction` (`none` replaces).

    ```mlir
    %y = kiln.scatter_elements %d, %i, %u {axis = 1 : i64,
        reduction = #kiln<scatter_reduction add>}
        : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IntegerTensor:$indices,
                       Kiln_Tensor:$updates, I64Attr:$axis,
                       Kiln_ScatterReductionAttr:$reduction);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferScatterElements(diag,
          adaptor.getData().getType(), adaptor.getIndices().getType(),
          adaptor.getUpdates().getType(), adaptor.getAxis(),
          inferredReturnTypes);
  }];
}

def Kiln_GatherNDOp : Kiln_Op<"gather_nd", [Kiln_HasGradient]> {
  let summary = "gathers slices by multi-dimensional indices (ONNX GatherND)";
  let description = [{
    The last dimension `k` of `indices` (static) indexes the `k` dimensions
    of `data` after the first `batch_dims`, which `data` and `indices`
    share. The result shape is `indices.shape[:-1] +
    data.shape[batch_dims + k:]`.

    ```mlir
    %y = kiln.gather_nd %d, %i {batch_dims = 0 : i64}
        : (tensor<2x2x2xf32>, tensor<2x1x2xi64>) -> tensor<2x1x2xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IntegerTensor:$indices,
                       I64Attr:$batch_dims);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferGatherND(diag, adaptor.getData().getType(),
          adaptor.getIndices().getType(), adaptor.getBatchDims(),
          inferredReturnTypes);
  }];
}

def Kiln_ScatterNDOp : Kiln_Op<"scatter_nd", [Kiln_HasGradient]> {
  let summary = "writes slices into a copy of data by multi-dimensional indices";
  let description = [{
    ONNX `ScatterND`: `updates` has shape `indices.shape[:-1] +
    data.shape[k:]` where `k` is the (static) last dimension of `indices`.

    ```mlir
    %y = kiln.scatter_nd %d, %i, %u {reduction = #kiln<scatter_reduction none>}
        : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IntegerTensor:$indices,
                       Kiln_Tensor:$updates,
                       Kiln_ScatterReductionAttr:$reduction);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferScatterND(diag, adaptor.getData().getType(),
          adaptor.getIndices().getType(), adaptor.getUpdates().getType(),
          inferredReturnTypes);
  }];
}

def Kiln_CompressOp : Kiln_Op<"compress", [Kiln_HasGradient]> {
  let summary = "keeps the slices along an axis where a condition holds";
  let description = [{
    ONNX `Compress` with an axis: slice `i` along `axis` is kept if
    `condition[i]`; `condition` may be shorter than the axis (the rest is
    dropped). The kept count is static only for a constant condition.

    ```mlir
    %y = kiln.compress %x, %c {axis = 0 : i64}
        : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_BoolTensor:$condition,
                       I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferCompress(diag, adaptor.getInput(),
          adaptor.getCondition(), adaptor.getAxis(), inferredReturnTypes);
  }];
}

def Kiln_NonZeroOp : Kiln_Op<"nonzero"> {
  let summary = "indices of the non-zero elements (ONNX NonZero)";
  let description = [{
    A (rank, count) `i64` tensor: column `j` holds the index of the `j`-th
    non-zero element in row-major order. The count is dynamic.

    ```mlir
    %i = kiln.nonzero %x : (tensor<2x2xi1>) -> tensor<2x?xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let infer = [{
      return ::mlir::kiln::inferNonZero(diag, adaptor.getInput().getType(),
                                        inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kiln_UniqueOp : Kiln_Op<"unique", [Kiln_HasGradient]> {
  let summary = "the unique elements or slices of a tensor (ONNX Unique)";
  let description = [{
    Without `axis` the input is flattened. Returns the unique values (sorted
    ascending if `sorted`, else in order of first occurrence), the index of
    each one's first occurrence, the index into the uniques of every input
    element or slice, and each unique's count. The unique count is dynamic.

    ```mlir
    %y, %i, %inv, %c = kiln.unique %x {sorted = true}
        : (tensor<6xf32>) -> (tensor<?xf32>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>)
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, OptionalAttr<I64Attr>:$axis,
                       BoolAttr:$sorted);
  let results = (outs Kiln_Tensor:$output, RankedTensorOf<[I64]>:$indices,
                      RankedTensorOf<[I64]>:$inverse_indices,
                      RankedTensorOf<[I64]>:$counts);
  let infer = [{
      return ::mlir::kiln::inferUnique(diag, adaptor.getInput().getType(),
          adaptor.getAxis(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Masks, scans, sorting, repetition
//===----------------------------------------------------------------------===//

def Kiln_TriluOp : Kiln_Op<"trilu", [Kiln_HasGradient]> {
  let summary = "keeps the upper or lower triangle of the last two dimensions";
  let description = [{
    ONNX `Trilu`: with `upper`, keeps the elements with `col - row >= k`,
    else those with `col - row <= k`, and zeroes the rest. `k` is an
    optional integer scalar (or one-element) operand, 0 when absent.

    ```mlir
    %y = kiln.trilu %x, %k {upper = true} : (tensor<4x5xf32>, tensor<i64>) -> tensor<4x5xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Optional<Kiln_IntegerTensor>:$k,
                       BoolAttr:$upper);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferTrilu(diag, adaptor.getInput().getType(),
          adaptor.getK() ? adaptor.getK().getType() : ::mlir::Type(),
          inferredReturnTypes);
  }];
}

class Kiln_ScanOp<string mnemonic, string what, list<Trait> traits = []>
    : Kiln_Op<mnemonic, traits> {
  let summary = "cumulative " # what # " along an axis";
  let description = "ONNX `Cum" # !if(!eq(what, "sum"), "Sum", "Prod") #
      "`: the cumulative " # what # " along the axis given by the integer "
      "scalar `axis` (negative counts from the end). With `exclusive` an "
      "element is not included in its own result; with `reverse` the scan "
      "runs from the end." # [{

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x, %axis {exclusive = false, reverse = false}
        : (tensor<2x3xf64>, tensor<i32>) -> tensor<2x3xf64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$axis,
                       BoolAttr:$exclusive, BoolAttr:$reverse);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferScan(diag, adaptor.getInput(),
          adaptor.getAxis(), inferredReturnTypes);
  }];
}
def Kiln_CumSumOp : Kiln_ScanOp<"cumsum", "sum", [Kiln_HasGradient]>;
def Kiln_CumProdOp : Kiln_ScanOp<"cumprod", "product", [Kiln_HasGradient]>;

def Kiln_TopKOp : Kiln_Op<"top_k", [Kiln_HasGradient]> {
  let summary = "the k largest or smallest elements along an axis";
  let description = [{
    ONNX `TopK`: `k` is a one-element `i64` tensor. Returns the values and
    their `i64` indices; with `sorted` they are in order (largest first if
    `largest`), and equal values keep the lower index first. The axis's
    result size is `k` when `k` is a constant, else dynamic.

    ```mlir
    %v, %i = kiln.top_k %x, %k {axis = 1 : i64, largest = true, sorted = true}
        : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$k,
                       I64Attr:$axis, BoolAttr:$largest, BoolAttr:$sorted);
  let results = (outs Kiln_Tensor:$values, RankedTensorOf<[I64]>:$indices);
  let infer = [{
      return ::mlir::kiln::inferTopK(diag, adaptor.getInput(), adaptor.getK(),
          adaptor.getAxis(), inferredReturnTypes);
  }];
}

def Kiln_OneHotOp : Kiln_Op<"one_hot", [Kiln_HasGradient]> {
  let summary = "one-hot encodes indices along a new axis";
  let description = [{
    ONNX `OneHot`: inserts a dimension of size `depth` (a one-element
    numeric tensor, truncated to an integer) at `axis` (in [0, rank of
    indices]). An element is `values[1]` where its position on that axis
    equals its index (negative indices count from `depth`), else
    `values[0]`. The new dimension is dynamic unless `depth` is a constant.

    ```mlir
    %y = kiln.one_hot %i, %depth, %values {axis = 1 : i64}
        : (tensor<3xi64>, tensor<f32>, tensor<2xf32>) -> tensor<3x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$indices, Kiln_Tensor:$depth,
                       Kiln_Tensor:$values, I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferOneHot(diag, adaptor.getIndices().getType(),
          adaptor.getDepth(), adaptor.getValues().getType(), adaptor.getAxis(),
          inferredReturnTypes);
  }];
}

def Kiln_TileOp : Kiln_Op<"tile", [Kiln_HasGradient]> {
  let summary = "repeats a tensor along each dimension";
  let description = [{
    ONNX `Tile`: `repeats` is a 1-D integer tensor with one non-negative
    entry per dimension. Dimensions are static where both the input's size
    and a constant repeat are known.

    ```mlir
    %y = kiln.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$repeats);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferTile(diag, adaptor.getInput(),
          adaptor.getRepeats(), inferredReturnTypes);
  }];
}

def Kiln_ReverseSequenceOp : Kiln_Op<"reverse_sequence", [Kiln_HasGradient]> {
  let summary = "reverses the first sequence_lens[b] elements of each batch";
  let description = [{
    ONNX `ReverseSequence`: for each `b` along `batch_axis`, the first
    `sequence_lens[b]` elements along `time_axis` are reversed and the rest
    copied.

    ```mlir
    %y = kiln.reverse_sequence %x, %lens {batch_axis = 1 : i64, time_axis = 0 : i64}
        : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IntegerTensor:$sequence_lens,
                       I64Attr:$batch_axis, I64Attr:$time_axis);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferReverseSequence(diag,
          adaptor.getInput().getType(), adaptor.getSequenceLens().getType(),
          adaptor.getBatchAxis(), adaptor.getTimeAxis(), inferredReturnTypes);
  }];
}

#endif // KILN_DIALECT_KILN_IR_KILNINDEXINGOPS_TD
