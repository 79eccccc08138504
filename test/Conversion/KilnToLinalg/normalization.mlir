// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Batch norm: one elementwise generic reading the parameters along dim 1.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @batch_norm
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[N:.*]] = tensor.dim %arg0
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x16x8x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %arg1, %arg2, %arg3, %arg4 : {{.*}}) outs(%[[E]] : tensor<?x16x8x8xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[S:.*]]: f32, %[[B:.*]]: f32, %[[M:.*]]: f32, %[[V:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[C:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK: %[[VE:.*]] = arith.addf %[[V]], %[[EPS]] : f32
// CHECK: %[[SD:.*]] = math.sqrt %[[VE]] : f32
// CHECK: %[[NX:.*]] = arith.divf %[[C]], %[[SD]] : f32
// CHECK: %[[SC:.*]] = arith.mulf %[[NX]], %[[S]] : f32
// CHECK: %[[Y:.*]] = arith.addf %[[SC]], %[[B]] : f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @batch_norm(%x: tensor<?x16x8x8xf32>, %s: tensor<16xf32>, %b: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> tensor<?x16x8x8xf32> {
  %0 = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x8x8xf32>
  return %0 : tensor<?x16x8x8xf32>
}

// -----

// Layer norm: the sum and the squared deviations reduce over the normalised
// dims, then one generic normalises, scales and shifts.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[OUTER:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[COUNT:.*]] = arith.constant 6.400000e+01 : f32
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[OUTER]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<?x16x64xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[OUTER]], #[[OUTER]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[SUM]] : tensor<?x16x64xf32>, tensor<?x16xf32>)
// CHECK: arith.divf %{{.*}}, %[[COUNT]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[OUTER]], #[[OUTER]], #[[LAST]], #[[LAST]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[SUM]], %[[SQ]], %arg1, %arg2 :
// CHECK: math.sqrt
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @layer_norm(%x: tensor<?x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x16x64xf32> {
  %0 = kiln.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<?x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x16x64xf32>
  return %0 : tensor<?x16x64xf32>
}

// -----

// f16 normalises in f32 (ONNX's stash type), then scales in f16; a scale
// dim of 1 broadcasts; no bias.
// CHECK-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @layer_norm_f16
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x3x4xf16>) outs(%{{.*}} : tensor<2xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #[[SCALE]], #{{.*}}]
// CHECK: %[[N:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[T:.*]] = arith.truncf %[[N]] : f32 to f16
// CHECK: %[[Y:.*]] = arith.mulf %[[T]], %{{.*}} : f16
// CHECK: linalg.yield %[[Y]] : f16
func.func @layer_norm_f16(%x: tensor<2x3x4xf16>, %g: tensor<3x1xf16>) -> tensor<2x3x4xf16> {
  %0 = kiln.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-03 : f32} : (tensor<2x3x4xf16>, tensor<3x1xf16>) -> tensor<2x3x4xf16>
  return %0 : tensor<2x3x4xf16>
}
