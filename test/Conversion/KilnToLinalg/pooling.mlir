// RUN: not kiln-opt %s --convert-kiln-to-linalg --split-input-file 2>%t.err | FileCheck %s
// RUN: FileCheck --check-prefix=ERR %s < %t.err

// 2-D max pooling: padded with -inf, linalg.pooling_nchw_max with a window
// operand of the kernel shape; the batch stays dynamic.
// CHECK-LABEL: func.func @max_pool_2d
// CHECK: %[[N:.*]] = tensor.dim %arg0
// CHECK: %[[LOW:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[LOW]] : f32
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x64x28x28xf32>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[LOW]] : f32) outs(%[[E]] : tensor<?x64x28x28xf32>)
// CHECK: %[[K:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %[[K]] : tensor<?x64x58x58xf32>, tensor<3x3xf32>) outs(%[[ACC]] : tensor<?x64x28x28xf32>)
func.func @max_pool_2d(%x: tensor<?x64x56x56xf32>) -> tensor<?x64x28x28xf32> {
  %0 = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x64x56x56xf32>) -> tensor<?x64x28x28xf32>
  return %0 : tensor<?x64x28x28xf32>
}

// -----

// Unsigned: padded with 0 and an unsigned maximum in a linalg.generic; ceil
// mode grows the end pad so that the last window fits.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-LABEL: func.func @max_pool_unsigned_ceil
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: } : tensor<1x2x5x5xi8> to tensor<1x2x6x6xi8>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[K]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.maxui
func.func @max_pool_unsigned_ceil(%x: tensor<1x2x5x5xui8>) -> tensor<1x2x3x3xui8> {
  %0 = kiln.max_pool %x {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5xui8>) -> tensor<1x2x3x3xui8>
  return %0 : tensor<1x2x3x3xui8>
}

// -----

// 3-D (no channels-first named op): a linalg.generic; f16 starts at -inf.
// Its maximum may take either of two zeros (nsz).
// CHECK-LABEL: func.func @max_pool_3d
// CHECK: arith.constant 0xFC00 : f16
// CHECK: tensor.empty() : tensor<2x2x2xf16>
// CHECK: linalg.generic
// CHECK: arith.maximumf {{.*}} fastmath<nsz>
func.func @max_pool_3d(%x: tensor<1x2x4x4x4xf16>) -> tensor<1x2x2x2x2xf16> {
  %0 = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1, 1>, kernel_shape = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : (tensor<1x2x4x4x4xf16>) -> tensor<1x2x2x2x2xf16>
  return %0 : tensor<1x2x2x2x2xf16>
}

// -----

// Average pooling without pads: a sum pool divided by the kernel size.
// CHECK-LABEL: func.func @average_pool_uniform
// CHECK: %[[S:.*]] = linalg.pooling_nchw_sum
// CHECK: %[[D:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<1x8x4x4xf32>)
// CHECK: arith.divf %{{.*}}, %[[D]] : f32
func.func @average_pool_uniform(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// Excluded pads: each window's divisor comes from a constant tensor.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[SP:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @average_pool_excluded_pads
// CHECK: %[[S:.*]] = linalg.pooling_ncw_sum
// CHECK: %[[D:.*]] = arith.constant dense<[2.000000e+00, 3.000000e+00, 2.000000e+00]> : tensor<3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[SP]], #[[ID]]]{{.*}} ins(%[[S]], %[[D]] : tensor<1x1x3xf32>, tensor<3xf32>)
// CHECK: arith.divf
func.func @average_pool_excluded_pads(%x: tensor<1x1x3xf32>) -> tensor<1x1x3xf32> {
  %0 = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1>, kernel_shape = array<i64: 3>, pads = array<i64: 1, 1>, strides = array<i64: 1>} : (tensor<1x1x3xf32>) -> tensor<1x1x3xf32>
  return %0 : tensor<1x1x3xf32>
}

// -----

// Ceil mode on a dynamic spatial dim is refused (its divisors and output
// size would need runtime corrections).
// ERR: failed to legalize operation 'kiln.average_pool'
func.func @average_pool_dynamic_ceil(%x: tensor<1x1x?xf32>) -> tensor<1x1x?xf32> {
  %0 = kiln.average_pool %x {ceil_mode = true, count_include_pad = false, dilations = array<i64: 1>, kernel_shape = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 2>} : (tensor<1x1x?xf32>) -> tensor<1x1x?xf32>
  return %0 : tensor<1x1x?xf32>
}

// -----

// Global average: a reduction into (N, C, 1, 1), divided by the (dynamic)
// number of positions.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
// CHECK-LABEL: func.func @global_average_pool
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.addf
// CHECK: %[[H:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x512x?x7xf32>
// CHECK: %[[C:.*]] = arith.muli %[[H]], %{{.*}} : index
// CHECK: %[[I:.*]] = arith.index_cast %[[C]] : index to i64
// CHECK: %[[F:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<?x512x1x1xf32>)
// CHECK: arith.divf %{{.*}}, %[[F]] : f32
func.func @global_average_pool(%x: tensor<?x512x?x7xf32>) -> tensor<?x512x1x1xf32> {
  %0 = kiln.global_average_pool %x : (tensor<?x512x?x7xf32>) -> tensor<?x512x1x1xf32>
  return %0 : tensor<?x512x1x1xf32>
}

// -----

// Global max of signed integers starts at the signed minimum.
// CHECK-LABEL: func.func @global_max_pool
// CHECK: arith.constant -2147483648 : i32
// CHECK: linalg.generic
// CHECK: arith.maxsi
func.func @global_max_pool(%x: tensor<2x3x4x5xi32>) -> tensor<2x3x1x1xi32> {
  %0 = kiln.global_max_pool %x : (tensor<2x3x4x5xi32>) -> tensor<2x3x1x1xi32>
  return %0 : tensor<2x3x1x1xi32>
}
