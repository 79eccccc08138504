// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace -verify-diagnostics -o %t

// The refusals of the pooling and conv_transpose gradient rules: each says
// why at the op, and the pass names the op it could not differentiate.

// average_pool needs its spatial sizes to place each window.
func.func @main(%x: tensor<1x1x?xf32>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.average_pool' op gradient: cannot differentiate pooling over a dynamic spatial size}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.average_pool'}}
  %y = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1>, kernel_shape = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x1x?xf32>) -> tensor<1x1x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<1x1x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// global_average_pool divides by the spatial element count, which must be
// static.
func.func @main(%x: tensor<1x2x?x4xf32>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.global_average_pool' op gradient: cannot differentiate pooling over a dynamic spatial size}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.global_average_pool'}}
  %y = kiln.global_average_pool %x : (tensor<1x2x?x4xf32>) -> tensor<1x2x1x1xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x2x1x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// conv_transpose's weight gradient is cut to the kernel's size, which must
// be static.
func.func @main(%x: tensor<1x2x3xf32>, %w: tensor<2x1x?xf32>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.conv_transpose' op gradient: cannot differentiate a convolution with a dynamic kernel size}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.conv_transpose'}}
  %y = kiln.conv_transpose %x, %w {dilations = array<i64: 1>, group = 1 : i64, output_padding = array<i64: 0>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x2x3xf32>, tensor<2x1x?xf32>) -> tensor<1x1x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<1x1x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
