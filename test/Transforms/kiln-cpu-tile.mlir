// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-cpu-tile,canonicalize))' | FileCheck %s

// A matmul gets cache tiles (n 256, k 256, m 64) and register tiles
// (n 32, m 8, k 1), the register tile marked for vectorization.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C256:.*]] iter_args
// CHECK:   scf.for %{{.*}} step %{{.*}} iter_args
// CHECK:     scf.for %{{.*}} step %[[C64:.*]] iter_args
// CHECK:       scf.for %{{.*}} step %[[C32:.*]] iter_args
// CHECK:         scf.for %{{.*}} step %[[C8:.*]] iter_args
// CHECK:           scf.for %{{.*}} step %[[C1:.*]] iter_args
// CHECK:             linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
func.func @matmul(%a: tensor<512x512xf32>, %b: tensor<512x512xf32>, %c: tensor<512x512xf32>) -> tensor<512x512xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<512x512xf32>, tensor<512x512xf32>) outs(%c : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %0 : tensor<512x512xf32>
}

// -----

// Sizes that the register tile does not divide are peeled: the full tiles
// are static, the remainder is dynamic and stays scalar.
// CHECK-LABEL: func.func @matmul_remainder
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<4x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<4x32xf32>)
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<1x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
func.func @matmul_remainder(%a: tensor<20x16xf32>, %b: tensor<16x40xf32>, %c: tensor<20x40xf32>) -> tensor<20x40xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<20x16xf32>, tensor<16x40xf32>) outs(%c : tensor<20x40xf32>) -> tensor<20x40xf32>
  return %0 : tensor<20x40xf32>
}

// -----

// An elementwise op with a broadcast operand: 16 lanes along the innermost
// dim, 1 elsewhere.
// CHECK-LABEL: func.func @bias_add
// CHECK: scf.for %{{.*}} step %[[ONE:.*]] iter_args
// CHECK:   scf.for %{{.*}} step %[[SIXTEEN:.*]] iter_args
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x16xf32>, tensor<16xf32>){{.*}}kiln.vectorize = "elementwise"
// CHECK-NOT: kiln.parallel
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias_add(%x: tensor<4x64xf32>, %b: tensor<64xf32>, %out: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x64xf32>, tensor<64xf32>) outs(%out : tensor<4x64xf32>) {
  ^bb0(%in: f32, %bias: f32, %o: f32):
    %s = arith.addf %in, %bias : f32
    linalg.yield %s : f32
  } -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

// Left to the scalar loops: a transpose (its input is strided along the
// innermost loop), a reduction, and an f64 matmul.
// CHECK-LABEL: func.func @not_tiled
// CHECK-NOT: scf.for
// CHECK-NOT: kiln.vectorize
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @not_tiled(%x: tensor<64x64xf32>, %out: tensor<64x64xf32>, %acc: tensor<64xf32>,
                     %a: tensor<8x8xf64>, %c: tensor<8x8xf64>) -> (tensor<64x64xf32>, tensor<64xf32>, tensor<8x8xf64>) {
  %0 = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x64xf32>) outs(%out : tensor<64x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<64x64xf32>
  %1 = linalg.generic {indexing_maps = [#id, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<64x64xf32>) outs(%acc : tensor<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %2 = linalg.matmul ins(%a, %a : tensor<8x8xf64>, tensor<8x8xf64>) outs(%c : tensor<8x8xf64>) -> tensor<8x8xf64>
  return %0, %1, %2 : tensor<64x64xf32>, tensor<64xf32>, tensor<8x8xf64>
}

// -----

// A convolution on NCHW images becomes the image's columns and a matmul
// with the filter (the unit batch dim dropped), which the contraction
// strategy tiles.
// CHECK-LABEL: func.func @conv
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x72x64xf32>)
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
func.func @conv(%img: tensor<1x8x10x10xf32>, %w: tensor<16x8x3x3xf32>, %out: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%img, %w : tensor<1x8x10x10xf32>, tensor<16x8x3x3xf32>) outs(%out : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// -----

// A 1x1 convolution with unit strides is a matmul of the filter with the
// image itself: no columns are gathered.
// CHECK-LABEL: func.func @pointwise
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2, 3]] : tensor<1x8x6x6xf32> into tensor<8x36xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<16x8x1x1xf32> into tensor<16x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2, 3]] output_shape [1, 16, 6, 6] : tensor<16x36xf32> into tensor<1x16x6x6xf32>
func.func @pointwise(%img: tensor<1x8x6x6xf32>, %w: tensor<16x8x1x1xf32>, %out: tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%img, %w : tensor<1x8x6x6xf32>, tensor<16x8x1x1xf32>) outs(%out : tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32>
  return %0 : tensor<1x16x6x6xf32>
}

// -----

// A depthwise convolution is one elementwise op over its output: a strided
// image slice and a per-channel weight per tap (here 2x2 taps, stride 2),
// tiled along the output rows like any elementwise op.
// CHECK-LABEL: func.func @depthwise
// CHECK-COUNT-4: tensor.extract_slice %{{.*}}[0, 0, {{[01]}}, {{[01]}}] [1, 4, 3, 3] [1, 1, 2, 2] : tensor<1x4x6x6xf32> to tensor<1x4x3x3xf32>
// CHECK-COUNT-4: tensor.extract_slice %{{.*}}[0, {{[01]}}, {{[01]}}] [4, 1, 1] [1, 1, 1] : tensor<4x2x2xf32> to tensor<4xf32>
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
// CHECK: linalg.generic {{.*}}kiln.vectorize = "elementwise"
func.func @depthwise(%img: tensor<1x4x6x6xf32>, %w: tensor<4x2x2xf32>, %out: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %w : tensor<1x4x6x6xf32>, tensor<4x2x2xf32>) outs(%out : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// A constant padding is a fill and a vectorizable copy into the interior.
// CHECK-LABEL: func.func @pad
// CHECK: %[[FILL:.*]] = scf.for
// CHECK: linalg.fill {kiln.vectorize = "elementwise"} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK: %[[INNER:.*]] = tensor.extract_slice %[[FILL]][0, 1] [4, 32] [1, 1] : tensor<6x34xf32> to tensor<4x32xf32>
// CHECK: linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x16xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %[[FILL]][0, 1] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<6x34xf32>
// CHECK-NOT: tensor.pad
func.func @pad(%x: tensor<4x32xf32>) -> tensor<6x34xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.pad %x low[0, 1] high[2, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<4x32xf32> to tensor<6x34xf32>
  return %0 : tensor<6x34xf32>
}

// -----

// A max pooling is one elementwise maximum over the strided image slices
// its window's taps read (2x2 taps, stride 2).
// CHECK-LABEL: func.func @max_pool
// CHECK-COUNT-4: tensor.extract_slice %{{.*}} [1, 4, 3, 3] [1, 1, 2, 2] : tensor<1x4x6x6xf32> to tensor<1x4x3x3xf32>
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK-COUNT-4: arith.maximumf
func.func @max_pool(%img: tensor<1x4x6x6xf32>, %out: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %window : tensor<1x4x6x6xf32>, tensor<2x2xf32>) outs(%out : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// The outermost cache loop over a parallel dim that runs more than once is
// marked for the threads: here the m loop (4 tiles of 64 rows), inside the
// k loop, which is a reduction and stays unmarked.
// CHECK-LABEL: func.func @matmul_parallel_rows
// CHECK: scf.for %{{.*}} step %[[K:.*]] iter_args
// CHECK:   scf.for %{{.*}} step %[[M:.*]] iter_args
// CHECK:       linalg.matmul {kiln.vectorize = "contraction"}
// CHECK:   } {kiln.parallel}
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NOT: kiln.parallel
func.func @matmul_parallel_rows(%a: tensor<256x512xf32>, %b: tensor<512x256xf32>, %c: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<256x512xf32>, tensor<512x256xf32>) outs(%c : tensor<256x256xf32>) -> tensor<256x256xf32>
  return %0 : tensor<256x256xf32>
}

// -----

// Only the reduction (k) loop runs more than once at the cache level: no
// loop is marked, since the iterations of a reduction add into the same
// output.
// CHECK-LABEL: func.func @matmul_reduction_only
// CHECK: linalg.matmul {kiln.vectorize = "contraction"}
// CHECK-NOT: kiln.parallel
func.func @matmul_reduction_only(%a: tensor<64x4096xf32>, %b: tensor<4096x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x4096xf32>, tensor<4096x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// A large elementwise op has no cache tiles: its outermost register loop
// (rows) is marked. A small one (@bias_add above) is not worth the threads.
// CHECK-LABEL: func.func @relu_parallel
// CHECK: scf.for %{{.*}} step %[[ONE:.*]] iter_args
// CHECK:   scf.for %{{.*}} step %[[SIXTEEN:.*]] iter_args
// CHECK:     tensor.insert_slice
// CHECK-NEXT:  scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } {kiln.parallel}
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @relu_parallel(%x: tensor<512x256xf32>, %out: tensor<512x256xf32>) -> tensor<512x256xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<512x256xf32>) outs(%out : tensor<512x256xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<512x256xf32>
  return %0 : tensor<512x256xf32>
}

// -----

// A large transpose has no vector strategy, but its loops are all parallel:
// it is tiled by one row along its outer loop, which is marked, and left to
// the scalar loops.
// CHECK-LABEL: func.func @transpose_parallel
// CHECK: scf.for %{{.*}} step %[[ONE:.*]] iter_args
// CHECK:   linalg.generic
// CHECK-NOT: kiln.vectorize
// CHECK: } {kiln.parallel}
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @transpose_parallel(%x: tensor<256x512xf32>, %out: tensor<512x256xf32>) -> tensor<512x256xf32> {
  %0 = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<256x512xf32>) outs(%out : tensor<512x256xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<512x256xf32>
  return %0 : tensor<512x256xf32>
}

// -----

// A large row-wise sum: its outer loop is parallel and indexes the output,
// so it is tiled by one row and marked; a column-wise sum, whose outer loop
// is the reduction, is left alone.
// CHECK-LABEL: func.func @row_sum_parallel
// CHECK: scf.for %{{.*}} iter_args
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: } {kiln.parallel}
// CHECK-LABEL: func.func @column_sum_serial
// CHECK-NOT: scf.for
// CHECK-NOT: kiln.parallel
#id = affine_map<(d0, d1) -> (d0, d1)>
#r0 = affine_map<(d0, d1) -> (d0)>
#r1 = affine_map<(d0, d1) -> (d1)>
func.func @row_sum_parallel(%x: tensor<512x256xf32>, %out: tensor<512xf32>) -> tensor<512xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #r0], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<512x256xf32>) outs(%out : tensor<512xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<512xf32>
  return %0 : tensor<512xf32>
}
func.func @column_sum_serial(%x: tensor<512x256xf32>, %out: tensor<256xf32>) -> tensor<256xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #r1], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<512x256xf32>) outs(%out : tensor<256xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<256xf32>
  return %0 : tensor<256xf32>
}
