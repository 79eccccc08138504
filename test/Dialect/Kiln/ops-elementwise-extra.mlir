// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Round trip of the ops of KilnElementwiseExtraOps.td and of kiln.cast's
// `saturate` and sub-byte and float8 element types.

// The trigonometric and hyperbolic functions, chained.
// CHECK-LABEL: func.func @trig(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>) -> tensor<?x4xf32> {
// CHECK-NEXT:    %[[TAN:.*]] = kiln.tan %[[X]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ASIN:.*]] = kiln.asin %[[TAN]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ACOS:.*]] = kiln.acos %[[ASIN]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ATAN:.*]] = kiln.atan %[[ACOS]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[SINH:.*]] = kiln.sinh %[[ATAN]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[COSH:.*]] = kiln.cosh %[[SINH]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ASINH:.*]] = kiln.asinh %[[COSH]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ACOSH:.*]] = kiln.acosh %[[ASINH]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ATANH:.*]] = kiln.atanh %[[ACOSH]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    return %[[ATANH]] : tensor<?x4xf32>
func.func @trig(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %tan = kiln.tan %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %asin = kiln.asin %tan : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %acos = kiln.acos %asin : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %atan = kiln.atan %acos : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %sinh = kiln.sinh %atan : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %cosh = kiln.cosh %sinh : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %asinh = kiln.asinh %cosh : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %acosh = kiln.acosh %asinh : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %atanh = kiln.atanh %acosh : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %atanh : tensor<?x4xf32>
}

// The float predicates give i1 tensors of the operand's shape, also for float8.
// CHECK-LABEL: func.func @predicates(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf16>, %[[Y:.*]]: tensor<3xf8E5M2>)
// CHECK-NEXT:    %[[NAN:.*]] = kiln.is_nan %[[X]] : (tensor<?x4xf16>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[INF:.*]] = kiln.is_inf %[[Y]] {detect_negative = true, detect_positive = false} : (tensor<3xf8E5M2>) -> tensor<3xi1>
// CHECK-NEXT:    return %[[NAN]], %[[INF]]
func.func @predicates(%x: tensor<?x4xf16>, %y: tensor<3xf8E5M2>) -> (tensor<?x4xi1>, tensor<3xi1>) {
  %nan = kiln.is_nan %x : (tensor<?x4xf16>) -> tensor<?x4xi1>
  %inf = kiln.is_inf %y {detect_negative = true, detect_positive = false} : (tensor<3xf8E5M2>) -> tensor<3xi1>
  return %nan, %inf : tensor<?x4xi1>, tensor<3xi1>
}

// kiln.mod broadcasts, on integers and floats, either rounding.
// CHECK-LABEL: func.func @mod(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xi32>, %[[B:.*]]: tensor<4xi32>, %[[F:.*]]: tensor<2xf64>)
// CHECK-NEXT:    %[[M:.*]] = kiln.mod %[[A]], %[[B]] {fmod = false} : (tensor<?x4xi32>, tensor<4xi32>) -> tensor<?x4xi32>
// CHECK-NEXT:    %[[FM:.*]] = kiln.mod %[[F]], %[[F]] {fmod = true} : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
// CHECK-NEXT:    return %[[M]], %[[FM]]
func.func @mod(%a: tensor<?x4xi32>, %b: tensor<4xi32>, %f: tensor<2xf64>) -> (tensor<?x4xi32>, tensor<2xf64>) {
  %m = kiln.mod %a, %b {fmod = false} : (tensor<?x4xi32>, tensor<4xi32>) -> tensor<?x4xi32>
  %fm = kiln.mod %f, %f {fmod = true} : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
  return %m, %fm : tensor<?x4xi32>, tensor<2xf64>
}

// Shifts and bitwise logic on signed, signless and unsigned integers.
// CHECK-LABEL: func.func @bits(
// CHECK-SAME:    %[[U:.*]]: tensor<2x3xui8>, %[[S:.*]]: tensor<3xui8>, %[[I:.*]]: tensor<4xi64>)
// CHECK-NEXT:    %[[SHL:.*]] = kiln.shift_left %[[U]], %[[S]] : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
// CHECK-NEXT:    %[[SHR:.*]] = kiln.shift_right %[[SHL]], %[[S]] : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
// CHECK-NEXT:    %[[AND:.*]] = kiln.bitwise_and %[[I]], %[[I]] : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK-NEXT:    %[[OR:.*]] = kiln.bitwise_or %[[AND]], %[[I]] : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK-NEXT:    %[[XOR:.*]] = kiln.bitwise_xor %[[OR]], %[[I]] : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK-NEXT:    %[[NOT:.*]] = kiln.bitwise_not %[[XOR]] : (tensor<4xi64>) -> tensor<4xi64>
// CHECK-NEXT:    return %[[SHR]], %[[NOT]]
func.func @bits(%u: tensor<2x3xui8>, %s: tensor<3xui8>, %i: tensor<4xi64>) -> (tensor<2x3xui8>, tensor<4xi64>) {
  %shl = kiln.shift_left %u, %s : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  %shr = kiln.shift_right %shl, %s : (tensor<2x3xui8>, tensor<3xui8>) -> tensor<2x3xui8>
  %and = kiln.bitwise_and %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %or = kiln.bitwise_or %and, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %xor = kiln.bitwise_xor %or, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %not = kiln.bitwise_not %xor : (tensor<4xi64>) -> tensor<4xi64>
  return %shr, %not : tensor<2x3xui8>, tensor<4xi64>
}

// A saturating cast to float8, and casts between sub-byte types.
// CHECK-LABEL: func.func @casts(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf32>, %[[Q:.*]]: tensor<4xi4>)
// CHECK-NEXT:    %[[SAT:.*]] = kiln.cast %[[X]] {saturate, to = f8E4M3FN} : (tensor<4xf32>) -> tensor<4xf8E4M3FN>
// CHECK-NEXT:    %[[PLAIN:.*]] = kiln.cast %[[X]] {to = f8E5M2FNUZ} : (tensor<4xf32>) -> tensor<4xf8E5M2FNUZ>
// CHECK-NEXT:    %[[E8M0:.*]] = kiln.cast %[[X]] {saturate, to = f8E8M0FNU} : (tensor<4xf32>) -> tensor<4xf8E8M0FNU>
// CHECK-NEXT:    %[[F4:.*]] = kiln.cast %[[Q]] {to = f4E2M1FN} : (tensor<4xi4>) -> tensor<4xf4E2M1FN>
// CHECK-NEXT:    %[[U2:.*]] = kiln.cast %[[F4]] {to = ui2} : (tensor<4xf4E2M1FN>) -> tensor<4xui2>
// CHECK-NEXT:    return %[[SAT]], %[[PLAIN]], %[[E8M0]], %[[U2]]
func.func @casts(%x: tensor<4xf32>, %q: tensor<4xi4>) -> (tensor<4xf8E4M3FN>, tensor<4xf8E5M2FNUZ>, tensor<4xf8E8M0FNU>, tensor<4xui2>) {
  %sat = kiln.cast %x {saturate, to = f8E4M3FN} : (tensor<4xf32>) -> tensor<4xf8E4M3FN>
  %plain = kiln.cast %x {to = f8E5M2FNUZ} : (tensor<4xf32>) -> tensor<4xf8E5M2FNUZ>
  %e8m0 = kiln.cast %x {saturate, to = f8E8M0FNU} : (tensor<4xf32>) -> tensor<4xf8E8M0FNU>
  %f4 = kiln.cast %q {to = f4E2M1FN} : (tensor<4xi4>) -> tensor<4xf4E2M1FN>
  %u2 = kiln.cast %f4 {to = ui2} : (tensor<4xf4E2M1FN>) -> tensor<4xui2>
  return %sat, %plain, %e8m0, %u2 : tensor<4xf8E4M3FN>, tensor<4xf8E5M2FNUZ>, tensor<4xf8E8M0FNU>, tensor<4xui2>
}

// Constants of sub-byte and float8 element types.
// CHECK-LABEL: func.func @narrow_constants()
// CHECK-NEXT:    kiln.constant dense<[1, -2, 7]> : tensor<3xi4>
// CHECK-NEXT:    kiln.constant dense<[1.000000e+00, -6.000000e+00]> : tensor<2xf4E2M1FN>
// CHECK-NEXT:    kiln.constant dense<[4.480000e+02, 5.000000e-01]> : tensor<2xf8E4M3FN>
func.func @narrow_constants() -> (tensor<3xi4>, tensor<2xf4E2M1FN>, tensor<2xf8E4M3FN>) {
  %i = kiln.constant dense<[1, -2, 7]> : tensor<3xi4>
  %f = kiln.constant dense<[1.0, -6.0]> : tensor<2xf4E2M1FN>
  %e = kiln.constant dense<[448.0, 0.5]> : tensor<2xf8E4M3FN>
  return %i, %f, %e : tensor<3xi4>, tensor<2xf4E2M1FN>, tensor<2xf8E4M3FN>
}
