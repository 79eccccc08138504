//===- KilnInterfaces.td - kiln op interfaces --------------*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Interfaces of the kiln ops. `KilnGradientOpInterface` carries each op's
// reverse-mode gradient rule, so that an op brings its own rule to
// `kiln-autodiff`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNINTERFACES_TD
#define KILN_DIALECT_KILN_IR_KILNINTERFACES_TD

include "mlir/IR/OpBase.td"

def KilnGradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::mlir::kiln";
  let description = [{
    An op whose vector-Jacobian product `kiln-autodiff` can build. Given
    the gradient of the loss with respect to each result, the rule builds
    (with kiln ops, at the builder's insertion point, after the op) the
    gradient with respect to each operand.

    `resultGrads` has one entry per result; an entry is null where no
    gradient reaches that result (the rule treats it as zero), and at least
    one entry is not null. The rule fills `operandGrads`, which the caller
    has sized to the number of operands with nulls, leaving null the
    operands that carry no gradient (integer indices, shapes, conditions).
    Each gradient it returns has a type compatible with its operand's type.
    A rule that cannot differentiate the op as configured emits an error at
    the op and returns failure.
  }];
  let methods = [
    InterfaceMethod<
      "Builds the gradients of the operands from those of the results.",
      "::llvm::LogicalResult", "buildGradient",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

/// The trait an op's definition lists to declare its gradient rule, which
/// it then defines in one of the Gradient*.cpp files.
def Kiln_HasGradient : DeclareOpInterfaceMethods<KilnGradientOpInterface>;

#endif // KILN_DIALECT_KILN_IR_KILNINTERFACES_TD
