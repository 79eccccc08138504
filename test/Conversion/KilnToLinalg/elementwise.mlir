// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Broadcasting is in the indexing maps; a dynamic result dim is sized from
// the operand that has it.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x4xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<?x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = kiln.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A static dim of 1 that broadcasts reads index 0.
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @broadcast_one
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[COL]], #{{.*}}]
// CHECK: arith.mulf
func.func @broadcast_one(%a: tensor<3x4xf32>, %b: tensor<3x1xf32>) -> tensor<3x4xf32> {
  %0 = kiln.mul %a, %b : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Unsigned types become signless; the op keeps the signedness.
// CHECK-LABEL: func.func @unsigned
// CHECK-SAME: (%{{.*}}: tensor<4xi8> {bufferization.writable = false}, %{{.*}}: tensor<4xi8> {bufferization.writable = false}) -> (tensor<4xi8>, tensor<4xi1>)
// CHECK: arith.divui
// CHECK: arith.cmpi ult
func.func @unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xui8>, tensor<4xi1>) {
  %0 = kiln.div %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %1 = kiln.less %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xi1>
  return %0, %1 : tensor<4xui8>, tensor<4xi1>
}

// -----

// Signed integers: truncating division and signed comparison.
// CHECK-LABEL: func.func @signed
// CHECK: arith.divsi
// CHECK: arith.cmpi slt
func.func @signed(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi1>) {
  %0 = kiln.div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = kiln.less %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return %0, %1 : tensor<4xi32>, tensor<4xi1>
}

// -----

// Activations expand into their formulas; constants become arith.constant.
// CHECK-LABEL: func.func @activations
// CHECK: %[[C:.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK: math.erf
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @activations(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = kiln.constant dense<2.0> : tensor<f32>
  %0 = kiln.gelu %x {approximate = #kiln<gelu_approximation none>} : (tensor<8xf32>) -> tensor<8xf32>
  %1 = kiln.leaky_relu %0 {alpha = 0.1 : f32} : (tensor<8xf32>) -> tensor<8xf32>
  %2 = kiln.clip %1 {max = 6.0 : f64, min = 0.0 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  %3 = kiln.mul %2, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %3 : tensor<8xf32>
}

// -----

// Casts follow ONNX: float to int truncates, to bool tests non-zero.
// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi
// CHECK: arith.cmpf une
// CHECK: arith.uitofp
func.func @casts(%x: tensor<4xf32>, %u: tensor<4xui16>) -> (tensor<4xi32>, tensor<4xi1>, tensor<4xf32>) {
  %0 = kiln.cast %x {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
  %1 = kiln.cast %x {to = i1} : (tensor<4xf32>) -> tensor<4xi1>
  %2 = kiln.cast %u {to = f32} : (tensor<4xui16>) -> tensor<4xf32>
  return %0, %1, %2 : tensor<4xi32>, tensor<4xi1>, tensor<4xf32>
}
