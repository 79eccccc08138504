// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace | FileCheck %s

// The gradient rules of the reductions (GradientShape.cpp), one case per
// rule. Most losses are sum(reduce(x) * v), so that the seed reaching the
// rule is g = 1 * v, never a constant: %[[G]] is that product. Without
// keepdims, g (and the result, where the rule reads it) first gets its
// reduced dims back as size 1, so that it broadcasts against x.

// reduce_max: the gradient of each row goes to the elements equal to its
// maximum, divided by the tie count (the mask's sum over the same axes).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_max %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GK:.*]] = kiln.reshape %[[G]] {shape = array<i64: 3, 1>} : (tensor<3xf32>) -> tensor<3x1xf32>
// CHECK: %[[YK:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 3, 1>} : (tensor<3xf32>) -> tensor<3x1xf32>
// CHECK: %[[EQ:.*]] = kiln.equal %[[X]], %[[YK]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xi1>
// CHECK: %[[MASK:.*]] = kiln.cast %[[EQ]] {to = f32} : (tensor<3x4xi1>) -> tensor<3x4xf32>
// CHECK: %[[TIES:.*]] = kiln.reduce_sum %[[MASK]] {axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
// CHECK: %[[SHARE:.*]] = kiln.div %[[GK]], %[[TIES]]
// CHECK: %[[GX:.*]] = kiln.mul %[[MASK]], %[[SHARE]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.reduce_max %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %m = kiln.mul %y, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_max with keepdims over two axes: no reshape, and the tie count is
// summed over both axes.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xf32>, %[[V:.*]]: tensor<1x3x1xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_max %[[X]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK-NOT: kiln.reshape
// CHECK: %[[EQ:.*]] = kiln.equal %[[X]], %[[Y]] : (tensor<2x3x4xf32>, tensor<1x3x1xf32>) -> tensor<2x3x4xi1>
// CHECK: %[[MASK:.*]] = kiln.cast %[[EQ]] {to = f32}
// CHECK: %[[TIES:.*]] = kiln.reduce_sum %[[MASK]] {axes = array<i64: 0, 2>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
// CHECK: %[[SHARE:.*]] = kiln.div %[[G]], %[[TIES]]
// CHECK: %[[GX:.*]] = kiln.mul %[[MASK]], %[[SHARE]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<2x3x4xf32>, %v: tensor<1x3x1xf32>) -> tensor<f32> {
  %y = kiln.reduce_max %x {axes = array<i64: 0, 2>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  %m = kiln.mul %y, %v : (tensor<1x3x1xf32>, tensor<1x3x1xf32>) -> tensor<1x3x1xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<1x3x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_min: the same mask of the elements equal to the minimum, ties
// sharing equally.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_min %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GK:.*]] = kiln.reshape %[[G]] {shape = array<i64: 3, 1>}
// CHECK: %[[YK:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 3, 1>}
// CHECK: %[[EQ:.*]] = kiln.equal %[[X]], %[[YK]]
// CHECK: %[[MASK:.*]] = kiln.cast %[[EQ]] {to = f32}
// CHECK: %[[TIES:.*]] = kiln.reduce_sum %[[MASK]] {axes = array<i64: 1>, keepdims = true}
// CHECK: %[[SHARE:.*]] = kiln.div %[[GK]], %[[TIES]]
// CHECK: %[[GX:.*]] = kiln.mul %[[MASK]], %[[SHARE]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.reduce_min %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %m = kiln.mul %y, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_prod: g * y / x (undefined where x is 0).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_prod %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GK:.*]] = kiln.reshape %[[G]] {shape = array<i64: 3, 1>}
// CHECK: %[[YK:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 3, 1>}
// CHECK: %[[GY:.*]] = kiln.mul %[[GK]], %[[YK]]
// CHECK: %[[GX:.*]] = kiln.div %[[GY]], %[[X]] : (tensor<3x1xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.reduce_prod %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %m = kiln.mul %y, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_sum_square: 2 x g; the result is not read.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_sum_square %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GK:.*]] = kiln.reshape %[[G]] {shape = array<i64: 3, 1>}
// CHECK-NOT: kiln.reshape %[[Y]]
// CHECK: %[[TWO:.*]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[X2:.*]] = kiln.mul %[[X]], %[[TWO]]
// CHECK: %[[GX:.*]] = kiln.mul %[[X2]], %[[GK]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.reduce_sum_square %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %m = kiln.mul %y, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_l1: sign(x) g.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_l1 %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GK:.*]] = kiln.reshape %[[G]] {shape = array<i64: 3, 1>}
// CHECK: %[[S:.*]] = kiln.sign %[[X]]
// CHECK: %[[GX:.*]] = kiln.mul %[[S]], %[[GK]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.reduce_l1 %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %m = kiln.mul %y, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_l2: x g / y.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_l2 %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GK:.*]] = kiln.reshape %[[G]] {shape = array<i64: 3, 1>}
// CHECK: %[[YK:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 3, 1>}
// CHECK: %[[Q:.*]] = kiln.div %[[GK]], %[[YK]]
// CHECK: %[[GX:.*]] = kiln.mul %[[X]], %[[Q]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.reduce_l2 %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %m = kiln.mul %y, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_l2 over every dim of a dynamic input: the gradient keeps the
// input's dynamic dim (x broadcasts the kept 1x1 quotient).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<?x4xf32> {kiln.name = "input0_grad"})
// CHECK: %[[Y:.*]] = kiln.reduce_l2 %[[X]]
// CHECK: %[[SEED:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[GK:.*]] = kiln.reshape %[[SEED]] {shape = array<i64: 1, 1>}
// CHECK: %[[YK:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 1, 1>}
// CHECK: %[[Q:.*]] = kiln.div %[[GK]], %[[YK]]
// CHECK: %[[GX:.*]] = kiln.mul %[[X]], %[[Q]] : (tensor<?x4xf32>, tensor<1x1xf32>) -> tensor<?x4xf32>
// CHECK: return %[[Y]], %[[GX]]
func.func @main(%x: tensor<?x4xf32>) -> tensor<f32> {
  %y = kiln.reduce_l2 %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x4xf32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// reduce_log_sum_exp: e^(x - y) g, the softmax of each row times its g.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[Y:.*]] = kiln.reduce_log_sum_exp %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GK:.*]] = kiln.reshape %[[G]] {shape = array<i64: 3, 1>}
// CHECK: %[[YK:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 3, 1>}
// CHECK: %[[D:.*]] = kiln.sub %[[X]], %[[YK]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: %[[E:.*]] = kiln.exp %[[D]]
// CHECK: %[[GX:.*]] = kiln.mul %[[E]], %[[GK]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<3x4xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.reduce_log_sum_exp %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %m = kiln.mul %y, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
