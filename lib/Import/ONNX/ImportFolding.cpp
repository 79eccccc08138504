//===- ImportFolding.cpp - Fold ops as the importer creates them ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// ONNX graphs compute shapes at run time (Shape, Gather, Concat, ...), even
// where every input shape is static. The importer folds each op it creates
// through the op's own folder, so that a shape computed from static shapes
// reaches its consumer (Reshape, Expand, ...) as a constant, and
// NodeImporter::constantInts sees it.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

/// Folded values above this many elements are not materialised (a splat
/// always is): folding is for shapes and indices, never for weights.
static constexpr int64_t kMaxFoldedElements = 64;

Value NodeImporter::foldCreated(Operation *op) {
  Value result = op->getResult(0);
  if (op->getNumResults() != 1 || isa<ConstantOp>(op))
    return result;
  SmallVector<OpFoldResult> folded;
  if (failed(op->fold(folded)) || folded.size() != 1)
    return result;
  if (auto value = dyn_cast<Value>(folded.front())) {
    if (value == result || value.getType() != result.getType())
      return result;
    op->erase();
    return value;
  }
  auto dense =
      dyn_cast_or_null<DenseElementsAttr>(dyn_cast<Attribute>(folded.front()));
  if (!dense || dense.getType() != result.getType() ||
      (!dense.isSplat() && dense.getNumElements() > kMaxFoldedElements))
    return result;
  Operation *constant = createVerified<ConstantOp>(builder, loc, 1, dense);
  if (!constant)
    return result;
  op->erase();
  return constant->getResult(0);
}
