// RUN: kiln-opt %s -split-input-file -kiln-infer-shapes | FileCheck %s

// Dynamic result types become static once the input is static, through a
// chain of ops, and the function signature follows.
// CHECK-LABEL: func @refine_chain
// CHECK-SAME: -> tensor<2x8xf32>
// CHECK: kiln.matmul {{.*}} -> tensor<2x8xf32>
// CHECK: kiln.relu {{.*}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: return {{.*}} : tensor<2x8xf32>
func.func @refine_chain(%x: tensor<2x4xf32>, %w: tensor<4x8xf32>) -> tensor<?x8xf32> {
  %0 = kiln.matmul %x, %w : (tensor<2x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %1 = kiln.relu %0 : (tensor<?x8xf32>) -> tensor<?x?xf32>
  %2 = kiln.identity %1 : (tensor<?x?xf32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// -----

// A dynamic batch dimension stays dynamic; the other dims are refined.
// CHECK-LABEL: func @keep_dynamic_batch
// CHECK: kiln.reshape {{.*}} -> tensor<?x12xf32>
func.func @keep_dynamic_batch(%x: tensor<?x3x4xf32>) -> tensor<?x?xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 0, -1>} : (tensor<?x3x4xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Ops of other dialects are left alone.
// CHECK-LABEL: func @other_dialects
// CHECK: tensor.cast {{.*}} to tensor<?xf32>
func.func @other_dialects(%x: tensor<4xf32>) -> tensor<?xf32> {
  %0 = tensor.cast %x : tensor<4xf32> to tensor<?xf32>
  return %0 : tensor<?xf32>
}
