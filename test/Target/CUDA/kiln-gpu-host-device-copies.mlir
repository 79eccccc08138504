// RUN: kiln-opt %s --split-input-file --verify-diagnostics --kiln-gpu-host-device-copies | FileCheck %s

// Inputs and weights are copied to the device once, at entry; intermediates
// are device buffers; the result is copied back into host memory the caller
// owns, and every device buffer is freed before the return.
memref.global "private" constant @w : memref<4xf32> = dense<1.0>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[ARG:.*]]: memref<?x4xf32>)
// CHECK: %[[DIM:.*]] = memref.dim %[[ARG]]
// CHECK: %[[IN:.*]] = gpu.alloc (%[[DIM]]) : memref<?x4xf32>
// CHECK: gpu.memcpy %[[IN]], %[[ARG]]
// CHECK: %[[G:.*]] = memref.get_global @w
// CHECK: %[[W:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.memcpy %[[W]], %[[G]]
// CHECK: %[[OUT:.*]] = gpu.alloc (%{{.*}}) : memref<?x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[IN]], %[[W]] : {{.*}}) outs(%[[OUT]] :
// CHECK: %[[HOST:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x4xf32>
// CHECK: gpu.memcpy %[[HOST]], %[[OUT]]
// CHECK-DAG: gpu.dealloc %[[IN]]
// CHECK-DAG: gpu.dealloc %[[W]]
// CHECK-DAG: gpu.dealloc %[[OUT]]
// CHECK: return %[[HOST]]
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d1)>
func.func @main(%arg0: memref<?x4xf32>) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %w = memref.get_global @w : memref<4xf32>
  %d = memref.dim %arg0, %c0 : memref<?x4xf32>
  %out = memref.alloc(%d) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%arg0, %w : memref<?x4xf32>, memref<4xf32>) outs(%out : memref<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return %out : memref<?x4xf32>
}

// -----

// Intermediate allocations and frees move to device memory.
// CHECK-LABEL: func.func @temporaries
// CHECK-NOT: memref.alloc(
// CHECK: gpu.alloc () : memref<8xf32>
// CHECK: %[[T:.*]] = gpu.alloc () : memref<8xf32>
// CHECK: memref.copy %{{.*}}, %[[T]]
// CHECK: gpu.dealloc %[[T]]
// CHECK-NOT: memref.dealloc
func.func @temporaries(%arg0: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  memref.copy %arg0, %t : memref<8xf32> to memref<8xf32>
  memref.dealloc %t : memref<8xf32>
  return
}

// -----

// Private functions (such as the deallocation helper) stay on the host.
// CHECK-LABEL: func.func private @helper
// CHECK: memref.alloc
// CHECK-NOT: gpu.
func.func private @helper(%arg0: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  memref.dealloc %t : memref<8xf32>
  return
}

// -----

// Copies move whole buffers, so a strided argument is refused.
func.func @strided(%arg0: memref<4xf32, strided<[2]>>) {
  // expected-error@-1 {{the CUDA target needs arguments with the identity layout}}
  return
}
