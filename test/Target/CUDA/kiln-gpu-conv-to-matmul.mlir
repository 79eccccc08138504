// RUN: kiln-opt %s --split-input-file --kiln-gpu-conv-to-matmul --cse | FileCheck %s

// A convolution with a dynamic batch and stride 2: the image columns are
// gathered through the strided window (q = c * 9 + kh * 3 + kw,
// p = oh * 4 + ow), the filter and init are collapsed to matrices, the
// contraction shares the filter across the batch, and its result is
// expanded back with the batch's size.
// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1 floordiv 9, (d2 floordiv 4) * 2 + (d1 mod 9) floordiv 3, (d2 mod 4) * 2 + d1 mod 3)>
// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[COLUMNS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @dynamic_batch
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x10x10xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[INIT:.*]]: tensor<?x4x4x4xf32>)
// CHECK-DAG: %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<4x3x3x3xf32> into tensor<4x27xf32>
// CHECK-DAG: %[[IM:.*]] = tensor.collapse_shape %[[INIT]] {{\[}}[0], [1], [2, 3]] : tensor<?x4x4x4xf32> into tensor<?x4x16xf32>
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[INIT]], %{{.*}} : tensor<?x4x4x4xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x27x16xf32>
// CHECK: %[[COLS:.*]] = linalg.generic {indexing_maps = [#[[WINDOW]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<?x3x10x10xf32>) outs(%[[EMPTY]] : tensor<?x27x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: %[[MM:.*]] = linalg.generic {indexing_maps = [#[[FILTER]], #[[COLUMNS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[WM]], %[[COLS]] : tensor<4x27xf32>, tensor<?x27x16xf32>) outs(%[[IM]] : tensor<?x4x16xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[P]], %[[C]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: %[[R:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0], [1], [2, 3]] output_shape [%[[N]], 4, 4, 4] : tensor<?x4x16xf32> into tensor<?x4x4x4xf32>
// CHECK: return %[[R]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @dynamic_batch(%x: tensor<?x3x10x10xf32>, %w: tensor<4x3x3x3xf32>, %init: tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<?x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%init : tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}

// -----

// A dilated 2x3 window on a static batch: rows step by the dilation 2,
// columns by 3; no tensor.dim is needed.
// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1 floordiv 6, d2 floordiv 3 + ((d1 mod 6) floordiv 3) * 2, d2 mod 3 + (d1 mod 3) * 3)>
// CHECK-LABEL: func.func @dilated
// CHECK-NOT: tensor.dim
// CHECK: tensor.empty() : tensor<1x12x15xf32>
// CHECK: linalg.generic {indexing_maps = [#[[WINDOW]],
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [1, 5, 5, 3] : tensor<1x5x15xf32> into tensor<1x5x5x3xf32>
func.func @dilated(%x: tensor<1x2x7x9xf32>, %w: tensor<5x2x2x3xf32>, %init: tensor<1x5x5x3xf32>) -> tensor<1x5x5x3xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<[2, 3]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x7x9xf32>, tensor<5x2x2x3xf32>) outs(%init : tensor<1x5x5x3xf32>) -> tensor<1x5x5x3xf32>
  return %0 : tensor<1x5x5x3xf32>
}

// -----

// Left alone: a depthwise convolution, an f16 convolution, a dynamic image
// size, and a convolution on buffers.
// CHECK-LABEL: func.func @left_alone
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<1x2x6x6xf16>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} tensor<1x2x?x6xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} memref<1x2x6x6xf32>
// CHECK-NOT: linalg.generic
func.func @left_alone(%x: tensor<1x2x6x6xf32>, %dw: tensor<2x3x3xf32>, %dinit: tensor<1x2x4x4xf32>,
                      %h: tensor<1x2x6x6xf16>, %hw: tensor<3x2x3x3xf16>, %hinit: tensor<1x3x4x4xf16>,
                      %y: tensor<1x2x?x6xf32>, %w: tensor<3x2x3x3xf32>, %yinit: tensor<1x3x?x4xf32>,
                      %m: memref<1x2x6x6xf32>, %mw: memref<3x2x3x3xf32>, %minit: memref<1x3x4x4xf32>)
    -> (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf16>, tensor<1x3x?x4xf32>) {
  %0 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %dw : tensor<1x2x6x6xf32>, tensor<2x3x3xf32>) outs(%dinit : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%h, %hw : tensor<1x2x6x6xf16>, tensor<3x2x3x3xf16>) outs(%hinit : tensor<1x3x4x4xf16>) -> tensor<1x3x4x4xf16>
  %2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y, %w : tensor<1x2x?x6xf32>, tensor<3x2x3x3xf32>) outs(%yinit : tensor<1x3x?x4xf32>) -> tensor<1x3x?x4xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%m, %mw : memref<1x2x6x6xf32>, memref<3x2x3x3xf32>) outs(%minit : memref<1x3x4x4xf32>)
  return %0, %1, %2 : tensor<1x2x4x4xf32>, tensor<1x3x4x4xf16>, tensor<1x3x?x4xf32>
}
