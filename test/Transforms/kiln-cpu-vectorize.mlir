// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-cpu-tile,canonicalize,cse,kiln-cpu-vectorize,canonicalize,cse))' | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-cpu-tile,canonicalize,cse,kiln-cpu-vectorize,canonicalize,cse),one-shot-bufferize{bufferize-function-boundaries=1 function-boundary-type-conversion=identity-layout-map},canonicalize,func.func(fold-memref-alias-ops,canonicalize,cse,kiln-hoist-vector-transfers))' | FileCheck %s --check-prefix=HOIST

// The register tile becomes 8 broadcast-FMAs on 32-lane rows.
// CHECK-LABEL: func.func @matmul
// CHECK-COUNT-8: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<32xf32>
// CHECK-NOT: linalg.matmul {kiln.vectorize
// The output tile is read before the k loop, carried through it in
// registers and written after it.
// HOIST-LABEL: func.func @matmul
// HOIST: vector.transfer_read {{.*}} vector<8x32xf32>
// HOIST-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// HOIST-COUNT-8: vector.fma
// HOIST: scf.yield %{{.*}} : vector<8x32xf32>
// HOIST-NEXT: }
// HOIST-NEXT: vector.transfer_write {{.*}} vector<8x32xf32>
func.func @matmul(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// An elementwise op becomes 16-lane vector arithmetic.
// CHECK-LABEL: func.func @relu
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<1x16xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @relu(%x: tensor<4x64xf32>, %out: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%out : tensor<4x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// A 25-wide remainder is split into tiles of the powers of two below it,
// 16 + 8 + 1 lanes: no vector of odd width is left, and the 8 columns are
// one vector, not 8 scalars.
// CHECK-LABEL: func.func @odd_width
// CHECK-NOT: vector<25xf32>
// CHECK-DAG: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-DAG: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-DAG: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<1xf32>
// CHECK-NOT: vector<25xf32>
// CHECK: return
// The three tiles of the remainder write disjoint columns of the output:
// all three are carried through the k loop in registers together.
// HOIST-LABEL: func.func @odd_width
// HOIST: scf.for {{.*}} -> (vector<8x32xf32>)
// HOIST: %[[T16:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %c32]{{.*}} vector<8x16xf32>
// HOIST: %[[T8:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %c48]{{.*}} vector<8x8xf32>
// HOIST: %[[T1:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %c56]{{.*}} vector<8x1xf32>
// HOIST: %[[K:.*]]:3 = scf.for {{.*}} iter_args(%{{.*}} = %[[T16]], %{{.*}} = %[[T8]], %{{.*}} = %[[T1]]) -> (vector<8x16xf32>, vector<8x8xf32>, vector<8x1xf32>)
// HOIST-NOT: vector.transfer_write
// HOIST: scf.yield
// HOIST-NEXT: }
// HOIST-DAG: vector.transfer_write %[[K]]#0, %{{.*}}[%{{.*}}, %c32]
// HOIST-DAG: vector.transfer_write %[[K]]#1, %{{.*}}[%{{.*}}, %c48]
// HOIST-DAG: vector.transfer_write %[[K]]#2, %{{.*}}[%{{.*}}, %c56]
func.func @odd_width(%a: tensor<8x4xf32>, %b: tensor<4x57xf32>, %c: tensor<8x57xf32>) -> tensor<8x57xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x57xf32>) outs(%c : tensor<8x57xf32>) -> tensor<8x57xf32>
  return %0 : tensor<8x57xf32>
}

// An elementwise op's odd remainder is split into vectors of the powers of
// two below it, as a contraction's is: 23 lanes are 16 + 4 + 2 + 1, never a
// scalar loop of 7.
// CHECK-LABEL: func.func @odd_width_elementwise
// CHECK-NOT: vector<1x7xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<1x16xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<1x4xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<1x2xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<1x1xf32>
// CHECK-NOT: vector<1x7xf32>
// CHECK: return
func.func @odd_width_elementwise(%x: tensor<4x23xf32>, %out: tensor<4x23xf32>) -> tensor<4x23xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x23xf32>) outs(%out : tensor<4x23xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x23xf32>
  return %0 : tensor<4x23xf32>
}

// A stride-2 window's tap reads 32 contiguous lanes of the image and keeps
// the even ones; the last tap's read may run one lane past the row, so it
// is not in bounds along it.
// CHECK-LABEL: func.func @strided_max_pool
// CHECK: %[[ROW:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %[[C0:.*]]], %{{.*}} {in_bounds = [true, true, true, true]} : tensor<1x2x5x33xf32>, vector<1x1x1x32xf32>
// CHECK: %[[FLAT:.*]] = vector.shape_cast %[[ROW]] : vector<1x1x1x32xf32> to vector<32xf32>
// CHECK: vector.shuffle %[[FLAT]], %[[FLAT]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<32xf32>, vector<32xf32>
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true, true, true, false]} : tensor<1x2x5x33xf32>, vector<1x1x1x32xf32>
// CHECK-COUNT-9: arith.maximumf %{{.*}} : vector<1x1x1x16xf32>
func.func @strided_max_pool(%img: tensor<1x2x5x33xf32>, %out: tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32> {
  %window = tensor.empty() : tensor<3x3xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %window : tensor<1x2x5x33xf32>, tensor<3x3xf32>) outs(%out : tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32>
  return %0 : tensor<1x2x2x16xf32>
}

// With unit strides the taps are contiguous: plain 16-lane reads, no
// shuffle.
// CHECK-LABEL: func.func @unit_stride_max_pool
// CHECK-NOT: vector.shuffle
// CHECK-NOT: vector<1x1x1x32xf32>
// CHECK-COUNT-9: arith.maximumf %{{.*}} : vector<1x1x1x16xf32>
// CHECK-NOT: vector.shuffle
// CHECK: return
func.func @unit_stride_max_pool(%img: tensor<1x2x4x18xf32>, %out: tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32> {
  %window = tensor.empty() : tensor<3x3xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%img, %window : tensor<1x2x4x18xf32>, tensor<3x3xf32>) outs(%out : tensor<1x2x2x16xf32>) -> tensor<1x2x2x16xf32>
  return %0 : tensor<1x2x2x16xf32>
}

// An f32 vector erf (a GELU) becomes a polynomial of vector FMAs instead of
// one libm call per lane.
// CHECK-LABEL: func.func @gelu_erf
// CHECK-NOT: math.erf
// CHECK: math.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<1x16xf32>
// CHECK-NOT: math.erf
// CHECK: return
func.func @gelu_erf(%x: tensor<4x64xf32>, %out: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%out : tensor<4x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.erf %in : f32
    linalg.yield %e : f32
  } -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// Scalar math (here f64, which no strategy vectorizes) is left to libm.
// CHECK-LABEL: func.func @erf_f64
// CHECK: math.erf %{{.*}} : f64
func.func @erf_f64(%x: tensor<4x64xf64>, %out: tensor<4x64xf64>) -> tensor<4x64xf64> {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf64>) outs(%out : tensor<4x64xf64>) {
  ^bb0(%in: f64, %o: f64):
    %e = math.erf %in : f64
    linalg.yield %e : f64
  } -> tensor<4x64xf64>
  return %0 : tensor<4x64xf64>
}

// A softmax's row sum: the loop over the row carries 16 partial sums in a
// vector (its exp a polynomial), which one horizontal add ends; after
// bufferization the partial sums never reach memory.
// CHECK-LABEL: func.func @row_exp_sum
// CHECK: scf.for %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<8xf32>)
// CHECK: %[[SUMS:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<1x16xf32>)
// CHECK-NOT: math.exp
// CHECK: %[[LANES:.*]] = vector.extract %[[SUMS]][0] : vector<16xf32> from vector<1x16xf32>
// CHECK: vector.reduction <add>, %[[LANES]], %{{.*}} : vector<16xf32> into f32
// HOIST-LABEL: func.func @row_exp_sum
// HOIST-NOT: memref.alloc
// HOIST: scf.for {{.*}} -> (vector<1x16xf32>)
// HOIST-NOT: memref.alloc
// HOIST: vector.reduction <add>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_exp_sum(%x: tensor<8x128xf32>, %m: tensor<8xf32>, %acc: tensor<8xf32>) -> tensor<8xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<8x128xf32>, tensor<8xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%in: f32, %mm: f32, %o: f32):
    %d = arith.subf %in, %mm : f32
    %e = math.exp %d : f32
    %s = arith.addf %e, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// A packed right-hand side: each 16-lane tile of the copy reads the whole
// right-hand side at its offsets (a read of the tile's own slice, written
// whole, would fold away and leave a scalar copy), and writes the panel's
// buffer. After bufferization the buffer is allocated inside the panel
// loop, the register tiles' rows of 32 lanes are read from it, and the
// output tile still stays in registers across the k loop.
// CHECK-LABEL: func.func @matmul_packed
// CHECK: %[[BUF:.*]] = tensor.empty() : tensor<128x32xf32>
// CHECK: vector.transfer_read %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, true]} : tensor<128x128xf32>, vector<1x16xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<1x16xf32>, tensor<1x16xf32>
// CHECK-COUNT-8: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<32xf32>
// HOIST-LABEL: func.func @matmul_packed
// HOIST: scf.for
// HOIST-NEXT: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128x32xf32>
// HOIST: %[[V:.*]] = vector.transfer_read %{{.*}} : memref<128x128xf32>, vector<1x16xf32>
// HOIST-NEXT: vector.transfer_write %[[V]], %[[PANEL]][%{{.*}}, %{{.*}}] {in_bounds = [true, true]} : vector<1x16xf32>, memref<128x32xf32>
// HOIST: vector.transfer_read {{.*}} vector<8x32xf32>
// HOIST-NEXT: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// HOIST: vector.transfer_read %[[PANEL]][%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, true]} : memref<128x32xf32>, vector<1x32xf32>
// HOIST-COUNT-8: vector.fma
// HOIST: vector.transfer_write {{.*}} vector<8x32xf32>
// HOIST-NOT: memref.copy
func.func @matmul_packed(%a: tensor<64x128xf32>, %b: tensor<128x128xf32>, %c: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x128xf32>, tensor<128x128xf32>) outs(%c : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

// A one-column register tile over a packed left-hand side (33 columns: 32
// and 1) is one FMA along the 8 rows per step of k, and its loop carries
// the rows as one vector<8xf32>, not 8 one-lane vectors.
// CHECK-LABEL: func.func @matmul_constant_lhs_column
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
// HOIST-LABEL: func.func @matmul_constant_lhs_column
// HOIST: scf.for {{.*}} -> (vector<8xf32>)
// HOIST: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
func.func @matmul_constant_lhs_column(%b: tensor<16x33xf32>, %c: tensor<16x33xf32>) -> tensor<16x33xf32> {
  %w = arith.constant dense<[[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0], [1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0], [3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0], [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0], [0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0], [2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0], [1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0], [3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0], [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0], [0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0], [2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0]]> : tensor<16x16xf32>
  %0 = linalg.matmul ins(%w, %b : tensor<16x16xf32>, tensor<16x33xf32>) outs(%c : tensor<16x33xf32>) -> tensor<16x33xf32>
  return %0 : tensor<16x33xf32>
}
