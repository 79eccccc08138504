// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-cpu-tile,canonicalize))' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --mlir-print-op-on-diagnostic=false -o %t \
// RUN:   --pass-pipeline='builtin.module(func.func(kiln-cpu-tile{report=1}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REPORT

// A matmul gets cache tiles (n 128, k 256, m 256) and register tiles
// (m 8, k 1) over panels of 32 columns, the register tile marked for
// vectorization. Its right-hand side's rows are 2 KiB apart: each panel
// (256 k x 32 n) is first copied into a fresh, contiguous tensor, as 16-lane
// elementwise tiles, and the register tiles read the copy.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: scf.for %{{.*}} step %[[C128]] iter_args
// CHECK:   scf.for %{{.*}} step %[[C256]] iter_args
// CHECK:     scf.for %{{.*}} step %[[C256]] iter_args
// CHECK:       scf.for %{{.*}} step %[[C32]] iter_args
// CHECK:         %[[PANEL:.*]] = tensor.extract_slice %{{.*}}[0, %{{.*}}] [256, 32] [1, 1] : tensor<256x128xf32> to tensor<256x32xf32>
// CHECK:         %[[BUF:.*]] = tensor.empty() : tensor<256x32xf32>
// CHECK:         %[[PACKED:.*]] = scf.for %{{.*}} step %[[C1]] iter_args(%{{.*}} = %[[BUF]])
// CHECK:           scf.for %{{.*}} step %[[C16]] iter_args
// CHECK:             tensor.extract_slice %[[PANEL]]
// CHECK:             linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK:         scf.for %{{.*}} step %[[C8]] iter_args
// CHECK:           scf.for %{{.*}} step %[[C1]] iter_args
// CHECK:             %[[ROW:.*]] = tensor.extract_slice %[[PACKED]][%{{.*}}, 0] [1, 32] [1, 1] : tensor<256x32xf32> to tensor<1x32xf32>
// CHECK:             linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %[[ROW]] : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
func.func @matmul(%a: tensor<512x512xf32>, %b: tensor<512x512xf32>, %c: tensor<512x512xf32>) -> tensor<512x512xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<512x512xf32>, tensor<512x512xf32>) outs(%c : tensor<512x512xf32>) -> tensor<512x512xf32>
  return %0 : tensor<512x512xf32>
}

// -----

// The column tiles that the threads share are balanced between 2 and 4 of
// them: 784 columns are 4 tiles of 192 and a remainder of 16, where tiles
// of 256 would be 3 (one of 2 threads idle a third of the time). The
// remainder runs after the threads' loop.
// CHECK-LABEL: func.func @matmul_balanced_columns
// CHECK-DAG: %[[C192:.*]] = arith.constant 192 : index
// CHECK-DAG: %[[C768:.*]] = arith.constant 768 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C768]] step %[[C192]] iter_args
// CHECK: } {kiln.parallel}
// CHECK: tensor.extract_slice %{{.*}}[0, 768] [64, 16] [1, 1]
func.func @matmul_balanced_columns(%a: tensor<64x64xf32>, %b: tensor<64x784xf32>, %c: tensor<64x784xf32>) -> tensor<64x784xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x784xf32>) outs(%c : tensor<64x784xf32>) -> tensor<64x784xf32>
  return %0 : tensor<64x784xf32>
}

// -----

// With one tile of columns, the threads share tiles of rows, balanced the
// same way: 200 rows are 4 tiles of 48 and a remainder of 8 (tiles of 64
// would be 3 and a remainder of 8).
// CHECK-LABEL: func.func @matmul_balanced_rows
// CHECK-DAG: %[[C48:.*]] = arith.constant 48 : index
// CHECK-DAG: %[[C192:.*]] = arith.constant 192 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C192]] step %[[C48]] iter_args
// CHECK: } {kiln.parallel}
func.func @matmul_balanced_rows(%a: tensor<200x512xf32>, %b: tensor<512x40xf32>, %c: tensor<200x40xf32>) -> tensor<200x40xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<200x512xf32>, tensor<512x40xf32>) outs(%c : tensor<200x40xf32>) -> tensor<200x40xf32>
  return %0 : tensor<200x40xf32>
}

// -----

// Sizes that the register tile does not divide are peeled: the full tiles
// are static, the remainder is dynamic and stays scalar. With 20 rows, the
// right-hand side is read in place: a copy would be reused too little.
// CHECK-LABEL: func.func @matmul_remainder
// CHECK-NOT: linalg.copy
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<4x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<4x32xf32>)
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<1x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
func.func @matmul_remainder(%a: tensor<20x16xf32>, %b: tensor<16x40xf32>, %c: tensor<20x40xf32>) -> tensor<20x40xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<20x16xf32>, tensor<16x40xf32>) outs(%c : tensor<20x40xf32>) -> tensor<20x40xf32>
  return %0 : tensor<20x40xf32>
}

// -----

// The register rows divide a cache tile's 64 rows exactly: the remainder of
// the columns keeps static tiles of 8 rows, the loop's tile size folded from
// its bounds, and is vectorized like the full tiles.
// CHECK-LABEL: func.func @matmul_column_remainder
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK-NOT: affine.min
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x9xf32>) outs(%{{.*}} : tensor<8x9xf32>)
func.func @matmul_column_remainder(%a: tensor<72x16xf32>, %b: tensor<16x41xf32>, %c: tensor<72x41xf32>) -> tensor<72x41xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<72x16xf32>, tensor<16x41xf32>) outs(%c : tensor<72x41xf32>) -> tensor<72x41xf32>
  return %0 : tensor<72x41xf32>
}

// -----

// A right-hand side whose rows are 800 bytes apart spreads them over the L1
// sets: it is read in place, with register tiles of 8 x 32 x 1.
// CHECK-LABEL: func.func @matmul_irregular_stride
// CHECK-NOT: linalg.copy
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK-NOT: linalg.copy
func.func @matmul_irregular_stride(%a: tensor<64x96xf32>, %b: tensor<96x200xf32>, %c: tensor<64x200xf32>) -> tensor<64x200xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x96xf32>, tensor<96x200xf32>) outs(%c : tensor<64x200xf32>) -> tensor<64x200xf32>
  return %0 : tensor<64x200xf32>
}

// -----

// A dynamic number of columns: the right-hand side is copied too (its row
// distance is unknown). Peeling the panel loop leaves full panels of static
// size, copied and tiled as static tiles, and one dynamic remainder panel.
// CHECK-LABEL: func.func @matmul_dynamic_columns
// CHECK: tensor.empty() : tensor<128x32xf32>
// CHECK: linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK: tensor.empty(%{{.*}}) : tensor<128x?xf32>
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x?xf32>) outs(%{{.*}} : tensor<8x?xf32>)
func.func @matmul_dynamic_columns(%a: tensor<64x128xf32>, %b: tensor<128x?xf32>, %c: tensor<64x?xf32>) -> tensor<64x?xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x128xf32>, tensor<128x?xf32>) outs(%c : tensor<64x?xf32>) -> tensor<64x?xf32>
  return %0 : tensor<64x?xf32>
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
// innermost loop), a reduction along the outer loop, and an f64 matmul.
// CHECK-LABEL: func.func @not_tiled
// CHECK-NOT: scf.for
// CHECK-NOT: kiln.vectorize
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
#r = affine_map<(d0, d1) -> (d1)>
func.func @not_tiled(%x: tensor<64x64xf32>, %out: tensor<64x64xf32>, %acc: tensor<64xf32>,
                     %a: tensor<8x8xf64>, %c: tensor<8x8xf64>) -> (tensor<64x64xf32>, tensor<64xf32>, tensor<8x8xf64>) {
  %0 = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x64xf32>) outs(%out : tensor<64x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<64x64xf32>
  %1 = linalg.generic {indexing_maps = [#id, #r], iterator_types = ["reduction", "parallel"]}
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
// strategy tiles. The columns are one copy per window tap, of the image
// slice the tap reads into its (C, OH, OW) block of a (1, C, KH, KW, OH, OW)
// tensor, each tiled as an elementwise op; no gather is left.
// CHECK-LABEL: func.func @conv
// CHECK: %[[TAPS:.*]] = tensor.empty() : tensor<1x8x3x3x8x8xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 2, 2] [1, 8, 8, 8] [1, 1, 1, 1] : tensor<1x8x10x10xf32> to tensor<1x8x8x8xf32>
// CHECK: tensor.extract_slice %[[TAPS]][0, 0, 0, 0, 0, 0] [1, 8, 1, 1, 8, 8] [1, 1, 1, 1, 1, 1] : tensor<1x8x3x3x8x8xf32> to tensor<1x8x8x8xf32>
// CHECK-COUNT-9: linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x1x1x8xf32>) outs(%{{.*}} : tensor<1x1x1x8xf32>)
// CHECK-NOT: linalg.generic
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3], [4, 5]] : tensor<1x8x3x3x8x8xf32> into tensor<72x64xf32>
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
func.func @conv(%img: tensor<1x8x10x10xf32>, %w: tensor<16x8x3x3xf32>, %out: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%img, %w : tensor<1x8x10x10xf32>, tensor<16x8x3x3xf32>) outs(%out : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// -----

// Columns large enough to share (16 channels x 9 taps x 56 x 56) are
// gathered one channel per iteration of a loop marked for the threads:
// every iteration copies its channel of each of the 9 taps.
// CHECK-LABEL: func.func @conv_parallel_columns
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: %[[TAPS:.*]] = tensor.empty() : tensor<1x16x3x3x56x56xf32>
// CHECK: %[[COLS:.*]] = scf.for %[[CH:.*]] = %{{.*}} to %[[C16]] step %{{.*}} iter_args(%{{.*}} = %[[TAPS]])
// CHECK: tensor.extract_slice %{{.*}}[0, %[[CH]], 0, 0] [1, 1, 56, 56] [1, 1, 1, 1] : tensor<1x16x56x56xf32> to tensor<1x1x56x56xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, %[[CH]], 0, 0, 0, 0] [1, 1, 1, 1, 56, 56] [1, 1, 1, 1, 1, 1] : tensor<1x16x3x3x56x56xf32> to tensor<1x1x56x56xf32>
// CHECK: linalg.copy {kiln.vectorize = "elementwise"}
// CHECK: tensor.extract_slice %{{.*}}[0, %[[CH]], 2, 2, 0, 0] [1, 1, 1, 1, 56, 56] [1, 1, 1, 1, 1, 1] : tensor<1x16x3x3x56x56xf32> to tensor<1x1x56x56xf32>
// CHECK: linalg.copy {kiln.vectorize = "elementwise"}
// CHECK: } {kiln.parallel}
// CHECK: tensor.collapse_shape %[[COLS]] {{\[}}[0, 1, 2, 3], [4, 5]] : tensor<1x16x3x3x56x56xf32> into tensor<144x3136xf32>
func.func @conv_parallel_columns(%img: tensor<1x16x58x58xf32>, %w: tensor<32x16x3x3xf32>, %out: tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%img, %w : tensor<1x16x58x58xf32>, tensor<32x16x3x3xf32>) outs(%out : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32>
  return %0 : tensor<1x32x56x56xf32>
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

// A depthwise convolution whose output starts from a per-channel bias
// broadcast reads the bias vector itself (through the channel dim) instead
// of a broadcast written over the output first, and the activation that
// alone reads it runs in the same elementwise op: one op, one pass.
// CHECK-LABEL: func.func @depthwise_bias_relu
// CHECK-NOT: linalg.broadcast
// CHECK: %[[BIAS:.*]] = tensor.extract_slice %arg2[%{{.*}}] [1] [1] : tensor<4xf32> to tensor<1xf32>
// CHECK: linalg.generic {{.*}}ins({{.*}}, %[[BIAS]] : {{.*}}kiln.vectorize = "elementwise"
// CHECK-COUNT-4: arith.mulf
// CHECK: arith.maximumf
// CHECK-NEXT: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return
#dw_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @depthwise_bias_relu(%img: tensor<1x4x6x6xf32>, %w: tensor<4x2x2xf32>, %bias: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x4x3x3xf32>
  %init = linalg.broadcast ins(%bias : tensor<4xf32>) outs(%empty : tensor<1x4x3x3xf32>) dimensions = [0, 2, 3]
  %0 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %w : tensor<1x4x6x6xf32>, tensor<4x2x2xf32>) outs(%init : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %1 = linalg.generic {indexing_maps = [#dw_id, #dw_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%0 : tensor<1x4x3x3xf32>) outs(%empty : tensor<1x4x3x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x3x3xf32>
  return %1 : tensor<1x4x3x3xf32>
}

// -----

// A bias broadcast that another op also reads is kept, and the depthwise
// convolution starts from it; a result with two readers is not fused into
// either.
// CHECK-LABEL: func.func @depthwise_shared_bias
// CHECK: %[[INIT:.*]] = linalg.broadcast
// CHECK: linalg.generic {{.*}}kiln.vectorize = "elementwise"
// CHECK-NOT: arith.maximumf
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: return
#dws_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @depthwise_shared_bias(%img: tensor<1x4x6x6xf32>, %w: tensor<4x2x2xf32>, %bias: tensor<4xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x4x3x3xf32>
  %init = linalg.broadcast ins(%bias : tensor<4xf32>) outs(%empty : tensor<1x4x3x3xf32>) dimensions = [0, 2, 3]
  %0 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %w : tensor<1x4x6x6xf32>, tensor<4x2x2xf32>) outs(%init : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %1 = linalg.generic {indexing_maps = [#dws_id, #dws_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%0 : tensor<1x4x3x3xf32>) outs(%empty : tensor<1x4x3x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x3x3xf32>
  return %1, %0, %init : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
}

// -----

// A constant padding is a vectorizable copy into the interior of a fresh
// tensor (an allocation of its own), then a fill of each border slab: the
// rows below the source (2), then, within the source's rows, the columns
// left and right of it. No fill covers the whole tensor, so that paddings of
// one shape share no value once CSE has run.
// CHECK-LABEL: func.func @pad
// CHECK: %[[EMPTY:.*]] = bufferization.alloc_tensor() : tensor<6x34xf32>
// CHECK-NOT: linalg.fill {{.*}} tensor<6x34xf32>
// CHECK: %[[INNER:.*]] = tensor.extract_slice %[[EMPTY]][0, 1] [4, 32] [1, 1] : tensor<6x34xf32> to tensor<4x32xf32>
// CHECK: linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x16xf32>)
// CHECK: %[[COPIED:.*]] = tensor.insert_slice %{{.*}} into %[[EMPTY]][0, 1] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<6x34xf32>
// CHECK: tensor.extract_slice %[[COPIED]][4, 0] [2, 34] [1, 1] : tensor<6x34xf32> to tensor<2x34xf32>
// CHECK: linalg.fill {kiln.vectorize = "elementwise"} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [4, 1] [1, 1] : tensor<6x34xf32> to tensor<4x1xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 33] [4, 1] [1, 1] : tensor<6x34xf32> to tensor<4x1xf32>
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

// An image padded along its rows and columns alone has one loop over its
// channels that fills each channel's frame: the rows above and below, then
// the columns left and right within the source's rows. With 64 channels of
// 56 rows, each row's border elements a cache line of their own, the
// threads share the loop.
// CHECK-LABEL: func.func @pad_image_frames
// CHECK: %[[PADDED:.*]] = bufferization.alloc_tensor() : tensor<1x64x58x58xf32>
// CHECK: linalg.copy
// CHECK: scf.for %[[C:.*]] = %c0 to %c64 step %c1 iter_args(%[[F:.*]] = %{{.*}})
// CHECK: tensor.extract_slice %[[F]][0, %[[C]], 0, 0] [1, 1, 1, 58]
// CHECK: linalg.fill
// CHECK: [0, %[[C]], 57, 0] [1, 1, 1, 58]
// CHECK: [0, %[[C]], 1, 0] [1, 1, 56, 1]
// CHECK: [0, %[[C]], 1, 57] [1, 1, 56, 1]
// CHECK: } {kiln.parallel}
// CHECK-NOT: tensor.pad
func.func @pad_image_frames(%x: tensor<1x64x56x56xf32>) -> tensor<1x64x58x58xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%n: index, %c: index, %i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<1x64x56x56xf32> to tensor<1x64x58x58xf32>
  return %0 : tensor<1x64x58x58xf32>
}

// -----

// A batch of images has its frames filled image by image, each image's
// channels in turn: the threads share the images, and each frame's slabs
// are written together, where a frame loop over the channels alone would
// stride over the whole batch for every slab.
// CHECK-LABEL: func.func @pad_batch_frames
// CHECK: scf.for %[[N:.*]] = %c0 to %c8 step %c1 iter_args
// CHECK: scf.for %[[C:.*]] = %c0 to %c16 step %c1 iter_args(%[[F:.*]] = %{{.*}})
// CHECK: tensor.extract_slice %[[F]][%[[N]], %[[C]], 0, 0] [1, 1, 1, 58]
// CHECK: } {kiln.parallel}
// CHECK-NEXT: return
func.func @pad_batch_frames(%x: tensor<8x16x56x56xf32>) -> tensor<8x16x58x58xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%n: index, %c: index, %i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<8x16x56x56xf32> to tensor<8x16x58x58xf32>
  return %0 : tensor<8x16x58x58xf32>
}

// -----

// A few small frames are filled on one thread.
// CHECK-LABEL: func.func @pad_small_image_frames
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args
// CHECK-NOT: kiln.parallel
// CHECK: return
func.func @pad_small_image_frames(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x10x10xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%n: index, %c: index, %i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  return %0 : tensor<1x4x10x10xf32>
}

// -----

// A padded source that an elementwise op computes, used only there, is
// written by that op into the padding's interior: no copy is left.
// CHECK-LABEL: func.func @pad_in_place
// CHECK: %[[PADDED:.*]] = bufferization.alloc_tensor() : tensor<6x34xf32>
// CHECK: %[[INNER:.*]] = tensor.extract_slice %[[PADDED]][0, 1] [4, 32] [1, 1] : tensor<6x34xf32> to tensor<4x32xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[INNER]])
// CHECK: linalg.generic {{.*}}kiln.vectorize = "elementwise"
// CHECK-NOT: linalg.copy
// CHECK: return
#pad_id = affine_map<(d0, d1) -> (d0, d1)>
func.func @pad_in_place(%x: tensor<4x32xf32>) -> tensor<6x34xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x32xf32>
  %relu = linalg.generic {indexing_maps = [#pad_id, #pad_id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x32xf32>) outs(%empty : tensor<4x32xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x32xf32>
  %0 = tensor.pad %relu low[0, 1] high[2, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<4x32xf32> to tensor<6x34xf32>
  return %0 : tensor<6x34xf32>
}

// -----

// A max pooling is one elementwise maximum over the strided image slices
// its window's taps read (2x2 taps, stride 2). Each maximum may take either
// of two zeros (nsz), which spares the code that orders them.
// CHECK-LABEL: func.func @max_pool
// CHECK-COUNT-4: tensor.extract_slice %{{.*}} [1, 4, 3, 3] [1, 1, 2, 2] : tensor<1x4x6x6xf32> to tensor<1x4x3x3xf32>
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK-COUNT-4: arith.maximumf {{.*}} fastmath<nsz>
func.func @max_pool(%img: tensor<1x4x6x6xf32>, %out: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %window : tensor<1x4x6x6xf32>, tensor<2x2xf32>) outs(%out : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// A max pooling whose output starts from a fill starts from the fill's
// value instead: no fill is written over the output first.
// CHECK-LABEL: func.func @max_pool_from_fill
// CHECK-NOT: linalg.fill
// CHECK: linalg.generic {{.*}}kiln.vectorize = "elementwise"
// CHECK-COUNT-4: arith.maximumf
// CHECK-NOT: linalg.fill
// CHECK: return
func.func @max_pool_from_fill(%img: tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32> {
  %lowest = arith.constant -3.40282347E+38 : f32
  %empty = tensor.empty() : tensor<1x4x3x3xf32>
  %out = linalg.fill ins(%lowest : f32) outs(%empty : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %window = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%img, %window : tensor<1x4x6x6xf32>, tensor<2x2xf32>) outs(%out : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// A concatenation's input computed by an elementwise op whose output's
// initial value is unused is written in place: the op's output is the slice
// of the concatenation, itself a fresh allocation (not a tensor.empty, which
// CSE would merge with another concatenation's). An input that is no such
// op's result (here an argument) is copied in by a vectorized linalg.copy.
// CHECK-LABEL: func.func @concat_in_place
// CHECK: %[[DEST:.*]] = bufferization.alloc_tensor() : tensor<8x32xf32>
// CHECK: %[[LEFT:.*]] = tensor.extract_slice %[[DEST]][0, 0] [4, 32] [1, 1] : tensor<8x32xf32> to tensor<4x32xf32>
// CHECK: %[[RELU:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[LEFT]])
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1x16xf32>) attrs =  {kiln.vectorize = "elementwise"}
// CHECK: %[[FIRST:.*]] = tensor.insert_slice %[[RELU]] into %[[DEST]][0, 0] [4, 32] [1, 1]
// CHECK: %[[RIGHT:.*]] = tensor.extract_slice %[[FIRST]][4, 0] [4, 32] [1, 1] : tensor<8x32xf32> to tensor<4x32xf32>
// CHECK: %[[COPY:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[RIGHT]])
// CHECK: linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK: tensor.insert_slice %[[COPY]] into %[[FIRST]][4, 0] [4, 32] [1, 1]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @concat_in_place(%x: tensor<4x32xf32>, %y: tensor<4x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x32xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x32xf32>
  %dest = tensor.empty() : tensor<8x32xf32>
  %0 = tensor.insert_slice %relu into %dest[0, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
  %1 = tensor.insert_slice %y into %0[4, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// An op whose output's initial value is read (an accumulation into %acc)
// is not moved into the concatenation: its result is copied in.
// CHECK-LABEL: func.func @concat_reads_init
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: outs(%{{.*}} : tensor<1x16xf32>) attrs =  {kiln.vectorize = "elementwise"}
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [4, 32] [1, 1] : tensor<8x32xf32> to tensor<4x32xf32>
// CHECK: linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1x16xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @concat_reads_init(%x: tensor<4x32xf32>, %acc: tensor<4x32xf32>, %dest: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %sum = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x32xf32>) outs(%acc : tensor<4x32xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  %0 = tensor.insert_slice %sum into %dest[0, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// A reduction along the innermost loop alone, of a multiple of 16: one row
// at a time (the row loop marked for the threads when large enough; not
// here), 16 partial maxima per step from -inf, then one reduction of the 16
// lanes, each part marked for vectorization.
// CHECK-LABEL: func.func @row_reduction
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<8xf32>)
// CHECK: %[[INIT:.*]] = linalg.fill {kiln.vectorize = "reduction"} ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK: %[[PARTIAL:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (tensor<1x16xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]{{.*}} ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1x16xf32>) attrs =  {kiln.vectorize = "reduction"}
// CHECK: } {kiln.partial_results}
// CHECK: linalg.reduce ins(%[[PARTIAL]] : tensor<1x16xf32>) outs(%{{.*}} : tensor<1xf32>) dimensions = [1]  {kiln.vectorize = "reduction"}
// CHECK-NOT: kiln.parallel
func.func @row_reduction(%x: tensor<8x128xf32>, %acc: tensor<8xf32>) -> tensor<8xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x128xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.maximumf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A row of 100 elements, not a multiple of 16, is split in two along the
// reduction: its first 96 elements take the partial results, then the last
// 4 are added one by one to what they left, by the op itself on the slice
// [96, 100), which stays a scalar loop.
// CHECK-LABEL: func.func @row_reduction_odd
// CHECK: %[[VECTORS:.*]] = tensor.extract_slice %arg0[0, 0] [8, 96] [1, 1] : tensor<8x100xf32> to tensor<8x96xf32>
// CHECK: %[[ROWS:.*]] = scf.for
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c16
// CHECK: } {kiln.partial_results}
// CHECK: linalg.reduce
// CHECK: %[[TAIL:.*]] = tensor.extract_slice %arg0[0, 96] [8, 4] [1, 1] : tensor<8x100xf32> to tensor<8x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[TAIL]] : tensor<8x4xf32>) outs(%[[ROWS]] : tensor<8xf32>)
// CHECK-NOT: kiln.vectorize
// CHECK: return
func.func @row_reduction_odd(%x: tensor<8x100xf32>, %acc: tensor<8xf32>) -> tensor<8xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x100xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// The outermost cache loop over a parallel dim that runs more than once is
// marked for the threads: here the m loop, inside the k loop, which is a
// reduction and stays unmarked. With one cache tile of columns, the m tiles
// are 64 rows (4 of them) rather than 256, so that there are several.
// CHECK-LABEL: func.func @matmul_parallel_rows
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: scf.for %{{.*}} step %[[K:.*]] iter_args
// CHECK:   scf.for %{{.*}} step %[[C64]] iter_args
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
func.func @matmul_reduction_only(%a: tensor<8x4096xf32>, %b: tensor<4096x64xf32>, %c: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x4096xf32>, tensor<4096x64xf32>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// A contraction of one column tile and at most 64 rows (here 64x196, a
// 1x1 convolution on a 14x14 image, its right-hand side not packed) has
// its rows split in two cache tiles, which the threads share: else it is
// one tile that one thread runs alone.
// CHECK-LABEL: func.func @matmul_small_rows_shared
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c32 iter_args
// CHECK: linalg.matmul {kiln.vectorize = "contraction"}
// CHECK: } {kiln.parallel}
func.func @matmul_small_rows_shared(%a: tensor<64x192xf32>, %b: tensor<192x196xf32>, %c: tensor<64x196xf32>) -> tensor<64x196xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x192xf32>, tensor<192x196xf32>) outs(%c : tensor<64x196xf32>) -> tensor<64x196xf32>
  return %0 : tensor<64x196xf32>
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
// so it is tiled by one row (each row 16-lane partial sums, as in
// @row_reduction) and marked; a column-wise sum, whose outer loop is the
// reduction, is left alone.
// CHECK-LABEL: func.func @row_sum_parallel
// CHECK: scf.for %{{.*}} iter_args
// CHECK:   linalg.fill {kiln.vectorize = "reduction"}
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:   linalg.reduce
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

// -----

// A convolution's product (filters x image positions) whose image is read
// only by an elementwise op is fused with it: a loop over tiles of 4 image
// rows (112 positions, whole vectors; 7 rows would be 196), marked for the
// threads, and one over tiles of the 16 filters (a single tile, folded
// away). Each tile broadcasts its part of the bias, accumulates its
// part of the product onto it, and applies the activation; the product is
// never reshaped to the whole image.
// REPORT: remark: fusion: 1 convolution product(s) fused with their elementwise consumer
// REPORT: remark: fusion: 1 convolution product(s) fused with their elementwise consumer
// REPORT-NOT: remark: fusion
// CHECK-LABEL: func.func @conv_epilogue
// CHECK-NOT: output_shape [1, 16, 28, 28]
// CHECK: %[[OUT:.*]] = scf.for %{{.*}} = %c0 to %c28 step %c4 iter_args
// CHECK: linalg.broadcast {{.*}} dimensions = [1]
// CHECK: linalg.matmul {kiln.vectorize = "contraction"}
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 16, 4, 28] : tensor<16x112xf32> into tensor<1x16x4x28xf32>
// CHECK: arith.maximumf
// CHECK: } {kiln.parallel}
// CHECK: return %[[OUT]]
#ep_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue(%w: tensor<16x8xf32>, %cols: tensor<8x784xf32>, %bias: tensor<16xf32>) -> tensor<1x16x28x28xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x16x28x28xf32>
  %b = linalg.broadcast ins(%bias : tensor<16xf32>) outs(%e : tensor<1x16x28x28xf32>) dimensions = [0, 2, 3]
  %init = tensor.collapse_shape %b [[0, 1], [2, 3]] : tensor<1x16x28x28xf32> into tensor<16x784xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<16x8xf32>, tensor<8x784xf32>) outs(%init : tensor<16x784xf32>) -> tensor<16x784xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 16, 28, 28] : tensor<16x784xf32> into tensor<1x16x28x28xf32>
  %out = tensor.empty() : tensor<1x16x28x28xf32>
  %r = linalg.generic {indexing_maps = [#ep_id, #ep_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x16x28x28xf32>) outs(%out : tensor<1x16x28x28xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x16x28x28xf32>
  return %r : tensor<1x16x28x28xf32>
}

// -----

// The image is also returned: the product is needed whole, and nothing is
// fused.
// CHECK-LABEL: func.func @conv_epilogue_shared
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 16, 28, 28]
// CHECK-NOT: dimensions = [1]
#eps_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_shared(%w: tensor<16x8xf32>, %cols: tensor<8x784xf32>, %init: tensor<16x784xf32>) -> (tensor<1x16x28x28xf32>, tensor<1x16x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<16x8xf32>, tensor<8x784xf32>) outs(%init : tensor<16x784xf32>) -> tensor<16x784xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 16, 28, 28] : tensor<16x784xf32> into tensor<1x16x28x28xf32>
  %out = tensor.empty() : tensor<1x16x28x28xf32>
  %r = linalg.generic {indexing_maps = [#eps_id, #eps_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x16x28x28xf32>) outs(%out : tensor<1x16x28x28xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x16x28x28xf32>
  return %r, %img : tensor<1x16x28x28xf32>, tensor<1x16x28x28xf32>
}

// -----

// 128 filters make two tiles, and each row tile's columns (1152 x 112
// floats, 516 KiB) would leave L2 between them: nothing is fused.
// CHECK-LABEL: func.func @conv_epilogue_large_columns
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 128, 28, 28]
// CHECK-NOT: output_shape [1, 64,
#epl_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_large_columns(%w: tensor<128x1152xf32>, %cols: tensor<1152x784xf32>, %init: tensor<128x784xf32>) -> tensor<1x128x28x28xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<128x1152xf32>, tensor<1152x784xf32>) outs(%init : tensor<128x784xf32>) -> tensor<128x784xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 128, 28, 28] : tensor<128x784xf32> into tensor<1x128x28x28xf32>
  %out = tensor.empty() : tensor<1x128x28x28xf32>
  %r = linalg.generic {indexing_maps = [#epl_id, #epl_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x128x28x28xf32>) outs(%out : tensor<1x128x28x28xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x128x28x28xf32>
  return %r : tensor<1x128x28x28xf32>
}

// -----

// A 14x14 image is one row tile: its 64 filters are split into 4 tiles of
// 16, and the loop over them is the one marked for the threads.
// CHECK-LABEL: func.func @conv_epilogue_small_image
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c16 iter_args
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 16, 14, 14] : tensor<16x196xf32> into tensor<1x16x14x14xf32>
// CHECK: } {kiln.parallel}
#epsm_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_small_image(%w: tensor<64x64xf32>, %cols: tensor<64x196xf32>, %init: tensor<64x196xf32>) -> tensor<1x64x14x14xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<64x64xf32>, tensor<64x196xf32>) outs(%init : tensor<64x196xf32>) -> tensor<64x196xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 64, 14, 14] : tensor<64x196xf32> into tensor<1x64x14x14xf32>
  %out = tensor.empty() : tensor<1x64x14x14xf32>
  %r = linalg.generic {indexing_maps = [#epsm_id, #epsm_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x64x14x14xf32>) outs(%out : tensor<1x64x14x14xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x64x14x14xf32>
  return %r : tensor<1x64x14x14xf32>
}

// -----

// Sums of at most 32 products (a 16-channel expansion into 96 channels on
// 112x112 images) leave most of a fused tile's work to its bias, product
// and consumer passes: the tile of the product is kept within 24 KiB, so
// 2 rows of 112 positions take 24 filters at a time, not 48.
// CHECK-LABEL: func.func @conv_epilogue_shallow
// CHECK: scf.for %{{.*}} = %c0 to %c112 step %c2 iter_args
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c24 iter_args
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 24, 2, 112] : tensor<24x224xf32> into tensor<1x24x2x112xf32>
#epsh_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_shallow(%w: tensor<96x16xf32>, %cols: tensor<16x12544xf32>, %init: tensor<96x12544xf32>) -> tensor<1x96x112x112xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<96x16xf32>, tensor<16x12544xf32>) outs(%init : tensor<96x12544xf32>) -> tensor<96x12544xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 96, 112, 112] : tensor<96x12544xf32> into tensor<1x96x112x112xf32>
  %out = tensor.empty() : tensor<1x96x112x112xf32>
  %r = linalg.generic {indexing_maps = [#epsh_id, #epsh_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x96x112x112xf32>) outs(%out : tensor<1x96x112x112xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x96x112x112xf32>
  return %r : tensor<1x96x112x112xf32>
}

// -----

// A few filters (32) on an image of too few row tiles for the threads (27
// rows: 3 tiles of 9) stay whole: the rows split into 9 tiles of 3 rows (81
// positions) instead, so that no tile of filters reads the columns again.
// CHECK-LABEL: func.func @conv_epilogue_few_filters
// CHECK: scf.for %{{.*}} = %c0 to %c27 step %c3 iter_args
// CHECK-NOT: scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 32, 3, 27] : tensor<32x81xf32> into tensor<1x32x3x27xf32>
// CHECK: } {kiln.parallel}
#epfew_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_few_filters(%w: tensor<32x256xf32>, %cols: tensor<256x729xf32>, %init: tensor<32x729xf32>) -> tensor<1x32x27x27xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<32x256xf32>, tensor<256x729xf32>) outs(%init : tensor<32x729xf32>) -> tensor<32x729xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 32, 27, 27] : tensor<32x729xf32> into tensor<1x32x27x27xf32>
  %out = tensor.empty() : tensor<1x32x27x27xf32>
  %r = linalg.generic {indexing_maps = [#epfew_id, #epfew_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x32x27x27xf32>) outs(%out : tensor<1x32x27x27xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x32x27x27xf32>
  return %r : tensor<1x32x27x27xf32>
}

// -----

// The filter tiles the threads share are balanced between them: 576
// filters are 12 tiles of 48, which 2 threads share 6 and 6, where 9 tiles
// of 64 would leave them 5 and 4.
// CHECK-LABEL: func.func @conv_epilogue_balanced_filters
// CHECK: scf.for %{{.*}} = %c0 to %c576 step %c48 iter_args
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 48, 14, 14] : tensor<48x196xf32> into tensor<1x48x14x14xf32>
// CHECK: } {kiln.parallel}
#epbal_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_balanced_filters(%w: tensor<576x96xf32>, %cols: tensor<96x196xf32>, %init: tensor<576x196xf32>) -> tensor<1x576x14x14xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<576x96xf32>, tensor<96x196xf32>) outs(%init : tensor<576x196xf32>) -> tensor<576x196xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 576, 14, 14] : tensor<576x196xf32> into tensor<1x576x14x14xf32>
  %out = tensor.empty() : tensor<1x576x14x14xf32>
  %r = linalg.generic {indexing_maps = [#epbal_id, #epbal_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x576x14x14xf32>) outs(%out : tensor<1x576x14x14xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x576x14x14xf32>
  return %r : tensor<1x576x14x14xf32>
}

// -----

// A few rows over a long k (a training step's weight gradient: 16 rows over
// 16384 products in 64 cache tiles of k) are not split for the threads,
// which would share 2 small tiles once per cache tile of k.
// CHECK-LABEL: func.func @matmul_small_rows_long_k
// CHECK-NOT: kiln.parallel
// CHECK: return
func.func @matmul_small_rows_long_k(%a: tensor<16x16384xf32>, %b: tensor<16384x9xf32>, %c: tensor<16x9xf32>) -> tensor<16x9xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x16384xf32>, tensor<16384x9xf32>) outs(%c : tensor<16x9xf32>) -> tensor<16x9xf32>
  return %0 : tensor<16x9xf32>
}

// -----

// Cache tiles that divide their dims: 448 columns are 2 tiles of 224 (not
// 256 and a remainder of 192 that would run after the threads' loop), and
// 96 rows of a single column tile are 2 tiles of 48 (not 64 and 32).
// CHECK-LABEL: func.func @matmul_dividing_tiles
// CHECK: scf.for %{{.*}} = %c0 to %c448 step %c224
// CHECK-NOT: scf.for %{{.*}} = %c0 to %c448 step %c256
// CHECK-LABEL: func.func @matmul_dividing_rows
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c48
func.func @matmul_dividing_tiles(%a: tensor<64x16xf32>, %b: tensor<16x448xf32>, %c: tensor<64x448xf32>) -> tensor<64x448xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x16xf32>, tensor<16x448xf32>) outs(%c : tensor<64x448xf32>) -> tensor<64x448xf32>
  return %0 : tensor<64x448xf32>
}
func.func @matmul_dividing_rows(%a: tensor<96x16xf32>, %b: tensor<16x64xf32>, %c: tensor<96x64xf32>) -> tensor<96x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<96x16xf32>, tensor<16x64xf32>) outs(%c : tensor<96x64xf32>) -> tensor<96x64xf32>
  return %0 : tensor<96x64xf32>
}

// -----

// A fill of a column (a padding's left or right border) writes one element
// per cache line: each element counts as a line's 16, so 96 x 112 of them
// are shared between the threads. Two columns, 96 x 112 x 2 elements that
// are not one per line, are too little work to share.
// CHECK-LABEL: func.func @column_fill
// CHECK: linalg.fill {kiln.vectorize = "elementwise"} {{.*}} tensor<1x1x1x1xf32>
// CHECK: } {kiln.parallel}
// CHECK-LABEL: func.func @narrow_fill
// CHECK-NOT: kiln.parallel
// CHECK: return
func.func @column_fill(%t: tensor<1x96x112x1xf32>) -> tensor<1x96x112x1xf32> {
  %cst = arith.constant 0.0 : f32
  %0 = linalg.fill ins(%cst : f32) outs(%t : tensor<1x96x112x1xf32>) -> tensor<1x96x112x1xf32>
  return %0 : tensor<1x96x112x1xf32>
}
func.func @narrow_fill(%t: tensor<1x96x112x2xf32>) -> tensor<1x96x112x2xf32> {
  %cst = arith.constant 0.0 : f32
  %0 = linalg.fill ins(%cst : f32) outs(%t : tensor<1x96x112x2xf32>) -> tensor<1x96x112x2xf32>
  return %0 : tensor<1x96x112x2xf32>
}

// -----

// A 27x27 image is 3 row tiles of 9 rows (243 positions), which 2 threads
// would share 2 and 1; its 128 filters are 2 tiles of 64. The filter loop is
// then the outer one, and the threads share it: 3 tiles each.
// CHECK-LABEL: func.func @conv_epilogue_filters_outer
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c64 iter_args
// CHECK: scf.for %{{.*}} = %c0 to %c27 step %c9 iter_args
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 64, 9, 27] : tensor<64x243xf32> into tensor<1x64x9x27xf32>
// CHECK: arith.maximumf
// CHECK: } {kiln.parallel}
// CHECK-NEXT: return
#epfo_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_filters_outer(%w: tensor<128x64xf32>, %cols: tensor<64x729xf32>, %init: tensor<128x729xf32>) -> tensor<1x128x27x27xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<128x64xf32>, tensor<64x729xf32>) outs(%init : tensor<128x729xf32>) -> tensor<128x729xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 128, 27, 27] : tensor<128x729xf32> into tensor<1x128x27x27xf32>
  %out = tensor.empty() : tensor<1x128x27x27xf32>
  %r = linalg.generic {indexing_maps = [#epfo_id, #epfo_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%img : tensor<1x128x27x27xf32>) outs(%out : tensor<1x128x27x27xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x128x27x27xf32>
  return %r : tensor<1x128x27x27xf32>
}

// -----

// A product that only a per-channel reduction reads (an activation then a
// global pooling, fused) is reduced tile by tile: each filter tile of the
// 13x13 image (one row tile) writes its 40 sums, and the whole product is
// never written. The threads share the 25 filter tiles.
// CHECK-LABEL: func.func @conv_epilogue_global_pool
// CHECK: scf.for %[[F:.*]] = %c0 to %c1000 step %c40 iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x1000x1x1xf32>)
// CHECK: tensor.extract_slice %[[ACC]][0, %[[F]], 0, 0] [1, 40, 1, 1] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %[[ACC]][0, %[[F]], 0, 0] [1, 40, 1, 1] [1, 1, 1, 1]
// CHECK: } {kiln.parallel}
// CHECK-NOT: tensor<1000x169xf32>
// CHECK: return
#epgp_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#epgp_chan = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @conv_epilogue_global_pool(%w: tensor<1000x128xf32>, %cols: tensor<128x169xf32>, %init: tensor<1000x169xf32>) -> tensor<1x1000x1x1xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<1000x128xf32>, tensor<128x169xf32>) outs(%init : tensor<1000x169xf32>) -> tensor<1000x169xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 1000, 13, 13] : tensor<1000x169xf32> into tensor<1x1000x13x13xf32>
  %e = tensor.empty() : tensor<1x1000x1x1xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1000x1x1xf32>) -> tensor<1x1000x1x1xf32>
  %r = linalg.generic {indexing_maps = [#epgp_id, #epgp_chan], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%img : tensor<1x1000x13x13xf32>) outs(%acc : tensor<1x1000x1x1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1000x1x1xf32>
  return %r : tensor<1x1000x1x1xf32>
}

// -----

// A per-channel reduction of an image of several row tiles is not fused:
// the row tiles would add into the same sums.
// CHECK-LABEL: func.func @conv_epilogue_global_pool_rows
// CHECK: scf.for {{.*}} -> (tensor<64x3136xf32>)
// CHECK: linalg.matmul {kiln.vectorize = "contraction"}
// CHECK: kiln.vectorize = "reduction"
// CHECK: return
#epgr_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#epgr_chan = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @conv_epilogue_global_pool_rows(%w: tensor<64x32xf32>, %cols: tensor<32x3136xf32>, %init: tensor<64x3136xf32>) -> tensor<1x64x1x1xf32> {
  %zero = arith.constant 0.0 : f32
  %p = linalg.matmul ins(%w, %cols : tensor<64x32xf32>, tensor<32x3136xf32>) outs(%init : tensor<64x3136xf32>) -> tensor<64x3136xf32>
  %img = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 64, 56, 56] : tensor<64x3136xf32> into tensor<1x64x56x56xf32>
  %e = tensor.empty() : tensor<1x64x1x1xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x64x1x1xf32>) -> tensor<1x64x1x1xf32>
  %r = linalg.generic {indexing_maps = [#epgr_id, #epgr_chan], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%img : tensor<1x64x56x56xf32>) outs(%acc : tensor<1x64x1x1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  } -> tensor<1x64x1x1xf32>
  return %r : tensor<1x64x1x1xf32>
}

// -----

// A fused convolution whose columns are gathered from window taps gathers
// them row tile by row tile: each of the threads' tiles of 4 image rows
// copies the 9 taps' slices of its rows into (1, C, KH, KW, 4, OW), which
// its product reads while they are in cache. No gather of the whole
// image's columns (1, 16, 3, 3, 56, 56) is left.
// REPORT: remark: fusion: 1 convolution product(s) fused with their elementwise consumer
// CHECK-LABEL: func.func @conv_epilogue_gathered
// CHECK-NOT: tensor<1x16x3x3x56x56xf32>
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c56 step %c4 iter_args
// CHECK: tensor.empty() : tensor<1x16x3x3x4x56xf32>
// CHECK-COUNT-9: linalg.copy {kiln.vectorize = "elementwise"} ins(%{{.*}} : tensor<1x1x1x16xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3], [4, 5]] : tensor<1x16x3x3x4x56xf32> into tensor<144x224xf32>
// CHECK: linalg.matmul {kiln.vectorize = "contraction"}
// CHECK: arith.maximumf
// CHECK: } {kiln.parallel}
// CHECK-NOT: tensor<1x16x3x3x56x56xf32>
// CHECK: return
#gather_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_gathered(%img: tensor<1x16x58x58xf32>, %w: tensor<32x16x3x3xf32>, %bias: tensor<32xf32>) -> tensor<1x32x56x56xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32x56x56xf32>
  %b = linalg.broadcast ins(%bias : tensor<32xf32>) outs(%e : tensor<1x32x56x56xf32>) dimensions = [0, 2, 3]
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%img, %w : tensor<1x16x58x58xf32>, tensor<32x16x3x3xf32>) outs(%b : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32>
  %out = tensor.empty() : tensor<1x32x56x56xf32>
  %r = linalg.generic {indexing_maps = [#gather_id, #gather_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x32x56x56xf32>) outs(%out : tensor<1x32x56x56xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x32x56x56xf32>
  return %r : tensor<1x32x56x56xf32>
}

// -----

// A deep fused convolution whose columns would not stay in L2 (256 channels,
// 3x3 taps, 14x14: 1.8 MB) runs in two filter tiles, one per thread, each
// summing chunks of 16 channels: each chunk gathers its 144 rows of columns
// (113 KB) itself, and the whole image's columns are never gathered.
// CHECK-LABEL: func.func @conv_epilogue_channel_chunks
// CHECK-NOT: tensor<1x256x3x3x14x14xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c128 iter_args
// CHECK: scf.for %[[CH:.*]] = %c0 to %c256 step %c16 iter_args
// CHECK: tensor.empty() : tensor<1x16x3x3x14x14xf32>
// CHECK-COUNT-9: linalg.copy
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3], [4, 5]] : tensor<1x16x3x3x14x14xf32> into tensor<144x196xf32>
// CHECK: arith.muli %[[CH]], %c9
// CHECK: } {kiln.parallel}
// CHECK-NOT: tensor<1x256x3x3x14x14xf32>
// CHECK: return
#chunk_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_channel_chunks(%img: tensor<1x256x16x16xf32>, %w: tensor<256x256x3x3xf32>, %bias: tensor<256xf32>) -> tensor<1x256x14x14xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x256x14x14xf32>
  %b = linalg.broadcast ins(%bias : tensor<256xf32>) outs(%e : tensor<1x256x14x14xf32>) dimensions = [0, 2, 3]
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%img, %w : tensor<1x256x16x16xf32>, tensor<256x256x3x3xf32>) outs(%b : tensor<1x256x14x14xf32>) -> tensor<1x256x14x14xf32>
  %out = tensor.empty() : tensor<1x256x14x14xf32>
  %r = linalg.generic {indexing_maps = [#chunk_id, #chunk_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x256x14x14xf32>) outs(%out : tensor<1x256x14x14xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x256x14x14xf32>
  return %r : tensor<1x256x14x14xf32>
}

// -----

// A global sum pooling, a reduction over an image's rows and columns into a
// (N, C, 1, 1) output, becomes one reduction over the 169 positions of each
// channel, which the row strategy takes: 160 elements as partial results,
// then the last 9. The threads share the channels.
// CHECK-LABEL: func.func @global_pool
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<1x1000x13x13xf32> into tensor<1x1000x169xf32>
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<1x1000x1x1xf32> into tensor<1x1000xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c160 step %c16
// CHECK: } {kiln.partial_results}
// CHECK: } {kiln.parallel}
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 160] [1, 1000, 9] [1, 1, 1] : tensor<1x1000x169xf32> to tensor<1x1000x9xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2, 3]] output_shape [1, 1000, 1, 1] : tensor<1x1000xf32> into tensor<1x1000x1x1xf32>
#pool_in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#pool_out = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @global_pool(%x: tensor<1x1000x13x13xf32>, %o: tensor<1x1000x1x1xf32>) -> tensor<1x1000x1x1xf32> {
  %r = linalg.generic {indexing_maps = [#pool_in, #pool_out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<1x1000x13x13xf32>) outs(%o : tensor<1x1000x1x1xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x1000x1x1xf32>
  return %r : tensor<1x1000x1x1xf32>
}

// -----

// A reduction over two dims that its input reads out of order (transposed)
// is left as it is: the two dims are not one contiguous run to collapse.
// CHECK-LABEL: func.func @two_reductions_transposed
// CHECK-NOT: tensor.collapse_shape
// CHECK: return
func.func @two_reductions_transposed(%x: tensor<4x8x16xf32>, %o: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2, d1)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : tensor<4x8x16xf32>) outs(%o : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// An elementwise op reads each of its inputs per element: a maximum of 9
// taps over 128 x 13 x 13 positions (21632 elements, 9 reads each) is worth
// sharing between the threads, the same op over one input is not.
// CHECK-LABEL: func.func @pool_taps
// CHECK: } {kiln.parallel}
// CHECK-LABEL: func.func @one_input
// CHECK-NOT: kiln.parallel
// CHECK: return
#taps_id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @pool_taps(%a: tensor<1x128x13x13xf32>, %b: tensor<1x128x13x13xf32>, %c: tensor<1x128x13x13xf32>,
                     %d: tensor<1x128x13x13xf32>, %e: tensor<1x128x13x13xf32>, %f: tensor<1x128x13x13xf32>,
                     %g: tensor<1x128x13x13xf32>, %h: tensor<1x128x13x13xf32>, %i: tensor<1x128x13x13xf32>,
                     %o: tensor<1x128x13x13xf32>) -> tensor<1x128x13x13xf32> {
  %r = linalg.generic {indexing_maps = [#taps_id, #taps_id, #taps_id, #taps_id, #taps_id, #taps_id, #taps_id, #taps_id, #taps_id, #taps_id],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b, %c, %d, %e, %f, %g, %h, %i : tensor<1x128x13x13xf32>, tensor<1x128x13x13xf32>, tensor<1x128x13x13xf32>,
          tensor<1x128x13x13xf32>, tensor<1x128x13x13xf32>, tensor<1x128x13x13xf32>, tensor<1x128x13x13xf32>,
          tensor<1x128x13x13xf32>, tensor<1x128x13x13xf32>) outs(%o : tensor<1x128x13x13xf32>) {
  ^bb0(%x0: f32, %x1: f32, %x2: f32, %x3: f32, %x4: f32, %x5: f32, %x6: f32, %x7: f32, %x8: f32, %out: f32):
    %m0 = arith.maximumf %x0, %x1 : f32
    %m1 = arith.maximumf %m0, %x2 : f32
    %m2 = arith.maximumf %m1, %x3 : f32
    %m3 = arith.maximumf %m2, %x4 : f32
    %m4 = arith.maximumf %m3, %x5 : f32
    %m5 = arith.maximumf %m4, %x6 : f32
    %m6 = arith.maximumf %m5, %x7 : f32
    %m7 = arith.maximumf %m6, %x8 : f32
    linalg.yield %m7 : f32
  } -> tensor<1x128x13x13xf32>
  return %r : tensor<1x128x13x13xf32>
}
func.func @one_input(%a: tensor<1x128x13x13xf32>, %o: tensor<1x128x13x13xf32>) -> tensor<1x128x13x13xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#taps_id, #taps_id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x128x13x13xf32>) outs(%o : tensor<1x128x13x13xf32>) {
  ^bb0(%x: f32, %out: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x128x13x13xf32>
  return %r : tensor<1x128x13x13xf32>
}

// -----

// A matmul whose right-hand side is a constant (a layer's weight), 64
// columns and a small left-hand side reads the constant in panels of 32
// columns laid out at compile time, (2 panels, K, 32), one contiguous
// block each: no panel is copied at run time. Each panel is a matmul of
// its own once its unit dim is dropped.
// CHECK-LABEL: func.func @prepacked
// CHECK: arith.constant dense_resource<packed> : tensor<2x2x32xf32>
// CHECK: tensor.expand_shape %arg1 {{\[}}[0], [1, 2]] output_shape [32, 2, 32]
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK-NOT: linalg.copy
// CHECK: linalg.matmul {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<8x1xf32>, tensor<1x32xf32>) outs(%{{.*}} : tensor<8x32xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<32x2x32xf32> into tensor<32x64xf32>
func.func @prepacked(%a: tensor<32x2xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0, 112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0, 120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0, 128.0, 129.0, 130.0, 131.0, 132.0, 133.0, 134.0, 135.0, 136.0, 137.0, 138.0, 139.0, 140.0, 141.0, 142.0, 143.0, 144.0, 145.0, 146.0, 147.0, 148.0, 149.0, 150.0, 151.0, 152.0, 153.0, 154.0, 155.0, 156.0, 157.0, 158.0, 159.0, 160.0, 161.0, 162.0, 163.0]]> : tensor<2x64xf32>
  %0 = linalg.matmul ins(%a, %w : tensor<32x2xf32>, tensor<2x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// The same matmul with a right-hand side known only at run time keeps its
// layout.
// CHECK-LABEL: func.func @not_prepacked
// CHECK-NOT: dense_resource<packed>
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @not_prepacked(%a: tensor<32x2xf32>, %w: tensor<2x64xf32>, %c: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %0 = linalg.matmul ins(%a, %w : tensor<32x2xf32>, tensor<2x64xf32>) outs(%c : tensor<32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// A matmul whose left-hand side is a constant (a convolution's filters)
// reads it laid out at compile time in blocks of 8 rows, (2, K, 8): the
// matmul becomes a contraction over (block, row, n, k), and its register
// tiles, one block's 8 rows each, are matmuls with the left-hand side read
// transposed, (k, m).
// CHECK-LABEL: func.func @matmul_constant_lhs
// CHECK: arith.constant dense_resource<{{.*}}> : tensor<2x16x8xf32>
// CHECK: linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] {kiln.vectorize = "contraction"} ins(%{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<1x32xf32>)
// CHECK-NOT: tensor<16x16xf32>
// CHECK: return
func.func @matmul_constant_lhs(%b: tensor<16x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %w = arith.constant dense<[[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0], [1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0], [3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0], [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0], [0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0], [2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0], [1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0], [3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0], [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0], [0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0], [2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0]]> : tensor<16x16xf32>
  %0 = linalg.matmul ins(%w, %b : tensor<16x16xf32>, tensor<16x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// A constant left-hand side of rows that blocks of 8 do not divide stays
// as it is.
// CHECK-LABEL: func.func @matmul_constant_lhs_ragged
// CHECK: arith.constant dense<{{.*}}> : tensor<12x16xf32>
// CHECK: linalg.matmul {kiln.vectorize = "contraction"}
// CHECK-NOT: tensor<2x16x8xf32>
func.func @matmul_constant_lhs_ragged(%b: tensor<16x64xf32>, %c: tensor<12x64xf32>) -> tensor<12x64xf32> {
  %w = arith.constant dense<[[-2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0], [-1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0], [0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0], [1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0], [2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0], [-2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0], [-1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0], [0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0], [1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0], [2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0], [-2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0], [-1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0]]> : tensor<12x16xf32>
  %0 = linalg.matmul ins(%w, %b : tensor<12x16xf32>, tensor<16x64xf32>) outs(%c : tensor<12x64xf32>) -> tensor<12x64xf32>
  return %0 : tensor<12x64xf32>
}

// -----

// Over a packed left-hand side (a contraction over (block, row, n, k), as
// prepackConstantLhs writes it), a right-hand side of one column tile that
// fits in L2 (here 136 x 64) stays there while each cache tile of rows (48:
// 6 blocks of 8) runs all of k: the loop over the row blocks' cache tiles,
// which the threads share, is outside the loop over k's cache tiles (128
// and a remainder of 8).
// CHECK-LABEL: func.func @packed_lhs_rows_outer
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c6 iter_args
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c1 iter_args
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args
// CHECK: } {kiln.parallel}
#plr_a = affine_map<(b, r, n, k) -> (b, k, r)>
#plr_b = affine_map<(b, r, n, k) -> (k, n)>
#plr_c = affine_map<(b, r, n, k) -> (b, r, n)>
func.func @packed_lhs_rows_outer(%a: tensor<12x136x8xf32>, %b: tensor<136x64xf32>, %c: tensor<12x8x64xf32>) -> tensor<12x8x64xf32> {
  %0 = linalg.generic {indexing_maps = [#plr_a, #plr_b, #plr_c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<12x136x8xf32>, tensor<136x64xf32>) outs(%c : tensor<12x8x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12x8x64xf32>
  return %0 : tensor<12x8x64xf32>
}
