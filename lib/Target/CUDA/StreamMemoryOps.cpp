//===- StreamMemoryOps.cpp - GPU work chained on a stream -----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "HostAccess.h"

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

/// Whether `op` is GPU work this pass puts on the chain: an allocation
/// (not host shared, which gpu-to-llvm lowers synchronously only), a copy,
/// a memset, a free or a launch, not yet async.
static bool isChainable(Operation *op) {
  auto async = dyn_cast<gpu::AsyncOpInterface>(op);
  if (!async || isa<gpu::WaitOp>(op) || async.getAsyncToken() ||
      !async.getAsyncDependencies().empty())
    return false;
  if (auto alloc = dyn_cast<gpu::AllocOp>(op))
    return !alloc.getHostShared();
  return isa<gpu::MemcpyOp, gpu::MemsetOp, gpu::DeallocOp, gpu::LaunchOp>(op);
}

/// Whether the host must see the chain's work done before it runs `op`.
static bool needsWait(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>() || op->getNumRegions() != 0)
    return true;
  // The runtime's constant lookup reads host memory only, and completes its
  // own upload.
  if (auto call = dyn_cast<LLVM::CallOp>(op))
    if (call.getCallee() == kCudaConstantFunction)
      return false;
  return touchesContents(op);
}

/// Replaces `op`, whose async dependency is set, with a copy that also
/// returns an async token (its last result); returns the token.
static Value makeAsync(OpBuilder &b, Operation *op) {
  SmallVector<Type> resultTypes(op->getResultTypes());
  resultTypes.push_back(b.getType<gpu::AsyncTokenType>());
  Operation *async = Operation::create(
      op->getLoc(), op->getName(), resultTypes, op->getOperands(),
      op->getDiscardableAttrDictionary(), op->getPropertiesStorage(),
      op->getSuccessors(), op->getNumRegions());
  for (auto [from, to] : llvm::zip(op->getRegions(), async->getRegions()))
    to.takeBody(from);
  b.setInsertionPoint(op);
  b.insert(async);
  op->replaceAllUsesWith(async->getResults().drop_back());
  op->erase();
  return async->getResults().back();
}

/// Chains the GPU work of `block` on one stream, waiting only where
/// needsWait says.
static void chainBlock(Block &block) {
  OpBuilder b(block.getParent()->getContext());
  Type tokenType = b.getType<gpu::AsyncTokenType>();
  Value token;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (isChainable(&op)) {
      b.setInsertionPoint(&op);
      if (!token)
        token = gpu::WaitOp::create(b, op.getLoc(), tokenType, ValueRange())
                    .getAsyncToken();
      cast<gpu::AsyncOpInterface>(op).addAsyncDependency(token);
      token = makeAsync(b, &op);
      continue;
    }
    if (token && needsWait(&op)) {
      b.setInsertionPoint(&op);
      gpu::WaitOp::create(b, op.getLoc(), Type(), ValueRange{token});
      token = nullptr;
    }
  }
}

namespace {

struct KilnGPUStreamMemoryOpsPass
    : public kiln::impl::KilnGPUStreamMemoryOpsPassBase<
          KilnGPUStreamMemoryOpsPass> {
  void runOnOperation() override;
};

} // namespace

void KilnGPUStreamMemoryOpsPass::runOnOperation() {
  // The blocks of host code: every block but those of kernels.
  SmallVector<Block *> blocks;
  getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<gpu::LaunchOp>(op))
      return WalkResult::skip();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        blocks.push_back(&block);
    return WalkResult::advance();
  });
  for (Block *block : blocks)
    chainBlock(*block);
}
