//===- BatchNormTraining.cpp - Batch normalisation in training mode -------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// kiln-batch-norm-training: a `kiln.batch_norm` whose mean and variance are
// arguments of the function normalises with the statistics of the batch
// instead, and the function returns the updated running statistics. The
// normalisation itself stays a `kiln.batch_norm`, now fed the batch mean and
// variance, which are computed with reductions of the input: the gradient of
// the training form is then the ops' own rules, exactly.
//
//===----------------------------------------------------------------------===//

#include "TrainingBuilder.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNBATCHNORMTRAININGPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct KilnBatchNormTrainingPass
    : public kiln::impl::KilnBatchNormTrainingPassBase<
          KilnBatchNormTrainingPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(rewrite()))
      signalPassFailure();
  }

private:
  LogicalResult rewrite();
};

/// The running statistic `value` is: an argument of `func` with a name.
static FailureOr<StringAttr> statisticName(func::FuncOp func, Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return failure();
  auto name =
      func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "kiln.name");
  if (!name)
    return failure();
  return name;
}

} // namespace

LogicalResult KilnBatchNormTrainingPass::rewrite() {
  ModuleOp module = getOperation();
  auto func = module.lookupSymbol<func::FuncOp>(function);
  if (!func)
    return module.emitError("kiln-batch-norm-training: no function '")
           << function << "'";
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return func.emitError("kiln-batch-norm-training: '")
           << function << "' must have a body of one block";
  if (!(momentum >= 0.0 && momentum <= 1.0))
    return func.emitError("kiln-batch-norm-training: momentum must be in "
                          "[0, 1] (")
           << momentum << ")";

  SmallVector<BatchNormOp> norms;
  func.walk([&](BatchNormOp op) {
    if (succeeded(statisticName(func, op.getMean())) &&
        succeeded(statisticName(func, op.getVariance())))
      norms.push_back(op);
  });
  if (norms.empty())
    return success();

  Block &body = func.getBody().front();
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<Value> results(returnOp.getOperands());
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned r = 0; r < func.getNumResults(); ++r)
    resultAttrs.push_back(func.getResultAttrDict(r));
  // Every statistic belongs to one batch norm; checked before any is
  // renamed.
  llvm::DenseSet<Value> claimed;
  for (BatchNormOp op : norms)
    for (Value statistic : {op.getMean(), op.getVariance()})
      if (!claimed.insert(statistic).second)
        return op.emitError("kiln-batch-norm-training: the running statistic ")
               << *statisticName(func, statistic)
               << " is used by two batch normalisations";
  for (BatchNormOp op : norms) {
    Value mean = op.getMean(), variance = op.getVariance();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto statType = cast<RankedTensorType>(mean.getType());
    if (inputType.getRank() < 2 || statType.getRank() != 1 ||
        variance.getType() != statType ||
        statType.getElementType() != inputType.getElementType())
      return op.emitError("kiln-batch-norm-training: needs an (N, C, ...) "
                          "input and (C) statistics of its element type");

    OpBuilder builder(op);
    TrainingBuilder tb(builder, op.getLoc());
    Type element = inputType.getElementType();
    SmallVector<int64_t> axes{0};
    for (int64_t d = 2; d < inputType.getRank(); ++d)
      axes.push_back(d);
    auto sumKeep = [&](Value v) {
      return tb.create<ReduceSumOp>(v, builder.getDenseI64ArrayAttr(axes),
                                    builder.getBoolAttr(true));
    };
    // The count of values per channel, read at run time for a dynamic
    // batch.
    Value count = tb.div(tb.cast(tb.create<SizeOp>(op.getInput()), element),
                         tb.cast(tb.create<SizeOp>(mean), element));
    Value meanKeep = tb.div(sumKeep(op.getInput()), count);
    Value centered = tb.sub(op.getInput(), meanKeep);
    Value varianceKeep = tb.div(sumKeep(tb.mul(centered, centered)), count);
    Value batchMean = tb.reshape(meanKeep, {-1});
    Value batchVariance = tb.reshape(varianceKeep, {-1});
    Value normalized =
        tb.create<BatchNormOp>(op.getInput(), op.getScale(), op.getBias(),
                               batchMean, batchVariance, op.getEpsilonAttr());
    // The running variance takes the unbiased batch variance, n / (n - 1)
    // times the one used to normalise.
    Value one = tb.scalar(1.0, element);
    Value unbiased = tb.mul(batchVariance, tb.div(count, tb.sub(count, one)));
    Value newMean =
        tb.add(tb.scale(mean, momentum), tb.scale(batchMean, 1.0 - momentum));
    Value newVariance = tb.add(tb.scale(variance, momentum),
                               tb.scale(unbiased, 1.0 - momentum));
    if (tb.hasFailed())
      return op.emitError("kiln-batch-norm-training: cannot build the "
                          "training form");
    op.getOutput().replaceAllUsesWith(normalized);
    op.erase();

    for (auto [statistic, updated] :
         {std::pair{mean, newMean}, std::pair{variance, newVariance}}) {
      unsigned index = cast<BlockArgument>(statistic).getArgNumber();
      StringRef name = (*statisticName(func, statistic)).getValue();
      std::string bufferName =
          name.starts_with("buffer:") ? name.str() : "buffer:" + name.str();
      func.setArgAttr(index, "kiln.name", builder.getStringAttr(bufferName));
      results.push_back(updated);
      resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
          "kiln.name", builder.getStringAttr(bufferName))));
    }
  }

  replaceResults(func, returnOp, results, resultAttrs);
  return success();
}
