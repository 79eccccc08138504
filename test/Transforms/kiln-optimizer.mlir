// RUN: kiln-opt %s -kiln-optimizer="lr=0.5" | FileCheck %s --check-prefix=SGD
// RUN: kiln-opt %s -kiln-optimizer="lr=0.5 momentum=0.9 nesterov weight-decay=0.25 lr-schedule=step lr-step-size=10 lr-gamma=0.5" | FileCheck %s --check-prefix=NESTEROV
// RUN: kiln-opt %s -kiln-optimizer="optimizer=adam lr=0.5 replace" | FileCheck %s --check-prefix=ADAM
// RUN: kiln-opt %s -kiln-optimizer="optimizer=adamw lr=0.5 weight-decay=0.25 lr-schedule=cosine total-steps=100" | FileCheck %s --check-prefix=ADAMW

// A gradient function as kiln-autodiff builds it: the loss, then the
// gradients named after the arguments (input<i> for one without a name).
func.func @main(%x: tensor<2x4xf32> {kiln.name = "x"}, %w: tensor<4x3xf32> {kiln.name = "w"}, %b: tensor<3xf64>) -> (tensor<f32> {kiln.name = "loss"}, tensor<4x3xf32> {kiln.name = "w_grad"}, tensor<3xf64> {kiln.name = "input2_grad"}) {
  %l = kiln.constant dense<1.0> : tensor<f32>
  %gw = kiln.exp %w : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %gb = kiln.exp %b : (tensor<3xf64>) -> tensor<3xf64>
  return %l, %gw, %gb : tensor<f32>, tensor<4x3xf32>, tensor<3xf64>
}

// Plain sgd, without state: the step keeps the data argument, renames the
// parameters and returns them after the loss, then the counter + 1. The
// original stays.
// SGD-LABEL: func.func @main(
// SGD-LABEL: func.func @main_step(
// SGD-SAME: %[[X:.*]]: tensor<2x4xf32> {kiln.name = "x"}, %[[W:.*]]: tensor<4x3xf32> {kiln.name = "param:w"}, %[[B:.*]]: tensor<3xf64> {kiln.name = "param:input2"}, %[[STEP:.*]]: tensor<i64> {kiln.name = "step"})
// SGD-SAME: -> (tensor<f32> {kiln.name = "loss"}, tensor<4x3xf32> {kiln.name = "param:w"}, tensor<3xf64> {kiln.name = "param:input2"}, tensor<i64> {kiln.name = "step"})
// SGD: %[[GW:.*]] = kiln.exp %[[W]]
// SGD: %[[GB:.*]] = kiln.exp %[[B]]
// SGD: %[[LR:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// SGD: %[[UW:.*]] = kiln.mul %[[LR]], %[[GW]]
// SGD: %[[NW:.*]] = kiln.sub %[[W]], %[[UW]]
// Each element type has its own scalars.
// SGD: %[[LR64:.*]] = kiln.constant dense<5.000000e-01> : tensor<f64>
// SGD: %[[UB:.*]] = kiln.mul %[[LR64]], %[[GB]]
// SGD: %[[NB:.*]] = kiln.sub %[[B]], %[[UB]]
// SGD: %[[ONE:.*]] = kiln.constant dense<1> : tensor<i64>
// SGD: %[[NS:.*]] = kiln.add %[[STEP]], %[[ONE]]
// SGD: return %{{.*}}, %[[NW]], %[[NB]], %[[NS]]

// Sgd with Nesterov momentum and weight decay under a step schedule:
// lr * gamma^(step / step-size); one momentum buffer per parameter.
// NESTEROV-LABEL: func.func @main_step(
// NESTEROV-SAME: %[[W:[^:]*]]: tensor<4x3xf32> {kiln.name = "param:w"}
// NESTEROV-SAME: %[[MW:[^:]*]]: tensor<4x3xf32> {kiln.name = "state:w:momentum"}, %{{.*}}: tensor<3xf64> {kiln.name = "state:input2:momentum"}, %[[STEP:.*]]: tensor<i64> {kiln.name = "step"})
// NESTEROV-SAME: tensor<4x3xf32> {kiln.name = "state:w:momentum"}, tensor<3xf64> {kiln.name = "state:input2:momentum"}, tensor<i64> {kiln.name = "step"})
// NESTEROV: %[[GW:.*]] = kiln.exp %[[W]]
// NESTEROV: %[[SIZE:.*]] = kiln.constant dense<10> : tensor<i64>
// NESTEROV: %[[K:.*]] = kiln.div %[[STEP]], %[[SIZE]] : (tensor<i64>, tensor<i64>) -> tensor<i64>
// NESTEROV: %[[KF:.*]] = kiln.cast %[[K]] {to = f32}
// NESTEROV: %[[GAMMA:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// NESTEROV: %[[DECAY:.*]] = kiln.pow %[[GAMMA]], %[[KF]]
// NESTEROV: %[[LR:.*]] = kiln.mul %[[DECAY]], %{{.*}}
// NESTEROV: %[[WD:.*]] = kiln.mul %[[W]], %{{.*}}
// NESTEROV: %[[G:.*]] = kiln.add %[[GW]], %[[WD]]
// NESTEROV: %[[MM:.*]] = kiln.mul %[[MW]], %{{.*}}
// NESTEROV: %[[BUF:.*]] = kiln.add %[[MM]], %[[G]]
// NESTEROV: %[[LOOK:.*]] = kiln.mul %[[BUF]], %{{.*}}
// NESTEROV: %[[D:.*]] = kiln.add %[[G]], %[[LOOK]]
// NESTEROV: %[[U:.*]] = kiln.mul %[[LR]], %[[D]]
// NESTEROV: %[[NW:.*]] = kiln.sub %[[W]], %[[U]]
// NESTEROV: return %{{.*}}, %[[NW]], %{{.*}}, %[[BUF]], %{{.*}}, %{{.*}} :

// Adam replacing the gradient function: bias corrections from step + 1,
// two moments per parameter.
// ADAM-NOT: func.func @main_step
// ADAM-LABEL: func.func @main(
// ADAM-SAME: {kiln.name = "state:w:m"}, %[[VW:[^:]*]]: tensor<4x3xf32> {kiln.name = "state:w:v"}, %{{.*}}: tensor<3xf64> {kiln.name = "state:input2:m"}, %{{.*}}: tensor<3xf64> {kiln.name = "state:input2:v"}, %[[STEP:.*]]: tensor<i64> {kiln.name = "step"})
// ADAM: %[[SF:.*]] = kiln.cast %[[STEP]] {to = f32}
// ADAM: %[[T:.*]] = kiln.add %[[SF]], %{{.*}}
// ADAM: %[[B1:.*]] = kiln.constant dense<0.899999976> : tensor<f32>
// ADAM: %[[P1:.*]] = kiln.pow %[[B1]], %[[T]]
// ADAM: %[[C1:.*]] = kiln.sub %{{.*}}, %[[P1]]
// ADAM: %[[B2:.*]] = kiln.constant dense<9.990000e-01> : tensor<f32>
// ADAM: %[[P2:.*]] = kiln.pow %[[B2]], %[[T]]
// ADAM: %[[C2:.*]] = kiln.sub %{{.*}}, %[[P2]]
// ADAM: %[[SS:.*]] = kiln.div %{{.*}}, %[[C1]]
// ADAM: %[[SC2:.*]] = kiln.sqrt %[[C2]]
// ADAM: %[[M:.*]] = kiln.add
// ADAM: %[[V:.*]] = kiln.add
// ADAM: %[[RV:.*]] = kiln.sqrt %[[V]]
// ADAM: %[[DV:.*]] = kiln.div %[[RV]], %[[SC2]]
// ADAM: %[[DEN:.*]] = kiln.add %[[DV]], %{{.*}}
// ADAM: %[[R:.*]] = kiln.div %[[M]], %[[DEN]]
// ADAM: %[[U:.*]] = kiln.mul %[[SS]], %[[R]]
// ADAM: %[[NW:.*]] = kiln.sub %{{.*}}, %[[U]]
// ADAM: return %{{.*}}, %[[NW]], %{{.*}}, %[[M]], %[[V]], %{{.*}}, %{{.*}}, %{{.*}} :

// Adamw under a cosine schedule: the decay multiplies the parameter by
// 1 - lr * wd before the Adam update.
// ADAMW-LABEL: func.func @main_step(
// ADAMW-SAME: %[[W:[^:]*]]: tensor<4x3xf32> {kiln.name = "param:w"}
// ADAMW: %[[TOTAL:.*]] = kiln.constant dense<100> : tensor<i64>
// ADAMW: %[[DONE:.*]] = kiln.min %{{.*}}, %[[TOTAL]]
// ADAMW: kiln.cast %[[DONE]] {to = f32}
// ADAMW: %[[COS:.*]] = kiln.cos
// ADAMW: %[[SUM:.*]] = kiln.add %[[COS]], %{{.*}}
// ADAMW: %[[LR:.*]] = kiln.mul %[[SUM]], %{{.*}}
// ADAMW: %[[LRWD:.*]] = kiln.mul %[[LR]], %{{.*}}
// ADAMW: %[[KEEP:.*]] = kiln.sub %{{.*}}, %[[LRWD]]
// ADAMW: %[[DW:.*]] = kiln.mul %[[W]], %[[KEEP]]
// ADAMW: kiln.sub %[[DW]], %{{.*}}
