//===- UniqueToLinalg.cpp - kiln.nonzero and kiln.unique to linalg --------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The ops with a data-dependent result size. `kiln.nonzero` counts the
// non-zero elements, then writes their indices in a second pass.
// `kiln.unique` views the input as a matrix of slices (A, S) (the axis
// moved first and the rest flattened; without an axis, (N, 1)) and, with
// `scf.for` loops comparing slices lexicographically, finds each slice's
// first occurrence, each unique slice's rank (in sorted or first-occurrence
// order), and then writes the uniques, their first indices, the inverse
// indices and the counts. It is quadratic in the number of slices, which
// is fine for the index-sized tensors these ops see in models.
//
//===----------------------------------------------------------------------===//

#include "IndexingUtils.h"
#include "Utils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::kiln;

using LoopBody =
    function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)>;

/// An `scf.for` from `lb` to `ub` carrying `init`; returns its results.
static SmallVector<Value> forLoop(OpBuilder &b, Location loc, Value lb,
                                  Value ub, ValueRange init, LoopBody body) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, one, init,
      [&](OpBuilder &fb, Location fl, Value iv, ValueRange args) {
        scf::YieldOp::create(fb, fl, body(fb, fl, iv, args));
      });
  return SmallVector<Value>(loop.getResults());
}

/// `scf.if` yielding `then`'s values when `cond` holds, else `otherwise`.
static SmallVector<Value>
ifThen(OpBuilder &b, Location loc, Value cond,
       function_ref<SmallVector<Value>(OpBuilder &, Location)> then,
       ValueRange otherwise) {
  auto ifOp = scf::IfOp::create(
      b, loc, cond,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, then(tb, tl));
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(eb, el, otherwise);
      });
  return SmallVector<Value>(ifOp.getResults());
}

static Value addOne(OpBuilder &b, Location loc, Value v) {
  return arith::AddIOp::create(b, loc, v,
                               arith::ConstantIndexOp::create(b, loc, 1));
}

static Value toI64(OpBuilder &b, Location loc, Value index) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
}

namespace {

/// `kiln.nonzero`: counts, then writes each non-zero element's indices.
struct NonZeroToLinalg : OneResultPattern<NonZeroOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(NonZeroOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Type elementType = getElementTypeOrSelf(op.getInput().getType());
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    SmallVector<Value> dims =
        indexValues(rewriter, loc, dimSizes(rewriter, loc, input));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    auto isNonZero = [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
      Value x = tensor::ExtractOp::create(b, l, input, ivs);
      return castScalar(b, l, x, elementType, b.getI1Type());
    };
    // A loop nest over the input carrying `init`.
    auto nest = [&](ValueRange init,
                    function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                    ValueRange, ValueRange)>
                        body) {
      SmallVector<Value> ivs;
      std::function<SmallVector<Value>(OpBuilder &, Location, int64_t,
                                       ValueRange)>
          level = [&](OpBuilder &b, Location l, int64_t d,
                      ValueRange args) -> SmallVector<Value> {
        if (d == rank)
          return body(b, l, ivs, args);
        return forLoop(
            b, l, arith::ConstantIndexOp::create(b, l, 0), dims[d], args,
            [&](OpBuilder &fb, Location fl, Value iv, ValueRange carried) {
              ivs.push_back(iv);
              SmallVector<Value> r = level(fb, fl, d + 1, carried);
              ivs.pop_back();
              return r;
            });
      };
      return level(rewriter, loc, 0, init);
    };
    Value count = nest(ValueRange{zero}, [&](OpBuilder &b, Location l,
                                             ValueRange ivs, ValueRange args) {
      Value next = arith::SelectOp::create(b, l, isNonZero(b, l, ivs),
                                           addOne(b, l, args[0]), args[0]);
      return SmallVector<Value>{next};
    })[0];
    Value init = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(rank), count},
        rewriter.getI64Type());
    Value result =
        nest(ValueRange{init, zero}, [&](OpBuilder &b, Location l,
                                         ValueRange ivs, ValueRange args) {
          return ifThen(
              b, l, isNonZero(b, l, ivs),
              [&](OpBuilder &tb, Location tl) {
                Value t = args[0];
                for (int64_t d = 0; d < rank; ++d) {
                  Value row = arith::ConstantIndexOp::create(tb, tl, d);
                  t = tensor::InsertOp::create(tb, tl, toI64(tb, tl, ivs[d]), t,
                                               ValueRange{row, args[1]});
                }
                return SmallVector<Value>{t, addOne(tb, tl, args[1])};
              },
              args);
        })[0];
    return result;
  }
};

/// `kiln.unique`, by comparing slices (see the file comment).
struct UniqueToLinalg : OpConversionPattern<UniqueOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(UniqueOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    const TypeConverter &converter = *getTypeConverter();
    auto outputType = convertedTensorType(converter, op.getOutput().getType());
    auto indicesType =
        convertedTensorType(converter, op.getIndices().getType());
    auto inverseType =
        convertedTensorType(converter, op.getInverseIndices().getType());
    auto countsType = convertedTensorType(converter, op.getCounts().getType());
    if (!outputType || !indicesType || !inverseType || !countsType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = inputType.getRank();
    if (rank == 0)
      return rewriter.notifyMatchFailure(op, "rank-0 input");
    Type elementType = inputType.getElementType();
    bool isFloat = isa<FloatType>(elementType);
    bool isUnsigned =
        isUnsignedInt(op.getInput().getType()) || elementType.isInteger(1);
    std::optional<int64_t> axis;
    if (op.getAxis())
      axis = *op.getAxis();
    OpBuilder &b = rewriter;
    Type i64 = b.getI64Type();
    IndexArith ia{b, loc};

    // The matrix of slices, (A, S).
    SmallVector<OpFoldResult> sizes = dimSizes(b, loc, input);
    SmallVector<OpFoldResult> others;
    Value matrix;
    if (!axis) {
      OpFoldResult n = ia.index(1);
      for (OpFoldResult s : sizes)
        n = ia.mul(n, s);
      Value flat = input;
      SmallVector<ReassociationIndices> all(1);
      for (int64_t d = 0; d < rank; ++d)
        all[0].push_back(d);
      if (rank > 1)
        flat = tensor::CollapseShapeOp::create(b, loc, input, all);
      auto flatType = cast<RankedTensorType>(flat.getType());
      matrix = tensor::ExpandShapeOp::create(
          b, loc,
          RankedTensorType::get({flatType.getDimSize(0), 1}, elementType), flat,
          SmallVector<ReassociationIndices>{{0, 1}},
          ArrayRef<OpFoldResult>{n, ia.index(1)});
    } else {
      SmallVector<int64_t> perm{*axis};
      SmallVector<OpFoldResult> permuted{sizes[*axis]};
      for (int64_t d = 0; d < rank; ++d) {
        if (d == *axis)
          continue;
        perm.push_back(d);
        permuted.push_back(sizes[d]);
        others.push_back(sizes[d]);
      }
      Value moved = input;
      if (*axis != 0) {
        Value init = emptyTensorOfSizes(b, loc, permuted, elementType);
        moved = linalg::TransposeOp::create(b, loc, input, init, perm)
                    .getResult()[0];
      }
      if (rank == 1) {
        auto movedType = cast<RankedTensorType>(moved.getType());
        matrix = tensor::ExpandShapeOp::create(
            b, loc,
            RankedTensorType::get({movedType.getDimSize(0), 1}, elementType),
            moved, SmallVector<ReassociationIndices>{{0, 1}},
            ArrayRef<OpFoldResult>{permuted[0], ia.index(1)});
      } else if (rank == 2) {
        matrix = moved;
      } else {
        SmallVector<ReassociationIndices> groups{{0}, {}};
        for (int64_t d = 1; d < rank; ++d)
          groups[1].push_back(d);
        matrix = tensor::CollapseShapeOp::create(b, loc, moved, groups);
      }
    }
    Value a = ia.value(dimSize(b, loc, matrix, 0));
    OpFoldResult sSize = dimSize(b, loc, matrix, 1);
    Value s = ia.value(sSize);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);

    // Compares slices `i` and `j`: -1, 0 or 1 (i32).
    auto compare = [&](OpBuilder &cb, Location cl, Value i, Value j) -> Value {
      Type i32 = cb.getI32Type();
      Value eq = arith::ConstantIntOp::create(cb, cl, i32, 0);
      return forLoop(
          cb, cl, arith::ConstantIndexOp::create(cb, cl, 0), s, ValueRange{eq},
          [&](OpBuilder &fb, Location fl, Value k, ValueRange state) {
            Value x =
                tensor::ExtractOp::create(fb, fl, matrix, ValueRange{i, k});
            Value y =
                tensor::ExtractOp::create(fb, fl, matrix, ValueRange{j, k});
            Value lt, gt;
            if (isFloat) {
              lt = arith::CmpFOp::create(fb, fl, arith::CmpFPredicate::OLT, x,
                                         y);
              gt = arith::CmpFOp::create(fb, fl, arith::CmpFPredicate::OGT, x,
                                         y);
            } else {
              lt = arith::CmpIOp::create(fb, fl,
                                         isUnsigned ? arith::CmpIPredicate::ult
                                                    : arith::CmpIPredicate::slt,
                                         x, y);
              gt = arith::CmpIOp::create(fb, fl,
                                         isUnsigned ? arith::CmpIPredicate::ugt
                                                    : arith::CmpIPredicate::sgt,
                                         x, y);
            }
            Value here = arith::SelectOp::create(
                fb, fl, lt, arith::ConstantIntOp::create(fb, fl, i32, -1),
                arith::SelectOp::create(
                    fb, fl, gt, arith::ConstantIntOp::create(fb, fl, i32, 1),
                    arith::ConstantIntOp::create(fb, fl, i32, 0)));
            Value undecided = arith::CmpIOp::create(
                fb, fl, arith::CmpIPredicate::eq, state[0],
                arith::ConstantIntOp::create(fb, fl, i32, 0));
            return SmallVector<Value>{
                arith::SelectOp::create(fb, fl, undecided, here, state[0])};
          })[0];
    };
    auto isZero = [&](OpBuilder &cb, Location cl, Value c,
                      arith::CmpIPredicate p) -> Value {
      return arith::CmpIOp::create(
          cb, cl, p, c, arith::ConstantIntOp::create(cb, cl, c.getType(), 0));
    };

    // The first occurrence of each slice.
    Value firstInit = emptyTensorOfSizes(b, loc, {a}, b.getIndexType());
    Value firstOf =
        forLoop(b, loc, zero, a, ValueRange{firstInit},
                [&](OpBuilder &fb, Location fl, Value i, ValueRange args) {
                  Value first = forLoop(
                      fb, fl, arith::ConstantIndexOp::create(fb, fl, 0), i,
                      ValueRange{i},
                      [&](OpBuilder &jb, Location jl, Value j, ValueRange f) {
                        Value same = arith::AndIOp::create(
                            jb, jl,
                            arith::CmpIOp::create(
                                jb, jl, arith::CmpIPredicate::eq, f[0], i),
                            isZero(jb, jl, compare(jb, jl, j, i),
                                   arith::CmpIPredicate::eq));
                        return SmallVector<Value>{
                            arith::SelectOp::create(jb, jl, same, j, f[0])};
                      })[0];
                  return SmallVector<Value>{
                      tensor::InsertOp::create(fb, fl, first, args[0], i)};
                })[0];
    auto isFirst = [&](OpBuilder &fb, Location fl, Value i) -> Value {
      Value f = tensor::ExtractOp::create(fb, fl, firstOf, i);
      return arith::CmpIOp::create(fb, fl, arith::CmpIPredicate::eq, f, i);
    };
    Value count =
        forLoop(b, loc, zero, a, ValueRange{zero},
                [&](OpBuilder &fb, Location fl, Value i, ValueRange n) {
                  return SmallVector<Value>{arith::SelectOp::create(
                      fb, fl, isFirst(fb, fl, i), addOne(fb, fl, n[0]), n[0])};
                })[0];

    // Each first occurrence's rank among the uniques.
    bool sorted = op.getSorted();
    Value rankInit = emptyTensorOfSizes(b, loc, {a}, b.getIndexType());
    Value ranks = forLoop(
        b, loc, zero, a, ValueRange{rankInit},
        [&](OpBuilder &fb, Location fl, Value i, ValueRange args) {
          Value r = forLoop(
              fb, fl, arith::ConstantIndexOp::create(fb, fl, 0), sorted ? a : i,
              ValueRange{arith::ConstantIndexOp::create(fb, fl, 0)},
              [&](OpBuilder &jb, Location jl, Value j, ValueRange n) {
                Value before = isFirst(jb, jl, j);
                if (sorted)
                  before = arith::AndIOp::create(
                      jb, jl, before,
                      isZero(jb, jl, compare(jb, jl, j, i),
                             arith::CmpIPredicate::slt));
                return SmallVector<Value>{arith::SelectOp::create(
                    jb, jl, before, addOne(jb, jl, n[0]), n[0])};
              })[0];
          return SmallVector<Value>{
              tensor::InsertOp::create(fb, fl, r, args[0], i)};
        })[0];

    // The results.
    Value uniques = emptyTensorOfSizes(b, loc, {count, sSize}, elementType);
    Value firsts = emptyTensorOfSizes(b, loc, {count}, i64);
    Value inverse = emptyTensorOfSizes(b, loc, {a}, i64);
    Value counts = fillTensor(b, loc, scalarConstant(b, loc, i64, 0),
                              emptyTensorOfSizes(b, loc, {count}, i64));
    SmallVector<OpFoldResult> rowSizes{ia.index(1), sSize};
    SmallVector<OpFoldResult> unitStrides{ia.index(1), ia.index(1)};
    SmallVector<Value> results = forLoop(
        b, loc, zero, a, ValueRange{uniques, firsts, inverse, counts},
        [&](OpBuilder &fb, Location fl, Value i, ValueRange args) {
          Value first = tensor::ExtractOp::create(fb, fl, firstOf, i);
          Value r = tensor::ExtractOp::create(fb, fl, ranks, first);
          Value inv =
              tensor::InsertOp::create(fb, fl, toI64(fb, fl, r), args[2], i);
          Value c = tensor::ExtractOp::create(fb, fl, args[3], r);
          c = arith::AddIOp::create(fb, fl, c, scalarConstant(fb, fl, i64, 1));
          Value cs = tensor::InsertOp::create(fb, fl, c, args[3], r);
          SmallVector<Value> written = ifThen(
              fb, fl, isFirst(fb, fl, i),
              [&](OpBuilder &tb, Location tl) {
                Value row = tensor::ExtractSliceOp::create(
                    tb, tl, matrix,
                    ArrayRef<OpFoldResult>{i, tb.getIndexAttr(0)}, rowSizes,
                    unitStrides);
                Value u = tensor::InsertSliceOp::create(
                    tb, tl, row, args[0],
                    ArrayRef<OpFoldResult>{r, tb.getIndexAttr(0)}, rowSizes,
                    unitStrides);
                Value f = tensor::InsertOp::create(tb, tl, toI64(tb, tl, i),
                                                   args[1], r);
                return SmallVector<Value>{u, f};
              },
              ValueRange{args[0], args[1]});
          return SmallVector<Value>{written[0], written[1], inv, cs};
        });

    // The uniques back in the input's layout.
    Value output = results[0];
    if (!axis) {
      output = tensor::CollapseShapeOp::create(
          b, loc, output, SmallVector<ReassociationIndices>{{0, 1}});
    } else if (rank == 1) {
      output = tensor::CollapseShapeOp::create(
          b, loc, output, SmallVector<ReassociationIndices>{{0, 1}});
    } else {
      SmallVector<OpFoldResult> expanded{count};
      llvm::append_range(expanded, others);
      if (rank > 2) {
        SmallVector<ReassociationIndices> groups{{0}, {}};
        for (int64_t d = 1; d < rank; ++d)
          groups[1].push_back(d);
        SmallVector<int64_t> shape;
        for (OpFoldResult e : expanded)
          shape.push_back(
              getConstantIntValue(e).value_or(ShapedType::kDynamic));
        output = tensor::ExpandShapeOp::create(
            b, loc, RankedTensorType::get(shape, elementType), output, groups,
            expanded);
      }
      if (*axis != 0) {
        SmallVector<int64_t> back;
        SmallVector<OpFoldResult> backSizes;
        SmallVector<OpFoldResult> current = dimSizes(b, loc, output);
        for (int64_t d = 0; d < rank; ++d) {
          int64_t from = d == *axis ? 0 : (d < *axis ? d + 1 : d);
          back.push_back(from);
          backSizes.push_back(current[from]);
        }
        Value init = emptyTensorOfSizes(b, loc, backSizes, elementType);
        output = linalg::TransposeOp::create(b, loc, output, init, back)
                     .getResult()[0];
      }
    }
    rewriter.replaceOp(op, {castTo(b, loc, output, outputType),
                            castTo(b, loc, results[1], indicesType),
                            castTo(b, loc, results[2], inverseType),
                            castTo(b, loc, results[3], countsType)});
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnUniqueToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<NonZeroToLinalg, UniqueToLinalg>(converter,
                                                patterns.getContext());
}
