//===- MapLinalgToGPU.cpp - linalg onto GPU blocks and threads ------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CUDA/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNGPUMAPLINALGPASS
#include "kiln/Target/CUDA/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

/// Whether `op` is inside a loop nest that is already parallel.
static bool isInsideParallelLoop(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() ||
         op->getParentOfType<gpu::LaunchOp>();
}

/// The number of iterations of `loop` (all its dims), when it is a
/// constant.
static std::optional<int64_t> constantTripCount(scf::ParallelOp loop) {
  int64_t trips = 1;
  for (auto [lowerBound, upperBound, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> lower = getConstantIntValue(lowerBound);
    std::optional<int64_t> upper = getConstantIntValue(upperBound);
    std::optional<int64_t> stride = getConstantIntValue(step);
    if (!lower || !upper || !stride || *stride <= 0)
      return std::nullopt;
    trips *= llvm::divideCeil(std::max<int64_t>(*upper - *lower, 0), *stride);
  }
  return trips;
}

/// Maps the one-dimensional `loop` onto `processor`.
static void mapOnto(scf::ParallelOp loop, gpu::Processor processor) {
  Builder b(loop.getContext());
  AffineMap identity = b.getDimIdentityMap();
  SmallVector<gpu::ParallelLoopDimMappingAttr> mapping(
      loop.getNumLoops(), b.getAttr<gpu::ParallelLoopDimMappingAttr>(
                              gpu::Processor::Sequential, identity, identity));
  mapping.front() =
      b.getAttr<gpu::ParallelLoopDimMappingAttr>(processor, identity, identity);
  (void)gpu::setMappingAttr(loop, mapping);
}

namespace {

struct KilnGPUMapLinalgPass
    : public kiln::impl::KilnGPUMapLinalgPassBase<KilnGPUMapLinalgPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void KilnGPUMapLinalgPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (blockSize < 1 || blockSize > 1024) {
    func.emitError() << "block-size " << blockSize.getValue()
                     << " is not a number of threads per block (1-1024)";
    return signalPassFailure();
  }
  IRRewriter rewriter(func.getContext());

  // Linalg ops to parallel loops. An op with no parallel dim runs in a
  // one-iteration parallel loop, so that it becomes a (one-thread) kernel.
  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) {
    if (!isInsideParallelLoop(op))
      ops.push_back(op);
  });
  for (linalg::LinalgOp op : ops) {
    if (!op.hasPureBufferSemantics()) {
      op.emitError("the CUDA target needs linalg ops on buffers here");
      return signalPassFailure();
    }
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    if (op.getNumParallelLoops() == 0) {
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      auto wrapper = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                             ValueRange{one}, ValueRange{one});
      op->moveBefore(wrapper.getBody()->getTerminator());
      rewriter.setInsertionPoint(op);
    }
    if (failed(linalg::linalgOpToParallelLoops(rewriter, op))) {
      op.emitError("cannot lower this op to parallel loops for the GPU");
      return signalPassFailure();
    }
    rewriter.eraseOp(op);
  }

  // Each outermost parallel loop: one dimension, tiles of threads.
  SmallVector<scf::ParallelOp> loops;
  func.walk([&](scf::ParallelOp loop) {
    if (!loop->getParentOfType<scf::ParallelOp>() &&
        !loop->getParentOfType<gpu::LaunchOp>() &&
        !loop->hasAttr(gpu::getMappingAttrName()))
      loops.push_back(loop);
  });
  for (scf::ParallelOp loop : loops) {
    if (loop.getNumReductions() != 0) {
      loop.emitError("the CUDA target cannot map a parallel loop with "
                     "reductions onto the GPU");
      return signalPassFailure();
    }
    std::optional<int64_t> trips = constantTripCount(loop);
    if (loop.getNumLoops() > 1) {
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0);
      rewriter.setInsertionPoint(loop);
      scf::ParallelOp collapsed = loop;
      // collapseParallelLoops replaces the loop; find the new one by
      // position.
      Operation *before = loop->getPrevNode();
      Block *block = loop->getBlock();
      collapseParallelLoops(rewriter, loop, {all});
      Operation *next = before ? before->getNextNode() : &block->front();
      while (next && !isa<scf::ParallelOp>(next))
        next = next->getNextNode();
      collapsed = cast<scf::ParallelOp>(next);
      loop = collapsed;
    }
    int64_t tile = blockSize;
    if (trips)
      tile = *trips <= 1
                 ? 1
                 : std::min<int64_t>(blockSize, llvm::alignTo(*trips, 32));
    auto [outer, inner] =
        scf::tileParallelLoop(loop, {tile}, /*noMinMaxBounds=*/true);
    mapOnto(outer, gpu::Processor::BlockX);
    mapOnto(inner, gpu::Processor::ThreadX);
    // Parallel loops inside a thread run sequentially.
    inner.getBody()->walk([&](scf::ParallelOp nested) {
      mapOnto(nested, gpu::Processor::Sequential);
    });
  }
}
