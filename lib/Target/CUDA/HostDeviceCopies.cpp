//===- HostDeviceCopies.cpp - Device buffers, copies at the boundaries ----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUHOSTDEVICECOPIESPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

/// The buffer `value` is a view of: the value at the end of its chain of
/// view-like ops.
static Value rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// The dynamic sizes of a buffer shaped like `like`, read from `like`.
static SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value like) {
  auto type = cast<MemRefType>(like.getType());
  SmallVector<Value> sizes;
  for (auto [i, size] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(size))
      sizes.push_back(memref::DimOp::create(b, loc, like, i));
  return sizes;
}

namespace {

struct KilnGPUHostDeviceCopiesPass
    : public kiln::impl::KilnGPUHostDeviceCopiesPassBase<
          KilnGPUHostDeviceCopiesPass> {
  void runOnOperation() override;
};

} // namespace

void KilnGPUHostDeviceCopiesPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal() || !func.isPublic())
    return;
  Block &entry = func.getBody().front();

  // Every memref must have the identity layout for the copies, which move
  // whole buffers.
  auto checkLayout = [&](Value value, StringRef what) -> LogicalResult {
    auto type = dyn_cast<MemRefType>(value.getType());
    if (type && !type.getLayout().isIdentity())
      return emitError(value.getLoc())
             << "the CUDA target needs " << what
             << " with the identity layout, not " << type;
    return success();
  };

  // Intermediates live in device memory.
  SmallVector<Operation *> allocs, deallocs;
  func.walk([&](Operation *op) {
    if (isa<memref::AllocOp>(op))
      allocs.push_back(op);
    else if (isa<memref::DeallocOp>(op))
      deallocs.push_back(op);
  });
  OpBuilder b(func.getContext());
  for (Operation *op : allocs) {
    auto alloc = cast<memref::AllocOp>(op);
    b.setInsertionPoint(alloc);
    auto device = gpu::AllocOp::create(
        b, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(), ValueRange(),
        alloc.getDynamicSizes(), alloc.getSymbolOperands(),
        /*hostShared=*/false);
    alloc.replaceAllUsesWith(device.getMemref());
    alloc.erase();
  }
  for (Operation *op : deallocs) {
    auto dealloc = cast<memref::DeallocOp>(op);
    b.setInsertionPoint(dealloc);
    gpu::DeallocOp::create(b, dealloc.getLoc(), /*asyncToken=*/Type(),
                           ValueRange(), dealloc.getMemref());
    dealloc.erase();
  }

  // Copies a host buffer into a new device buffer at the insertion point
  // and makes its other users use the copy.
  SmallVector<Value> copies;
  auto copyToDevice = [&](Value host, Location loc) {
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : host.getUses())
      uses.push_back(&use);
    auto device = gpu::AllocOp::create(
        b, loc, host.getType(), /*asyncToken=*/Type(), ValueRange(),
        dynamicSizes(b, loc, host), ValueRange(), /*hostShared=*/false);
    gpu::MemcpyOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(),
                          device.getMemref(), host);
    for (OpOperand *use : uses)
      use->set(device.getMemref());
    copies.push_back(device.getMemref());
  };

  // Inputs, at entry.
  b.setInsertionPointToStart(&entry);
  for (BlockArgument arg : entry.getArguments()) {
    if (!isa<MemRefType>(arg.getType()))
      continue;
    if (failed(checkLayout(arg, "arguments")))
      return signalPassFailure();
    if (!arg.use_empty())
      copyToDevice(arg, arg.getLoc());
  }

  // Weights: one copy per global, at entry, whatever region reads it.
  llvm::MapVector<StringAttr, SmallVector<memref::GetGlobalOp>> globals;
  func.walk([&](memref::GetGlobalOp get) {
    globals[get.getNameAttr().getAttr()].push_back(get);
  });
  for (auto &[name, gets] : globals) {
    memref::GetGlobalOp first = gets.front();
    if (failed(checkLayout(first.getResult(), "constants")))
      return signalPassFailure();
    first->moveBefore(&entry, b.getInsertionPoint());
    for (memref::GetGlobalOp other : llvm::drop_begin(gets)) {
      other.replaceAllUsesWith(first.getResult());
      other.erase();
    }
    b.setInsertionPointAfter(first);
    copyToDevice(first.getResult(), first.getLoc());
  }

  // Results, at each return: into host memory the caller owns.
  SmallVector<func::ReturnOp> returns;
  for (Block &block : func.getBody())
    if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator()))
      returns.push_back(ret);
  for (func::ReturnOp ret : returns) {
    b.setInsertionPoint(ret);
    llvm::SetVector<Value> toFree(copies.begin(), copies.end());
    for (OpOperand &operand : ret->getOpOperands()) {
      Value device = operand.get();
      if (!isa<MemRefType>(device.getType()))
        continue;
      if (failed(checkLayout(device, "results")))
        return signalPassFailure();
      Location loc = ret.getLoc();
      auto host = memref::AllocOp::create(
          b, loc, cast<MemRefType>(device.getType()),
          dynamicSizes(b, loc, device), ValueRange(), b.getI64IntegerAttr(64));
      gpu::MemcpyOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(),
                            host.getResult(), device);
      operand.set(host.getResult());
      // The device buffer was handed over to the caller by the
      // deallocation pipeline; it is freed here instead.
      Value root = rootBuffer(device);
      if (root.getDefiningOp<gpu::AllocOp>())
        toFree.insert(root);
    }
    for (Value buffer : toFree)
      gpu::DeallocOp::create(b, ret.getLoc(), /*asyncToken=*/Type(),
                             ValueRange(), buffer);
  }
}
