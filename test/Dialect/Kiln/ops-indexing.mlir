// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Round trip of the data-movement and indexing ops (KilnIndexingOps.td).
// Declared static sizes that come from constant operands are checked
// against the shape function's inferred ones.

// Constant scales give static sizes: floor(4 * 2.0) = 8, floor(6 * 0.5) = 3.
// CHECK-LABEL: func.func @resize_scales(
// CHECK:         %[[S:.*]] = kiln.constant
// CHECK:         kiln.resize %{{.*}} scales %[[S]] {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x3x4x6xf32>, tensor<2xf32>) -> tensor<1x3x8x3xf32>
func.func @resize_scales(%x: tensor<1x3x4x6xf32>) -> tensor<1x3x8x3xf32> {
  %s = kiln.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x3x4x6xf32>, tensor<2xf32>) -> tensor<1x3x8x3xf32>
  return %y : tensor<1x3x8x3xf32>
}

// Crop-and-resize with runtime roi and sizes: the resized dims are dynamic.
// CHECK-LABEL: func.func @resize_crop(
// CHECK:         kiln.resize %{{.*}} roi %{{.*}} sizes %{{.*}} {{{.*}}coordinate_transformation_mode = #kiln<coordinate_transform tf_crop_and_resize>{{.*}}extrapolation_value = 1.000000e+01 : f32{{.*}}} : (tensor<1x1x4x4xf32>, tensor<4xf32>, tensor<2xi64>) -> tensor<1x1x?x?xf32>
func.func @resize_crop(%x: tensor<1x1x4x4xf32>, %roi: tensor<4xf32>, %sizes: tensor<2xi64>) -> tensor<1x1x?x?xf32> {
  %y = kiln.resize %x roi %roi sizes %sizes {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform tf_crop_and_resize>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 1.000000e+01 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<4xf32>, tensor<2xi64>) -> tensor<1x1x?x?xf32>
  return %y : tensor<1x1x?x?xf32>
}

// not_larger keeps the aspect ratio: min(7/2, 8/2) = 3.5 gives 7x7.
// CHECK-LABEL: func.func @resize_not_larger(
// CHECK:         kiln.resize %{{.*}} sizes %{{.*}} {{{.*}}keep_aspect_ratio_policy = #kiln<aspect_ratio_policy not_larger>{{.*}}} : (tensor<1x1x2x2xf32>, tensor<2xi64>) -> tensor<1x1x7x7xf32>
func.func @resize_not_larger(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x7x7xf32> {
  %s = kiln.constant dense<[7, 8]> : tensor<2xi64>
  %y = kiln.resize %x sizes %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy not_larger>, mode = #kiln<interpolation nearest>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x2x2xf32>, tensor<2xi64>) -> tensor<1x1x7x7xf32>
  return %y : tensor<1x1x7x7xf32>
}

// CHECK-LABEL: func.func @grid_sample(
// CHECK:         kiln.grid_sample %{{.*}}, %{{.*}} {align_corners = true, mode = #kiln<interpolation cubic>, padding_mode = #kiln<grid_sample_padding reflection>} : (tensor<?x3x8x8xf32>, tensor<?x4x5x2xf32>) -> tensor<?x3x4x5xf32>
func.func @grid_sample(%x: tensor<?x3x8x8xf32>, %g: tensor<?x4x5x2xf32>) -> tensor<?x3x4x5xf32> {
  %y = kiln.grid_sample %x, %g {align_corners = true, mode = #kiln<interpolation cubic>, padding_mode = #kiln<grid_sample_padding reflection>} : (tensor<?x3x8x8xf32>, tensor<?x4x5x2xf32>) -> tensor<?x3x4x5xf32>
  return %y : tensor<?x3x4x5xf32>
}

// CHECK-LABEL: func.func @gather_scatter_elements(
// CHECK:         %[[G:.*]] = kiln.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<3x3xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
// CHECK:         kiln.scatter_elements %{{.*}}, %{{.*}}, %[[G]] {axis = 1 : i64, reduction = #kiln<scatter_reduction max>} : (tensor<3x3xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x3xf32>
func.func @gather_scatter_elements(%d: tensor<3x3xf32>, %i: tensor<3x2xi64>) -> tensor<3x3xf32> {
  %g = kiln.gather_elements %d, %i {axis = 1 : i64} : (tensor<3x3xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  %s = kiln.scatter_elements %d, %i, %g {axis = 1 : i64, reduction = #kiln<scatter_reduction max>} : (tensor<3x3xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x3xf32>
  return %s : tensor<3x3xf32>
}

// GatherND with a batch dimension: 2 + [] + data[1+1:] = 2x2.
// CHECK-LABEL: func.func @gather_scatter_nd(
// CHECK:         kiln.gather_nd %{{.*}}, %{{.*}} {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
// CHECK:         kiln.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} {reduction = #kiln<scatter_reduction none>} : (tensor<4x4x4xf32>, tensor<2x1xi64>, tensor<2x4x4xf32>) -> tensor<4x4x4xf32>
func.func @gather_scatter_nd(%d: tensor<2x2x2xi32>, %i: tensor<2x1xi64>, %x: tensor<4x4x4xf32>, %u: tensor<2x4x4xf32>) -> (tensor<2x2xi32>, tensor<4x4x4xf32>) {
  %g = kiln.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
  %s = kiln.scatter_nd %x, %i, %u {reduction = #kiln<scatter_reduction none>} : (tensor<4x4x4xf32>, tensor<2x1xi64>, tensor<2x4x4xf32>) -> tensor<4x4x4xf32>
  return %g, %s : tensor<2x2xi32>, tensor<4x4x4xf32>
}

// A constant condition gives a static count (two true entries).
// CHECK-LABEL: func.func @compress(
// CHECK:         kiln.compress %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
// CHECK:         kiln.compress %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<2x2xf32>
func.func @compress(%x: tensor<3x2xf32>, %c: tensor<3xi1>) -> (tensor<?x2xf32>, tensor<2x2xf32>) {
  %a = kiln.compress %x, %c {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
  %k = kiln.constant dense<[true, false, true]> : tensor<3xi1>
  %b = kiln.compress %x, %k {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<2x2xf32>
  return %a, %b : tensor<?x2xf32>, tensor<2x2xf32>
}

// CHECK-LABEL: func.func @nonzero_unique(
// CHECK:         kiln.nonzero %{{.*}} : (tensor<2x2xi1>) -> tensor<2x?xi64>
// CHECK:         kiln.unique %{{.*}} {sorted = true} : (tensor<6xf32>) -> (tensor<?xf32>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>)
// CHECK:         kiln.unique %{{.*}} {axis = 1 : i64, sorted = false} : (tensor<2x4x2xf32>) -> (tensor<2x?x2xf32>, tensor<?xi64>, tensor<4xi64>, tensor<?xi64>)
func.func @nonzero_unique(%c: tensor<2x2xi1>, %x: tensor<6xf32>, %z: tensor<2x4x2xf32>) -> tensor<2x?xi64> {
  %n = kiln.nonzero %c : (tensor<2x2xi1>) -> tensor<2x?xi64>
  %y, %i, %inv, %cnt = kiln.unique %x {sorted = true} : (tensor<6xf32>) -> (tensor<?xf32>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>)
  %y2, %i2, %inv2, %cnt2 = kiln.unique %z {axis = 1 : i64, sorted = false} : (tensor<2x4x2xf32>) -> (tensor<2x?x2xf32>, tensor<?xi64>, tensor<4xi64>, tensor<?xi64>)
  return %n : tensor<2x?xi64>
}

// Trilu with and without k.
// CHECK-LABEL: func.func @trilu(
// CHECK:         kiln.trilu %{{.*}}, %{{.*}} {upper = true} : (tensor<4x5xi64>, tensor<i64>) -> tensor<4x5xi64>
// CHECK:         kiln.trilu %{{.*}} {upper = false} : (tensor<4x5xi64>) -> tensor<4x5xi64>
func.func @trilu(%x: tensor<4x5xi64>, %k: tensor<i64>) -> (tensor<4x5xi64>, tensor<4x5xi64>) {
  %u = kiln.trilu %x, %k {upper = true} : (tensor<4x5xi64>, tensor<i64>) -> tensor<4x5xi64>
  %l = kiln.trilu %x {upper = false} : (tensor<4x5xi64>) -> tensor<4x5xi64>
  return %u, %l : tensor<4x5xi64>, tensor<4x5xi64>
}

// CHECK-LABEL: func.func @scans(
// CHECK:         kiln.cumsum %{{.*}}, %{{.*}} {exclusive = true, reverse = false} : (tensor<2x3xf64>, tensor<i32>) -> tensor<2x3xf64>
// CHECK:         kiln.cumprod %{{.*}}, %{{.*}} {exclusive = false, reverse = true} : (tensor<2x3xf64>, tensor<i32>) -> tensor<2x3xf64>
func.func @scans(%x: tensor<2x3xf64>, %axis: tensor<i32>) -> (tensor<2x3xf64>, tensor<2x3xf64>) {
  %s = kiln.cumsum %x, %axis {exclusive = true, reverse = false} : (tensor<2x3xf64>, tensor<i32>) -> tensor<2x3xf64>
  %p = kiln.cumprod %x, %axis {exclusive = false, reverse = true} : (tensor<2x3xf64>, tensor<i32>) -> tensor<2x3xf64>
  return %s, %p : tensor<2x3xf64>, tensor<2x3xf64>
}

// A constant k gives a static size along the axis.
// CHECK-LABEL: func.func @top_k(
// CHECK:         kiln.top_k %{{.*}}, %{{.*}} {axis = 1 : i64, largest = false, sorted = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x3xf32>, tensor<3x3xi64>)
func.func @top_k(%x: tensor<3x4xf32>) -> (tensor<3x3xf32>, tensor<3x3xi64>) {
  %k = kiln.constant dense<3> : tensor<1xi64>
  %v, %i = kiln.top_k %x, %k {axis = 1 : i64, largest = false, sorted = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x3xf32>, tensor<3x3xi64>)
  return %v, %i : tensor<3x3xf32>, tensor<3x3xi64>
}

// A float depth of 10.7 truncates to 10; the result has the values' type.
// CHECK-LABEL: func.func @one_hot(
// CHECK:         kiln.one_hot %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<3xi64>, tensor<f32>, tensor<2xi32>) -> tensor<3x10xi32>
func.func @one_hot(%i: tensor<3xi64>, %v: tensor<2xi32>) -> tensor<3x10xi32> {
  %d = kiln.constant dense<10.7> : tensor<f32>
  %y = kiln.one_hot %i, %d, %v {axis = 1 : i64} : (tensor<3xi64>, tensor<f32>, tensor<2xi32>) -> tensor<3x10xi32>
  return %y : tensor<3x10xi32>
}

// Constant repeats give static sizes (a dynamic dim stays dynamic).
// CHECK-LABEL: func.func @tile(
// CHECK:         kiln.tile %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<2xi64>) -> tensor<?x6xf32>
func.func @tile(%x: tensor<?x3xf32>) -> tensor<?x6xf32> {
  %r = kiln.constant dense<[2, 2]> : tensor<2xi64>
  %y = kiln.tile %x, %r : (tensor<?x3xf32>, tensor<2xi64>) -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// CHECK-LABEL: func.func @reverse_sequence(
// CHECK:         kiln.reverse_sequence %{{.*}}, %{{.*}} {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x3xf32>, tensor<3xi64>) -> tensor<4x3xf32>
func.func @reverse_sequence(%x: tensor<4x3xf32>, %l: tensor<3xi64>) -> tensor<4x3xf32> {
  %y = kiln.reverse_sequence %x, %l {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x3xf32>, tensor<3xi64>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
