// RUN: kiln-opt %s -split-input-file -kiln-autodiff -verify-diagnostics

// The resampling modes without a gradient rule are named at the op.

// Cubic grid sampling.
func.func @main(%x: tensor<1x1x3x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.grid_sample' op gradient: cannot differentiate a grid_sample in cubic mode (only linear and nearest)}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.grid_sample'}}
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation cubic>, padding_mode = #kiln<grid_sample_padding zeros>} : (tensor<1x1x3x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x2x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Reflection padding.
func.func @main(%x: tensor<1x1x3x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.grid_sample' op gradient: cannot differentiate a grid_sample with reflection padding (only zeros and border)}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.grid_sample'}}
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding reflection>} : (tensor<1x1x3x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x2x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Dynamic shapes: the taps' batch indices and bounds need static sizes.
func.func @main(%x: tensor<?x1x3x4xf32>, %g: tensor<?x2x2x2xf32>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.grid_sample' op gradient: cannot differentiate a grid_sample of dynamic shapes}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.grid_sample'}}
  %y = kiln.grid_sample %x, %g {align_corners = false, mode = #kiln<interpolation linear>, padding_mode = #kiln<grid_sample_padding zeros>} : (tensor<?x1x3x4xf32>, tensor<?x2x2x2xf32>) -> tensor<?x1x2x2xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<?x1x2x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A resize whose sizes keep the aspect ratio.
func.func @main(%x: tensor<1x1x3x4xf32>) -> tensor<f32> {
  %s = kiln.constant dense<[6, 6]> : tensor<2xi64>
  // expected-error @+2 {{'kiln.resize' op gradient: cannot differentiate a resize with keep_aspect_ratio_policy not_larger (only stretch)}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.resize'}}
  %y = kiln.resize %x sizes %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy not_larger>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x3x4xf32>, tensor<2xi64>) -> tensor<1x1x?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A resize along a dynamic dimension.
func.func @main(%x: tensor<1x1x?x4xf32>) -> tensor<f32> {
  %s = kiln.constant dense<[2.0, 2.0]> : tensor<2xf32>
  // expected-error @+2 {{'kiln.resize' op gradient: cannot differentiate a resize of dynamic dimension 2}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.resize'}}
  %y = kiln.resize %x scales %s {antialias = false, axes = array<i64: 2, 3>, coordinate_transformation_mode = #kiln<coordinate_transform half_pixel>, cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, keep_aspect_ratio_policy = #kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation linear>, nearest_mode = #kiln<nearest_mode round_prefer_floor>} : (tensor<1x1x?x4xf32>, tensor<2xf32>) -> tensor<1x1x?x8xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x?x8xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
