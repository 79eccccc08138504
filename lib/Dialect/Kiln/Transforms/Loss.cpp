//===- Loss.cpp - A loss on a function's result ---------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// kiln-add-loss: replaces a function's results by a loss on one of them
// against a new labels argument. The losses are decompositions into kiln
// ops (log_softmax, a one-hot select, sums), so kiln-autodiff
// differentiates them exactly with the ops' own rules.
//
//===----------------------------------------------------------------------===//

#include "TrainingBuilder.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNADDLOSSPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

/// The number of elements of `value` as a rank-0 tensor of `element`: a
/// constant when its shape is static, else `kiln.size` at run time.
static Value countOf(TrainingBuilder &tb, Value value, Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.hasStaticShape())
    return tb.scalar(static_cast<double>(type.getNumElements()), element);
  return tb.cast(tb.create<SizeOp>(value), element);
}

/// The mean over every element of `y` of `-log_softmax(y)[label]` along
/// axis 1; `label` has y's shape without axis 1.
static Value buildCrossEntropy(TrainingBuilder &tb, Value y, Value label) {
  OpBuilder &b = tb.getBuilder();
  auto yType = cast<RankedTensorType>(y.getType());
  auto labelType = cast<RankedTensorType>(label.getType());
  int64_t rank = yType.getRank(), classes = yType.getDimSize(1);
  Type element = yType.getElementType();

  Value logProbs = tb.create<LogSoftmaxOp>(y, b.getI64IntegerAttr(1));
  // (N, d...) -> (N, 1, d...), to compare with the class ids (1, C, 1...).
  SmallVector<int64_t> shape;
  for (int64_t d : labelType.getShape())
    shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  shape.insert(shape.begin() + 1, 1);
  Value labels = tb.reshape(label, shape);
  SmallVector<int64_t> idShape(rank, 1);
  idShape[1] = classes;
  SmallVector<int64_t> ids;
  for (int64_t c = 0; c < classes; ++c)
    ids.push_back(c);
  auto idType = RankedTensorType::get(idShape, b.getI64Type());
  Value classIds = tb.create<ConstantOp>(cast<ElementsAttr>(
      DenseElementsAttr::get(idType, ArrayRef<int64_t>(ids))));
  Value oneHot = tb.create<EqualOp>(labels, classIds);
  Value picked = tb.create<WhereOp>(oneHot, logProbs, tb.scalar(0.0, element));
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  Value total = tb.reduceSum(picked, all);
  return tb.neg(tb.div(total, countOf(tb, label, element)));
}

/// The mean over every element of `(y - label)^2`.
static Value buildMeanSquaredError(TrainingBuilder &tb, Value y, Value label) {
  auto yType = cast<RankedTensorType>(y.getType());
  Value diff = tb.sub(y, label);
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < yType.getRank(); ++i)
    all.push_back(i);
  Value total = tb.reduceSum(tb.mul(diff, diff), all);
  return tb.div(total, countOf(tb, y, yType.getElementType()));
}

namespace {
struct KilnAddLossPass
    : public kiln::impl::KilnAddLossPassBase<KilnAddLossPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(addLoss()))
      signalPassFailure();
  }

  LogicalResult addLoss();
  FailureOr<unsigned> selectOutput(func::FuncOp func);
};
} // namespace

FailureOr<unsigned> KilnAddLossPass::selectOutput(func::FuncOp func) {
  unsigned numResults = func.getNumResults();
  StringRef text = StringRef(output).trim();
  if (text.empty())
    return 0u;
  unsigned index;
  if (llvm::all_of(text, llvm::isDigit) && !text.getAsInteger(10, index)) {
    if (index >= numResults)
      return func.emitError("kiln-add-loss: '")
             << func.getSymName() << "' has no result #" << index << " (it has "
             << numResults << ")";
    return index;
  }
  for (unsigned i = 0; i < numResults; ++i)
    if (auto name = func.getResultAttrOfType<StringAttr>(i, "kiln.name"))
      if (name.getValue() == text)
        return i;
  return func.emitError("kiln-add-loss: '")
         << func.getSymName() << "' has no result named '" << text << "'";
}

LogicalResult KilnAddLossPass::addLoss() {
  ModuleOp module = getOperation();
  auto func = module.lookupSymbol<func::FuncOp>(function);
  if (!func)
    return module.emitError("kiln-add-loss: no function '") << function << "'";
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return func.emitError("kiln-add-loss: '")
           << function << "' must have a body of one block";
  if (func.getNumResults() == 0)
    return func.emitError("kiln-add-loss: '")
           << function << "' returns nothing to compute a loss on";
  bool crossEntropy = loss == "cross_entropy";
  if (!crossEntropy && loss != "mse")
    return func.emitError("kiln-add-loss: unknown loss '")
           << loss << "' (cross_entropy, mse)";
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (auto name = func.getArgAttrOfType<StringAttr>(i, "kiln.name"))
      if (name.getValue() == label)
        return func.emitError("kiln-add-loss: '")
               << function << "' already has an argument named '" << label
               << "'";
  FailureOr<unsigned> index = selectOutput(func);
  if (failed(index))
    return failure();

  Block &body = func.getBody().front();
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  Value y = returnOp.getOperand(*index);
  auto yType = dyn_cast<RankedTensorType>(y.getType());
  if (!yType || !isa<FloatType>(yType.getElementType()))
    return func.emitError("kiln-add-loss: result #")
           << *index << " of '" << function
           << "' must be a floating-point tensor, not " << y.getType();

  RankedTensorType labelType;
  if (crossEntropy) {
    if (yType.getRank() < 2)
      return func.emitError("kiln-add-loss: cross_entropy needs logits of "
                            "rank 2 or more (N, C, d...), not ")
             << yType;
    if (yType.isDynamicDim(1))
      return func.emitError("kiln-add-loss: cross_entropy needs a static "
                            "number of classes (dimension 1 of ")
             << yType << ")";
    SmallVector<int64_t> shape(yType.getShape());
    shape.erase(shape.begin() + 1);
    if (llvm::count_if(shape, ShapedType::isDynamic) > 1)
      return func.emitError("kiln-add-loss: cross_entropy needs logits with "
                            "at most one dynamic dimension, not ")
             << yType;
    labelType =
        RankedTensorType::get(shape, IntegerType::get(&getContext(), 64));
  } else {
    labelType = yType;
  }

  OpBuilder builder(returnOp);
  Location loc = returnOp.getLoc();
  unsigned labelIndex = func.getNumArguments();
  if (failed(
          func.insertArgument(labelIndex, labelType,
                              builder.getDictionaryAttr(builder.getNamedAttr(
                                  "kiln.name", builder.getStringAttr(label))),
                              loc)))
    return func.emitError("kiln-add-loss: cannot add the labels argument");
  Value labels = func.getArgument(labelIndex);

  TrainingBuilder tb(builder, loc);
  Value lossValue = crossEntropy ? buildCrossEntropy(tb, y, labels)
                                 : buildMeanSquaredError(tb, y, labels);
  if (tb.hasFailed() || !lossValue)
    return func.emitError("kiln-add-loss: cannot build the ")
           << loss << " loss of '" << function << "'";

  func::ReturnOp::create(builder, loc, ValueRange{lossValue});
  returnOp.erase();
  func.setFunctionType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                         {lossValue.getType()}));
  func.setAllResultAttrs(ArrayRef<DictionaryAttr>{builder.getDictionaryAttr(
      builder.getNamedAttr("kiln.name", builder.getStringAttr("loss")))});

  // The other results' computations are no longer needed.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();
  return success();
}
