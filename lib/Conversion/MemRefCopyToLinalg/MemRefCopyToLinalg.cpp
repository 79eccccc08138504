//===- MemRefCopyToLinalg.cpp - memref.copy as linalg.copy ----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNMEMREFCOPYTOLINALGPASS
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

struct KilnMemRefCopyToLinalgPass
    : kiln::impl::KilnMemRefCopyToLinalgPassBase<KilnMemRefCopyToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
