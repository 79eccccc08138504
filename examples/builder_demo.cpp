//===- builder_demo.cpp - Build a small network with GraphBuilder ---------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Builds a small CNN classifier with a dynamic batch dimension through the
// C++ GraphBuilder, verifies it, and prints its kiln IR (weights elided to
// keep the output short; pass --weights to print them).
//
//===----------------------------------------------------------------------===//

#include "kiln/Builder/GraphBuilder.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::kiln;

int main(int argc, char **argv) {
  bool printWeights = argc > 1 && std::strcmp(argv[1], "--weights") == 0;
  MLIRContext context;
  GraphBuilder g(context, "small_cnn");

  Value x = g.input("image", {kDynamic, 1, 28, 28}, g.f32());
  ConvOptions same;
  same.pads = {1, 1, 1, 1};
  Value h = g.named("conv1").conv(x, g.weight("conv1_w", {8, 1, 3, 3}),
                                  g.weight("conv1_b", {8}), same);
  h = g.named("bn1").batchNorm(
      h, g.splat({8}, 1.0, g.f32()), g.splat({8}, 0.0, g.f32()),
      g.splat({8}, 0.0, g.f32()), g.splat({8}, 1.0, g.f32()));
  h = g.named("relu1").relu(h);
  PoolOptions pool;
  pool.kernelShape = {2, 2};
  pool.strides = {2, 2};
  h = g.named("pool1").maxPool(h, pool);
  h = g.named("flatten").reshape(h, {0, -1});
  h = g.named("fc").matmul(h, g.weight("fc_w", {8 * 14 * 14, 10}));
  h = g.named("fc_bias").add(h, g.weight("fc_b", {10}));
  g.output("probabilities", g.named("softmax").softmax(h, -1));

  OwningOpRef<ModuleOp> module = g.finish();
  if (!module) {
    llvm::errs() << "kiln-builder-demo: the graph did not verify\n";
    return 1;
  }
  if (printWeights) {
    module->print(llvm::outs());
  } else {
    // The function alone: no resource section holding the weight blobs.
    module->getBody()->front().print(llvm::outs());
    llvm::outs() << "\n(weights elided; --weights prints them)";
  }
  llvm::outs() << "\n";
  return 0;
}
