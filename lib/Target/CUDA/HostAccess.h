//===- HostAccess.h - Which host ops touch buffer contents ------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Shared by the CUDA target's passes that place buffers in host or device
// memory and that order host code after GPU work.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_TARGET_CUDA_HOSTACCESS_H
#define KILN_LIB_TARGET_CUDA_HOSTACCESS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir {
namespace kiln {

/// The runtime function that returns the cached device copy of a constant
/// (runtime/include/kiln/runtime/kiln_mgpu.h).
inline constexpr llvm::StringLiteral kCudaConstantFunction = "kilnCudaConstant";

/// Whether `op`, run as host code, may read or write the contents of its
/// memref operands (rather than only their descriptors). GPU ops, views,
/// shape queries, allocations and returns do not.
inline bool touchesContents(Operation *op) {
  if (isa<gpu::GPUDialect>(op->getDialect()) ||
      isa<ViewLikeOpInterface, memref::DimOp, memref::ExtractStridedMetadataOp,
          memref::ExtractAlignedPointerAsIndexOp, memref::DeallocOp,
          memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp,
          func::ReturnOp>(op))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return true;
  return effects.hasEffect<MemoryEffects::Read>() ||
         effects.hasEffect<MemoryEffects::Write>();
}

} // namespace kiln
} // namespace mlir

#endif // KILN_LIB_TARGET_CUDA_HOSTACCESS_H
