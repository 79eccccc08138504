// RUN: kiln-opt %s --kiln-gpu-host-shared | FileCheck %s

// A buffer host code reads becomes host shared; one only kernels touch
// stays in device memory.
// CHECK-LABEL: func.func @shape_read
// CHECK: %[[SHAPE:.*]] = gpu.alloc host_shared () : memref<2xi64>
// CHECK: %[[DATA:.*]] = gpu.alloc () : memref<8xf32>
// CHECK: memref.load %[[SHAPE]]
func.func @shape_read() -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %shape = gpu.alloc () : memref<2xi64>
  %data = gpu.alloc () : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %one = arith.constant 1 : i64
    %f = arith.constant 1.0 : f32
    memref.store %one, %shape[%c0] : memref<2xi64>
    memref.store %f, %data[%c0] : memref<8xf32>
    gpu.terminator
  }
  %n = memref.load %shape[%c0] : memref<2xi64>
  return %n : i64
}
