// RUN: kiln-opt %s -split-input-file -kiln-autodiff | FileCheck %s

// The gradient function is added beside the original: same arguments, the
// loss then one gradient per float argument, named after the argument. A
// broadcast operand's gradient is summed over the broadcast dims.
// CHECK-LABEL: func.func @main(
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[A:.*]]: tensor<3x4xf32> {kiln.name = "a"}, %[[B:.*]]: tensor<4xf32> {kiln.name = "b"})
// CHECK-SAME: -> (tensor<f32> {kiln.name = "loss"}, tensor<3x4xf32> {kiln.name = "a_grad"}, tensor<4xf32> {kiln.name = "b_grad"})
// CHECK: %[[S:.*]] = kiln.add %[[A]], %[[B]]
// CHECK: %[[L:.*]] = kiln.reduce_sum %[[S]]
// CHECK: %[[SEED:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[K:.*]] = kiln.reshape %[[SEED]] {shape = array<i64: 1, 1>}
// CHECK: %[[G:.*]] = kiln.broadcast_to %[[K]] {shape = array<i64: 3, 4>}
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0>, keepdims = false} : (tensor<3x4xf32>) -> tensor<4xf32>
// CHECK: return %[[L]], %[[G]], %[[GB]]
func.func @main(%a: tensor<3x4xf32> {kiln.name = "a"}, %b: tensor<4xf32> {kiln.name = "b"}) -> (tensor<f32> {kiln.name = "loss"}) {
  %s = kiln.add %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %s {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// mul and div: each operand's gradient uses the other; a size-1 dim of an
// operand is summed with keepdims, and a value used twice gets the sum.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<3x1xf32>)
// CHECK: %[[M:.*]] = kiln.mul %[[A]], %[[B]]
// CHECK: %[[D:.*]] = kiln.div %[[M]], %[[B]]
// CHECK: %[[GD:.*]] = kiln.div %[[G:.*]], %[[B]]
// CHECK: %[[T:.*]] = kiln.mul %[[GD]], %[[D]]
// CHECK: %[[N:.*]] = kiln.neg %[[T]]
// CHECK: %[[GB1:.*]] = kiln.reduce_sum %[[N]] {axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
// CHECK: %[[GA:.*]] = kiln.mul %[[GD]], %[[B]]
// CHECK: %[[T2:.*]] = kiln.mul %[[GD]], %[[A]]
// CHECK: %[[GB2:.*]] = kiln.reduce_sum %[[T2]] {axes = array<i64: 1>, keepdims = true}
// CHECK: %[[GB:.*]] = kiln.add %[[GB1]], %[[GB2]]
// CHECK: return %{{.*}}, %[[GA]], %[[GB]]
func.func @main(%a: tensor<3x4xf32>, %b: tensor<3x1xf32>) -> tensor<1xf32> {
  %m = kiln.mul %a, %b : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %d = kiln.div %m, %b : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %d {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  %r = kiln.reshape %l {shape = array<i64: 1>} : (tensor<f32>) -> tensor<1xf32>
  return %r : tensor<1xf32>
}

// -----

// reduce_mean spreads the gradient over the reduced dims, divided by their
// count.
// CHECK-LABEL: func.func @main_grad(
// CHECK: %[[K:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 1, 1>} : (tensor<f32>) -> tensor<1x1xf32>
// CHECK: %[[C:.*]] = kiln.constant dense<0.0833333358> : tensor<f32>
// CHECK: %[[S:.*]] = kiln.mul %[[K]], %[[C]]
// CHECK: %[[G:.*]] = kiln.broadcast_to %[[S]] {shape = array<i64: 3, 4>}
// CHECK: return %{{.*}}, %[[G]]
func.func @main(%a: tensor<3x4xf32>) -> tensor<f32> {
  %l = kiln.reduce_mean %a {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Unary rules: exp reuses its result, log divides by its input, relu
// masks where the input is positive, tanh uses 1 - y^2.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>)
// CHECK: %[[E:.*]] = kiln.exp %[[X]]
// CHECK: %[[LG:.*]] = kiln.log %[[E]]
// CHECK: %[[R:.*]] = kiln.relu %[[LG]]
// CHECK: %[[T:.*]] = kiln.tanh %[[R]]
// CHECK: %[[TT:.*]] = kiln.mul %[[T]], %[[T]]
// CHECK: kiln.sub %{{.*}}, %[[TT]]
// CHECK: %[[POS:.*]] = kiln.greater %[[LG]], %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
// CHECK: %[[GR:.*]] = kiln.where %[[POS]], %{{.*}}, %{{.*}}
// CHECK: %[[GL:.*]] = kiln.div %[[GR]], %[[E]]
// CHECK: %[[GE:.*]] = kiln.mul %[[GL]], %[[E]]
// CHECK: return %{{.*}}, %[[GE]]
func.func @main(%x: tensor<4xf32>) -> tensor<f32> {
  %e = kiln.exp %x : (tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.log %e : (tensor<4xf32>) -> tensor<4xf32>
  %r = kiln.relu %l : (tensor<4xf32>) -> tensor<4xf32>
  %t = kiln.tanh %r : (tensor<4xf32>) -> tensor<4xf32>
  %s = kiln.reduce_sum %t {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// matmul: dA = G B^T, dB = A^T G; log_softmax: g - e^y sum(g).
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<3x4xf32>)
// CHECK: %[[Y:.*]] = kiln.log_softmax
// CHECK: %[[SUM:.*]] = kiln.reduce_sum %[[G:.*]] {axes = array<i64: 1>, keepdims = true}
// CHECK: %[[EY:.*]] = kiln.exp %[[Y]]
// CHECK: %[[P:.*]] = kiln.mul %[[EY]], %[[SUM]]
// CHECK: %[[GS:.*]] = kiln.sub %[[G]], %[[P]]
// CHECK: %[[WT:.*]] = kiln.transpose %[[W]] {perm = array<i64: 1, 0>}
// CHECK: %[[GX:.*]] = kiln.matmul %[[GS]], %[[WT]] : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[XT:.*]] = kiln.transpose %[[X]] {perm = array<i64: 1, 0>}
// CHECK: %[[GW:.*]] = kiln.matmul %[[XT]], %[[GS]] : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %[[GW]]
func.func @main(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
  %m = kiln.matmul %x, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %s = kiln.log_softmax %m {axis = 1 : i64} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %l = kiln.reduce_sum %s {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A batched matmul against a shared matrix: the matrix's gradient is
// summed over the batch.
// CHECK-LABEL: func.func @main_grad(
// CHECK: kiln.matmul %{{.*}}, %{{.*}} : (tensor<5x2x4xf32>, tensor<4x3xf32>) -> tensor<5x2x3xf32>
// CHECK: %[[P:.*]] = kiln.matmul %{{.*}}, %{{.*}} : (tensor<5x3x2xf32>, tensor<5x2x4xf32>) -> tensor<5x3x4xf32>
// CHECK: %[[GW:.*]] = kiln.reduce_sum %[[P]] {axes = array<i64: 0>, keepdims = false} : (tensor<5x3x4xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[GW]]
func.func @main(%x: tensor<5x2x3xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
  %m = kiln.matmul %x, %w : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<5x2x4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<5x2x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// conv, stride 2: the input's gradient splits into the 2x2 phases of the
// strides, each a stride-1 convolution by the kernel taps that reach it,
// reversed (of the weight with its channels swapped); the phases interleave
// by stacking and reshaping. The weight's gradient is one matmul of the
// result's gradient (Cout, N*OH*OW) by the columns of the channels-last
// padded input (one strided slice per tap); the bias's a sum.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[X:.*]]: tensor<1x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NOT: kiln.conv_transpose
// CHECK: %[[WT:.*]] = kiln.transpose %[[W]] {perm = array<i64: 1, 0, 2, 3>} : (tensor<4x3x3x3xf32>) -> tensor<3x4x3x3xf32>
// CHECK: %[[T00:.*]] = kiln.slice %[[WT]] {axes = array<i64: 2, 3>, ends = array<i64: 0, 0>, starts = array<i64: 1, 1>, steps = array<i64: -2, -2>} : (tensor<3x4x3x3xf32>) -> tensor<3x4x1x1xf32>
// CHECK: %[[P00:.*]] = kiln.conv %[[G:.*]], %[[T00]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x1x1xf32>) -> tensor<1x3x4x4xf32>
// CHECK: %[[T01:.*]] = kiln.slice %[[WT]] {axes = array<i64: 2, 3>, ends = array<i64: 0, -9223372036854775808>, starts = array<i64: 1, 2>, steps = array<i64: -2, -2>} : (tensor<3x4x3x3xf32>) -> tensor<3x4x1x2xf32>
// CHECK: %[[P01:.*]] = kiln.conv %[[G]], %[[T01]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x1x2xf32>) -> tensor<1x3x4x4xf32>
// CHECK: %[[P10:.*]] = kiln.conv %[[G]], %{{.*}} {{.*}}pads = array<i64: 0, 0, 1, 0>
// CHECK: %[[P11:.*]] = kiln.conv %[[G]], %{{.*}} {{.*}}pads = array<i64: 0, 0, 1, 1>
// CHECK: %[[R00:.*]] = kiln.reshape %[[P00]] {shape = array<i64: 1, 3, 4, 4, 1>}
// CHECK: %[[R01:.*]] = kiln.reshape %[[P01]] {shape = array<i64: 1, 3, 4, 4, 1>}
// CHECK: %[[C0:.*]] = kiln.concat %[[R00]], %[[R01]] {axis = 4 : i64} : (tensor<1x3x4x4x1xf32>, tensor<1x3x4x4x1xf32>) -> tensor<1x3x4x4x2xf32>
// CHECK: %[[ROW0:.*]] = kiln.reshape %[[C0]] {shape = array<i64: 1, 3, 4, 8>}
// CHECK: %[[ROW1:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 1, 3, 4, 8>}
// CHECK: %[[S0:.*]] = kiln.reshape %[[ROW0]] {shape = array<i64: 1, 3, 4, 1, 8>}
// CHECK: %[[S1:.*]] = kiln.reshape %[[ROW1]] {shape = array<i64: 1, 3, 4, 1, 8>}
// CHECK: %[[C:.*]] = kiln.concat %[[S0]], %[[S1]] {axis = 3 : i64}
// CHECK: %[[GX:.*]] = kiln.reshape %[[C]] {shape = array<i64: 1, 3, 8, 8>} : (tensor<1x3x4x2x8xf32>) -> tensor<1x3x8x8xf32>
// CHECK: %[[XT:.*]] = kiln.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x8x8x3xf32>
// CHECK: %[[XP:.*]] = kiln.pad constant %[[XT]] {pads = array<i64: 0, 1, 1, 0, 0, 1, 1, 0>, value = 0.000000e+00 : f64} : (tensor<1x8x8x3xf32>) -> tensor<1x10x10x3xf32>
// CHECK: %[[TAP0:.*]] = kiln.slice %[[XP]] {axes = array<i64: 1, 2>, ends = array<i64: 7, 7>, starts = array<i64: 0, 0>, steps = array<i64: 2, 2>} : (tensor<1x10x10x3xf32>) -> tensor<1x4x4x3xf32>
// CHECK-COUNT-7: kiln.slice %[[XP]]
// CHECK: %[[TAP8:.*]] = kiln.slice %[[XP]] {axes = array<i64: 1, 2>, ends = array<i64: 9, 9>, starts = array<i64: 2, 2>, steps = array<i64: 2, 2>}
// CHECK: %[[COLS:.*]] = kiln.concat %[[TAP0]], {{.*}}, %[[TAP8]] {axis = 3 : i64} : ({{.*}}) -> tensor<1x4x4x27xf32>
// CHECK: %[[CM:.*]] = kiln.reshape %[[COLS]] {shape = array<i64: -1, 27>} : (tensor<1x4x4x27xf32>) -> tensor<16x27xf32>
// CHECK: %[[GT:.*]] = kiln.transpose %[[G]] {perm = array<i64: 1, 0, 2, 3>}
// CHECK: %[[GM:.*]] = kiln.reshape %[[GT]] {shape = array<i64: 0, -1>} : (tensor<4x1x4x4xf32>) -> tensor<4x16xf32>
// CHECK: %[[PROD:.*]] = kiln.matmul %[[GM]], %[[CM]] : (tensor<4x16xf32>, tensor<16x27xf32>) -> tensor<4x27xf32>
// CHECK: %[[PT:.*]] = kiln.reshape %[[PROD]] {shape = array<i64: 0, 9, 3>}
// CHECK: %[[PC:.*]] = kiln.transpose %[[PT]] {perm = array<i64: 0, 2, 1>} : (tensor<4x9x3xf32>) -> tensor<4x3x9xf32>
// CHECK: %[[GW:.*]] = kiln.reshape %[[PC]] {shape = array<i64: 0, 3, 3, 3>} : (tensor<4x3x9xf32>) -> tensor<4x3x3x3xf32>
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0, 2, 3>, keepdims = false}
// CHECK: return %{{.*}}, %[[GX]], %[[GW]], %[[GB]]
func.func @main(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  %c = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %l = kiln.reduce_sum %c {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x4x4x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// conv, stride 1, asymmetric pads, dilation 2: the input's gradient is one
// convolution by the whole kernel reversed, padded by what the dilated
// kernel reaches past the pads ((3 - 1) * 2 - pad) and sliced where a pad
// exceeds that; no interleaving.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x7x7xf32>, %[[W:.*]]: tensor<5x3x3x3xf32>)
// CHECK: %[[WT:.*]] = kiln.transpose %[[W]] {perm = array<i64: 1, 0, 2, 3>}
// CHECK: %[[REV:.*]] = kiln.slice %[[WT]] {axes = array<i64: 2, 3>, ends = array<i64: -9223372036854775808, -9223372036854775808>, starts = array<i64: 2, 2>, steps = array<i64: -1, -1>} : (tensor<3x5x3x3xf32>) -> tensor<3x5x3x3xf32>
// CHECK: %[[GS:.*]] = kiln.slice %[[G:.*]] {axes = array<i64: 2, 3>, ends = array<i64: 3, 8>, starts = array<i64: 0, 1>, steps = array<i64: 1, 1>} : (tensor<2x5x3x8xf32>) -> tensor<2x5x3x7xf32>
// CHECK: %[[GX:.*]] = kiln.conv %[[GS]], %[[REV]] {dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 4, 0, 4, 4>, strides = array<i64: 1, 1>} : (tensor<2x5x3x7xf32>, tensor<3x5x3x3xf32>) -> tensor<2x3x7x7xf32>
// CHECK-NOT: kiln.concat %{{.*}} {axis = 4
// CHECK: %[[GW:.*]] = kiln.matmul
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<2x3x7x7xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<f32> {
  %c = kiln.conv %x, %w {dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 0, 5, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3x7x7xf32>, tensor<5x3x3x3xf32>) -> tensor<2x5x3x8xf32>
  %l = kiln.reduce_sum %c {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<2x5x3x8xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// max_pool: for each kernel offset, the strided slice of the input that
// holds it; the gradient goes to the first offset equal to the maximum,
// and is put back by interleaving zeros and padding.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[X:.*]]: tensor<1x1x4x4xf32>)
// CHECK: %[[Y:.*]] = kiln.max_pool %[[X]]
// CHECK: %[[S0:.*]] = kiln.slice %[[X]] {axes = array<i64: 2, 3>, ends = array<i64: 3, 3>, starts = array<i64: 0, 0>, steps = array<i64: 2, 2>}
// CHECK: %[[E0:.*]] = kiln.equal %[[S0]], %[[Y]]
// CHECK: kiln.where %[[E0]]
// CHECK: %[[S1:.*]] = kiln.slice %[[X]] {axes = array<i64: 2, 3>, ends = array<i64: 3, 4>, starts = array<i64: 0, 1>, steps = array<i64: 2, 2>}
// CHECK: %[[E1:.*]] = kiln.equal %[[S1]], %[[Y]]
// CHECK: %[[N:.*]] = kiln.not %[[E0]]
// CHECK: %[[F1:.*]] = kiln.and %[[E1]], %[[N]]
// CHECK: kiln.where %[[F1]]
// CHECK-COUNT-2: kiln.equal
// CHECK-NOT: kiln.equal
// CHECK: return
func.func @main(%x: tensor<1x1x4x4xf32>) -> tensor<f32> {
  %p = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  %l = kiln.reduce_sum %p {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x2x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// gather: the gradient is scatter-added into zeros (kiln.scatter_nd on
// the gathered axis moved to the front); negative indices are made
// positive first. The indices carry no gradient.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[D:.*]]: tensor<2x5xf32>)
// CHECK: %[[I:.*]] = kiln.constant dense<[3, -1]> : tensor<2xi64>
// CHECK: %[[NEG:.*]] = kiln.less %[[I]], %{{.*}} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi1>
// CHECK: %[[FIX:.*]] = kiln.add %[[I]], %{{.*}} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
// CHECK: %[[POS:.*]] = kiln.where %[[NEG]], %[[FIX]], %[[I]]
// CHECK: %[[IDX:.*]] = kiln.reshape %[[POS]] {shape = array<i64: 2, 1>}
// CHECK: %[[UPD:.*]] = kiln.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK: %[[Z:.*]] = kiln.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<2x5xf32>) -> tensor<5x2xf32>
// CHECK: %[[SC:.*]] = kiln.scatter_nd %[[Z]], %[[IDX]], %[[UPD]] {reduction = #kiln<scatter_reduction add>}
// CHECK: %[[GD:.*]] = kiln.transpose %[[SC]] {perm = array<i64: 1, 0>} : (tensor<5x2xf32>) -> tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[GD]]
func.func @main(%d: tensor<2x5xf32>) -> tensor<f32> {
  %i = kiln.constant dense<[3, -1]> : tensor<2xi64>
  %g = kiln.gather %d, %i {axis = 1 : i64} : (tensor<2x5xf32>, tensor<2xi64>) -> tensor<2x2xf32>
  %l = kiln.reduce_sum %g {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// slice with step 2: the gradient is interleaved with zeros through a
// reshape and padded to where the slice started.
// CHECK-LABEL: func.func @main_grad(
// CHECK: %[[E:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 3, 1>} : (tensor<3xf32>) -> tensor<3x1xf32>
// CHECK: %[[P:.*]] = kiln.pad  constant %[[E]] {pads = array<i64: 0, 0, 0, 1>, value = 0.000000e+00 : f64} : (tensor<3x1xf32>) -> tensor<3x2xf32>
// CHECK: %[[M:.*]] = kiln.reshape %[[P]] {shape = array<i64: 6>} : (tensor<3x2xf32>) -> tensor<6xf32>
// CHECK: %[[G:.*]] = kiln.pad  constant %[[M]] {pads = array<i64: 1, 0>, value = 0.000000e+00 : f64} : (tensor<6xf32>) -> tensor<7xf32>
// CHECK: return %{{.*}}, %[[G]]
func.func @main(%x: tensor<7xf32>) -> tensor<f32> {
  %s = kiln.slice %x {axes = array<i64: 0>, ends = array<i64: 7>, starts = array<i64: 1>, steps = array<i64: 2>} : (tensor<7xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %s {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// concat and transpose: slices of the gradient, and the inverse
// permutation.
// CHECK-LABEL: func.func @main_grad(
// CHECK: %[[T:.*]] = kiln.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<5x2xf32>) -> tensor<2x5xf32>
// CHECK: %[[GA:.*]] = kiln.slice %[[T]] {axes = array<i64: 1>, ends = array<i64: 3>, starts = array<i64: 0>, steps = array<i64: 1>}
// CHECK: %[[GB:.*]] = kiln.slice %[[T]] {axes = array<i64: 1>, ends = array<i64: 5>, starts = array<i64: 3>, steps = array<i64: 1>}
// CHECK: return %{{.*}}, %[[GA]], %[[GB]]
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x2xf32>) -> tensor<f32> {
  %c = kiln.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x5xf32>
  %t = kiln.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x5xf32>) -> tensor<5x2xf32>
  %s = kiln.sin %t : (tensor<5x2xf32>) -> tensor<5x2xf32>
  %l = kiln.reduce_sum %s {axes = array<i64: 0, 1>, keepdims = false} : (tensor<5x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// batch_norm (inference form): gradients for the input and all four
// per-channel parameters.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: -> (tensor<f32>, tensor<2x3x4x4xf32> {kiln.name = "input0_grad"}, tensor<3xf32> {kiln.name = "input1_grad"}, tensor<3xf32> {kiln.name = "input2_grad"}, tensor<3xf32> {kiln.name = "input3_grad"}, tensor<3xf32> {kiln.name = "input4_grad"})
// CHECK: kiln.sqrt
// CHECK: kiln.reshape %{{.*}} {shape = array<i64: 3, 1, 1>}
// CHECK: kiln.reduce_sum %{{.*}} {axes = array<i64: 0, 2, 3>, keepdims = false}
// CHECK: return
func.func @main(%x: tensor<2x3x4x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<f32> {
  %y = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<2x3x4x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Integer and comparison paths carry no gradient: a mask computed from the
// input needs no rule for kiln.greater, and kiln.where sends the gradient
// to the selected side only. kiln.argmax, which has no rule, is off the
// path (its result is an integer).
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[Y:.*]]: tensor<4xf32>)
// CHECK: %[[C:.*]] = kiln.greater %[[X]], %[[Y]]
// CHECK: kiln.argmax
// CHECK: %[[GX:.*]] = kiln.where %[[C]], %{{.*}}, %{{.*}}
// CHECK: %[[GY:.*]] = kiln.where %[[C]], %{{.*}}, %{{.*}}
// CHECK: return %{{.*}}, %[[GX]], %[[GY]]
func.func @main(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<f32> {
  %c = kiln.greater %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %w = kiln.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %i = kiln.argmax %x {axis = 0 : i64, keepdims = false, select_last_index = false} : (tensor<4xf32>) -> tensor<i64>
  %f = kiln.cast %i {to = f32} : (tensor<i64>) -> tensor<f32>
  %m = kiln.mul %w, %f : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A dynamic batch dimension: elementwise and reduction gradients keep it,
// and a broadcast to it is built from kiln.shape at run time.
// CHECK-LABEL: func.func @main_grad(
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<?x4xf32> {kiln.name = "input0_grad"}, tensor<4xf32> {kiln.name = "input1_grad"})
// CHECK: %[[SH:.*]] = kiln.shape %{{.*}} {end = 2 : i64, start = 0 : i64}
// CHECK: kiln.dynamic_broadcast_to %{{.*}}, %[[SH]] : (tensor<1x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: kiln.reduce_sum %{{.*}} {axes = array<i64: 0>, keepdims = false} : (tensor<?x4xf32>) -> tensor<4xf32>
// CHECK: return
func.func @main(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  %s = kiln.add %x, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %t = kiln.sigmoid %s : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %l = kiln.reduce_sum %t {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// An argument the loss does not depend on gets a zero gradient.
// CHECK-LABEL: func.func @main_grad(
// CHECK: %[[Z:.*]] = kiln.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[Z]]
func.func @main(%x: tensor<3xf32>, %unused: tensor<2xf32>) -> tensor<f32> {
  %l = kiln.reduce_sum %x {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
