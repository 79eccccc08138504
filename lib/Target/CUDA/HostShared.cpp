//===- HostShared.cpp - Device buffers the host touches -------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "HostAccess.h"

#include "kiln/Target/CUDA/Passes.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUHOSTSHAREDPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct KilnGPUHostSharedPass
    : public kiln::impl::KilnGPUHostSharedPassBase<KilnGPUHostSharedPass> {
  void runOnOperation() override;
};

} // namespace

void KilnGPUHostSharedPass::runOnOperation() {
  getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<gpu::LaunchOp>(op))
      return WalkResult::skip();
    if (op->getNumRegions() != 0 || !touchesContents(op))
      return WalkResult::advance();
    for (Value operand : op->getOperands()) {
      if (!isa<MemRefType>(operand.getType()))
        continue;
      while (auto view = operand.getDefiningOp<ViewLikeOpInterface>())
        operand = view.getViewSource();
      if (auto alloc = operand.getDefiningOp<gpu::AllocOp>())
        alloc.setHostShared(true);
    }
    return WalkResult::advance();
  });
}
