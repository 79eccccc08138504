// RUN: kiln-opt %s -split-input-file -kiln-autodiff="function=loss wrt=w,2" | FileCheck %s --check-prefix=WRT
// RUN: kiln-opt %s -split-input-file -kiln-autodiff="function=loss wrt=1 replace" | FileCheck %s --check-prefix=REPLACE
// RUN: kiln-opt %s -split-input-file -kiln-autodiff="function=loss wrt=nope" -verify-diagnostics -o %t
// RUN: not kiln-opt %s -kiln-autodiff="function=loss wrt=0" 2>&1 | FileCheck %s --check-prefix=INT
// RUN: not kiln-opt %s -kiln-autodiff="function=loss wrt=7" 2>&1 | FileCheck %s --check-prefix=RANGE

// wrt picks arguments by kiln.name or index, in the order given; the
// integer labels are not differentiated.
// WRT-LABEL: func.func @loss(
// WRT-LABEL: func.func @loss_grad(
// WRT-SAME: -> (tensor<f32> {kiln.name = "loss"}, tensor<4x3xf32> {kiln.name = "w_grad"}, tensor<3xf32> {kiln.name = "b_grad"})

// With replace, the gradient function takes the original's name.
// REPLACE-NOT: func.func @loss_grad
// REPLACE-LABEL: func.func @loss(
// REPLACE-SAME: -> (tensor<f32> {kiln.name = "loss"}, tensor<4x3xf32> {kiln.name = "w_grad"})
// REPLACE-NOT: func.func

// INT: error: kiln-autodiff: argument #0 ('labels') of 'loss' is not a floating-point tensor ('tensor<2xi64>')
// RANGE: error: kiln-autodiff: 'loss' has no argument #7 (it has 4)

// expected-error @+1 {{kiln-autodiff: 'loss' has no argument named 'nope'}}
func.func @loss(%labels: tensor<2xi64> {kiln.name = "labels"}, %w: tensor<4x3xf32> {kiln.name = "w"}, %b: tensor<3xf32> {kiln.name = "b"}, %x: tensor<2x4xf32> {kiln.name = "x"}) -> (tensor<f32> {kiln.name = "loss"}) {
  %h = kiln.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %z = kiln.add %h, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %p = kiln.log_softmax %z {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %i = kiln.reshape %labels {shape = array<i64: 2, 1>} : (tensor<2xi64>) -> tensor<2x1xi64>
  %t = kiln.gather_elements %p, %i {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> tensor<2x1xf32>
  %m = kiln.reduce_mean %t {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x1xf32>) -> tensor<f32>
  %l = kiln.neg %m : (tensor<f32>) -> tensor<f32>
  return %l : tensor<f32>
}
