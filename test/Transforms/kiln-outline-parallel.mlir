// RUN: kiln-opt %s --split-input-file --kiln-outline-parallel | FileCheck %s

// A marked loop whose iterations write rows of the output at indices of the
// induction variable becomes a call over its whole range, and a private
// function over a sub-range: constants are cloned into it, other captured
// values (the buffers, the outer loop's index) become its arguments. The
// bounds of the inner loop, the same constants as the outer loop's, stay
// constants.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[IN:.*]]: memref<64x16xf32>, %[[OUT:.*]]: memref<64x16xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: scf.for %[[J:.*]] = 
// CHECK-NEXT: func.call @rows_par0(%[[C0]], %[[C64]], %[[IN]], %[[J]], %[[OUT]]) {kiln.parallel_call} : (index, index, memref<64x16xf32>, index, memref<64x16xf32>) -> ()
// CHECK-NOT: scf.for
// CHECK: return
// CHECK: func.func private @rows_par0(%[[BEGIN:.*]]: index, %[[END:.*]]: index, %[[PIN:.*]]: memref<64x16xf32>, %[[PJ:.*]]: index, %[[POUT:.*]]: memref<64x16xf32>) attributes {kiln.parallel_body = 4 : i64}
// CHECK-DAG: %[[PC0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[PC4:.*]] = arith.constant 4 : index
// CHECK: scf.for %[[I:.*]] = %[[BEGIN]] to %[[END]] step %[[PC4]] {
// CHECK:   scf.for %{{.*}} = %[[PC0]] to
// CHECK:     memref.load %[[PIN]]
// CHECK:     memref.store %{{.*}}, %[[POUT]]
// CHECK: }
// CHECK-NOT: kiln.parallel}
// CHECK: return
func.func @rows(%in: memref<64x16xf32>, %out: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c2 step %c1 {
    scf.for %i = %c0 to %c64 step %c4 {
      scf.for %k = %c0 to %c4 step %c1 {
        %row = arith.addi %i, %k : index
        %x = memref.load %in[%row, %j] : memref<64x16xf32>
        memref.store %x, %out[%row, %j] : memref<64x16xf32>
      }
    } {kiln.parallel}
  }
  return
}

// -----

// A scratch buffer allocated inside the body is the iteration's own: the
// loop is outlined, the allocation and its release inside the function.
// CHECK-LABEL: func.func @private_scratch
// CHECK: call @private_scratch_par0
// CHECK: func.func private @private_scratch_par0
// CHECK: scf.for
// CHECK:   memref.alloc
// CHECK:   memref.dealloc
func.func @private_scratch(%out: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    %tmp = memref.alloc() : memref<16xf32>
    memref.store %f, %tmp[%c0] : memref<16xf32>
    %x = memref.load %tmp[%c0] : memref<16xf32>
    memref.store %x, %out[%i, %c0] : memref<64x16xf32>
    memref.dealloc %tmp : memref<16xf32>
  } {kiln.parallel}
  return
}

// -----

// A subview of the output at an offset of the induction variable is the
// iteration's part of the output.
// CHECK-LABEL: func.func @subview_tile
// CHECK: call @subview_tile_par0
func.func @subview_tile(%out: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c64 step %c8 {
    %tile = memref.subview %out[%i, 0] [8, 16] [1, 1] : memref<64x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
    linalg.fill ins(%f : f32) outs(%tile : memref<8x16xf32, strided<[16, 1], offset: ?>>)
  } {kiln.parallel}
  return
}

// -----

// A scratch buffer shared by the iterations (allocated once before the loop
// and written at the same place by each) would be a race: the loop stays
// serial and loses its mark.
// CHECK-LABEL: func.func @shared_scratch
// CHECK-NOT: call
// CHECK: scf.for
// CHECK-NOT: kiln.parallel
// CHECK: return
func.func @shared_scratch(%out: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  %tmp = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %f, %tmp[%c0] : memref<16xf32>
    %x = memref.load %tmp[%c0] : memref<16xf32>
    memref.store %x, %out[%i, %c0] : memref<64x16xf32>
  } {kiln.parallel}
  memref.dealloc %tmp : memref<16xf32>
  return
}

// -----

// Likewise a view of the arena kiln-plan-memory shares, written at the
// same place by every iteration.
// CHECK-LABEL: func.func @shared_arena_view
// CHECK-NOT: call
// CHECK-NOT: kiln.parallel
func.func @shared_arena_view(%out: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  %arena = memref.alloc() {alignment = 64 : i64} : memref<1024xi8>
  %tmp = memref.view %arena[%c0][] : memref<1024xi8> to memref<16xf32>
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %f, %tmp[%c0] : memref<16xf32>
    %x = memref.load %tmp[%c0] : memref<16xf32>
    memref.store %x, %out[%i, %c0] : memref<64x16xf32>
  } {kiln.parallel}
  memref.dealloc %arena : memref<1024xi8>
  return
}

// -----

// A loop that carries a value from one iteration to the next, or calls a
// function whose effects are unknown, stays serial.
// CHECK-LABEL: func.func @carried
// CHECK-NOT: call @carried_par
// CHECK-NOT: kiln.parallel
// CHECK-LABEL: func.func @opaque_call
// CHECK-NOT: call @opaque_call_par
// CHECK-NOT: kiln.parallel
func.func @carried(%out: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
    %x = memref.load %out[%i] : memref<64xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %out[%i] : memref<64xf32>
    scf.yield %s : f32
  } {kiln.parallel}
  return %sum : f32
}
func.func private @effects(memref<64xf32>)
func.func @opaque_call(%out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    func.call @effects(%out) : (memref<64xf32>) -> ()
  } {kiln.parallel}
  return
}

// -----

// A marked loop inside a marked loop runs serially inside the outer one's
// function.
// CHECK-LABEL: func.func @nested
// CHECK: call @nested_par0
// CHECK-NOT: call @nested_par1
// CHECK: func.func private @nested_par0
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: kiln.parallel
// CHECK: return
func.func @nested(%out: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      memref.store %f, %out[%i, %j] : memref<64x16xf32>
    } {kiln.parallel}
  } {kiln.parallel}
  return
}
