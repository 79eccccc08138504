// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per error message of the shape functions in
// KilnShapeInference.cpp. A shape error is followed by MLIR's own "failed
// to infer returned types".

// kiln.shape needs 0 <= start <= end <= rank.
func.func @shape_range(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{needs 0 <= start <= end <= rank (2), got start 1 and end 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = kiln.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<2x3xf32>) -> tensor<2xi64>
  return
}

// -----

// kiln.range takes scalars.
func.func @range_not_scalar(%a: tensor<1xi64>, %b: tensor<i64>) {
  // expected-error @+2 {{start, limit and delta must be scalars, got 'tensor<1xi64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.range %a, %b, %b : (tensor<1xi64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

// kiln.range takes one element type.
func.func @range_mixed_types(%a: tensor<i64>, %b: tensor<i32>) {
  // expected-error @+2 {{start, limit and delta must have one element type, got 'i64' and 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

// kiln.range has no boolean form.
func.func @range_bool(%a: tensor<i1>) {
  // expected-error @+2 {{start, limit and delta must be numbers, not i1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.range %a, %a, %a : (tensor<i1>, tensor<i1>, tensor<i1>) -> tensor<?xi1>
  return
}

// -----

// A shape operand is a 1-D tensor.
func.func @shape_operand_rank(%x: tensor<4xf32>, %s: tensor<2x2xi64>) {
  // expected-error @+2 {{shape must be a 1-D tensor, got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_reshape %x, %s {allowzero = false} : (tensor<4xf32>, tensor<2x2xi64>) -> tensor<?x?xf32>
  return
}

// -----

// The length of a shape operand is the result's rank, so it must be static.
func.func @shape_operand_dynamic(%x: tensor<4xf32>, %s: tensor<?xi64>) {
  // expected-error @+2 {{shape must have a static length}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_broadcast_to %x, %s : (tensor<4xf32>, tensor<?xi64>) -> tensor<?xf32>
  return
}

// -----

// The fill of kiln.constant_of_shape is a scalar number.
func.func @constant_of_shape_value(%s: tensor<2xi64>) {
  // expected-error @+2 {{'value' must be an integer or float scalar, got dense<1.000000e+00> : tensor<2xf32>}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.constant_of_shape %s {value = dense<1.0> : tensor<2xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

// Without keepdims, a run-time reduction must say how many axes it removes.
func.func @dynamic_reduce_axes_count(%x: tensor<2x3xf32>, %a: tensor<3xi64>) {
  // expected-error @+2 {{without keepdims, axes must have a length in [1, 2], got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_reduce max %x, %a {keepdims = false, noop_with_empty_axes = false} : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<?xf32>
  return
}

// -----

// The bounds of kiln.dynamic_slice share one element type.
func.func @dynamic_slice_types(%x: tensor<4xf32>, %a: tensor<1xi64>, %b: tensor<1xi32>) {
  // expected-error @+2 {{starts, ends, axes and steps must have one element type, got 'i64' and 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_slice %x, %a, %a, %b, %a : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi32>, tensor<1xi64>) -> tensor<?xf32>
  return
}

// -----

// The bounds of kiln.dynamic_slice share one length.
func.func @dynamic_slice_lengths(%x: tensor<4x4xf32>, %a: tensor<1xi64>, %b: tensor<2xi64>) {
  // expected-error @+2 {{starts, ends, axes and steps must have the same length, got 1 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_slice %x, %a, %b, %a, %a : (tensor<4x4xf32>, tensor<1xi64>, tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

// A slice names at most one bound per axis.
func.func @dynamic_slice_too_many(%x: tensor<4xf32>, %a: tensor<2xi64>) {
  // expected-error @+2 {{slices 2 axes of a rank-1 tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_slice %x, %a, %a, %a, %a : (tensor<4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?xf32>
  return
}

// -----

// The split axis must be in range.
func.func @dynamic_split_axis(%x: tensor<4xf32>, %s: tensor<2xi64>) {
  // expected-error @+2 {{axis 1 is out of range [0, 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %a, %b = kiln.dynamic_split %x, %s {axis = 1 : i64} : (tensor<4xf32>, tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

// A split has at least one piece.
func.func @dynamic_split_empty(%x: tensor<4xf32>, %s: tensor<0xi64>) {
  // expected-error @+2 {{sizes must not be empty}}
  // expected-error @+1 {{failed to infer returned types}}
  %a = kiln.dynamic_split %x, %s {axis = 0 : i64} : (tensor<4xf32>, tensor<0xi64>) -> tensor<?xf32>
  return
}

// -----

// Run-time squeeze axes are never empty (an empty list has its own meaning
// in ONNX, which the importer resolves).
func.func @dynamic_squeeze_empty(%x: tensor<1x4xf32>, %a: tensor<0xi64>) {
  // expected-error @+2 {{axes must not be empty}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_squeeze %x, %a : (tensor<1x4xf32>, tensor<0xi64>) -> tensor<?x?xf32>
  return
}

// -----

// A squeeze cannot remove more dims than there are.
func.func @dynamic_squeeze_too_many(%x: tensor<1xf32>, %a: tensor<2xi64>) {
  // expected-error @+2 {{cannot squeeze 2 axes of a rank-1 tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_squeeze %x, %a : (tensor<1xf32>, tensor<2xi64>) -> tensor<f32>
  return
}

// -----

// Run-time pads hold a begin and an end pad per dimension.
func.func @dynamic_pad_count(%x: tensor<2x3xf32>, %p: tensor<3xi64>, %v: tensor<f32>) {
  // expected-error @+2 {{pads must have 4 entries, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_pad constant %x, %p, %v : (tensor<2x3xf32>, tensor<3xi64>, tensor<f32>) -> tensor<?x?xf32>
  return
}

// -----

// The fill of kiln.dynamic_pad is one element.
func.func @dynamic_pad_value_size(%x: tensor<2xf32>, %p: tensor<2xi64>, %v: tensor<2xf32>) {
  // expected-error @+2 {{value must have exactly one element, got 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_pad constant %x, %p, %v : (tensor<2xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<?xf32>
  return
}

// -----

// The fill of kiln.dynamic_pad has the input's element type.
func.func @dynamic_pad_value_type(%x: tensor<2xf32>, %p: tensor<2xi64>, %v: tensor<i32>) {
  // expected-error @+2 {{value must have the input's element type 'f32', got 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_pad constant %x, %p, %v : (tensor<2xf32>, tensor<2xi64>, tensor<i32>) -> tensor<?xf32>
  return
}

// -----

// A declared result of kiln.dynamic_broadcast_to cannot contradict a kept
// input dim.
func.func @dynamic_broadcast_kept_dim(%x: tensor<3xf32>, %s: tensor<1xi64>) {
  // expected-error @+2 {{inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = kiln.dynamic_broadcast_to %x, %s : (tensor<3xf32>, tensor<1xi64>) -> tensor<4xf32>
  return
}
