// RUN: kiln-opt %s -split-input-file -canonicalize | FileCheck %s

// Folding of shape computations (KilnShapeFolds.cpp): static dims become
// constants, and small constant tensors fold through the ops that compute
// shapes.

// kiln.shape of static dims folds, even where other dims are dynamic.
// CHECK-LABEL: func @shape_static_range
// CHECK: %[[C:.*]] = kiln.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: %[[D:.*]] = kiln.shape %{{.*}} {end = 2 : i64, start = 0 : i64}
// CHECK: return %[[C]], %[[D]]
func.func @shape_static_range(%x: tensor<?x3x4xf32>) -> (tensor<2xi64>, tensor<2xi64>) {
  %s = kiln.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  %d = kiln.shape %x {start = 0 : i64, end = 2 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  return %s, %d : tensor<2xi64>, tensor<2xi64>
}

// -----

// kiln.size of a static shape folds; of a dynamic one it stays.
// CHECK-LABEL: func @size
// CHECK: %[[C:.*]] = kiln.constant dense<12> : tensor<i64>
// CHECK: %[[D:.*]] = kiln.size
// CHECK: return %[[C]], %[[D]]
func.func @size(%x: tensor<3x4xf32>, %y: tensor<?x4xf32>) -> (tensor<i64>, tensor<i64>) {
  %a = kiln.size %x : (tensor<3x4xf32>) -> tensor<i64>
  %b = kiln.size %y : (tensor<?x4xf32>) -> tensor<i64>
  return %a, %b : tensor<i64>, tensor<i64>
}

// -----

// Shape, gather, concat and cast of constants fold to one constant.
// CHECK-LABEL: func @gather_concat_cast
// CHECK: %[[C:.*]] = kiln.constant dense<[4.000000e+00, 2.000000e+00, -1.000000e+00]> : tensor<3xf32>
// CHECK-NEXT: return %[[C]]
func.func @gather_concat_cast(%x: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %s = kiln.shape %x {start = 0 : i64, end = 3 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %i = kiln.constant dense<[-1, 0]> : tensor<2xi64>
  %g = kiln.gather %s, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %m = kiln.constant dense<-1> : tensor<1xi64>
  %c = kiln.concat %g, %m {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %f = kiln.cast %c {to = f32} : (tensor<3xi64>) -> tensor<3xf32>
  return %f : tensor<3xf32>
}

// -----

// A gather with an out-of-range constant index is left for run time.
// CHECK-LABEL: func @gather_out_of_range
// CHECK: kiln.gather
func.func @gather_out_of_range(%x: tensor<3xi64>) -> tensor<1xi64> {
  %d = kiln.constant dense<[1, 2, 3]> : tensor<3xi64>
  %i = kiln.constant dense<3> : tensor<1xi64>
  %g = kiln.gather %d, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %g : tensor<1xi64>
}

// -----

// Casts follow ONNX: float to integer truncates toward zero, to i1 is
// non-zero, unsigned sources zero-extend; out-of-range floats stay.
// CHECK-LABEL: func @cast
// CHECK-DAG: kiln.constant dense<[-2, 2]> : tensor<2xi32>
// CHECK-DAG: kiln.constant dense<[false, true]> : tensor<2xi1>
// CHECK-DAG: kiln.constant dense<255> : tensor<1xi64>
// CHECK-DAG: kiln.cast %{{.*}} {to = i8}
func.func @cast() -> (tensor<2xi32>, tensor<2xi1>, tensor<1xi64>, tensor<1xi8>) {
  %f = kiln.constant dense<[-2.7, 2.7]> : tensor<2xf32>
  %a = kiln.cast %f {to = i32} : (tensor<2xf32>) -> tensor<2xi32>
  %z = kiln.constant dense<[0.0, -0.5]> : tensor<2xf32>
  %b = kiln.cast %z {to = i1} : (tensor<2xf32>) -> tensor<2xi1>
  %u = kiln.constant dense<255> : tensor<1xui8>
  %c = kiln.cast %u {to = i64} : (tensor<1xui8>) -> tensor<1xi64>
  %big = kiln.constant dense<300.0> : tensor<1xf32>
  %d = kiln.cast %big {to = i8} : (tensor<1xf32>) -> tensor<1xi8>
  return %a, %b, %c, %d : tensor<2xi32>, tensor<2xi1>, tensor<1xi64>, tensor<1xi8>
}

// -----

// Comparisons, where, max/min, logic and negation of constants broadcast.
// CHECK-LABEL: func @elementwise
// CHECK-DAG: kiln.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: kiln.constant dense<[1, 5, 5]> : tensor<3xi64>
// CHECK-DAG: kiln.constant dense<[-1, -2, -3]> : tensor<3xi64>
// CHECK-NOT: kiln.equal
// CHECK-NOT: kiln.where
// CHECK-NOT: kiln.neg
func.func @elementwise() -> (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) {
  %a = kiln.constant dense<[1, 2, 3]> : tensor<3xi64>
  %one = kiln.constant dense<1> : tensor<i64>
  %five = kiln.constant dense<5> : tensor<i64>
  %e = kiln.equal %a, %one : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %ne = kiln.not %e : (tensor<3xi1>) -> tensor<3xi1>
  %both = kiln.and %e, %ne : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %either = kiln.or %e, %both : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %w = kiln.where %either, %a, %five : (tensor<3xi1>, tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %lt = kiln.less %a, %five : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %m = kiln.max %w, %one : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %n = kiln.neg %a : (tensor<3xi64>) -> tensor<3xi64>
  return %either, %m, %n : tensor<3xi1>, tensor<3xi64>, tensor<3xi64>
}

// -----

// A constant slice folds, negative steps included.
// CHECK-LABEL: func @slice
// CHECK: kiln.constant dense<[4, 2]> : tensor<2xi64>
func.func @slice() -> tensor<2xi64> {
  %a = kiln.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %s = kiln.slice %a {axes = array<i64: 0>, ends = array<i64: 0>, starts = array<i64: -1>, steps = array<i64: -2>} : (tensor<4xi64>) -> tensor<2xi64>
  return %s : tensor<2xi64>
}

// -----

// Tensors above 64 elements are never folded (weights stay as they are).
// CHECK-LABEL: func @large_not_folded
// CHECK: kiln.concat
func.func @large_not_folded(%x: tensor<1xi64>) -> tensor<80xi64> {
  %a = kiln.constant dense<1> : tensor<40xi64>
  %b = kiln.constant dense<2> : tensor<40xi64>
  %c = kiln.concat %a, %b {axis = 0 : i64} : (tensor<40xi64>, tensor<40xi64>) -> tensor<80xi64>
  return %c : tensor<80xi64>
}
