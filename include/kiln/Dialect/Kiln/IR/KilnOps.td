//===- KilnOps.td - kiln dialect operations ----------------*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Every op is pure, infers its result types through the shape functions in
// TypeInference.cpp, and accepts a declared result type compatible with the
// inferred one: same element type and rank, equal sizes where both are
// static.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNOPS_TD
#define KILN_DIALECT_KILN_IR_KILNOPS_TD

include "kiln/Dialect/Kiln/IR/KilnDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "kiln/Dialect/Kiln/IR/KilnInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Kiln_Tensor : RankedTensorOf<[AnyFloat, AnyInteger]>;
def Kiln_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Kiln_IntegerTensor : RankedTensorOf<[AnyInteger]>;
def Kiln_BoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

/// Every kiln op: pure, with result types inferred from an adaptor. `infer`
/// is the body of the op's `inferReturnTypes`, which may use `context`,
/// `location`, `adaptor` and `inferredReturnTypes`.
class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic,
         !listconcat(traits, [Pure, InferTypeOpAdaptorWithIsCompatible])> {
  code infer = "";
  let extraClassDefinition = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange declared) {
      return ::mlir::kiln::areCompatibleResultTypes(inferred, declared);
    }
  }] # !if(!empty(infer), "", [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &inferredReturnTypes) {
      ::mlir::kiln::ShapeDiag diag{location, getOperationName()};
      (void)context; (void)diag;
  }] # infer # [{
    }
  }]);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

/// Elementwise op of one operand whose result has the operand's type.
class Kiln_UnaryOp<string mnemonic, Type type = Kiln_FloatTensor,
                   list<Trait> traits = []>
    : Kiln_Op<mnemonic, traits> {
  let arguments = (ins type:$input);
  let results = (outs type:$output);
  let infer = [{
      return ::mlir::kiln::inferSameType(diag, adaptor.getInput().getType(),
                                         inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

/// Elementwise op of two operands with numpy broadcasting.
class Kiln_BinaryOp<string mnemonic, Type operandType = Kiln_Tensor,
                    Type resultType = operandType, list<Trait> traits = []>
    : Kiln_Op<mnemonic, traits> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs resultType:$output);
  bit isComparison = !eq(resultType, Kiln_BoolTensor);
  let infer = [{
      return ::mlir::kiln::inferBroadcastBinary(diag, adaptor.getLhs().getType(),
          adaptor.getRhs().getType(), /*comparison=*/}] #
      !if(isComparison, "true", "false") # [{, inferredReturnTypes);
  }];
  let description = "Computes `" # mnemonic # "` of `lhs` and `rhs` element by "
      "element with numpy broadcasting. Both operands have the same element "
      "type." # !if(isComparison, " The result is a tensor of `i1`.", "") # [{

    Example:

    ```mlir
    %r = kiln.}] # mnemonic # [{ %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4x}] #
      !if(isComparison, "i1", "f32") # [{>
    ```
  }];
}

/// Reduction over `axes`, keeping them as size-1 dimensions if `keepdims`.
class Kiln_ReduceOp<string mnemonic, string what,
                    list<Trait> traits = []>
    : Kiln_Op<mnemonic, traits> {
  let summary = "reduces a tensor with " # what # " over the given axes";
  let description = "Reduces `input` with " # what # " over `axes` (sorted, "
      "unique and non-negative). With `keepdims` the reduced dimensions stay "
      "as size 1. An empty `axes` reduces nothing." # [{

    Example:

    ```mlir
    %r = kiln.}] # mnemonic # [{ %x {axes = array<i64: 1>, keepdims = false}
        : (tensor<?x8xf32>) -> tensor<?xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$axes,
                       BoolAttr:$keepdims);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferReduce(diag, adaptor.getInput().getType(),
          adaptor.getAxes(), adaptor.getKeepdims(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Constants and identity
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant", [ConstantLike]> {
  let summary = "a constant tensor";
  let description = [{
    Produces a constant tensor. Small values are written inline as `dense`;
    weights are `dense_resource` blobs kept in the file's resource section.

    ```mlir
    %c = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %w = kiln.constant dense_resource<conv1_w> : tensor<64x3x7x7xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferConstant(diag, adaptor.getValue(),
                                         inferredReturnTypes);
  }];
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Kiln_IdentityOp : Kiln_UnaryOp<"identity", Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "returns its operand; always folded away";
  let description = [{
    ```mlir
    %y = kiln.identity %x : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

class Kiln_SimpleUnaryOp<string mnemonic, string formula,
                         Type type = Kiln_FloatTensor,
                         list<Trait> traits = []>
    : Kiln_UnaryOp<mnemonic, type, traits> {
  let summary = "elementwise " # formula;
  let description = "Computes `" # formula # "` for each element of `input`." # [{

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
    ```
  }];
}

def Kiln_NegOp : Kiln_SimpleUnaryOp<"neg", "-x", Kiln_Tensor, [Kiln_HasGradient]> {
  let hasFolder = 1;
}
def Kiln_AbsOp : Kiln_SimpleUnaryOp<"abs", "|x|", Kiln_Tensor, [Kiln_HasGradient]>;
def Kiln_SignOp : Kiln_SimpleUnaryOp<"sign", "sign(x)", Kiln_Tensor, [Kiln_HasGradient]>;
def Kiln_ExpOp : Kiln_SimpleUnaryOp<"exp", "e^x", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_LogOp : Kiln_SimpleUnaryOp<"log", "ln(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_SqrtOp : Kiln_SimpleUnaryOp<"sqrt", "sqrt(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_ReciprocalOp : Kiln_SimpleUnaryOp<"reciprocal", "1/x", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_TanhOp : Kiln_SimpleUnaryOp<"tanh", "tanh(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_SigmoidOp : Kiln_SimpleUnaryOp<"sigmoid", "1/(1+e^-x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_ReluOp : Kiln_SimpleUnaryOp<"relu", "max(x, 0)", Kiln_Tensor, [Kiln_HasGradient]>;
def Kiln_ErfOp : Kiln_SimpleUnaryOp<"erf", "erf(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_FloorOp : Kiln_SimpleUnaryOp<"floor", "floor(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_CeilOp : Kiln_SimpleUnaryOp<"ceil", "ceil(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_RoundOp : Kiln_SimpleUnaryOp<"round", "x rounded half to even", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_SinOp : Kiln_SimpleUnaryOp<"sin", "sin(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_CosOp : Kiln_SimpleUnaryOp<"cos", "cos(x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_SoftplusOp : Kiln_SimpleUnaryOp<"softplus", "ln(1+e^x)", Kiln_FloatTensor, [Kiln_HasGradient]>;
def Kiln_NotOp : Kiln_SimpleUnaryOp<"not", "logical not", Kiln_BoolTensor> {
  let hasFolder = 1;
}

def Kiln_LeakyReluOp : Kiln_UnaryOp<"leaky_relu", Kiln_FloatTensor, [Kiln_HasGradient]> {
  let summary = "elementwise x if x >= 0 else alpha * x";
  let description = [{
    ```mlir
    %y = kiln.leaky_relu %x {alpha = 0.01 : f32} : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F32Attr:$alpha);
}

def Kiln_EluOp : Kiln_UnaryOp<"elu", Kiln_FloatTensor, [Kiln_HasGradient]> {
  let summary = "elementwise x if x >= 0 else alpha * (e^x - 1)";
  let description = [{
    ```mlir
    %y = kiln.elu %x {alpha = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, F32Attr:$alpha);
}

def Kiln_GeluOp : Kiln_UnaryOp<"gelu", Kiln_FloatTensor, [Kiln_HasGradient]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `x * Phi(x)` with `approximate = none` (through `erf`), or the `tanh`
    approximation.

    ```mlir
    %y = kiln.gelu %x {approximate = #kiln<gelu_approximation tanh>}
        : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input,
                       Kiln_GeluApproximationAttr:$approximate);
}

def Kiln_ClipOp : Kiln_UnaryOp<"clip", Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "clamps each element to [min, max]";
  let description = [{
    Clamps each element; a missing bound is unbounded. `min` must not
    exceed `max`.

    ```mlir
    %y = kiln.clip %x {min = 0.0, max = 6.0} : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let infer = [{
      return ::mlir::kiln::inferClip(diag, adaptor.getInput().getType(),
          adaptor.getMin(), adaptor.getMax(), inferredReturnTypes);
  }];
}

def Kiln_CastOp : Kiln_Op<"cast", [Kiln_HasGradient]> {
  let summary = "converts each element to another element type";
  let description = [{
    Converts to the element type `to` with ONNX's `Cast` semantics:

    * float to float rounds to nearest, ties to even. A value beyond the
      target's range becomes an infinity with its sign where the target has
      infinities, else NaN (`f8E4M3FN` and the `FNUZ` types). The targets
      with neither (`f4E2M1FN`, `f6E2M3FN`, `f6E3M2FN`) saturate to the
      largest finite value with its sign, and turn NaN into a zero whose
      sign bit is the inverse of the NaN's (as ONNX's reference does). A
      target without negative zero (`FNUZ`) turns -0 into +0.
    * float to integer truncates toward zero; a value out of the target's
      range (or NaN) gives an undefined result. To `i1`, non-zero is true.
    * integer to integer keeps the low bits (two's complement).
    * to `f8E8M0FNU` (2^(e-127) for a biased exponent e, 255 being NaN),
      ONNX's `round_mode = "up"`: the value is first rounded to `f32`; e is
      the biased exponent field of that `f32`, plus one if its fraction
      field is not zero (so the sign is ignored and zero gives 2^-127); NaN
      and the infinities give NaN.

    `saturate` is only allowed when `to` is one of the float8 types
    `f8E4M3FN`, `f8E4M3FNUZ`, `f8E5M2`, `f8E5M2FNUZ` and `f8E8M0FNU`. For
    the first four, a finite value beyond the range, or an infinity, then
    becomes the largest finite value with its sign instead of an infinity
    or NaN (NaN stays NaN); to `f8E8M0FNU`, rounding up never goes past
    e = 254 (finite values never give NaN).

    ```mlir
    %y = kiln.cast %x {to = f16} : (tensor<4xf32>) -> tensor<4xf16>
    %z = kiln.cast %x {saturate, to = f8E4M3FN} : (tensor<4xf32>) -> tensor<4xf8E4M3FN>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, TypeAttr:$to, UnitAttr:$saturate);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferCast(diag, adaptor.getInput().getType(),
          adaptor.getTo(), adaptor.getSaturate(), inferredReturnTypes);
  }];
  let hasFolder = 1;
}

def Kiln_BitcastOp : Kiln_Op<"bitcast"> {
  let summary = "reinterprets the bits of each element as another type";
  let description = [{
    ONNX's `BitCast`: each element's bits, unchanged, read as the element
    type `to`, which must be as wide as the input's. `i1` (a boolean) counts
    as 8 bits, the byte ONNX stores it in: true is 1, and an 8-bit value
    read as `i1` is true when it is not zero. The shape is unchanged.

    ```mlir
    %y = kiln.bitcast %x {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, TypeAttr:$to);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferBitcast(diag, adaptor.getInput().getType(),
          adaptor.getTo(), inferredReturnTypes);
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise binary, comparisons, logic, select
//===----------------------------------------------------------------------===//

def Kiln_AddOp : Kiln_BinaryOp<"add", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise addition with broadcasting";
  let hasFolder = 1;
}
def Kiln_SubOp : Kiln_BinaryOp<"sub", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise subtraction with broadcasting";
  let hasFolder = 1;
}
def Kiln_MulOp : Kiln_BinaryOp<"mul", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise multiplication with broadcasting";
  let hasFolder = 1;
}
def Kiln_DivOp : Kiln_BinaryOp<"div", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise division with broadcasting";
  let description = [{
    Divides element by element with numpy broadcasting; integer division
    truncates toward zero.

    ```mlir
    %r = kiln.div %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    ```
  }];
  let hasFolder = 1;
}
def Kiln_PowOp : Kiln_BinaryOp<"pow", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise power with broadcasting";
}
def Kiln_MaxOp : Kiln_BinaryOp<"max", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise maximum with broadcasting";
  let hasFolder = 1;
}
def Kiln_MinOp : Kiln_BinaryOp<"min", Kiln_Tensor, Kiln_Tensor, [Kiln_HasGradient]> {
  let summary = "elementwise minimum with broadcasting";
  let hasFolder = 1;
}
def Kiln_EqualOp : Kiln_BinaryOp<"equal", Kiln_Tensor, Kiln_BoolTensor> {
  let summary = "elementwise equality";
  let hasFolder = 1;
}
def Kiln_LessOp : Kiln_BinaryOp<"less", Kiln_Tensor, Kiln_BoolTensor> {
  let summary = "elementwise less-than";
  let hasFolder = 1;
}
def Kiln_LessEqualOp : Kiln_BinaryOp<"less_equal", Kiln_Tensor, Kiln_BoolTensor> {
  let summary = "elementwise less-or-equal";
  let hasFolder = 1;
}
def Kiln_GreaterOp : Kiln_BinaryOp<"greater", Kiln_Tensor, Kiln_BoolTensor> {
  let summary = "elementwise greater-than";
  let hasFolder = 1;
}
def Kiln_GreaterEqualOp
    : Kiln_BinaryOp<"greater_equal", Kiln_Tensor, Kiln_BoolTensor> {
  let summary = "elementwise greater-or-equal";
  let hasFolder = 1;
}
def Kiln_AndOp : Kiln_BinaryOp<"and", Kiln_BoolTensor> {
  let summary = "elementwise logical and";
  let hasFolder = 1;
}
def Kiln_OrOp : Kiln_BinaryOp<"or", Kiln_BoolTensor> {
  let summary = "elementwise logical or";
  let hasFolder = 1;
}
def Kiln_XorOp : Kiln_BinaryOp<"xor", Kiln_BoolTensor> {
  let summary = "elementwise logical exclusive or";
}

def Kiln_WhereOp : Kiln_Op<"where", [Kiln_HasGradient]> {
  let summary = "selects elements of x where cond holds, else of y";
  let description = [{
    All three operands broadcast together; `x` and `y` share an element type.

    ```mlir
    %r = kiln.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_BoolTensor:$condition, Kiln_Tensor:$x,
                       Kiln_Tensor:$y);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferWhere(diag, adaptor.getCondition().getType(),
          adaptor.getX().getType(), adaptor.getY().getType(),
          inferredReturnTypes);
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra and convolution
//===----------------------------------------------------------------------===//

def Kiln_MatMulOp : Kiln_Op<"matmul", [Kiln_HasGradient]> {
  let summary = "matrix product with numpy semantics";
  let description = [{
    `numpy.matmul`: batch dimensions broadcast; a 1-D `lhs` is a row vector
    and a 1-D `rhs` a column vector, whose added dimension is removed from
    the result.

    ```mlir
    %r = kiln.matmul %a, %b : (tensor<?x16x64xf32>, tensor<64x32xf32>) -> tensor<?x16x32xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferMatMul(diag, adaptor.getLhs().getType(),
          adaptor.getRhs().getType(), inferredReturnTypes);
  }];
}

def Kiln_ConvOp : Kiln_Op<"conv", [Kiln_HasGradient]> {
  let summary = "N-D convolution, NC[D]HW input and OI[D]HW filter";
  let description = [{
    Convolution over the spatial dimensions of `input` (N, C, spatial...)
    with `weight` (O, C/group, kernel...) and an optional `bias` of size O.
    `pads` holds the begin pads of each spatial dimension, then the end pads.

    ```mlir
    %y = kiln.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
        pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
        : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x32x32xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$weight,
                       Optional<Kiln_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs Kiln_FloatTensor:$output);
  let infer = [{
      return ::mlir::kiln::inferConv(diag, adaptor.getInput().getType(),
          adaptor.getWeight().getType(),
          adaptor.getBias() ? adaptor.getBias().getType() : ::mlir::Type(),
          adaptor.getStrides(), adaptor.getPads(), adaptor.getDilations(),
          adaptor.getGroup(), inferredReturnTypes);
  }];
}

def Kiln_ConvTransposeOp : Kiln_Op<"conv_transpose", [Kiln_HasGradient]> {
  let summary = "N-D transposed convolution";
  let description = [{
    The gradient of `kiln.conv` with respect to its input, used as an
    upsampling layer. `weight` is (C, O/group, kernel...). Each spatial output
    size is `stride * (in - 1) + output_padding + (kernel - 1) * dilation + 1
    - pad_begin - pad_end`.

    ```mlir
    %y = kiln.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64,
        output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>,
        strides = array<i64: 2, 2>}
        : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$weight,
                       Optional<Kiln_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$output_padding, I64Attr:$group);
  let results = (outs Kiln_FloatTensor:$output);
  let infer = [{
      return ::mlir::kiln::inferConvTranspose(diag,
          adaptor.getInput().getType(), adaptor.getWeight().getType(),
          adaptor.getBias() ? adaptor.getBias().getType() : ::mlir::Type(),
          adaptor.getStrides(), adaptor.getPads(), adaptor.getDilations(),
          adaptor.getOutputPadding(), adaptor.getGroup(), inferredReturnTypes);
  }];
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def Kiln_MaxPoolOp : Kiln_Op<"max_pool", [Kiln_HasGradient]> {
  let summary = "N-D max pooling";
  let description = [{
    Pools the spatial dimensions of an (N, C, spatial...) tensor. With
    `ceil_mode` the output size rounds up, and a window that would start in
    the end padding is dropped.

    ```mlir
    %y = kiln.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>,
        kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>,
        strides = array<i64: 2, 2>} : (tensor<?x64x56x56xf32>) -> tensor<?x64x28x28xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferPool(diag, adaptor.getInput().getType(),
          adaptor.getKernelShape(), adaptor.getStrides(), adaptor.getPads(),
          adaptor.getDilations(), adaptor.getCeilMode(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kiln_AveragePoolOp : Kiln_Op<"average_pool", [Kiln_HasGradient]> {
  let summary = "N-D average pooling";
  let description = [{
    Like `kiln.max_pool`, averaging. With `count_include_pad` the padding
    counts in each window's divisor.

    ```mlir
    %y = kiln.average_pool %x {ceil_mode = false, count_include_pad = false,
        dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>,
        pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
        : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad);
  let results = (outs Kiln_FloatTensor:$output);
  let infer = [{
      return ::mlir::kiln::inferPool(diag, adaptor.getInput().getType(),
          adaptor.getKernelShape(), adaptor.getStrides(), adaptor.getPads(),
          adaptor.getDilations(), adaptor.getCeilMode(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

class Kiln_GlobalPoolOp<string mnemonic, string what,
                        list<Trait> traits = []>
    : Kiln_UnaryOp<mnemonic, Kiln_Tensor, traits> {
  let summary = "global " # what # " pooling over all spatial dimensions";
  let description = "Reduces every spatial dimension of an (N, C, spatial...) "
      "tensor to size 1 with " # what # "." # [{

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : (tensor<?x512x7x7xf32>) -> tensor<?x512x1x1xf32>
    ```
  }];
  let infer = [{
      return ::mlir::kiln::inferGlobalPool(diag, adaptor.getInput().getType(),
                                           inferredReturnTypes);
  }];
}
def Kiln_GlobalAveragePoolOp : Kiln_GlobalPoolOp<"global_average_pool", "average", [Kiln_HasGradient]>;
def Kiln_GlobalMaxPoolOp : Kiln_GlobalPoolOp<"global_max_pool", "maximum", [Kiln_HasGradient]>;

//===----------------------------------------------------------------------===//
// Normalisation and softmax
//===----------------------------------------------------------------------===//

def Kiln_BatchNormOp : Kiln_Op<"batch_norm", [Kiln_HasGradient]> {
  let summary = "batch normalisation, inference form";
  let description = [{
    `scale * (input - mean) / sqrt(var + epsilon) + bias` over the channel
    dimension 1 of an (N, C, ...) input; the four parameters have shape (C).

    ```mlir
    %y = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32}
        : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
        -> tensor<?x16x8x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$scale,
                       Kiln_FloatTensor:$bias, Kiln_FloatTensor:$mean,
                       Kiln_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs Kiln_FloatTensor:$output);
  let infer = [{
      return ::mlir::kiln::inferBatchNorm(diag, adaptor.getInput().getType(),
          {adaptor.getScale().getType(), adaptor.getBias().getType(),
           adaptor.getMean().getType(), adaptor.getVariance().getType()},
          inferredReturnTypes);
  }];
  let hasCanonicalizer = 1;
}

def Kiln_LayerNormOp : Kiln_Op<"layer_norm", [Kiln_HasGradient]> {
  let summary = "layer normalisation over the trailing dimensions from axis";
  let description = [{
    Normalises over the dimensions `axis..rank-1`, then applies `scale` and
    the optional `bias`, which broadcast to those dimensions.

    ```mlir
    %y = kiln.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<?x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x16x64xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$scale,
                       Optional<Kiln_FloatTensor>:$bias, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs Kiln_FloatTensor:$output);
  let infer = [{
      return ::mlir::kiln::inferLayerNorm(diag, adaptor.getInput().getType(),
          adaptor.getScale().getType(),
          adaptor.getBias() ? adaptor.getBias().getType() : ::mlir::Type(),
          adaptor.getAxis(), inferredReturnTypes);
  }];
}

class Kiln_SoftmaxBase<string mnemonic, string formula,
                       list<Trait> traits = []>
    : Kiln_UnaryOp<mnemonic, Kiln_FloatTensor, traits> {
  let summary = formula # " along one axis";
  let description = "Computes " # formula # " along `axis`." # [{

    ```mlir
    %y = kiln.}] # mnemonic # [{ %x {axis = 1 : i64} : (tensor<?x10xf32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$axis);
  let infer = [{
      if (::mlir::failed(::mlir::kiln::checkAxis(diag,
              ::mlir::dyn_cast<::mlir::RankedTensorType>(
                  adaptor.getInput().getType()),
              adaptor.getAxis())))
        return ::mlir::failure();
      return ::mlir::kiln::inferSameType(diag, adaptor.getInput().getType(),
                                         inferredReturnTypes);
  }];
}
def Kiln_SoftmaxOp : Kiln_SoftmaxBase<"softmax", "softmax", [Kiln_HasGradient]>;
def Kiln_LogSoftmaxOp : Kiln_SoftmaxBase<"log_softmax", "log of softmax", [Kiln_HasGradient]>;

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def Kiln_ReduceSumOp : Kiln_ReduceOp<"reduce_sum", "a sum", [Kiln_HasGradient]>;
def Kiln_ReduceMeanOp : Kiln_ReduceOp<"reduce_mean", "a mean", [Kiln_HasGradient]>;
def Kiln_ReduceMaxOp : Kiln_ReduceOp<"reduce_max", "the maximum", [Kiln_HasGradient]>;
def Kiln_ReduceMinOp : Kiln_ReduceOp<"reduce_min", "the minimum", [Kiln_HasGradient]>;
def Kiln_ReduceProdOp : Kiln_ReduceOp<"reduce_prod", "a product", [Kiln_HasGradient]>;
def Kiln_ReduceSumSquareOp : Kiln_ReduceOp<"reduce_sum_square", "a sum of squares", [Kiln_HasGradient]>;
def Kiln_ReduceL1Op : Kiln_ReduceOp<"reduce_l1", "a sum of absolute values", [Kiln_HasGradient]>;
def Kiln_ReduceL2Op : Kiln_ReduceOp<"reduce_l2", "the Euclidean norm", [Kiln_HasGradient]>;
def Kiln_ReduceLogSumExpOp : Kiln_ReduceOp<"reduce_log_sum_exp", "log-sum-exp", [Kiln_HasGradient]>;

class Kiln_ArgReduceOp<string mnemonic, string what> : Kiln_Op<mnemonic> {
  let summary = "index of the " # what # " along an axis";
  let description = "Returns the `i64` index of the " # what # " along "
      "`axis`; with `select_last_index`, the last of equal candidates." # [{

    ```mlir
    %i = kiln.}] # mnemonic # [{ %x {axis = 1 : i64, keepdims = false, select_last_index = false}
        : (tensor<?x10xf32>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                       BoolAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let infer = [{
      return ::mlir::kiln::inferArgReduce(diag, adaptor.getInput().getType(),
          adaptor.getAxis(), adaptor.getKeepdims(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Kiln_ArgMaxOp : Kiln_ArgReduceOp<"argmax", "maximum">;
def Kiln_ArgMinOp : Kiln_ArgReduceOp<"argmin", "minimum">;

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def Kiln_ReshapeOp : Kiln_Op<"reshape", [Kiln_HasGradient]> {
  let summary = "gives a tensor a new shape with the same elements";
  let description = [{
    `shape` lists the result's dimensions: a positive size, `0` to copy the
    input's dimension at the same index, or at most one `-1` computed from
    the element count. Copying keeps a dynamic batch dimension dynamic.

    ```mlir
    %y = kiln.reshape %x {shape = array<i64: 0, -1>} : (tensor<?x8x7x7xf32>) -> tensor<?x392xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferReshape(diag, adaptor.getInput().getType(),
          adaptor.getShape(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Kiln_TransposeOp : Kiln_Op<"transpose", [Kiln_HasGradient]> {
  let summary = "permutes the dimensions of a tensor";
  let description = [{
    Result dimension `i` is input dimension `perm[i]`.

    ```mlir
    %y = kiln.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<?x4x8xf32>) -> tensor<?x8x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferTranspose(diag, adaptor.getInput().getType(),
          adaptor.getPerm(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Kiln_ConcatOp : Kiln_Op<"concat", [Kiln_HasGradient]> {
  let summary = "joins tensors along an axis";
  let description = [{
    ```mlir
    %y = kiln.concat %a, %b {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferConcat(diag, adaptor.getInputs().getTypes(),
          adaptor.getAxis(), inferredReturnTypes);
  }];
  let hasFolder = 1;
}

def Kiln_SplitOp : Kiln_Op<"split", [Kiln_HasGradient]> {
  let summary = "splits a tensor into pieces along an axis";
  let description = [{
    One result per entry of `sizes`, which add up to the axis's size.

    ```mlir
    %a, %b = kiln.split %x {axis = 1 : i64, sizes = array<i64: 2, 6>}
        : (tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x6xf32>)
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, I64Attr:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Kiln_Tensor>:$outputs);
  let infer = [{
      return ::mlir::kiln::inferSplit(diag, adaptor.getInput().getType(),
          adaptor.getAxis(), adaptor.getSizes(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kiln_SliceOp : Kiln_Op<"slice", [Kiln_HasGradient]> {
  let summary = "takes a strided slice";
  let description = [{
    ONNX `Slice` with constant bounds: for each listed axis, `starts` and
    `ends` may be negative (counted from the end) and are clamped to the
    dimension; `steps` are non-zero and may be negative.

    ```mlir
    %y = kiln.slice %x {axes = array<i64: 1>, ends = array<i64: -1>,
        starts = array<i64: 1>, steps = array<i64: 2>} : (tensor<?x10xf32>) -> tensor<?x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$axes,
                       DenseI64ArrayAttr:$steps);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferSlice(diag, adaptor.getInput().getType(),
          adaptor.getStarts(), adaptor.getEnds(), adaptor.getAxes(),
          adaptor.getSteps(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kiln_GatherOp : Kiln_Op<"gather", [Kiln_HasGradient]> {
  let summary = "gathers slices along an axis by index";
  let description = [{
    The result shape is `data.shape[:axis] + indices.shape +
    data.shape[axis+1:]`; negative indices count from the end.

    ```mlir
    %y = kiln.gather %emb, %ids {axis = 0 : i64} : (tensor<1000x64xf32>, tensor<?x16xi64>) -> tensor<?x16x64xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IntegerTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferGather(diag, adaptor.getData().getType(),
          adaptor.getIndices().getType(), adaptor.getAxis(),
          inferredReturnTypes);
  }];
  let hasFolder = 1;
}

def Kiln_PadOp : Kiln_Op<"pad", [Kiln_HasGradient]> {
  let summary = "pads a tensor with a constant, a reflection or its edge";
  let description = [{
    `pads` holds the begin pad of every dimension, then the end pads; all
    are non-negative. `value` fills in `constant` mode. In `reflect` mode a
    pad must be smaller than its dimension.

    ```mlir
    %y = kiln.pad reflect %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0}
        : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_PadModeAttr:$mode,
                       DenseI64ArrayAttr:$pads, F64Attr:$value);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferPad(diag, adaptor.getInput().getType(),
          adaptor.getMode(), adaptor.getPads(), inferredReturnTypes);
  }];
  let assemblyFormat = "$mode $input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kiln_BroadcastToOp : Kiln_Op<"broadcast_to", [Kiln_HasGradient]> {
  let summary = "broadcasts a tensor against a shape";
  let description = [{
    ONNX `Expand`: the result shape is the numpy broadcast of the input's
    shape and `shape` (so a 1 in `shape` keeps the input's dimension).

    ```mlir
    %y = kiln.broadcast_to %x {shape = array<i64: 4, 1, 8>} : (tensor<3x1xf32>) -> tensor<4x3x8xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Kiln_Tensor:$output);
  let infer = [{
      return ::mlir::kiln::inferBroadcastTo(diag, adaptor.getInput().getType(),
          adaptor.getShape(), inferredReturnTypes);
  }];
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

include "kiln/Dialect/Kiln/IR/KilnShapeOps.td"

include "kiln/Dialect/Kiln/IR/KilnIndexingOps.td"

include "kiln/Dialect/Kiln/IR/KilnElementwiseExtraOps.td"

#endif // KILN_DIALECT_KILN_IR_KILNOPS_TD
