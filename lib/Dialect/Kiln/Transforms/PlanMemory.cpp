//===- PlanMemory.cpp - One arena for a function's static buffers ---------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Static memory planning: the statically sized intermediate buffers of a
// bufferized function share one arena whose size and offsets are decided at
// compile time from the buffers' lifetimes.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/STLExtras.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNPLANMEMORYPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

/// Every buffer starts at a multiple of this many bytes (a cache line, and
/// enough for any vector load).
static constexpr int64_t kAlignment = 64;

namespace {

/// One planned buffer: its size and lifetime, [start, end] in positions of
/// the entry block's ops, and the offset it gets.
struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  unsigned start;
  unsigned end;
  int64_t offset = 0;
};

} // namespace

static int64_t alignUp(int64_t value) {
  return (value + kAlignment - 1) / kAlignment * kAlignment;
}

/// The byte size of an allocation the arena can hold, or nullopt.
static std::optional<int64_t> plannableBytes(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace() || !alloc.getDynamicSizes().empty() ||
      !alloc.getSymbolOperands().empty())
    return std::nullopt;
  if (std::optional<uint64_t> alignment = alloc.getAlignment())
    if (*alignment > uint64_t(kAlignment) ||
        kAlignment % int64_t(*alignment) != 0)
      return std::nullopt;
  Type element = type.getElementType();
  int64_t elementBytes;
  if (element.isIndex()) {
    elementBytes = 8;
  } else if (element.isIntOrFloat() &&
             element.getIntOrFloatBitWidth() % 8 == 0) {
    elementBytes = element.getIntOrFloatBitWidth() / 8;
  } else {
    return std::nullopt;
  }
  int64_t bytes = elementBytes;
  for (int64_t dim : type.getShape())
    if (llvm::MulOverflow(bytes, dim, bytes))
      return std::nullopt;
  return bytes;
}

/// Whether `user` turns its memref operand `use` into something the
/// lifetime analysis cannot follow: a value that is not a memref but may
/// still point into the buffer, a store of the memref itself, a return or a
/// deallocation.
static bool escapes(OpOperand &use) {
  Operation *user = use.getOwner();
  if (isa<func::ReturnOp, memref::DeallocOp, bufferization::ToTensorOp,
          memref::ExtractAlignedPointerAsIndexOp, UnrealizedConversionCastOp>(
          user))
    return true;
  if (isa_and_nonnull<LLVM::LLVMDialect>(user->getDialect()))
    return true;
  if (auto store = dyn_cast<memref::StoreOp>(user))
    return &use == &store.getValueMutable();
  return false;
}

/// The position in the entry block of the last op that uses `root` or a
/// value derived from it, or nullopt when the buffer escapes. Derived values
/// are every memref result of an op that takes the buffer, the memref
/// results of the op a region yields the buffer to, and the memref block
/// arguments of the regions the buffer is passed into.
static std::optional<unsigned>
lastUse(Value root, Block &entry, const DenseMap<Operation *, unsigned> &order,
        unsigned start) {
  unsigned last = start;
  SmallVector<Value> worklist{root};
  DenseSet<Value> seen;
  auto follow = [&](ValueRange values) {
    for (Value value : values)
      if (isa<BaseMemRefType>(value.getType()))
        worklist.push_back(value);
  };
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (!seen.insert(value).second)
      continue;
    for (OpOperand &use : value.getUses()) {
      if (escapes(use))
        return std::nullopt;
      Operation *user = use.getOwner();
      Operation *anchor = entry.findAncestorOpInBlock(*user);
      if (!anchor)
        return std::nullopt;
      last = std::max(last, order.lookup(anchor));
      follow(user->getResults());
      for (Region &region : user->getRegions())
        for (Block &block : region)
          follow(block.getArguments());
      if (user->hasTrait<OpTrait::IsTerminator>() && user != anchor) {
        Operation *parent = user->getParentOp();
        follow(parent->getResults());
        for (Region &region : parent->getRegions())
          for (Block &block : region)
            follow(block.getArguments());
      }
    }
  }
  return last;
}

/// Gives each buffer the lowest aligned offset that no buffer with an
/// overlapping lifetime occupies, largest buffers first; returns the arena's
/// size.
static int64_t assignOffsets(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> bySize;
  for (Buffer &buffer : buffers)
    bySize.push_back(&buffer);
  llvm::stable_sort(bySize, [](const Buffer *a, const Buffer *b) {
    return a->bytes > b->bytes;
  });
  int64_t size = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *buffer : bySize) {
    SmallVector<std::pair<int64_t, int64_t>> taken;
    for (Buffer *other : placed)
      if (other->start <= buffer->end && buffer->start <= other->end)
        taken.push_back({other->offset, other->offset + other->bytes});
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [begin, end] : taken) {
      if (offset + buffer->bytes <= begin)
        break;
      offset = std::max(offset, alignUp(end));
    }
    buffer->offset = offset;
    size = std::max(size, offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return alignUp(size);
}

namespace {

struct KilnPlanMemoryPass
    : public kiln::impl::KilnPlanMemoryPassBase<KilnPlanMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    DenseMap<Operation *, unsigned> order;
    for (auto [index, op] : llvm::enumerate(entry))
      order[&op] = index;

    SmallVector<Buffer> buffers;
    unsigned kept = 0;
    func.walk([&](memref::AllocOp alloc) {
      std::optional<int64_t> bytes = plannableBytes(alloc);
      std::optional<unsigned> end;
      if (bytes && alloc->getBlock() == &entry)
        end = lastUse(alloc, entry, order, order.lookup(alloc));
      if (!end) {
        ++kept;
        return;
      }
      buffers.push_back({alloc, *bytes, order.lookup(alloc), *end});
    });
    numKept += kept;
    if (buffers.empty()) {
      if (report)
        func.emitRemark() << "memory plan: no buffer in an arena, " << kept
                          << " allocation(s) at run time";
      return;
    }

    int64_t size = assignOffsets(buffers);
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    auto arenaType = MemRefType::get({size}, b.getI8Type());
    Value arena = memref::AllocOp::create(b, func.getLoc(), arenaType,
                                          b.getI64IntegerAttr(kAlignment));
    // One constant per distinct offset, beside the arena.
    DenseMap<int64_t, Value> offsets;
    for (Buffer &buffer : buffers) {
      Value &offset = offsets[buffer.offset];
      if (!offset)
        offset =
            arith::ConstantIndexOp::create(b, func.getLoc(), buffer.offset);
    }
    for (Buffer &buffer : buffers) {
      b.setInsertionPoint(buffer.alloc);
      Location loc = buffer.alloc.getLoc();
      Value offset = offsets.lookup(buffer.offset);
      Value view = memref::ViewOp::create(b, loc, buffer.alloc.getType(), arena,
                                          offset, ValueRange());
      buffer.alloc.replaceAllUsesWith(view);
      buffer.alloc.erase();
      bufferBytes += buffer.bytes;
    }
    if (report) {
      int64_t total = 0;
      for (const Buffer &buffer : buffers)
        total += buffer.bytes;
      func.emitRemark() << "memory plan: " << buffers.size() << " buffer(s) of "
                        << total << " bytes in an arena of " << size
                        << " bytes, " << kept << " allocation(s) at run time";
    }
    numPlanned += buffers.size();
    arenaBytes += size;
  }
};

} // namespace
