// RUN: kiln-opt %s -split-input-file -kiln-batch-norm-training | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-batch-norm-training="momentum=0.5" | FileCheck %s --check-prefix=HALF
// The step carries the running statistics through autodiff and the
// optimizer, after the parameters' state and before the counter.
// RUN: kiln-opt %s -split-input-file -kiln-batch-norm-training -kiln-autodiff="wrt=s,b replace=1" -kiln-optimizer="replace=1" | FileCheck %s --check-prefix=STEP

// A batch norm whose statistics are arguments normalises with the batch's
// mean and biased variance over N, H, W (the count read at run time), and
// returns the running statistics updated with the unbiased variance.
// CHECK-LABEL: func.func @main
// CHECK-SAME: {kiln.name = "buffer:m"}
// CHECK-SAME: {kiln.name = "buffer:v"}
// CHECK-SAME: -> (tensor<f32> {kiln.name = "loss"}, tensor<3xf32> {kiln.name = "buffer:m"}, tensor<3xf32> {kiln.name = "buffer:v"})
// CHECK: %[[C:.*]] = kiln.size %arg3
// CHECK: %[[N:.*]] = kiln.size %arg0
// CHECK: %[[COUNT:.*]] = kiln.div
// CHECK: %[[SUM:.*]] = kiln.reduce_sum %arg0 {axes = array<i64: 0, 2, 3>, keepdims = true}
// CHECK: %[[MEAN:.*]] = kiln.div %[[SUM]], %[[COUNT]]
// CHECK: %[[D:.*]] = kiln.sub %arg0, %[[MEAN]]
// CHECK: %[[SQ:.*]] = kiln.mul %[[D]], %[[D]]
// CHECK: %[[SSQ:.*]] = kiln.reduce_sum %[[SQ]] {axes = array<i64: 0, 2, 3>, keepdims = true}
// CHECK: %[[VAR:.*]] = kiln.div %[[SSQ]], %[[COUNT]]
// CHECK: %[[BM:.*]] = kiln.reshape %[[MEAN]] {shape = array<i64: -1>}
// CHECK: %[[BV:.*]] = kiln.reshape %[[VAR]] {shape = array<i64: -1>}
// CHECK: kiln.batch_norm %arg0, %arg1, %arg2, %[[BM]], %[[BV]]
// CHECK: %[[NM1:.*]] = kiln.sub %[[COUNT]]
// CHECK: %[[BESSEL:.*]] = kiln.div %[[COUNT]], %[[NM1]]
// CHECK: %[[UNBIASED:.*]] = kiln.mul %[[BV]], %[[BESSEL]]
// CHECK: kiln.constant dense<1.000000e-01>
// CHECK: kiln.constant dense<0.899999976>
// CHECK: %[[NEWM:.*]] = kiln.add
// CHECK: %[[NEWV:.*]] = kiln.add
// CHECK: return %{{.*}}, %[[NEWM]], %[[NEWV]]
// HALF-COUNT-4: kiln.constant dense<5.000000e-01>
// STEP-LABEL: func.func @main
// STEP-SAME: -> (tensor<f32> {kiln.name = "loss"}, tensor<3xf32> {kiln.name = "param:s"}, tensor<3xf32> {kiln.name = "param:b"}, tensor<3xf32> {kiln.name = "buffer:m"}, tensor<3xf32> {kiln.name = "buffer:v"}, tensor<i64> {kiln.name = "step"})
func.func @main(%x: tensor<?x3x4x4xf32> {kiln.name = "x"}, %s: tensor<3xf32> {kiln.name = "s"}, %b: tensor<3xf32> {kiln.name = "b"}, %m: tensor<3xf32> {kiln.name = "m"}, %v: tensor<3xf32> {kiln.name = "v"}) -> (tensor<f32> {kiln.name = "loss"}) {
  %y = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x4x4xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : (tensor<?x3x4x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Constant statistics (frozen with kilnc --freeze) keep the inference form.
// CHECK-LABEL: func.func @main
// CHECK-NOT: buffer:
// CHECK: kiln.batch_norm %arg0, %arg1, %arg2, %[[M:.*]], %[[V:.*]] {epsilon
// CHECK-NOT: kiln.reduce_sum %arg0
func.func @main(%x: tensor<2x3xf32> {kiln.name = "x"}, %s: tensor<3xf32> {kiln.name = "s"}, %b: tensor<3xf32> {kiln.name = "b"}) -> tensor<f32> {
  %m = kiln.constant dense<0.0> : tensor<3xf32>
  %v = kiln.constant dense<1.0> : tensor<3xf32>
  %y = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
