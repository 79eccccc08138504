// RUN: kiln-opt %s -split-input-file -kiln-add-loss -verify-diagnostics -o %t
// RUN: not kiln-opt %s -split-input-file -kiln-add-loss="loss=hinge" 2>&1 | FileCheck %s --check-prefix=LOSS
// RUN: not kiln-opt %s -split-input-file -kiln-add-loss="output=nope" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not kiln-opt %s -split-input-file -kiln-add-loss="output=3" 2>&1 | FileCheck %s --check-prefix=INDEX
// RUN: not kiln-opt %s -split-input-file -kiln-add-loss="function=f" 2>&1 | FileCheck %s --check-prefix=FUNC

// LOSS: error: kiln-add-loss: unknown loss 'hinge' (cross_entropy, mse)
// NAME: error: kiln-add-loss: 'main' has no result named 'nope'
// INDEX: error: kiln-add-loss: 'main' has no result #3 (it has 1)
// FUNC: error: kiln-add-loss: no function 'f'

// Cross-entropy needs a class axis.
// expected-error @+1 {{kiln-add-loss: cross_entropy needs logits of rank 2 or more (N, C, d...), not 'tensor<4xf32>'}}
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// The one-hot comparison needs the number of classes.
// expected-error @+1 {{kiln-add-loss: cross_entropy needs a static number of classes (dimension 1 of 'tensor<2x?xf32>')}}
func.func @main(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  return %x : tensor<2x?xf32>
}

// -----

// The labels are reshaped with one inferred dim at most.
// expected-error @+1 {{kiln-add-loss: cross_entropy needs logits with at most one dynamic dimension, not 'tensor<?x3x?xf32>'}}
func.func @main(%x: tensor<?x3x?xf32>) -> tensor<?x3x?xf32> {
  return %x : tensor<?x3x?xf32>
}

// -----

// A loss on integers has no gradient.
// expected-error @+1 {{kiln-add-loss: result #0 of 'main' must be a floating-point tensor, not 'tensor<2x3xi64>'}}
func.func @main(%x: tensor<2x3xi64>) -> tensor<2x3xi64> {
  return %x : tensor<2x3xi64>
}

// -----

// The labels' name is free.
// expected-error @+1 {{kiln-add-loss: 'main' already has an argument named 'label'}}
func.func @main(%x: tensor<2x3xf32> {kiln.name = "label"}) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

// Nothing to compute a loss on.
// expected-error @+1 {{kiln-add-loss: 'main' returns nothing to compute a loss on}}
func.func @main(%x: tensor<2x3xf32>) {
  return
}
