// RUN: kiln-opt %s --split-input-file --verify-diagnostics --kiln-gpu-merge-kernel-modules | FileCheck %s

// Two outlined kernels end up in one module, each named after its old
// module, and the launches follow them.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: gpu.launch_func @kiln_kernels::@f_kernel
// CHECK: gpu.launch_func @kiln_kernels::@f_kernel_0
// CHECK: gpu.module @kiln_kernels {
// CHECK: gpu.func @f_kernel(
// CHECK: gpu.func @f_kernel_0(
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @f(%arg0: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<8xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%arg0 : memref<8xf32>)
    return
  }
  gpu.module @f_kernel {
    gpu.func @f_kernel(%arg0: memref<8xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%arg0: memref<8xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Modules that already have a target are not merged.
module attributes {gpu.container_module} {
  // expected-error@+1 {{cannot merge a gpu.module that already has targets}}
  gpu.module @k [#nvvm.target] {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}
