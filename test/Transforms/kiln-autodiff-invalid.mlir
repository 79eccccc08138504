// RUN: kiln-opt %s -split-input-file -kiln-autodiff -verify-diagnostics -o %t

// The loss must be a float tensor of one element.
// expected-error @+1 {{kiln-autodiff: the loss returned by 'main' must be a floating-point tensor of one element, not 'tensor<3xf32>'}}
func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
  %y = kiln.exp %x : (tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// An integer loss has no gradient.
// expected-error @+1 {{kiln-autodiff: the loss returned by 'main' must be a floating-point tensor of one element, not 'tensor<i64>'}}
func.func @main(%x: tensor<3xf32>) -> tensor<i64> {
  %i = kiln.argmax %x {axis = 0 : i64, keepdims = false, select_last_index = false} : (tensor<3xf32>) -> tensor<i64>
  return %i : tensor<i64>
}

// -----

// The loss comes first.
// expected-error @+1 {{kiln-autodiff: 'main' must return the loss first (it returns nothing)}}
func.func @main(%x: tensor<f32>) {
  return
}

// -----

// An op without a gradient rule between an argument and the loss is named
// at its location.
func.func @main(%x: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+1 {{kiln-autodiff: 'kiln.bitcast' has no gradient rule, and it lies between a differentiated argument and the loss of 'main'}}
  %p = kiln.bitcast %x {to = f32} : (tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %p {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// No floating-point argument to differentiate.
// expected-error @+1 {{kiln-autodiff: 'main' has no floating-point argument to differentiate}}
func.func @main(%i: tensor<3xi64>) -> tensor<f32> {
  %f = kiln.cast %i {to = f32} : (tensor<3xi64>) -> tensor<3xf32>
  %l = kiln.reduce_sum %f {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A rule that cannot handle its op's configuration says why, at the op.
func.func @main(%x: tensor<?x4xf32>) -> tensor<f32> {
  // expected-error @+2 {{'kiln.reduce_mean' op gradient: cannot differentiate a mean over a dynamic dimension}}
  // expected-error @+1 {{kiln-autodiff: cannot build the gradient of 'kiln.reduce_mean'}}
  %m = kiln.reduce_mean %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x4xf32>) -> tensor<f32>
  return %m : tensor<f32>
}

// -----

// The function to differentiate must exist.
// expected-error @+1 {{kiln-autodiff: no function 'main' to differentiate}}
module {
  func.func @other(%x: tensor<f32>) -> tensor<f32> {
    return %x : tensor<f32>
  }
}
