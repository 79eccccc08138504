// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per error message of the shape functions of the data-movement
// and indexing ops (IndexingTypeInference.cpp). A shape error is followed
// by MLIR's own "failed to infer returned types".

// kiln.resize axes must be in range.
func.func @case0(%x: tensor<1x1x4x4xf32>, %s: tensor<2xf32>) {
  // expected-error @+2 {{'kiln.resize' op 'axes' 4 is out of range [0, 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 4>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// kiln.resize axes must be distinct.
func.func @case1(%x: tensor<1x1x4x4xf32>, %s: tensor<2xf32>) {
  // expected-error @+2 {{'kiln.resize' op 'axes' repeats axis 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 2>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// kiln.resize needs exactly one of scales and sizes.
func.func @case2(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{'kiln.resize' op exactly one of 'scales' and 'sizes' must be given}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// tf_crop_and_resize needs a roi.
func.func @case3(%x: tensor<1x1x4x4xf32>, %s: tensor<2xi64>) {
  // expected-error @+2 {{'kiln.resize' op tf_crop_and_resize needs a 'roi'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x sizes %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform tf_crop_and_resize>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xi64>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// Other transforms take no roi.
func.func @case4(%x: tensor<1x1x4x4xf32>, %r: tensor<4xf32>, %s: tensor<2xi64>) {
  // expected-error @+2 {{'kiln.resize' op 'roi' is only used by tf_crop_and_resize}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x roi %r sizes %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<4xf32>, tensor<2xi64>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// A keep-aspect-ratio policy needs sizes.
func.func @case5(%x: tensor<1x1x4x4xf32>, %s: tensor<2xf32>) {
  // expected-error @+2 {{'kiln.resize' op keep_aspect_ratio_policy applies only to 'sizes'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy not_smaller>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// scales has one entry per axis.
func.func @case6(%x: tensor<1x1x4x4xf32>, %s: tensor<3xf32>) {
  // expected-error @+2 {{'kiln.resize' op 'scales' must have 2 entries, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<3xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// sizes is 1-D.
func.func @case7(%x: tensor<1x1x4x4xf32>, %s: tensor<1x2xi64>) {
  // expected-error @+2 {{'kiln.resize' op 'sizes' must be 1-D, got 1x2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x sizes %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<1x2xi64>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// Constant scales must be positive.
func.func @case8(%x: tensor<1x1x4x4xf32>) {
  %s = kiln.constant dense<[0.0, 1.0]> : tensor<2xf32>
  // expected-error @+2 {{'kiln.resize' op 'scales' must be positive, got 0.000000e+00}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// Constant sizes must not be negative.
func.func @case9(%x: tensor<1x1x4x4xf32>) {
  %s = kiln.constant dense<[-1, 2]> : tensor<2xi64>
  // expected-error @+2 {{'kiln.resize' op 'sizes' must not be negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x sizes %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xi64>) -> tensor<1x1x4x4xf32>
  return
}

// -----

// A declared size must match the one constant scales give.
func.func @case10(%x: tensor<1x1x4x4xf32>) {
  %s = kiln.constant dense<[2.0, 2.0]> : tensor<2xf32>
  // expected-error @+2 {{inferred type(s) 'tensor<1x1x8x8xf32>' are incompatible with return type(s) of operation 'tensor<1x1x8x9xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xf32>) -> tensor<1x1x8x9xf32>
  return
}

// -----

// grid_sample needs N, C and a spatial dim.
func.func @case11(%x: tensor<1x3xf32>, %g: tensor<1x2xf32>) {
  // expected-error @+2 {{'kiln.grid_sample' op input must have rank 3 or more (N, C, spatial...), got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding zeros>} : (tensor<1x3xf32>, tensor<1x2xf32>) -> tensor<1x3xf32>
  return
}

// -----

// The grid has the input's rank.
func.func @case12(%x: tensor<1x3x4x4xf32>, %g: tensor<1x4x2xf32>) {
  // expected-error @+2 {{'kiln.grid_sample' op grid must have the input's rank 4, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding zeros>} : (tensor<1x3x4x4xf32>, tensor<1x4x2xf32>) -> tensor<1x3x4xf32>
  return
}

// -----

// The grid's last dim is the spatial rank.
func.func @case13(%x: tensor<1x3x4x4xf32>, %g: tensor<1x4x4x3xf32>) {
  // expected-error @+2 {{'kiln.grid_sample' op the last dimension of grid must be 2, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding zeros>} : (tensor<1x3x4x4xf32>, tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  return
}

// -----

// The grid's batch size is the input's.
func.func @case14(%x: tensor<1x3x4x4xf32>, %g: tensor<2x4x4x2xf32>) {
  // expected-error @+2 {{'kiln.grid_sample' op batch size mismatch: 1 vs 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding zeros>} : (tensor<1x3x4x4xf32>, tensor<2x4x4x2xf32>) -> tensor<1x3x4x4xf32>
  return
}

// -----

// gather_elements indices have the rank of data.
func.func @case15(%d: tensor<3x3xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{'kiln.gather_elements' op indices must have the rank of data (2), got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.gather_elements %d, %i {axis = 0 : i64} : (tensor<3x3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

// The gather_elements axis must be in range.
func.func @case16(%d: tensor<3x3xf32>, %i: tensor<3x3xi64>) {
  // expected-error @+2 {{'kiln.gather_elements' op 'axis' 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.gather_elements %d, %i {axis = 2 : i64} : (tensor<3x3xf32>, tensor<3x3xi64>) -> tensor<3x3xf32>
  return
}

// -----

// scatter_elements updates have the data's element type.
func.func @case17(%d: tensor<3xf32>, %i: tensor<2xi64>, %u: tensor<2xf16>) {
  // expected-error @+2 {{'kiln.scatter_elements' op updates must have the element type of data, got 'f16' and 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.scatter_elements %d, %i, %u {axis = 0 : i64, reduction = #kiln<scatter_reduction none>} : (tensor<3xf32>, tensor<2xi64>, tensor<2xf16>) -> tensor<3xf32>
  return
}

// -----

// scatter_elements operands share a rank.
func.func @case18(%d: tensor<3x3xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) {
  // expected-error @+2 {{'kiln.scatter_elements' op indices and updates must have the rank of data (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.scatter_elements %d, %i, %u {axis = 0 : i64, reduction = #kiln<scatter_reduction add>} : (tensor<3x3xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<3x3xf32>
  return
}

// -----

// scatter_elements indices and updates share a shape.
func.func @case19(%d: tensor<3xf32>, %i: tensor<2xi64>, %u: tensor<3xf32>) {
  // expected-error @+2 {{'kiln.scatter_elements' op indices and updates dimension 0 mismatch: 2 vs 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.scatter_elements %d, %i, %u {axis = 0 : i64, reduction = #kiln<scatter_reduction add>} : (tensor<3xf32>, tensor<2xi64>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

// gather_nd batch_dims must leave an index dim.
func.func @case20(%d: tensor<2x2xf32>, %i: tensor<2x1xi64>) {
  // expected-error @+2 {{'kiln.gather_nd' op 'batch_dims' 2 must be less than the ranks of data and indices}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.gather_nd %d, %i {batch_dims = 2 : i64} : (tensor<2x2xf32>, tensor<2x1xi64>) -> tensor<2xf32>
  return
}

// -----

// The index depth must be static.
func.func @case21(%d: tensor<2x2xf32>, %i: tensor<2x?xi64>) {
  // expected-error @+2 {{'kiln.gather_nd' op the last dimension of indices must be static}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.gather_nd %d, %i {batch_dims = 0 : i64} : (tensor<2x2xf32>, tensor<2x?xi64>) -> tensor<2xf32>
  return
}

// -----

// The index depth must not exceed the data's rank.
func.func @case22(%d: tensor<2x2xf32>, %i: tensor<2x3xi64>) {
  // expected-error @+2 {{'kiln.gather_nd' op the last dimension of indices (3) must be in [1, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.gather_nd %d, %i {batch_dims = 0 : i64} : (tensor<2x2xf32>, tensor<2x3xi64>) -> tensor<2xf32>
  return
}

// -----

// ND indices need a dimension.
func.func @case23(%d: tensor<2x2xf32>, %i: tensor<i64>, %u: tensor<f32>) {
  // expected-error @+2 {{'kiln.scatter_nd' op indices must have rank 1 or more}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.scatter_nd %d, %i, %u {reduction = #kiln<scatter_reduction none>} : (tensor<2x2xf32>, tensor<i64>, tensor<f32>) -> tensor<2x2xf32>
  return
}

// -----

// scatter_nd updates have shape indices[:-1] + data[k:].
func.func @case24(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2xf32>) {
  // expected-error @+2 {{'kiln.scatter_nd' op updates must have shape 2x4, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.scatter_nd %d, %i, %u {reduction = #kiln<scatter_reduction none>} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2xf32>) -> tensor<4x4xf32>
  return
}

// -----

// scatter_nd updates dims must match.
func.func @case25(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xf32>) {
  // expected-error @+2 {{'kiln.scatter_nd' op updates dimension 1 mismatch: 4 vs 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.scatter_nd %d, %i, %u {reduction = #kiln<scatter_reduction none>} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<4x4xf32>
  return
}

// -----

// The compress condition is 1-D.
func.func @case26(%x: tensor<3x2xf32>, %c: tensor<3x1xi1>) {
  // expected-error @+2 {{'kiln.compress' op condition must be 1-D, got 3x1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.compress %x, %c {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3x1xi1>) -> tensor<?x2xf32>
  return
}

// -----

// The compress condition is no longer than the axis.
func.func @case27(%x: tensor<3x2xf32>, %c: tensor<4xi1>) {
  // expected-error @+2 {{'kiln.compress' op condition has 4 entries, more than the axis size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.compress %x, %c {axis = 0 : i64} : (tensor<3x2xf32>, tensor<4xi1>) -> tensor<?x2xf32>
  return
}

// -----

// trilu needs a matrix.
func.func @case28(%x: tensor<4xf32>) {
  // expected-error @+2 {{'kiln.trilu' op input must have rank 2 or more, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.trilu %x {upper = true} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// trilu's k is one value.
func.func @case29(%x: tensor<4x4xf32>, %k: tensor<2xi64>) {
  // expected-error @+2 {{'kiln.trilu' op 'k' must be a scalar or have one element, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.trilu %x, %k {upper = true} : (tensor<4x4xf32>, tensor<2xi64>) -> tensor<4x4xf32>
  return
}

// -----

// A constant scan axis must be in range.
func.func @case30(%x: tensor<2x3xf32>) {
  %a = kiln.constant dense<2> : tensor<i32>
  // expected-error @+2 {{'kiln.cumsum' op axis 2 is out of range [-2, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.cumsum %x, %a {exclusive = false, reverse = false} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  return
}

// -----

// A scan needs a dimension.
func.func @case31(%x: tensor<f32>, %a: tensor<i32>) {
  // expected-error @+2 {{'kiln.cumprod' op input must have rank 1 or more}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.cumprod %x, %a {exclusive = false, reverse = false} : (tensor<f32>, tensor<i32>) -> tensor<f32>
  return
}

// -----

// A constant k must fit the axis.
func.func @case32(%x: tensor<3x4xf32>) {
  %k = kiln.constant dense<5> : tensor<1xi64>
  // expected-error @+2 {{'kiln.top_k' op k (5) must be in [0, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %v, %i = kiln.top_k %x, %k {axis = 1 : i64, largest = true, sorted = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x5xf32>, tensor<3x5xi64>)
  return
}

// -----

// The one_hot axis may be the new last dim, no further.
func.func @case33(%i: tensor<3xi64>, %d: tensor<f32>, %v: tensor<2xf32>) {
  // expected-error @+2 {{'kiln.one_hot' op 'axis' 2 is out of range [0, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.one_hot %i, %d, %v {axis = 2 : i64} : (tensor<3xi64>, tensor<f32>, tensor<2xf32>) -> tensor<3x?xf32>
  return
}

// -----

// one_hot values are (off, on).
func.func @case34(%i: tensor<3xi64>, %d: tensor<f32>, %v: tensor<3xf32>) {
  // expected-error @+2 {{'kiln.one_hot' op 'values' must have 2 entries, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.one_hot %i, %d, %v {axis = 1 : i64} : (tensor<3xi64>, tensor<f32>, tensor<3xf32>) -> tensor<3x?xf32>
  return
}

// -----

// A constant depth must be at least 1.
func.func @case35(%i: tensor<3xi64>, %v: tensor<2xf32>) {
  %d = kiln.constant dense<0.5> : tensor<f32>
  // expected-error @+2 {{'kiln.one_hot' op depth must be at least 1, got 5.000000e-01}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.one_hot %i, %d, %v {axis = 1 : i64} : (tensor<3xi64>, tensor<f32>, tensor<2xf32>) -> tensor<3x?xf32>
  return
}

// -----

// Tile repeats must not be negative.
func.func @case36(%x: tensor<2x3xf32>) {
  %r = kiln.constant dense<[1, -1]> : tensor<2xi64>
  // expected-error @+2 {{'kiln.tile' op 'repeats' must not be negative, got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

// Tile has one repeat per dimension.
func.func @case37(%x: tensor<2x3xf32>, %r: tensor<3xi64>) {
  // expected-error @+2 {{'kiln.tile' op 'repeats' must have 2 entries, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.tile %x, %r : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

// reverse_sequence axes are 0 and 1.
func.func @case38(%x: tensor<4x4x2xf32>, %l: tensor<4xi64>) {
  // expected-error @+2 {{'kiln.reverse_sequence' op 'batch_axis' 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.reverse_sequence %x, %l {batch_axis = 2 : i64, time_axis = 0 : i64} : (tensor<4x4x2xf32>, tensor<4xi64>) -> tensor<4x4x2xf32>
  return
}

// -----

// reverse_sequence axes differ.
func.func @case39(%x: tensor<4x4xf32>, %l: tensor<4xi64>) {
  // expected-error @+2 {{'kiln.reverse_sequence' op 'batch_axis' and 'time_axis' must differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.reverse_sequence %x, %l {batch_axis = 0 : i64, time_axis = 0 : i64} : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
  return
}

// -----

// reverse_sequence needs batch and time dims.
func.func @case40(%x: tensor<4xf32>, %l: tensor<4xi64>) {
  // expected-error @+2 {{'kiln.reverse_sequence' op input must have rank 2 or more, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.reverse_sequence %x, %l {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

// One sequence length per batch entry.
func.func @case41(%x: tensor<4x3xf32>, %l: tensor<4xi64>) {
  // expected-error @+2 {{'kiln.reverse_sequence' op 'sequence_lens' must have 3 entries, got 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.reverse_sequence %x, %l {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<4x3xf32>
  return
}
