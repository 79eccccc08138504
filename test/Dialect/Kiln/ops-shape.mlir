// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Round trip of the shape-computation ops and the ops with run-time shapes
// (KilnShapeOps.td). Result types are the inferred ones unless a case says
// otherwise.

// kiln.shape reads a range of dims, dynamic ones included.
// CHECK-LABEL: func.func @shape
// CHECK: kiln.shape %{{.*}} {end = 3 : i64, start = 1 : i64} : (tensor<?x3x?xf32>) -> tensor<2xi64>
// CHECK: kiln.shape %{{.*}} {end = 0 : i64, start = 0 : i64} : (tensor<?x3x?xf32>) -> tensor<0xi64>
func.func @shape(%x: tensor<?x3x?xf32>) -> (tensor<2xi64>, tensor<0xi64>) {
  %s = kiln.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<?x3x?xf32>) -> tensor<2xi64>
  %e = kiln.shape %x {start = 0 : i64, end = 0 : i64} : (tensor<?x3x?xf32>) -> tensor<0xi64>
  return %s, %e : tensor<2xi64>, tensor<0xi64>
}

// kiln.size is an i64 scalar.
// CHECK-LABEL: func.func @size
// CHECK: kiln.size %{{.*}} : (tensor<?x4xi32>) -> tensor<i64>
func.func @size(%x: tensor<?x4xi32>) -> tensor<i64> {
  %n = kiln.size %x : (tensor<?x4xi32>) -> tensor<i64>
  return %n : tensor<i64>
}

// kiln.range of run-time scalars has a dynamic length.
// CHECK-LABEL: func.func @range
// CHECK: kiln.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
func.func @range(%a: tensor<f32>, %b: tensor<f32>, %d: tensor<f32>) -> tensor<?xf32> {
  %r = kiln.range %a, %b, %d : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// The fill value's type is the result's element type; the shape's length
// is its rank.
// CHECK-LABEL: func.func @constant_of_shape
// CHECK: kiln.constant_of_shape %{{.*}} {value = 1 : i32} : (tensor<3xi64>) -> tensor<?x?x?xi32>
// CHECK: kiln.constant_of_shape %{{.*}} {value = true} : (tensor<0xi64>) -> tensor<i1>
func.func @constant_of_shape(%s: tensor<3xi64>, %e: tensor<0xi64>) -> (tensor<?x?x?xi32>, tensor<i1>) {
  %a = kiln.constant_of_shape %s {value = 1 : i32} : (tensor<3xi64>) -> tensor<?x?x?xi32>
  %b = kiln.constant_of_shape %e {value = true} : (tensor<0xi64>) -> tensor<i1>
  return %a, %b : tensor<?x?x?xi32>, tensor<i1>
}

// A run-time reshape, also with a declared result more static than the
// inferred one.
// CHECK-LABEL: func.func @dynamic_reshape
// CHECK: kiln.dynamic_reshape %{{.*}}, %{{.*}} {allowzero = true} : (tensor<0x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: kiln.dynamic_reshape %{{.*}}, %{{.*}} {allowzero = false} : (tensor<0x3xf32>, tensor<2xi64>) -> tensor<3x0xf32>
func.func @dynamic_reshape(%x: tensor<0x3xf32>, %s: tensor<2xi64>) -> (tensor<?x?xf32>, tensor<3x0xf32>) {
  %a = kiln.dynamic_reshape %x, %s {allowzero = true} : (tensor<0x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %b = kiln.dynamic_reshape %x, %s {allowzero = false} : (tensor<0x3xf32>, tensor<2xi64>) -> tensor<3x0xf32>
  return %a, %b : tensor<?x?xf32>, tensor<3x0xf32>
}

// Input dims other than 1 survive a run-time broadcast; others are dynamic.
// CHECK-LABEL: func.func @dynamic_broadcast_to
// CHECK: kiln.dynamic_broadcast_to %{{.*}}, %{{.*}} : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x3x?xf32>
func.func @dynamic_broadcast_to(%x: tensor<3x1xf32>, %s: tensor<3xi64>) -> tensor<?x3x?xf32> {
  %y = kiln.dynamic_broadcast_to %x, %s : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<?x3x?xf32>
  return %y : tensor<?x3x?xf32>
}

// With keepdims, size-1 dims stay static; without, the rank drops by the
// number of axes.
// CHECK-LABEL: func.func @dynamic_reduce
// CHECK: kiln.dynamic_reduce sum %{{.*}}, %{{.*}} {keepdims = true, noop_with_empty_axes = false} : (tensor<3x1x2xf32>, tensor<?xi64>) -> tensor<?x1x?xf32>
// CHECK: kiln.dynamic_reduce log_sum_exp %{{.*}}, %{{.*}} {keepdims = false, noop_with_empty_axes = false} : (tensor<3x1x2xf32>, tensor<2xi64>) -> tensor<?xf32>
func.func @dynamic_reduce(%x: tensor<3x1x2xf32>, %a: tensor<?xi64>, %b: tensor<2xi64>) -> (tensor<?x1x?xf32>, tensor<?xf32>) {
  %r = kiln.dynamic_reduce sum %x, %a {keepdims = true, noop_with_empty_axes = false} : (tensor<3x1x2xf32>, tensor<?xi64>) -> tensor<?x1x?xf32>
  %s = kiln.dynamic_reduce log_sum_exp %x, %b {keepdims = false, noop_with_empty_axes = false} : (tensor<3x1x2xf32>, tensor<2xi64>) -> tensor<?xf32>
  return %r, %s : tensor<?x1x?xf32>, tensor<?xf32>
}

// A run-time slice keeps the rank; a zero-size dim stays zero.
// CHECK-LABEL: func.func @dynamic_slice
// CHECK: kiln.dynamic_slice %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<20x0xf32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>) -> tensor<?x0xf32>
func.func @dynamic_slice(%x: tensor<20x0xf32>, %b: tensor<1xi32>) -> tensor<?x0xf32> {
  %y = kiln.dynamic_slice %x, %b, %b, %b, %b : (tensor<20x0xf32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>) -> tensor<?x0xf32>
  return %y : tensor<?x0xf32>
}

// One result per entry of the sizes, dynamic along the axis.
// CHECK-LABEL: func.func @dynamic_split
// CHECK: kiln.dynamic_split %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2x?xf32>)
func.func @dynamic_split(%x: tensor<2x6xf32>, %s: tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2x?xf32>) {
  %a, %b = kiln.dynamic_split %x, %s {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2x?xf32>)
  return %a, %b : tensor<2x?xf32>, tensor<2x?xf32>
}

// Run-time squeeze and unsqueeze change the rank by the number of axes.
// CHECK-LABEL: func.func @dynamic_squeeze_unsqueeze
// CHECK: kiln.dynamic_squeeze %{{.*}}, %{{.*}} : (tensor<1x3x1xf32>, tensor<2xi64>) -> tensor<?xf32>
// CHECK: kiln.dynamic_unsqueeze %{{.*}}, %{{.*}} : (tensor<1x3x1xf32>, tensor<2xi64>) -> tensor<?x?x?x?x?xf32>
func.func @dynamic_squeeze_unsqueeze(%x: tensor<1x3x1xf32>, %a: tensor<2xi64>) -> (tensor<?xf32>, tensor<?x?x?x?x?xf32>) {
  %s = kiln.dynamic_squeeze %x, %a : (tensor<1x3x1xf32>, tensor<2xi64>) -> tensor<?xf32>
  %u = kiln.dynamic_unsqueeze %x, %a : (tensor<1x3x1xf32>, tensor<2xi64>) -> tensor<?x?x?x?x?xf32>
  return %s, %u : tensor<?xf32>, tensor<?x?x?x?x?xf32>
}

// A run-time pad, with the fill value as an operand.
// CHECK-LABEL: func.func @dynamic_pad
// CHECK: kiln.dynamic_pad constant %{{.*}}, %{{.*}}, %{{.*}} : (tensor<3x4xi32>, tensor<4xi64>, tensor<i32>) -> tensor<?x?xi32>
// CHECK: kiln.dynamic_pad reflect %{{.*}}, %{{.*}}, %{{.*}} : (tensor<3x4xi32>, tensor<4xi64>, tensor<1xi32>) -> tensor<?x?xi32>
func.func @dynamic_pad(%x: tensor<3x4xi32>, %p: tensor<4xi64>, %v: tensor<i32>, %w: tensor<1xi32>) -> (tensor<?x?xi32>, tensor<?x?xi32>) {
  %a = kiln.dynamic_pad constant %x, %p, %v : (tensor<3x4xi32>, tensor<4xi64>, tensor<i32>) -> tensor<?x?xi32>
  %b = kiln.dynamic_pad reflect %x, %p, %w : (tensor<3x4xi32>, tensor<4xi64>, tensor<1xi32>) -> tensor<?x?xi32>
  return %a, %b : tensor<?x?xi32>, tensor<?x?xi32>
}
