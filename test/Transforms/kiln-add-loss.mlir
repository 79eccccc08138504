// RUN: kiln-opt %s -split-input-file -kiln-add-loss | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-add-loss="loss=mse output=1 label=target" | FileCheck %s --check-prefix=MSE

// Cross-entropy on the first result: a labels argument (i64, the logits'
// shape without the class axis) is added, and the mean of the picked
// log-probabilities, negated, is the only result. The other result's
// computation is dropped. The count of a dynamic batch is read at run time.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32> {kiln.name = "x"}, %[[L:.*]]: tensor<?xi64> {kiln.name = "label"})
// CHECK-SAME: -> (tensor<f32> {kiln.name = "loss"})
// CHECK-NOT: kiln.exp
// CHECK: %[[Y:.*]] = kiln.mul %[[X]]
// CHECK: %[[LP:.*]] = kiln.log_softmax %[[Y]] {axis = 1 : i64}
// CHECK: %[[LR:.*]] = kiln.reshape %[[L]] {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
// CHECK: %[[IDS:.*]] = kiln.constant dense<{{\[\[}}0, 1, 2, 3]]> : tensor<1x4xi64>
// CHECK: %[[HOT:.*]] = kiln.equal %[[LR]], %[[IDS]]
// CHECK: %[[PICK:.*]] = kiln.where %[[HOT]], %[[LP]], %{{.*}}
// CHECK: %[[SUM:.*]] = kiln.reduce_sum %[[PICK]] {axes = array<i64: 0, 1>, keepdims = false}
// CHECK: %[[N:.*]] = kiln.size %[[L]]
// CHECK: %[[NF:.*]] = kiln.cast %[[N]] {to = f32}
// CHECK: %[[MEAN:.*]] = kiln.div %[[SUM]], %[[NF]]
// CHECK: %[[LOSS:.*]] = kiln.neg %[[MEAN]]
// CHECK: return %[[LOSS]] : tensor<f32>
// The mean squared error of result #1 against labels of its type, named
// by the label option; a static count is a constant.
// MSE-LABEL: func.func @main(
// MSE-SAME: %[[X:.*]]: tensor<?x4xf32> {kiln.name = "x"}, %[[T:.*]]: tensor<?x4xf32> {kiln.name = "target"})
// MSE-SAME: -> (tensor<f32> {kiln.name = "loss"})
// MSE: %[[E:.*]] = kiln.exp %[[X]]
// MSE: %[[D:.*]] = kiln.sub %[[E]], %[[T]]
// MSE: %[[SQ:.*]] = kiln.mul %[[D]], %[[D]]
// MSE: %[[S:.*]] = kiln.reduce_sum %[[SQ]] {axes = array<i64: 0, 1>, keepdims = false}
// MSE: %[[N:.*]] = kiln.size %[[E]]
// MSE: kiln.div %[[S]], %{{.*}}
func.func @main(%x: tensor<?x4xf32> {kiln.name = "x"}) -> (tensor<?x4xf32> {kiln.name = "logits"}, tensor<?x4xf32> {kiln.name = "e"}) {
  %y = kiln.mul %x, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %e = kiln.exp %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y, %e : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Classes on axis 1 of (N, C, d): the labels are (N, d), and the mean is
// over N and d, a constant count when static.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %{{.*}}: tensor<2x3x5xf64>, %[[L:.*]]: tensor<2x5xi64> {kiln.name = "label"})
// CHECK: kiln.reshape %[[L]] {shape = array<i64: 2, 1, 5>}
// CHECK: kiln.constant dense<{{\[\[\[}}0], [1], [2]]]> : tensor<1x3x1xi64>
// CHECK: kiln.reduce_sum %{{.*}} {axes = array<i64: 0, 1, 2>, keepdims = false}
// CHECK: kiln.constant dense<1.000000e+01> : tensor<f64>
// MSE-LABEL: func.func @main(
// MSE: -> (tensor<f64> {kiln.name = "loss"})
// MSE: kiln.constant dense<3.000000e+01> : tensor<f64>
func.func @main(%x: tensor<2x3x5xf64>) -> (tensor<2x3x5xf64>, tensor<2x3x5xf64>) {
  return %x, %x : tensor<2x3x5xf64>, tensor<2x3x5xf64>
}
