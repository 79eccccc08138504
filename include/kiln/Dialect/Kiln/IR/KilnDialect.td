//===- KilnDialect.td - The kiln graph dialect -------------*- tablegen -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The `kiln` dialect: tensor-level graph operations close to ONNX semantics,
// normalised so that every attribute is explicit and no input is ambiguous.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNDIALECT_TD
#define KILN_DIALECT_KILN_IR_KILNDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::mlir::kiln";
  let summary = "Graph-level tensor operations for neural networks";
  let description = [{
    The `kiln` dialect holds neural-network graphs as pure operations on
    ranked tensors. Its semantics follow ONNX, normalised:

    * every attribute is explicit (the importer and the builder fill in
      ONNX defaults, resolve `auto_pad`, and turn constant inputs such as
      reduction axes or slice bounds into attributes);
    * axes are non-negative and in range;
    * optional inputs are real optional operands, never empty names.

    Every operation infers its result types from its operands and
    attributes, with static dimensions and dynamic dimensions written `?`.
    The same shape functions serve the verifier, so the two cannot disagree:
    a declared result type must be compatible with the inferred one (same
    element type and rank, and equal sizes wherever both are static), so a
    rewrite that refines an operand's type never invalidates its users.

    Large weights are `kiln.constant` ops holding `dense_resource` blobs, so
    big models do not bloat the textual IR.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = [];
}

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

def Kiln_PadMode : I32EnumAttr<"PadMode", "how kiln.pad fills the border", [
    I32EnumAttrCase<"Constant", 0, "constant">,
    I32EnumAttrCase<"Reflect", 1, "reflect">,
    I32EnumAttrCase<"Edge", 2, "edge">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_PadModeAttr : EnumAttr<Kiln_Dialect, Kiln_PadMode, "pad_mode">;

def Kiln_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "the formula kiln.gelu evaluates", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Tanh", 1, "tanh">
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_GeluApproximationAttr :
    EnumAttr<Kiln_Dialect, Kiln_GeluApproximation, "gelu_approximation">;

#endif // KILN_DIALECT_KILN_IR_KILNDIALECT_TD
