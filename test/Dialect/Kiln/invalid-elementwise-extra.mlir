// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// Errors of the ops of KilnElementwiseExtraOps.td and of kiln.cast's
// `saturate`.

// `saturate` only means something for a float8 target.
func.func @cast_saturate_not_float8(%x: tensor<4xf32>) {
  // expected-error @+2 {{'kiln.cast' op 'saturate' needs a float8 'to' type, got 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.cast %x {saturate, to = f16} : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

// The float predicates take float tensors only (ODS operand constraint).
func.func @is_nan_on_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %r = kiln.is_nan %x : (tensor<4xi32>) -> tensor<4xi1>
  return
}

// -----

// The predicate's result is an i1 tensor.
func.func @is_inf_wrong_result(%x: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %r = kiln.is_inf %x {detect_negative = true, detect_positive = true} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// Shifts and bitwise logic take integers only (ODS operand constraint).
func.func @shift_on_float(%x: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of integer values, but got 'tensor<4xf32>'}}
  %r = kiln.shift_left %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// The amount of a shift has the element type of the shifted value.
func.func @shift_mixed_types(%x: tensor<4xui8>, %s: tensor<4xui32>) {
  // expected-error @+2 {{'kiln.shift_right' op lhs and rhs must have the same element type, got 'ui8' and 'ui32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = kiln.shift_right %x, %s : (tensor<4xui8>, tensor<4xui32>) -> tensor<4xui8>
  return
}

// -----

// kiln.mod needs its `fmod` attribute.
func.func @mod_without_fmod(%a: tensor<4xi32>) {
  // expected-error @+1 {{requires attribute 'fmod'}}
  %r = kiln.mod %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return
}
