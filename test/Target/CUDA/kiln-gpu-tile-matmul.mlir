// RUN: kiln-opt %s --split-input-file --kiln-gpu-tile-matmul --cse | FileCheck %s

// A static matmul whose sizes are multiples of the tiles: a 2x2 grid of
// 16x16-thread blocks, the A and B tiles in workgroup memory, the k loop in
// steps of 16 with a barrier before the copies and one after them, guarded
// loads that read 0 outside A and B, and C += the accumulators.
// CHECK-LABEL: func.func @square
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C2]], %{{.*}} = %[[C2]], %{{.*}} = %{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C16]], %{{.*}} = %[[C16]],
// CHECK-SAME: workgroup(%[[TA:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>, %[[TB:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]]:16 = scf.for %[[K0:.*]] = %{{.*}} to %[[C128]] step %{{.*}} iter_args(
// CHECK-NEXT: gpu.barrier
// CHECK: %[[KIN:.*]] = arith.cmpi ult, %{{.*}}, %[[C128]] : index
// CHECK: scf.if %{{.*}} -> (f32) {
// CHECK-NEXT: memref.load %arg0[
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[ZERO]] : f32
// CHECK: memref.store %{{.*}}, %[[TA]][
// CHECK: memref.load %arg1[
// CHECK: memref.store %{{.*}}, %[[TB]][
// CHECK: gpu.barrier
// CHECK: memref.load %[[TA]][
// CHECK: memref.load %[[TB]][
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK: scf.yield
// CHECK: scf.if %{{.*}} {
// CHECK-NEXT: %[[OLD:.*]] = memref.load %arg2[
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[OLD]], %[[ACC]]#0 : f32
// CHECK-NEXT: memref.store %[[SUM]], %arg2[
// CHECK: gpu.terminator
// CHECK-NOT: linalg.matmul
func.func @square(%a: memref<128x128xf32>, %b: memref<128x128xf32>, %c: memref<128x128xf32>) {
  linalg.matmul ins(%a, %b : memref<128x128xf32>, memref<128x128xf32>) outs(%c : memref<128x128xf32>)
  return
}

// -----

// Sizes that are not multiples of the tiles (100x70, k = 33): the grid
// rounds up (2x2), and every copy and store checks its row, column or k.
// CHECK-LABEL: func.func @odd
// CHECK-DAG: %[[M:.*]] = arith.constant 100 : index
// CHECK-DAG: %[[N:.*]] = arith.constant 70 : index
// CHECK-DAG: %[[K:.*]] = arith.constant 33 : index
// CHECK: gpu.launch
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK: arith.cmpi ult, %{{.*}}, %[[M]] : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[K]] step
// CHECK: arith.cmpi ult, %{{.*}}, %[[K]] : index
// CHECK: scf.if
// CHECK: memref.load %arg0
// CHECK: scf.if
// CHECK: memref.load %arg1
// CHECK: } {{.*}}
// CHECK: arith.cmpi ult, %{{.*}}, %[[M]] : index
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %arg2
func.func @odd(%a: memref<100x33xf32>, %b: memref<33x70xf32>, %c: memref<100x70xf32>) {
  linalg.matmul ins(%a, %b : memref<100x33xf32>, memref<33x70xf32>) outs(%c : memref<100x70xf32>)
  return
}

// -----

// Dynamic sizes: read from the operands on the host; the grid is
// ceil(size / 64), at least one block.
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[M:.*]] = memref.dim %arg0, %c0
// CHECK-DAG: %[[K:.*]] = memref.dim %arg0, %c1
// CHECK-DAG: %[[N:.*]] = memref.dim %arg1, %c1
// CHECK: %[[TX:.*]] = arith.ceildivui %[[N]], %{{.*}} : index
// CHECK: %[[GX:.*]] = arith.maxui %[[TX]], %{{.*}} : index
// CHECK: %[[TY:.*]] = arith.ceildivui %[[M]], %{{.*}} : index
// CHECK: %[[GY:.*]] = arith.maxui %[[TY]], %{{.*}} : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GX]], %{{.*}} = %[[GY]],
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[K]] step
func.func @dynamic(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// -----

// A batch matmul with a dynamic batch: one block per batch along z,
// checked against the batch size, which indexes every operand first.
// CHECK-LABEL: func.func @batch
// CHECK: %[[B:.*]] = memref.dim %arg0, %c0
// CHECK: %[[GZ:.*]] = arith.maxui %[[B]], %{{.*}} : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %[[GZ]])
// CHECK: arith.cmpi ult, %[[BZ]], %[[B]] : index
// CHECK: memref.load %arg0[%[[BZ]],
// CHECK: memref.load %arg1[%[[BZ]],
// CHECK: memref.load %arg2[%[[BZ]],
func.func @batch(%a: memref<?x100x33xf32>, %b: memref<?x33x70xf32>, %c: memref<?x100x70xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<?x100x33xf32>, memref<?x33x70xf32>) outs(%c : memref<?x100x70xf32>)
  return
}

// -----

// The contraction linalg-fuse-elementwise-ops makes of a 4-D MatMul (two
// batch dims, 3x5): the block's z is delinearized into the two.
// CHECK-LABEL: func.func @two_batch_dims
// CHECK-DAG: %[[C15:.*]] = arith.constant 15 : index
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %[[C15]])
// CHECK: %[[INNER:.*]] = arith.remui %[[BZ]], %[[C5]]
// CHECK: %[[OUTER:.*]] = arith.divui %[[BZ]], %[[C5]]
// CHECK: memref.load %arg0[%[[OUTER]], %[[INNER]],
// CHECK: memref.store %{{.*}}, %arg2[%[[OUTER]], %[[INNER]],
#a = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#b = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#c = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @two_batch_dims(%a: memref<3x5x8x4xf32>, %b: memref<3x5x4x6xf32>, %c: memref<3x5x8x6xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : memref<3x5x8x4xf32>, memref<3x5x4x6xf32>) outs(%c : memref<3x5x8x6xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A convolution's image-column contraction (kiln-gpu-conv-to-matmul): the
// filter A has no batch dim, so inferContractionDims sees two n dims; the
// one innermost in C (the 100 output pixels) is the kernel's n, the other
// is the batch, along the grid's z. A is read without it, B and C with it.
// CHECK-LABEL: func.func @shared_filter
// CHECK-DAG: %[[N:.*]] = memref.dim %arg1, %{{.*}} : memref<?x27x100xf32>
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[GZ:.*]] = arith.maxui %[[N]], %[[C1]] : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %[[C2]], %{{.*}} = %[[C1]], %{{.*}} = %[[GZ]])
// CHECK: memref.load %arg0[%{{.*}}, %{{.*}}] : memref<4x27xf32>
// CHECK: memref.load %arg1[%[[BZ]], %{{.*}}, %{{.*}}] : memref<?x27x100xf32>
// CHECK: memref.load %arg2[%[[BZ]], %{{.*}}, %{{.*}}] : memref<?x4x100xf32>
// CHECK: memref.store %{{.*}}, %arg2[%[[BZ]], %{{.*}}, %{{.*}}] : memref<?x4x100xf32>
// CHECK-NOT: linalg.generic
#filter = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
#columns = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
#pixels = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
func.func @shared_filter(%w: memref<4x27xf32>, %cols: memref<?x27x100xf32>, %c: memref<?x4x100xf32>) {
  linalg.generic {indexing_maps = [#filter, #columns, #pixels], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%w, %cols : memref<4x27xf32>, memref<?x27x100xf32>) outs(%c : memref<?x4x100xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A transposed B (C = A * B^T through indexing maps) reads B at [n, k].
// CHECK-LABEL: func.func @transposed_b
// CHECK: gpu.launch
// CHECK: scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[KB:.*]] = arith.addi %[[K0]], %{{.*}} : index
// CHECK: memref.load %arg0[%{{.*}}, %[[KB]]] : memref<100x33xf32>
// CHECK: %[[KB2:.*]] = arith.addi %[[K0]], %{{.*}} : index
// CHECK: memref.load %arg1[%{{.*}}, %[[KB2]]] : memref<70x33xf32>
func.func @transposed_b(%a: memref<100x33xf32>, %b: memref<70x33xf32>, %c: memref<100x70xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%a, %b : memref<100x33xf32>, memref<70x33xf32>) outs(%c : memref<100x70xf32>)
  return
}

// -----

// Not f32, not a multiply-add, or on tensors: left to kiln-gpu-map-linalg.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: gpu.launch
// CHECK: linalg.matmul ins(%arg0, %arg1 : memref<8x8xf16>, memref<8x8xf16>)
// CHECK: linalg.matmul ins(%arg3, %arg4 : memref<8x8xi32>, memref<8x8xi32>)
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.matmul ins(%arg6, %arg6 : tensor<8x8xf32>, tensor<8x8xf32>)
// CHECK-NOT: gpu.launch
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @left_alone(%a: memref<8x8xf16>, %b: memref<8x8xf16>, %c: memref<8x8xf16>,
                      %ia: memref<8x8xi32>, %ib: memref<8x8xi32>, %ic: memref<8x8xi32>,
                      %t: tensor<8x8xf32>, %fa: memref<8x8xf32>) -> tensor<8x8xf32> {
  linalg.matmul ins(%a, %b : memref<8x8xf16>, memref<8x8xf16>) outs(%c : memref<8x8xf16>)
  linalg.matmul ins(%ia, %ib : memref<8x8xi32>, memref<8x8xi32>) outs(%ic : memref<8x8xi32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]} ins(%fa, %fa : memref<8x8xf32>, memref<8x8xf32>) outs(%fa : memref<8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.maximumf %o, %p : f32
    linalg.yield %s : f32
  }
  %r = linalg.matmul ins(%t, %t : tensor<8x8xf32>, tensor<8x8xf32>) outs(%t : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}
