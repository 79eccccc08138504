// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace | FileCheck %s

// The gradient rules of conv_transpose, the poolings, layer_norm and softmax
// (GradientNN.cpp). Most losses are sum(op(x) * v), so that the seed
// reaching the rule is g = 1 * v, never a constant: %[[G]] is that product.
// Where a rule builds two operands of one op independently, their order is
// left to the C++ compiler, so they are matched with CHECK-DAG.

// conv_transpose, stride 2, pads and output padding: the input's gradient
// is the convolution of g by the same weight, strides and pads; the
// weight's a convolution of g (batch and channels swapped) by the input
// (likewise), where strides and dilations trade places, cut to the kernel's
// 3x3 (output padding makes it 4x4) and swapped back; the bias's a sum over
// all but the channels.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<1x2x3x3xf32>, %[[W:.*]]: tensor<2x4x3x3xf32>, %[[B:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<1x4x6x6xf32>)
// CHECK: %[[Y:.*]] = kiln.conv_transpose %[[X]], %[[W]], %[[B]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GX:.*]] = kiln.conv %[[G]], %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>, tensor<2x4x3x3xf32>) -> tensor<1x2x3x3xf32>
// CHECK-DAG: %[[XT:.*]] = kiln.transpose %[[X]] {perm = array<i64: 1, 0, 2, 3>} : (tensor<1x2x3x3xf32>) -> tensor<2x1x3x3xf32>
// CHECK-DAG: %[[GT:.*]] = kiln.transpose %[[G]] {perm = array<i64: 1, 0, 2, 3>} : (tensor<1x4x6x6xf32>) -> tensor<4x1x6x6xf32>
// CHECK: %[[FULL:.*]] = kiln.conv %[[GT]], %[[XT]] {dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<4x1x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<4x2x4x4xf32>
// CHECK: %[[CUT:.*]] = kiln.slice %[[FULL]] {axes = array<i64: 2, 3>, ends = array<i64: 3, 3>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<4x2x4x4xf32>) -> tensor<4x2x3x3xf32>
// CHECK: %[[GW:.*]] = kiln.transpose %[[CUT]] {perm = array<i64: 1, 0, 2, 3>} : (tensor<4x2x3x3xf32>) -> tensor<2x4x3x3xf32>
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0, 2, 3>, keepdims = false} : (tensor<1x4x6x6xf32>) -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[GX]], %[[GW]], %[[GB]], %{{.*}}
func.func @main(%x: tensor<1x2x3x3xf32>, %w: tensor<2x4x3x3xf32>, %b: tensor<4xf32>, %v: tensor<1x4x6x6xf32>) -> tensor<f32> {
  %y = kiln.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %m = kiln.mul %y, %v : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x4x6x6xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// conv_transpose with 2 groups and dilation 2: the input's gradient keeps
// the groups; the weight's is computed for every channel pair (dilation 2
// becomes the stride) and keeps the diagonal blocks, each (1 output
// channel, 2 input channels) swapped to the weight's (Cin, Cout/group)
// layout and stacked along the input channels.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<1x4x5xf32>, %[[W:.*]]: tensor<4x1x2xf32>)
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[GX:.*]] = kiln.conv %[[G]], %[[W]] {dilations = array<i64: 2>, group = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x2x7xf32>, tensor<4x1x2xf32>) -> tensor<1x4x5xf32>
// CHECK-DAG: %[[XT:.*]] = kiln.transpose %[[X]] {perm = array<i64: 1, 0, 2>}
// CHECK-DAG: %[[GT:.*]] = kiln.transpose %[[G]] {perm = array<i64: 1, 0, 2>}
// CHECK: %[[FULL:.*]] = kiln.conv %[[GT]], %[[XT]] {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 2>} : (tensor<2x1x7xf32>, tensor<4x1x5xf32>) -> tensor<2x4x2xf32>
// CHECK: %[[B0:.*]] = kiln.slice %[[FULL]] {axes = array<i64: 0, 1>, ends = array<i64: 1, 2>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<2x4x2xf32>) -> tensor<1x2x2xf32>
// CHECK: %[[T0:.*]] = kiln.transpose %[[B0]] {perm = array<i64: 1, 0, 2>} : (tensor<1x2x2xf32>) -> tensor<2x1x2xf32>
// CHECK: %[[B1:.*]] = kiln.slice %[[FULL]] {axes = array<i64: 0, 1>, ends = array<i64: 2, 4>, starts = array<i64: 1, 2>, steps = array<i64: 1, 1>} : (tensor<2x4x2xf32>) -> tensor<1x2x2xf32>
// CHECK: %[[T1:.*]] = kiln.transpose %[[B1]] {perm = array<i64: 1, 0, 2>}
// CHECK: %[[GW:.*]] = kiln.concat %[[T0]], %[[T1]] {axis = 0 : i64} : (tensor<2x1x2xf32>, tensor<2x1x2xf32>) -> tensor<4x1x2xf32>
// CHECK: return %{{.*}}, %[[GX]], %[[GW]]
func.func @main(%x: tensor<1x4x5xf32>, %w: tensor<4x1x2xf32>) -> tensor<f32> {
  %y = kiln.conv_transpose %x, %w {dilations = array<i64: 2>, group = 2 : i64, output_padding = array<i64: 0>, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x4x5xf32>, tensor<4x1x2xf32>) -> tensor<1x2x7xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<1x2x7xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// average_pool, kernel 3, stride 2, a begin pad, count_include_pad false:
// each window's share is g * pool(ones) / count, where count sums the
// window's elements of the zero-padded ones (so the divisor is the op's
// own); the share goes back to every offset of the window (at padded
// positions 0, 1, 2, step 2), the offsets' parts are added and the pad is
// cut off.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<1x1x4xf32>, %[[V:.*]]: tensor<1x1x2xf32>)
// CHECK: %[[Y:.*]] = kiln.average_pool %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<1x1x4xf32>
// CHECK: %[[POOLED:.*]] = kiln.average_pool %[[ONE]] {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1>, kernel_shape = array<i64: 3>, pads = array<i64: 1, 0>, strides = array<i64: 2>}
// CHECK: %[[PADDED:.*]] = kiln.pad  constant %[[ONE]] {pads = array<i64: 0, 0, 1, 0, 0, 0>, value = 0.000000e+00 : f64} : (tensor<1x1x4xf32>) -> tensor<1x1x5xf32>
// CHECK: %[[E0:.*]] = kiln.slice %[[PADDED]] {axes = array<i64: 2>, ends = array<i64: 3>, starts = array<i64: 0>, steps = array<i64: 2>}
// CHECK: %[[E1:.*]] = kiln.slice %[[PADDED]] {axes = array<i64: 2>, ends = array<i64: 4>, starts = array<i64: 1>, steps = array<i64: 2>}
// CHECK: %[[C01:.*]] = kiln.add %[[E0]], %[[E1]]
// CHECK: %[[E2:.*]] = kiln.slice %[[PADDED]] {axes = array<i64: 2>, ends = array<i64: 5>, starts = array<i64: 2>, steps = array<i64: 2>}
// CHECK: %[[COUNT:.*]] = kiln.add %[[C01]], %[[E2]]
// CHECK: %[[RATIO:.*]] = kiln.div %[[POOLED]], %[[COUNT]]
// CHECK: %[[SHARE:.*]] = kiln.mul %[[G]], %[[RATIO]]
// CHECK: %[[S0:.*]] = kiln.reshape %[[SHARE]] {shape = array<i64: 1, 1, 2, 1>}
// CHECK: %[[S0I:.*]] = kiln.pad  constant %[[S0]] {pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 1>
// CHECK: %[[S0F:.*]] = kiln.reshape %[[S0I]] {shape = array<i64: 1, 1, 4>}
// CHECK: %[[P0:.*]] = kiln.pad  constant %[[S0F]] {pads = array<i64: 0, 0, 0, 0, 0, 1>, value = 0.000000e+00 : f64} : (tensor<1x1x4xf32>) -> tensor<1x1x5xf32>
// CHECK: %[[S1:.*]] = kiln.reshape %[[SHARE]] {shape = array<i64: 1, 1, 2, 1>}
// CHECK: %[[S1I:.*]] = kiln.pad  constant %[[S1]]
// CHECK: %[[S1F:.*]] = kiln.reshape %[[S1I]]
// CHECK: %[[P1:.*]] = kiln.pad  constant %[[S1F]] {pads = array<i64: 0, 0, 1, 0, 0, 0>, value = 0.000000e+00 : f64} : (tensor<1x1x4xf32>) -> tensor<1x1x5xf32>
// CHECK: %[[SUM01:.*]] = kiln.add %[[P0]], %[[P1]]
// CHECK: %[[S2:.*]] = kiln.reshape %[[SHARE]] {shape = array<i64: 1, 1, 2, 1>}
// CHECK: %[[S2I:.*]] = kiln.pad  constant %[[S2]]
// CHECK: %[[S2F:.*]] = kiln.reshape %[[S2I]]
// CHECK: %[[S2C:.*]] = kiln.slice %[[S2F]] {axes = array<i64: 2>, ends = array<i64: 3>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<1x1x4xf32>) -> tensor<1x1x3xf32>
// CHECK: %[[P2:.*]] = kiln.pad  constant %[[S2C]] {pads = array<i64: 0, 0, 2, 0, 0, 0>, value = 0.000000e+00 : f64} : (tensor<1x1x3xf32>) -> tensor<1x1x5xf32>
// CHECK: %[[SUM:.*]] = kiln.add %[[SUM01]], %[[P2]]
// CHECK: %[[GX:.*]] = kiln.slice %[[SUM]] {axes = array<i64: 2>, ends = array<i64: 5>, starts = array<i64: 1>, steps = array<i64: 1>} : (tensor<1x1x5xf32>) -> tensor<1x1x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<1x1x4xf32>, %v: tensor<1x1x2xf32>) -> tensor<f32> {
  %y = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1>, kernel_shape = array<i64: 3>, pads = array<i64: 1, 0>, strides = array<i64: 2>} : (tensor<1x1x4xf32>) -> tensor<1x1x2xf32>
  %m = kiln.mul %y, %v : (tensor<1x1x2xf32>, tensor<1x1x2xf32>) -> tensor<1x1x2xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<1x1x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// average_pool with count_include_pad and ceil mode, 2x2 windows, stride
// 2: the divisor comes from the op itself, so the pooled ones carry the
// same attributes; ceil mode reaches one element past the end, where the
// ones are padded. Offset (i, j) of each window is the strided slice
// starting at (i, j); its share is put back there (interleaved with zeros,
// then shifted by the offset) and the four parts are added.
// CHECK-LABEL: func.func @main(
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<1x1x5x5xf32>
// CHECK: %[[POOLED:.*]] = kiln.average_pool %[[ONE]] {ceil_mode = true, count_include_pad = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
// CHECK: %[[PADDED:.*]] = kiln.pad  constant %[[ONE]] {pads = array<i64: 0, 0, 0, 0, 0, 0, 1, 1>, value = 0.000000e+00 : f64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x6x6xf32>
// CHECK: %[[E00:.*]] = kiln.slice %[[PADDED]] {axes = array<i64: 2, 3>, ends = array<i64: 5, 5>, starts = array<i64: 0, 0>, steps = array<i64: 2, 2>}
// CHECK: %[[E01:.*]] = kiln.slice %[[PADDED]] {axes = array<i64: 2, 3>, ends = array<i64: 5, 6>, starts = array<i64: 0, 1>, steps = array<i64: 2, 2>}
// CHECK: %[[C1:.*]] = kiln.add %[[E00]], %[[E01]]
// CHECK: %[[E10:.*]] = kiln.slice %[[PADDED]] {axes = array<i64: 2, 3>, ends = array<i64: 6, 5>, starts = array<i64: 1, 0>, steps = array<i64: 2, 2>}
// CHECK: %[[C2:.*]] = kiln.add %[[C1]], %[[E10]]
// CHECK: %[[E11:.*]] = kiln.slice %[[PADDED]] {axes = array<i64: 2, 3>, ends = array<i64: 6, 6>, starts = array<i64: 1, 1>, steps = array<i64: 2, 2>}
// CHECK: %[[COUNT:.*]] = kiln.add %[[C2]], %[[E11]]
// CHECK: %[[RATIO:.*]] = kiln.div %[[POOLED]], %[[COUNT]]
// CHECK: %[[SHARE:.*]] = kiln.mul %[[G]], %[[RATIO]]
// Offset (0, 0): interleaved along both axes, no shift.
// CHECK: kiln.reshape %[[SHARE]] {shape = array<i64: 1, 1, 3, 1, 3>}
// CHECK: %[[P00:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 1, 1, 6, 6>}
// Offset (0, 1): shifted by one along the last axis.
// CHECK: kiln.reshape %[[SHARE]] {shape = array<i64: 1, 1, 3, 1, 3>}
// CHECK: %[[I01:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 1, 1, 6, 6>}
// CHECK: %[[T01:.*]] = kiln.slice %[[I01]] {axes = array<i64: 3>, ends = array<i64: 5>, starts = array<i64: 0>, steps = array<i64: 1>}
// CHECK: %[[P01:.*]] = kiln.pad  constant %[[T01]] {pads = array<i64: 0, 0, 0, 1, 0, 0, 0, 0>
// CHECK: %[[S1:.*]] = kiln.add %[[P00]], %[[P01]]
// Offset (1, 0): shifted by one along the rows.
// CHECK: kiln.reshape %[[SHARE]] {shape = array<i64: 1, 1, 3, 1, 3>}
// CHECK: %[[T10:.*]] = kiln.slice %{{.*}} {axes = array<i64: 2>, ends = array<i64: 5>, starts = array<i64: 0>, steps = array<i64: 1>}
// CHECK: kiln.pad  constant %[[T10]] {pads = array<i64: 0, 0, 1, 0, 0, 0, 0, 0>
// CHECK: %[[P10:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 1, 1, 6, 6>}
// CHECK: %[[S2:.*]] = kiln.add %[[S1]], %[[P10]]
// Offset (1, 1): shifted along both.
// CHECK: kiln.reshape %[[SHARE]] {shape = array<i64: 1, 1, 3, 1, 3>}
// CHECK: kiln.pad  constant %{{.*}} {pads = array<i64: 0, 0, 1, 0, 0, 0, 0, 0>
// CHECK: kiln.pad  constant %{{.*}} {pads = array<i64: 0, 0, 0, 1, 0, 0, 0, 0>
// CHECK: %[[S3:.*]] = kiln.add %[[S2]], %{{.*}}
// CHECK: %[[GX:.*]] = kiln.slice %[[S3]] {axes = array<i64: 2, 3>, ends = array<i64: 5, 5>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<1x1x6x6xf32>) -> tensor<1x1x5x5xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<1x1x5x5xf32>) -> tensor<f32> {
  %y = kiln.average_pool %x {ceil_mode = true, count_include_pad = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<1x1x3x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// global_average_pool: g / (4 * 5), broadcast over the spatial dims.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4x5xf32>, %[[V:.*]]: tensor<2x3x1x1xf32>)
// CHECK: %[[Y:.*]] = kiln.global_average_pool %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[INV:.*]] = kiln.constant dense<5.000000e-02> : tensor<f32>
// CHECK: %[[SHARE:.*]] = kiln.mul %[[G]], %[[INV]]
// CHECK: %[[GX:.*]] = kiln.broadcast_to %[[SHARE]] {shape = array<i64: 2, 3, 4, 5>} : (tensor<2x3x1x1xf32>) -> tensor<2x3x4x5xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<2x3x4x5xf32>, %v: tensor<2x3x1x1xf32>) -> tensor<f32> {
  %y = kiln.global_average_pool %x : (tensor<2x3x4x5xf32>) -> tensor<2x3x1x1xf32>
  %m = kiln.mul %y, %v : (tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>) -> tensor<2x3x1x1xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<2x3x1x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// global_max_pool: g goes to the elements equal to the maximum, divided by
// how many there are per (batch, channel).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4x5xf32>, %[[V:.*]]: tensor<2x3x1x1xf32>)
// CHECK: %[[Y:.*]] = kiln.global_max_pool %[[X]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[EQ:.*]] = kiln.equal %[[X]], %[[Y]] : (tensor<2x3x4x5xf32>, tensor<2x3x1x1xf32>) -> tensor<2x3x4x5xi1>
// CHECK: %[[MASK:.*]] = kiln.cast %[[EQ]] {to = f32}
// CHECK: %[[COUNT:.*]] = kiln.reduce_sum %[[MASK]] {axes = array<i64: 2, 3>, keepdims = true} : (tensor<2x3x4x5xf32>) -> tensor<2x3x1x1xf32>
// CHECK: %[[SHARE:.*]] = kiln.div %[[G]], %[[COUNT]]
// CHECK: %[[GX:.*]] = kiln.mul %[[MASK]], %[[SHARE]] : (tensor<2x3x4x5xf32>, tensor<2x3x1x1xf32>) -> tensor<2x3x4x5xf32>
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<2x3x4x5xf32>, %v: tensor<2x3x1x1xf32>) -> tensor<f32> {
  %y = kiln.global_max_pool %x : (tensor<2x3x4x5xf32>) -> tensor<2x3x1x1xf32>
  %m = kiln.mul %y, %v : (tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>) -> tensor<2x3x1x1xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<2x3x1x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// layer_norm over dims 1 and 2: with x^ = (x - mean) r, r = 1 / sqrt(var +
// eps) and d = g * scale, dx = r (d - mean(d) - x^ mean(d x^)); the scale
// gets sum(g x^) over the batch and the bias sum(g) over the dims it was
// broadcast along.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xf32>, %[[S:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[Y:.*]] = kiln.layer_norm %[[X]], %[[S]], %[[B]]
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[MEAN:.*]] = kiln.reduce_mean %[[X]] {axes = array<i64: 1, 2>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
// CHECK: %[[C:.*]] = kiln.sub %[[X]], %[[MEAN]]
// CHECK: %[[C2:.*]] = kiln.mul %[[C]], %[[C]]
// CHECK: %[[VAR:.*]] = kiln.reduce_mean %[[C2]] {axes = array<i64: 1, 2>, keepdims = true}
// CHECK-DAG: %[[EPS:.*]] = kiln.constant dense<9.99999974E-6> : tensor<f32>
// CHECK-DAG: %[[VE:.*]] = kiln.add %[[VAR]], %[[EPS]]
// CHECK-DAG: %[[SD:.*]] = kiln.sqrt %[[VE]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[R:.*]] = kiln.div %[[ONE]], %[[SD]]
// CHECK: %[[XH:.*]] = kiln.mul %[[C]], %[[R]]
// CHECK: %[[D:.*]] = kiln.mul %[[G]], %[[S]] : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[MD:.*]] = kiln.reduce_mean %[[D]] {axes = array<i64: 1, 2>, keepdims = true}
// CHECK: %[[DXH:.*]] = kiln.mul %[[D]], %[[XH]]
// CHECK: %[[MDXH:.*]] = kiln.reduce_mean %[[DXH]] {axes = array<i64: 1, 2>, keepdims = true}
// CHECK-DAG: %[[T:.*]] = kiln.mul %[[XH]], %[[MDXH]]
// CHECK-DAG: %[[DC:.*]] = kiln.sub %[[D]], %[[MD]]
// CHECK: %[[DIFF:.*]] = kiln.sub %[[DC]], %[[T]]
// CHECK: %[[GX:.*]] = kiln.mul %[[R]], %[[DIFF]]
// CHECK: %[[GXH:.*]] = kiln.mul %[[G]], %[[XH]]
// CHECK: %[[GS:.*]] = kiln.reduce_sum %[[GXH]] {axes = array<i64: 0>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<3x4xf32>
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[GX]], %[[GS]], %[[GB]], %{{.*}}
func.func @main(%x: tensor<2x3x4xf32>, %s: tensor<3x4xf32>, %b: tensor<4xf32>, %v: tensor<2x3x4xf32>) -> tensor<f32> {
  %y = kiln.layer_norm %x, %s, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %m = kiln.mul %y, %v : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// softmax: dx = y (g - sum(g y)), the sum along the softmax axis.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x5xf32>, %[[V:.*]]: tensor<2x5xf32>)
// CHECK: %[[Y:.*]] = kiln.softmax %[[X]] {axis = 1 : i64}
// CHECK: kiln.mul %[[Y]], %[[V]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[V]]
// CHECK: %[[GY:.*]] = kiln.mul %[[G]], %[[Y]]
// CHECK: %[[DOT:.*]] = kiln.reduce_sum %[[GY]] {axes = array<i64: 1>, keepdims = true} : (tensor<2x5xf32>) -> tensor<2x1xf32>
// CHECK: %[[DIFF:.*]] = kiln.sub %[[G]], %[[DOT]]
// CHECK: %[[GX:.*]] = kiln.mul %[[Y]], %[[DIFF]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<2x5xf32>, %v: tensor<2x5xf32>) -> tensor<f32> {
  %y = kiln.softmax %x {axis = 1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %m = kiln.mul %y, %v : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
