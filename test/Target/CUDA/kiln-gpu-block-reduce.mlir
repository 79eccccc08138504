// RUN: kiln-opt %s --split-input-file --kiln-gpu-block-reduce --cse | FileCheck %s

// Softmax's row maximum, 3 rows of 37: one block per row, 64 threads (37
// rounded up to a power of two) each taking a strided part of the row
// from -inf, a tree through workgroup memory with a barrier after each of
// its 6 steps, and thread 0 of a block inside the rows combines the total
// into the output element in the body's operand order.
// CHECK-LABEL: func.func @row_max
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C37:.*]] = arith.constant 37 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: gpu.launch blocks(%[[ROW:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C3]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C64]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]])
// CHECK-SAME: workgroup(%[[PARTS:.*]] : memref<64xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[ROW]], %[[C3]] : index
// CHECK: %[[R:.*]] = arith.select %[[IN]], %[[ROW]], %{{.*}} : index
// CHECK: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[END:.*]] = arith.select %[[IN]], %[[C37]], %{{.*}} : index
// CHECK: %[[MINE:.*]] = scf.for %[[J:.*]] = %[[T]] to %[[END]] step %[[C64]] iter_args(%[[ACC:.*]] = %[[NEG_INF]]) -> (f32) {
// CHECK-NEXT: %[[X:.*]] = memref.load %arg0[%[[R]], %[[J]]] : memref<3x37xf32>
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: scf.yield %[[M]] : f32
// CHECK: memref.store %[[MINE]], %[[PARTS]][%[[T]]]
// CHECK-NEXT: gpu.barrier
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[ACTIVE:.*]] = arith.cmpi ult, %[[T]], %[[C32]] : index
// CHECK: scf.if %[[ACTIVE]] {
// CHECK: %[[A:.*]] = memref.load %[[PARTS]][%[[T]]]
// CHECK: %[[OTHER:.*]] = arith.addi %[[T]], %[[C32]] : index
// CHECK: %[[B:.*]] = memref.load %[[PARTS]][%[[OTHER]]]
// CHECK: %[[AB:.*]] = arith.maximumf %[[A]], %[[B]] : f32
// CHECK: memref.store %[[AB]], %[[PARTS]][%[[T]]]
// CHECK: }
// CHECK-NEXT: gpu.barrier
// CHECK-COUNT-5: gpu.barrier
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[T]], %{{.*}} : index
// CHECK: %[[WRITE:.*]] = arith.andi %[[FIRST]], %[[IN]] : i1
// CHECK: scf.if %[[WRITE]] {
// CHECK: %[[TOTAL:.*]] = memref.load %[[PARTS]][%{{.*}}]
// CHECK: %[[OLD:.*]] = memref.load %arg1[%[[R]]] : memref<3xf32>
// CHECK: %[[NEW:.*]] = arith.maximumf %[[TOTAL]], %[[OLD]] : f32
// CHECK: memref.store %[[NEW]], %arg1[%[[R]]] : memref<3xf32>
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
func.func @row_max(%x: memref<3x37xf32>, %m: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<3x37xf32>) outs(%m : memref<3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Layer norm's variance with dynamic sizes: the rows (N x M) linearized
// along the grid's x (at least one block), 256 threads for a row of
// dynamic length, the sum starting from -0; the body's other input is
// loaded at the row's indices and its ops cloned into the loop.
// CHECK-LABEL: func.func @dynamic_variance
// CHECK-DAG: %[[N:.*]] = memref.dim %arg0, %c0
// CHECK-DAG: %[[M:.*]] = memref.dim %arg0, %c1
// CHECK-DAG: %[[L:.*]] = memref.dim %arg0, %c2
// CHECK: %[[ROWS:.*]] = arith.muli %[[N]], %[[M]] : index
// CHECK: %[[GRID:.*]] = arith.maxui %[[ROWS]], %{{.*}} : index
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch blocks(%[[ROW:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], {{.*}} threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]],
// CHECK-SAME: workgroup(%{{.*}} : memref<256xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[ROW]], %[[ROWS]] : index
// CHECK: %[[SAFE:.*]] = arith.select %[[IN]], %[[ROW]], %{{.*}} : index
// CHECK: %[[J:.*]] = arith.remui %[[SAFE]], %[[M]] : index
// CHECK: %[[I:.*]] = arith.divui %[[SAFE]], %[[M]] : index
// CHECK: %[[NEG_ZERO:.*]] = arith.constant -0.000000e+00 : f32
// CHECK: %[[END:.*]] = arith.select %[[IN]], %[[L]], %{{.*}} : index
// CHECK: scf.for %[[K:.*]] = %[[T]] to %[[END]] step %[[C256]] iter_args(%[[ACC:.*]] = %[[NEG_ZERO]]) -> (f32) {
// CHECK-NEXT: %[[X:.*]] = memref.load %arg0[%[[I]], %[[J]], %[[K]]] : memref<?x?x?xf32>
// CHECK-NEXT: %[[MEAN:.*]] = memref.load %arg1[%[[I]], %[[J]]] : memref<?x?xf32>
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[X]], %[[MEAN]] : f32
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK-NEXT: scf.yield %[[S]] : f32
// CHECK-COUNT-9: gpu.barrier
// CHECK: %[[OLD:.*]] = memref.load %arg2[%[[I]], %[[J]]] : memref<?x?xf32>
// CHECK: arith.addf %[[OLD]], %{{.*}} : f32
// CHECK: memref.store %{{.*}}, %arg2[%[[I]], %[[J]]] : memref<?x?xf32>
func.func @dynamic_variance(%x: memref<?x?x?xf32>, %mean: memref<?x?xf32>, %v: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %mean : memref<?x?x?xf32>, memref<?x?xf32>) outs(%v : memref<?x?xf32>) {
  ^bb0(%in: f32, %mu: f32, %out: f32):
    %0 = arith.subf %in, %mu : f32
    %1 = arith.mulf %0, %0 : f32
    %2 = arith.addf %out, %1 : f32
    linalg.yield %2 : f32
  }
  return
}

// -----

// A sum of a 4x6 matrix to a scalar: one block of 32 threads walking the
// 24 elements, the reduction dims delinearized from the row index.
// CHECK-LABEL: func.func @to_scalar
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C24:.*]] = arith.constant 24 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C1]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C32]],
// CHECK-SAME: workgroup(%{{.*}} : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %[[E:.*]] = %[[T]] to %{{.*}} step %[[C32]]
// CHECK-NEXT: %[[COL:.*]] = arith.remui %[[E]], %[[C6]] : index
// CHECK-NEXT: %[[ROW:.*]] = arith.divui %[[E]], %[[C6]] : index
// CHECK-NEXT: memref.load %arg0[%[[ROW]], %[[COL]]] : memref<4x6xf32>
// CHECK-COUNT-6: gpu.barrier
// CHECK: memref.load %arg1[] : memref<f32>
// CHECK: memref.store %{{.*}}, %arg1[] : memref<f32>
func.func @to_scalar(%x: memref<4x6xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%x : memref<4x6xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Left to kiln-gpu-map-linalg: a matmul (B is read across its rows), a
// product, a reduction over an outer dim, a body with linalg.index, an f16
// sum, a pooling window, and a reduction on tensors.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: gpu.launch
// CHECK: linalg.matmul
// CHECK: arith.mulf
// CHECK: iterator_types = ["reduction", "parallel"]
// CHECK: linalg.index
// CHECK: f16
// CHECK: linalg.pooling_nchw_max
// CHECK: tensor<4x8xf32>
// CHECK-NOT: gpu.launch
func.func @left_alone(%a: memref<4x8xf32>, %b: memref<8x4xf32>, %c: memref<4x4xf32>, %r: memref<4xf32>, %h: memref<4x8xf16>, %hr: memref<4xf16>,
                      %img: memref<1x1x4x4xf32>, %win: memref<2x2xf32>, %pool: memref<1x1x3x3xf32>, %t: tensor<4x8xf32>, %tr: tensor<4xf32>) -> tensor<4xf32> {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x4xf32>) outs(%c : memref<4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a : memref<4x8xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.mulf %in, %out : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%b : memref<8x4xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a : memref<4x8xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %0 = arith.mulf %in, %f : f32
    %1 = arith.addf %0, %out : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%h : memref<4x8xf16>) outs(%hr : memref<4xf16>) {
  ^bb0(%in: f16, %out: f16):
    %0 = arith.addf %in, %out : f16
    linalg.yield %0 : f16
  }
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%img, %win : memref<1x1x4x4xf32>, memref<2x2xf32>) outs(%pool : memref<1x1x3x3xf32>)
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%t : tensor<4x8xf32>) outs(%tr : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}
