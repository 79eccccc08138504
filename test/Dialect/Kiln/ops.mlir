// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Round trip of every kiln op: the custom form prints, parses again to the
// same text, and so does the generic form. Result types are the inferred
// ones unless a case says otherwise.

// Inline dense constants: a 1-D vector, a 2-D integer matrix, a splat and a scalar.
// CHECK-LABEL: func.func @constant_dense() -> (tensor<2xf32>, tensor<2x2xi32>, tensor<3x4xf16>, tensor<i64>) {
// CHECK-NEXT:    %[[VEC:.*]] = kiln.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %[[MAT:.*]] = kiln.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi32>
// CHECK-NEXT:    %[[SPLAT:.*]] = kiln.constant dense<5.000000e-01> : tensor<3x4xf16>
// CHECK-NEXT:    %[[SCALAR:.*]] = kiln.constant dense<7> : tensor<i64>
// CHECK-NEXT:    return %[[VEC]], %[[MAT]], %[[SPLAT]], %[[SCALAR]] : tensor<2xf32>, tensor<2x2xi32>, tensor<3x4xf16>, tensor<i64>
func.func @constant_dense() -> (tensor<2xf32>, tensor<2x2xi32>, tensor<3x4xf16>, tensor<i64>) {
  %vec = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %mat = kiln.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
  %splat = kiln.constant dense<0.5> : tensor<3x4xf16>
  %scalar = kiln.constant dense<7> : tensor<i64>
  return %vec, %mat, %splat, %scalar : tensor<2xf32>, tensor<2x2xi32>, tensor<3x4xf16>, tensor<i64>
}

// Weights live in the file's resource section and keep their handle.
// CHECK-LABEL: func.func @constant_resource() -> tensor<2x2xf32> {
// CHECK-NEXT:    %[[W:.*]] = kiln.constant dense_resource<conv_w> : tensor<2x2xf32>
// CHECK-NEXT:    return %[[W]] : tensor<2x2xf32>
func.func @constant_resource() -> tensor<2x2xf32> {
  %w = kiln.constant dense_resource<conv_w> : tensor<2x2xf32>
  return %w : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @identity(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3xi64>) -> tensor<?x3xi64> {
// CHECK-NEXT:    %[[ID:.*]] = kiln.identity %[[X]] : (tensor<?x3xi64>) -> tensor<?x3xi64>
// CHECK-NEXT:    return %[[ID]] : tensor<?x3xi64>
func.func @identity(%x: tensor<?x3xi64>) -> tensor<?x3xi64> {
  %id = kiln.identity %x : (tensor<?x3xi64>) -> tensor<?x3xi64>
  return %id : tensor<?x3xi64>
}

// Every float-only unary op, chained so that each one's operand is checked.
// CHECK-LABEL: func.func @unary_float(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>) -> tensor<?x4xf32> {
// CHECK-NEXT:    %[[EXP:.*]] = kiln.exp %[[X]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[LOG:.*]] = kiln.log %[[EXP]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[SQRT:.*]] = kiln.sqrt %[[LOG]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[RECIP:.*]] = kiln.reciprocal %[[SQRT]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[TANH:.*]] = kiln.tanh %[[RECIP]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[SIGMOID:.*]] = kiln.sigmoid %[[TANH]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ERF:.*]] = kiln.erf %[[SIGMOID]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[FLOOR:.*]] = kiln.floor %[[ERF]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[CEIL:.*]] = kiln.ceil %[[FLOOR]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[ROUND:.*]] = kiln.round %[[CEIL]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[SIN:.*]] = kiln.sin %[[ROUND]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[COS:.*]] = kiln.cos %[[SIN]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[SOFTPLUS:.*]] = kiln.softplus %[[COS]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    return %[[SOFTPLUS]] : tensor<?x4xf32>
func.func @unary_float(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %exp = kiln.exp %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %log = kiln.log %exp : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %sqrt = kiln.sqrt %log : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %recip = kiln.reciprocal %sqrt : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %tanh = kiln.tanh %recip : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %sigmoid = kiln.sigmoid %tanh : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %erf = kiln.erf %sigmoid : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %floor = kiln.floor %erf : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %ceil = kiln.ceil %floor : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %round = kiln.round %ceil : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %sin = kiln.sin %round : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %cos = kiln.cos %sin : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %softplus = kiln.softplus %cos : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %softplus : tensor<?x4xf32>
}

// Float-only unary ops accept every float type, not just f32.
// CHECK-LABEL: func.func @unary_other_floats(
// CHECK-SAME:    %[[H:.*]]: tensor<8xf16>, %[[B:.*]]: tensor<2x?xbf16>) -> (tensor<8xf16>, tensor<2x?xbf16>) {
// CHECK-NEXT:    %[[TANH:.*]] = kiln.tanh %[[H]] : (tensor<8xf16>) -> tensor<8xf16>
// CHECK-NEXT:    %[[SIGMOID:.*]] = kiln.sigmoid %[[B]] : (tensor<2x?xbf16>) -> tensor<2x?xbf16>
// CHECK-NEXT:    return %[[TANH]], %[[SIGMOID]] : tensor<8xf16>, tensor<2x?xbf16>
func.func @unary_other_floats(%h: tensor<8xf16>, %b: tensor<2x?xbf16>) -> (tensor<8xf16>, tensor<2x?xbf16>) {
  %tanh = kiln.tanh %h : (tensor<8xf16>) -> tensor<8xf16>
  %sigmoid = kiln.sigmoid %b : (tensor<2x?xbf16>) -> tensor<2x?xbf16>
  return %tanh, %sigmoid : tensor<8xf16>, tensor<2x?xbf16>
}

// neg, abs, sign and relu also take integer tensors.
// CHECK-LABEL: func.func @unary_integer(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xi32>) -> tensor<?x?xi32> {
// CHECK-NEXT:    %[[NEG:.*]] = kiln.neg %[[X]] : (tensor<?x?xi32>) -> tensor<?x?xi32>
// CHECK-NEXT:    %[[ABS:.*]] = kiln.abs %[[NEG]] : (tensor<?x?xi32>) -> tensor<?x?xi32>
// CHECK-NEXT:    %[[SIGN:.*]] = kiln.sign %[[ABS]] : (tensor<?x?xi32>) -> tensor<?x?xi32>
// CHECK-NEXT:    %[[RELU:.*]] = kiln.relu %[[SIGN]] : (tensor<?x?xi32>) -> tensor<?x?xi32>
// CHECK-NEXT:    return %[[RELU]] : tensor<?x?xi32>
func.func @unary_integer(%x: tensor<?x?xi32>) -> tensor<?x?xi32> {
  %neg = kiln.neg %x : (tensor<?x?xi32>) -> tensor<?x?xi32>
  %abs = kiln.abs %neg : (tensor<?x?xi32>) -> tensor<?x?xi32>
  %sign = kiln.sign %abs : (tensor<?x?xi32>) -> tensor<?x?xi32>
  %relu = kiln.relu %sign : (tensor<?x?xi32>) -> tensor<?x?xi32>
  return %relu : tensor<?x?xi32>
}

// CHECK-LABEL: func.func @unary_float_neg_abs_sign_relu(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf32>) -> tensor<4xf32> {
// CHECK-NEXT:    %[[NEG:.*]] = kiln.neg %[[X]] : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[ABS:.*]] = kiln.abs %[[NEG]] : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[SIGN:.*]] = kiln.sign %[[ABS]] : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[RELU:.*]] = kiln.relu %[[SIGN]] : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    return %[[RELU]] : tensor<4xf32>
func.func @unary_float_neg_abs_sign_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %neg = kiln.neg %x : (tensor<4xf32>) -> tensor<4xf32>
  %abs = kiln.abs %neg : (tensor<4xf32>) -> tensor<4xf32>
  %sign = kiln.sign %abs : (tensor<4xf32>) -> tensor<4xf32>
  %relu = kiln.relu %sign : (tensor<4xf32>) -> tensor<4xf32>
  return %relu : tensor<4xf32>
}

// CHECK-LABEL: func.func @logical_not(
// CHECK-SAME:    %[[C:.*]]: tensor<?x3xi1>) -> tensor<?x3xi1> {
// CHECK-NEXT:    %[[NOT:.*]] = kiln.not %[[C]] : (tensor<?x3xi1>) -> tensor<?x3xi1>
// CHECK-NEXT:    return %[[NOT]] : tensor<?x3xi1>
func.func @logical_not(%c: tensor<?x3xi1>) -> tensor<?x3xi1> {
  %not = kiln.not %c : (tensor<?x3xi1>) -> tensor<?x3xi1>
  return %not : tensor<?x3xi1>
}

// alpha is an f32 attribute on both.
// CHECK-LABEL: func.func @leaky_relu_elu(
// CHECK-SAME:    %[[X:.*]]: tensor<2x?xf32>) -> tensor<2x?xf32> {
// CHECK-NEXT:    %[[LEAKY:.*]] = kiln.leaky_relu %[[X]] {alpha = 0.00999999977 : f32} : (tensor<2x?xf32>) -> tensor<2x?xf32>
// CHECK-NEXT:    %[[ELU:.*]] = kiln.elu %[[LEAKY]] {alpha = 1.000000e+00 : f32} : (tensor<2x?xf32>) -> tensor<2x?xf32>
// CHECK-NEXT:    return %[[ELU]] : tensor<2x?xf32>
func.func @leaky_relu_elu(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %leaky = kiln.leaky_relu %x {alpha = 0.01 : f32} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  %elu = kiln.elu %leaky {alpha = 1.0 : f32} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  return %elu : tensor<2x?xf32>
}

// Both approximation enum cases print and parse.
// CHECK-LABEL: func.func @gelu(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16xf32>) -> tensor<?x16xf32> {
// CHECK-NEXT:    %[[EXACT:.*]] = kiln.gelu %[[X]] {approximate = #kiln<gelu_approximation none>} : (tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK-NEXT:    %[[TANH:.*]] = kiln.gelu %[[EXACT]] {approximate = #kiln<gelu_approximation tanh>} : (tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK-NEXT:    return %[[TANH]] : tensor<?x16xf32>
func.func @gelu(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %exact = kiln.gelu %x {approximate = #kiln<gelu_approximation none>} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %tanh = kiln.gelu %exact {approximate = #kiln<gelu_approximation tanh>} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %tanh : tensor<?x16xf32>
}

// min and max are each optional; an integer tensor takes f64 bounds too.
// CHECK-LABEL: func.func @clip(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>, %[[I:.*]]: tensor<3xi32>) -> (tensor<?x4xf32>, tensor<3xi32>) {
// CHECK-NEXT:    %[[BOTH:.*]] = kiln.clip %[[X]] {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[LOWER:.*]] = kiln.clip %[[BOTH]] {min = -1.000000e+00 : f64} : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[UPPER:.*]] = kiln.clip %[[LOWER]] {max = 1.000000e+00 : f64} : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[NONE:.*]] = kiln.clip %[[UPPER]] : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[INT:.*]] = kiln.clip %[[I]] {max = 1.270000e+02 : f64, min = -1.280000e+02 : f64} : (tensor<3xi32>) -> tensor<3xi32>
// CHECK-NEXT:    return %[[NONE]], %[[INT]] : tensor<?x4xf32>, tensor<3xi32>
func.func @clip(%x: tensor<?x4xf32>, %i: tensor<3xi32>) -> (tensor<?x4xf32>, tensor<3xi32>) {
  %both = kiln.clip %x {max = 6.0, min = 0.0} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %lower = kiln.clip %both {min = -1.0} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %upper = kiln.clip %lower {max = 1.0} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %none = kiln.clip %upper : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %int = kiln.clip %i {max = 127.0, min = -128.0} : (tensor<3xi32>) -> tensor<3xi32>
  return %none, %int : tensor<?x4xf32>, tensor<3xi32>
}

// Casts between float widths, float to integer, and integer to i1.
// CHECK-LABEL: func.func @cast(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>, %[[I:.*]]: tensor<5xi64>) -> (tensor<?x4xf16>, tensor<?x4xi8>, tensor<5xi1>, tensor<5xbf16>) {
// CHECK-NEXT:    %[[HALF:.*]] = kiln.cast %[[X]] {to = f16} : (tensor<?x4xf32>) -> tensor<?x4xf16>
// CHECK-NEXT:    %[[INT8:.*]] = kiln.cast %[[X]] {to = i8} : (tensor<?x4xf32>) -> tensor<?x4xi8>
// CHECK-NEXT:    %[[BOOL:.*]] = kiln.cast %[[I]] {to = i1} : (tensor<5xi64>) -> tensor<5xi1>
// CHECK-NEXT:    %[[BF16:.*]] = kiln.cast %[[I]] {to = bf16} : (tensor<5xi64>) -> tensor<5xbf16>
// CHECK-NEXT:    return %[[HALF]], %[[INT8]], %[[BOOL]], %[[BF16]] : tensor<?x4xf16>, tensor<?x4xi8>, tensor<5xi1>, tensor<5xbf16>
func.func @cast(%x: tensor<?x4xf32>, %i: tensor<5xi64>) -> (tensor<?x4xf16>, tensor<?x4xi8>, tensor<5xi1>, tensor<5xbf16>) {
  %half = kiln.cast %x {to = f16} : (tensor<?x4xf32>) -> tensor<?x4xf16>
  %int8 = kiln.cast %x {to = i8} : (tensor<?x4xf32>) -> tensor<?x4xi8>
  %bool = kiln.cast %i {to = i1} : (tensor<5xi64>) -> tensor<5xi1>
  %bf16 = kiln.cast %i {to = bf16} : (tensor<5xi64>) -> tensor<5xbf16>
  return %half, %int8, %bool, %bf16 : tensor<?x4xf16>, tensor<?x4xi8>, tensor<5xi1>, tensor<5xbf16>
}

// Every arithmetic binary op, with a dynamic dim and a broadcast rhs.
// CHECK-LABEL: func.func @binary_arith(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>) -> tensor<?x4xf32> {
// CHECK-NEXT:    %[[ADD:.*]] = kiln.add %[[A]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[SUB:.*]] = kiln.sub %[[ADD]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[MUL:.*]] = kiln.mul %[[B]], %[[SUB]] : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[DIV:.*]] = kiln.div %[[MUL]], %[[A]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[POW:.*]] = kiln.pow %[[DIV]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[MAX:.*]] = kiln.max %[[POW]], %[[A]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[MIN:.*]] = kiln.min %[[MAX]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    return %[[MIN]] : tensor<?x4xf32>
func.func @binary_arith(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %add = kiln.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %sub = kiln.sub %add, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %mul = kiln.mul %b, %sub : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %div = kiln.div %mul, %a : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %pow = kiln.pow %div, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %max = kiln.max %pow, %a : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %min = kiln.min %max, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %min : tensor<?x4xf32>
}

// Size-1 dims stretch on both sides; a rank-0 operand broadcasts to anything.
// CHECK-LABEL: func.func @binary_broadcast(
// CHECK-SAME:    %[[A:.*]]: tensor<1x?xi64>, %[[B:.*]]: tensor<3x1xi64>, %[[S:.*]]: tensor<i64>) -> tensor<3x?xi64> {
// CHECK-NEXT:    %[[ADD:.*]] = kiln.add %[[A]], %[[B]] : (tensor<1x?xi64>, tensor<3x1xi64>) -> tensor<3x?xi64>
// CHECK-NEXT:    %[[MUL:.*]] = kiln.mul %[[ADD]], %[[S]] : (tensor<3x?xi64>, tensor<i64>) -> tensor<3x?xi64>
// CHECK-NEXT:    return %[[MUL]] : tensor<3x?xi64>
func.func @binary_broadcast(%a: tensor<1x?xi64>, %b: tensor<3x1xi64>, %s: tensor<i64>) -> tensor<3x?xi64> {
  %add = kiln.add %a, %b : (tensor<1x?xi64>, tensor<3x1xi64>) -> tensor<3x?xi64>
  %mul = kiln.mul %add, %s : (tensor<3x?xi64>, tensor<i64>) -> tensor<3x?xi64>
  return %mul : tensor<3x?xi64>
}

// A declared result type may be more static than the inferred ?x4.
// CHECK-LABEL: func.func @binary_refined_result(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>) -> tensor<8x4xf32> {
// CHECK-NEXT:    %[[ADD:.*]] = kiln.add %[[A]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
// CHECK-NEXT:    return %[[ADD]] : tensor<8x4xf32>
func.func @binary_refined_result(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<8x4xf32> {
  %add = kiln.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return %add : tensor<8x4xf32>
}

// Comparisons take any element type and produce i1.
// CHECK-LABEL: func.func @comparisons(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<2xi32>, %[[J:.*]]: tensor<2xi32>) -> (tensor<?x4xi1>, tensor<2xi1>) {
// CHECK-NEXT:    %[[EQ:.*]] = kiln.equal %[[A]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[LT:.*]] = kiln.less %[[A]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[LE:.*]] = kiln.less_equal %[[A]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[GT:.*]] = kiln.greater %[[A]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[GE:.*]] = kiln.greater_equal %[[A]], %[[B]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[IEQ:.*]] = kiln.equal %[[I]], %[[J]] : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>
// CHECK-NEXT:    return %[[GE]], %[[IEQ]] : tensor<?x4xi1>, tensor<2xi1>
func.func @comparisons(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %i: tensor<2xi32>, %j: tensor<2xi32>) -> (tensor<?x4xi1>, tensor<2xi1>) {
  %eq = kiln.equal %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %lt = kiln.less %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %le = kiln.less_equal %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %gt = kiln.greater %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %ge = kiln.greater_equal %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %ieq = kiln.equal %i, %j : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>
  return %ge, %ieq : tensor<?x4xi1>, tensor<2xi1>
}

// CHECK-LABEL: func.func @logic(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xi1>, %[[B:.*]]: tensor<4xi1>) -> tensor<?x4xi1> {
// CHECK-NEXT:    %[[AND:.*]] = kiln.and %[[A]], %[[B]] : (tensor<?x4xi1>, tensor<4xi1>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[OR:.*]] = kiln.or %[[AND]], %[[B]] : (tensor<?x4xi1>, tensor<4xi1>) -> tensor<?x4xi1>
// CHECK-NEXT:    %[[XOR:.*]] = kiln.xor %[[OR]], %[[A]] : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
// CHECK-NEXT:    return %[[XOR]] : tensor<?x4xi1>
func.func @logic(%a: tensor<?x4xi1>, %b: tensor<4xi1>) -> tensor<?x4xi1> {
  %and = kiln.and %a, %b : (tensor<?x4xi1>, tensor<4xi1>) -> tensor<?x4xi1>
  %or = kiln.or %and, %b : (tensor<?x4xi1>, tensor<4xi1>) -> tensor<?x4xi1>
  %xor = kiln.xor %or, %a : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  return %xor : tensor<?x4xi1>
}

// The condition and both branches broadcast together; y may be a scalar.
// CHECK-LABEL: func.func @where(
// CHECK-SAME:    %[[C:.*]]: tensor<?x1xi1>, %[[X:.*]]: tensor<4xf32>, %[[Y:.*]]: tensor<f32>) -> tensor<?x4xf32> {
// CHECK-NEXT:    %[[SEL:.*]] = kiln.where %[[C]], %[[X]], %[[Y]] : (tensor<?x1xi1>, tensor<4xf32>, tensor<f32>) -> tensor<?x4xf32>
// CHECK-NEXT:    return %[[SEL]] : tensor<?x4xf32>
func.func @where(%c: tensor<?x1xi1>, %x: tensor<4xf32>, %y: tensor<f32>) -> tensor<?x4xf32> {
  %sel = kiln.where %c, %x, %y : (tensor<?x1xi1>, tensor<4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %sel : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @matmul_2d(
// CHECK-SAME:    %[[A:.*]]: tensor<?x64xf32>, %[[B:.*]]: tensor<64x32xf32>) -> tensor<?x32xf32> {
// CHECK-NEXT:    %[[MM:.*]] = kiln.matmul %[[A]], %[[B]] : (tensor<?x64xf32>, tensor<64x32xf32>) -> tensor<?x32xf32>
// CHECK-NEXT:    return %[[MM]] : tensor<?x32xf32>
func.func @matmul_2d(%a: tensor<?x64xf32>, %b: tensor<64x32xf32>) -> tensor<?x32xf32> {
  %mm = kiln.matmul %a, %b : (tensor<?x64xf32>, tensor<64x32xf32>) -> tensor<?x32xf32>
  return %mm : tensor<?x32xf32>
}

// Batch dims broadcast: (?, 1) with (5) gives (?, 5); integers are allowed.
// CHECK-LABEL: func.func @matmul_batched(
// CHECK-SAME:    %[[A:.*]]: tensor<?x1x3x4xi32>, %[[B:.*]]: tensor<5x4x6xi32>) -> tensor<?x5x3x6xi32> {
// CHECK-NEXT:    %[[MM:.*]] = kiln.matmul %[[A]], %[[B]] : (tensor<?x1x3x4xi32>, tensor<5x4x6xi32>) -> tensor<?x5x3x6xi32>
// CHECK-NEXT:    return %[[MM]] : tensor<?x5x3x6xi32>
func.func @matmul_batched(%a: tensor<?x1x3x4xi32>, %b: tensor<5x4x6xi32>) -> tensor<?x5x3x6xi32> {
  %mm = kiln.matmul %a, %b : (tensor<?x1x3x4xi32>, tensor<5x4x6xi32>) -> tensor<?x5x3x6xi32>
  return %mm : tensor<?x5x3x6xi32>
}

// A 1-D lhs is a row and a 1-D rhs a column; their added dims are dropped.
// CHECK-LABEL: func.func @matmul_vectors(
// CHECK-SAME:    %[[V:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<2x4x5xf32>, %[[N:.*]]: tensor<2x3x4xf32>) -> (tensor<2x5xf32>, tensor<2x3xf32>, tensor<f32>) {
// CHECK-NEXT:    %[[VM:.*]] = kiln.matmul %[[V]], %[[M]] : (tensor<4xf32>, tensor<2x4x5xf32>) -> tensor<2x5xf32>
// CHECK-NEXT:    %[[MV:.*]] = kiln.matmul %[[N]], %[[V]] : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %[[DOT:.*]] = kiln.matmul %[[V]], %[[V]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
// CHECK-NEXT:    return %[[VM]], %[[MV]], %[[DOT]] : tensor<2x5xf32>, tensor<2x3xf32>, tensor<f32>
func.func @matmul_vectors(%v: tensor<4xf32>, %m: tensor<2x4x5xf32>, %n: tensor<2x3x4xf32>) -> (tensor<2x5xf32>, tensor<2x3xf32>, tensor<f32>) {
  %vm = kiln.matmul %v, %m : (tensor<4xf32>, tensor<2x4x5xf32>) -> tensor<2x5xf32>
  %mv = kiln.matmul %n, %v : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  %dot = kiln.matmul %v, %v : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  return %vm, %mv, %dot : tensor<2x5xf32>, tensor<2x3xf32>, tensor<f32>
}

// 2-D convolution with bias, same padding, dynamic batch.
// CHECK-LABEL: func.func @conv_2d_bias(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3x32x32xf32>, %[[W:.*]]: tensor<16x3x3x3xf32>, %[[B:.*]]: tensor<16xf32>) -> tensor<?x16x32x32xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x32x32xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<?x16x32x32xf32>
func.func @conv_2d_bias(%x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>) -> tensor<?x16x32x32xf32> {
  %y = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x32x32xf32>
  return %y : tensor<?x16x32x32xf32>
}

// No bias, stride 2 and dilation 2: (32 + 2 - 5) / 2 + 1 = 15.
// CHECK-LABEL: func.func @conv_2d_strided_dilated(
// CHECK-SAME:    %[[X:.*]]: tensor<1x3x32x32xf32>, %[[W:.*]]: tensor<8x3x3x3xf32>) -> tensor<1x8x15x15xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.conv %[[X]], %[[W]] {dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x15x15xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<1x8x15x15xf32>
func.func @conv_2d_strided_dilated(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x15x15xf32> {
  %y = kiln.conv %x, %w {dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x15x15xf32>
  return %y : tensor<1x8x15x15xf32>
}

// Depthwise: group = channels, weight dim 1 is C / group = 1.
// CHECK-LABEL: func.func @conv_grouped(
// CHECK-SAME:    %[[X:.*]]: tensor<2x32x?x?xf32>, %[[W:.*]]: tensor<32x1x3x3xf32>) -> tensor<2x32x?x?xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.conv %[[X]], %[[W]] {dilations = array<i64: 1, 1>, group = 32 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x32x?x?xf32>, tensor<32x1x3x3xf32>) -> tensor<2x32x?x?xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<2x32x?x?xf32>
func.func @conv_grouped(%x: tensor<2x32x?x?xf32>, %w: tensor<32x1x3x3xf32>) -> tensor<2x32x?x?xf32> {
  %y = kiln.conv %x, %w {dilations = array<i64: 1, 1>, group = 32 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<2x32x?x?xf32>, tensor<32x1x3x3xf32>) -> tensor<2x32x?x?xf32>
  return %y : tensor<2x32x?x?xf32>
}

// 1-D with asymmetric pads: (10 + 1 - 3) / 2 + 1 = 5.
// CHECK-LABEL: func.func @conv_1d(
// CHECK-SAME:    %[[X:.*]]: tensor<1x8x10xf16>, %[[W:.*]]: tensor<4x2x3xf16>) -> tensor<1x4x5xf16> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.conv %[[X]], %[[W]] {dilations = array<i64: 1>, group = 4 : i64, pads = array<i64: 1, 0>, strides = array<i64: 2>} : (tensor<1x8x10xf16>, tensor<4x2x3xf16>) -> tensor<1x4x5xf16>
// CHECK-NEXT:    return %[[Y]] : tensor<1x4x5xf16>
func.func @conv_1d(%x: tensor<1x8x10xf16>, %w: tensor<4x2x3xf16>) -> tensor<1x4x5xf16> {
  %y = kiln.conv %x, %w {dilations = array<i64: 1>, group = 4 : i64, pads = array<i64: 1, 0>, strides = array<i64: 2>} : (tensor<1x8x10xf16>, tensor<4x2x3xf16>) -> tensor<1x4x5xf16>
  return %y : tensor<1x4x5xf16>
}

// CHECK-LABEL: func.func @conv_3d(
// CHECK-SAME:    %[[X:.*]]: tensor<?x2x8x8x8xf32>, %[[W:.*]]: tensor<4x2x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>) -> tensor<?x4x8x8x8xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1, 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1, 1, 1>, strides = array<i64: 1, 1, 1>} : (tensor<?x2x8x8x8xf32>, tensor<4x2x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8x8xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<?x4x8x8x8xf32>
func.func @conv_3d(%x: tensor<?x2x8x8x8xf32>, %w: tensor<4x2x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x8x8x8xf32> {
  %y = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1, 1, 1>, strides = array<i64: 1, 1, 1>} : (tensor<?x2x8x8x8xf32>, tensor<4x2x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8x8xf32>
  return %y : tensor<?x4x8x8x8xf32>
}

// Stride 2 upsampling: 2 * 3 + 1 + 2 + 1 - 2 = 8.
// CHECK-LABEL: func.func @conv_transpose(
// CHECK-SAME:    %[[X:.*]]: tensor<1x8x4x4xf32>, %[[W:.*]]: tensor<8x4x3x3xf32>) -> tensor<1x4x8x8xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.conv_transpose %[[X]], %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<1x4x8x8xf32>
func.func @conv_transpose(%x: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %y = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// Grouped, with bias: output channels are weight dim 1 times group.
// CHECK-LABEL: func.func @conv_transpose_grouped_bias(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8x?x4xf32>, %[[W:.*]]: tensor<8x2x3x3xf32>, %[[B:.*]]: tensor<4xf32>) -> tensor<?x4x?x6xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.conv_transpose %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 2 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x8x?x4xf32>, tensor<8x2x3x3xf32>, tensor<4xf32>) -> tensor<?x4x?x6xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<?x4x?x6xf32>
func.func @conv_transpose_grouped_bias(%x: tensor<?x8x?x4xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x?x6xf32> {
  %y = kiln.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x8x?x4xf32>, tensor<8x2x3x3xf32>, tensor<4xf32>) -> tensor<?x4x?x6xf32>
  return %y : tensor<?x4x?x6xf32>
}

// ceil_mode rounds up: a 2x2 window with stride 2 over 5 gives 3, not 2.
// CHECK-LABEL: func.func @max_pool_ceil_mode(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3x5x5xf32>) -> tensor<?x3x3x3xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.max_pool %[[X]] {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<?x3x5x5xf32>) -> tensor<?x3x3x3xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<?x3x3x3xf32>
func.func @max_pool_ceil_mode(%x: tensor<?x3x5x5xf32>) -> tensor<?x3x3x3xf32> {
  %y = kiln.max_pool %x {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<?x3x5x5xf32>) -> tensor<?x3x3x3xf32>
  return %y : tensor<?x3x3x3xf32>
}

// max_pool also takes integers; padded 3x3, stride 2 halves 56.
// CHECK-LABEL: func.func @max_pool_int(
// CHECK-SAME:    %[[X:.*]]: tensor<1x64x56x56xi8>) -> tensor<1x64x28x28xi8> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.max_pool %[[X]] {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x64x56x56xi8>) -> tensor<1x64x28x28xi8>
// CHECK-NEXT:    return %[[Y]] : tensor<1x64x28x28xi8>
func.func @max_pool_int(%x: tensor<1x64x56x56xi8>) -> tensor<1x64x28x28xi8> {
  %y = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x64x56x56xi8>) -> tensor<1x64x28x28xi8>
  return %y : tensor<1x64x28x28xi8>
}

// CHECK-LABEL: func.func @average_pool(
// CHECK-SAME:    %[[X:.*]]: tensor<1x8x8x8xf32>, %[[V:.*]]: tensor<2x4x9xf32>) -> (tensor<1x8x4x4xf32>, tensor<2x4x5xf32>) {
// CHECK-NEXT:    %[[Y:.*]] = kiln.average_pool %[[X]] {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    %[[Z:.*]] = kiln.average_pool %[[V]] {ceil_mode = true, count_include_pad = true, dilations = array<i64: 1>, kernel_shape = array<i64: 3>, pads = array<i64: 1, 1>, strides = array<i64: 2>} : (tensor<2x4x9xf32>) -> tensor<2x4x5xf32>
// CHECK-NEXT:    return %[[Y]], %[[Z]] : tensor<1x8x4x4xf32>, tensor<2x4x5xf32>
func.func @average_pool(%x: tensor<1x8x8x8xf32>, %v: tensor<2x4x9xf32>) -> (tensor<1x8x4x4xf32>, tensor<2x4x5xf32>) {
  %y = kiln.average_pool %x {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
  %z = kiln.average_pool %v {ceil_mode = true, count_include_pad = true, dilations = array<i64: 1>, kernel_shape = array<i64: 3>, pads = array<i64: 1, 1>, strides = array<i64: 2>} : (tensor<2x4x9xf32>) -> tensor<2x4x5xf32>
  return %y, %z : tensor<1x8x4x4xf32>, tensor<2x4x5xf32>
}

// Global pools set every spatial dim to 1, dynamic or not.
// CHECK-LABEL: func.func @global_pools(
// CHECK-SAME:    %[[X:.*]]: tensor<?x512x?x7xf32>) -> (tensor<?x512x1x1xf32>, tensor<?x512x1x1xf32>) {
// CHECK-NEXT:    %[[AVG:.*]] = kiln.global_average_pool %[[X]] : (tensor<?x512x?x7xf32>) -> tensor<?x512x1x1xf32>
// CHECK-NEXT:    %[[MAX:.*]] = kiln.global_max_pool %[[X]] : (tensor<?x512x?x7xf32>) -> tensor<?x512x1x1xf32>
// CHECK-NEXT:    return %[[AVG]], %[[MAX]] : tensor<?x512x1x1xf32>, tensor<?x512x1x1xf32>
func.func @global_pools(%x: tensor<?x512x?x7xf32>) -> (tensor<?x512x1x1xf32>, tensor<?x512x1x1xf32>) {
  %avg = kiln.global_average_pool %x : (tensor<?x512x?x7xf32>) -> tensor<?x512x1x1xf32>
  %max = kiln.global_max_pool %x : (tensor<?x512x?x7xf32>) -> tensor<?x512x1x1xf32>
  return %avg, %max : tensor<?x512x1x1xf32>, tensor<?x512x1x1xf32>
}

// CHECK-LABEL: func.func @batch_norm(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16x8x8xf32>, %[[S:.*]]: tensor<16xf32>, %[[B:.*]]: tensor<16xf32>, %[[M:.*]]: tensor<16xf32>, %[[V:.*]]: tensor<16xf32>) -> tensor<?x16x8x8xf32> {
// CHECK-NEXT:    %[[Y:.*]] = kiln.batch_norm %[[X]], %[[S]], %[[B]], %[[M]], %[[V]] {epsilon = 9.99999974E-6 : f32} : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x8x8xf32>
// CHECK-NEXT:    return %[[Y]] : tensor<?x16x8x8xf32>
func.func @batch_norm(%x: tensor<?x16x8x8xf32>, %s: tensor<16xf32>, %b: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> tensor<?x16x8x8xf32> {
  %y = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x8x8xf32>
  return %y : tensor<?x16x8x8xf32>
}

// With and without the optional bias; scale may broadcast (1x64 over 16x64).
// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME:    %[[X:.*]]: tensor<?x16x64xf32>, %[[G:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>, %[[G2:.*]]: tensor<1x64xf32>) -> (tensor<?x16x64xf32>, tensor<?x16x64xf32>) {
// CHECK-NEXT:    %[[BIASED:.*]] = kiln.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x16x64xf32>
// CHECK-NEXT:    %[[UNBIASED:.*]] = kiln.layer_norm %[[X]], %[[G2]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x16x64xf32>, tensor<1x64xf32>) -> tensor<?x16x64xf32>
// CHECK-NEXT:    return %[[BIASED]], %[[UNBIASED]] : tensor<?x16x64xf32>, tensor<?x16x64xf32>
func.func @layer_norm(%x: tensor<?x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>, %g2: tensor<1x64xf32>) -> (tensor<?x16x64xf32>, tensor<?x16x64xf32>) {
  %biased = kiln.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<?x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x16x64xf32>
  %unbiased = kiln.layer_norm %x, %g2 {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x16x64xf32>, tensor<1x64xf32>) -> tensor<?x16x64xf32>
  return %biased, %unbiased : tensor<?x16x64xf32>, tensor<?x16x64xf32>
}

// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:.*]]: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
// CHECK-NEXT:    %[[SM:.*]] = kiln.softmax %[[X]] {axis = 1 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
// CHECK-NEXT:    %[[LSM:.*]] = kiln.log_softmax %[[X]] {axis = 0 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
// CHECK-NEXT:    return %[[SM]], %[[LSM]] : tensor<?x10xf32>, tensor<?x10xf32>
func.func @softmax(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  %sm = kiln.softmax %x {axis = 1 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  %lsm = kiln.log_softmax %x {axis = 0 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return %sm, %lsm : tensor<?x10xf32>, tensor<?x10xf32>
}

// Every reduction; keepdims on and off, several axes, no axes, all axes.
// CHECK-LABEL: func.func @reductions(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3x4xf32>) -> tensor<f32> {
// CHECK-NEXT:    %[[SUM:.*]] = kiln.reduce_sum %[[X]] {axes = array<i64: 1>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[MEAN:.*]] = kiln.reduce_mean %[[X]] {axes = array<i64: 0, 2>, keepdims = true} : (tensor<?x3x4xf32>) -> tensor<1x3x1xf32>
// CHECK-NEXT:    %[[MAX:.*]] = kiln.reduce_max %[[X]] {axes = array<i64: 2>, keepdims = true} : (tensor<?x3x4xf32>) -> tensor<?x3x1xf32>
// CHECK-NEXT:    %[[MIN:.*]] = kiln.reduce_min %[[X]] {axes = array<i64>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?x3x4xf32>
// CHECK-NEXT:    %[[PROD:.*]] = kiln.reduce_prod %[[X]] {axes = array<i64: 0>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    %[[SUMSQ:.*]] = kiln.reduce_sum_square %[[X]] {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?xf32>
// CHECK-NEXT:    %[[L1:.*]] = kiln.reduce_l1 %[[X]] {axes = array<i64: 1>, keepdims = true} : (tensor<?x3x4xf32>) -> tensor<?x1x4xf32>
// CHECK-NEXT:    %[[L2:.*]] = kiln.reduce_l2 %[[X]] {axes = array<i64: 2>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?x3xf32>
// CHECK-NEXT:    %[[LSE:.*]] = kiln.reduce_log_sum_exp %[[X]] {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<f32>
// CHECK-NEXT:    return %[[LSE]] : tensor<f32>
func.func @reductions(%x: tensor<?x3x4xf32>) -> tensor<f32> {
  %sum = kiln.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?x4xf32>
  %mean = kiln.reduce_mean %x {axes = array<i64: 0, 2>, keepdims = true} : (tensor<?x3x4xf32>) -> tensor<1x3x1xf32>
  %max = kiln.reduce_max %x {axes = array<i64: 2>, keepdims = true} : (tensor<?x3x4xf32>) -> tensor<?x3x1xf32>
  %min = kiln.reduce_min %x {axes = array<i64>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?x3x4xf32>
  %prod = kiln.reduce_prod %x {axes = array<i64: 0>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<3x4xf32>
  %sumsq = kiln.reduce_sum_square %x {axes = array<i64: 1, 2>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?xf32>
  %l1 = kiln.reduce_l1 %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x3x4xf32>) -> tensor<?x1x4xf32>
  %l2 = kiln.reduce_l2 %x {axes = array<i64: 2>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<?x3xf32>
  %lse = kiln.reduce_log_sum_exp %x {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<?x3x4xf32>) -> tensor<f32>
  return %lse : tensor<f32>
}

// Reductions accept integer tensors too.
// CHECK-LABEL: func.func @reduce_integer(
// CHECK-SAME:    %[[X:.*]]: tensor<2x5xi32>) -> tensor<2x1xi32> {
// CHECK-NEXT:    %[[SUM:.*]] = kiln.reduce_sum %[[X]] {axes = array<i64: 1>, keepdims = true} : (tensor<2x5xi32>) -> tensor<2x1xi32>
// CHECK-NEXT:    return %[[SUM]] : tensor<2x1xi32>
func.func @reduce_integer(%x: tensor<2x5xi32>) -> tensor<2x1xi32> {
  %sum = kiln.reduce_sum %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x5xi32>) -> tensor<2x1xi32>
  return %sum : tensor<2x1xi32>
}

// The result is always i64, whatever the input element type.
// CHECK-LABEL: func.func @argmax_argmin(
// CHECK-SAME:    %[[X:.*]]: tensor<?x10xf32>, %[[I:.*]]: tensor<2x3x4xi8>) -> (tensor<?xi64>, tensor<2x1x4xi64>) {
// CHECK-NEXT:    %[[AMAX:.*]] = kiln.argmax %[[X]] {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<?x10xf32>) -> tensor<?xi64>
// CHECK-NEXT:    %[[AMIN:.*]] = kiln.argmin %[[I]] {axis = 1 : i64, keepdims = true, select_last_index = true} : (tensor<2x3x4xi8>) -> tensor<2x1x4xi64>
// CHECK-NEXT:    return %[[AMAX]], %[[AMIN]] : tensor<?xi64>, tensor<2x1x4xi64>
func.func @argmax_argmin(%x: tensor<?x10xf32>, %i: tensor<2x3x4xi8>) -> (tensor<?xi64>, tensor<2x1x4xi64>) {
  %amax = kiln.argmax %x {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<?x10xf32>) -> tensor<?xi64>
  %amin = kiln.argmin %i {axis = 1 : i64, keepdims = true, select_last_index = true} : (tensor<2x3x4xi8>) -> tensor<2x1x4xi64>
  return %amax, %amin : tensor<?xi64>, tensor<2x1x4xi64>
}

// 0 copies the (dynamic) batch dim and -1 takes the rest: 8 * 7 * 7 = 392.
// CHECK-LABEL: func.func @reshape(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8x7x7xf32>, %[[Y:.*]]: tensor<2x3x4xi32>) -> (tensor<?x392xf32>, tensor<4x3x2xi32>, tensor<24xi32>, tensor<1x2x12xi32>) {
// CHECK-NEXT:    %[[FLAT:.*]] = kiln.reshape %[[X]] {shape = array<i64: 0, -1>} : (tensor<?x8x7x7xf32>) -> tensor<?x392xf32>
// CHECK-NEXT:    %[[COPY:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 4, 0, -1>} : (tensor<2x3x4xi32>) -> tensor<4x3x2xi32>
// CHECK-NEXT:    %[[VEC:.*]] = kiln.reshape %[[Y]] {shape = array<i64: 24>} : (tensor<2x3x4xi32>) -> tensor<24xi32>
// CHECK-NEXT:    %[[MORE:.*]] = kiln.reshape %[[VEC]] {shape = array<i64: 1, 2, 12>} : (tensor<24xi32>) -> tensor<1x2x12xi32>
// CHECK-NEXT:    return %[[FLAT]], %[[COPY]], %[[VEC]], %[[MORE]] : tensor<?x392xf32>, tensor<4x3x2xi32>, tensor<24xi32>, tensor<1x2x12xi32>
func.func @reshape(%x: tensor<?x8x7x7xf32>, %y: tensor<2x3x4xi32>) -> (tensor<?x392xf32>, tensor<4x3x2xi32>, tensor<24xi32>, tensor<1x2x12xi32>) {
  %flat = kiln.reshape %x {shape = array<i64: 0, -1>} : (tensor<?x8x7x7xf32>) -> tensor<?x392xf32>
  %copy = kiln.reshape %y {shape = array<i64: 4, 0, -1>} : (tensor<2x3x4xi32>) -> tensor<4x3x2xi32>
  %vec = kiln.reshape %y {shape = array<i64: 24>} : (tensor<2x3x4xi32>) -> tensor<24xi32>
  %more = kiln.reshape %vec {shape = array<i64: 1, 2, 12>} : (tensor<24xi32>) -> tensor<1x2x12xi32>
  return %flat, %copy, %vec, %more : tensor<?x392xf32>, tensor<4x3x2xi32>, tensor<24xi32>, tensor<1x2x12xi32>
}

// With a dynamic dim outside the copied ones, -1 stays dynamic.
// CHECK-LABEL: func.func @reshape_dynamic(
// CHECK-SAME:    %[[X:.*]]: tensor<2x?xf32>) -> tensor<4x?xf32> {
// CHECK-NEXT:    %[[R:.*]] = kiln.reshape %[[X]] {shape = array<i64: 4, -1>} : (tensor<2x?xf32>) -> tensor<4x?xf32>
// CHECK-NEXT:    return %[[R]] : tensor<4x?xf32>
func.func @reshape_dynamic(%x: tensor<2x?xf32>) -> tensor<4x?xf32> {
  %r = kiln.reshape %x {shape = array<i64: 4, -1>} : (tensor<2x?xf32>) -> tensor<4x?xf32>
  return %r : tensor<4x?xf32>
}

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4x8xf32>) -> tensor<8x?x4xf32> {
// CHECK-NEXT:    %[[T:.*]] = kiln.transpose %[[X]] {perm = array<i64: 2, 0, 1>} : (tensor<?x4x8xf32>) -> tensor<8x?x4xf32>
// CHECK-NEXT:    return %[[T]] : tensor<8x?x4xf32>
func.func @transpose(%x: tensor<?x4x8xf32>) -> tensor<8x?x4xf32> {
  %t = kiln.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<?x4x8xf32>) -> tensor<8x?x4xf32>
  return %t : tensor<8x?x4xf32>
}

// A dynamic size on the axis makes the sum dynamic; one input is allowed.
// CHECK-LABEL: func.func @concat(
// CHECK-SAME:    %[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x5xf32>, %[[C:.*]]: tensor<2x?xf32>) -> (tensor<2x?xf32>, tensor<?x3xf32>) {
// CHECK-NEXT:    %[[CAT:.*]] = kiln.concat %[[A]], %[[B]], %[[C]] {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x5xf32>, tensor<2x?xf32>) -> tensor<2x?xf32>
// CHECK-NEXT:    %[[ONE:.*]] = kiln.concat %[[A]] {axis = 0 : i64} : (tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT:    return %[[CAT]], %[[ONE]] : tensor<2x?xf32>, tensor<?x3xf32>
func.func @concat(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>, %c: tensor<2x?xf32>) -> (tensor<2x?xf32>, tensor<?x3xf32>) {
  %cat = kiln.concat %a, %b, %c {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x5xf32>, tensor<2x?xf32>) -> tensor<2x?xf32>
  %one = kiln.concat %a {axis = 0 : i64} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %cat, %one : tensor<2x?xf32>, tensor<?x3xf32>
}

// CHECK-LABEL: func.func @concat_static(
// CHECK-SAME:    %[[A:.*]]: tensor<2x3xi64>, %[[B:.*]]: tensor<4x3xi64>) -> tensor<6x3xi64> {
// CHECK-NEXT:    %[[CAT:.*]] = kiln.concat %[[A]], %[[B]] {axis = 0 : i64} : (tensor<2x3xi64>, tensor<4x3xi64>) -> tensor<6x3xi64>
// CHECK-NEXT:    return %[[CAT]] : tensor<6x3xi64>
func.func @concat_static(%a: tensor<2x3xi64>, %b: tensor<4x3xi64>) -> tensor<6x3xi64> {
  %cat = kiln.concat %a, %b {axis = 0 : i64} : (tensor<2x3xi64>, tensor<4x3xi64>) -> tensor<6x3xi64>
  return %cat : tensor<6x3xi64>
}

// Multiple results; a dynamic axis accepts any sizes.
// CHECK-LABEL: func.func @split(
// CHECK-SAME:    %[[X:.*]]: tensor<?x8xf32>, %[[Y:.*]]: tensor<?x4xi32>) -> (tensor<?x6xf32>, tensor<1x4xi32>) {
// CHECK-NEXT:    %[[TWO:.*]]:2 = kiln.split %[[X]] {axis = 1 : i64, sizes = array<i64: 2, 6>} : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x6xf32>)
// CHECK-NEXT:    %[[THREE:.*]]:3 = kiln.split %[[Y]] {axis = 0 : i64, sizes = array<i64: 1, 0, 3>} : (tensor<?x4xi32>) -> (tensor<1x4xi32>, tensor<0x4xi32>, tensor<3x4xi32>)
// CHECK-NEXT:    return %[[TWO]]#1, %[[THREE]]#0 : tensor<?x6xf32>, tensor<1x4xi32>
func.func @split(%x: tensor<?x8xf32>, %y: tensor<?x4xi32>) -> (tensor<?x6xf32>, tensor<1x4xi32>) {
  %two:2 = kiln.split %x {axis = 1 : i64, sizes = array<i64: 2, 6>} : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x6xf32>)
  %three:3 = kiln.split %y {axis = 0 : i64, sizes = array<i64: 1, 0, 3>} : (tensor<?x4xi32>) -> (tensor<1x4xi32>, tensor<0x4xi32>, tensor<3x4xi32>)
  return %two#1, %three#0 : tensor<?x6xf32>, tensor<1x4xi32>
}

// Negative starts/ends count from the end; negative steps walk backwards.
// CHECK-LABEL: func.func @slice(
// CHECK-SAME:    %[[X:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<6x10xf32>) -> (tensor<?x4xf32>, tensor<?x10xf32>, tensor<3x3xf32>) {
// CHECK-NEXT:    %[[ODD:.*]] = kiln.slice %[[X]] {axes = array<i64: 1>, ends = array<i64: -1>, starts = array<i64: 1>, steps = array<i64: 2>} : (tensor<?x10xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    %[[REV:.*]] = kiln.slice %[[X]] {axes = array<i64: 1>, ends = array<i64: -11>, starts = array<i64: -1>, steps = array<i64: -1>} : (tensor<?x10xf32>) -> tensor<?x10xf32>
// CHECK-NEXT:    %[[BOTH:.*]] = kiln.slice %[[Y]] {axes = array<i64: 0, 1>, ends = array<i64: 9223372036854775807, 2>, starts = array<i64: -3, -3>, steps = array<i64: 1, -2>} : (tensor<6x10xf32>) -> tensor<3x3xf32>
// CHECK-NEXT:    return %[[ODD]], %[[REV]], %[[BOTH]] : tensor<?x4xf32>, tensor<?x10xf32>, tensor<3x3xf32>
func.func @slice(%x: tensor<?x10xf32>, %y: tensor<6x10xf32>) -> (tensor<?x4xf32>, tensor<?x10xf32>, tensor<3x3xf32>) {
  %odd = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: -1>, starts = array<i64: 1>, steps = array<i64: 2>} : (tensor<?x10xf32>) -> tensor<?x4xf32>
  %rev = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: -11>, starts = array<i64: -1>, steps = array<i64: -1>} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  %both = kiln.slice %y {axes = array<i64: 0, 1>, ends = array<i64: 9223372036854775807, 2>, starts = array<i64: -3, -3>, steps = array<i64: 1, -2>} : (tensor<6x10xf32>) -> tensor<3x3xf32>
  return %odd, %rev, %both : tensor<?x4xf32>, tensor<?x10xf32>, tensor<3x3xf32>
}

// Indices shape replaces the gathered axis; scalar indices drop it.
// CHECK-LABEL: func.func @gather(
// CHECK-SAME:    %[[EMB:.*]]: tensor<1000x64xf32>, %[[IDS:.*]]: tensor<?x16xi64>, %[[M:.*]]: tensor<2x3xf32>, %[[K:.*]]: tensor<i32>) -> (tensor<?x16x64xf32>, tensor<2xf32>) {
// CHECK-NEXT:    %[[ROWS:.*]] = kiln.gather %[[EMB]], %[[IDS]] {axis = 0 : i64} : (tensor<1000x64xf32>, tensor<?x16xi64>) -> tensor<?x16x64xf32>
// CHECK-NEXT:    %[[COL:.*]] = kiln.gather %[[M]], %[[K]] {axis = 1 : i64} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2xf32>
// CHECK-NEXT:    return %[[ROWS]], %[[COL]] : tensor<?x16x64xf32>, tensor<2xf32>
func.func @gather(%emb: tensor<1000x64xf32>, %ids: tensor<?x16xi64>, %m: tensor<2x3xf32>, %k: tensor<i32>) -> (tensor<?x16x64xf32>, tensor<2xf32>) {
  %rows = kiln.gather %emb, %ids {axis = 0 : i64} : (tensor<1000x64xf32>, tensor<?x16xi64>) -> tensor<?x16x64xf32>
  %col = kiln.gather %m, %k {axis = 1 : i64} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2xf32>
  return %rows, %col : tensor<?x16x64xf32>, tensor<2xf32>
}

// All three modes; the mode prints as a keyword before the operand.
// CHECK-LABEL: func.func @pad(
// CHECK-SAME:    %[[X:.*]]: tensor<1x3x8x8xf32>, %[[D:.*]]: tensor<?x4xi32>) -> (tensor<1x3x10x10xf32>, tensor<1x3x11x9xf32>, tensor<?x7xi32>) {
// CHECK-NEXT:    %[[REFL:.*]] = kiln.pad reflect %[[X]] {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.000000e+00 : f64} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
// CHECK-NEXT:    %[[CST:.*]] = kiln.pad constant %[[X]] {pads = array<i64: 0, 0, 2, 0, 0, 0, 1, 1>, value = -1.500000e+00 : f64} : (tensor<1x3x8x8xf32>) -> tensor<1x3x11x9xf32>
// CHECK-NEXT:    %[[EDGE:.*]] = kiln.pad edge %[[D]] {pads = array<i64: 1, 0, 0, 3>, value = 0.000000e+00 : f64} : (tensor<?x4xi32>) -> tensor<?x7xi32>
// CHECK-NEXT:    return %[[REFL]], %[[CST]], %[[EDGE]] : tensor<1x3x10x10xf32>, tensor<1x3x11x9xf32>, tensor<?x7xi32>
func.func @pad(%x: tensor<1x3x8x8xf32>, %d: tensor<?x4xi32>) -> (tensor<1x3x10x10xf32>, tensor<1x3x11x9xf32>, tensor<?x7xi32>) {
  %refl = kiln.pad reflect %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  %cst = kiln.pad constant %x {pads = array<i64: 0, 0, 2, 0, 0, 0, 1, 1>, value = -1.5} : (tensor<1x3x8x8xf32>) -> tensor<1x3x11x9xf32>
  %edge = kiln.pad edge %d {pads = array<i64: 1, 0, 0, 3>, value = 0.0} : (tensor<?x4xi32>) -> tensor<?x7xi32>
  return %refl, %cst, %edge : tensor<1x3x10x10xf32>, tensor<1x3x11x9xf32>, tensor<?x7xi32>
}

// ONNX Expand: a 1 in shape keeps the input dim; new leading dims appear.
// CHECK-LABEL: func.func @broadcast_to(
// CHECK-SAME:    %[[X:.*]]: tensor<3x1xf32>, %[[D:.*]]: tensor<?x1xi1>) -> (tensor<4x3x8xf32>, tensor<?x5xi1>) {
// CHECK-NEXT:    %[[B:.*]] = kiln.broadcast_to %[[X]] {shape = array<i64: 4, 1, 8>} : (tensor<3x1xf32>) -> tensor<4x3x8xf32>
// CHECK-NEXT:    %[[E:.*]] = kiln.broadcast_to %[[D]] {shape = array<i64: 1, 5>} : (tensor<?x1xi1>) -> tensor<?x5xi1>
// CHECK-NEXT:    return %[[B]], %[[E]] : tensor<4x3x8xf32>, tensor<?x5xi1>
func.func @broadcast_to(%x: tensor<3x1xf32>, %d: tensor<?x1xi1>) -> (tensor<4x3x8xf32>, tensor<?x5xi1>) {
  %b = kiln.broadcast_to %x {shape = array<i64: 4, 1, 8>} : (tensor<3x1xf32>) -> tensor<4x3x8xf32>
  %e = kiln.broadcast_to %d {shape = array<i64: 1, 5>} : (tensor<?x1xi1>) -> tensor<?x5xi1>
  return %b, %e : tensor<4x3x8xf32>, tensor<?x5xi1>
}

// The blob of @constant_resource is printed back unchanged.
// CHECK:      {-#
// CHECK-NEXT:   dialect_resources: {
// CHECK-NEXT:     builtin: {
// CHECK-NEXT:       conv_w: "0x040000000000803F000000400000404000008040"
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT: #-}
{-#
  dialect_resources: {
    builtin: {
      conv_w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
