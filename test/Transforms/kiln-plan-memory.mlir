// RUN: kiln-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(kiln-plan-memory))' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --mlir-print-op-on-diagnostic=false -o %t \
// RUN:   --pass-pipeline='builtin.module(func.func(kiln-plan-memory{report=1}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REPORT

// Two buffers whose lifetimes do not overlap share offset 0; the one that
// is live at the same time as both gets its own bytes.
// CHECK-LABEL: func.func @reuse
// REPORT: remark: memory plan: 3 buffer(s) of 3072 bytes in an arena of 2048 bytes, 1 allocation(s) at run time
// CHECK-DAG: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048xi8>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1024:.*]] = arith.constant 1024 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[C1024]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<256xf32>
// CHECK: return %[[OUT]]
func.func @reuse(%x: memref<256xf32>) -> memref<256xf32> {
  %a = memref.alloc() : memref<256xf32>
  memref.copy %x, %a : memref<256xf32> to memref<256xf32>
  %b = memref.alloc() : memref<256xf32>
  memref.copy %a, %b : memref<256xf32> to memref<256xf32>
  %c = memref.alloc() : memref<256xf32>
  memref.copy %b, %c : memref<256xf32> to memref<256xf32>
  %out = memref.alloc() : memref<256xf32>
  memref.copy %c, %out : memref<256xf32> to memref<256xf32>
  return %out : memref<256xf32>
}

// -----

// A view keeps its buffer alive: %a is read through %sub after %b is
// allocated, so the two may not share bytes.
// CHECK-LABEL: func.func @alias_extends_lifetime
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: memref.view %{{.*}}[%[[O1:.*]]][] : memref<128xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%[[O2:.*]]][] : memref<128xi8> to memref<8xf32>
func.func @alias_extends_lifetime(%x: memref<8xf32>, %y: memref<8xf32>) {
  %a = memref.alloc() : memref<16xf32>
  %sub = memref.subview %a[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %x, %sub : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  %b = memref.alloc() : memref<8xf32>
  memref.copy %x, %b : memref<8xf32> to memref<8xf32>
  memref.copy %sub, %y : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32>
  memref.copy %b, %y : memref<8xf32> to memref<8xf32>
  return
}

// -----

// A buffer used inside a loop lives until the loop ends.
// CHECK-LABEL: func.func @loop_use
// REPORT: remark: memory plan: 2 buffer(s) of 64 bytes in an arena of 128 bytes
// CHECK: %[[A:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<128xi8> to memref<8xf32>
// CHECK: %[[B:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<128xi8> to memref<8xf32>
// CHECK: scf.for
// CHECK-NEXT: memref.copy %[[B]], %[[A]]
func.func @loop_use(%x: memref<8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  memref.copy %x, %b : memref<8xf32> to memref<8xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    memref.copy %b, %a : memref<8xf32> to memref<8xf32>
  }
  memref.copy %a, %y : memref<8xf32> to memref<8xf32>
  return
}

// -----

// Kept as they are: a result returned through a reshape, a dynamic size,
// an allocation inside a loop, sub-byte elements, a buffer made a tensor,
// and one that is deallocated by hand.
// CHECK-LABEL: func.func @kept
// REPORT: remark: memory plan: no buffer in an arena, 6 allocation(s) at run time
// CHECK-NOT: memref.view
func.func @kept(%n: index, %x: memref<4xi1>) -> (memref<8xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<2x4xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %l = memref.alloc() : memref<4xf32>
    memref.store %zero, %l[%c0] : memref<4xf32>
    memref.store %zero, %d[%i] : memref<?xf32>
  }
  %bits = memref.alloc() : memref<4xi1>
  memref.copy %x, %bits : memref<4xi1> to memref<4xi1>
  %t = memref.alloc() : memref<4xf32>
  %tensor = bufferization.to_tensor %t : memref<4xf32> to tensor<4xf32>
  %freed = memref.alloc() : memref<4xf32>
  memref.dealloc %freed : memref<4xf32>
  return %flat, %tensor : memref<8xf32>, tensor<4xf32>
}
