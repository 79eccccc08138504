// RUN: kiln-opt %s -split-input-file -kiln-batch-norm-training -verify-diagnostics -o %t
// RUN: not kiln-opt %s -split-input-file -kiln-batch-norm-training="momentum=1.5" 2>&1 | FileCheck %s --check-prefix=MOMENTUM
// MOMENTUM: kiln-batch-norm-training: momentum must be in [0, 1] (1.5

// Two batch norms cannot both update one running statistic.
func.func @main(%x: tensor<2x3xf32> {kiln.name = "x"}, %s: tensor<3xf32> {kiln.name = "s"}, %m: tensor<3xf32> {kiln.name = "m"}, %v: tensor<3xf32> {kiln.name = "v"}) -> tensor<2x3xf32> {
  %y = kiln.batch_norm %x, %s, %s, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // expected-error @+1 {{kiln-batch-norm-training: the running statistic "m" is used by two batch normalisations}}
  %z = kiln.batch_norm %y, %s, %s, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{kiln-batch-norm-training: no function 'main'}}
module {
  func.func @other() {
    return
  }
}
