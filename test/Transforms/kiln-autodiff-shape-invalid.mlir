// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace -verify-diagnostics -o %t

// The refusals of the tile gradient rule: each says why at the op, and the
// pass names the op it could not differentiate.

// The repeats must be a constant, to split the result into its copies.
func.func @main(%x: tensor<2x3xf32>, %r: tensor<2xi64>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.tile' op gradient: cannot differentiate a tile with run-time repeats}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.tile'}}
  %y = kiln.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The input's shape must be static too.
func.func @main(%x: tensor<?x3xf32>) -> tensor<f32> {
  %r = kiln.constant dense<[2, 1]> : tensor<2xi64>
  // expected-error @+2 {{'kiln.tile' op gradient: cannot differentiate a tile of a dynamic shape}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.tile'}}
  %y = kiln.tile %x, %r : (tensor<?x3xf32>, tensor<2xi64>) -> tensor<?x3xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
