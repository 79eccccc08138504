// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace | FileCheck %s

// The gradient rules of kiln.resize and kiln.grid_sample.

// resize: along each resized axis, the identity resized with the op's own
// settings (scale or size of that axis only, zero extrapolation) is the
// weight matrix; the gradient is multiplied by its transpose with the axis
// moved last.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<1x1x3x4xf32>)
// CHECK: %[[G:.*]] = kiln.broadcast_to %{{.*}} {shape = array<i64: 1, 1, 6, 6>}
// CHECK: %[[S0:.*]] = kiln.constant dense<2.000000e+00> : tensor<1xf32>
// CHECK: %[[I0:.*]] = kiln.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<3x3xf32>
// CHECK: %[[W0:.*]] = kiln.resize %[[I0]] scales %[[S0]] {antialias = false, axes = array<i64: 1>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<3x3xf32>, tensor<1xf32>) -> tensor<3x6xf32>
// CHECK: %[[G0:.*]] = kiln.transpose %[[G]] {perm = array<i64: 0, 1, 3, 2>}
// CHECK: %[[W0T:.*]] = kiln.transpose %[[W0]] {perm = array<i64: 1, 0>} : (tensor<3x6xf32>) -> tensor<6x3xf32>
// CHECK: %[[M0:.*]] = kiln.matmul %[[G0]], %[[W0T]] : (tensor<1x1x6x6xf32>, tensor<6x3xf32>) -> tensor<1x1x6x3xf32>
// CHECK: %[[B0:.*]] = kiln.transpose %[[M0]] {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x6x3xf32>) -> tensor<1x1x3x6xf32>
// CHECK: %[[S1:.*]] = kiln.constant dense<1.500000e+00> : tensor<1xf32>
// CHECK: %[[W1:.*]] = kiln.resize %{{.*}} scales %[[S1]] {{.*}} : (tensor<4x4xf32>, tensor<1xf32>) -> tensor<4x6xf32>
// CHECK: %[[W1T:.*]] = kiln.transpose %[[W1]] {perm = array<i64: 1, 0>}
// CHECK: %[[GX:.*]] = kiln.matmul %[[B0]], %[[W1T]] : (tensor<1x1x3x6xf32>, tensor<6x4xf32>) -> tensor<1x1x3x4xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<1x1x3x4xf32>) -> tensor<f32> {
  %s = kiln.constant dense<[2.0, 1.5]> : tensor<2xf32>
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x3x4xf32>, tensor<2xf32>) -> tensor<1x1x6x6xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x6x6xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// resize with run-time sizes and tf_crop_and_resize: each axis takes its
// entries of the operands by slices (roi: its start, then its end), and
// the extrapolated points read nothing.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<1x1x3x4xf32>, %[[R:.*]]: tensor<4xf32>, %[[S:.*]]: tensor<2xi64>)
// CHECK-DAG: %[[R0:.*]] = kiln.slice %[[R]] {axes = array<i64: 0>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>}
// CHECK-DAG: %[[R2:.*]] = kiln.slice %[[R]] {axes = array<i64: 0>, ends = array<i64: 3>, starts = array<i64: 2>, steps = array<i64: 1>}
// CHECK: %[[RR:.*]] = kiln.concat %[[R0]], %[[R2]] {axis = 0 : i64}
// CHECK-NEXT: %[[SZ:.*]] = kiln.slice %[[S]] {axes = array<i64: 0>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>}
// CHECK: kiln.resize %{{.*}} roi %[[RR]] sizes %[[SZ]] {{{.*}}coordinate_transformation_mode = #kiln<coordinate_transform tf_crop_and_resize>{{.*}}extrapolation_value = 0.000000e+00 : f32{{.*}}} : (tensor<3x3xf32>, tensor<2xf32>, tensor<1xi64>) -> tensor<3x?xf32>
// CHECK: %[[GX:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 1, 1, 3, 4>}
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<1x1x3x4xf32>, %roi: tensor<4xf32>, %s: tensor<2xi64>) -> tensor<f32> {
  %y = kiln.resize %x roi %roi sizes %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform tf_crop_and_resize>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 5.000000e-01 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation cubic>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x3x4xf32>, tensor<4xf32>, tensor<2xi64>) -> tensor<1x1x?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// grid_sample, nearest, zeros padding: one rounded tap per point, read as
// (n, y, x) of the input with channels last; the gradient is scatter-added
// there, masked outside the input, and the grid gets none.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<1x2x3x4xf32>, %[[GR:.*]]: tensor<1x2x2x2xf32>)
// CHECK: %[[G:.*]] = kiln.broadcast_to %{{.*}} {shape = array<i64: 1, 2, 2, 2>}
// CHECK: %[[GY:.*]] = kiln.slice %[[GR]] {axes = array<i64: 3>, ends = array<i64: 2>, starts = array<i64: 1>, steps = array<i64: 1>}
// CHECK: kiln.round
// CHECK: %[[GXC:.*]] = kiln.slice %[[GR]] {axes = array<i64: 3>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>}
// CHECK: kiln.round
// CHECK: %[[GT:.*]] = kiln.transpose %[[G]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[IDX:.*]] = kiln.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 3 : i64} : (tensor<1x2x2x1xi64>, tensor<1x2x2x1xi64>, tensor<1x2x2x1xi64>) -> tensor<1x2x2x3xi64>
// CHECK: %[[MASK:.*]] = kiln.cast %{{.*}} {to = f32} : (tensor<1x2x2x1xi1>) -> tensor<1x2x2x1xf32>
// CHECK: %[[W:.*]] = kiln.mul %[[GT]], %[[MASK]]
// CHECK: %[[SC:.*]] = kiln.scatter_nd %{{.*}}, %[[IDX]], %[[W]] {reduction = #kiln<scatter_reduction add>} : (tensor<1x3x4x2xf32>, tensor<1x2x2x3xi64>, tensor<1x2x2x2xf32>) -> tensor<1x3x4x2xf32>
// CHECK: %[[GIN:.*]] = kiln.transpose %[[SC]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: %[[GG:.*]] = kiln.constant dense<0.000000e+00> : tensor<1x2x2x2xf32>
// CHECK: return %{{.*}}, %[[GIN]], %[[GG]]
func.func @main(%x: tensor<1x2x3x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<f32> {
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation nearest>, padding_mode = #kiln<grid_sample_padding zeros>} : (tensor<1x2x3x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x2x2x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// grid_sample, linear, border padding: four taps, each scatter-added with
// its weight and gathered for the grid's gradient; a clamped coordinate
// does not move with the grid.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<1x1x3x4xf32>, %[[GR:.*]]: tensor<1x2x2x2xf32>)
// CHECK-COUNT-2: kiln.or
// CHECK-COUNT-4: kiln.scatter_nd
// CHECK-NOT: kiln.scatter_nd
// CHECK: %[[GIN:.*]] = kiln.transpose %{{.*}} {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x4x1xf32>) -> tensor<1x1x3x4xf32>
// CHECK: %[[GGX:.*]] = kiln.mul %{{.*}}, %{{.*}} : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
// CHECK: %[[GGY:.*]] = kiln.mul %{{.*}}, %{{.*}} : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
// CHECK: %[[GG:.*]] = kiln.concat %[[GGX]], %[[GGY]] {axis = 3 : i64} : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32>
// CHECK: return %{{.*}}, %[[GIN]], %[[GG]]
func.func @main(%x: tensor<1x1x3x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<f32> {
  %y = kiln.grid_sample %x, %g {align_corners = true, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding border>} : (tensor<1x1x3x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x2x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
