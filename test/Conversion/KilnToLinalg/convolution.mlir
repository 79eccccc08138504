// RUN: not kiln-opt %s --convert-kiln-to-linalg --split-input-file 2>%t.err | FileCheck %s
// RUN: FileCheck --check-prefix=ERR %s < %t.err

// Padding, stride and bias: tensor.pad, the bias broadcast as the
// accumulator, linalg.conv_2d_nchw_fchw; the batch stays dynamic.
// CHECK-LABEL: func.func @conv_2d_bias
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: } : tensor<?x3x32x32xf32> to tensor<?x3x34x34xf32>
// CHECK: %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x3x32x32xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x16x16x16xf32>
// CHECK: %[[B:.*]] = linalg.broadcast ins(%arg2 : tensor<16xf32>) outs(%[[E]] : tensor<?x16x16x16xf32>) dimensions = [0, 2, 3]
// CHECK: %[[R:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %arg1 : tensor<?x3x34x34xf32>, tensor<16x3x3x3xf32>) outs(%[[B]] : tensor<?x16x16x16xf32>)
// CHECK: return %[[R]]
func.func @conv_2d_bias(%x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>) -> tensor<?x16x16x16xf32> {
  %0 = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x16x16xf32>
  return %0 : tensor<?x16x16x16xf32>
}

// -----

// 1-D with dilation, no pads: linalg.conv_1d_ncw_fcw on the input itself.
// CHECK-LABEL: func.func @conv_1d
// CHECK-NOT: tensor.pad
// CHECK: %[[ACC:.*]] = linalg.fill
// CHECK: linalg.conv_1d_ncw_fcw {dilations = dense<2> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%arg0, %arg1 : tensor<1x4x10xf32>, tensor<8x4x3xf32>) outs(%[[ACC]] : tensor<1x8x6xf32>)
func.func @conv_1d(%x: tensor<1x4x10xf32>, %w: tensor<8x4x3xf32>) -> tensor<1x8x6xf32> {
  %0 = kiln.conv %x, %w {dilations = array<i64: 2>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x4x10xf32>, tensor<8x4x3xf32>) -> tensor<1x8x6xf32>
  return %0 : tensor<1x8x6xf32>
}

// -----

// One channel per group: the depthwise named op on the collapsed filter.
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[F:.*]] = tensor.collapse_shape %arg1 {{\[}}[0, 1], [2], [3]] : tensor<8x1x3x3xf32> into tensor<8x3x3xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%arg0, %[[F]] : tensor<1x8x6x6xf32>, tensor<8x3x3xf32>)
func.func @depthwise(%x: tensor<1x8x6x6xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %0 = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 8 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// Other 2-D groups: group dims split out for linalg.conv_2d_ngchw_gfchw.
// CHECK-LABEL: func.func @grouped_2d
// CHECK: %[[X:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 6, 6]
// CHECK: %[[W:.*]] = tensor.expand_shape %arg1 {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 2, 4, 3, 3]
// CHECK: %[[ACC:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 4, 4]
// CHECK: %[[R:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[X]], %[[W]] : tensor<1x2x4x6x6xf32>, tensor<2x2x4x3x3xf32>) outs(%[[ACC]] : tensor<1x2x2x4x4xf32>)
// CHECK: tensor.collapse_shape %[[R]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x2x4x4xf32> into tensor<1x4x4x4xf32>
func.func @grouped_2d(%x: tensor<1x8x6x6xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %0 = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x8x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// Groups without a named op (1-D): one linalg.generic over (N, G, F, O)
// with (C, K) reductions, reading the input at o * stride + k.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d3 * 2 + d5)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d4, d5)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @grouped_1d
// CHECK: tensor.pad %arg0 low[0, 0, 1] high[0, 0, 0]
// CHECK: linalg.broadcast ins(%arg2 : tensor<4xf32>) outs(%{{.*}} : tensor<2x4x3xf32>) dimensions = [0, 2]
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<2x2x3x8xf32>, tensor<2x2x3x3xf32>) outs(%{{.*}} : tensor<2x2x2x3xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3]] : tensor<2x2x2x3xf32> into tensor<2x4x3xf32>
func.func @grouped_1d(%x: tensor<2x6x7xf32>, %w: tensor<4x3x3xf32>, %b: tensor<4xf32>) -> tensor<2x4x3xf32> {
  %0 = kiln.conv %x, %w, %b {dilations = array<i64: 1>, group = 2 : i64, pads = array<i64: 1, 0>, strides = array<i64: 2>} : (tensor<2x6x7xf32>, tensor<4x3x3xf32>, tensor<4xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

// Transposed: the input strided into a zero buffer padded by
// (K - 1) * dilation - pad (+ output_padding), then a convolution with the
// kernel flipped on the input side; the batch stays dynamic.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + -d6 + 2, d4 + -d7 + 2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d5, d2, d6, d7)>
// CHECK-LABEL: func.func @conv_transpose
// CHECK: %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x8x4x4xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x8x10x10xf32>)
// CHECK: tensor.insert_slice %arg0 into %[[Z]][0, 0, 1, 1] [%[[N]], 8, 4, 4] [1, 1, 2, 2] : tensor<?x8x4x4xf32> into tensor<?x8x10x10xf32>
// CHECK: linalg.broadcast ins(%arg2 : tensor<4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[W]], #{{.*}}]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<?x1x8x10x10xf32>, tensor<1x8x4x3x3xf32>) outs(%{{.*}} : tensor<?x1x4x8x8xf32>)
// CHECK: tensor.collapse_shape %{{.*}} : tensor<?x1x4x8x8xf32> into tensor<?x4x8x8xf32>
func.func @conv_transpose(%x: tensor<?x8x4x4xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x8x8xf32> {
  %0 = kiln.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}

// -----

// Pads beyond the kernel's reach crop the dilated input.
// CHECK-LABEL: func.func @conv_transpose_crop
// CHECK: %[[D:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0] [1, 2, 5] [1, 1, 2] : tensor<1x2x5xf32> into tensor<1x2x9xf32>
// CHECK: tensor.extract_slice %[[D]][0, 0, 1] [1, 2, 8] [1, 1, 1] : tensor<1x2x9xf32> to tensor<1x2x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x2x3x7xf32>)
func.func @conv_transpose_crop(%x: tensor<1x2x5xf32>, %w: tensor<2x3x2xf32>) -> tensor<1x6x7xf32> {
  %0 = kiln.conv_transpose %x, %w {dilations = array<i64: 1>, group = 2 : i64, output_padding = array<i64: 0>, pads = array<i64: 2, 1>, strides = array<i64: 2>} : (tensor<1x2x5xf32>, tensor<2x3x2xf32>) -> tensor<1x6x7xf32>
  return %0 : tensor<1x6x7xf32>
}

// -----

// A dynamic kernel size is refused: the window's extent must be known.
// ERR: failed to legalize operation 'kiln.conv'
func.func @dynamic_kernel(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x?x?xf32>) -> tensor<1x4x?x?xf32> {
  %0 = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x?x?xf32>) -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}
