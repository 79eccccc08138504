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

// A 17-wide remainder is split into a 16-lane tile and a 1-lane tile: no
// vector of odd width is left.
// CHECK-LABEL: func.func @odd_width
// CHECK-NOT: vector<17xf32>
// CHECK-DAG: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-DAG: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<1xf32>
// CHECK-NOT: vector<17xf32>
// CHECK: return
func.func @odd_width(%a: tensor<8x4xf32>, %b: tensor<4x49xf32>, %c: tensor<8x49xf32>) -> tensor<8x49xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x49xf32>) outs(%c : tensor<8x49xf32>) -> tensor<8x49xf32>
  return %0 : tensor<8x49xf32>
}
