// RUN: kiln-opt %s -split-input-file -canonicalize | FileCheck %s

// Constant folding of kiln.mod on small integer tensors (KilnShapeFolds.cpp),
// which the expanded ONNX Attention functions use to compute shapes.

// Python's remainder (fmod = false) has the sign of the divisor, with
// broadcasting.
// CHECK-LABEL: func @mod_python
// CHECK: %[[C:.*]] = kiln.constant dense<[1, 2, 0, -2, -1]> : tensor<5xi64>
// CHECK-NEXT: return %[[C]]
func.func @mod_python() -> tensor<5xi64> {
  %a = kiln.constant dense<[7, -7, 6, 7, -7]> : tensor<5xi64>
  %b = kiln.constant dense<[3, 3, 3, -3, -3]> : tensor<5xi64>
  %r = kiln.mod %a, %b {fmod = false} : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  return %r : tensor<5xi64>
}

// -----

// C's remainder (fmod = true) has the sign of the dividend; a scalar
// divisor broadcasts.
// CHECK-LABEL: func @mod_c
// CHECK: %[[C:.*]] = kiln.constant dense<[1, -1, 0, 1]> : tensor<4xi32>
// CHECK-NEXT: return %[[C]]
func.func @mod_c() -> tensor<4xi32> {
  %a = kiln.constant dense<[7, -7, 6, 7]> : tensor<4xi32>
  %b = kiln.constant dense<3> : tensor<i32>
  %r = kiln.mod %a, %b {fmod = true} : (tensor<4xi32>, tensor<i32>) -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

// Unsigned integers take the unsigned remainder.
// CHECK-LABEL: func @mod_unsigned
// CHECK: %[[C:.*]] = kiln.constant dense<[1, 5]> : tensor<2xui8>
// CHECK-NEXT: return %[[C]]
func.func @mod_unsigned() -> tensor<2xui8> {
  %a = kiln.constant dense<[250, 5]> : tensor<2xui8>
  %b = kiln.constant dense<[3, 200]> : tensor<2xui8>
  %r = kiln.mod %a, %b {fmod = false} : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  return %r : tensor<2xui8>
}

// -----

// A remainder by zero is undefined: it stays unfolded.
// CHECK-LABEL: func @mod_by_zero
// CHECK: kiln.mod
func.func @mod_by_zero() -> tensor<2xi64> {
  %a = kiln.constant dense<[7, 8]> : tensor<2xi64>
  %b = kiln.constant dense<[3, 0]> : tensor<2xi64>
  %r = kiln.mod %a, %b {fmod = false} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %r : tensor<2xi64>
}

// -----

// Floats and non-constant operands are not folded.
// CHECK-LABEL: func @mod_not_folded
// CHECK: kiln.mod
// CHECK: kiln.mod
func.func @mod_not_folded(%x: tensor<2xi64>) -> (tensor<2xf32>, tensor<2xi64>) {
  %a = kiln.constant dense<[7.0, 8.0]> : tensor<2xf32>
  %b = kiln.constant dense<[3.0, 3.0]> : tensor<2xf32>
  %r = kiln.mod %a, %b {fmod = false} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %c = kiln.constant dense<3> : tensor<2xi64>
  %s = kiln.mod %x, %c {fmod = false} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %r, %s : tensor<2xf32>, tensor<2xi64>
}
