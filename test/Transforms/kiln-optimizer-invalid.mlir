// RUN: kiln-opt %s -split-input-file -kiln-optimizer -verify-diagnostics -o %t
// Each option is checked, naming the value it refuses.
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="lr=0" 2>&1 | FileCheck %s --check-prefix=LR
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="weight-decay=-1" 2>&1 | FileCheck %s --check-prefix=WD
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="momentum=1" 2>&1 | FileCheck %s --check-prefix=MOM
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="nesterov" 2>&1 | FileCheck %s --check-prefix=NEST
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="optimizer=adam momentum=0.5" 2>&1 | FileCheck %s --check-prefix=ADAMMOM
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="optimizer=adam beta2=1" 2>&1 | FileCheck %s --check-prefix=BETA
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="optimizer=adamw eps=0" 2>&1 | FileCheck %s --check-prefix=EPS
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="lr-schedule=step lr-step-size=0" 2>&1 | FileCheck %s --check-prefix=STEP
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="lr-schedule=step lr-step-size=2 lr-gamma=0" 2>&1 | FileCheck %s --check-prefix=GAMMA
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="lr-schedule=cosine" 2>&1 | FileCheck %s --check-prefix=COSINE
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="lr-schedule=linear" 2>&1 | FileCheck %s --check-prefix=SCHED
// RUN: not kiln-opt %s -split-input-file -kiln-optimizer="function=f" 2>&1 | FileCheck %s --check-prefix=FUNC

// OPT: error: kiln-optimizer: unknown optimizer 'rmsprop' (sgd, adam, adamw)
// LR: error: kiln-optimizer: the learning rate must be positive (lr=0.000000e+00)
// WD: error: kiln-optimizer: weight-decay must be 0 or more (-1.000000e+00)
// MOM: error: kiln-optimizer: momentum must be in [0, 1) (1.000000e+00)
// NEST: error: kiln-optimizer: nesterov needs a momentum above 0
// ADAMMOM: error: kiln-optimizer: momentum and nesterov are SGD's; adam has beta1 and beta2
// BETA: error: kiln-optimizer: beta1 and beta2 must be in [0, 1) (9.000000e-01, 1.000000e+00)
// EPS: error: kiln-optimizer: eps must be positive (0.000000e+00)
// STEP: error: kiln-optimizer: the step schedule needs lr-step-size of 1 or more (0)
// GAMMA: error: kiln-optimizer: lr-gamma must be positive (0.000000e+00)
// COSINE: error: kiln-optimizer: the cosine schedule needs total-steps of 1 or more (0)
// SCHED: error: kiln-optimizer: unknown learning-rate schedule 'linear' (constant, step, cosine)
// FUNC: error: kiln-optimizer: no function 'f'

// A forward function (no gradients) is not a step's input.
// expected-error @+1 {{kiln-optimizer: 'main' must return a loss and the gradients kiln-autodiff built (it returns 1 values)}}
func.func @main(%w: tensor<3xf32> {kiln.name = "w"}) -> tensor<f32> {
  %l = kiln.reduce_sum %w {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The loss comes first.
// expected-error @+1 {{kiln-optimizer: the first result of 'main' must be the loss, a floating-point tensor of one element, not 'tensor<3xf32>'}}
func.func @main(%w: tensor<3xf32> {kiln.name = "w"}) -> (tensor<3xf32>, tensor<3xf32> {kiln.name = "w_grad"}) {
  return %w, %w : tensor<3xf32>, tensor<3xf32>
}

// -----

// Each gradient names its argument.
// expected-error @+1 {{kiln-optimizer: result #1 of 'main' is not named as the gradient of an argument ('<argument name>_grad', as kiln-autodiff names them)}}
func.func @main(%w: tensor<3xf32> {kiln.name = "w"}) -> (tensor<f32>, tensor<3xf32> {kiln.name = "v_grad"}) {
  %l = kiln.constant dense<1.0> : tensor<f32>
  return %l, %w : tensor<f32>, tensor<3xf32>
}

// -----

// A gradient has its argument's type.
// expected-error @+1 {{kiln-optimizer: the gradient of argument #0 has type 'tensor<1x3xf32>', not the argument's 'tensor<3xf32>'}}
func.func @main(%w: tensor<3xf32> {kiln.name = "w"}) -> (tensor<f32>, tensor<1x3xf32> {kiln.name = "w_grad"}) {
  %l = kiln.constant dense<1.0> : tensor<f32>
  %g = kiln.reshape %w {shape = array<i64: 1, 3>} : (tensor<3xf32>) -> tensor<1x3xf32>
  return %l, %g : tensor<f32>, tensor<1x3xf32>
}

// -----

// One gradient per parameter.
// expected-error @+1 {{kiln-optimizer: argument #0 of 'main' has two gradients}}
func.func @main(%w: tensor<3xf32> {kiln.name = "w"}) -> (tensor<f32>, tensor<3xf32> {kiln.name = "w_grad"}, tensor<3xf32> {kiln.name = "w_grad"}) {
  %l = kiln.constant dense<1.0> : tensor<f32>
  return %l, %w, %w : tensor<f32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// The step's own names are not free for the data.
// expected-error @+1 {{kiln-optimizer: argument #1 of 'main' is named 'step', a name the training step gives its own values}}
func.func @main(%w: tensor<3xf32> {kiln.name = "w"}, %s: tensor<3xf32> {kiln.name = "step"}) -> (tensor<f32>, tensor<3xf32> {kiln.name = "w_grad"}) {
  %l = kiln.constant dense<1.0> : tensor<f32>
  return %l, %w : tensor<f32>, tensor<3xf32>
}

// -----

// Without replace, the step's name must be free.
// expected-error @+1 {{kiln-optimizer: a symbol named 'main_step' already exists}}
func.func @main(%w: tensor<3xf32> {kiln.name = "w"}) -> (tensor<f32>, tensor<3xf32> {kiln.name = "w_grad"}) {
  %l = kiln.constant dense<1.0> : tensor<f32>
  return %l, %w : tensor<f32>, tensor<3xf32>
}
func.func @main_step() {
  return
}
