// RUN: kiln-opt %s -split-input-file -kiln-autodiff=replace | FileCheck %s

// The gradient rules of the remainders, running products, scatters,
// selections and run-time shape ops (docs/autodiff.md).

// fmod: d/da = 1, d/db = -trunc(a / b) (ceil below zero, floor above),
// summed over the broadcast dim of b.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[Q:.*]] = kiln.div %[[A]], %[[B]]
// CHECK-DAG: %[[FL:.*]] = kiln.floor %[[Q]]
// CHECK-DAG: %[[CE:.*]] = kiln.ceil %[[Q]]
// CHECK-DAG: %[[NEG:.*]] = kiln.less %[[Q]], %{{.*}}
// CHECK: %[[T:.*]] = kiln.where %[[NEG]], %[[CE]], %[[FL]]
// CHECK: %[[GT:.*]] = kiln.mul %[[G]], %[[T]]
// CHECK: %[[N:.*]] = kiln.neg %[[GT]]
// CHECK: %[[GB:.*]] = kiln.reduce_sum %[[N]] {axes = array<i64: 0>, keepdims = false}
// CHECK: return %{{.*}}, %[[G]], %[[GB]]
func.func @main(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  %r = kiln.mod %a, %b {fmod = true} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Python's remainder: the quotient is floor(a / b).
// CHECK-LABEL: func.func @main(
// CHECK: %[[Q:.*]] = kiln.div
// CHECK: %[[FL:.*]] = kiln.floor %[[Q]]
// CHECK-NOT: kiln.ceil
// CHECK: kiln.mul %{{.*}}, %[[FL]]
func.func @main(%a: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> tensor<f32> {
  %r = kiln.mod %a, %b {fmod = false} : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// cumprod: the reversed running sum of g * y (same exclusive flag), over x.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3xf32>)
// CHECK: %[[AX:.*]] = kiln.constant dense<0> : tensor<i64>
// CHECK: %[[Y:.*]] = kiln.cumprod %[[X]], %[[AX]] {exclusive = true, reverse = false}
// CHECK: %[[GY:.*]] = kiln.mul %{{.*}}, %[[Y]]
// CHECK: %[[S:.*]] = kiln.cumsum %[[GY]], %[[AX]] {exclusive = true, reverse = true}
// CHECK: %[[D:.*]] = kiln.div %[[S]], %[[X]]
// CHECK: return %{{.*}}, %[[D]]
func.func @main(%x: tensor<3xf32>) -> tensor<f32> {
  %a = kiln.constant dense<0> : tensor<i64>
  %p = kiln.cumprod %x, %a {exclusive = true, reverse = false} : (tensor<3xf32>, tensor<i64>) -> tensor<3xf32>
  %l = kiln.reduce_sum %p {axes = array<i64: 0>, keepdims = false} : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// scatter_elements with no reduction: data loses the gradient where it was
// overwritten, and each update gathers the gradient of its place.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[D:.*]]: tensor<3x5xf32>, %[[U:.*]]: tensor<3x2xf32>, %[[I:.*]]: tensor<3x2xi64>)
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[Z:.*]] = kiln.constant dense<0.000000e+00> : tensor<3x2xf32>
// CHECK: %[[GD:.*]] = kiln.scatter_elements %[[G]], %[[I]], %[[Z]] {axis = 1 : i64, reduction = #kiln<scatter_reduction none>}
// CHECK: %[[GU:.*]] = kiln.gather_elements %[[G]], %[[I]] {axis = 1 : i64}
// CHECK: return %{{.*}}, %[[GD]], %[[GU]]
func.func @main(%d: tensor<3x5xf32>, %u: tensor<3x2xf32>, %i: tensor<3x2xi64>) -> tensor<f32> {
  %y = kiln.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = #kiln<scatter_reduction none>} : (tensor<3x5xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x5xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// scatter_elements with add: data gets the gradient unchanged.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[D:.*]]: tensor<4x3xf32>, %[[U:.*]]: tensor<2x3xf32>, %[[I:.*]]: tensor<2x3xi64>)
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[GU:.*]] = kiln.gather_elements %[[G]], %[[I]] {axis = 0 : i64}
// CHECK: return %{{.*}}, %[[G]], %[[GU]]
func.func @main(%d: tensor<4x3xf32>, %u: tensor<2x3xf32>, %i: tensor<2x3xi64>) -> tensor<f32> {
  %y = kiln.scatter_elements %d, %i, %u {axis = 0 : i64, reduction = #kiln<scatter_reduction add>} : (tensor<4x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// scatter_elements with mul: data's gradient is multiplied by the updates
// of its place; an update's is g * y / update.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[D:.*]]: tensor<3x4xf32>, %[[U:.*]]: tensor<3x2xf32>, %[[I:.*]]: tensor<3x2xi64>)
// CHECK: %[[Y:.*]] = kiln.scatter_elements %[[D]], %[[I]], %[[U]]
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[GD:.*]] = kiln.scatter_elements %[[G]], %[[I]], %[[U]] {axis = 1 : i64, reduction = #kiln<scatter_reduction mul>}
// CHECK: %[[GY:.*]] = kiln.mul %[[G]], %[[Y]]
// CHECK: %[[T:.*]] = kiln.gather_elements %[[GY]], %[[I]]
// CHECK: %[[GU:.*]] = kiln.div %[[T]], %[[U]]
// CHECK: return %{{.*}}, %[[GD]], %[[GU]]
func.func @main(%d: tensor<3x4xf32>, %u: tensor<3x2xf32>, %i: tensor<3x2xi64>) -> tensor<f32> {
  %y = kiln.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = #kiln<scatter_reduction mul>} : (tensor<3x4xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x4xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// scatter_nd with max: the gradient of each place is shared by the data
// element and the updates equal to its result, counted by a scatter-add.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[D:.*]]: tensor<4x3xf32>, %[[U:.*]]: tensor<2x3xf32>, %[[I:.*]]: tensor<2x1xi64>)
// CHECK: %[[Y:.*]] = kiln.scatter_nd %[[D]], %[[I]], %[[U]]
// CHECK: %[[G:.*]] = kiln.broadcast_to
// CHECK: %[[DW:.*]] = kiln.equal %[[D]], %[[Y]]
// CHECK: %[[DM:.*]] = kiln.cast %[[DW]] {to = f32}
// CHECK: %[[YU:.*]] = kiln.gather_nd %[[Y]], %[[I]] {batch_dims = 0 : i64}
// CHECK: %[[UW:.*]] = kiln.equal %[[U]], %[[YU]]
// CHECK: %[[UM:.*]] = kiln.cast %[[UW]] {to = f32}
// CHECK: %[[Z:.*]] = kiln.constant dense<0.000000e+00> : tensor<4x3xf32>
// CHECK: %[[UC:.*]] = kiln.scatter_nd %[[Z]], %[[I]], %[[UM]] {reduction = #kiln<scatter_reduction add>}
// CHECK: %[[C:.*]] = kiln.add %[[DM]], %[[UC]]
// CHECK: %[[SH:.*]] = kiln.div %[[G]], %[[C]]
// CHECK: %[[GD:.*]] = kiln.mul %[[SH]], %[[DM]]
// CHECK: %[[SU:.*]] = kiln.gather_nd %[[SH]], %[[I]]
// CHECK: %[[GU:.*]] = kiln.mul %[[SU]], %[[UM]]
// CHECK: return %{{.*}}, %[[GD]], %[[GU]]
func.func @main(%d: tensor<4x3xf32>, %u: tensor<2x3xf32>, %i: tensor<2x1xi64>) -> tensor<f32> {
  %y = kiln.scatter_nd %d, %i, %u {reduction = #kiln<scatter_reduction max>} : (tensor<4x3xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// compress: the kept slices' gradients go back to the indices of the
// condition's true elements, along the axis moved to the front.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[C:.*]]: tensor<4xi1>)
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to
// CHECK: %[[NZ:.*]] = kiln.nonzero %[[C]] : (tensor<4xi1>) -> tensor<1x?xi64>
// CHECK: %[[IDX:.*]] = kiln.transpose %[[NZ]] {perm = array<i64: 1, 0>} : (tensor<1x?xi64>) -> tensor<?x1xi64>
// CHECK: %[[Z:.*]] = kiln.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
// CHECK: %[[GT:.*]] = kiln.transpose %[[G]] {perm = array<i64: 1, 0>}
// CHECK: %[[S:.*]] = kiln.scatter_nd %[[Z]], %[[IDX]], %[[GT]] {reduction = #kiln<scatter_reduction add>}
// CHECK: %[[GX:.*]] = kiln.transpose %[[S]] {perm = array<i64: 1, 0>} : (tensor<4x3xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<3x4xf32>, %c: tensor<4xi1>) -> tensor<f32> {
  %y = kiln.compress %x, %c {axis = 1 : i64} : (tensor<3x4xf32>, tensor<4xi1>) -> tensor<3x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// one_hot: values[1] gets the gradient where a 0/1 one-hot of the same
// indices is set, values[0] the rest.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[V:.*]]: tensor<2xf32>, %[[I:.*]]: tensor<3xi64>, %[[D:.*]]: tensor<i64>)
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to
// CHECK: %[[LV:.*]] = kiln.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[M:.*]] = kiln.one_hot %[[I]], %[[D]], %[[LV]] {axis = 1 : i64}
// CHECK: %[[GM:.*]] = kiln.mul %[[G]], %[[M]]
// CHECK: %[[ON:.*]] = kiln.reduce_sum %[[GM]] {axes = array<i64: 0, 1>, keepdims = false}
// CHECK: %[[ALL:.*]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0, 1>, keepdims = false}
// CHECK: %[[OFF:.*]] = kiln.sub %[[ALL]], %[[ON]]
// CHECK-DAG: %[[OFF1:.*]] = kiln.reshape %[[OFF]] {shape = array<i64: 1>}
// CHECK-DAG: %[[ON1:.*]] = kiln.reshape %[[ON]] {shape = array<i64: 1>}
// CHECK: %[[GV:.*]] = kiln.concat %[[OFF1]], %[[ON1]] {axis = 0 : i64} : (tensor<1xf32>, tensor<1xf32>) -> tensor<2xf32>
// CHECK: return %{{.*}}, %[[GV]]
func.func @main(%v: tensor<2xf32>, %i: tensor<3xi64>, %d: tensor<i64>) -> tensor<f32> {
  %y = kiln.one_hot %i, %d, %v {axis = 1 : i64} : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<3x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_slice: the input's positions, sliced the same way, say where
// each element came from; the gradient is scatter-added there.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<20x10xf32>, %[[S:.*]]: tensor<2xi64>, %[[E:.*]]: tensor<2xi64>, %[[A:.*]]: tensor<2xi64>, %[[T:.*]]: tensor<2xi64>)
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to
// CHECK: %[[R:.*]] = kiln.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
// CHECK: %[[P:.*]] = kiln.reshape %[[R]] {shape = array<i64: 20, 10>} : (tensor<?xi64>) -> tensor<20x10xi64>
// CHECK: %[[TK:.*]] = kiln.dynamic_slice %[[P]], %[[S]], %[[E]], %[[A]], %[[T]]
// CHECK: %[[FLAT:.*]] = kiln.reshape %[[TK]] {shape = array<i64: -1>}
// CHECK: %[[POS:.*]] = kiln.where %{{.*}}, %{{.*}}, %[[FLAT]]
// CHECK: %[[Z:.*]] = kiln.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<200xf32>, tensor<1xf32>) -> tensor<201xf32>
// CHECK: %[[GF:.*]] = kiln.reshape %[[G]] {shape = array<i64: -1>}
// CHECK: %[[SUM:.*]] = kiln.scatter_elements %[[Z]], %[[POS]], %[[GF]] {axis = 0 : i64, reduction = #kiln<scatter_reduction add>}
// CHECK: %[[KEEP:.*]] = kiln.slice %[[SUM]] {axes = array<i64: 0>, ends = array<i64: -1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<201xf32>) -> tensor<200xf32>
// CHECK: %[[GX:.*]] = kiln.reshape %[[KEEP]] {shape = array<i64: 20, 10>}
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<20x10xf32>, %s: tensor<2xi64>, %e: tensor<2xi64>, %a: tensor<2xi64>, %t: tensor<2xi64>) -> tensor<f32> {
  %y = kiln.dynamic_slice %x, %s, %e, %a, %t : (tensor<20x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_pad (constant): the positions padded with -1 route the gradient
// back, -1 to an extra element that is dropped; the fill value gets the
// gradient of the padded elements. (dynamic_pad has no CPU lowering yet:
// this rule is checked here only.)
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[P:.*]]: tensor<4xi64>, %[[V:.*]]: tensor<f32>)
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to
// CHECK: %[[FILL:.*]] = kiln.constant dense<-1> : tensor<i64>
// CHECK: %[[POS:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 3, 4>} : (tensor<?xi64>) -> tensor<3x4xi64>
// CHECK: %[[PP:.*]] = kiln.dynamic_pad constant %[[POS]], %[[P]], %[[FILL]] : (tensor<3x4xi64>, tensor<4xi64>, tensor<i64>) -> tensor<?x?xi64>
// CHECK: %[[N:.*]] = kiln.size %[[X]]
// CHECK: %[[FLAT:.*]] = kiln.reshape %[[PP]] {shape = array<i64: -1>}
// CHECK: %[[NEG:.*]] = kiln.less %[[FLAT]], %{{.*}}
// CHECK: %[[IDX:.*]] = kiln.where %[[NEG]], %[[N]], %[[FLAT]]
// CHECK: %[[SUM:.*]] = kiln.scatter_elements %{{.*}}, %[[IDX]], %{{.*}} {axis = 0 : i64, reduction = #kiln<scatter_reduction add>} : (tensor<13xf32>, tensor<?xi64>, tensor<?xf32>) -> tensor<13xf32>
// CHECK: %[[KEEP:.*]] = kiln.slice %[[SUM]]
// CHECK: %[[GX:.*]] = kiln.reshape %[[KEEP]] {shape = array<i64: 3, 4>}
// CHECK: %[[FILLED:.*]] = kiln.less %[[PP]], %{{.*}}
// CHECK: %[[GF:.*]] = kiln.where %[[FILLED]], %[[G]], %{{.*}}
// CHECK: %[[GV:.*]] = kiln.reduce_sum %[[GF]] {axes = array<i64: 0, 1>, keepdims = false}
// CHECK: return %{{.*}}, %[[GX]], %[[GV]]
func.func @main(%x: tensor<3x4xf32>, %p: tensor<4xi64>, %v: tensor<f32>) -> tensor<f32> {
  %y = kiln.dynamic_pad constant %x, %p, %v : (tensor<3x4xf32>, tensor<4xi64>, tensor<f32>) -> tensor<?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_pad (reflect): an element copied into the pad gets the gradient
// of every copy, through the same routing; no fill value is read, so its
// gradient is zero.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[P:.*]]: tensor<4xi64>, %[[V:.*]]: tensor<f32>)
// CHECK: %[[PP:.*]] = kiln.dynamic_pad reflect %{{.*}}, %[[P]], %{{.*}} : (tensor<3x4xi64>, tensor<4xi64>, tensor<i64>) -> tensor<?x?xi64>
// CHECK: kiln.scatter_elements
// CHECK: %[[GX:.*]] = kiln.reshape %{{.*}} {shape = array<i64: 3, 4>}
// CHECK: %[[GV:.*]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK: return %{{.*}}, %[[GX]], %[[GV]]
func.func @main(%x: tensor<3x4xf32>, %p: tensor<4xi64>, %v: tensor<f32>) -> tensor<f32> {
  %y = kiln.dynamic_pad reflect %x, %p, %v : (tensor<3x4xf32>, tensor<4xi64>, tensor<f32>) -> tensor<?x?xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_split: the pieces' gradients joined again (zeros of its run-time
// shape for the unused piece), reshaped to the input's static type.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>, %[[S:.*]]: tensor<2xi64>)
// CHECK: %[[P:.*]]:2 = kiln.dynamic_split %[[X]], %[[S]]
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to
// CHECK: %[[SH:.*]] = kiln.shape %[[P]]#0
// CHECK: %[[Z:.*]] = kiln.constant_of_shape %[[SH]] {value = 0.000000e+00 : f32}
// CHECK: %[[C:.*]] = kiln.concat %[[Z]], %[[G]] {axis = 1 : i64}
// CHECK: %[[GX:.*]] = kiln.reshape %[[C]] {shape = array<i64: 2, 6>} : (tensor<?x?xf32>) -> tensor<2x6xf32>
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<2x6xf32>, %s: tensor<2xi64>) -> tensor<f32> {
  %p:2 = kiln.dynamic_split %x, %s {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2x?xf32>)
  %l = kiln.reduce_sum %p#1 {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_reduce (max, no keepdims): the reduced dims come back with
// dynamic_unsqueeze of the same axes, everything is broadcast to the
// input's shape, and ties are counted over the same run-time axes.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x2x2xf32>, %[[A:.*]]: tensor<1xi64>)
// CHECK: %[[Y:.*]] = kiln.dynamic_reduce max %[[X]], %[[A]]
// CHECK: %[[G:.*]] = kiln.dynamic_broadcast_to
// CHECK: %[[GK:.*]] = kiln.dynamic_unsqueeze %[[G]], %[[A]]
// CHECK: %[[YK:.*]] = kiln.dynamic_unsqueeze %[[Y]], %[[A]]
// CHECK: %[[GB:.*]] = kiln.broadcast_to %[[GK]] {shape = array<i64: 3, 2, 2>}
// CHECK: %[[YB:.*]] = kiln.broadcast_to %[[YK]] {shape = array<i64: 3, 2, 2>}
// CHECK: %[[EQ:.*]] = kiln.equal %[[X]], %[[YB]]
// CHECK: %[[M:.*]] = kiln.cast %[[EQ]] {to = f32}
// CHECK: %[[T:.*]] = kiln.dynamic_reduce sum %[[M]], %[[A]] {keepdims = true, noop_with_empty_axes = false}
// CHECK: %[[TB:.*]] = kiln.broadcast_to %[[T]] {shape = array<i64: 3, 2, 2>}
// CHECK: %[[SH:.*]] = kiln.div %[[GB]], %[[TB]]
// CHECK: %[[GX:.*]] = kiln.mul %[[M]], %[[SH]]
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<3x2x2xf32>, %a: tensor<1xi64>) -> tensor<f32> {
  %r = kiln.dynamic_reduce max %x, %a {keepdims = false, noop_with_empty_axes = false} : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dynamic_reduce (mean, keepdims): the count is the ratio of the input's
// and the result's run-time sizes.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<3x4xf32>, %[[A:.*]]: tensor<1xi64>)
// CHECK: %[[Y:.*]] = kiln.dynamic_reduce mean %[[X]], %[[A]]
// CHECK-DAG: %[[NX:.*]] = kiln.size %[[X]]
// CHECK-DAG: %[[NY:.*]] = kiln.size %[[Y]]
// CHECK: %[[C:.*]] = kiln.div
// CHECK: %[[GB:.*]] = kiln.broadcast_to %{{.*}} {shape = array<i64: 3, 4>}
// CHECK: %[[GX:.*]] = kiln.div %[[GB]], %[[C]]
// CHECK: return %{{.*}}, %[[GX]]
func.func @main(%x: tensor<3x4xf32>, %a: tensor<1xi64>) -> tensor<f32> {
  %r = kiln.dynamic_reduce mean %x, %a {keepdims = true, noop_with_empty_axes = false} : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  %l = kiln.reduce_sum %r {axes = array<i64: 0, 1>, keepdims = false} : (tensor<?x?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// unique: every element gets its unique's gradient, through the inverse
// indices, shared by the unique's count; indices and counts carry none.
// CHECK-LABEL: func.func @main
// CHECK: %[[Y:.*]], %{{.*}}, %[[INV:.*]], %[[C:.*]] = kiln.unique %arg0
// CHECK: %[[G:.*]] = kiln.gather %{{.*}}, %[[INV]] {axis = 0 : i64}
// CHECK: %[[CI:.*]] = kiln.gather %[[C]], %[[INV]] {axis = 0 : i64}
// CHECK: %[[CF:.*]] = kiln.cast %[[CI]] {to = f32}
// CHECK: %[[D:.*]] = kiln.div %[[G]], %[[CF]]
// CHECK: %[[R:.*]] = kiln.reshape %[[D]] {shape = array<i64: 2, 3>}
// CHECK: return %{{.*}}, %[[R]]
func.func @main(%x: tensor<2x3xf32>) -> tensor<f32> {
  %y, %i, %inv, %c = kiln.unique %x {sorted = true} : (tensor<2x3xf32>) -> (tensor<?xf32>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>)
  %l = kiln.reduce_sum %y {axes = array<i64: 0>, keepdims = false} : (tensor<?xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
