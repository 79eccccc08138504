//===- Passes.h - The CUDA target's passes ----------------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TARGET_CUDA_PASSES_H
#define KILN_TARGET_CUDA_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace kiln {

#define GEN_PASS_DECL
#include "kiln/Target/CUDA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Target/CUDA/Passes.h.inc"

/// Adds the pattern of `kiln-gpu-tile-matmul`: f32 matmuls and batch
/// matmuls on buffers become shared-memory tiled `gpu.launch`es.
void populateKilnGPUTileMatmulPatterns(RewritePatternSet &patterns);

/// Adds the pattern of `kiln-gpu-conv-to-matmul`: f32
/// `linalg.conv_2d_nchw_fchw` on tensors becomes an image-column gather and
/// a batched contraction.
void populateKilnGPUConvToMatmulPatterns(RewritePatternSet &patterns);

/// Adds the pattern of `kiln-gpu-block-reduce`: f32 reductions along rows
/// on buffers become one block per output element.
void populateKilnGPUBlockReducePatterns(RewritePatternSet &patterns);

} // namespace kiln
} // namespace mlir

#endif // KILN_TARGET_CUDA_PASSES_H
