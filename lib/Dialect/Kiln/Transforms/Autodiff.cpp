//===- Autodiff.cpp - Reverse-mode differentiation of kiln functions ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// kiln-autodiff: from a function returning a scalar loss, builds
// `<name>_grad` returning the loss and its gradient with respect to chosen
// arguments. The forward ops are cloned; the reverse sweep then visits the
// ops between those arguments and the loss in reverse order and asks each
// for its rule (KilnGradientOpInterface), adding up the gradients of a value
// used several times.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNAUTODIFFPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

/// True for the values that carry a gradient: float tensors.
static bool isDifferentiable(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// `name` of argument `index`, or `#index` when it has none.
static std::string describeArgument(func::FuncOp func, unsigned index) {
  if (auto name = func.getArgAttrOfType<StringAttr>(index, "kiln.name"))
    return ("#" + Twine(index) + " ('" + name.getValue() + "')").str();
  return ("#" + Twine(index)).str();
}

namespace {
struct KilnAutodiffPass
    : public kiln::impl::KilnAutodiffPassBase<KilnAutodiffPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(differentiate()))
      signalPassFailure();
  }

  LogicalResult differentiate();
  LogicalResult selectArguments(func::FuncOp func,
                                SmallVectorImpl<unsigned> &indices);
};
} // namespace

LogicalResult
KilnAutodiffPass::selectArguments(func::FuncOp func,
                                  SmallVectorImpl<unsigned> &indices) {
  unsigned numArgs = func.getNumArguments();
  if (wrt.empty()) {
    for (unsigned i = 0; i < numArgs; ++i)
      if (isDifferentiable(func.getArgumentTypes()[i]))
        indices.push_back(i);
    if (indices.empty())
      return func.emitError("kiln-autodiff: '")
             << func.getSymName()
             << "' has no floating-point argument to differentiate";
    return success();
  }
  for (const std::string &item : wrt) {
    StringRef text = StringRef(item).trim();
    std::optional<unsigned> index;
    unsigned parsed;
    if (!text.empty() && llvm::all_of(text, llvm::isDigit) &&
        !text.getAsInteger(10, parsed)) {
      if (parsed >= numArgs)
        return func.emitError("kiln-autodiff: '")
               << func.getSymName() << "' has no argument #" << parsed
               << " (it has " << numArgs << ")";
      index = parsed;
    } else {
      for (unsigned i = 0; i < numArgs && !index; ++i)
        if (auto name = func.getArgAttrOfType<StringAttr>(i, "kiln.name"))
          if (name.getValue() == text)
            index = i;
      if (!index)
        return func.emitError("kiln-autodiff: '")
               << func.getSymName() << "' has no argument named '" << text
               << "'";
    }
    if (!isDifferentiable(func.getArgumentTypes()[*index]))
      return func.emitError("kiln-autodiff: argument ")
             << describeArgument(func, *index) << " of '" << func.getSymName()
             << "' is not a floating-point tensor ("
             << func.getArgumentTypes()[*index] << ")";
    if (llvm::is_contained(indices, *index))
      return func.emitError("kiln-autodiff: argument ")
             << describeArgument(func, *index) << " is listed twice in 'wrt'";
    indices.push_back(*index);
  }
  return success();
}

LogicalResult KilnAutodiffPass::differentiate() {
  ModuleOp module = getOperation();
  auto original = module.lookupSymbol<func::FuncOp>(function);
  if (!original)
    return module.emitError("kiln-autodiff: no function '")
           << function << "' to differentiate";
  if (original.isExternal() || !original.getBody().hasOneBlock())
    return original.emitError("kiln-autodiff: '")
           << function << "' must have a body of one block";
  FunctionType type = original.getFunctionType();
  if (type.getNumResults() == 0)
    return original.emitError("kiln-autodiff: '")
           << function << "' must return the loss first (it returns "
           << "nothing)";
  auto lossType = dyn_cast<RankedTensorType>(type.getResult(0));
  if (!lossType || !isa<FloatType>(lossType.getElementType()) ||
      !lossType.hasStaticShape() || lossType.getNumElements() != 1)
    return original.emitError("kiln-autodiff: the loss returned by '")
           << function
           << "' must be a floating-point tensor of one element, not "
           << type.getResult(0);
  SmallVector<unsigned> wrtIndices;
  if (failed(selectArguments(original, wrtIndices)))
    return failure();

  std::string gradName = function + "_grad";
  if (!replace && module.lookupSymbol(gradName))
    return original.emitError("kiln-autodiff: a symbol named '")
           << gradName << "' already exists";
  if (replace && !SymbolTable::symbolKnownUseEmpty(original, module))
    return original.emitError("kiln-autodiff: cannot replace '")
           << function << "', which is used in the module";

  // The gradient function starts as a copy of the original.
  OpBuilder moduleBuilder(original);
  moduleBuilder.setInsertionPointAfter(original);
  func::FuncOp grad = cast<func::FuncOp>(moduleBuilder.clone(*original));
  grad.setSymName(gradName);
  Block &body = grad.getBody().front();
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  Value loss = returnOp.getOperand(0);

  // The values that depend on a differentiated argument...
  llvm::DenseSet<Value> varied;
  for (unsigned i : wrtIndices)
    varied.insert(body.getArgument(i));
  for (Operation &op : body.without_terminator())
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return varied.contains(v); }))
      for (Value result : op.getResults())
        if (isDifferentiable(result.getType()))
          varied.insert(result);
  // ...and those the loss depends on.
  llvm::DenseSet<Value> useful;
  useful.insert(loss);
  for (Operation &op : llvm::reverse(body.without_terminator()))
    if (llvm::any_of(op.getResults(),
                     [&](Value v) { return useful.contains(v); }))
      for (Value operand : op.getOperands())
        useful.insert(operand);
  auto isActive = [&](Value v) {
    return varied.contains(v) && useful.contains(v);
  };

  // Every op between a differentiated argument and the loss needs a rule.
  SmallVector<Operation *> active;
  bool missing = false;
  for (Operation &op : body.without_terminator()) {
    if (!llvm::any_of(op.getResults(), isActive))
      continue;
    if (!isa<GradientOpInterface>(op)) {
      op.emitError("kiln-autodiff: '")
          << op.getName() << "' has no gradient rule, and it lies between a "
          << "differentiated argument and the loss of '" << function << "'";
      missing = true;
    }
    active.push_back(&op);
  }
  if (missing) {
    grad.erase();
    return failure();
  }

  // The reverse sweep, building before the return.
  OpBuilder builder(returnOp);
  llvm::DenseMap<Value, Value> grads;
  auto accumulate = [&](Value value, Value g, Location loc) -> LogicalResult {
    auto [it, inserted] = grads.try_emplace(value, g);
    if (inserted)
      return success();
    Operation *sum = createVerified<AddOp>(builder, loc, 1, it->second, g);
    if (!sum)
      return failure();
    it->second = sum->getResult(0);
    return success();
  };
  {
    auto one = DenseElementsAttr::get(
        lossType, builder.getFloatAttr(lossType.getElementType(), 1.0));
    Value seed = ConstantOp::create(builder, loss.getLoc(), lossType,
                                    cast<ElementsAttr>(one));
    grads[loss] = seed;
  }
  for (Operation *op : llvm::reverse(active)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value result : op->getResults()) {
      Value g = isActive(result) ? grads.lookup(result) : Value();
      any |= static_cast<bool>(g);
      resultGrads.push_back(g);
    }
    if (!any)
      continue;
    SmallVector<Value> operandGrads(op->getNumOperands());
    if (failed(cast<GradientOpInterface>(op).buildGradient(builder, resultGrads,
                                                           operandGrads))) {
      op->emitError("kiln-autodiff: cannot build the gradient of '")
          << op->getName() << "'";
      grad.erase();
      return failure();
    }
    operandGrads.resize(op->getNumOperands());
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!g || !varied.contains(operand))
        continue;
      if (!areCompatibleResultTypes(TypeRange{operand.getType()},
                                    TypeRange{g.getType()})) {
        op->emitError("kiln-autodiff: the gradient rule of '")
            << op->getName() << "' gave " << g.getType()
            << " for an operand of type " << operand.getType();
        grad.erase();
        return failure();
      }
      if (failed(accumulate(operand, g, op->getLoc()))) {
        grad.erase();
        return failure();
      }
    }
  }

  // Return the loss, then the gradients (zero for an argument the loss does
  // not depend on), then the other results unchanged.
  SmallVector<Value> results{loss};
  for (unsigned i : wrtIndices) {
    BlockArgument arg = body.getArgument(i);
    Value g = grads.lookup(arg);
    if (!g) {
      auto argType = cast<RankedTensorType>(arg.getType());
      if (!argType.hasStaticShape()) {
        Operation *shape = createVerified<ShapeOp>(
            builder, arg.getLoc(), 1, arg, builder.getI64IntegerAttr(0),
            builder.getI64IntegerAttr(argType.getRank()));
        Operation *zeros =
            shape ? createVerified<ConstantOfShapeOp>(
                        builder, arg.getLoc(), 1, shape->getResult(0),
                        cast<TypedAttr>(builder.getFloatAttr(
                            argType.getElementType(), 0.0)))
                  : nullptr;
        if (!zeros) {
          grad.erase();
          return failure();
        }
        g = zeros->getResult(0);
      } else {
        auto zero = DenseElementsAttr::get(
            argType, builder.getFloatAttr(argType.getElementType(), 0.0));
        g = ConstantOp::create(builder, arg.getLoc(), argType,
                               cast<ElementsAttr>(zero));
      }
    }
    // A rule may have lost static sizes on the way (a gradient broadcast to
    // a shape read at run time); the gradient keeps its argument's type.
    // A dynamic dimension of the argument is copied from the gradient (a
    // reshape's 0).
    auto argType = cast<RankedTensorType>(arg.getType());
    if (g.getType() != argType) {
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d < argType.getRank(); ++d)
        shape.push_back(argType.isDynamicDim(d) ? 0 : argType.getDimSize(d));
      Operation *reshape = createVerified<ReshapeOp>(
          builder, arg.getLoc(), 1, g, builder.getDenseI64ArrayAttr(shape));
      if (!reshape || reshape->getResult(0).getType() != argType) {
        grad.erase();
        return original.emitError("kiln-autodiff: the gradient of argument ")
               << describeArgument(original, i) << " has type " << g.getType()
               << ", not its type " << argType;
      }
      g = reshape->getResult(0);
    }
    results.push_back(g);
  }
  llvm::append_range(results, returnOp.getOperands().drop_front());
  func::ReturnOp::create(builder, returnOp.getLoc(), results);
  returnOp.erase();

  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  DictionaryAttr lossAttrs = original.getResultAttrDict(0);
  SmallVector<DictionaryAttr> resultAttrs{
      lossAttrs ? lossAttrs : builder.getDictionaryAttr({})};
  for (unsigned i : wrtIndices) {
    auto name = original.getArgAttrOfType<StringAttr>(i, "kiln.name");
    std::string base =
        name ? name.getValue().str() : ("input" + Twine(i)).str();
    resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        "kiln.name", builder.getStringAttr(base + "_grad"))));
  }
  for (unsigned r = 1; r < type.getNumResults(); ++r) {
    DictionaryAttr attrs = original.getResultAttrDict(r);
    resultAttrs.push_back(attrs ? attrs : builder.getDictionaryAttr({}));
  }
  grad.setFunctionType(
      FunctionType::get(&getContext(), type.getInputs(), resultTypes));
  grad.setAllResultAttrs(resultAttrs);

  // Rules build gradients for every operand; drop those nobody reads.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();

  if (replace) {
    original.erase();
    grad.setSymName(function);
  }
  return success();
}
