// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace | FileCheck %s

// The gradient rules of the data-movement ops (GradientShape.cpp) that
// kiln-autodiff.mlir and kiln-autodiff-indexing.mlir leave out. Most losses
// are sum(op(x) * v), so that the seed reaching the rule is g = 1 * v,
// never a constant: %[[G]] is that product.

// trilu is a mask, its own adjoint: the same trilu (same k, same side) of g.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4x5xf32>, %[[V:.*]]: tensor<4x5xf32>)
// CHECK: %[[K:.*]] = kiln.constant dense<1> : tensor<i64>
// CHECK: %[[Y:.*]] = kiln.trilu %[[X]], %[[K]] {upper = false}
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GX:.*]] = kiln.trilu %[[G]], %[[K]] {upper = false} : (tensor<4x5xf32>, tensor<i64>) -> tensor<4x5xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4x5xf32>, %v: tensor<4x5xf32>) -> tensor<f32> {
  %k = kiln.constant dense<1> : tensor<i64>
  %y = kiln.trilu %x, %k {upper = false} : (tensor<4x5xf32>, tensor<i64>) -> tensor<4x5xf32>
  %m = kiln.mul %y, %v : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// trilu without k, upper: the copy has no k either.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x3xf32>)
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[GX:.*]] = kiln.trilu %[[G]] {upper = true} : (tensor<3x3xf32>) -> tensor<3x3xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<3x3xf32>) -> tensor<f32> {
  %y = kiln.trilu %x {upper = true} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// top_k: each value's gradient goes back to where it was taken from, a
// scatter-add of g into zeros at the indices along the axis. The indices
// carry no gradient.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3x2xf32>)
// CHECK: %[[VALUES:.*]], %[[INDICES:.*]] = kiln.top_k %[[X]]
// CHECK: kiln.mul %[[VALUES]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[Z:.*]] = kiln.constant dense<0.000000e+00> : tensor<3x4xf32>
// CHECK: %[[GX:.*]] = kiln.scatter_elements %[[Z]], %[[INDICES]], %[[G]] {axis = 1 : i64, reduction = #kiln<scatter_reduction add>} : (tensor<3x4xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3x2xf32>) -> tensor<f32> {
  %k = kiln.constant dense<2> : tensor<1xi64>
  %y, %i = kiln.top_k %x, %k {axis = 1 : i64, largest = true, sorted = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  %m = kiln.mul %y, %v : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// tile by (2, 3): (2*2, 3*3) is seen as (repeat 2, 2, repeat 3, 3) and the
// repeats are summed away.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xf32>, %[[V:.*]]: tensor<4x9xf32>)
// CHECK: %[[Y:.*]] = kiln.tile %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[SPLIT:.*]] = kiln.reshape %[[G]] {shape = array<i64: 2, 2, 3, 3>} : (tensor<4x9xf32>) -> tensor<2x2x3x3xf32>
// CHECK: %[[GX:.*]] = kiln.reduce_sum %[[SPLIT]] {axes = array<i64: 0, 2>, keepdims = false} : (tensor<2x2x3x3xf32>) -> tensor<2x3xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<2x3xf32>, %v: tensor<4x9xf32>) -> tensor<f32> {
  %r = kiln.constant dense<[2, 3]> : tensor<2xi64>
  %y = kiln.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x9xf32>
  %m = kiln.mul %y, %v : (tensor<4x9xf32>, tensor<4x9xf32>) -> tensor<4x9xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x9xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reverse_sequence is its own adjoint: the same reversal (same lengths,
// same axes) of g.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4x3xf32>, %[[V:.*]]: tensor<4x3xf32>)
// CHECK: %[[LENS:.*]] = kiln.constant dense<[4, 2, 1]> : tensor<3xi64>
// CHECK: %[[Y:.*]] = kiln.reverse_sequence %[[X]], %[[LENS]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GX:.*]] = kiln.reverse_sequence %[[G]], %[[LENS]] {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x3xf32>, tensor<3xi64>) -> tensor<4x3xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4x3xf32>, %v: tensor<4x3xf32>) -> tensor<f32> {
  %s = kiln.constant dense<[4, 2, 1]> : tensor<3xi64>
  %y = kiln.reverse_sequence %x, %s {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x3xf32>, tensor<3xi64>) -> tensor<4x3xf32>
  %m = kiln.mul %y, %v : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// split: the pieces' gradients concatenated again along the axis, in
// order; the piece the loss does not read gets zeros of its shape.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x7xf32>, %[[V:.*]]: tensor<2x4xf32>)
// CHECK: %[[P:.*]]:3 = kiln.split %[[X]]
// CHECK: kiln.mul %[[P]]#1, %[[V]]
// CHECK: %[[G0:.*]] = kiln.broadcast_to %{{.*}} {shape = array<i64: 2, 2>}
// CHECK: %[[ONES1:.*]] = kiln.broadcast_to %{{.*}} {shape = array<i64: 2, 4>}
// CHECK: %[[G1:.*]] = kiln.mul %[[ONES1]], %[[V]]
// CHECK: %[[Z:.*]] = kiln.constant dense<0.000000e+00> : tensor<2x1xf32>
// CHECK: %[[GX:.*]] = kiln.concat %[[G0]], %[[G1]], %[[Z]] {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x7xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<2x7xf32>, %v: tensor<2x4xf32>) -> tensor<f32> {
  %a, %b, %c = kiln.split %x {axis = 1 : i64, sizes = array<i64: 2, 4, 1>} : (tensor<2x7xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>, tensor<2x1xf32>)
  %m = kiln.mul %b, %v : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %s1 = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x4xf32>) -> tensor<f32>
  %s2 = kiln.reduce_sum %a {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x2xf32>) -> tensor<f32>
  %l = kiln.add %s1, %s2 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_reshape of a static input: the gradient (of the run-time shape)
// is reshaped back to the input's static shape. The shape operand carries
// no gradient.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>, %[[S:.*]]: tensor<3xi64>)
// CHECK-SAME: -> (tensor<f32>, tensor<2x6xf32> {kiln.name = "input0_grad"})
// CHECK: %[[Y:.*]] = kiln.dynamic_reshape %[[X]], %[[S]]
// CHECK: %[[YS:.*]] = kiln.shape %[[Y]]
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to %{{.*}}, %[[YS]]
// CHECK: %[[GX:.*]] = kiln.reshape %[[G]] {shape = array<i64: 2, 6>} : (tensor<?x?x?xf32>) -> tensor<2x6xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<2x6xf32>, %s: tensor<3xi64>) -> tensor<f32> {
  %y = kiln.dynamic_reshape %x, %s {allowzero = false} : (tensor<2x6xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<?x?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_reshape of an input with two dynamic dims: a static reshape
// cannot express it, so the gradient is reshaped back to the input's shape
// read at run time.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<?x?xf32>, %[[S:.*]]: tensor<1xi64>)
// CHECK: %[[Y:.*]] = kiln.dynamic_reshape %[[X]], %[[S]]
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to
// CHECK: %[[XS:.*]] = kiln.shape %[[X]] {end = 2 : i64, start = 0 : i64}
// CHECK: %[[GX:.*]] = kiln.dynamic_reshape %[[G]], %[[XS]] {allowzero = false} : (tensor<?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<?x?xf32>, %s: tensor<1xi64>) -> tensor<f32> {
  %y = kiln.dynamic_reshape %x, %s {allowzero = false} : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0>, keepdims = false} : (tensor<?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_squeeze: the gradient is reshaped back to the input's shape, its
// one dynamic dim inferred (-1).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<?x1x4xf32>, %[[A:.*]]: tensor<1xi64>)
// CHECK-SAME: -> (tensor<f32>, tensor<?x1x4xf32> {kiln.name = "input0_grad"})
// CHECK: %[[Y:.*]] = kiln.dynamic_squeeze %[[X]], %[[A]]
// CHECK: %[[YS:.*]] = kiln.shape %[[Y]]
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to %{{.*}}, %[[YS]]
// CHECK: %[[GX:.*]] = kiln.reshape %[[G]] {shape = array<i64: -1, 1, 4>} : (tensor<?x?xf32>) -> tensor<?x1x4xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<?x1x4xf32>, %a: tensor<1xi64>) -> tensor<f32> {
  %y = kiln.dynamic_squeeze %x, %a : (tensor<?x1x4xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
