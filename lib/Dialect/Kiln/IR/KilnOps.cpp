//===- KilnOps.cpp - kiln dialect operations ------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The op classes generated from KilnOps.td. Shape rules live in
// TypeInference.cpp, folders in KilnFolds.cpp and rewrite patterns in
// KilnCanonicalize.cpp.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::kiln;

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.cpp.inc"
