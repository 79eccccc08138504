// RUN: kiln-opt %s --split-input-file --verify-diagnostics --kiln-gpu-host-device-copies | FileCheck %s

// The input is copied to the device once, at entry; the weight is not
// copied: its device copy comes from the runtime's cache
// (kilnCudaConstant, with the host address and byte size) and is never
// freed; intermediates are device buffers; the result is copied back into
// host memory the caller owns, and the other device buffers are freed
// before the return.
memref.global "private" constant @w : memref<4xf32> = dense<1.0>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[ARG:.*]]: memref<?x4xf32>)
// CHECK: %[[DIM:.*]] = memref.dim %[[ARG]]
// CHECK: %[[IN:.*]] = gpu.alloc (%[[DIM]]) : memref<?x4xf32>
// CHECK: gpu.memcpy %[[IN]], %[[ARG]]
// CHECK: %[[G:.*]] = memref.get_global @w
// CHECK: %[[ADDR:.*]] = memref.extract_aligned_pointer_as_index %[[G]]
// CHECK: %[[INT:.*]] = arith.index_cast %[[ADDR]] : index to i64
// CHECK: %[[PTR:.*]] = llvm.inttoptr %[[INT]] : i64 to !llvm.ptr
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK: %[[DPTR:.*]] = llvm.call @kilnCudaConstant(%[[PTR]], %[[BYTES]]) : (!llvm.ptr, i64) -> !llvm.ptr
// CHECK: llvm.insertvalue %[[DPTR]], %{{.*}}[0]
// CHECK: llvm.insertvalue %[[DPTR]], %{{.*}}[1]
// CHECK: %[[W:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<4xf32>
// CHECK-NOT: gpu.memcpy
// CHECK: %[[OUT:.*]] = gpu.alloc (%{{.*}}) : memref<?x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[IN]], %[[W]] : {{.*}}) outs(%[[OUT]] :
// CHECK: %[[HOST:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x4xf32>
// CHECK: gpu.memcpy %[[HOST]], %[[OUT]]
// CHECK-DAG: gpu.dealloc %[[IN]]
// CHECK-DAG: gpu.dealloc %[[OUT]]
// CHECK-NOT: gpu.dealloc
// CHECK: return %[[HOST]]
// CHECK: llvm.func @kilnCudaConstant(!llvm.ptr, i64) -> !llvm.ptr
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d1)>
func.func @main(%arg0: memref<?x4xf32>) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %w = memref.get_global @w : memref<4xf32>
  %d = memref.dim %arg0, %c0 : memref<?x4xf32>
  %out = memref.alloc(%d) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%arg0, %w : memref<?x4xf32>, memref<4xf32>) outs(%out : memref<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return %out : memref<?x4xf32>
}

// -----

// Intermediate allocations and frees move to device memory.
// CHECK-LABEL: func.func @temporaries
// CHECK-NOT: memref.alloc(
// CHECK: gpu.alloc () : memref<8xf32>
// CHECK: %[[T:.*]] = gpu.alloc () : memref<8xf32>
// CHECK: memref.copy %{{.*}}, %[[T]]
// CHECK: gpu.dealloc %[[T]]
// CHECK-NOT: memref.dealloc
func.func @temporaries(%arg0: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  memref.copy %arg0, %t : memref<8xf32> to memref<8xf32>
  memref.dealloc %t : memref<8xf32>
  return
}

// -----

// Private functions (such as the deallocation helper) stay on the host.
// CHECK-LABEL: func.func private @helper
// CHECK: memref.alloc
// CHECK-NOT: gpu.
func.func private @helper(%arg0: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  memref.dealloc %t : memref<8xf32>
  return
}

// -----

// Copies move whole buffers, so a strided argument is refused.
func.func @strided(%arg0: memref<4xf32, strided<[2]>>) {
  // expected-error@-1 {{the CUDA target needs arguments with the identity layout}}
  return
}

// -----

// A global that is not constant may change between calls: it is copied in
// at every call and freed, like an input.
memref.global "private" @state : memref<4xf32> = dense<0.0>

// CHECK-LABEL: func.func @mutable
// CHECK-NOT: kilnCudaConstant
// CHECK: %[[G:.*]] = memref.get_global @state
// CHECK: %[[D:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.memcpy %[[D]], %[[G]]
// CHECK: linalg.generic {{.*}} ins(%[[D]] :
// CHECK: gpu.dealloc %[[D]]
// CHECK-NOT: llvm.func
func.func @mutable(%arg0: memref<4xf32>) {
  %g = memref.get_global @state : memref<4xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%g : memref<4xf32>) outs(%arg0 : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Host code that reads a weight (a shape read on the CPU) reads the host
// global; a view read by both sides is cloned onto the device copy for the
// kernel. Both functions share one declaration, and the byte size follows
// the element type (i1 and f16 elements take 1 and 2 bytes).
memref.global "private" constant @shape : memref<2x2xi64> = dense<[[1, 2], [3, 4]]>
memref.global "private" constant @flags : memref<3xi1> = dense<true>
memref.global "private" constant @half : memref<5xf16> = dense<1.0>

// CHECK-LABEL: func.func @mixed
// CHECK: %[[G:.*]] = memref.get_global @shape
// CHECK: llvm.mlir.constant(32 : i64)
// CHECK: %[[W:.*]] = builtin.unrealized_conversion_cast {{.*}} to memref<2x2xi64>
// CHECK: %[[HV:.*]] = memref.collapse_shape %[[G]]
// CHECK: %[[DV:.*]] = memref.collapse_shape %[[W]]
// CHECK: memref.load %[[HV]]
// CHECK: linalg.generic {{.*}} ins(%[[DV]] :
// CHECK-NOT: gpu.dealloc %[[W]]
// CHECK-LABEL: func.func @sizes
// CHECK: llvm.mlir.constant(3 : i64)
// CHECK: llvm.mlir.constant(10 : i64)
// CHECK: llvm.func @kilnCudaConstant
// CHECK-NOT: llvm.func @kilnCudaConstant
func.func @mixed(%arg0: memref<4xi64>) -> i64 {
  %c1 = arith.constant 1 : index
  %g = memref.get_global @shape : memref<2x2xi64>
  %v = memref.collapse_shape %g [[0, 1]] : memref<2x2xi64> into memref<4xi64>
  %r = memref.load %v[%c1] : memref<4xi64>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%v : memref<4xi64>) outs(%arg0 : memref<4xi64>) {
  ^bb0(%a: i64, %o: i64):
    linalg.yield %a : i64
  }
  return %r : i64
}
func.func @sizes(%arg0: memref<3xi1>, %arg1: memref<5xf16>) {
  %f = memref.get_global @flags : memref<3xi1>
  %h = memref.get_global @half : memref<5xf16>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%f : memref<3xi1>) outs(%arg0 : memref<3xi1>) {
  ^bb0(%a: i1, %o: i1):
    linalg.yield %a : i1
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%h : memref<5xf16>) outs(%arg1 : memref<5xf16>) {
  ^bb0(%a: f16, %o: f16):
    linalg.yield %a : f16
  }
  return
}

// -----

// A kernel never writes into a weight's cached device copy (bufferization
// copies a constant before writing into it): a write is refused.
memref.global "private" constant @frozen : memref<4xf32> = dense<1.0>

func.func @writes(%arg0: memref<4xf32>) {
  %g = memref.get_global @frozen : memref<4xf32>
  // expected-error@+1 {{writes into constant "frozen", which the CUDA target keeps read-only on the device}}
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%arg0 : memref<4xf32>) outs(%g : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// The runtime function's name is taken by something else.
memref.global "private" constant @c : memref<4xf32> = dense<1.0>

// expected-error@+1 {{'kilnCudaConstant' is the CUDA runtime's function `!llvm.ptr (!llvm.ptr, i64)`; the module defines it otherwise}}
func.func private @kilnCudaConstant(i64) -> i64

func.func @clash(%arg0: memref<4xf32>) {
  %g = memref.get_global @c : memref<4xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%g : memref<4xf32>) outs(%arg0 : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}
