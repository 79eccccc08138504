// RUN: not kiln-opt %s --convert-kiln-to-linalg --split-input-file 2>%t.err | FileCheck %s
// RUN: FileCheck --check-prefix=ERR %s < %t.err

// Two matrices: linalg.matmul into a zero-filled accumulator.
// CHECK-LABEL: func.func @matmul_2d
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<4x16xf32>)
// CHECK: %[[R:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[ACC]] : tensor<4x16xf32>)
// CHECK: return %[[R]]
func.func @matmul_2d(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = kiln.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// A batch of matrices times a matrix: the batch dims (dynamic here) become
// rows of one linalg.matmul.
// CHECK-LABEL: func.func @matmul_batch_rows
// CHECK: %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x16x64xf32>
// CHECK: %[[ACC:.*]] = linalg.fill
// CHECK: %[[A:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<?x16x64xf32> into tensor<?x64xf32>
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[ACC]] {{\[}}[0, 1], [2]]
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[A]], %arg1 : tensor<?x64xf32>, tensor<64x32xf32>) outs(%[[C]] : tensor<?x32xf32>)
// CHECK: tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]] output_shape [%[[N]], 16, 32] : tensor<?x32xf32> into tensor<?x16x32xf32>
func.func @matmul_batch_rows(%a: tensor<?x16x64xf32>, %b: tensor<64x32xf32>) -> tensor<?x16x32xf32> {
  %0 = kiln.matmul %a, %b : (tensor<?x16x64xf32>, tensor<64x32xf32>) -> tensor<?x16x32xf32>
  return %0 : tensor<?x16x32xf32>
}

// -----

// Equal batch dims collapse into one for linalg.batch_matmul.
// CHECK-LABEL: func.func @batch_matmul
// CHECK: %[[A:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2], [3]] : tensor<?x3x4x8xf32> into tensor<?x4x8xf32>
// CHECK: %[[B:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1], [2], [3]] : tensor<?x3x8x5xf32> into tensor<?x8x5xf32>
// CHECK: %[[P:.*]] = linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<?x4x8xf32>, tensor<?x8x5xf32>)
// CHECK: tensor.expand_shape %[[P]] {{\[}}[0, 1], [2], [3]] output_shape [%{{.*}}, 3, 4, 5]
func.func @batch_matmul(%a: tensor<?x3x4x8xf32>, %b: tensor<?x3x8x5xf32>) -> tensor<?x3x4x5xf32> {
  %0 = kiln.matmul %a, %b : (tensor<?x3x4x8xf32>, tensor<?x3x8x5xf32>) -> tensor<?x3x4x5xf32>
  return %0 : tensor<?x3x4x5xf32>
}

// -----

// A batch dim of 1 that broadcasts: one linalg.generic reading index 0.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d3)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @broadcast_batch
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: %[[M:.*]] = arith.mulf
// CHECK: arith.addf %{{.*}}, %[[M]]
func.func @broadcast_batch(%a: tensor<1x4x8xf32>, %b: tensor<6x8x5xf32>) -> tensor<6x4x5xf32> {
  %0 = kiln.matmul %a, %b : (tensor<1x4x8xf32>, tensor<6x8x5xf32>) -> tensor<6x4x5xf32>
  return %0 : tensor<6x4x5xf32>
}

// -----

// Two vectors: a dot product into a rank-0 result.
// CHECK-DAG: #[[V:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @vectors
// CHECK: linalg.generic {indexing_maps = [#[[V]], #[[V]], #[[S]]], iterator_types = ["reduction"]}
// CHECK-SAME: outs(%{{.*}} : tensor<f32>)
func.func @vectors(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<f32> {
  %0 = kiln.matmul %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Unsigned integers accumulate (wrapping) in the signless result type.
// CHECK-LABEL: func.func @integer
// CHECK-SAME: (%{{.*}}: tensor<4x8xi8> {bufferization.writable = false}, %{{.*}}: tensor<8x2xi8> {bufferization.writable = false}) -> tensor<4x2xi8>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK: linalg.matmul ins(%arg0, %arg1 : tensor<4x8xi8>, tensor<8x2xi8>)
func.func @integer(%a: tensor<4x8xui8>, %b: tensor<8x2xui8>) -> tensor<4x2xui8> {
  %0 = kiln.matmul %a, %b : (tensor<4x8xui8>, tensor<8x2xui8>) -> tensor<4x2xui8>
  return %0 : tensor<4x2xui8>
}

// -----

// Booleans are refused: ONNX MatMul has no boolean form.
// ERR: failed to legalize operation 'kiln.matmul'
func.func @boolean(%a: tensor<4x8xi1>, %b: tensor<8x2xi1>) -> tensor<4x2xi1> {
  %0 = kiln.matmul %a, %b : (tensor<4x8xi1>, tensor<8x2xi1>) -> tensor<4x2xi1>
  return %0 : tensor<4x2xi1>
}
