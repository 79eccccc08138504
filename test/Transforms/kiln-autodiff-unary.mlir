// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace | FileCheck %s

// The gradient rules of the elementwise ops (GradientElementwise.cpp), one
// case per rule. Each loss is sum(op(x) * w), so that the seed reaching the
// rule is g = 1 * w, never a constant: %[[G]] is that product, and every
// case checks how the rule combines it with the forward values. Where a
// rule builds two operands of one op independently, their order is left
// to the C++ compiler, so they are matched with CHECK-DAG.

// identity passes the gradient through unchanged.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.identity %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: return %{{.*}}, %[[G]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.identity %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// abs: g * sign(x).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.abs %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[S:.*]] = kiln.sign %[[X]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[S]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.abs %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// sign is piecewise constant: its input's gradient is zero, whatever the
// seed.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.sign %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK-NOT: kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[GW:.*]] = kiln.mul %[[ONES]], %[[Y]]
// CHECK-NOT: kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[GX:.*]] = kiln.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: return %{{.*}}, %[[GX]], %[[GW]]
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.sign %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// round is piecewise constant too; over a dynamic shape its zero gradient
// is built from the input's run-time shape, then given the argument's type
// back (the static 4, the dynamic batch copied).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<?x4xf32>)
// CHECK: %[[Y:.*]] = kiln.round %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.dynamic_broadcast_to
// CHECK-NOT: kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[GW:.*]] = kiln.mul %[[ONES]], %[[Y]]
// CHECK-NOT: kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[SH:.*]] = kiln.shape %[[X]] {end = 2 : i64, start = 0 : i64}
// CHECK: %[[Z:.*]] = kiln.constant_of_shape %[[SH]] {value = 0.000000e+00 : f32}
// CHECK: %[[GX:.*]] = kiln.reshape %[[Z]] {shape = array<i64: 0, 4>} : (tensor<?x?xf32>) -> tensor<?x4xf32>
// CHECK: return %{{.*}}, %[[GX]], %[[GW]] : tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>
func.func @main(%x: tensor<?x4xf32>, %w: tensor<?x4xf32>) -> tensor<f32> {
  %y = kiln.round %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %m = kiln.mul %y, %w : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// sqrt: g / (2 sqrt(x)), as (g * 0.5) / y.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.sqrt %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[HALF:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[GH:.*]] = kiln.mul %[[G]], %[[HALF]]
// CHECK: %[[GX:.*]] = kiln.div %[[GH]], %[[Y]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.sqrt %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reciprocal: -g / x^2, as -(g * y^2).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.reciprocal %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[YY:.*]] = kiln.mul %[[Y]], %[[Y]]
// CHECK: %[[GYY:.*]] = kiln.mul %[[G]], %[[YY]]
// CHECK: %[[GX:.*]] = kiln.neg %[[GYY]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.reciprocal %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// erf: g * 2/sqrt(pi) * e^(-x^2).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.erf %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[XX:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK: %[[NXX:.*]] = kiln.neg %[[XX]]
// CHECK: %[[E:.*]] = kiln.exp %[[NXX]]
// CHECK: %[[C:.*]] = kiln.constant dense<1.12837923> : tensor<f32>
// CHECK: %[[D:.*]] = kiln.mul %[[E]], %[[C]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.erf %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// cos: -(g * sin(x)).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.cos %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[S:.*]] = kiln.sin %[[X]]
// CHECK: %[[GS:.*]] = kiln.mul %[[G]], %[[S]]
// CHECK: %[[GX:.*]] = kiln.neg %[[GS]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.cos %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// tan: g * (1 + tan(x)^2), reusing the result.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.tan %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-DAG: %[[YY:.*]] = kiln.mul %[[Y]], %[[Y]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = kiln.add %[[ONE]], %[[YY]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.tan %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// asin: g / sqrt(1 - x^2).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.asin %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-DAG: %[[XX:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = kiln.sub %[[ONE]], %[[XX]]
// CHECK: %[[R:.*]] = kiln.sqrt %[[D]]
// CHECK: %[[GX:.*]] = kiln.div %[[G]], %[[R]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.asin %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// acos: -(g / sqrt(1 - x^2)).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.acos %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-DAG: %[[XX:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = kiln.sub %[[ONE]], %[[XX]]
// CHECK: %[[R:.*]] = kiln.sqrt %[[D]]
// CHECK: %[[Q:.*]] = kiln.div %[[G]], %[[R]]
// CHECK: %[[GX:.*]] = kiln.neg %[[Q]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.acos %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// atan: g / (1 + x^2).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.atan %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-DAG: %[[XX:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = kiln.add %[[ONE]], %[[XX]]
// CHECK: %[[GX:.*]] = kiln.div %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.atan %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// sinh: g * cosh(x).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.sinh %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[C:.*]] = kiln.cosh %[[X]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[C]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.sinh %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// cosh: g * sinh(x).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.cosh %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[S:.*]] = kiln.sinh %[[X]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[S]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.cosh %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// asinh: g / sqrt(x^2 + 1).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.asinh %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-DAG: %[[XX:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = kiln.add %[[XX]], %[[ONE]]
// CHECK: %[[R:.*]] = kiln.sqrt %[[D]]
// CHECK: %[[GX:.*]] = kiln.div %[[G]], %[[R]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.asinh %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// acosh: g / sqrt(x^2 - 1).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.acosh %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-DAG: %[[XX:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = kiln.sub %[[XX]], %[[ONE]]
// CHECK: %[[R:.*]] = kiln.sqrt %[[D]]
// CHECK: %[[GX:.*]] = kiln.div %[[G]], %[[R]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.acosh %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// softplus: g * sigmoid(x).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.softplus %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[S:.*]] = kiln.sigmoid %[[X]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[S]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.softplus %x : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// leaky_relu: the slope is 1 where x >= 0 and alpha elsewhere.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.leaky_relu %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[NN:.*]] = kiln.greater_equal %[[X]], %[[ZERO]]
// CHECK-DAG: %[[ALPHA:.*]] = kiln.constant dense<1.000000e-01> : tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[SLOPE:.*]] = kiln.where %[[NN]], %[[ONE]], %[[ALPHA]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[SLOPE]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.leaky_relu %x {alpha = 0.1 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// elu: the slope is 1 where x >= 0 and alpha e^x = y + alpha elsewhere.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.elu %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[NN:.*]] = kiln.greater_equal %[[X]], %[[ZERO]]
// CHECK-DAG: %[[ALPHA:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[YA:.*]] = kiln.add %[[Y]], %[[ALPHA]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[SLOPE:.*]] = kiln.where %[[NN]], %[[ONE]], %[[YA]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[SLOPE]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.elu %x {alpha = 0.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// gelu, exact: Phi(x) + x phi(x), with Phi(x) = (1 + erf(x / sqrt 2)) / 2
// and phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.gelu %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-DAG: %[[RS2:.*]] = kiln.constant dense<0.707106769> : tensor<f32>
// CHECK-DAG: %[[XS:.*]] = kiln.mul %[[X]], %[[RS2]]
// CHECK-DAG: %[[ERF:.*]] = kiln.erf %[[XS]]
// CHECK-DAG: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[OPE:.*]] = kiln.add %[[ONE]], %[[ERF]]
// CHECK: %[[HALF:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[CDF:.*]] = kiln.mul %[[OPE]], %[[HALF]]
// CHECK: %[[XX:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK: %[[MHALF:.*]] = kiln.constant dense<-5.000000e-01> : tensor<f32>
// CHECK: %[[EXPARG:.*]] = kiln.mul %[[XX]], %[[MHALF]]
// CHECK: %[[E:.*]] = kiln.exp %[[EXPARG]]
// CHECK: %[[NORM:.*]] = kiln.constant dense<0.398942292> : tensor<f32>
// CHECK: %[[PDF:.*]] = kiln.mul %[[E]], %[[NORM]]
// CHECK: %[[XPDF:.*]] = kiln.mul %[[X]], %[[PDF]]
// CHECK: %[[SLOPE:.*]] = kiln.add %[[CDF]], %[[XPDF]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[SLOPE]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.gelu %x {approximate = #kiln<gelu_approximation none>} : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// gelu, tanh approximation: y = x (1 + t) / 2 with t = tanh(u),
// u = c (x + k x^3), c = sqrt(2 / pi), k = 0.044715; the slope is
// (1 + t + x (1 - t^2) c (1 + 3 k x^2)) / 2.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.gelu %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[X2:.*]] = kiln.mul %[[X]], %[[X]]
// CHECK: %[[X3:.*]] = kiln.mul %[[X2]], %[[X]]
// CHECK: %[[K:.*]] = kiln.constant dense<4.471500e-02> : tensor<f32>
// CHECK: %[[KX3:.*]] = kiln.mul %[[X3]], %[[K]]
// CHECK: %[[IN:.*]] = kiln.add %[[X]], %[[KX3]]
// CHECK: %[[C:.*]] = kiln.constant dense<0.797884583> : tensor<f32>
// CHECK: %[[U:.*]] = kiln.mul %[[IN]], %[[C]]
// CHECK: %[[T:.*]] = kiln.tanh %[[U]]
// CHECK-DAG: %[[K3:.*]] = kiln.constant dense<1.341450e-01> : tensor<f32>
// CHECK-DAG: %[[K3X2:.*]] = kiln.mul %[[X2]], %[[K3]]
// CHECK-DAG: %[[ONE1:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DUIN:.*]] = kiln.add %[[ONE1]], %[[K3X2]]
// CHECK: %[[C2:.*]] = kiln.constant dense<0.797884583> : tensor<f32>
// CHECK: %[[DU:.*]] = kiln.mul %[[DUIN]], %[[C2]]
// CHECK-DAG: %[[TT:.*]] = kiln.mul %[[T]], %[[T]]
// CHECK-DAG: %[[ONE2:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[SECH2:.*]] = kiln.sub %[[ONE2]], %[[TT]]
// CHECK: %[[DT:.*]] = kiln.mul %[[SECH2]], %[[DU]]
// CHECK-DAG: %[[XDT:.*]] = kiln.mul %[[X]], %[[DT]]
// CHECK-DAG: %[[ONE3:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[OPT:.*]] = kiln.add %[[ONE3]], %[[T]]
// CHECK: %[[SUM:.*]] = kiln.add %[[OPT]], %[[XDT]]
// CHECK: %[[HALF:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[SLOPE:.*]] = kiln.mul %[[SUM]], %[[HALF]]
// CHECK: %[[GX:.*]] = kiln.mul %[[G]], %[[SLOPE]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.gelu %x {approximate = #kiln<gelu_approximation tanh>} : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// clip with both bounds: the gradient passes where min <= x <= max
// (bounds included), zero elsewhere.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.clip %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[LO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[ABOVE:.*]] = kiln.greater_equal %[[X]], %[[LO]]
// CHECK: %[[HI:.*]] = kiln.constant dense<6.000000e+00> : tensor<f32>
// CHECK: %[[BELOW:.*]] = kiln.less_equal %[[X]], %[[HI]]
// CHECK: %[[IN:.*]] = kiln.and %[[ABOVE]], %[[BELOW]]
// CHECK: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[GX:.*]] = kiln.where %[[IN]], %[[G]], %[[ZERO]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.clip %x {max = 6.0, min = 0.0} : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// clip with a lower bound only: the mask is x >= min alone.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.clip %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-NOT: kiln.less_equal
// CHECK: %[[LO:.*]] = kiln.constant dense<-1.000000e+00> : tensor<f32>
// CHECK: %[[ABOVE:.*]] = kiln.greater_equal %[[X]], %[[LO]]
// CHECK-NOT: kiln.and
// CHECK: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[GX:.*]] = kiln.where %[[ABOVE]], %[[G]], %[[ZERO]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.clip %x {min = -1.0} : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// clip with an upper bound only: the mask is x <= max alone.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = kiln.clip %[[X]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK-NOT: kiln.greater_equal
// CHECK: %[[HI:.*]] = kiln.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[BELOW:.*]] = kiln.less_equal %[[X]], %[[HI]]
// CHECK-NOT: kiln.and
// CHECK: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[GX:.*]] = kiln.where %[[BELOW]], %[[G]], %[[ZERO]]
// CHECK: return %{{.*}}, %[[GX]], %{{.*}}
func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %y = kiln.clip %x {max = 2.0} : (tensor<4xf32>) -> tensor<4xf32>
  %m = kiln.mul %y, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0>, keepdims = false} : (tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// pow: the base gets g * b * a^(b - 1) and the exponent g * y * ln(a),
// summed over the rows it was broadcast along.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<3x4xf32>)
// CHECK: %[[Y:.*]] = kiln.pow %[[A]], %[[B]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[ONE:.*]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[BM1:.*]] = kiln.sub %[[B]], %[[ONE]]
// CHECK: %[[LOWER:.*]] = kiln.pow %[[A]], %[[BM1]]
// CHECK: %[[DA:.*]] = kiln.mul %[[B]], %[[LOWER]]
// CHECK: %[[GA:.*]] = kiln.mul %[[G]], %[[DA]]
// CHECK: %[[LOGA:.*]] = kiln.log %[[A]]
// CHECK: %[[DB:.*]] = kiln.mul %[[Y]], %[[LOGA]]
// CHECK: %[[GBF:.*]] = kiln.mul %[[G]], %[[DB]]
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[GBF]] {axes = array<i64: 0>, keepdims = false} : (tensor<3x4xf32>) -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[GA]], %[[GB]], %{{.*}}
func.func @main(%a: tensor<3x4xf32>, %b: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
  %y = kiln.pow %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %m = kiln.mul %y, %w : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// max: a gets g where a > b and half of g on a tie (a == b); b gets the
// rest, g - that, summed over the rows it was broadcast along.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<3x4xf32>)
// CHECK: %[[Y:.*]] = kiln.max %[[A]], %[[B]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[WIN:.*]] = kiln.greater %[[A]], %[[B]]
// CHECK: %[[WINF:.*]] = kiln.cast %[[WIN]] {to = f32} : (tensor<3x4xi1>) -> tensor<3x4xf32>
// CHECK: %[[TIE:.*]] = kiln.equal %[[A]], %[[B]]
// CHECK: %[[TIEF:.*]] = kiln.cast %[[TIE]] {to = f32} : (tensor<3x4xi1>) -> tensor<3x4xf32>
// CHECK: %[[HALF:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[HALFTIE:.*]] = kiln.mul %[[TIEF]], %[[HALF]]
// CHECK: %[[SHARE:.*]] = kiln.add %[[WINF]], %[[HALFTIE]]
// CHECK: %[[GA:.*]] = kiln.mul %[[G]], %[[SHARE]]
// CHECK: %[[REST:.*]] = kiln.sub %[[G]], %[[GA]]
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[REST]] {axes = array<i64: 0>, keepdims = false} : (tensor<3x4xf32>) -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[GA]], %[[GB]], %{{.*}}
func.func @main(%a: tensor<3x4xf32>, %b: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
  %y = kiln.max %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %m = kiln.mul %y, %w : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// min: as max with a < b deciding; a tie shares g equally.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<3x4xf32>)
// CHECK: %[[Y:.*]] = kiln.min %[[A]], %[[B]]
// CHECK: kiln.mul %[[Y]], %[[W]]
// CHECK: %[[ONES:.*]] = kiln.broadcast_to
// CHECK: %[[G:.*]] = kiln.mul %[[ONES]], %[[W]]
// CHECK: %[[WIN:.*]] = kiln.less %[[A]], %[[B]]
// CHECK: %[[WINF:.*]] = kiln.cast %[[WIN]] {to = f32}
// CHECK: %[[TIE:.*]] = kiln.equal %[[A]], %[[B]]
// CHECK: %[[TIEF:.*]] = kiln.cast %[[TIE]] {to = f32}
// CHECK: %[[HALF:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[HALFTIE:.*]] = kiln.mul %[[TIEF]], %[[HALF]]
// CHECK: %[[SHARE:.*]] = kiln.add %[[WINF]], %[[HALFTIE]]
// CHECK: %[[GA:.*]] = kiln.mul %[[G]], %[[SHARE]]
// CHECK: %[[REST:.*]] = kiln.sub %[[G]], %[[GA]]
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[REST]] {axes = array<i64: 0>, keepdims = false}
// CHECK: return %{{.*}}, %[[GA]], %[[GB]], %{{.*}}
func.func @main(%a: tensor<3x4xf32>, %b: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
  %y = kiln.min %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %m = kiln.mul %y, %w : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %m {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
