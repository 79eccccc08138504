//===- InitAllPasses.h - Passes Kiln's tools register -----------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_INITALLPASSES_H
#define KILN_INITALLPASSES_H

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

namespace mlir {
namespace kiln {

/// Registers Kiln's passes and the generic upstream ones its tests use.
inline void registerAllPasses() {
  registerKilnPasses();
  registerKilnConversionPasses();
  registerCanonicalizerPass();
  registerCSEPass();
  registerSymbolDCEPass();
}

} // namespace kiln
} // namespace mlir

#endif // KILN_INITALLPASSES_H
