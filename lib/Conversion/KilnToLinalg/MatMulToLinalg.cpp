//===- MatMulToLinalg.cpp - kiln.matmul to linalg -------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kiln.matmul` (numpy semantics) as `linalg.matmul` when both operands are
// matrices or the right one is a matrix (the left one's batch dims are
// collapsed into its rows), as `linalg.batch_matmul` when both have the same
// batch dims (collapsed into one), and as one `linalg.generic` otherwise
// (vectors, broadcast batch dims). The accumulator is the result type,
// zero-filled; integer products wrap in it.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// `a * b + acc` on scalars of a float or integer type.
Value multiplyAdd(OpBuilder &b, Location loc, Value a, Value x, Value acc) {
  if (isa<FloatType>(a.getType()))
    return arith::AddFOp::create(b, loc, acc,
                                 arith::MulFOp::create(b, loc, a, x));
  return arith::AddIOp::create(b, loc, acc,
                               arith::MulIOp::create(b, loc, a, x));
}

/// Collapses dims `[0, count)` of `value` into one.
Value collapseLeading(OpBuilder &b, Location loc, Value value, int64_t count) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < count; ++d)
    groups[0].push_back(d);
  for (int64_t d = count; d < rank; ++d)
    groups.push_back({d});
  return tensor::CollapseShapeOp::create(b, loc, value, groups);
}

/// Expands dim 0 of `value` into the leading `count` dims of `type`, whose
/// sizes are `sizes`.
Value expandLeading(OpBuilder &b, Location loc, Value value,
                    RankedTensorType type, int64_t count,
                    ArrayRef<OpFoldResult> sizes) {
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < count; ++d)
    groups[0].push_back(d);
  for (int64_t d = count; d < type.getRank(); ++d)
    groups.push_back({d});
  return tensor::ExpandShapeOp::create(b, loc, type, value, groups, sizes);
}

struct MatMulToLinalg : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    Type element = type.getElementType();
    if (element.isInteger(1))
      return rewriter.notifyMatchFailure(op, "boolean matmul");
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    int64_t lr = lhsType.getRank(), rr = rhsType.getRank();

    // The result's dim sizes: batch dims from whichever operand has them
    // (a dynamic size preferred, so that a broadcast 1 is never taken),
    // then the rows of lhs and the columns of rhs.
    int64_t batch = std::max(lr, rr) - 2;
    SmallVector<OpFoldResult> sizes;
    for (int64_t i = 0; i < batch; ++i) {
      int64_t ld = lr - 2 - batch + i, rd = rr - 2 - batch + i;
      int64_t size = type.getDimSize(i);
      if (!ShapedType::isDynamic(size)) {
        sizes.push_back(rewriter.getIndexAttr(size));
      } else if (ld >= 0 && lhsType.isDynamicDim(ld)) {
        sizes.push_back(dimSize(rewriter, loc, lhs, ld));
      } else {
        sizes.push_back(dimSize(rewriter, loc, rhs, rd));
      }
    }
    if (lr >= 2)
      sizes.push_back(dimSize(rewriter, loc, lhs, lr - 2));
    if (rr >= 2)
      sizes.push_back(dimSize(rewriter, loc, rhs, rr - 1));
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value init = fillTensor(rewriter, loc, zero,
                            emptyTensorOfSizes(rewriter, loc, sizes, element));

    auto sameBatch = [&] {
      for (int64_t i = 0; i < lr - 2; ++i) {
        int64_t l = lhsType.getDimSize(i), r = rhsType.getDimSize(i);
        if (l != r)
          return false;
      }
      return true;
    };

    if (lr == 2 && rr == 2) {
      rewriter.replaceOp(op, linalg::MatmulOp::create(rewriter, loc, type,
                                                      ValueRange{lhs, rhs},
                                                      ValueRange{init})
                                 .getResult(0));
      return success();
    }
    // Expanding one dim back into several dynamic ones trips an upstream
    // bug in expand-strided-metadata, so such groups take the general path.
    auto foldable = [&](int64_t count) {
      int64_t dynamic = 0;
      for (int64_t i = 0; i < count; ++i)
        dynamic += type.isDynamicDim(i);
      return dynamic <= 1;
    };

    if (lr > 2 && rr == 2 && foldable(lr - 1)) {
      // (B..., M, K) x (K, N): the batch dims become rows.
      Value a = collapseLeading(rewriter, loc, lhs, lr - 1);
      Value acc = collapseLeading(rewriter, loc, init, lr - 1);
      Value product =
          linalg::MatmulOp::create(rewriter, loc, acc.getType(),
                                   ValueRange{a, rhs}, ValueRange{acc})
              .getResult(0);
      rewriter.replaceOp(
          op, expandLeading(rewriter, loc, product, type, lr - 1, sizes));
      return success();
    }
    if (lr > 2 && lr == rr && sameBatch() && foldable(lr - 2)) {
      // Equal batch dims: collapsed into one for linalg.batch_matmul.
      Value a = collapseLeading(rewriter, loc, lhs, lr - 2);
      Value x = collapseLeading(rewriter, loc, rhs, rr - 2);
      Value acc = collapseLeading(rewriter, loc, init, lr - 2);
      Value product =
          linalg::BatchMatmulOp::create(rewriter, loc, acc.getType(),
                                        ValueRange{a, x}, ValueRange{acc})
              .getResult(0);
      rewriter.replaceOp(
          op, expandLeading(rewriter, loc, product, type, lr - 2, sizes));
      return success();
    }

    // The general case: loops over the result's dims, then the contracted
    // one. Batch dims of size 1 broadcast.
    MLIRContext *context = rewriter.getContext();
    int64_t rank = type.getRank(), loops = rank + 1;
    AffineExpr k = getAffineDimExpr(rank, context);
    auto batchExprs = [&](RankedTensorType t, int64_t operandBatch) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < operandBatch; ++i) {
        int64_t loop = batch - operandBatch + i;
        bool broadcasts = t.getDimSize(i) == 1 && type.getDimSize(loop) != 1;
        exprs.push_back(broadcasts ? getAffineConstantExpr(0, context)
                                   : getAffineDimExpr(loop, context));
      }
      return exprs;
    };
    SmallVector<AffineExpr> lhsExprs =
        batchExprs(lhsType, std::max<int64_t>(lr - 2, 0));
    if (lr >= 2)
      lhsExprs.push_back(getAffineDimExpr(batch, context));
    lhsExprs.push_back(k);
    SmallVector<AffineExpr> rhsExprs =
        batchExprs(rhsType, std::max<int64_t>(rr - 2, 0));
    rhsExprs.push_back(k);
    if (rr >= 2)
      rhsExprs.push_back(getAffineDimExpr(rank - 1, context));
    SmallVector<AffineMap> maps = {
        AffineMap::get(loops, 0, lhsExprs, context),
        AffineMap::get(loops, 0, rhsExprs, context),
        AffineMap::get(loops, 0,
                       llvm::to_vector(llvm::map_range(
                           llvm::seq<int64_t>(0, rank),
                           [&](int64_t d) -> AffineExpr {
                             return getAffineDimExpr(d, context);
                           })),
                       context)};
    SmallVector<utils::IteratorType> iterators(loops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{lhs, rhs}, ValueRange{init}, maps,
        iterators, [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(
              b, loc, multiplyAdd(b, loc, args[0], args[1], args[2]));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnMatMulToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<MatMulToLinalg>(converter, patterns.getContext());
}
