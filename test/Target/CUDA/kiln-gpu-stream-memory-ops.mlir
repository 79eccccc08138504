// RUN: kiln-opt %s --kiln-gpu-stream-memory-ops | FileCheck %s

// Each device allocation, copy and free runs on a stream and is waited for;
// host-shared allocations stay synchronous (gpu-to-llvm's rule).
// CHECK-LABEL: func.func @copies
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: %[[D:.*]], %[[T0:.*]] = gpu.alloc async [%[[S0]]] ()
// CHECK: gpu.wait [%[[T0]]]
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: %[[T1:.*]] = gpu.memcpy async [%[[S1]]] %[[D]], %arg0
// CHECK: gpu.wait [%[[T1]]]
// CHECK: gpu.alloc host_shared ()
// CHECK: %[[S2:.*]] = gpu.wait async
// CHECK: %[[T2:.*]] = gpu.dealloc async [%[[S2]]] %[[D]]
// CHECK: gpu.wait [%[[T2]]]
func.func @copies(%arg0: memref<8xf32>) {
  %d = gpu.alloc () : memref<8xf32>
  gpu.memcpy %d, %arg0 : memref<8xf32>, memref<8xf32>
  %s = gpu.alloc host_shared () : memref<2xi64>
  gpu.dealloc %d : memref<8xf32>
  return
}
