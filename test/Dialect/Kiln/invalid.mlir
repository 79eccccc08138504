// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// One case per error message of the kiln shape functions (TypeInference.cpp)
// for every op family that can reach it, plus ODS constraint errors. A shape
// error is followed by MLIR's own "failed to infer returned types".

// A float-only unary op rejects an integer tensor (ODS operand constraint).
func.func @float_op_on_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %r = kiln.exp %x : (tensor<4xi32>) -> tensor<4xi32>
  return
}

// -----

// kiln.not only takes i1 tensors.
func.func @not_on_float(%x: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %r = kiln.not %x : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// Unranked tensors are rejected by the operand constraint, before shape inference.
func.func @unranked_operand(%x: tensor<*xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or integer values, but got 'tensor<*xf32>'}}
  %r = kiln.neg %x : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// The condition of kiln.where must be i1.
func.func @where_condition_not_i1(%c: tensor<4xf32>, %x: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %r = kiln.where %c, %x, %x : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// The result of kiln.argmax is always i64.
func.func @argmax_result_not_i64(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 64-bit signless integer values, but got 'tensor<4xi32>'}}
  %r = kiln.argmax %x {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<4x5xf32>) -> tensor<4xi32>
  return
}

// -----

// A comparison produces i1, not the operand element type (ODS result constraint).
func.func @comparison_result_not_i1(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %r = kiln.less %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// Gather indices must be integers.
func.func @gather_float_indices(%x: tensor<4x5xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of integer values, but got 'tensor<3xf32>'}}
  %r = kiln.gather %x, %i {axis = 0 : i64} : (tensor<4x5xf32>, tensor<3xf32>) -> tensor<3x5xf32>
  return
}

// -----

// kiln.conv is float-only.
func.func @conv_integer(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<1x3x8x8xi8>'}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x6x6xi8>
  return
}

// -----

// A required attribute cannot be left out.
func.func @missing_attribute(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{requires attribute 'axis'}}
  %r = kiln.softmax %x : (tensor<4x5xf32>) -> tensor<4x5xf32>
  return
}

// -----

// A declared static dim that contradicts the inferred one is rejected.
func.func @result_static_dim_mismatch(%a: tensor<?x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x5xf32>
  return
}

// -----

// A declared result of another rank is rejected even if fully dynamic.
func.func @result_rank_mismatch(%x: tensor<?x8xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<?x1xf32>' are incompatible with return type(s) of operation 'tensor<?xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reduce_sum %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x8xf32>) -> tensor<?xf32>
  return
}

// -----

// The result keeps the operand element type.
func.func @result_element_type_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x4xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf16>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf16>
  return
}

// -----

// The element type of a cast result is the "to" type.
func.func @cast_result_type_mismatch(%x: tensor<4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4xf16>' are incompatible with return type(s) of operation 'tensor<4xbf16>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.cast %x {to = f16} : (tensor<4xf32>) -> tensor<4xbf16>
  return
}

// -----

// kiln.split has exactly one result per entry of sizes.
func.func @split_result_count_mismatch(%x: tensor<?x8xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<?x2xf32>', 'tensor<?x6xf32>' are incompatible with return type(s) of operation 'tensor<?x2xf32>', 'tensor<?x6xf32>', 'tensor<?x0xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r:3 = kiln.split %x {axis = 1 : i64, sizes = array<i64: 2, 6>} : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x6xf32>, tensor<?x0xf32>)
  return
}

// -----

// A constant must be a ranked tensor; its type is inferred while parsing.
func.func @constant_not_tensor() {
  // expected-error @+1 {{value must be a ranked tensor, got 'vector<2xf32>'}}
  %r = kiln.constant dense<1.0> : vector<2xf32>
  return
}

// -----

// clip bounds must be ordered.
func.func @clip_min_above_max(%x: tensor<4xf32>) {
  // expected-error @+2 {{'min' (6.000000e+00) must not exceed 'max' (0.000000e+00)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.clip %x {max = 0.0, min = 6.0} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// cast only converts to integer or float element types.
func.func @cast_to_index(%x: tensor<4xf32>) {
  // expected-error @+2 {{'to' must be an integer or float type, got 'index'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.cast %x {to = index} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// Both operands of a binary op share an element type.
func.func @add_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+2 {{lhs and rhs must have the same element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

// Static dims that differ and are not 1 do not broadcast.
func.func @add_not_broadcastable(%a: tensor<?x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: ?x3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.add %a, %b : (tensor<?x3xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return
}

// -----

// Comparisons also need one element type.
func.func @equal_element_types(%a: tensor<4xi32>, %b: tensor<4xi64>) {
  // expected-error @+2 {{lhs and rhs must have the same element type, got 'i32' and 'i64'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.equal %a, %b : (tensor<4xi32>, tensor<4xi64>) -> tensor<4xi1>
  return
}

// -----

// Comparisons broadcast like arithmetic.
func.func @greater_not_broadcastable(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 2x3 and 3x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.greater %a, %b : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<3x3xi1>
  return
}

// -----

// Logic ops broadcast too.
func.func @and_not_broadcastable(%a: tensor<2xi1>, %b: tensor<3xi1>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 2 and 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.and %a, %b : (tensor<2xi1>, tensor<3xi1>) -> tensor<3xi1>
  return
}

// -----

// x and y of kiln.where share an element type.
func.func @where_element_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xi32>) {
  // expected-error @+2 {{x and y must have the same element type, got 'f32' and 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>
  return
}

// -----

// x and y must broadcast with each other.
func.func @where_xy_not_broadcastable(%c: tensor<i1>, %x: tensor<4xf32>, %y: tensor<5xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 4 and 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.where %c, %x, %y : (tensor<i1>, tensor<4xf32>, tensor<5xf32>) -> tensor<5xf32>
  return
}

// -----

// The condition must broadcast with the x/y shape.
func.func @where_condition_not_broadcastable(%c: tensor<3xi1>, %x: tensor<2x4xf32>, %y: tensor<f32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 3 and 2x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.where %c, %x, %y : (tensor<3xi1>, tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  return
}

// -----

// Matmul operands share an element type.
func.func @matmul_element_types(%a: tensor<2x3xf32>, %b: tensor<3x4xbf16>) {
  // expected-error @+2 {{lhs and rhs must have the same element type, got 'f32' and 'bf16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xbf16>) -> tensor<2x4xf32>
  return
}

// -----

// Matmul needs operands of rank at least 1.
func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operands must have rank at least 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.matmul %a, %b : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// The contracting dims of lhs and rhs must agree.
func.func @matmul_contracting_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contracting dimension mismatch: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

// A 1-D rhs is a column whose size is the contracting dim.
func.func @matmul_vector_contracting_mismatch(%a: tensor<?x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{contracting dimension mismatch: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.matmul %a, %b : (tensor<?x3xf32>, tensor<4xf32>) -> tensor<?xf32>
  return
}

// -----

// Matmul batch dims must broadcast.
func.func @matmul_batch_not_broadcastable(%a: tensor<2x3x4xf32>, %b: tensor<5x4x6xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 2 and 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.matmul %a, %b : (tensor<2x3x4xf32>, tensor<5x4x6xf32>) -> tensor<5x3x6xf32>
  return
}

// -----

// Input and weight of a convolution share an element type.
func.func @conv_element_types(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf16>) {
  // expected-error @+2 {{input and weight must have the same element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf16>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// A convolution input is (N, C, spatial...).
func.func @conv_input_rank(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+2 {{input must have rank at least 3 (N, C, spatial...), got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64>, group = 1 : i64, pads = array<i64>, strides = array<i64>} : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32>
  return
}

// -----

// One stride per spatial dim.
func.func @conv_strides_count(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'strides' must have 2 entries, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Strides are at least 1.
func.func @conv_strides_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'strides' entries must be at least 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Pads hold a begin and an end per spatial dim.
func.func @conv_pads_count(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'pads' must have 4 entries, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Pads are non-negative.
func.func @conv_pads_negative(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'pads' entries must be at least 0, got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, -1, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// One dilation per spatial dim.
func.func @conv_dilations_count(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'dilations' must have 2 entries, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Dilations are at least 1.
func.func @conv_dilations_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'dilations' entries must be at least 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 0, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Weight and input have the same rank.
func.func @conv_weight_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3xf32>) {
  // expected-error @+2 {{weight rank 3 must equal input rank 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// group is at least 1.
func.func @conv_group_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{'group' must be at least 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Output channels split evenly into groups.
func.func @conv_out_channels_group(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+2 {{output channels 6 must be divisible by group 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

// Input channels equal weight dim 1 times group.
func.func @conv_in_channels_group(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+2 {{input channels 4 must equal weight input channels 3 times group 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// The bias shares the input element type.
func.func @conv_bias_element_type(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf16>) {
  // expected-error @+2 {{input and bias must have the same element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf16>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// The bias is 1-D.
func.func @conv_bias_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+2 {{bias must have rank 1, got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<1x8xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// The bias has one entry per output channel.
func.func @conv_bias_size(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{bias size and output channels mismatch: 4 vs 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// A dilated kernel wider than the padded input leaves no output.
func.func @conv_kernel_too_large(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{spatial dimension 1 has a non-positive output size: the dilated kernel is larger than the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv %x, %w {dilations = array<i64: 1, 4>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Input and weight of a transposed convolution share an element type.
func.func @conv_transpose_element_types(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf16>) {
  // expected-error @+2 {{input and weight must have the same element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf16>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// A transposed convolution input is (N, C, spatial...) too.
func.func @conv_transpose_input_rank(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+2 {{input must have rank at least 3 (N, C, spatial...), got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64>, group = 1 : i64, output_padding = array<i64>, pads = array<i64>, strides = array<i64>} : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return
}

// -----

// The shared window attributes are checked for kiln.conv_transpose too.
func.func @conv_transpose_strides_count(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{'strides' must have 2 entries, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// One output padding per spatial dim.
func.func @conv_transpose_output_padding_count(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{'output_padding' must have 2 entries, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Output paddings are non-negative.
func.func @conv_transpose_output_padding_negative(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{'output_padding' entries must be at least 0, got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, -1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Weight and input have the same rank.
func.func @conv_transpose_weight_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3x3xf32>) {
  // expected-error @+2 {{weight rank 5 must equal input rank 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// group is at least 1.
func.func @conv_transpose_group_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{'group' must be at least 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 0 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Weight dim 0 is the input channel count.
func.func @conv_transpose_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+2 {{input channels and weight dimension 0 mismatch: 4 vs 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Input channels split evenly into groups.
func.func @conv_transpose_in_channels_group(%x: tensor<1x6x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+2 {{input channels 6 must be divisible by group 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 4 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x6x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// The bias shares the input element type.
func.func @conv_transpose_bias_element_type(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xbf16>) {
  // expected-error @+2 {{input and bias must have the same element type, got 'f32' and 'bf16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xbf16>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// The bias is 1-D.
func.func @conv_transpose_bias_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<f32>) {
  // expected-error @+2 {{bias must have rank 1, got rank 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<f32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Output channels are weight dim 1 times group.
func.func @conv_transpose_bias_size(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{bias size and output channels mismatch: 2 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>, tensor<2xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Output padding must be smaller than the stride or the dilation.
func.func @conv_transpose_output_padding_too_large(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{'output_padding' entry 2 must be smaller than its stride or dilation}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 2, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Pads larger than the full output leave nothing.
func.func @conv_transpose_non_positive(%x: tensor<1x4x1x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{spatial dimension 0 has a non-positive output size}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 2, 0, 1, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x1x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

// Pooling needs an (N, C, spatial...) input.
func.func @max_pool_input_rank(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{input must have rank at least 3 (N, C, spatial...), got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.max_pool %x {ceil_mode = false, dilations = array<i64>, kernel_shape = array<i64: 2>, pads = array<i64>, strides = array<i64>} : (tensor<4x8xf32>) -> tensor<4x7xf32>
  return
}

// -----

// Same rule for kiln.average_pool.
func.func @average_pool_input_rank(%x: tensor<8xf32>) {
  // expected-error @+2 {{input must have rank at least 3 (N, C, spatial...), got rank 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64>, kernel_shape = array<i64>, pads = array<i64>, strides = array<i64>} : (tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

// One kernel size per spatial dim.
func.func @max_pool_kernel_count(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{'kernel_shape' must have 2 entries, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// Kernel sizes are at least 1.
func.func @max_pool_kernel_zero(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{'kernel_shape' entries must be at least 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// The shared window attributes are checked for pooling.
func.func @max_pool_pads_count(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{'pads' must have 4 entries, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// Strides of kiln.average_pool are at least 1.
func.func @average_pool_strides_zero(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{'strides' entries must be at least 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 0, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// One dilation per spatial dim.
func.func @average_pool_dilations_count(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{'dilations' must have 2 entries, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// A pad as large as the (dilated) kernel would make all-padding windows.
func.func @max_pool_pad_not_smaller_than_kernel(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{pads of spatial dimension 0 must be smaller than the kernel (3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 3, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// Same rule for kiln.average_pool, on an end pad.
func.func @average_pool_pad_not_smaller_than_kernel(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{pads of spatial dimension 1 must be smaller than the kernel (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 2>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// A kernel larger than the padded input leaves no output.
func.func @max_pool_kernel_too_large(%x: tensor<1x4x2x8xf32>) {
  // expected-error @+2 {{spatial dimension 0 has a non-positive output size: the kernel is larger than the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x2x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// Same rule for kiln.average_pool, with dilation.
func.func @average_pool_kernel_too_large(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{spatial dimension 1 has a non-positive output size: the kernel is larger than the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 8>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// Global pooling needs spatial dims.
func.func @global_average_pool_rank(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{input must have rank at least 3 (N, C, spatial...), got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.global_average_pool %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Same rule for kiln.global_max_pool.
func.func @global_max_pool_rank(%x: tensor<4xi32>) {
  // expected-error @+2 {{input must have rank at least 3 (N, C, spatial...), got rank 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.global_max_pool %x : (tensor<4xi32>) -> tensor<4xi32>
  return
}

// -----

// Batch norm needs (N, C, ...).
func.func @batch_norm_input_rank(%x: tensor<4xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) {
  // expected-error @+2 {{input must have rank at least 2 (N, C, ...), got rank 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// The parameters share the input element type.
func.func @batch_norm_scale_element_type(%x: tensor<?x4x8x8xf32>, %s: tensor<4xf16>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) {
  // expected-error @+2 {{input and scale must have the same element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x4x8x8xf32>, tensor<4xf16>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

// Every parameter is checked, the last one too.
func.func @batch_norm_variance_element_type(%x: tensor<?x4x8x8xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xbf16>) {
  // expected-error @+2 {{input and variance must have the same element type, got 'f32' and 'bf16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xbf16>) -> tensor<?x4x8x8xf32>
  return
}

// -----

// The parameters are 1-D.
func.func @batch_norm_mean_rank(%x: tensor<?x4x8x8xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<1x4xf32>, %v: tensor<4xf32>) {
  // expected-error @+2 {{mean must have rank 1, got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<1x4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

// The parameters have one entry per channel.
func.func @batch_norm_scale_size(%x: tensor<?x4x8x8xf32>, %s: tensor<3xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) {
  // expected-error @+2 {{scale size and input channels mismatch: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x4x8x8xf32>, tensor<3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

// With dynamic channels, the parameters must still agree with each other.
func.func @batch_norm_params_disagree(%x: tensor<?x?x8xf32>, %s: tensor<4xf32>, %b: tensor<?xf32>, %m: tensor<4xf32>, %v: tensor<5xf32>) {
  // expected-error @+2 {{variance size and input channels mismatch: 5 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x?x8xf32>, tensor<4xf32>, tensor<?xf32>, tensor<4xf32>, tensor<5xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

// The layer-norm axis must be a dim of the input.
func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Axes are non-negative; the importer normalises them.
func.func @layer_norm_negative_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+2 {{axis -1 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// scale shares the input element type.
func.func @layer_norm_scale_element_type(%x: tensor<2x8xf32>, %g: tensor<8xf16>) {
  // expected-error @+2 {{input and scale must have the same element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x8xf32>, tensor<8xf16>) -> tensor<2x8xf32>
  return
}

// -----

// bias shares the input element type.
func.func @layer_norm_bias_element_type(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf16>) {
  // expected-error @+2 {{input and bias must have the same element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf16>) -> tensor<2x8xf32>
  return
}

// -----

// scale must broadcast to the normalized dims.
func.func @layer_norm_scale_shape(%x: tensor<2x3x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+2 {{scale of shape 4 does not broadcast to the normalized shape 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x3x8xf32>, tensor<4xf32>) -> tensor<2x3x8xf32>
  return
}

// -----

// scale may not have more dims than are normalized.
func.func @layer_norm_scale_rank(%x: tensor<2x3x8xf32>, %g: tensor<3x8xf32>) {
  // expected-error @+2 {{scale of shape 3x8 does not broadcast to the normalized shape 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x3x8xf32>, tensor<3x8xf32>) -> tensor<2x3x8xf32>
  return
}

// -----

// scale may not widen a normalized dim of size 1.
func.func @layer_norm_scale_widens(%x: tensor<2x1x8xf32>, %g: tensor<3x8xf32>) {
  // expected-error @+2 {{scale of shape 3x8 does not broadcast to the normalized shape 1x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x1x8xf32>, tensor<3x8xf32>) -> tensor<2x1x8xf32>
  return
}

// -----

// bias must broadcast to the normalized dims.
func.func @layer_norm_bias_shape(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{bias of shape 2 does not broadcast to the normalized shape 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<2xf32>) -> tensor<2x8xf32>
  return
}

// -----

// The softmax axis must be a dim of the input.
func.func @softmax_axis(%x: tensor<?x10xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.softmax %x {axis = 2 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return
}

// -----

// Same rule for kiln.log_softmax, with a negative axis.
func.func @log_softmax_axis(%x: tensor<?x10xf32>) {
  // expected-error @+2 {{axis -1 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.log_softmax %x {axis = -1 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return
}

// -----

// Reduction axes must be dims of the input.
func.func @reduce_axis_out_of_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{axis 3 is out of range [0, 3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reduce_sum %x {axes = array<i64: 0, 3>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<3xf32>
  return
}

// -----

// Reduction axes are non-negative.
func.func @reduce_negative_axis(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{axis -1 is out of range [0, 3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reduce_max %x {axes = array<i64: -1>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Reduction axes are sorted.
func.func @reduce_axes_unsorted(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'axes' must be sorted and unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reduce_mean %x {axes = array<i64: 2, 0>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<3xf32>
  return
}

// -----

// Reduction axes are unique.
func.func @reduce_axes_duplicate(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'axes' must be sorted and unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reduce_l2 %x {axes = array<i64: 1, 1>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  return
}

// -----

// The argmax axis must be a dim of the input.
func.func @argmax_axis(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.argmax %x {axis = 2 : i64, keepdims = false, select_last_index = false} : (tensor<4x5xf32>) -> tensor<4xi64>
  return
}

// -----

// Same rule for kiln.argmin, with a negative axis.
func.func @argmin_axis(%x: tensor<4x5xi32>) {
  // expected-error @+2 {{axis -2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.argmin %x {axis = -2 : i64, keepdims = true, select_last_index = false} : (tensor<4x5xi32>) -> tensor<1x5xi64>
  return
}

// -----

// Shape entries are positive, 0 or -1.
func.func @reshape_entry_below_minus_one(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'shape' entries must be positive, 0 or -1, got -2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reshape %x {shape = array<i64: -2, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Only one dim can be computed.
func.func @reshape_two_minus_one(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'shape' may contain at most one -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reshape %x {shape = array<i64: -1, -1>} : (tensor<2x3xf32>) -> tensor<?x?xf32>
  return
}

// -----

// A 0 entry copies an input dim, which must exist.
func.func @reshape_copy_past_rank(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'shape' entry 2 copies an input dimension, but the input has rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reshape %x {shape = array<i64: 1, 6, 0>} : (tensor<2x3xf32>) -> tensor<1x6x3xf32>
  return
}

// -----

// The -1 dim must come out whole.
func.func @reshape_not_divisible(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{cannot reshape 2x3x4 into 5x-1: the element count does not divide evenly}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reshape %x {shape = array<i64: 5, -1>} : (tensor<2x3x4xf32>) -> tensor<5x?xf32>
  return
}

// -----

// Without -1 the element counts must match; a copied dynamic dim cancels out.
func.func @reshape_count_differs(%x: tensor<?x3x4xf32>) {
  // expected-error @+2 {{cannot reshape ?x3x4 into ?x5x2: element counts differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.reshape %x {shape = array<i64: 0, 5, 2>} : (tensor<?x3x4xf32>) -> tensor<?x5x2xf32>
  return
}

// -----

// perm has one entry per dim.
func.func @transpose_perm_size(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'perm' must have 3 entries, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  return
}

// -----

// perm is a permutation: no repeats.
func.func @transpose_perm_duplicate(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'perm' must be a permutation of [0, 3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.transpose %x {perm = array<i64: 0, 1, 1>} : (tensor<2x3x4xf32>) -> tensor<2x3x3xf32>
  return
}

// -----

// perm is a permutation: entries in range.
func.func @transpose_perm_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'perm' must be a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.transpose %x {perm = array<i64: 2, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

// Concatenating nothing is not allowed.
func.func @concat_no_inputs() {
  // expected-error @+2 {{requires at least one input}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.concat {axis = 0 : i64} : () -> tensor<0xf32>
  return
}

// -----

// The concat axis must be a dim of the inputs.
func.func @concat_axis(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.concat %a, %b {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

// All inputs share an element type.
func.func @concat_element_types(%a: tensor<2x3xf32>, %b: tensor<2x3xi32>) {
  // expected-error @+2 {{input 0 and every input must have the same element type, got 'f32' and 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xi32>) -> tensor<2x6xf32>
  return
}

// -----

// All inputs have the same rank.
func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{input 1 has rank 1, expected 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x6xf32>
  return
}

// -----

// Dims other than the axis must agree, through a dynamic one.
func.func @concat_other_dim(%a: tensor<2x3xf32>, %b: tensor<?x3xf32>, %c: tensor<4x3xf32>) {
  // expected-error @+2 {{input 2 dimension 0 mismatch: 2 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.concat %a, %b, %c {axis = 1 : i64} : (tensor<2x3xf32>, tensor<?x3xf32>, tensor<4x3xf32>) -> tensor<2x9xf32>
  return
}

// -----

// The split axis must be a dim of the input.
func.func @split_axis(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r:2 = kiln.split %x {axis = 2 : i64, sizes = array<i64: 2, 2>} : (tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
  return
}

// -----

// A split has at least one piece.
func.func @split_no_sizes(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'sizes' must not be empty}}
  // expected-error @+1 {{failed to infer returned types}}
  kiln.split %x {axis = 1 : i64, sizes = array<i64>} : (tensor<4x8xf32>) -> ()
  return
}

// -----

// Piece sizes are non-negative.
func.func @split_negative_size(%x: tensor<4x?xf32>) {
  // expected-error @+2 {{'sizes' entries must be non-negative, got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r:2 = kiln.split %x {axis = 1 : i64, sizes = array<i64: 3, -1>} : (tensor<4x?xf32>) -> (tensor<4x3xf32>, tensor<4x?xf32>)
  return
}

// -----

// Piece sizes add up to the static axis size.
func.func @split_sizes_sum(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'sizes' add up to 7 but dimension 1 has size 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r:2 = kiln.split %x {axis = 1 : i64, sizes = array<i64: 2, 5>} : (tensor<4x8xf32>) -> (tensor<4x2xf32>, tensor<4x5xf32>)
  return
}

// -----

// starts, ends, axes and steps are parallel lists.
func.func @slice_lengths(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'starts', 'ends', 'axes' and 'steps' must have the same length}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.slice %x {axes = array<i64: 0>, ends = array<i64: 2, 2>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Sliced axes must be dims of the input.
func.func @slice_axis(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.slice %x {axes = array<i64: 2>, ends = array<i64: 2>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Sliced axes are non-negative.
func.func @slice_negative_axis(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{axis -1 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.slice %x {axes = array<i64: -1>, ends = array<i64: 2>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x2xf32>
  return
}

// -----

// An axis is sliced at most once.
func.func @slice_axis_twice(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{axis 1 is sliced twice}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.slice %x {axes = array<i64: 1, 1>, ends = array<i64: 2, 3>, starts = array<i64: 0, 1>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<4x2xf32>
  return
}

// -----

// Steps are non-zero.
func.func @slice_zero_step(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'steps' entries must be non-zero}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: 2>, starts = array<i64: 0>, steps = array<i64: 0>} : (tensor<4x8xf32>) -> tensor<4x2xf32>
  return
}

// -----

// The gather axis must be a dim of the data.
func.func @gather_axis(%x: tensor<4x5xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.gather %x, %i {axis = 2 : i64} : (tensor<4x5xf32>, tensor<3xi64>) -> tensor<4x5xf32>
  return
}

// -----

// pads hold a begin and an end per dim.
func.func @pad_count(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{'pads' must have 4 entries, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.pad constant %x {pads = array<i64: 1, 1>, value = 0.0} : (tensor<4x5xf32>) -> tensor<6x5xf32>
  return
}

// -----

// pads are non-negative (no cropping).
func.func @pad_negative(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{'pads' entries must be at least 0, got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.pad edge %x {pads = array<i64: 0, 0, -1, 0>, value = 0.0} : (tensor<4x5xf32>) -> tensor<3x5xf32>
  return
}

// -----

// A reflect pad must be smaller than its dim.
func.func @pad_reflect_too_wide(%x: tensor<4x3xf32>) {
  // expected-error @+2 {{reflect pads of dimension 1 must be smaller than its size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.pad reflect %x {pads = array<i64: 0, 0, 0, 3>, value = 0.0} : (tensor<4x3xf32>) -> tensor<4x6xf32>
  return
}

// -----

// Edge padding has no edge to copy from an empty dim.
func.func @pad_edge_empty(%x: tensor<0x3xf32>) {
  // expected-error @+2 {{edge padding needs a non-empty dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.pad edge %x {pads = array<i64: 1, 0, 0, 0>, value = 0.0} : (tensor<0x3xf32>) -> tensor<1x3xf32>
  return
}

// -----

// Target dims are non-negative.
func.func @broadcast_to_non_positive(%x: tensor<3x1xf32>) {
  // expected-error @+2 {{'shape' entries must be non-negative, got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.broadcast_to %x {shape = array<i64: 3, -1>} : (tensor<3x1xf32>) -> tensor<3x1xf32>
  return
}

// -----

// The input must broadcast against the target shape.
func.func @broadcast_to_incompatible(%x: tensor<3x1xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 3x1 and 4x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.broadcast_to %x {shape = array<i64: 4, 8>} : (tensor<3x1xf32>) -> tensor<4x8xf32>
  return
}
