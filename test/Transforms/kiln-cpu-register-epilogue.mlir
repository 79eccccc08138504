// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-cpu-tile,canonicalize))' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-cpu-tile,canonicalize,cse,kiln-cpu-vectorize,canonicalize,cse))' | FileCheck %s --check-prefix=VEC

// A fused epilogue of a shallow sum (8 products) over constant filters, on
// rows of 112 positions, runs on each register tile: 8 packed filters by
// 32 positions (3 per row) then 16, starting from the bias, the k loop
// adding one outer product per step, the consumer (a ReLU) on the tile.
// The left-hand side is read transposed, (k, m).
// CHECK: #[[KM:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func.func @register_epilogue
// CHECK: arith.constant dense_resource<packed> : tensor<2x8x8xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c112 step %c2 iter_args
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c32 iter_args
// CHECK: linalg.broadcast {{.*}}kiln.vectorize = "elementwise"
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (tensor<8x32xf32>)
// CHECK: linalg.matmul indexing_maps = [#[[KM:.*]], #{{.*}}, #{{.*}}] {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<1x32xf32>)
// CHECK: kiln.partial_results
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<8x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice {{.*}} [1, 8, 1, 32] [1, 1, 1, 1] : tensor<8x32xf32> into tensor<1x16x112x112xf32>
// CHECK: tensor.insert_slice {{.*}} [1, 8, 1, 16] [1, 1, 1, 1] : tensor<8x16xf32> into tensor<1x16x112x112xf32>
// CHECK-NOT: linalg.matmul ins
// The product stays in registers: the k loop carries it as a vector, the
// ReLU applies to that vector, and only the ReLU's result is written.
// VEC-LABEL: func.func @register_epilogue
// VEC: %[[SUM:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// VEC: vector.fma
// VEC: %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<8x32xf32>
// VEC-NEXT: vector.transfer_write %[[RELU]]
#re_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @register_epilogue(%cols: tensor<8x12544xf32>, %bias: tensor<16xf32>) -> tensor<1x16x112x112xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[-0.73, 0.69, 0.53, -0.49, -0.01, -0.10, 0.30, 0.58], [-0.81, -0.94, 0.67, -0.13, 0.52, -1.00, -0.11, 0.44], [-0.54, 0.89, 0.80, -0.94, -0.95, 0.08, 0.88, -0.24], [-0.57, -0.16, -0.94, -0.56, -0.12, -0.01, -0.53, -0.54], [-0.56, -0.08, -0.42, -0.96, 0.68, 0.11, 0.28, -0.63], [0.99, 0.72, -0.76, -0.33, 0.44, 0.42, 0.87, -0.16], [0.66, 0.34, -0.39, 0.18, 0.76, 0.69, 0.01, 0.18], [-0.93, -0.51, 0.59, -0.17, -0.65, 0.10, 0.41, 0.35], [-0.25, -0.12, 0.02, 0.56, 0.04, -0.21, -0.02, -0.94], [-0.91, 0.41, 0.97, 0.19, -0.21, -0.66, 0.00, 0.96], [0.54, 0.08, 0.72, -0.54, 0.03, 0.90, 0.16, -0.08], [-0.46, 0.10, 0.91, -0.99, 0.57, 0.64, 0.77, 0.48], [0.62, 0.04, 0.12, -0.15, -0.89, 0.74, 0.14, -0.60], [0.01, -0.03, -0.29, -0.31, 0.08, 0.25, 0.22, -0.08], [-0.94, -0.54, -0.65, 0.17, 0.72, 0.60, 0.59, 0.63], [-0.49, 0.68, 0.35, -0.83, -0.97, -0.97, 0.51, -0.50]]> : tensor<16x8xf32>
  %e = tensor.empty() : tensor<1x16x112x112xf32>
  %b = linalg.broadcast ins(%bias : tensor<16xf32>) outs(%e : tensor<1x16x112x112xf32>) dimensions = [0, 2, 3]
  %init = tensor.collapse_shape %b [[0, 1], [2, 3]] : tensor<1x16x112x112xf32> into tensor<16x12544xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<16x8xf32>, tensor<8x12544xf32>) outs(%init : tensor<16x12544xf32>) -> tensor<16x12544xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 16, 112, 112] : tensor<16x12544xf32> into tensor<1x16x112x112xf32>
  %out = tensor.empty() : tensor<1x16x112x112xf32>
  %r = linalg.generic {indexing_maps = [#re_id, #re_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x16x112x112xf32>) outs(%out : tensor<1x16x112x112xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x16x112x112xf32>
  return %r : tensor<1x16x112x112xf32>
}

// -----

// Rows of 7 positions would split into register tiles of 4, 2 and 1. A
// fresh output written by a consumer of the product alone is one contiguous
// matrix (16, 3136): its register tiles run across the rows instead, 7 tiles
// of 32 along each tile of 32 rows (224 positions).
// CHECK-LABEL: func.func @register_epilogue_flat
// CHECK: scf.for %{{.*}} = %c0 to %c448 step %c32 iter_args(%[[IMG:.*]] = %{{.*}})
// CHECK: tensor.collapse_shape %[[IMG]] {{\[}}[0, 1], [2, 3]] : tensor<1x16x448x7xf32> into tensor<16x3136xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c224 step %c32 iter_args
// CHECK: kiln.partial_results
// CHECK: tensor.insert_slice {{.*}} [8, 32] [1, 1] : tensor<8x32xf32> into tensor<16x3136xf32>
// CHECK: tensor.expand_shape {{.*}} : tensor<16x3136xf32> into tensor<1x16x448x7xf32>
#ref_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @register_epilogue_flat(%cols: tensor<8x3136xf32>, %bias: tensor<16xf32>) -> tensor<1x16x448x7xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[-0.73, 0.69, 0.53, -0.49, -0.01, -0.10, 0.30, 0.58], [-0.81, -0.94, 0.67, -0.13, 0.52, -1.00, -0.11, 0.44], [-0.54, 0.89, 0.80, -0.94, -0.95, 0.08, 0.88, -0.24], [-0.57, -0.16, -0.94, -0.56, -0.12, -0.01, -0.53, -0.54], [-0.56, -0.08, -0.42, -0.96, 0.68, 0.11, 0.28, -0.63], [0.99, 0.72, -0.76, -0.33, 0.44, 0.42, 0.87, -0.16], [0.66, 0.34, -0.39, 0.18, 0.76, 0.69, 0.01, 0.18], [-0.93, -0.51, 0.59, -0.17, -0.65, 0.10, 0.41, 0.35], [-0.25, -0.12, 0.02, 0.56, 0.04, -0.21, -0.02, -0.94], [-0.91, 0.41, 0.97, 0.19, -0.21, -0.66, 0.00, 0.96], [0.54, 0.08, 0.72, -0.54, 0.03, 0.90, 0.16, -0.08], [-0.46, 0.10, 0.91, -0.99, 0.57, 0.64, 0.77, 0.48], [0.62, 0.04, 0.12, -0.15, -0.89, 0.74, 0.14, -0.60], [0.01, -0.03, -0.29, -0.31, 0.08, 0.25, 0.22, -0.08], [-0.94, -0.54, -0.65, 0.17, 0.72, 0.60, 0.59, 0.63], [-0.49, 0.68, 0.35, -0.83, -0.97, -0.97, 0.51, -0.50]]> : tensor<16x8xf32>
  %e = tensor.empty() : tensor<1x16x448x7xf32>
  %b = linalg.broadcast ins(%bias : tensor<16xf32>) outs(%e : tensor<1x16x448x7xf32>) dimensions = [0, 2, 3]
  %init = tensor.collapse_shape %b [[0, 1], [2, 3]] : tensor<1x16x448x7xf32> into tensor<16x3136xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<16x8xf32>, tensor<8x3136xf32>) outs(%init : tensor<16x3136xf32>) -> tensor<16x3136xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 16, 448, 7] : tensor<16x3136xf32> into tensor<1x16x448x7xf32>
  %out = tensor.empty() : tensor<1x16x448x7xf32>
  %r = linalg.generic {indexing_maps = [#ref_id, #ref_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x16x448x7xf32>) outs(%out : tensor<1x16x448x7xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x16x448x7xf32>
  return %r : tensor<1x16x448x7xf32>
}

// -----

// With a second input (a residual), whose layout is not known to be one
// contiguous matrix, rows of 7 positions keep the tiles of the product.
// CHECK-LABEL: func.func @register_epilogue_narrow_rows
// CHECK-NOT: kiln.partial_results
// CHECK: linalg.matmul
// CHECK-NOT: kiln.partial_results
// CHECK: return
#ren_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @register_epilogue_narrow_rows(%cols: tensor<8x3136xf32>, %bias: tensor<16xf32>, %res: tensor<1x16x448x7xf32>) -> tensor<1x16x448x7xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[-0.73, 0.69, 0.53, -0.49, -0.01, -0.10, 0.30, 0.58], [-0.81, -0.94, 0.67, -0.13, 0.52, -1.00, -0.11, 0.44], [-0.54, 0.89, 0.80, -0.94, -0.95, 0.08, 0.88, -0.24], [-0.57, -0.16, -0.94, -0.56, -0.12, -0.01, -0.53, -0.54], [-0.56, -0.08, -0.42, -0.96, 0.68, 0.11, 0.28, -0.63], [0.99, 0.72, -0.76, -0.33, 0.44, 0.42, 0.87, -0.16], [0.66, 0.34, -0.39, 0.18, 0.76, 0.69, 0.01, 0.18], [-0.93, -0.51, 0.59, -0.17, -0.65, 0.10, 0.41, 0.35], [-0.25, -0.12, 0.02, 0.56, 0.04, -0.21, -0.02, -0.94], [-0.91, 0.41, 0.97, 0.19, -0.21, -0.66, 0.00, 0.96], [0.54, 0.08, 0.72, -0.54, 0.03, 0.90, 0.16, -0.08], [-0.46, 0.10, 0.91, -0.99, 0.57, 0.64, 0.77, 0.48], [0.62, 0.04, 0.12, -0.15, -0.89, 0.74, 0.14, -0.60], [0.01, -0.03, -0.29, -0.31, 0.08, 0.25, 0.22, -0.08], [-0.94, -0.54, -0.65, 0.17, 0.72, 0.60, 0.59, 0.63], [-0.49, 0.68, 0.35, -0.83, -0.97, -0.97, 0.51, -0.50]]> : tensor<16x8xf32>
  %e = tensor.empty() : tensor<1x16x448x7xf32>
  %b = linalg.broadcast ins(%bias : tensor<16xf32>) outs(%e : tensor<1x16x448x7xf32>) dimensions = [0, 2, 3]
  %init = tensor.collapse_shape %b [[0, 1], [2, 3]] : tensor<1x16x448x7xf32> into tensor<16x3136xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<16x8xf32>, tensor<8x3136xf32>) outs(%init : tensor<16x3136xf32>) -> tensor<16x3136xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 16, 448, 7] : tensor<16x3136xf32> into tensor<1x16x448x7xf32>
  %out = tensor.empty() : tensor<1x16x448x7xf32>
  %r = linalg.generic {indexing_maps = [#ren_id, #ren_id, #ren_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img, %res : tensor<1x16x448x7xf32>, tensor<1x16x448x7xf32>) outs(%out : tensor<1x16x448x7xf32>) {
  ^bb0(%in: f32, %r0: f32, %o: f32):
    %a = arith.addf %in, %r0 : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x16x448x7xf32>
  return %r : tensor<1x16x448x7xf32>
}
