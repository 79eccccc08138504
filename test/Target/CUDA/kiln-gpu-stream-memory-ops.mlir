// RUN: kiln-opt %s --split-input-file --kiln-gpu-stream-memory-ops | FileCheck %s

// The device allocation, copy and free of a block chain on one stream and
// the host waits once, before the return; a host-shared allocation stays
// synchronous (gpu-to-llvm's rule) and waits for nothing.
// CHECK-LABEL: func.func @copies
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK: %[[D:.*]], %[[T0:.*]] = gpu.alloc async [%[[S]]] ()
// CHECK-NEXT: %[[T1:.*]] = gpu.memcpy async [%[[T0]]] %[[D]], %arg0
// CHECK-NEXT: gpu.alloc host_shared ()
// CHECK-NEXT: %[[T2:.*]] = gpu.dealloc async [%[[T1]]] %[[D]]
// CHECK-NEXT: gpu.wait [%[[T2]]]
// CHECK-NEXT: return
// CHECK-NOT: gpu.wait
func.func @copies(%arg0: memref<8xf32>) {
  %d = gpu.alloc () : memref<8xf32>
  gpu.memcpy %d, %arg0 : memref<8xf32>, memref<8xf32>
  %s = gpu.alloc host_shared () : memref<2xi64>
  gpu.dealloc %d : memref<8xf32>
  return
}

// -----

// Kernels join the chain too: the copy back to the host is ordered after
// the launch on the stream, and the host waits for both before it returns.
// Host allocations and shape arithmetic between them wait for nothing.
// CHECK-LABEL: func.func @launch
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK: %[[D:.*]], %[[T0:.*]] = gpu.alloc async [%[[S]]] ()
// CHECK: %[[T1:.*]] = gpu.launch async [%[[T0]]] blocks
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK-NOT: gpu.wait
// CHECK: %[[H:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: %[[T2:.*]] = gpu.memcpy async [%[[T1]]] %[[H]], %[[D]]
// CHECK-NEXT: %[[T3:.*]] = gpu.dealloc async [%[[T2]]] %[[D]]
// CHECK-NEXT: gpu.wait [%[[T3]]]
// CHECK-NEXT: return %[[H]]
func.func @launch() -> memref<8xf32> {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  %d = gpu.alloc () : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    memref.store %f, %d[%tx] : memref<8xf32>
    gpu.terminator
  }
  %h = memref.alloc() : memref<8xf32>
  gpu.memcpy %h, %d : memref<8xf32>, memref<8xf32>
  gpu.dealloc %d : memref<8xf32>
  return %h : memref<8xf32>
}

// -----

// A host read of a host-shared buffer a kernel wrote waits for the chain
// first; the work after it starts a new chain.
// CHECK-LABEL: func.func @host_read
// CHECK: %[[M:.*]] = gpu.alloc host_shared ()
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: %[[T0:.*]] = gpu.launch async [%[[S0]]]
// CHECK: gpu.wait [%[[T0]]]
// CHECK-NEXT: %[[V:.*]] = memref.load %[[M]]
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: %[[T1:.*]] = gpu.dealloc async [%[[S1]]] %[[M]]
// CHECK: gpu.wait [%[[T1]]]
// CHECK-NEXT: return %[[V]]
func.func @host_read() -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.constant 7 : i64
  %m = gpu.alloc host_shared () : memref<1xi64>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %v, %m[%tx] : memref<1xi64>
    gpu.terminator
  }
  %r = memref.load %m[%c0] : memref<1xi64>
  gpu.dealloc %m : memref<1xi64>
  return %r : i64
}

// -----

// Host control flow waits for the chain before it, and each of its blocks
// has a chain of its own that ends before the block's terminator.
// CHECK-LABEL: func.func @loop
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: %[[D:.*]], %[[T0:.*]] = gpu.alloc async [%[[S0]]] ()
// CHECK: gpu.wait [%[[T0]]]
// CHECK-NEXT: scf.for
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: %[[T1:.*]] = gpu.memcpy async [%[[S1]]] %[[D]], %arg0
// CHECK: gpu.wait [%[[T1]]]
// CHECK-NEXT: }
// CHECK: %[[S2:.*]] = gpu.wait async
// CHECK: %[[T2:.*]] = gpu.dealloc async [%[[S2]]] %[[D]]
// CHECK: gpu.wait [%[[T2]]]
func.func @loop(%arg0: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d = gpu.alloc () : memref<8xf32>
  scf.for %i = %c0 to %n step %c1 {
    gpu.memcpy %d, %arg0 : memref<8xf32>, memref<8xf32>
  }
  gpu.dealloc %d : memref<8xf32>
  return
}

// -----

// The runtime's constant lookup reads host memory only and completes its own
// upload: it does not break the chain. Any other call waits for it.
// CHECK-LABEL: func.func @calls
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK: %[[T0:.*]] = gpu.memcpy async [%[[S]]]
// CHECK-NOT: gpu.wait
// CHECK: llvm.call @kilnCudaConstant
// CHECK-NEXT: %[[T1:.*]] = gpu.memcpy async [%[[T0]]]
// CHECK-NEXT: gpu.wait [%[[T1]]]
// CHECK-NEXT: call @opaque
llvm.func @kilnCudaConstant(!llvm.ptr, i64) -> !llvm.ptr
func.func private @opaque()
func.func @calls(%arg0: memref<8xf32>, %arg1: memref<8xf32>, %p: !llvm.ptr) {
  %n = llvm.mlir.constant(32 : i64) : i64
  gpu.memcpy %arg0, %arg1 : memref<8xf32>, memref<8xf32>
  %w = llvm.call @kilnCudaConstant(%p, %n) : (!llvm.ptr, i64) -> !llvm.ptr
  gpu.memcpy %arg1, %arg0 : memref<8xf32>, memref<8xf32>
  func.call @opaque() : () -> ()
  return
}
