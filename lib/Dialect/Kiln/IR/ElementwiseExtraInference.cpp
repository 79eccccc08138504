//===- ElementwiseExtraInference.cpp - Shape functions of more ops --------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Shape functions of the ops in KilnElementwiseExtraOps.td that the shared
// ones in TypeInference.cpp do not cover.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/TypeInference.h"

using namespace mlir;
using namespace mlir::kiln;

LogicalResult
mlir::kiln::inferElementPredicate(const ShapeDiag &diag, Type input,
                                  SmallVectorImpl<Type> &results) {
  auto type = dyn_cast_or_null<RankedTensorType>(input);
  if (!type)
    return diag.error("input must be a ranked tensor, got ", input);
  results.push_back(type.clone(IntegerType::get(type.getContext(), 1)));
  return success();
}
