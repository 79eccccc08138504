//===- KilnInterfaces.cpp - kiln op interfaces ----------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The interfaces generated from KilnInterfaces.td. The gradient rules live
// in the Gradient*.cpp files, one op family per file.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnInterfaces.h"

using namespace mlir;
using namespace mlir::kiln;

#include "kiln/Dialect/Kiln/IR/KilnInterfaces.cpp.inc"
