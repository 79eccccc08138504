//===- Optimizer.cpp - A training step from a gradient function -----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// kiln-optimizer: turns the gradient function kiln-autodiff builds into one
// optimizer step (SGD with momentum, Nesterov and weight decay; Adam;
// AdamW), with the learning-rate schedule computed from the step counter in
// the compiled code. The step takes the parameters, the optimizer's state
// and the counter, and returns their next values under the same names, so
// that a driver feeds each step's results back as the next step's
// arguments.
//
//===----------------------------------------------------------------------===//

#include "TrainingBuilder.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNOPTIMIZERPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// A differentiated argument and its gradient.
struct Parameter {
  unsigned argIndex;
  std::string name;
  Value grad;
  /// The gradient's position among the function's results.
  unsigned resultIndex;
};

/// The per-step scalars of one element type.
struct StepScalars {
  Value lr;
  /// Adam only: lr / (1 - beta1^t) and sqrt(1 - beta2^t), t = step + 1.
  Value stepSize;
  Value sqrtCorrection2;
};

struct KilnOptimizerPass
    : public kiln::impl::KilnOptimizerPassBase<KilnOptimizerPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(buildStep()))
      signalPassFailure();
  }

  LogicalResult checkOptions(func::FuncOp func);
  LogicalResult findParameters(func::FuncOp func,
                               SmallVectorImpl<Parameter> &params,
                               SmallVectorImpl<unsigned> &buffers);
  LogicalResult buildStep();
  StepScalars buildScalars(TrainingBuilder &tb, Value step, Type element);
  bool isAdam() const { return optimizer == "adam" || optimizer == "adamw"; }
  /// The state slots each parameter has.
  SmallVector<StringRef> slots() const {
    if (isAdam())
      return {"m", "v"};
    if (momentum != 0.0)
      return {"momentum"};
    return {};
  }
};
} // namespace

LogicalResult KilnOptimizerPass::checkOptions(func::FuncOp func) {
  auto bad = [&]() { return func.emitError("kiln-optimizer: "); };
  if (optimizer != "sgd" && !isAdam())
    return bad() << "unknown optimizer '" << optimizer
                 << "' (sgd, adam, adamw)";
  if (!(lr > 0.0) || !std::isfinite(lr))
    return bad() << "the learning rate must be positive (lr=" << lr << ")";
  if (!(weightDecay >= 0.0) || !std::isfinite(weightDecay))
    return bad() << "weight-decay must be 0 or more (" << weightDecay << ")";
  if (optimizer == "sgd") {
    if (!(momentum >= 0.0 && momentum < 1.0))
      return bad() << "momentum must be in [0, 1) (" << momentum << ")";
    if (nesterov && momentum == 0.0)
      return bad() << "nesterov needs a momentum above 0";
  } else {
    if (momentum != 0.0 || nesterov)
      return bad() << "momentum and nesterov are SGD's; " << optimizer
                   << " has beta1 and beta2";
    if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0))
      return bad() << "beta1 and beta2 must be in [0, 1) (" << beta1 << ", "
                   << beta2 << ")";
    if (!(eps > 0.0) || !std::isfinite(eps))
      return bad() << "eps must be positive (" << eps << ")";
  }
  if (lrSchedule == "step") {
    if (lrStepSize < 1)
      return bad() << "the step schedule needs lr-step-size of 1 or more ("
                   << static_cast<int64_t>(lrStepSize) << ")";
    if (!(lrGamma > 0.0) || !std::isfinite(lrGamma))
      return bad() << "lr-gamma must be positive (" << lrGamma << ")";
  } else if (lrSchedule == "cosine") {
    if (totalSteps < 1)
      return bad() << "the cosine schedule needs total-steps of 1 or more ("
                   << static_cast<int64_t>(totalSteps) << ")";
  } else if (lrSchedule != "constant") {
    return bad() << "unknown learning-rate schedule '" << lrSchedule
                 << "' (constant, step, cosine)";
  }
  return success();
}

LogicalResult
KilnOptimizerPass::findParameters(func::FuncOp func,
                                  SmallVectorImpl<Parameter> &params,
                                  SmallVectorImpl<unsigned> &buffers) {
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  unsigned numArgs = func.getNumArguments();
  if (func.getNumResults() < 2)
    return func.emitError("kiln-optimizer: '")
           << function
           << "' must return a loss and the gradients kiln-autodiff built "
              "(it returns "
           << func.getNumResults() << " values)";
  auto lossType = dyn_cast<RankedTensorType>(func.getResultTypes()[0]);
  if (!lossType || !isa<FloatType>(lossType.getElementType()) ||
      !lossType.hasStaticShape() || lossType.getNumElements() != 1)
    return func.emitError("kiln-optimizer: the first result of '")
           << function << "' must be the loss, a floating-point tensor of "
           << "one element, not " << func.getResultTypes()[0];
  for (unsigned r = 1; r < func.getNumResults(); ++r) {
    auto attr = func.getResultAttrOfType<StringAttr>(r, "kiln.name");
    StringRef name = attr ? attr.getValue() : StringRef();
    // Buffers (batch-norm running statistics) are updated by the forward
    // computation itself; the step returns them as they are.
    if (name.starts_with("buffer:")) {
      buffers.push_back(r);
      continue;
    }
    std::optional<unsigned> index;
    if (name.consume_back("_grad")) {
      for (unsigned i = 0; i < numArgs && !index; ++i)
        if (auto argName = func.getArgAttrOfType<StringAttr>(i, "kiln.name"))
          if (argName.getValue() == name)
            index = i;
      unsigned i;
      if (!index && name.consume_front("input") && !name.getAsInteger(10, i) &&
          i < numArgs && !func.getArgAttrOfType<StringAttr>(i, "kiln.name"))
        index = i;
    }
    if (!index)
      return func.emitError("kiln-optimizer: result #")
             << r << " of '" << function
             << "' is not named as the gradient of an argument ('<argument "
             << "name>_grad', as kiln-autodiff names them) or as a buffer "
             << "('buffer:<name>')";
    if (func.getResultTypes()[r] != func.getArgumentTypes()[*index])
      return func.emitError("kiln-optimizer: the gradient of argument #")
             << *index << " has type " << func.getResultTypes()[r]
             << ", not the argument's " << func.getArgumentTypes()[*index];
    if (llvm::any_of(params,
                     [&](const Parameter &p) { return p.argIndex == *index; }))
      return func.emitError("kiln-optimizer: argument #")
             << *index << " of '" << function << "' has two gradients";
    auto argName = func.getArgAttrOfType<StringAttr>(*index, "kiln.name");
    params.push_back(
        {*index,
         argName ? argName.getValue().str() : ("input" + Twine(*index)).str(),
         returnOp.getOperand(r), r});
  }
  // The names the step adds must not be taken by the other arguments.
  for (unsigned i = 0; i < numArgs; ++i) {
    if (llvm::any_of(params,
                     [&](const Parameter &p) { return p.argIndex == i; }))
      continue;
    auto argName = func.getArgAttrOfType<StringAttr>(i, "kiln.name");
    if (!argName)
      continue;
    StringRef n = argName.getValue();
    if (n == "step" || n == "loss" || n.starts_with("param:") ||
        n.starts_with("state:"))
      return func.emitError("kiln-optimizer: argument #")
             << i << " of '" << function << "' is named '" << n
             << "', a name the training step gives its own values";
  }
  return success();
}

StepScalars KilnOptimizerPass::buildScalars(TrainingBuilder &tb, Value step,
                                            Type element) {
  Type i64 = tb.getBuilder().getI64Type();
  StepScalars s;
  if (lrSchedule == "step") {
    // lr * gamma^floor(step / step-size), the quotient in integers.
    Value decays = tb.cast(tb.div(step, tb.scalar(lrStepSize, i64)), element);
    s.lr = tb.scale(tb.create<PowOp>(tb.scalar(lrGamma, element), decays), lr);
  } else if (lrSchedule == "cosine") {
    // lr * (1 + cos(pi * min(step, total) / total)) / 2.
    Value done = tb.cast(
        tb.create<MinOp>(step, tb.scalar(static_cast<double>(totalSteps), i64)),
        element);
    Value angle = tb.scale(done, M_PI / static_cast<double>(totalSteps));
    Value cosine = tb.create<CosOp>(angle);
    s.lr = tb.scale(tb.add(cosine, tb.scalar(1.0, element)), lr / 2.0);
  } else {
    s.lr = tb.scalar(lr, element);
  }
  if (isAdam()) {
    Value t = tb.add(tb.cast(step, element), tb.scalar(1.0, element));
    Value one = tb.scalar(1.0, element);
    Value correction1 =
        tb.sub(one, tb.create<PowOp>(tb.scalar(beta1, element), t));
    Value correction2 =
        tb.sub(one, tb.create<PowOp>(tb.scalar(beta2, element), t));
    s.stepSize = tb.div(s.lr, correction1);
    s.sqrtCorrection2 = tb.create<SqrtOp>(correction2);
  }
  return s;
}

LogicalResult KilnOptimizerPass::buildStep() {
  ModuleOp module = getOperation();
  auto original = module.lookupSymbol<func::FuncOp>(function);
  if (!original)
    return module.emitError("kiln-optimizer: no function '") << function << "'";
  if (original.isExternal() || !original.getBody().hasOneBlock())
    return original.emitError("kiln-optimizer: '")
           << function << "' must have a body of one block";
  if (failed(checkOptions(original)))
    return failure();
  SmallVector<Parameter> params;
  SmallVector<unsigned> buffers;
  if (failed(findParameters(original, params, buffers)))
    return failure();
  std::string stepName = replace ? function : function + "_step";
  if (!replace && module.lookupSymbol(stepName))
    return original.emitError("kiln-optimizer: a symbol named '")
           << stepName << "' already exists";

  func::FuncOp func = original;
  if (!replace) {
    OpBuilder moduleBuilder(original);
    moduleBuilder.setInsertionPointAfter(original);
    func = cast<func::FuncOp>(moduleBuilder.clone(*original));
    func.setSymName(stepName);
    // The gradients, found in the original, are the clone's return operands.
    auto cloneReturn =
        cast<func::ReturnOp>(func.getBody().front().getTerminator());
    for (Parameter &p : params)
      p.grad = cloneReturn.getOperand(p.resultIndex);
  }
  Block &body = func.getBody().front();
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  Location loc = returnOp.getLoc();
  OpBuilder builder(returnOp);
  auto named = [&](const Twine &name) {
    return builder.getDictionaryAttr(
        builder.getNamedAttr("kiln.name", builder.getStringAttr(name)));
  };

  // The state and the step counter are new arguments after the others.
  SmallVector<StringRef> slotNames = slots();
  SmallVector<SmallVector<Value>> state(params.size());
  for (auto [p, values] : llvm::zip(params, state)) {
    Type type = func.getArgumentTypes()[p.argIndex];
    for (StringRef slot : slotNames) {
      unsigned index = func.getNumArguments();
      if (failed(func.insertArgument(
              index, type, named("state:" + p.name + ":" + slot), loc)))
        return func.emitError("kiln-optimizer: cannot add an argument");
      values.push_back(func.getArgument(index));
    }
  }
  auto stepType = RankedTensorType::get({}, builder.getI64Type());
  unsigned stepIndex = func.getNumArguments();
  if (failed(func.insertArgument(stepIndex, stepType, named("step"), loc)))
    return func.emitError("kiln-optimizer: cannot add an argument");
  Value step = func.getArgument(stepIndex);

  TrainingBuilder tb(builder, loc);
  llvm::DenseMap<Type, StepScalars> scalars;
  SmallVector<Value> newParams;
  SmallVector<SmallVector<Value>> newState(params.size());
  for (auto [i, p] : llvm::enumerate(params)) {
    Value param = func.getArgument(p.argIndex), g = p.grad;
    Type element = TrainingBuilder::elementType(param);
    auto it = scalars.find(element);
    if (it == scalars.end())
      it = scalars.try_emplace(element, buildScalars(tb, step, element)).first;
    const StepScalars &s = it->second;
    if (optimizer == "sgd") {
      if (weightDecay != 0.0)
        g = tb.add(g, tb.scale(param, weightDecay));
      if (momentum != 0.0) {
        Value buffer = tb.add(tb.scale(state[i][0], momentum), g);
        newState[i].push_back(buffer);
        g = nesterov ? tb.add(g, tb.scale(buffer, momentum)) : buffer;
      }
      newParams.push_back(tb.sub(param, tb.mul(s.lr, g)));
      continue;
    }
    // Adam and AdamW.
    if (optimizer == "adamw" && weightDecay != 0.0)
      param = tb.mul(
          param, tb.sub(tb.scalar(1.0, element), tb.scale(s.lr, weightDecay)));
    else if (weightDecay != 0.0)
      g = tb.add(g, tb.scale(param, weightDecay));
    Value m = tb.add(tb.scale(state[i][0], beta1), tb.scale(g, 1.0 - beta1));
    Value v = tb.add(tb.scale(state[i][1], beta2),
                     tb.scale(tb.mul(g, g), 1.0 - beta2));
    Value denom = tb.add(tb.div(tb.create<SqrtOp>(v), s.sqrtCorrection2),
                         tb.scalar(eps, element));
    newParams.push_back(tb.sub(param, tb.mul(s.stepSize, tb.div(m, denom))));
    newState[i].push_back(m);
    newState[i].push_back(v);
  }
  Value nextStep = tb.add(step, tb.scalar(1.0, builder.getI64Type()));
  if (tb.hasFailed())
    return func.emitError("kiln-optimizer: cannot build the ")
           << optimizer << " step of '" << function << "'";

  // loss, the parameters, the state, the counter.
  SmallVector<Value> results{returnOp.getOperand(0)};
  SmallVector<DictionaryAttr> resultAttrs{named("loss")};
  for (auto [p, value] : llvm::zip(params, newParams)) {
    results.push_back(value);
    resultAttrs.push_back(named("param:" + p.name));
    func.setArgAttr(p.argIndex, "kiln.name",
                    builder.getStringAttr("param:" + p.name));
  }
  for (auto [p, values] : llvm::zip(params, newState))
    for (auto [slot, value] : llvm::zip(slotNames, values)) {
      results.push_back(value);
      resultAttrs.push_back(named("state:" + p.name + ":" + slot));
    }
  for (unsigned r : buffers) {
    results.push_back(returnOp.getOperand(r));
    resultAttrs.push_back(func.getResultAttrDict(r));
  }
  results.push_back(nextStep);
  resultAttrs.push_back(named("step"));
  replaceResults(func, returnOp, results, resultAttrs);
  return success();
}
