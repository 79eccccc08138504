// RUN: not kiln-opt %s --convert-kiln-to-linalg --split-input-file 2>%t.err | FileCheck %s
// RUN: FileCheck --check-prefix=ERR %s < %t.err

// A sum is a linalg.generic with a reduction iterator over a zero-filled
// tensor without the reduced axis; keepdims expands it back.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[KEPT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @sum_keepdims
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x8x4xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x4xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[KEPT]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<?x8x4xf32>) outs(%[[F]] : tensor<?x4xf32>)
// CHECK: arith.addf
// CHECK: %[[X:.*]] = tensor.expand_shape %[[R]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
// CHECK: return %[[X]]
func.func @sum_keepdims(%x: tensor<?x8x4xf32>) -> tensor<?x1x4xf32> {
  %0 = kiln.reduce_sum %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x8x4xf32>) -> tensor<?x1x4xf32>
  return %0 : tensor<?x1x4xf32>
}

// -----

// Max starts from -inf (the maximum of an empty set) and propagates NaN;
// unsigned min starts from the largest value and compares unsigned.
// CHECK-LABEL: func.func @max_min
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: arith.constant -1 : i8
// CHECK: arith.minui
func.func @max_min(%x: tensor<3x5xf32>, %u: tensor<3x5xui8>) -> (tensor<3xf32>, tensor<5xui8>) {
  %0 = kiln.reduce_max %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x5xf32>) -> tensor<3xf32>
  %1 = kiln.reduce_min %u {axes = array<i64: 0>, keepdims = false} : (tensor<3x5xui8>) -> tensor<5xui8>
  return %0, %1 : tensor<3xf32>, tensor<5xui8>
}

// -----

// A mean divides the sum by the reduced element count, read at run time.
// CHECK-LABEL: func.func @mean
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c1
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[F:.*]] = arith.uitofp %[[I]] : i64 to f32
// CHECK: arith.divf %{{.*}}, %[[F]] : f32
func.func @mean(%x: tensor<2x?xf32>) -> tensor<2xf32> {
  %0 = kiln.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : (tensor<2x?xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Reducing every axis gives a 0-D tensor; f16 accumulates in f32.
// CHECK-LABEL: func.func @sum_all_f16
// CHECK: tensor.empty() : tensor<f32>
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.addf %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: -> tensor<f16>
func.func @sum_all_f16(%x: tensor<4x4xf16>) -> tensor<f16> {
  %0 = kiln.reduce_sum %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x4xf16>) -> tensor<f16>
  return %0 : tensor<f16>
}

// -----

// log-sum-exp shifts by the maximum where it is finite, so that exp cannot
// overflow and an all -inf set gives -inf rather than NaN.
// CHECK-LABEL: func.func @log_sum_exp
// CHECK: arith.maximumf
// CHECK: math.absf
// CHECK: arith.cmpf one
// CHECK: arith.select
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.log
// CHECK: arith.addf
func.func @log_sum_exp(%x: tensor<?x10xf32>) -> tensor<?xf32> {
  %0 = kiln.reduce_log_sum_exp %x {axes = array<i64: 1>, keepdims = false} : (tensor<?x10xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// L2 is the square root of the sum of squares; L1 sums absolute values.
// CHECK-LABEL: func.func @norms
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: math.sqrt
// CHECK: math.absf
// CHECK: arith.addf
func.func @norms(%x: tensor<3x4xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = kiln.reduce_l2 %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  %1 = kiln.reduce_l1 %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<3xf32>, tensor<3xf32>
}

// -----

// An empty axes list reduces nothing: every loop is parallel.
// CHECK-LABEL: func.func @prod_no_axes
// CHECK: arith.constant 1.000000e+00 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: arith.mulf
func.func @prod_no_axes(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = kiln.reduce_prod %x {axes = array<i64>, keepdims = false} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// argmax carries the best value and its index; with select_last_index an
// equal value also wins. NaN counts as the maximum, as in numpy.
// CHECK-LABEL: func.func @argmax
// CHECK: %[[V:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x10xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xi64>)
// CHECK: arith.cmpf uno
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: linalg.index 1 : index
// CHECK: tensor.expand_shape %[[V]]#1 {{\[}}[0, 1]]
func.func @argmax(%x: tensor<?x10xf32>) -> tensor<?x1xi64> {
  %0 = kiln.argmax %x {axis = 1 : i64, keepdims = true, select_last_index = true} : (tensor<?x10xf32>) -> tensor<?x1xi64>
  return %0 : tensor<?x1xi64>
}

// -----

// argmin of signed integers starts from the largest value.
// CHECK-LABEL: func.func @argmin_int
// CHECK: arith.constant 2147483647 : i32
// CHECK: arith.cmpi slt
func.func @argmin_int(%x: tensor<4x6xi32>) -> tensor<6xi64> {
  %0 = kiln.argmin %x {axis = 0 : i64, keepdims = false, select_last_index = false} : (tensor<4x6xi32>) -> tensor<6xi64>
  return %0 : tensor<6xi64>
}

// -----

// softmax: the max and the sum of shifted exponentials along the axis, then
// one generic that reads both.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK: arith.maximumf {{.*}} fastmath<nsz>
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0, %[[MAX]], %[[SUM]] :
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.divf
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = kiln.softmax %x {axis = 1 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// log_softmax: (x - max) - log(sum(exp(x - max))).
// CHECK-LABEL: func.func @log_softmax
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: %[[T:.*]] = arith.subf
// CHECK: %[[L:.*]] = math.log
// CHECK: arith.subf %[[T]], %[[L]]
func.func @log_softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = kiln.log_softmax %x {axis = 1 : i64} : (tensor<2x10xf32>) -> tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

// Reduction axes known only at run time: each listed axis (negative ones
// counting from the end) is flagged, a parallel generic over the keepdims
// shape loops over each element's window with scf.for, and a reshape drops
// the reduced dims.
// CHECK-LABEL: func.func @dynamic_reduce
// CHECK: %[[A:.*]] = tensor.extract %arg1
// CHECK: %[[AI:.*]] = arith.index_cast %[[A]] : i64 to index
// CHECK: arith.cmpi eq, %[[AI]]
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} outs(%[[E]] : tensor<?x?xf32>)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract %arg0
// CHECK: arith.addf
// CHECK: tensor.reshape %[[R]]
func.func @dynamic_reduce(%x: tensor<3x4xf32>, %axes: tensor<1xi64>) -> tensor<?xf32> {
  %0 = kiln.dynamic_reduce sum %x, %axes {keepdims = false, noop_with_empty_axes = false} : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// log-sum-exp of integers has no lowering.
// ERR: failed to legalize operation 'kiln.reduce_log_sum_exp'
func.func @log_sum_exp_int(%x: tensor<3x4xi32>) -> tensor<3xi32> {
  %0 = kiln.reduce_log_sum_exp %x {axes = array<i64: 1>, keepdims = false} : (tensor<3x4xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}
