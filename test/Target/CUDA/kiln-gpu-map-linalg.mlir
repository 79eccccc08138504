// RUN: kiln-opt %s --split-input-file --kiln-gpu-map-linalg | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --kiln-gpu-map-linalg=block-size=2048 2>&1 | FileCheck %s --check-prefix=BADBLOCK

// The block size must be a number of threads a block can have.
// BADBLOCK: error: block-size 2048 is not a number of threads per block (1-1024)

// A 2-D elementwise op: one loop over all 4x100 elements, in tiles of 256
// threads (blocks on x, threads on x), bounds checked in the tile.
// CHECK-LABEL: func.func @elementwise
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[TILE:.*]] = arith.muli %{{.*}}, %[[C256]]
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%[[TILE]])
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[TILE]])
// CHECK: scf.if
// CHECK: math.exp
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK-NOT: linalg.generic
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%a: memref<4x100xf32>, %b: memref<4x100xf32>) {
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%a : memref<4x100xf32>) outs(%b : memref<4x100xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A matmul: one thread per output element, the reduction a loop in it; a
// small constant trip count (2x3) gets a block of 32 threads.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[TILE:.*]] = arith.muli %{{.*}}, %[[C32]]
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%[[TILE]])
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[TILE]])
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: processor = thread_x
// CHECK: processor = block_x
func.func @matmul(%a: memref<2x8xf32>, %b: memref<8x3xf32>, %c: memref<2x3xf32>) {
  linalg.matmul ins(%a, %b : memref<2x8xf32>, memref<8x3xf32>) outs(%c : memref<2x3xf32>)
  return
}

// -----

// A full reduction has no parallel dim: it runs in one thread of one block.
// CHECK-LABEL: func.func @full_reduction
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[C1B:.*]] = arith.constant 1 : index
// CHECK: %[[TILE:.*]] = arith.muli %[[C1]], %[[C1B]]
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[C1]]) step (%[[TILE]])
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[TILE]])
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: processor = thread_x
// CHECK: processor = block_x
#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @full_reduction(%a: memref<64xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction"]} ins(%a : memref<64xf32>) outs(%s : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  return
}

