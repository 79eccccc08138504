// RUN: kiln-opt %s -split-input-file -canonicalize | FileCheck %s

// An identity disappears.
// CHECK-LABEL: func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NOT: kiln.identity
// CHECK: return %[[X]]
func.func @identity(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = kiln.identity %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A cast to the operand's own element type disappears.
// CHECK-LABEL: func @cast_same_type
// CHECK-NOT: kiln.cast
func.func @cast_same_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.cast %x {to = f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A cast that changes the element type stays.
// CHECK-LABEL: func @cast_kept
// CHECK: kiln.cast
func.func @cast_kept(%x: tensor<4xf32>) -> tensor<4xf16> {
  %0 = kiln.cast %x {to = f16} : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// x + 0 and 0 + x fold to x.
// CHECK-LABEL: func @add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>)
// CHECK-NOT: kiln.add
// CHECK: return %[[X]], %[[X]]
func.func @add_zero(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %0 = kiln.add %x, %z : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = kiln.add %z, %x : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Adding a zero that broadcasts the operand to a bigger shape is not a no-op.
// CHECK-LABEL: func @add_zero_broadcasts
// CHECK: kiln.add
func.func @add_zero_broadcasts(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %z = kiln.constant dense<0.0> : tensor<2x4xf32>
  %0 = kiln.add %x, %z : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Adding a non-zero constant stays.
// CHECK-LABEL: func @add_nonzero
// CHECK: kiln.add
func.func @add_nonzero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = kiln.constant dense<1.0> : tensor<4xf32>
  %0 = kiln.add %x, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x - 0 folds; 0 - x does not.
// CHECK-LABEL: func @sub_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Z:.*]] = kiln.constant
// CHECK: %[[NEG:.*]] = kiln.sub %[[Z]], %[[X]]
// CHECK: return %[[X]], %[[NEG]]
func.func @sub_zero(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %0 = kiln.sub %x, %z : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = kiln.sub %z, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// x * 1 and 1 * x fold to x, for integers too.
// CHECK-LABEL: func @mul_one
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xi64>)
// CHECK-NOT: kiln.mul
// CHECK: return %[[X]], %[[X]]
func.func @mul_one(%x: tensor<?x3xi64>) -> (tensor<?x3xi64>, tensor<?x3xi64>) {
  %one = kiln.constant dense<1> : tensor<i64>
  %0 = kiln.mul %x, %one : (tensor<?x3xi64>, tensor<i64>) -> tensor<?x3xi64>
  %1 = kiln.mul %one, %x : (tensor<i64>, tensor<?x3xi64>) -> tensor<?x3xi64>
  return %0, %1 : tensor<?x3xi64>, tensor<?x3xi64>
}

// -----

// x * 2 stays.
// CHECK-LABEL: func @mul_two
// CHECK: kiln.mul
func.func @mul_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = kiln.constant dense<2.0> : tensor<4xf32>
  %0 = kiln.mul %x, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x / 1 folds; 1 / x does not.
// CHECK-LABEL: func @div_one
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[R:.*]] = kiln.div
// CHECK: return %[[X]], %[[R]]
func.func @div_one(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %one = kiln.constant dense<1.0> : tensor<4xf32>
  %0 = kiln.div %x, %one : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = kiln.div %one, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Shape arithmetic on small integer constants folds, splats broadcasting.
// CHECK-LABEL: func @fold_shape_arith
// CHECK-DAG: kiln.constant dense<[5, 7, 9]> : tensor<3xi64>
// CHECK-DAG: kiln.constant dense<3> : tensor<3xi64>
// CHECK-DAG: kiln.constant dense<[8, 20, 36]> : tensor<3xi64>
// CHECK-DAG: kiln.constant dense<[1, 2, 3]> : tensor<3xi64>
// CHECK-NOT: kiln.add
// CHECK-NOT: kiln.sub
// CHECK-NOT: kiln.mul
// CHECK-NOT: kiln.div
func.func @fold_shape_arith() -> (tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>) {
  %a = kiln.constant dense<[1, 2, 3]> : tensor<3xi64>
  %b = kiln.constant dense<[4, 5, 6]> : tensor<3xi64>
  %two = kiln.constant dense<2> : tensor<3xi64>
  %0 = kiln.add %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %1 = kiln.sub %b, %a : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %2 = kiln.mul %b, %a : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %3 = kiln.mul %2, %two : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %4 = kiln.div %3, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %5 = kiln.div %4, %two : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0, %1, %3, %5 : tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>
}

// -----

// Integer division by zero is left for run time, not folded.
// CHECK-LABEL: func @no_fold_div_by_zero
// CHECK: kiln.div
func.func @no_fold_div_by_zero() -> tensor<2xi64> {
  %a = kiln.constant dense<[1, 2]> : tensor<2xi64>
  %z = kiln.constant dense<[1, 0]> : tensor<2xi64>
  %0 = kiln.div %a, %z : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// Float constants fold too.
// CHECK-LABEL: func @fold_float
// CHECK: kiln.constant dense<[1.500000e+00, 3.500000e+00]> : tensor<2xf32>
// CHECK-NOT: kiln.add
func.func @fold_float() -> tensor<2xf32> {
  %a = kiln.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %b = kiln.constant dense<0.5> : tensor<2xf32>
  %0 = kiln.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Constants of different shapes that broadcast non-trivially are not folded.
// CHECK-LABEL: func @no_fold_broadcast
// CHECK: kiln.add
func.func @no_fold_broadcast() -> tensor<2x2xi64> {
  %a = kiln.constant dense<[1, 2]> : tensor<2xi64>
  %b = kiln.constant dense<[[1], [2]]> : tensor<2x1xi64>
  %0 = kiln.add %a, %b : (tensor<2xi64>, tensor<2x1xi64>) -> tensor<2x2xi64>
  return %0 : tensor<2x2xi64>
}

// -----

// A reshape to the operand's own type disappears, dynamic dims included.
// CHECK-LABEL: func @reshape_noop
// CHECK-NOT: kiln.reshape
func.func @reshape_noop(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = kiln.reshape %x {shape = array<i64: -1, 8>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Two reshapes compose into one.
// CHECK-LABEL: func @reshape_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[R:.*]] = kiln.reshape %[[X]] {shape = array<i64: 4, 6>} : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = kiln.reshape %0 {shape = array<i64: 4, 6>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// A copied (0) entry of the outer reshape becomes the inner result's size.
// CHECK-LABEL: func @reshape_reshape_copy_static
// CHECK: kiln.reshape %{{.*}} {shape = array<i64: 6, -1>}
// CHECK-NOT: kiln.reshape
func.func @reshape_reshape_copy_static(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = kiln.reshape %0 {shape = array<i64: 0, -1>} : (tensor<6x4xf32>) -> tensor<6x4xf32>
  %2 = kiln.reshape %1 {shape = array<i64: 24>} : (tensor<6x4xf32>) -> tensor<24xf32>
  %3 = kiln.reshape %2 {shape = array<i64: 6, -1>} : (tensor<24xf32>) -> tensor<6x4xf32>
  return %3 : tensor<6x4xf32>
}

// -----

// Copying a dynamic dim of the inner reshape cannot be composed.
// CHECK-LABEL: func @reshape_reshape_copy_dynamic
// CHECK: kiln.reshape
// CHECK: kiln.reshape
func.func @reshape_reshape_copy_dynamic(%x: tensor<?x2x3xf32>) -> tensor<?x3x2xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 0, 6>} : (tensor<?x2x3xf32>) -> tensor<?x6xf32>
  %1 = kiln.reshape %0 {shape = array<i64: 0, 3, 2>} : (tensor<?x6xf32>) -> tensor<?x3x2xf32>
  return %1 : tensor<?x3x2xf32>
}

// -----

// Reshaping a small constant folds to a constant.
// CHECK-LABEL: func @reshape_constant
// CHECK: kiln.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-NOT: kiln.reshape
func.func @reshape_constant() -> tensor<2x2xi64> {
  %c = kiln.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %0 = kiln.reshape %c {shape = array<i64: 2, 2>} : (tensor<4xi64>) -> tensor<2x2xi64>
  return %0 : tensor<2x2xi64>
}

// -----

// An identity permutation disappears.
// CHECK-LABEL: func @transpose_identity
// CHECK-NOT: kiln.transpose
func.func @transpose_identity(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 0, 1>} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A constant is transposed at compile time, element by element (3-D, so
// the strides matter), inline when small.
// CHECK-LABEL: func @transpose_constant
// CHECK: %[[C:.*]] = kiln.constant dense<{{\[}}{{\[}}[1.000000e+00, 4.000000e+00], [7.000000e+00, 1.000000e+01]], {{\[}}[2.000000e+00, 5.000000e+00], [8.000000e+00, 1.100000e+01]], {{\[}}[3.000000e+00, 6.000000e+00], [9.000000e+00, 1.200000e+01]]]> : tensor<3x2x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @transpose_constant() -> tensor<3x2x2xf32> {
  %c = kiln.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]]> : tensor<2x2x3xf32>
  %0 = kiln.transpose %c {perm = array<i64: 2, 0, 1>} : (tensor<2x2x3xf32>) -> tensor<3x2x2xf32>
  return %0 : tensor<3x2x2xf32>
}

// -----

// Two transposes compose into one.
// CHECK-LABEL: func @transpose_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.*]] = kiln.transpose %[[X]] {perm = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 1, 0, 2>} : (tensor<3x4x2xf32>) -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// Transposes that cancel out disappear entirely.
// CHECK-LABEL: func @transpose_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: kiln.transpose
// CHECK: return %[[X]]
func.func @transpose_inverse(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// A single transpose with a real permutation stays.
// CHECK-LABEL: func @transpose_kept
// CHECK: kiln.transpose
func.func @transpose_kept(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Transposing a splat is a splat of the new shape.
// CHECK-LABEL: func @transpose_splat
// CHECK: kiln.constant dense<2.000000e+00> : tensor<3x2xf32>
// CHECK-NOT: kiln.transpose
func.func @transpose_splat() -> tensor<3x2xf32> {
  %c = kiln.constant dense<2.0> : tensor<2x3xf32>
  %0 = kiln.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A concat of one input is that input; of two, it stays.
// CHECK-LABEL: func @concat
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x3xf32>
// CHECK: %[[C:.*]] = kiln.concat
// CHECK: return %[[X]], %[[C]]
func.func @concat(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x6xf32>) {
  %0 = kiln.concat %x {axis = 1 : i64} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %1 = kiln.concat %x, %y {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x6xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?x6xf32>
}

// -----

// A slice that keeps everything disappears; a real slice stays.
// CHECK-LABEL: func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[S:.*]] = kiln.slice
// CHECK: return %[[X]], %[[S]]
func.func @slice(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x4xf32>) {
  %0 = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: 100>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %1 = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: 8>, starts = array<i64: 4>, steps = array<i64: 1>} : (tensor<?x8xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x4xf32>
}

// -----

// Reversing keeps the size but not the order: it stays.
// CHECK-LABEL: func @slice_reverse
// CHECK: kiln.slice
func.func @slice_reverse(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = kiln.slice %x {axes = array<i64: 0>, ends = array<i64: -100>, starts = array<i64: -1>, steps = array<i64: -1>} : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// Zero padding disappears; real padding stays.
// CHECK-LABEL: func @pad
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[P:.*]] = kiln.pad
// CHECK: return %[[X]], %[[P]]
func.func @pad(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x5xf32>) {
  %0 = kiln.pad constant %x {pads = array<i64: 0, 0, 0, 0>, value = 0.0} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = kiln.pad edge %x {pads = array<i64: 0, 1, 0, 1>, value = 0.0} : (tensor<2x3xf32>) -> tensor<2x5xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x5xf32>
}

// -----

// Broadcasting to a shape of ones keeps the operand; a real broadcast stays,
// except of a splat constant, which becomes a bigger splat.
// CHECK-LABEL: func @broadcast_to
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK-DAG: %[[B:.*]] = kiln.broadcast_to %[[X]]
// CHECK-DAG: %[[C:.*]] = kiln.constant dense<1.000000e+00> : tensor<4x3xf32>
// CHECK: return %[[X]], %[[B]], %[[C]]
func.func @broadcast_to(%x: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<2x?x3xf32>, tensor<4x3xf32>) {
  %0 = kiln.broadcast_to %x {shape = array<i64: 1, 1>} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %1 = kiln.broadcast_to %x {shape = array<i64: 2, 1, 3>} : (tensor<?x3xf32>) -> tensor<2x?x3xf32>
  %c = kiln.constant dense<1.0> : tensor<3xf32>
  %2 = kiln.broadcast_to %c {shape = array<i64: 4, 3>} : (tensor<3xf32>) -> tensor<4x3xf32>
  return %0, %1, %2 : tensor<?x3xf32>, tensor<2x?x3xf32>, tensor<4x3xf32>
}

// -----

// Folding never changes a type: x + 0 with a more static declared result
// than x stays.
// CHECK-LABEL: func @fold_keeps_types
// CHECK: kiln.add
func.func @fold_keeps_types(%x: tensor<?x4xf32>) -> tensor<2x4xf32> {
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %0 = kiln.add %x, %z : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A batch norm with constant statistics after a convolution with constant
// weights folds into the convolution: W' = W * s / sqrt(v + eps) per output
// channel, b' = (b - m) * s / sqrt(v + eps) + t. Here s / sqrt(v + eps) is
// 2 and 0.5 (eps = 0), so W' doubles channel 0 and halves channel 1, and
// b' = [(1 - 1) * 2 + 3, (2 - 0) * 0.5 - 1] = [3, 0].
// CHECK-LABEL: func.func @conv_batch_norm
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[}}[{{\[}}[2.000000e+00]]], {{\[}}[{{\[}}5.000000e-01]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = kiln.constant dense<[3.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = kiln.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: kiln.batch_norm
// CHECK: return %[[Y]]
func.func @conv_batch_norm(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = kiln.constant dense<1.0> : tensor<2x1x1x1xf32>
  %b = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = kiln.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %t = kiln.constant dense<[3.0, -1.0]> : tensor<2xf32>
  %m = kiln.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %v = kiln.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %c = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %y = kiln.batch_norm %c, %s, %t, %m, %v {epsilon = 0.0 : f32} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %y : tensor<?x2x4x4xf32>
}

// -----

// Statistics that are arguments (a training step's running statistics)
// stay, as does a convolution whose result has another use.
// CHECK-LABEL: func.func @not_constant
// CHECK: kiln.batch_norm
// CHECK-LABEL: func.func @two_uses
// CHECK: kiln.batch_norm
func.func @not_constant(%x: tensor<1x1x4x4xf32>, %m: tensor<1xf32>) -> tensor<1x1x4x4xf32> {
  %w = kiln.constant dense<1.0> : tensor<1x1x1x1xf32>
  %s = kiln.constant dense<1.0> : tensor<1xf32>
  %c = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %y = kiln.batch_norm %c, %s, %s, %m, %s {epsilon = 1.0e-05 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}
func.func @two_uses(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w = kiln.constant dense<1.0> : tensor<1x1x1x1xf32>
  %s = kiln.constant dense<1.0> : tensor<1xf32>
  %c = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %y = kiln.batch_norm %c, %s, %s, %s, %s {epsilon = 1.0e-05 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y, %c : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}
