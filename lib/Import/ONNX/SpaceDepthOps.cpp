//===- SpaceDepthOps.cpp - ONNX DepthToSpace and SpaceToDepth to kiln -----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Both ops are a reshape to 6-D, a transpose and a reshape back to 4-D.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

namespace {
/// The input and attributes of DepthToSpace and SpaceToDepth.
struct BlockArgs {
  Value x;
  /// The input's (N, C, H, W) shape, C, H and W static.
  ArrayRef<int64_t> shape;
  int64_t block;
  /// The mode: "DCR" (true) or "CRD".
  bool dcr;
};
} // namespace

/// Reads the input, blocksize and mode, and checks the (N, C, H, W) input.
static FailureOr<BlockArgs> getBlockArgs(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type || type.getRank() != 4)
    return n.error("the input must be 4-D (N, C, H, W)");
  if (llvm::any_of(type.getShape().drop_front(),
                   [](int64_t d) { return ShapedType::isDynamic(d); }))
    return n.error("C, H and W must be static");
  int64_t block = n.intAttr("blocksize", 0);
  if (block <= 0)
    return n.error("blocksize must be positive");
  std::string mode = n.stringAttr("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return n.error("unknown mode '" + mode + "'");
  return BlockArgs{*x, type.getShape(), block, mode == "DCR"};
}

static LogicalResult convertDepthToSpace(NodeImporter &n) {
  FailureOr<BlockArgs> args = getBlockArgs(n);
  if (failed(args))
    return failure();
  ArrayRef<int64_t> s = args->shape;
  int64_t b = args->block, c = s[1], h = s[2], w = s[3];
  if (c % (b * b) != 0)
    return n.error("the channels are not a multiple of blocksize^2");
  int64_t depth = c / (b * b);
  SmallVector<int64_t> six, perm;
  if (args->dcr) {
    six = {s[0], b, b, depth, h, w};
    perm = {0, 3, 4, 1, 5, 2};
  } else {
    six = {s[0], depth, b, b, h, w};
    perm = {0, 1, 4, 2, 5, 3};
  }
  Value r = reshapeTo(n, args->x, six);
  Value t = r ? n.create<TransposeOp>(r, perm) : Value();
  return n.finish(reshapeTo(n, t, {s[0], depth, h * b, w * b}));
}

static LogicalResult convertSpaceToDepth(NodeImporter &n) {
  FailureOr<BlockArgs> args = getBlockArgs(n);
  if (failed(args))
    return failure();
  ArrayRef<int64_t> s = args->shape;
  int64_t b = args->block, c = s[1], h = s[2], w = s[3];
  if (h % b != 0 || w % b != 0)
    return n.error("H and W must be multiples of blocksize");
  SmallVector<int64_t> perm = args->dcr
                                  ? SmallVector<int64_t>{0, 3, 5, 1, 2, 4}
                                  : SmallVector<int64_t>{0, 1, 3, 5, 2, 4};
  Value r = reshapeTo(n, args->x, {s[0], c, h / b, b, w / b, b});
  Value t = r ? n.create<TransposeOp>(r, perm) : Value();
  return n.finish(reshapeTo(n, t, {s[0], c * b * b, h / b, w / b}));
}

void onnx_import::registerSpaceDepthOps(OpConverterMap &map) {
  map["DepthToSpace"] = convertDepthToSpace;
  map["SpaceToDepth"] = convertSpaceToDepth;
}
