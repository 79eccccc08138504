// RUN: not kiln-opt %s --convert-kiln-to-linalg --split-input-file 2>%t.err | FileCheck %s
// RUN: FileCheck --check-prefix=ERR %s < %t.err

// kiln.shape reads dynamic dims with tensor.dim; a static range is a
// constant.
// CHECK-LABEL: func.func @shape
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x3x4xf32>
// CHECK: %[[I:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK: %[[S:.*]] = tensor.from_elements %[[I]], %{{.*}} : tensor<2xi64>
// CHECK: %[[C:.*]] = arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: return %[[S]], %[[C]]
func.func @shape(%x: tensor<?x3x4xf32>) -> (tensor<2xi64>, tensor<2xi64>) {
  %0 = kiln.shape %x {end = 2 : i64, start = 0 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  %1 = kiln.shape %x {end = 3 : i64, start = 1 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @size
// CHECK: %[[D:.*]] = tensor.dim %arg0
// CHECK: %[[N:.*]] = arith.muli %[[D]], %{{.*}} : index
// CHECK: %[[I:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: tensor.from_elements %[[I]] : tensor<i64>
func.func @size(%x: tensor<?x4xf32>) -> tensor<i64> {
  %0 = kiln.size %x : (tensor<?x4xf32>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----

// An integer range has max(ceildiv(limit - start, delta), 0) elements.
// CHECK-LABEL: func.func @range
// CHECK: %[[S:.*]] = tensor.extract %arg0[] : tensor<i64>
// CHECK: %[[D:.*]] = tensor.extract %arg2[] : tensor<i64>
// CHECK: %[[Q:.*]] = arith.ceildivsi %{{.*}}, %[[D]] : i64
// CHECK: %[[N:.*]] = arith.maxsi %[[Q]], %{{.*}} : i64
// CHECK: %[[I:.*]] = arith.index_cast %[[N]] : i64 to index
// CHECK: %[[E:.*]] = tensor.empty(%[[I]]) : tensor<?xi64>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?xi64>)
// CHECK: %[[M:.*]] = arith.muli %{{.*}}, %[[D]] : i64
// CHECK: arith.addi %[[S]], %[[M]] : i64
func.func @range(%s: tensor<i64>, %l: tensor<i64>, %d: tensor<i64>) -> tensor<?xi64> {
  %0 = kiln.range %s, %l, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// A float range counts its elements in f64, as numpy's arange does.
// CHECK-LABEL: func.func @range_float
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: math.ceil %{{.*}} : f64
// CHECK: arith.fptosi %{{.*}} : f64 to i64
// CHECK: linalg.generic
// CHECK: arith.sitofp %{{.*}} : i64 to f32
func.func @range_float(%s: tensor<f32>, %l: tensor<f32>, %d: tensor<f32>) -> tensor<?xf32> {
  %0 = kiln.range %s, %l, %d : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @constant_of_shape
// CHECK: %[[A:.*]] = tensor.extract %arg0[%{{.*}}] : tensor<2xi64>
// CHECK: %[[I:.*]] = arith.index_cast %[[A]] : i64 to index
// CHECK: %[[B:.*]] = tensor.extract %arg0[%{{.*}}] : tensor<2xi64>
// CHECK: %[[J:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK: %[[E:.*]] = tensor.empty(%[[I]], %[[J]]) : tensor<?x?xf32>
// CHECK: %[[V:.*]] = arith.constant 1.500000e+00 : f32
// CHECK: linalg.fill ins(%[[V]] : f32) outs(%[[E]] : tensor<?x?xf32>)
func.func @constant_of_shape(%s: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = kiln.constant_of_shape %s {value = 1.5 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A 0 in the shape copies the input's dim and a -1 takes what is left;
// which entry is which is known only at run time.
// CHECK-LABEL: func.func @dynamic_reshape
// CHECK: %[[A:.*]] = tensor.extract %arg1
// CHECK: %[[AI:.*]] = arith.index_cast %[[A]] : i64 to index
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[AI]], %{{.*}} : index
// CHECK: %[[D:.*]] = tensor.dim %arg0
// CHECK: arith.select %[[Z]], %[[D]], %[[AI]] : index
// CHECK: arith.divsi %{{.*}}, %{{.*}} : index
// CHECK: %[[S:.*]] = tensor.from_elements %{{.*}}, %{{.*}} : tensor<2xindex>
// CHECK: tensor.reshape %arg0(%[[S]]) : (tensor<2x3x4xf32>, tensor<2xindex>) -> tensor<?x?xf32>
func.func @dynamic_reshape(%x: tensor<2x3x4xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = kiln.dynamic_reshape %x, %s {allowzero = false} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A static input dim of 1 takes the shape entry and broadcasts in the
// indexing map; a static dim other than 1 is kept.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @dynamic_broadcast_to
// CHECK: %[[A:.*]] = tensor.extract %arg1[%{{.*}}] : tensor<3xi64>
// CHECK: %[[AI:.*]] = arith.index_cast %[[A]] : i64 to index
// CHECK: tensor.extract %arg1[%{{.*}}] : tensor<3xi64>
// CHECK: %[[C:.*]] = tensor.extract %arg1[%{{.*}}] : tensor<3xi64>
// CHECK: %[[CI:.*]] = arith.index_cast %[[C]] : i64 to index
// CHECK: %[[E:.*]] = tensor.empty(%[[AI]], %[[CI]]) : tensor<?x3x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}], {{.*}} ins(%arg0 : tensor<3x1xf32>) outs(%[[E]] : tensor<?x3x?xf32>)
func.func @dynamic_broadcast_to(%x: tensor<3x1xf32>, %s: tensor<3xi64>) -> tensor<?x3x?xf32> {
  %0 = kiln.dynamic_broadcast_to %x, %s : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x3x?xf32>
  return %0 : tensor<?x3x?xf32>
}

// -----

// Split sizes read at run time: each piece starts where the last ended.
// CHECK-LABEL: func.func @dynamic_split
// CHECK: %[[A:.*]] = tensor.extract %arg1
// CHECK: %[[AI:.*]] = arith.index_cast %[[A]] : i64 to index
// CHECK: tensor.extract_slice %arg0[0, 0] [2, %[[AI]]] [1, 1] : tensor<2x6xf32> to tensor<2x?xf32>
// CHECK: %[[B:.*]] = tensor.extract %arg1
// CHECK: %[[BI:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK: tensor.extract_slice %arg0[0, %[[AI]]] [2, %[[BI]]] [1, 1] : tensor<2x6xf32> to tensor<2x?xf32>
func.func @dynamic_split(%x: tensor<2x6xf32>, %s: tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2x?xf32>) {
  %a, %b = kiln.dynamic_split %x, %s {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2x?xf32>)
  return %a, %b : tensor<2x?xf32>, tensor<2x?xf32>
}

// -----

// Slicing with run-time bounds: each dim's start, step and size are computed
// from the bounds (clamped as ONNX says), then one generic reads the input.
// CHECK-LABEL: func.func @dynamic_slice
// CHECK: arith.ceildivsi
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?x?xf32>)
// CHECK: linalg.index 0
// CHECK: tensor.extract %arg0
func.func @dynamic_slice(%x: tensor<20x10xf32>, %s: tensor<2xi64>, %e: tensor<2xi64>, %a: tensor<2xi64>, %p: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = kiln.dynamic_slice %x, %s, %e, %a, %p : (tensor<20x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Nor is padding by run-time amounts.
// ERR: failed to legalize operation 'kiln.dynamic_pad'
func.func @dynamic_pad(%x: tensor<3x4xf32>, %p: tensor<4xi64>, %v: tensor<f32>) -> tensor<?x?xf32> {
  %0 = kiln.dynamic_pad constant %x, %p, %v : (tensor<3x4xf32>, tensor<4xi64>, tensor<f32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A run-time reshape between equal types with dynamic dims still reshapes:
// the types say nothing about the sizes.
// CHECK-LABEL: func.func @same_dynamic_type
// CHECK: %[[R:.*]] = tensor.reshape %arg0(%{{.*}}) : (tensor<?x?x?xf32>, tensor<3xindex>) -> tensor<?x?x?xf32>
// CHECK: return %[[R]]
func.func @same_dynamic_type(%x: tensor<?x?x?xf32>, %s: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %0 = kiln.dynamic_reshape %x, %s {allowzero = false} : (tensor<?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

// Run-time squeeze and unsqueeze keep the layout, so they are a reshape to
// sizes computed from the axes.
// CHECK-LABEL: func.func @dynamic_squeeze
// CHECK: %[[S:.*]] = tensor.from_elements %{{.*}}, %{{.*}} : tensor<2xindex>
// CHECK: tensor.reshape %arg0(%[[S]]) : (tensor<1x3x5xf32>, tensor<2xindex>) -> tensor<?x?xf32>
// CHECK-LABEL: func.func @dynamic_unsqueeze
// CHECK: %[[U:.*]] = tensor.from_elements %{{.*}}, %{{.*}}, %{{.*}} : tensor<3xindex>
// CHECK: tensor.reshape %arg0(%[[U]]) : (tensor<3x5xf32>, tensor<3xindex>) -> tensor<?x?x?xf32>
func.func @dynamic_squeeze(%x: tensor<1x3x5xf32>, %a: tensor<1xi64>) -> tensor<?x?xf32> {
  %0 = kiln.dynamic_squeeze %x, %a : (tensor<1x3x5xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
func.func @dynamic_unsqueeze(%x: tensor<3x5xf32>, %a: tensor<1xi64>) -> tensor<?x?x?xf32> {
  %0 = kiln.dynamic_unsqueeze %x, %a : (tensor<3x5xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}
