// kilnc compiles a .mlir file in the kiln dialect as it is, such as a
// gradient function made by kiln-opt --kiln-autodiff=replace.
// RUN: kiln-opt %s --kiln-autodiff=replace -o %t.mlir
// RUN: kilnc %t.mlir --emit=mlir --stop-after=kiln | FileCheck %s
// RUN: kilnc %t.mlir -o %t.so
// RUN: not kilnc %s.missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING

// CHECK-LABEL: func.func @main(
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32> {kiln.name = "x_grad"})
// CHECK: kiln.mul
// CHECK: return

// MISSING: error: {{.*}}missing.mlir
func.func @main(%x: tensor<3xf32> {kiln.name = "x"}) -> tensor<f32> {
  %y = kiln.mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
