//===- StreamMemoryOps.cpp - Device memory operations on a stream ---------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUSTREAMMEMORYOPSPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct KilnGPUStreamMemoryOpsPass
    : public kiln::impl::KilnGPUStreamMemoryOpsPassBase<
          KilnGPUStreamMemoryOpsPass> {
  void runOnOperation() override;
};

} // namespace

void KilnGPUStreamMemoryOpsPass::runOnOperation() {
  SmallVector<Operation *> ops;
  getOperation().walk([&](Operation *op) {
    if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
      if (!alloc.getHostShared() && !alloc.getAsyncToken())
        ops.push_back(op);
    } else if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
      if (!copy.getAsyncToken())
        ops.push_back(op);
    } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
      if (!dealloc.getAsyncToken())
        ops.push_back(op);
    }
  });
  OpBuilder b(&getContext());
  Type tokenType = b.getType<gpu::AsyncTokenType>();
  for (Operation *op : ops) {
    Location loc = op->getLoc();
    b.setInsertionPoint(op);
    Value stream =
        gpu::WaitOp::create(b, loc, tokenType, ValueRange()).getAsyncToken();
    Value done;
    if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
      auto async = gpu::AllocOp::create(
          b, loc, alloc.getType(), tokenType, ValueRange{stream},
          alloc.getDynamicSizes(), alloc.getSymbolOperands(),
          /*hostShared=*/false);
      alloc.getMemref().replaceAllUsesWith(async.getMemref());
      done = async.getAsyncToken();
    } else if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
      done = gpu::MemcpyOp::create(b, loc, tokenType, ValueRange{stream},
                                   copy.getDst(), copy.getSrc())
                 .getAsyncToken();
    } else {
      auto dealloc = cast<gpu::DeallocOp>(op);
      done = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{stream},
                                    dealloc.getMemref())
                 .getAsyncToken();
    }
    gpu::WaitOp::create(b, loc, Type(), ValueRange{done});
    op->erase();
  }
}
