// RUN: kiln-opt %s -split-input-file | FileCheck %s
// Shapes at the edges of the rules, each once rejected or misinferred.

// A reshape to a higher rank (the copy bookkeeping covers every output dim).
// CHECK-LABEL: func @reshape_up_rank
// CHECK: kiln.reshape {{.*}} -> tensor<2x3x1x1xf32>
func.func @reshape_up_rank(%x: tensor<6xf32>) -> tensor<2x3x1x1xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 2, 3, 1, 1>} : (tensor<6xf32>) -> tensor<2x3x1x1xf32>
  return %0 : tensor<2x3x1x1xf32>
}

// -----

// layer_norm parameters may meet dynamic normalized dims, and be dynamic.
// CHECK-LABEL: func @layer_norm_dynamic
// CHECK: kiln.layer_norm
// CHECK: kiln.layer_norm
func.func @layer_norm_dynamic(%x: tensor<2x?x64xf32>, %s: tensor<5x64xf32>,
                              %y: tensor<2x1xf32>, %t: tensor<?xf32>) {
  %0 = kiln.layer_norm %x, %s {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x?x64xf32>, tensor<5x64xf32>) -> tensor<2x?x64xf32>
  %1 = kiln.layer_norm %y, %t {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x1xf32>, tensor<?xf32>) -> tensor<2x1xf32>
  return
}

// -----

// Slicing an empty dim backwards gives an empty dim.
// CHECK-LABEL: func @slice_empty_backwards
// CHECK: kiln.slice {{.*}} -> tensor<0xf32>
func.func @slice_empty_backwards(%x: tensor<0xf32>) -> tensor<0xf32> {
  %0 = kiln.slice %x {axes = array<i64: 0>, ends = array<i64: -9223372036854775807>, starts = array<i64: -1>, steps = array<i64: -1>} : (tensor<0xf32>) -> tensor<0xf32>
  return %0 : tensor<0xf32>
}

// -----

// Broadcasting a size-1 dim to 0, as numpy (and ONNX Expand) allow.
// CHECK-LABEL: func @broadcast_to_zero
// CHECK: kiln.broadcast_to {{.*}} -> tensor<3x0xf32>
func.func @broadcast_to_zero(%x: tensor<3x1xf32>) -> tensor<3x0xf32> {
  %0 = kiln.broadcast_to %x {shape = array<i64: 3, 0>} : (tensor<3x1xf32>) -> tensor<3x0xf32>
  return %0 : tensor<3x0xf32>
}
