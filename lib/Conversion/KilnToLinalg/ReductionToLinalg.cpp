//===- ReductionToLinalg.cpp - kiln reductions and softmax to linalg ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kiln.reduce_*`, `kiln.argmax` / `kiln.argmin` and `kiln.softmax` /
// `kiln.log_softmax`. A reduction is a `linalg.generic` with reduction
// iterators over the reduced axes, writing a tensor without those axes
// (filled first with the reduction's identity, so that reducing an empty set
// gives it); `keepdims` is a `tensor.expand_shape` of that tensor. Narrow
// floats (f16, bf16) accumulate in f32. Exponentials are shifted by the
// maximum, so that they cannot overflow. `kiln.dynamic_reduce`, whose axes
// are known only at run time, loops over each result element's window with
// `scf.for` inside a parallel `linalg.generic`.
//
//===----------------------------------------------------------------------===//

#include "DataMovement.h"
#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// What a reduction computes: a per-element map, a combiner, and a final
/// step on the accumulated value.
enum class Reduction { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LSE };

/// The type a reduction accumulates `element` in: f32 for narrower floats.
Type accumulatorType(Type element) {
  if (isa<FloatType>(element) && element.getIntOrFloatBitWidth() < 32)
    return Float32Type::get(element.getContext());
  return element;
}

/// The sizes of the dims of `input` that `axes` does not list.
SmallVector<OpFoldResult> keptSizes(OpBuilder &b, Location loc, Value input,
                                    ArrayRef<int64_t> axes) {
  SmallVector<OpFoldResult> sizes;
  for (auto [d, size] : llvm::enumerate(tensor::getMixedSizes(b, loc, input)))
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      sizes.push_back(size);
  return sizes;
}

/// A tensor of `sizes` and `element` type filled with `value`.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Type element, Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, element);
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

/// The map from the loops of a reduction over `axes` of a rank-`rank`
/// tensor to the dims of its result, which drops those axes.
AffineMap keptDimsMap(MLIRContext *context, int64_t rank,
                      ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      exprs.push_back(getAffineDimExpr(d, context));
  return AffineMap::get(rank, 0, exprs, context);
}

using ReduceBody = function_ref<Value(OpBuilder &, Location, Value x,
                                      ValueRange extras, Value acc)>;

/// Reduces `input` over `axes` into a tensor without them: a
/// `linalg.generic` whose accumulator (of type `accType`) starts at `init`
/// and is updated by `body` with each element `x`. `extras` are tensors
/// shaped like the result, read at the element's result position.
Value reduceOver(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> axes, Type accType, Value init,
                 ValueRange extras, ReduceBody body) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  MLIRContext *context = b.getContext();
  Value acc =
      filledTensor(b, loc, keptSizes(b, loc, input, axes), accType, init);
  AffineMap kept = keptDimsMap(context, rank, axes);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, context)};
  SmallVector<Value> inputs{input};
  for (Value extra : extras) {
    maps.push_back(kept);
    inputs.push_back(extra);
  }
  maps.push_back(kept);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  for (int64_t a : axes)
    iterators[a] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, inputs, ValueRange{acc}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value next = body(nb, l, args.front(), args.drop_front().drop_back(),
                          args.back());
        linalg::YieldOp::create(nb, l, next);
      });
  return generic.getResult(0);
}

/// Applies `fn` elementwise to `inputs` (all of one shape, the first's),
/// giving a tensor of `element` type.
Value mapElements(OpBuilder &b, Location loc, ValueRange inputs, Type element,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, inputs.front()), element);
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, fn(nb, l, args.drop_back()));
      });
  return generic.getResult(0);
}

/// Puts back the reduced `axes` of `input` as dims of size 1 in `reduced`,
/// giving a tensor of `resultType`'s element type and the input's shape
/// with those dims 1.
Value expandKeptDims(OpBuilder &b, Location loc, Value reduced, Value input,
                     ArrayRef<int64_t> axes, RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  SmallVector<int64_t> shape(inputType.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  SmallVector<OpFoldResult> inputSizes = tensor::getMixedSizes(b, loc, input);
  SmallVector<OpFoldResult> outputShape;
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t d = 0; d < rank; ++d) {
    bool isReduced = llvm::is_contained(axes, d);
    outputShape.push_back(isReduced ? b.getIndexAttr(1) : inputSizes[d]);
    pending.push_back(d);
    if (!isReduced) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  // Reduced dims after the last kept one join its group.
  if (!pending.empty() && !groups.empty())
    llvm::append_range(groups.back(), pending);
  return tensor::ExpandShapeOp::create(b, loc, resultType.clone(shape), reduced,
                                       groups, outputShape);
}

/// The number of elements of `input` that each result element reduces, as
/// an index.
Value reducedCount(OpBuilder &b, Location loc, Value input,
                   ArrayRef<int64_t> axes) {
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t a : axes)
    count = arith::MulIOp::create(b, loc, count,
                                  tensor::DimOp::create(b, loc, input, a));
  return count;
}

/// The largest or smallest value of `type`: infinities for floats.
Value extremeValue(OpBuilder &b, Location loc, Type type, bool largest,
                   bool isUnsigned) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(f, APFloat::getInf(f.getFloatSemantics(), !largest)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt v = isUnsigned ? (largest ? APInt::getMaxValue(width)
                                  : APInt::getMinValue(width))
                       : (largest ? APInt::getSignedMaxValue(width)
                                  : APInt::getSignedMinValue(width));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

/// Widens `x` to the accumulator type `acc` (a no-op unless `x` is a
/// narrow float).
Value widen(OpBuilder &b, Location loc, Value x, Type acc) {
  if (x.getType() == acc)
    return x;
  return arith::ExtFOp::create(b, loc, acc, x);
}

/// Narrows an accumulated value back to the result's element type.
Value narrow(OpBuilder &b, Location loc, Value x, Type element) {
  if (x.getType() == element)
    return x;
  return arith::TruncFOp::create(b, loc, element, x);
}

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

/// The max (or min) of `x` and `y`; NaN propagates, as in numpy.
Value extremum(OpBuilder &b, Location loc, Value x, Value y, bool max,
               bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return max ? arith::MaximumFOp::create(b, loc, x, y).getResult()
               : arith::MinimumFOp::create(b, loc, x, y).getResult();
  if (isUnsigned)
    return max ? arith::MaxUIOp::create(b, loc, x, y).getResult()
               : arith::MinUIOp::create(b, loc, x, y).getResult();
  return max ? arith::MaxSIOp::create(b, loc, x, y).getResult()
             : arith::MinSIOp::create(b, loc, x, y).getResult();
}

/// The maximum of `input` over `axes` (NaN propagating, -inf for an empty
/// set), in the accumulator type. Only shifts read it (softmax, log-sum-exp),
/// for which a zero's sign does not matter (`nsz`).
Value maxOver(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
              Type acc) {
  return reduceOver(
      b, loc, input, axes, acc,
      extremeValue(b, loc, acc, /*largest=*/false, false), {},
      [&](OpBuilder &nb, Location l, Value x, ValueRange, Value a) {
        return arith::MaximumFOp::create(nb, l, widen(nb, l, x, acc), a,
                                         arith::FastMathFlags::nsz)
            .getResult();
      });
}

/// `m` where it is finite, else 0: the shift that keeps `exp(x - shift)`
/// from overflowing without turning an all -inf (or +inf) set into NaN.
Value finiteShift(OpBuilder &b, Location loc, Value m) {
  Type type = m.getType();
  Value inf = extremeValue(b, loc, type, /*largest=*/true, false);
  Value finite = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                                       math::AbsFOp::create(b, loc, m), inf);
  return arith::SelectOp::create(b, loc, finite, m,
                                 scalarConstant(b, loc, type, 0));
}

/// The reduction of `input` over `axes`, without keepdims; empty when the
/// element type has no lowering for it.
FailureOr<Value> buildReduction(OpBuilder &b, Location loc, Reduction kind,
                                Value input, ArrayRef<int64_t> axes,
                                bool isUnsigned) {
  Type element = cast<RankedTensorType>(input.getType()).getElementType();
  Type acc = accumulatorType(element);
  bool isFloat = isa<FloatType>(element);
  auto sumOf = [&](auto map) {
    return reduceOver(
        b, loc, input, axes, acc, scalarConstant(b, loc, acc, 0), {},
        [&](OpBuilder &nb, Location l, Value x, ValueRange, Value a) {
          return add(nb, l, map(nb, l, widen(nb, l, x, acc)), a);
        });
  };
  auto identity = [](OpBuilder &, Location, Value x) { return x; };
  auto square = [](OpBuilder &nb, Location l, Value x) {
    return mul(nb, l, x, x);
  };
  auto finish = [&](Value reduced, auto fn) {
    return mapElements(b, loc, reduced, element,
                       [&](OpBuilder &nb, Location l, ValueRange args) {
                         return fn(nb, l, args[0]);
                       });
  };
  // The accumulated value in the result's type: a no-op unless it was
  // accumulated wider.
  auto toElement = [&](OpBuilder &nb, Location l, Value x) {
    return narrow(nb, l, x, element);
  };
  auto finishNarrow = [&](Value reduced) {
    if (acc == element)
      return reduced;
    return finish(reduced, toElement);
  };

  switch (kind) {
  case Reduction::Sum:
    return finishNarrow(sumOf(identity));
  case Reduction::SumSquare:
    return finishNarrow(sumOf(square));
  case Reduction::L1:
    return finishNarrow(sumOf([&](OpBuilder &nb, Location l, Value x) -> Value {
      if (isFloat)
        return math::AbsFOp::create(nb, l, x);
      if (isUnsigned)
        return x;
      return math::AbsIOp::create(nb, l, x);
    }));
  case Reduction::L2:
    // Integers: the square root of the integer sum of squares, truncated
    // (ONNX's reference computes it in double and casts back).
    return finish(sumOf(square), [&](OpBuilder &nb, Location l, Value s) {
      if (isFloat)
        return narrow(nb, l, math::SqrtOp::create(nb, l, s), element);
      Type f64 = nb.getF64Type();
      Value f = isUnsigned ? arith::UIToFPOp::create(nb, l, f64, s).getResult()
                           : arith::SIToFPOp::create(nb, l, f64, s).getResult();
      Value r = math::SqrtOp::create(nb, l, f);
      return isUnsigned
                 ? arith::FPToUIOp::create(nb, l, element, r).getResult()
                 : arith::FPToSIOp::create(nb, l, element, r).getResult();
    });
  case Reduction::Mean: {
    // An empty set: 0 / 0 is NaN for floats; integers give 0 rather than
    // dividing by zero.
    Value count = reducedCount(b, loc, input, axes);
    Value sum = sumOf(identity);
    return finish(sum, [&](OpBuilder &nb, Location l, Value s) -> Value {
      Value n = arith::IndexCastOp::create(nb, l, nb.getI64Type(), count);
      if (isFloat) {
        Value nf = arith::UIToFPOp::create(nb, l, acc, n);
        return narrow(nb, l, arith::DivFOp::create(nb, l, s, nf), element);
      }
      n = castScalar(nb, l, n, nb.getI64Type(), element);
      Value one = scalarConstant(nb, l, element, 1);
      n = arith::MaxUIOp::create(nb, l, n, one);
      if (isUnsigned)
        return arith::DivUIOp::create(nb, l, s, n);
      return arith::DivSIOp::create(nb, l, s, n);
    });
  }
  case Reduction::Prod:
    return finishNarrow(reduceOver(
        b, loc, input, axes, acc, scalarConstant(b, loc, acc, 1), {},
        [&](OpBuilder &nb, Location l, Value x, ValueRange, Value a) {
          return mul(nb, l, widen(nb, l, x, acc), a);
        }));
  case Reduction::Max:
  case Reduction::Min: {
    // An empty set gives -inf for max (+inf for min), or the type's limit.
    bool isMax = kind == Reduction::Max;
    Value init = extremeValue(b, loc, element, !isMax, isUnsigned);
    return reduceOver(
        b, loc, input, axes, element, init, {},
        [&](OpBuilder &nb, Location l, Value x, ValueRange, Value a) {
          return extremum(nb, l, x, a, isMax, isUnsigned);
        });
  }
  case Reduction::LSE: {
    if (!isFloat)
      return failure();
    // log(sum(exp(x - s))) + s, s the maximum where it is finite.
    Value shift = mapElements(b, loc, maxOver(b, loc, input, axes, acc), acc,
                              [&](OpBuilder &nb, Location l, ValueRange args) {
                                return finiteShift(nb, l, args[0]);
                              });
    Value sum = reduceOver(
        b, loc, input, axes, acc, scalarConstant(b, loc, acc, 0), {shift},
        [&](OpBuilder &nb, Location l, Value x, ValueRange extras, Value a) {
          Value d =
              arith::SubFOp::create(nb, l, widen(nb, l, x, acc), extras[0]);
          return arith::AddFOp::create(nb, l, math::ExpOp::create(nb, l, d), a)
              .getResult();
        });
    return mapElements(b, loc, ValueRange{sum, shift}, element,
                       [&](OpBuilder &nb, Location l, ValueRange args) {
                         Value lg = math::LogOp::create(nb, l, args[0]);
                         return narrow(
                             nb, l, arith::AddFOp::create(nb, l, lg, args[1]),
                             element);
                       });
  }
  }
  llvm_unreachable("unknown reduction");
}

/// Every `kiln.reduce_*` op.
template <typename OpTy> struct ReduceToLinalg : OneResultPattern<OpTy> {
  ReduceToLinalg(const TypeConverter &converter, MLIRContext *context,
                 Reduction kind)
      : OneResultPattern<OpTy>(converter, context), kind(kind) {}

  FailureOr<Value> lower(OpTy op, typename OpTy::Adaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type element = resultType.getElementType();
    if (!isa<FloatType, IntegerType>(element) ||
        (isa<FloatType>(element) && !element.isF16() && !element.isBF16() &&
         !element.isF32() && !element.isF64()))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    ArrayRef<int64_t> axes = op.getAxes();
    Value input = adaptor.getInput();
    FailureOr<Value> reduced = buildReduction(
        rewriter, loc, kind, input, axes,
        isUnsignedInt(op.getInput().getType()) || element.isInteger(1));
    if (failed(reduced))
      return rewriter.notifyMatchFailure(
          op, "no lowering of this reduction for integers");
    Value result = *reduced;
    if (op.getKeepdims() && !axes.empty())
      result = expandKeptDims(rewriter, loc, result, input, axes, resultType);
    return result;
  }

  Reduction kind;
};

/// `kiln.argmax` / `kiln.argmin`: one `linalg.generic` carrying the best
/// value and its index. NaN counts as the extreme (numpy's argmax and
/// argmin return the first NaN); ties keep the first index, or the last
/// with `select_last_index`.
template <typename OpTy> struct ArgReduceToLinalg : OneResultPattern<OpTy> {
  ArgReduceToLinalg(const TypeConverter &converter, MLIRContext *context,
                    bool isMax)
      : OneResultPattern<OpTy>(converter, context), isMax(isMax) {}

  FailureOr<Value> lower(OpTy op, typename OpTy::Adaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Type element = inputType.getElementType();
    // Booleans order false before true.
    bool isUnsigned =
        isUnsignedInt(op.getInput().getType()) || element.isInteger(1);
    bool isFloat = isa<FloatType>(element);
    bool selectLast = op.getSelectLastIndex();
    int64_t axis = op.getAxis(), rank = inputType.getRank();
    MLIRContext *context = rewriter.getContext();

    SmallVector<OpFoldResult> sizes = keptSizes(rewriter, loc, input, axis);
    Value best =
        filledTensor(rewriter, loc, sizes, element,
                     extremeValue(rewriter, loc, element, !isMax, isUnsigned));
    Type i64 = rewriter.getI64Type();
    Value index = filledTensor(rewriter, loc, sizes, i64,
                               scalarConstant(rewriter, loc, i64, 0));
    AffineMap kept = keptDimsMap(context, rank, axis);
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank), kept,
                                kept};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators[axis] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{best.getType(), index.getType()},
        ValueRange{input}, ValueRange{best, index}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], cur = args[1], curIndex = args[2];
          Value better, equal;
          if (isFloat) {
            using P = arith::CmpFPredicate;
            Value xNaN = arith::CmpFOp::create(b, l, P::UNO, x, x);
            Value curNaN = arith::CmpFOp::create(b, l, P::UNO, cur, cur);
            Value strict =
                arith::CmpFOp::create(b, l, isMax ? P::OGT : P::OLT, x, cur);
            Value nanWins = arith::AndIOp::create(
                b, l, xNaN,
                arith::XOrIOp::create(
                    b, l, curNaN,
                    arith::ConstantOp::create(b, l, b.getBoolAttr(true))));
            better = arith::OrIOp::create(b, l, strict, nanWins);
            equal = arith::OrIOp::create(
                b, l, arith::CmpFOp::create(b, l, P::OEQ, x, cur),
                arith::AndIOp::create(b, l, xNaN, curNaN));
          } else {
            using P = arith::CmpIPredicate;
            P strict = isMax ? (isUnsigned ? P::ugt : P::sgt)
                             : (isUnsigned ? P::ult : P::slt);
            better = arith::CmpIOp::create(b, l, strict, x, cur);
            equal = arith::CmpIOp::create(b, l, P::eq, x, cur);
          }
          Value take =
              selectLast ? arith::OrIOp::create(b, l, better, equal) : better;
          Value i = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, take, x, cur),
                         arith::SelectOp::create(b, l, take, i, curIndex)});
        });
    Value result = generic.getResult(1);
    if (op.getKeepdims())
      result = expandKeptDims(rewriter, loc, result, input, axis, resultType);
    return result;
  }

  bool isMax;
};

/// `kiln.softmax` / `kiln.log_softmax`, as ONNX's reference computes them:
/// `t = x - max(x)`, then `exp(t) / sum(exp(t))` or `t - log(sum(exp(t)))`.
template <typename OpTy> struct SoftmaxToLinalg : OneResultPattern<OpTy> {
  SoftmaxToLinalg(const TypeConverter &converter, MLIRContext *context,
                  bool isLog)
      : OneResultPattern<OpTy>(converter, context), isLog(isLog) {}

  FailureOr<Value> lower(OpTy op, typename OpTy::Adaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Type element = inputType.getElementType();
    if (!element.isF16() && !element.isBF16() && !element.isF32() &&
        !element.isF64())
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    Type acc = accumulatorType(element);
    int64_t axis = op.getAxis(), rank = inputType.getRank();
    MLIRContext *context = rewriter.getContext();

    Value max = maxOver(rewriter, loc, input, axis, acc);
    Value sum = reduceOver(
        rewriter, loc, input, axis, acc, scalarConstant(rewriter, loc, acc, 0),
        {max},
        [&](OpBuilder &b, Location l, Value x, ValueRange extras, Value a) {
          Value t = arith::SubFOp::create(b, l, widen(b, l, x, acc), extras[0]);
          return arith::AddFOp::create(b, l, math::ExpOp::create(b, l, t), a)
              .getResult();
        });
    AffineMap kept = keptDimsMap(context, rank, axis);
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, input), element);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{input, max, sum},
        ValueRange{init}, ArrayRef<AffineMap>{id, kept, kept, id}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value t =
              arith::SubFOp::create(b, l, widen(b, l, args[0], acc), args[1]);
          Value y = isLog ? arith::SubFOp::create(
                                b, l, t, math::LogOp::create(b, l, args[2]))
                                .getResult()
                          : arith::DivFOp::create(
                                b, l, math::ExpOp::create(b, l, t), args[2])
                                .getResult();
          linalg::YieldOp::create(b, l, narrow(b, l, y, element));
        });
    return generic.getResult(0);
  }

  bool isLog;
};

/// `kiln.dynamic_reduce`: the reduced axes are known only at run time, so
/// no iterator type can say which loops reduce. The result (in its keepdims
/// shape, a reduced dim being 1) is a parallel `linalg.generic` whose body
/// loops with `scf.for` over the window of input elements that reduce into
/// it: the whole dim where it is reduced, the element's own index
/// elsewhere. Without keepdims, a `tensor.reshape` then drops the reduced
/// dims.
struct DynamicReduceToLinalg : OneResultPattern<DynamicReduceOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(DynamicReduceOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Type element = inputType.getElementType();
    bool isFloat = isa<FloatType>(element);
    if (!isa<FloatType, IntegerType>(element) ||
        (isFloat && !element.isF16() && !element.isBF16() && !element.isF32() &&
         !element.isF64()))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    auto axesType = cast<RankedTensorType>(adaptor.getAxes().getType());
    if (axesType.isDynamicDim(0))
      return rewriter.notifyMatchFailure(op, "axes of run-time length");
    ReduceKind kind = op.getKind();
    if (!isFloat && (kind == ReduceKind::L2 || kind == ReduceKind::LogSum ||
                     kind == ReduceKind::LogSumExp))
      return rewriter.notifyMatchFailure(op, "no lowering of this reduction "
                                             "for integers");
    bool isUnsigned =
        isUnsignedInt(op.getInput().getType()) || element.isInteger(1);
    bool axesUnsigned = isUnsignedInt(op.getAxes().getType());
    int64_t rank = inputType.getRank(), length = axesType.getDimSize(0);
    Type acc = accumulatorType(element);
    Type indexType = rewriter.getIndexType();

    // Which dims reduce: those listed (negative counting from the end), or
    // every dim for an empty list unless that means no-op.
    SmallVector<Value> isReduced;
    for (int64_t d = 0; d < rank; ++d) {
      if (length == 0) {
        isReduced.push_back(arith::ConstantOp::create(
            rewriter, loc, rewriter.getBoolAttr(!op.getNoopWithEmptyAxes())));
        continue;
      }
      Value flag =
          arith::ConstantOp::create(rewriter, loc, rewriter.getBoolAttr(false));
      Value dIndex = arith::ConstantIndexOp::create(rewriter, loc, d);
      Value dBack = arith::ConstantIndexOp::create(rewriter, loc, d - rank);
      for (int64_t k = 0; k < length; ++k) {
        Value a = tensor::ExtractOp::create(
            rewriter, loc, adaptor.getAxes(),
            ValueRange{arith::ConstantIndexOp::create(rewriter, loc, k)});
        a = axesUnsigned
                ? arith::IndexCastUIOp::create(rewriter, loc, indexType, a)
                      .getResult()
                : arith::IndexCastOp::create(rewriter, loc, indexType, a)
                      .getResult();
        Value hit = arith::OrIOp::create(
            rewriter, loc,
            arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, a,
                                  dIndex),
            arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, a,
                                  dBack));
        flag = arith::OrIOp::create(rewriter, loc, flag, hit);
      }
      isReduced.push_back(flag);
    }
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value> inSizes, trips;
    SmallVector<OpFoldResult> keptShape;
    Value count = one;
    for (int64_t d = 0; d < rank; ++d) {
      Value size = tensor::DimOp::create(rewriter, loc, input, d);
      inSizes.push_back(size);
      Value trip =
          arith::SelectOp::create(rewriter, loc, isReduced[d], size, one);
      trips.push_back(trip);
      count = arith::MulIOp::create(rewriter, loc, count, trip);
      keptShape.push_back(
          arith::SelectOp::create(rewriter, loc, isReduced[d], one, size)
              .getResult());
    }

    Value init = tensor::EmptyOp::create(rewriter, loc, keptShape, element);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{},
        ValueRange{init},
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank)}, iterators,
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> bases;
          for (int64_t d = 0; d < rank; ++d)
            bases.push_back(arith::SelectOp::create(
                b, l, isReduced[d], zero, linalg::IndexOp::create(b, l, d)));
          // Folds `step` over the window, from `start`.
          auto fold =
              [&](Value start,
                  function_ref<Value(OpBuilder &, Location, Value, Value)>
                      step) {
                std::function<Value(OpBuilder &, Location, int64_t,
                                    SmallVector<Value> &, Value)>
                    nest = [&](OpBuilder &nb, Location nl, int64_t d,
                               SmallVector<Value> &indices, Value a) -> Value {
                  if (d == rank) {
                    Value x = tensor::ExtractOp::create(nb, nl, input, indices);
                    return step(nb, nl, widen(nb, nl, x, acc), a);
                  }
                  auto loop = scf::ForOp::create(
                      nb, nl, zero, trips[d], one, ValueRange{a},
                      [&](OpBuilder &fb, Location fl, Value iv,
                          ValueRange args) {
                        indices.push_back(
                            arith::AddIOp::create(fb, fl, bases[d], iv));
                        Value next = nest(fb, fl, d + 1, indices, args[0]);
                        indices.pop_back();
                        scf::YieldOp::create(fb, fl, next);
                      });
                  return loop.getResult(0);
                };
                SmallVector<Value> indices;
                return nest(b, l, 0, indices, start);
              };
          auto sum =
              [&](function_ref<Value(OpBuilder &, Location, Value)> map) {
                return fold(scalarConstant(b, l, acc, 0),
                            [&](OpBuilder &nb, Location nl, Value x, Value a) {
                              return add(nb, nl, map(nb, nl, x), a);
                            });
              };
          auto identity = [](OpBuilder &, Location, Value x) { return x; };
          auto square = [](OpBuilder &nb, Location nl, Value x) {
            return mul(nb, nl, x, x);
          };
          Value r;
          switch (kind) {
          case ReduceKind::Sum:
            r = sum(identity);
            break;
          case ReduceKind::SumSquare:
            r = sum(square);
            break;
          case ReduceKind::L1:
            r = sum([&](OpBuilder &nb, Location nl, Value x) -> Value {
              if (isFloat)
                return math::AbsFOp::create(nb, nl, x);
              if (isUnsigned)
                return x;
              return math::AbsIOp::create(nb, nl, x);
            });
            break;
          case ReduceKind::L2:
            r = math::SqrtOp::create(b, l, sum(square));
            break;
          case ReduceKind::LogSum:
            r = math::LogOp::create(b, l, sum(identity));
            break;
          case ReduceKind::Mean: {
            Value s = sum(identity);
            Value n = arith::IndexCastOp::create(b, l, b.getI64Type(), count);
            if (isFloat) {
              r = arith::DivFOp::create(b, l, s,
                                        arith::UIToFPOp::create(b, l, acc, n));
            } else {
              n = castScalar(b, l, n, b.getI64Type(), element);
              n = arith::MaxUIOp::create(b, l, n,
                                         scalarConstant(b, l, element, 1));
              r = isUnsigned ? arith::DivUIOp::create(b, l, s, n).getResult()
                             : arith::DivSIOp::create(b, l, s, n).getResult();
            }
            break;
          }
          case ReduceKind::Prod:
            r = fold(scalarConstant(b, l, acc, 1),
                     [&](OpBuilder &nb, Location nl, Value x, Value a) {
                       return mul(nb, nl, x, a);
                     });
            break;
          case ReduceKind::Max:
          case ReduceKind::Min: {
            bool isMax = kind == ReduceKind::Max;
            r = fold(extremeValue(b, l, acc, !isMax, isUnsigned),
                     [&](OpBuilder &nb, Location nl, Value x, Value a) {
                       return extremum(nb, nl, x, a, isMax, isUnsigned);
                     });
            break;
          }
          case ReduceKind::LogSumExp: {
            Value m = fold(extremeValue(b, l, acc, false, false),
                           [&](OpBuilder &nb, Location nl, Value x, Value a) {
                             return extremum(nb, nl, x, a, true, false);
                           });
            Value shift = finiteShift(b, l, m);
            Value s = sum([&](OpBuilder &nb, Location nl, Value x) -> Value {
              return math::ExpOp::create(
                  nb, nl, arith::SubFOp::create(nb, nl, x, shift));
            });
            r = arith::AddFOp::create(b, l, math::LogOp::create(b, l, s),
                                      shift);
            break;
          }
          }
          linalg::YieldOp::create(b, l, narrow(b, l, r, element));
        });
    Value result = generic.getResult(0);
    if (!op.getKeepdims()) {
      // Drop the reduced dims: result dim j is the j-th kept input dim.
      SmallVector<Value> sizes(resultType.getRank(), zero);
      Value position = zero;
      for (int64_t d = 0; d < rank; ++d) {
        Value kept = arith::XOrIOp::create(
            rewriter, loc, isReduced[d],
            arith::ConstantOp::create(rewriter, loc,
                                      rewriter.getBoolAttr(true)));
        for (auto [j, size] : llvm::enumerate(sizes)) {
          Value here = arith::AndIOp::create(
              rewriter, loc, kept,
              arith::CmpIOp::create(
                  rewriter, loc, arith::CmpIPredicate::eq, position,
                  arith::ConstantIndexOp::create(rewriter, loc, j)));
          size = arith::SelectOp::create(rewriter, loc, here, inSizes[d], size);
        }
        position = arith::AddIOp::create(
            rewriter, loc, position,
            arith::SelectOp::create(rewriter, loc, kept, one, zero));
      }
      SmallVector<OpFoldResult> folded(sizes.begin(), sizes.end());
      result = reshapeTensor(rewriter, loc, result, resultType, folded);
    }
    return result;
  }
};

} // namespace

void mlir::kiln::populateKilnReductionToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ReduceToLinalg<ReduceSumOp>>(converter, context, Reduction::Sum);
  patterns.add<ReduceToLinalg<ReduceMeanOp>>(converter, context,
                                             Reduction::Mean);
  patterns.add<ReduceToLinalg<ReduceMaxOp>>(converter, context, Reduction::Max);
  patterns.add<ReduceToLinalg<ReduceMinOp>>(converter, context, Reduction::Min);
  patterns.add<ReduceToLinalg<ReduceProdOp>>(converter, context,
                                             Reduction::Prod);
  patterns.add<ReduceToLinalg<ReduceSumSquareOp>>(converter, context,
                                                  Reduction::SumSquare);
  patterns.add<ReduceToLinalg<ReduceL1Op>>(converter, context, Reduction::L1);
  patterns.add<ReduceToLinalg<ReduceL2Op>>(converter, context, Reduction::L2);
  patterns.add<ReduceToLinalg<ReduceLogSumExpOp>>(converter, context,
                                                  Reduction::LSE);
  patterns.add<ArgReduceToLinalg<ArgMaxOp>>(converter, context, true);
  patterns.add<ArgReduceToLinalg<ArgMinOp>>(converter, context, false);
  patterns.add<SoftmaxToLinalg<SoftmaxOp>>(converter, context, false);
  patterns.add<SoftmaxToLinalg<LogSoftmaxOp>>(converter, context, true);
  patterns.add<DynamicReduceToLinalg>(converter, context);
}
