//===- OutlineParallel.cpp - Parallel loops as functions over a sub-range -===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// kiln-outline-parallel: the loops kiln-cpu-tile marked `kiln.parallel` are
// checked on buffers, where a race would show (a scratch buffer allocated
// once outside the loop and written by every iteration, an arena view
// shared between iterations), and each loop that passes becomes a private
// function over a sub-range of its iterations, called over the whole range.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "ParallelMarkers.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNOUTLINEPARALLELPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using mlir::kiln::kParallelBody;
using mlir::kiln::kParallelCall;
using mlir::kiln::kParallelMarker;

namespace {

/// Answers whether values inside a loop depend on its induction variable.
class InductionDependence {
public:
  explicit InductionDependence(scf::ForOp loop) : loop(loop) {}

  /// Whether `value` is computed from the induction variable.
  bool operator()(Value value) {
    if (value == loop.getInductionVar())
      return true;
    Operation *def = value.getDefiningOp();
    if (!def || !loop->isProperAncestor(def))
      return false;
    auto [it, inserted] = known.try_emplace(value, false);
    if (!inserted)
      return it->second;
    bool depends = llvm::any_of(
        def->getOperands(), [&](Value operand) { return (*this)(operand); });
    known[value] = depends;
    return depends;
  }

private:
  scf::ForOp loop;
  llvm::DenseMap<Value, bool> known;
};

} // namespace

/// The index operands that address what `op` writes, for the stores the
/// loops are made of; none for another op.
static OperandRange writeIndices(Operation *op) {
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return store.getIndices();
  if (auto write = dyn_cast<vector::TransferWriteOp>(op))
    return write.getIndices();
  if (auto store = dyn_cast<vector::StoreOp>(op))
    return store.getIndices();
  if (auto store = dyn_cast<vector::MaskedStoreOp>(op))
    return store.getIndices();
  return op->getOperands().take_front(0);
}

/// Whether the write of `buffer` by `op`, inside `loop`, touches memory no
/// other iteration of `loop` writes: the buffer is allocated inside the
/// loop, or the write's indices or the offsets of a view it goes through
/// depend on the induction variable. (Which of them is disjoint per
/// iteration is what kiln-cpu-tile's marking vouches for; this check
/// catches the buffers that bufferization and memory planning share
/// between iterations.)
static bool isPrivateWrite(scf::ForOp loop, Operation *op, Value buffer,
                           InductionDependence &dependsOnIV) {
  if (llvm::any_of(writeIndices(op), dependsOnIV))
    return true;
  Value value = buffer;
  while (Operation *def = value.getDefiningOp()) {
    if (!loop->isProperAncestor(def))
      return false;
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      for (Value operand : def->getOperands())
        if (operand != view.getViewSource() && dependsOnIV(operand))
          return true;
      value = view.getViewSource();
      continue;
    }
    // A buffer of the iteration's own.
    auto effects = dyn_cast<MemoryEffectOpInterface>(def);
    return effects &&
           effects.getEffectOnValue<MemoryEffects::Allocate>(value).has_value();
  }
  return false;
}

/// Whether the iterations of `loop` may run at the same time: see the pass
/// description. Diagnoses nothing; a loop that fails stays serial.
static bool canRunInParallel(scf::ForOp loop) {
  if (loop.getNumResults() != 0)
    return false;
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!step || *step <= 0)
    return false;
  InductionDependence dependsOnIV(loop);
  WalkResult result = loop.getBody()->walk([&](Operation *op) {
    if (op->hasTrait<OpTrait::IsTerminator>() && op->getParentOp() == loop)
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return WalkResult::advance();
      return WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      if (isa<MemoryEffects::Read>(effect.getEffect()))
        continue;
      Value value = effect.getValue();
      if (!value)
        return WalkResult::interrupt();
      if (isa<MemoryEffects::Allocate>(effect.getEffect())) {
        if (!loop->isAncestor(value.getParentRegion()->getParentOp()))
          return WalkResult::interrupt();
        continue;
      }
      if (isa<MemoryEffects::Free>(effect.getEffect())) {
        Operation *def = value.getDefiningOp();
        if (!def || !loop->isProperAncestor(def))
          return WalkResult::interrupt();
        continue;
      }
      if (!isPrivateWrite(loop, op, value, dependsOnIV))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

/// Replaces `loop` by a call of a new private function `name`, which runs
/// the loop's body over a sub-range [begin, end) of its iterations.
static void outline(scf::ForOp loop, StringRef name, SymbolTable &symbols) {
  auto func = loop->getParentOfType<FunctionOpInterface>();
  MLIRContext *context = loop.getContext();
  Location loc = loop.getLoc();
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  used.insert(loop.getStep());
  // Constants are cloned into the function; the rest are its arguments.
  SmallVector<Value> captures;
  SmallVector<Operation *> constants;
  for (Value value : used) {
    Operation *def = value.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>() &&
        def->getNumResults() == 1)
      constants.push_back(def);
    else if (value != loop.getStep())
      captures.push_back(value);
  }
  auto index = IndexType::get(context);
  SmallVector<Type> types{index, index};
  for (Value value : captures)
    types.push_back(value.getType());

  OpBuilder builder(func);
  builder.setInsertionPointAfter(func);
  auto body = func::FuncOp::create(builder, loc, name,
                                   FunctionType::get(context, types, {}));
  body.setPrivate();
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  body->setAttr(kParallelBody,
                IntegerAttr::get(IntegerType::get(context, 64), *step));
  Block *entry = body.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  for (auto [i, value] : llvm::enumerate(captures))
    mapping.map(value, entry->getArgument(2 + i));
  // The bounds are set on the clone alone: the same values (a constant 0)
  // may bound loops inside the body too.
  auto clone = cast<scf::ForOp>(builder.clone(*loop, mapping));
  clone.setLowerBound(entry->getArgument(0));
  clone.setUpperBound(entry->getArgument(1));
  clone->removeAttr(kParallelMarker);
  func::ReturnOp::create(builder, loc);
  symbols.insert(body);

  builder.setInsertionPoint(loop);
  SmallVector<Value> operands{loop.getLowerBound(), loop.getUpperBound()};
  operands.append(captures);
  auto call = func::CallOp::create(builder, loc, body, operands);
  call->setAttr(kParallelCall, UnitAttr::get(context));
  loop.erase();
}

namespace {

struct KilnOutlineParallelPass
    : public kiln::impl::KilnOutlineParallelPassBase<KilnOutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      // Outer marked loops first; a marked loop inside another stays serial
      // inside the outer one's chunks.
      SmallVector<scf::ForOp> marked;
      func.walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
        if (!loop->hasAttr(kParallelMarker))
          return;
        if (!marked.empty() && marked.back()->isProperAncestor(loop)) {
          loop->removeAttr(kParallelMarker);
          return;
        }
        marked.push_back(loop);
      });
      unsigned count = 0;
      for (scf::ForOp loop : marked) {
        if (!canRunInParallel(loop)) {
          loop->removeAttr(kParallelMarker);
          ++numRefused;
          continue;
        }
        std::string name;
        do {
          name = (func.getSymName() + "_par" + Twine(count++)).str();
        } while (symbols.lookup(name));
        outline(loop, name, symbols);
        ++numOutlined;
      }
    }
  }
};

} // namespace
