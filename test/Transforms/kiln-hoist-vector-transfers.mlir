// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-hoist-vector-transfers))' | FileCheck %s

// Two tiles of one output at constant, disjoint columns (16 lanes at 32,
// one at 48), each read and then written at loop-invariant indices: both
// move out of the loop, which carries them.
// CHECK-LABEL: func.func @disjoint_tiles
// CHECK: %[[A:.*]] = vector.transfer_read %arg2[%{{.*}}, %c32]
// CHECK: %[[B:.*]] = vector.transfer_read %arg2[%{{.*}}, %c48]
// CHECK: %[[K:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[A]], %{{.*}} = %[[B]]) -> (vector<1x16xf32>, vector<1x1xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: }
// CHECK-DAG: vector.transfer_write %[[K]]#0, %arg2[%{{.*}}, %c32]
// CHECK-DAG: vector.transfer_write %[[K]]#1, %arg2[%{{.*}}, %c48]
func.func @disjoint_tiles(%b: memref<512x49xf32>, %row: index, %out: memref<64x49xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c48 = arith.constant 48 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c256 step %c1 {
    %x = vector.transfer_read %b[%k, %c32], %zero {in_bounds = [true, true]} : memref<512x49xf32>, vector<1x16xf32>
    %acc = vector.transfer_read %out[%row, %c32], %zero {in_bounds = [true, true]} : memref<64x49xf32>, vector<1x16xf32>
    %sum = arith.addf %acc, %x : vector<1x16xf32>
    vector.transfer_write %sum, %out[%row, %c32] {in_bounds = [true, true]} : vector<1x16xf32>, memref<64x49xf32>
    %y = vector.transfer_read %b[%k, %c48], %zero {in_bounds = [true, true]} : memref<512x49xf32>, vector<1x1xf32>
    %acc2 = vector.transfer_read %out[%row, %c48], %zero {in_bounds = [true, true]} : memref<64x49xf32>, vector<1x1xf32>
    %sum2 = arith.addf %acc2, %y : vector<1x1xf32>
    vector.transfer_write %sum2, %out[%row, %c48] {in_bounds = [true, true]} : vector<1x1xf32>, memref<64x49xf32>
  }
  return
}

// -----

// The second tile starts at column 40, inside the first (32 to 47): the
// loop's order of writes matters, and nothing moves.
// CHECK-LABEL: func.func @overlapping_tiles
// CHECK: scf.for
// CHECK: vector.transfer_write {{.*}} vector<1x16xf32>, memref<64x49xf32>{{$}}
// CHECK: vector.transfer_write {{.*}} vector<1x1xf32>, memref<64x49xf32>{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @overlapping_tiles(%b: memref<512x49xf32>, %row: index, %out: memref<64x49xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c40 = arith.constant 40 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c256 step %c1 {
    %x = vector.transfer_read %b[%k, %c32], %zero {in_bounds = [true, true]} : memref<512x49xf32>, vector<1x16xf32>
    %acc = vector.transfer_read %out[%row, %c32], %zero {in_bounds = [true, true]} : memref<64x49xf32>, vector<1x16xf32>
    %sum = arith.addf %acc, %x : vector<1x16xf32>
    vector.transfer_write %sum, %out[%row, %c32] {in_bounds = [true, true]} : vector<1x16xf32>, memref<64x49xf32>
    %y = vector.transfer_read %b[%k, %c40], %zero {in_bounds = [true, true]} : memref<512x49xf32>, vector<1x1xf32>
    %acc2 = vector.transfer_read %out[%row, %c40], %zero {in_bounds = [true, true]} : memref<64x49xf32>, vector<1x1xf32>
    %sum2 = arith.addf %acc2, %y : vector<1x1xf32>
    vector.transfer_write %sum2, %out[%row, %c40] {in_bounds = [true, true]} : vector<1x1xf32>, memref<64x49xf32>
  }
  return
}

// -----

// Tiles at a dynamic column may overlap: nothing moves.
// CHECK-LABEL: func.func @dynamic_columns
// CHECK: scf.for
// CHECK: vector.transfer_write {{.*}} vector<1x16xf32>, memref<64x49xf32>{{$}}
// CHECK: vector.transfer_write {{.*}} vector<1x1xf32>, memref<64x49xf32>{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @dynamic_columns(%b: memref<512x49xf32>, %row: index, %col: index, %out: memref<64x49xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c256 step %c1 {
    %x = vector.transfer_read %b[%k, %c32], %zero {in_bounds = [true, true]} : memref<512x49xf32>, vector<1x16xf32>
    %acc = vector.transfer_read %out[%row, %c32], %zero {in_bounds = [true, true]} : memref<64x49xf32>, vector<1x16xf32>
    %sum = arith.addf %acc, %x : vector<1x16xf32>
    vector.transfer_write %sum, %out[%row, %c32] {in_bounds = [true, true]} : vector<1x16xf32>, memref<64x49xf32>
    %y = vector.transfer_read %b[%k, %col], %zero {in_bounds = [true, true]} : memref<512x49xf32>, vector<1x1xf32>
    %acc2 = vector.transfer_read %out[%row, %col], %zero {in_bounds = [true, true]} : memref<64x49xf32>, vector<1x1xf32>
    %sum2 = arith.addf %acc2, %y : vector<1x1xf32>
    vector.transfer_write %sum2, %out[%row, %col] {in_bounds = [true, true]} : vector<1x1xf32>, memref<64x49xf32>
  }
  return
}
