//===- KilnElementwiseExtraOps.td - More elementwise kiln ops -*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Elementwise ops beyond the basic arithmetic of KilnOps.td: trigonometric
// and hyperbolic functions, float classification, modulo, shifts and
// bitwise logic on integers. Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNELEMENTWISEEXTRAOPS_TD
#define KILN_DIALECT_KILN_IR_KILNELEMENTWISEEXTRAOPS_TD

//===----------------------------------------------------------------------===//
// Trigonometric and hyperbolic functions
//===----------------------------------------------------------------------===//

def Kiln_TanOp : Kiln_SimpleUnaryOp<"tan", "tan(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_AsinOp : Kiln_SimpleUnaryOp<"asin", "asin(x) (NaN outside [-1, 1])", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_AcosOp : Kiln_SimpleUnaryOp<"acos", "acos(x) (NaN outside [-1, 1])", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_AtanOp : Kiln_SimpleUnaryOp<"atan", "atan(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_SinhOp : Kiln_SimpleUnaryOp<"sinh", "sinh(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_CoshOp : Kiln_SimpleUnaryOp<"cosh", "cosh(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_AsinhOp : Kiln_SimpleUnaryOp<"asinh", "asinh(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_AcoshOp : Kiln_SimpleUnaryOp<"acosh", "acosh(x) (NaN below 1)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_AtanhOp
    : Kiln_SimpleUnaryOp<"atanh", "atanh(x) (+-inf at +-1, NaN outside)", Kiln_FloatTensor,
                         [Kiln_HasGradient]>;

//===----------------------------------------------------------------------===//
// Float classification
//===----------------------------------------------------------------------===//

/// Elementwise predicate on a float tensor: an `i1` tensor of its shape.
class Kiln_FloatPredicateOp<string mnemonic> : Kiln_Op<mnemonic> {
  let arguments = (ins Kiln_FloatTensor:$input);
  let results = (outs Kiln_BoolTensor:$output);
  let infer = [{
      return ::mlir::kiln::inferElementPredicate(diag,
          adaptor.getInput().getType(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kiln_IsNaNOp : Kiln_FloatPredicateOp<"is_nan"> {
  let summary = "elementwise test for NaN";
  let description = [{
    True where the element is a NaN (of either sign).

    ```mlir
    %m = kiln.is_nan %x : (tensor<?x4xf32>) -> tensor<?x4xi1>
    ```
  }];
}

def Kiln_IsInfOp : Kiln_FloatPredicateOp<"is_inf"> {
  let summary = "elementwise test for infinity";
  let description = [{
    True where the element is `-inf` and `detect_negative` is set, or
    `+inf` and `detect_positive` is set. Always false for element types
    without infinities (such as `f8E4M3FN`).

    ```mlir
    %m = kiln.is_inf %x {detect_negative = true, detect_positive = false}
        : (tensor<4xf32>) -> tensor<4xi1>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, BoolAttr:$detect_negative,
                       BoolAttr:$detect_positive);
}

//===----------------------------------------------------------------------===//
// Modulo
//===----------------------------------------------------------------------===//

def Kiln_ModOp : Kiln_BinaryOp<"mod", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise remainder with broadcasting";
  let description = [{
    The remainder of `lhs` divided by `rhs`, with numpy broadcasting.

    Without `fmod`, `lhs - floor(lhs / rhs) * rhs`: a non-zero result has
    the sign of `rhs` (Python's `%`). For floats: a zero `lhs` gives a zero
    with the sign of `rhs`; an infinite `lhs`, a zero `rhs` or a NaN operand
    gives NaN; an infinite `rhs` and a finite non-zero `lhs` give `lhs` when
    both have the same sign, else `rhs`.

    With `fmod`, C's `fmod`: `lhs - trunc(lhs / rhs) * rhs`, with the sign
    of `lhs`; an infinite `lhs`, a zero `rhs` or a NaN operand gives NaN,
    an infinite `rhs` and a finite `lhs` give `lhs`.

    An integer remainder by zero is undefined.

    ```mlir
    %r = kiln.mod %a, %b {fmod = false} : (tensor<?x4xi32>, tensor<4xi32>) -> tensor<?x4xi32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs, BoolAttr:$fmod);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Shifts and bitwise logic on integers
//===----------------------------------------------------------------------===//

def Kiln_ShiftLeftOp : Kiln_BinaryOp<"shift_left", Kiln_IntegerTensor> {
  let summary = "elementwise left shift with broadcasting";
  let description = [{
    Shifts each element of `lhs` left by the matching element of `rhs`;
    bits shifted out of the element (past the sign bit of a signed type)
    are discarded. A shift amount that is negative or at least the bit
    width gives 0.

    ```mlir
    %r = kiln.shift_left %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
    ```
  }];
}

def Kiln_ShiftRightOp : Kiln_BinaryOp<"shift_right", Kiln_IntegerTensor> {
  let summary = "elementwise right shift with broadcasting";
  let description = [{
    Shifts each element of `lhs` right by the matching element of `rhs`:
    a logical shift for unsigned types, an arithmetic (sign-extending) one
    for signed and signless types. A shift amount that is negative or at
    least the bit width gives -1 for a negative signed `lhs` and 0
    otherwise.

    ```mlir
    %r = kiln.shift_right %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
    ```
  }];
}

/// Bitwise logic of two integer tensors with numpy broadcasting.
class Kiln_BitwiseBinaryOp<string mnemonic, string what>
    : Kiln_BinaryOp<mnemonic, Kiln_IntegerTensor> {
  let summary = "elementwise bitwise " # what # " with broadcasting";
  let description = "Computes the bitwise " # what # " of `lhs` and `rhs` "
      "element by element with numpy broadcasting. Both operands have the "
      "same integer element type." # [{

    ```mlir
    %r = kiln.}] # mnemonic # [{ %a, %b : (tensor<?x4xi32>, tensor<4xi32>) -> tensor<?x4xi32>
    ```
  }];
}

def Kiln_BitwiseAndOp : Kiln_BitwiseBinaryOp<"bitwise_and", "and">;
def Kiln_BitwiseOrOp : Kiln_BitwiseBinaryOp<"bitwise_or", "or">;
def Kiln_BitwiseXorOp : Kiln_BitwiseBinaryOp<"bitwise_xor", "exclusive or">;

def Kiln_BitwiseNotOp : Kiln_UnaryOp<"bitwise_not", Kiln_IntegerTensor> {
  let summary = "elementwise bitwise not";
  let description = [{
    Flips every bit of each element.

    ```mlir
    %y = kiln.bitwise_not %x : (tensor<?x4xui8>) -> tensor<?x4xui8>
    ```
  }];
}

#endif // KILN_DIALECT_KILN_IR_KILNELEMENTWISEEXTRAOPS_TD
