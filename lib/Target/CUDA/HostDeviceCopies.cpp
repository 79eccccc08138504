//===- HostDeviceCopies.cpp - Device buffers, copies at the boundaries ----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "HostAccess.h"

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

#include <functional>

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

/// Whether `op` reads or writes buffer contents as host code: not a linalg
/// op or the body of a parallel loop (both become kernels), and no region
/// holder (whose regions may hand the buffer to either side).
static bool isHostAccess(Operation *op) {
  return op->getNumRegions() == 0 && !isa<linalg::LinalgOp>(op) &&
         !op->getParentOfType<scf::ParallelOp>() &&
         !op->getParentOfType<linalg::LinalgOp>() && touchesContents(op);
}

/// `value` followed by every view of it, transitively.
static SmallVector<Value> withViews(Value value) {
  SmallVector<Value> values{value};
  for (size_t i = 0; i < values.size(); ++i)
    for (Operation *user : values[i].getUsers())
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == values[i])
          llvm::append_range(values, user->getResults());
  return values;
}

/// The runtime's kilnCudaConstant, declared in `module` if it is not yet.
static FailureOr<LLVM::LLVMFuncOp> getOrDeclareCudaConstant(ModuleOp module) {
  MLIRContext *context = module.getContext();
  auto pointer = LLVM::LLVMPointerType::get(context);
  auto type = LLVM::LLVMFunctionType::get(
      pointer, {pointer, IntegerType::get(context, 64)});
  Operation *existing = SymbolTable::lookupSymbolIn(
      module, StringAttr::get(context, kCudaConstantFunction));
  if (auto func = dyn_cast_or_null<LLVM::LLVMFuncOp>(existing)) {
    if (func.getFunctionType() == type)
      return func;
  }
  if (existing)
    return existing->emitError()
           << "'" << kCudaConstantFunction
           << "' is the CUDA runtime's function `!llvm.ptr (!llvm.ptr, i64)`; "
              "the module defines it otherwise";
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), kCudaConstantFunction,
                                  type);
}

namespace {

struct KilnGPUHostDeviceCopiesPass
    : public kiln::impl::KilnGPUHostDeviceCopiesPassBase<
          KilnGPUHostDeviceCopiesPass> {
  void runOnOperation() override;
  LogicalResult runOnFunction(func::FuncOp func, SymbolTable &symbols);

  /// The module's declaration of kilnCudaConstant, once a function needs it.
  LLVM::LLVMFuncOp cudaConstant;
};

} // namespace

void KilnGPUHostDeviceCopiesPass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTable symbols(module);
  cudaConstant = nullptr;
  for (func::FuncOp func :
       llvm::to_vector(module.getBodyRegion().getOps<func::FuncOp>()))
    if (failed(runOnFunction(func, symbols)))
      return signalPassFailure();
}

LogicalResult KilnGPUHostDeviceCopiesPass::runOnFunction(func::FuncOp func,
                                                         SymbolTable &symbols) {
  if (func.isExternal() || !func.isPublic())
    return success();
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
      return failure();
    if (!arg.use_empty())
      copyToDevice(arg, arg.getLoc());
  }

  // Weights: one device buffer per global, at entry, whatever region reads
  // it.
  llvm::MapVector<StringAttr, SmallVector<memref::GetGlobalOp>> globals;
  func.walk([&](memref::GetGlobalOp get) {
    globals[get.getNameAttr().getAttr()].push_back(get);
  });
  DataLayout layout = DataLayout::closest(func);
  for (auto &[name, gets] : globals) {
    memref::GetGlobalOp first = gets.front();
    if (failed(checkLayout(first.getResult(), "constants")))
      return failure();
    first->moveBefore(&entry, b.getInsertionPoint());
    for (memref::GetGlobalOp other : llvm::drop_begin(gets)) {
      other.replaceAllUsesWith(first.getResult());
      other.erase();
    }
    b.setInsertionPointAfter(first);
    auto global = symbols.lookup<memref::GlobalOp>(name);
    if (!global || !global.getConstant()) {
      // A global that may change: copied at every call, as an input is.
      copyToDevice(first.getResult(), first.getLoc());
      continue;
    }

    // A constant is only read: the runtime caches its device copy.
    SmallVector<Value> hostViews = withViews(first.getResult());
    for (Value view : hostViews) {
      for (OpOperand &use : view.getUses()) {
        auto effects = dyn_cast<MemoryEffectOpInterface>(use.getOwner());
        if (!effects)
          continue;
        SmallVector<MemoryEffects::EffectInstance> onValue;
        effects.getEffectsOnValue(view, onValue);
        if (llvm::any_of(onValue, [](const MemoryEffects::EffectInstance &e) {
              return isa<MemoryEffects::Write>(e.getEffect());
            }))
          return use.getOwner()->emitError()
                 << "writes into constant " << name
                 << ", which the CUDA target keeps read-only on the device";
      }
    }
    // Device code and everything that passes the buffer on use the device
    // copy; host code that reads the contents keeps the host global.
    SmallVector<std::pair<OpOperand *, Value>> toDevice;
    for (Value view : hostViews) {
      for (OpOperand &use : view.getUses()) {
        Operation *user = use.getOwner();
        auto viewUser = dyn_cast<ViewLikeOpInterface>(user);
        if ((viewUser && viewUser.getViewSource() == view) ||
            isHostAccess(user))
          continue;
        toDevice.push_back({&use, view});
      }
    }
    if (!cudaConstant) {
      FailureOr<LLVM::LLVMFuncOp> declared =
          getOrDeclareCudaConstant(func->getParentOfType<ModuleOp>());
      if (failed(declared))
        return failure();
      cudaConstant = *declared;
    }
    Location loc = first.getLoc();
    auto type = cast<MemRefType>(first.getType());
    uint64_t bytes =
        type.getNumElements() * layout.getTypeSize(type.getElementType());
    Value address =
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, first);
    Value asInteger =
        arith::IndexCastOp::create(b, loc, b.getI64Type(), address);
    auto pointerType = LLVM::LLVMPointerType::get(b.getContext());
    Value pointer = LLVM::IntToPtrOp::create(b, loc, pointerType, asInteger);
    Value size = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                          b.getI64IntegerAttr(bytes));
    Value devicePointer =
        LLVM::CallOp::create(b, loc, cudaConstant, ValueRange{pointer, size})
            .getResult();
    LLVMTypeConverter converter(b.getContext());
    Value descriptor = MemRefDescriptor::fromStaticShape(b, loc, converter,
                                                         type, devicePointer);
    Value device = UnrealizedConversionCastOp::create(b, loc, type, descriptor)
                       .getResult(0);

    // A view with users of both kinds is cloned onto the device copy.
    DenseMap<Value, Value> deviceOf;
    deviceOf[first.getResult()] = device;
    std::function<Value(Value)> deviceVersion = [&](Value host) -> Value {
      auto found = deviceOf.find(host);
      if (found != deviceOf.end())
        return found->second;
      auto view = host.getDefiningOp<ViewLikeOpInterface>();
      Value source = deviceVersion(view.getViewSource());
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfter(view);
      IRMapping mapping;
      mapping.map(view.getViewSource(), source);
      Operation *clone = b.clone(*view, mapping);
      for (auto [original, cloned] :
           llvm::zip(view->getResults(), clone->getResults()))
        deviceOf[original] = cloned;
      return deviceOf[host];
    };
    for (auto [use, view] : toDevice)
      use->set(deviceVersion(view));
    // Views left without users (all went to the device) are dead.
    llvm::SetVector<Operation *> viewOps;
    for (Value view : llvm::drop_begin(hostViews))
      viewOps.insert(view.getDefiningOp());
    for (Operation *op : llvm::reverse(viewOps))
      if (op->use_empty() && isMemoryEffectFree(op))
        op->erase();
    b.setInsertionPointAfter(device.getDefiningOp());
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
        return failure();
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
  return success();
}
