// RUN: not kiln-opt %s --convert-kiln-to-linalg --split-input-file 2>%t.err | FileCheck %s
// RUN: FileCheck --check-prefix=ERR %s < %t.err

// GatherElements reads the index, wraps a negative one, clamps it, and
// reads the data along the axis.
// CHECK-LABEL: func.func @gather_elements
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<3x2xf32>)
// CHECK: %[[I:.*]] = tensor.extract %arg1
// CHECK: arith.cmpi slt
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0
func.func @gather_elements(%d: tensor<3x3xf32>, %i: tensor<3x2xi64>) -> tensor<3x2xf32> {
  %0 = kiln.gather_elements %d, %i {axis = 1 : i64} : (tensor<3x3xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// GatherND reads each component of the index tuple.
// CHECK-LABEL: func.func @gather_nd
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x1x2xf32>)
// CHECK-COUNT-2: tensor.extract %arg1
// CHECK: tensor.extract %arg0
func.func @gather_nd(%d: tensor<2x2x2xf32>, %i: tensor<2x1x2xi64>) -> tensor<2x1x2xf32> {
  %0 = kiln.gather_nd %d, %i {batch_dims = 0 : i64} : (tensor<2x2x2xf32>, tensor<2x1x2xi64>) -> tensor<2x1x2xf32>
  return %0 : tensor<2x1x2xf32>
}

// -----

// ScatterElements applies the updates in order in a loop nest carrying the
// data, combining with the reduction.
// CHECK-LABEL: func.func @scatter_elements
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %arg0) -> (tensor<1x5xf32>)
// CHECK: scf.for
// CHECK: %[[OLD:.*]] = tensor.extract
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]]
// CHECK: tensor.insert %[[NEW]]
func.func @scatter_elements(%d: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  %0 = kiln.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = #kiln<scatter_reduction add>} : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

// ScatterND without a reduction replaces.
// CHECK-LABEL: func.func @scatter_nd
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %arg0) -> (tensor<4x4xf32>)
// CHECK: %[[U:.*]] = tensor.extract %arg2
// CHECK: tensor.insert %[[U]]
func.func @scatter_nd(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  %0 = kiln.scatter_nd %d, %i, %u {reduction = #kiln<scatter_reduction none>} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// Trilu compares col - row with k.
// CHECK-LABEL: func.func @trilu
// CHECK: %[[K:.*]] = tensor.extract %arg1[] : tensor<i64>
// CHECK: linalg.generic
// CHECK: %[[D:.*]] = arith.subi
// CHECK: arith.cmpi sge, %[[D]], %[[K]]
// CHECK: arith.select
func.func @trilu(%x: tensor<4x5xf32>, %k: tensor<i64>) -> tensor<4x5xf32> {
  %0 = kiln.trilu %x, %k {upper = true} : (tensor<4x5xf32>, tensor<i64>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

// CumSum with a run-time axis scans the flattened input; exclusive writes
// the running value before adding.
// CHECK-LABEL: func.func @cumsum
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1]] : tensor<2x3xf64> into tensor<6xf64>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args(%[[T:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<6xf64>, f64)
// CHECK: arith.addf %[[ACC]]
// CHECK: tensor.insert %[[ACC]] into %[[T]]
// CHECK: tensor.expand_shape
func.func @cumsum(%x: tensor<2x3xf64>, %axis: tensor<i32>) -> tensor<2x3xf64> {
  %0 = kiln.cumsum %x, %axis {exclusive = true, reverse = true} : (tensor<2x3xf64>, tensor<i32>) -> tensor<2x3xf64>
  return %0 : tensor<2x3xf64>
}

// -----

// TopK ranks each element in its slice and writes those ranked under k.
// CHECK-LABEL: func.func @top_k
// CHECK: tensor.empty(%{{.*}}) : tensor<3x?xf32>
// CHECK: tensor.empty(%{{.*}}) : tensor<3x?xi64>
// CHECK: arith.cmpf ogt
// CHECK: scf.if
// CHECK: tensor.insert
func.func @top_k(%x: tensor<3x4xf32>, %k: tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>) {
  %v, %i = kiln.top_k %x, %k {axis = 1 : i64, largest = true, sorted = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
  return %v, %i : tensor<3x?xf32>, tensor<3x?xi64>
}

// -----

// OneHot truncates the depth and compares the new axis's index.
// CHECK-LABEL: func.func @one_hot
// CHECK: arith.fptosi
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<3x?xf32>)
// CHECK: arith.cmpi eq
// CHECK: arith.select
func.func @one_hot(%i: tensor<3xi64>, %depth: tensor<f32>, %values: tensor<2xf32>) -> tensor<3x?xf32> {
  %0 = kiln.one_hot %i, %depth, %values {axis = 1 : i64} : (tensor<3xi64>, tensor<f32>, tensor<2xf32>) -> tensor<3x?xf32>
  return %0 : tensor<3x?xf32>
}

// -----

// Tile reads the input at each index modulo its size.
// CHECK-LABEL: func.func @tile
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
// CHECK: linalg.generic
// CHECK: arith.remui
// CHECK: arith.remui
func.func @tile(%x: tensor<2x3xf32>, %r: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = kiln.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// ReverseSequence mirrors the time index within each batch's length.
// CHECK-LABEL: func.func @reverse_sequence
// CHECK: linalg.generic
// CHECK: tensor.extract %arg1
// CHECK: arith.cmpi slt
// CHECK: arith.select
// CHECK: tensor.extract %arg0
func.func @reverse_sequence(%x: tensor<4x4xf32>, %lens: tensor<4xi64>) -> tensor<4x4xf32> {
  %0 = kiln.reverse_sequence %x, %lens {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// Compress counts the kept slices, then copies them.
// CHECK-LABEL: func.func @compress
// CHECK: %[[N:.*]] = scf.for
// CHECK: tensor.empty(%[[N]]) : tensor<?x2xf32>
// CHECK: scf.if
// CHECK: tensor.insert_slice
func.func @compress(%x: tensor<3x2xf32>, %c: tensor<3xi1>) -> tensor<?x2xf32> {
  %0 = kiln.compress %x, %c {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// NonZero counts, then writes each non-zero element's indices.
// CHECK-LABEL: func.func @nonzero
// CHECK: %[[N:.*]] = scf.for
// CHECK: tensor.empty(%[[N]]) : tensor<2x?xi64>
// CHECK: scf.if
// CHECK-COUNT-2: tensor.insert
func.func @nonzero(%x: tensor<2x2xi1>) -> tensor<2x?xi64> {
  %0 = kiln.nonzero %x : (tensor<2x2xi1>) -> tensor<2x?xi64>
  return %0 : tensor<2x?xi64>
}

// -----

// Unique without an axis sees the input as (N, 1) slices.
// CHECK-LABEL: func.func @unique
// CHECK: tensor.expand_shape %arg0 {{\[\[}}0, 1]] output_shape [6, 1]
// CHECK: linalg.fill
// CHECK: tensor.insert_slice
// CHECK: tensor.collapse_shape
func.func @unique(%x: tensor<6xf32>) -> (tensor<?xf32>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>) {
  %y, %i, %inv, %c = kiln.unique %x {sorted = true} : (tensor<6xf32>) -> (tensor<?xf32>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>)
  return %y, %i, %inv, %c : tensor<?xf32>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>
}

// -----

// Nearest resize with run-time scales: the output dims are computed, and
// each output element reads one clamped input element.
// CHECK-LABEL: func.func @resize_nearest
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<1x1x?x?xf32>
// CHECK: linalg.generic
// CHECK: math.floor
// CHECK: arith.minsi
// CHECK: %[[V:.*]] = tensor.extract %arg0
// CHECK: linalg.yield %[[V]]
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>, %s: tensor<2xf32>) -> tensor<1x1x?x?xf32> {
  %0 = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform asymmetric>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation nearest>, nearest_mode = #kiln<nearest_mode floor>} : (tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x1x?x?xf32>
  return %0 : tensor<1x1x?x?xf32>
}

// -----

// Antialiased linear resize: windows of taps as nested scf.for loops in
// f64, normalised by the weights' sums.
// CHECK-LABEL: func.func @resize_linear
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x2x2xf32>)
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: math.absf
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: tensor.extract %arg0
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: arith.truncf %[[R]]
func.func @resize_linear(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %s = kiln.constant dense<[5.000000e-01, 5.000000e-01]> : tensor<2xf32>
  %0 = kiln.resize %x scales %s {antialias = true, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x4x4xf32>, tensor<2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// GridSample with reflection padding reflects the coordinates, then
// interpolates over 2x2 taps.
// CHECK-LABEL: func.func @grid_sample
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x3x4x4xf32>)
// CHECK: tensor.extract %arg1
// CHECK: math.floor
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: scf.for {{.*}} -> (f64)
// CHECK: tensor.extract %arg0
func.func @grid_sample(%x: tensor<1x3x8x8xf32>, %g: tensor<1x4x4x2xf32>) -> tensor<1x3x4x4xf32> {
  %0 = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding reflection>} : (tensor<1x3x8x8xf32>, tensor<1x4x4x2xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Resizing integers is refused: the rounding of the result is not
// lowered.
// ERR: failed to legalize operation 'kiln.resize'
func.func @resize_integer(%x: tensor<1x1x2x2xi32>, %s: tensor<2xf32>) -> tensor<1x1x?x?xi32> {
  %0 = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform asymmetric>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode floor>} : (tensor<1x1x2x2xi32>, tensor<2xf32>) -> tensor<1x1x?x?xi32>
  return %0 : tensor<1x1x?x?xi32>
}

// -----

// A scatter reduction on booleans is refused.
// ERR: failed to legalize operation 'kiln.scatter_elements'
func.func @scatter_bool_add(%d: tensor<5xi1>, %i: tensor<2xi64>, %u: tensor<2xi1>) -> tensor<5xi1> {
  %0 = kiln.scatter_elements %d, %i, %u {axis = 0 : i64, reduction = #kiln<scatter_reduction add>} : (tensor<5xi1>, tensor<2xi64>, tensor<2xi1>) -> tensor<5xi1>
  return %0 : tensor<5xi1>
}
