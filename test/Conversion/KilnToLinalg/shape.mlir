// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// A reshape that only merges dims is a collapse_shape; the copied dynamic
// batch dim stays its own group.
// CHECK-LABEL: func.func @reshape_collapse
// CHECK: %[[C:.*]] = tensor.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : tensor<?x8x7x7xf32> into tensor<?x392xf32>
// CHECK: return %[[C]]
func.func @reshape_collapse(%x: tensor<?x8x7x7xf32>) -> tensor<?x392xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 0, -1>} : (tensor<?x8x7x7xf32>) -> tensor<?x392xf32>
  return %0 : tensor<?x392xf32>
}

// -----

// A reshape that only splits dims is an expand_shape with its output shape.
// CHECK-LABEL: func.func @reshape_expand
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x24xf32>
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2, 3]] output_shape [%[[D]], 2, 3, 4] : tensor<?x24xf32> into tensor<?x2x3x4xf32>
func.func @reshape_expand(%x: tensor<?x24xf32>) -> tensor<?x2x3x4xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 0, 2, 3, 4>} : (tensor<?x24xf32>) -> tensor<?x2x3x4xf32>
  return %0 : tensor<?x2x3x4xf32>
}

// -----

// Otherwise a tensor.reshape, the -1 being the element count over the other
// sizes.
// CHECK-LABEL: func.func @reshape_general
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x6x4xf32>
// CHECK: %[[N:.*]] = arith.muli
// CHECK: %[[M:.*]] = arith.muli %[[N]]
// CHECK: %[[Q:.*]] = arith.floordivsi %[[M]], %{{.*}} : index
// CHECK: %[[S:.*]] = tensor.from_elements %{{.*}}, %[[Q]], %{{.*}} : tensor<3xindex>
// CHECK: tensor.reshape %arg0(%[[S]]) : (tensor<?x6x4xf32>, tensor<3xindex>) -> tensor<3x?x2xf32>
func.func @reshape_general(%x: tensor<?x6x4xf32>) -> tensor<3x?x2xf32> {
  %0 = kiln.reshape %x {shape = array<i64: 3, -1, 2>} : (tensor<?x6x4xf32>) -> tensor<3x?x2xf32>
  return %0 : tensor<3x?x2xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x8x4xf32>
// CHECK: linalg.transpose ins(%arg0 : tensor<?x4x8xf32>) outs(%[[E]] : tensor<?x8x4xf32>) permutation = [0, 2, 1]
func.func @transpose(%x: tensor<?x4x8xf32>) -> tensor<?x8x4xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<?x4x8xf32>) -> tensor<?x8x4xf32>
  return %0 : tensor<?x8x4xf32>
}

// -----

// Concat inserts each input at its running offset along the axis.
// CHECK-LABEL: func.func @concat
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, 0] [%{{.*}}, 3] [1, 1]
// CHECK: tensor.insert_slice %arg1 into %[[A]][0, 3] [%{{.*}}, 5] [1, 1]
func.func @concat(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) -> tensor<?x8xf32> {
  %0 = kiln.concat %a, %b {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @split
// CHECK: %[[A:.*]] = tensor.extract_slice %arg0[0, 0] [%{{.*}}, 2] [1, 1] : tensor<?x8xf32> to tensor<?x2xf32>
// CHECK: %[[B:.*]] = tensor.extract_slice %arg0[0, 2] [%{{.*}}, 6] [1, 1] : tensor<?x8xf32> to tensor<?x6xf32>
// CHECK: return %[[A]], %[[B]]
func.func @split(%x: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x6xf32>) {
  %a, %b = kiln.split %x {axis = 1 : i64, sizes = array<i64: 2, 6>} : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x6xf32>)
  return %a, %b : tensor<?x2xf32>, tensor<?x6xf32>
}

// -----

// A positive step on a static dim: bounds clamped at compile time.
// CHECK-LABEL: func.func @slice
// CHECK: tensor.extract_slice %arg0[0, 1] [%{{.*}}, 4] [1, 2] : tensor<?x10xf32> to tensor<?x4xf32>
func.func @slice(%x: tensor<?x10xf32>) -> tensor<?x4xf32> {
  %0 = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: -1>, starts = array<i64: 1>, steps = array<i64: 2>} : (tensor<?x10xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A negative step takes the elements in increasing order, then a generic
// reverses the axis.
// CHECK-LABEL: func.func @slice_reverse
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, 1] [%{{.*}}, 5] [1, 2]
// CHECK: %[[L:.*]] = arith.constant 4 : index
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[R:.*]] = arith.subi %[[L]], %[[I]] : index
// CHECK: tensor.extract %[[S]][%{{.*}}, %[[R]]]
func.func @slice_reverse(%x: tensor<?x10xf32>) -> tensor<?x5xf32> {
  %0 = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: -9223372036854775807>, starts = array<i64: -1>, steps = array<i64: -2>} : (tensor<?x10xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// A dynamic dim is clamped with index arithmetic at run time.
// CHECK-LABEL: func.func @slice_dynamic
// CHECK: %[[D:.*]] = tensor.dim %arg0
// CHECK: %[[START:.*]] = arith.minsi %{{.*}}, %[[D]] : index
// CHECK: arith.ceildivsi
// CHECK: %[[N:.*]] = arith.maxsi
// CHECK: tensor.extract_slice %arg0[%[[START]], 0] [%[[N]], 10] [1, 1]
func.func @slice_dynamic(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = kiln.slice %x {axes = array<i64: 0>, ends = array<i64: -1>, starts = array<i64: 1>, steps = array<i64: 1>} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Gather reads the index (negative counts from the end, clamped into
// range), then the data with tensor.extract.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<?x16xi64>)
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: arith.cmpi slt, %[[I]]
// CHECK: arith.select
// CHECK: %[[C:.*]] = arith.minsi
// CHECK: %[[J:.*]] = linalg.index 2 : index
// CHECK: tensor.extract %arg0[%[[C]], %[[J]]] : tensor<1000x64xf32>
func.func @gather(%emb: tensor<1000x64xf32>, %ids: tensor<?x16xi64>) -> tensor<?x16x64xf32> {
  %0 = kiln.gather %emb, %ids {axis = 0 : i64} : (tensor<1000x64xf32>, tensor<?x16xi64>) -> tensor<?x16x64xf32>
  return %0 : tensor<?x16x64xf32>
}

// -----

// Constant padding is tensor.pad yielding the fill value.
// CHECK-LABEL: func.func @pad_constant
// CHECK: %[[V:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[V]] : f32
func.func @pad_constant(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32> {
  %0 = kiln.pad constant %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.5} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  return %0 : tensor<1x3x10x10xf32>
}

// -----

// Reflect mirrors the source index about both edges.
// CHECK-LABEL: func.func @pad_reflect
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = arith.subi %{{.*}}, %{{.*}} : index
// CHECK: %[[N:.*]] = arith.subi %{{.*}}, %[[I]] : index
// CHECK: %[[A:.*]] = arith.maxsi %[[I]], %[[N]] : index
// CHECK: %[[M:.*]] = arith.subi %{{.*}}, %[[A]] : index
// CHECK: %[[R:.*]] = arith.minsi %[[A]], %[[M]] : index
// CHECK: tensor.extract %arg0[%{{.*}}, %[[R]]] : tensor<?x8xf32>
func.func @pad_reflect(%x: tensor<?x8xf32>) -> tensor<?x11xf32> {
  %0 = kiln.pad reflect %x {pads = array<i64: 0, 1, 0, 2>, value = 0.0} : (tensor<?x8xf32>) -> tensor<?x11xf32>
  return %0 : tensor<?x11xf32>
}

// -----

// Edge clamps the source index; an unpadded dim reads its own index.
// CHECK-LABEL: func.func @pad_edge
// CHECK: %[[LAST:.*]] = arith.constant 3 : index
// CHECK: linalg.generic
// CHECK: %[[A:.*]] = arith.maxsi
// CHECK: %[[B:.*]] = arith.minsi %[[A]], %[[LAST]] : index
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: tensor.extract %arg0[%[[B]], %[[J]]] : tensor<4x8xi32>
func.func @pad_edge(%x: tensor<4x8xi32>) -> tensor<6x8xi32> {
  %0 = kiln.pad edge %x {pads = array<i64: 1, 0, 1, 0>, value = 0.0} : (tensor<4x8xi32>) -> tensor<6x8xi32>
  return %0 : tensor<6x8xi32>
}

// -----

// A static broadcast is all in the input's indexing map.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @broadcast_to
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0 : tensor<3x1xf32>) outs(%{{.*}} : tensor<4x3x8xf32>)
func.func @broadcast_to(%x: tensor<3x1xf32>) -> tensor<4x3x8xf32> {
  %0 = kiln.broadcast_to %x {shape = array<i64: 4, 1, 8>} : (tensor<3x1xf32>) -> tensor<4x3x8xf32>
  return %0 : tensor<4x3x8xf32>
}

// -----

// A dynamic input dim facing a size other than 1 may be 1 or that size:
// the index it reads is chosen at run time.
// CHECK-LABEL: func.func @broadcast_to_dynamic
// CHECK: %[[D:.*]] = tensor.dim %arg0, %c1{{.*}} : tensor<?x?xf32>
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %[[D]], %{{.*}} : index
// CHECK: linalg.generic
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[K:.*]] = arith.select %[[ONE]], %{{.*}}, %[[J]] : index
// CHECK: tensor.extract %arg0[%{{.*}}, %[[K]]] : tensor<?x?xf32>
func.func @broadcast_to_dynamic(%x: tensor<?x?xf32>) -> tensor<?x8xf32> {
  %0 = kiln.broadcast_to %x {shape = array<i64: 1, 8>} : (tensor<?x?xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// An empty piece is a tensor.empty: the verifier accepts no offset at the
// end of a dim, nor any into an empty one.
// CHECK-LABEL: func.func @split_empty_last
// CHECK: %[[A:.*]] = tensor.extract_slice %arg0[0, 0] [2, 8] [1, 1]
// CHECK: %[[B:.*]] = tensor.empty() : tensor<2x0xf32>
// CHECK: return %[[A]], %[[B]]
func.func @split_empty_last(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x0xf32>) {
  %a, %b = kiln.split %x {axis = 1 : i64, sizes = array<i64: 8, 0>} : (tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x0xf32>)
  return %a, %b : tensor<2x8xf32>, tensor<2x0xf32>
}

// -----

// An empty input of a concat is not inserted.
// CHECK-LABEL: func.func @concat_empty_last
// CHECK: %[[R:.*]] = tensor.insert_slice %arg0
// CHECK-NOT: tensor.insert_slice
// CHECK: return %[[R]]
func.func @concat_empty_last(%a: tensor<2x3xf32>, %b: tensor<2x0xf32>) -> tensor<2x3xf32> {
  %0 = kiln.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x0xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
