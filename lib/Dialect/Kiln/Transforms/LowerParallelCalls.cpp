//===- LowerParallelCalls.cpp - Parallel calls through the runtime's hook -===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// kiln-lower-parallel-calls: on the LLVM dialect, each call of a function
// that kiln-outline-parallel made becomes a call of `kiln_parallel_for`
// with a thunk and the call's other arguments packed in a stack struct, so
// that the runtime's threads can run chunks of the range. The module keeps
// no state of its own per call: the hook is set once, when it is loaded.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "ParallelMarkers.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNLOWERPARALLELCALLSPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using mlir::kiln::kParallelBody;
using mlir::kiln::kParallelCall;

static constexpr StringLiteral kHookGlobal = "kiln_parallel_hook";
static constexpr StringLiteral kSetHook = "kiln_set_parallel_hook";
static constexpr StringLiteral kParallelFor = "kiln_parallel_for";

namespace {

/// The symbols every lowered call uses, built once per module.
struct ParallelRuntime {
  LLVM::LLVMFuncOp parallelFor;
  LLVM::LLVMFunctionType thunkType;
};

} // namespace

/// Adds the hook's global, `kiln_set_parallel_hook` and `kiln_parallel_for`
/// to `module`.
static ParallelRuntime buildParallelRuntime(ModuleOp module) {
  MLIRContext *context = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto i64 = IntegerType::get(context, 64);
  auto voidType = LLVM::LLVMVoidType::get(context);

  // The hook, null until the runtime sets it.
  auto global =
      LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                             LLVM::Linkage::Internal, kHookGlobal, Attribute());
  {
    OpBuilder::InsertionGuard guard(b);
    Block *init = b.createBlock(&global.getInitializerRegion());
    b.setInsertionPointToStart(init);
    LLVM::ReturnOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptr));
  }

  // void kiln_set_parallel_hook(void *hook): exported (CodeGen keeps it).
  auto setHook = LLVM::LLVMFuncOp::create(
      b, loc, kSetHook, LLVM::LLVMFunctionType::get(voidType, {ptr}));
  {
    OpBuilder::InsertionGuard guard(b);
    Block *entry = setHook.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    Value address = LLVM::AddressOfOp::create(b, loc, global);
    LLVM::StoreOp::create(b, loc, entry->getArgument(0), address);
    LLVM::ReturnOp::create(b, loc, ValueRange());
  }

  // void kiln_parallel_for(thunk, ctx, lb, ub, step): the hook, or the
  // thunk over the whole range without one.
  auto thunkType = LLVM::LLVMFunctionType::get(voidType, {ptr, i64, i64});
  auto hookType =
      LLVM::LLVMFunctionType::get(voidType, {ptr, ptr, i64, i64, i64});
  auto parallelFor = LLVM::LLVMFuncOp::create(b, loc, kParallelFor, hookType,
                                              LLVM::Linkage::Internal);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *entry = parallelFor.addEntryBlock(b);
    Block *serial = b.createBlock(&parallelFor.getBody());
    Block *threaded = b.createBlock(&parallelFor.getBody());
    b.setInsertionPointToStart(entry);
    Value address = LLVM::AddressOfOp::create(b, loc, global);
    Value hook = LLVM::LoadOp::create(b, loc, ptr, address);
    Value none = LLVM::ZeroOp::create(b, loc, ptr);
    Value isNull =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, hook, none);
    LLVM::CondBrOp::create(b, loc, isNull, serial, threaded);
    auto args = entry->getArguments();
    b.setInsertionPointToStart(serial);
    LLVM::CallOp::create(b, loc, thunkType,
                         ValueRange{args[0], args[1], args[2], args[3]});
    LLVM::ReturnOp::create(b, loc, ValueRange());
    b.setInsertionPointToStart(threaded);
    SmallVector<Value> hookArgs{hook};
    hookArgs.append(args.begin(), args.end());
    LLVM::CallOp::create(b, loc, hookType, hookArgs);
    LLVM::ReturnOp::create(b, loc, ValueRange());
  }
  return {parallelFor, thunkType};
}

/// The struct holding the arguments of `body` after the sub-range.
static LLVM::LLVMStructType contextType(LLVM::LLVMFuncOp body) {
  ArrayRef<Type> params = body.getFunctionType().getParams();
  return LLVM::LLVMStructType::getLiteral(body.getContext(),
                                          params.drop_front(2));
}

/// Adds `<body>_thunk(ptr ctx, i64 begin, i64 end)`, which loads the other
/// arguments of `body` from `ctx` and calls it.
static LLVM::LLVMFuncOp buildThunk(LLVM::LLVMFuncOp body,
                                   const ParallelRuntime &runtime,
                                   SymbolTable &symbols) {
  Location loc = body.getLoc();
  OpBuilder b(body);
  b.setInsertionPointAfter(body);
  auto thunk =
      LLVM::LLVMFuncOp::create(b, loc, (body.getName() + "_thunk").str(),
                               runtime.thunkType, LLVM::Linkage::Internal);
  symbols.insert(thunk);
  Block *entry = thunk.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  LLVM::LLVMStructType context = contextType(body);
  SmallVector<Value> args{entry->getArgument(1), entry->getArgument(2)};
  for (auto [i, type] : llvm::enumerate(context.getBody())) {
    Value field =
        LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                            context, entry->getArgument(0),
                            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    args.push_back(LLVM::LoadOp::create(b, loc, type, field));
  }
  LLVM::CallOp::create(b, loc, body, args);
  LLVM::ReturnOp::create(b, loc, ValueRange());
  return thunk;
}

/// Replaces `call` (of `body`, step `step`) by a call of kiln_parallel_for
/// with `thunk` and the arguments in a struct on the caller's stack.
static void lowerCall(LLVM::CallOp call, LLVM::LLVMFuncOp body,
                      LLVM::LLVMFuncOp thunk, int64_t step,
                      const ParallelRuntime &runtime) {
  Location loc = call.getLoc();
  MLIRContext *context = call.getContext();
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto i64 = IntegerType::get(context, 64);
  LLVM::LLVMStructType type = contextType(body);
  OpBuilder b(call);
  Value ctx;
  if (type.getBody().empty()) {
    ctx = LLVM::ZeroOp::create(b, loc, ptr);
  } else {
    // In the entry block, so that a call inside a loop reuses one slot.
    auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
    OpBuilder entry = OpBuilder::atBlockBegin(&caller.getBody().front());
    Value one =
        LLVM::ConstantOp::create(entry, loc, i64, entry.getI64IntegerAttr(1));
    ctx = LLVM::AllocaOp::create(entry, loc, ptr, type, one);
    for (auto [i, value] :
         llvm::enumerate(call.getArgOperands().drop_front(2))) {
      Value field = LLVM::GEPOp::create(
          b, loc, ptr, type, ctx,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(b, loc, value, field);
    }
  }
  Value thunkAddress = LLVM::AddressOfOp::create(b, loc, thunk);
  Value stepValue =
      LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(step));
  ValueRange args = call.getArgOperands();
  LLVM::CallOp::create(
      b, loc, runtime.parallelFor,
      ValueRange{thunkAddress, ctx, args[0], args[1], stepValue});
  call.erase();
}

namespace {

struct KilnLowerParallelCallsPass
    : public kiln::impl::KilnLowerParallelCallsPassBase<
          KilnLowerParallelCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    auto i64 = IntegerType::get(&getContext(), 64);
    SmallVector<LLVM::LLVMFuncOp> bodies;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>()) {
      if (!func->hasAttr(kParallelBody))
        continue;
      auto step = dyn_cast<IntegerAttr>(func->getAttr(kParallelBody));
      LLVM::LLVMFunctionType type = func.getFunctionType();
      if (!step || step.getInt() <= 0 || type.getNumParams() < 2 ||
          type.getParamType(0) != i64 || type.getParamType(1) != i64 ||
          !isa<LLVM::LLVMVoidType>(type.getReturnType()) || func.isExternal()) {
        func.emitError() << "'" << kParallelBody
                         << "' needs a positive step and a defined function "
                            "(i64 begin, i64 end, ...) returning nothing";
        return signalPassFailure();
      }
      bodies.push_back(func);
    }
    if (bodies.empty())
      return;
    if (symbols.lookup(kHookGlobal) || symbols.lookup(kSetHook) ||
        symbols.lookup(kParallelFor)) {
      module.emitError() << "the module already defines '" << kSetHook << "', '"
                         << kParallelFor << "' or '" << kHookGlobal << "'";
      return signalPassFailure();
    }
    ParallelRuntime runtime = buildParallelRuntime(module);
    for (LLVM::LLVMFuncOp body : bodies) {
      int64_t step = cast<IntegerAttr>(body->getAttr(kParallelBody)).getInt();
      body->removeAttr(kParallelBody);
      LLVM::LLVMFuncOp thunk = buildThunk(body, runtime, symbols);
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(body, module);
      SmallVector<LLVM::CallOp> calls;
      bool other = !uses.has_value();
      if (uses)
        for (const SymbolTable::SymbolUse &use : *uses) {
          auto call = dyn_cast<LLVM::CallOp>(use.getUser());
          if (call && call.getCallee() == body.getName())
            calls.push_back(call);
          else if (use.getUser() != thunk)
            other = true;
        }
      if (other) {
        body.emitError() << "a parallel body is only called, never taken as "
                            "an address";
        return signalPassFailure();
      }
      for (LLVM::CallOp call : calls) {
        if (call == nullptr ||
            call->getParentOfType<LLVM::LLVMFuncOp>() == thunk)
          continue;
        call->removeAttr(kParallelCall);
        lowerCall(call, body, thunk, step, runtime);
        ++numCalls;
      }
    }
  }
};

} // namespace
