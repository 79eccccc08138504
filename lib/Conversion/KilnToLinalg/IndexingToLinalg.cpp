//===- IndexingToLinalg.cpp - kiln indexing ops to linalg -----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The gather/scatter, mask, scan, selection and repetition ops of
// KilnIndexingOps.td. Ops that read data at computed positions are a
// `linalg.generic` over the result reading with `tensor.extract`; ops whose
// writes depend on earlier writes (scatter with duplicates, scans, top-k,
// compress) are `scf.for` nests carrying the result tensor through
// `tensor.extract` / `tensor.insert`. Indices read from tensors wrap when
// negative and are clamped into range, so an invalid index never reads or
// writes outside a tensor.
//
//===----------------------------------------------------------------------===//

#include "IndexingUtils.h"
#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

Value mlir::kiln::indexOf(OpBuilder &b, Location loc, Value value,
                          bool isUnsigned) {
  Type indexType = b.getIndexType();
  if (isa<FloatType>(value.getType()))
    value = arith::FPToSIOp::create(b, loc, b.getI64Type(), value);
  if (isUnsigned)
    return arith::IndexCastUIOp::create(b, loc, indexType, value);
  return arith::IndexCastOp::create(b, loc, indexType, value);
}

Value mlir::kiln::wrapIndex(OpBuilder &b, Location loc, Value i, Value size) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, loc, negative,
                              arith::AddIOp::create(b, loc, i, size), i);
  Value last = arith::SubIOp::create(b, loc, size, one);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, i, zero),
                                last);
}

Value mlir::kiln::extractFirst(OpBuilder &b, Location loc, Value tensor) {
  int64_t rank = cast<RankedTensorType>(tensor.getType()).getRank();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return tensor::ExtractOp::create(b, loc, tensor,
                                   SmallVector<Value>(rank, zero));
}

SmallVector<Value> mlir::kiln::indexValues(OpBuilder &b, Location loc,
                                           ArrayRef<OpFoldResult> sizes) {
  IndexArith ia{b, loc};
  SmallVector<Value> values;
  for (OpFoldResult s : sizes)
    values.push_back(ia.value(s));
  return values;
}

/// Combines `old` with `update` by a scatter reduction; null for a
/// reduction the element type does not support.
static Value combine(OpBuilder &b, Location loc, ScatterReduction reduction,
                     Value old, Value update, bool isUnsigned) {
  bool isFloat = isa<FloatType>(update.getType());
  if (!isFloat && update.getType().isInteger(1) &&
      reduction != ScatterReduction::None)
    return nullptr;
  switch (reduction) {
  case ScatterReduction::None:
    return update;
  case ScatterReduction::Add:
    return isFloat ? arith::AddFOp::create(b, loc, old, update).getResult()
                   : arith::AddIOp::create(b, loc, old, update).getResult();
  case ScatterReduction::Mul:
    return isFloat ? arith::MulFOp::create(b, loc, old, update).getResult()
                   : arith::MulIOp::create(b, loc, old, update).getResult();
  case ScatterReduction::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, old, update);
    return isUnsigned ? arith::MaxUIOp::create(b, loc, old, update).getResult()
                      : arith::MaxSIOp::create(b, loc, old, update).getResult();
  case ScatterReduction::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, old, update);
    return isUnsigned ? arith::MinUIOp::create(b, loc, old, update).getResult()
                      : arith::MinSIOp::create(b, loc, old, update).getResult();
  }
  return nullptr;
}

SmallVector<Value> mlir::kiln::loopIndices(OpBuilder &b, Location loc,
                                           int64_t rank) {
  SmallVector<Value> ivs;
  for (int64_t d = 0; d < rank; ++d)
    ivs.push_back(linalg::IndexOp::create(b, loc, d));
  return ivs;
}

Value mlir::kiln::generateTensor(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type elementType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> element) {
  int64_t rank = sizes.size();
  Value init = emptyTensorOfSizes(b, loc, sizes, elementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange) {
        linalg::YieldOp::create(nb, l,
                                element(nb, l, loopIndices(nb, l, rank)));
      });
  return generic.getResult(0);
}

/// A loop nest over `sizes` carrying `init`; `body` returns the new values.
/// Returns the nest's results (owned: a range over them would dangle).
static SmallVector<Value>
loopNest(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
         ValueRange init,
         function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange,
                                         ValueRange)>
             body) {
  SmallVector<Value> lbs, ubs, steps;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  for (Value ub : indexValues(b, loc, sizes)) {
    lbs.push_back(zero);
    ubs.push_back(ub);
    steps.push_back(one);
  }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, init,
      [&](OpBuilder &nb, Location l, ValueRange ivs, ValueRange args) {
        return scf::ValueVector(body(nb, l, ivs, args));
      });
  return SmallVector<Value>(nest.results);
}

/// The position in the data that element `ivs` of the indices of a
/// gather/scatter along `axis` names: `ivs` with the index read there,
/// wrapped into `axisSize`, on the axis.
static SmallVector<Value> elementPosition(OpBuilder &b, Location loc,
                                          Value indices, ValueRange ivs,
                                          int64_t axis, Value axisSize,
                                          bool unsignedIndices) {
  Value i = tensor::ExtractOp::create(b, loc, indices, ivs);
  SmallVector<Value> at(ivs);
  at[axis] = wrapIndex(b, loc, indexOf(b, loc, i, unsignedIndices), axisSize);
  return at;
}

/// Appends to `at` the index tuple of a gather/scatter ND that `indices`
/// (of rank `q`, last dim `dims.size()`) holds at the leading `q - 1` of
/// `ivs`, each wrapped into the matching size of `dims`.
static void appendIndexTuple(OpBuilder &b, Location loc, Value indices,
                             ValueRange ivs, int64_t q, ArrayRef<Value> dims,
                             bool unsignedIndices, SmallVector<Value> &at) {
  SmallVector<Value> tuple(ivs.begin(), ivs.begin() + (q - 1));
  tuple.push_back(nullptr);
  for (auto [j, dim] : llvm::enumerate(dims)) {
    tuple.back() = arith::ConstantIndexOp::create(b, loc, j);
    Value i = tensor::ExtractOp::create(b, loc, indices, tuple);
    at.push_back(wrapIndex(b, loc, indexOf(b, loc, i, unsignedIndices), dim));
  }
}

/// Applies the update at `ivs` of `updates` to `dest` at `at` by
/// `reduction`; the new destination.
static SmallVector<Value> scatterUpdate(OpBuilder &b, Location loc,
                                        ScatterReduction reduction,
                                        Value updates, ValueRange ivs,
                                        Value dest, ArrayRef<Value> at,
                                        bool isUnsigned) {
  Value update = tensor::ExtractOp::create(b, loc, updates, ivs);
  Value old = tensor::ExtractOp::create(b, loc, dest, at);
  Value v = combine(b, loc, reduction, old, update, isUnsigned);
  return SmallVector<Value>{tensor::InsertOp::create(b, loc, v, dest, at)};
}

namespace {

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

/// `kiln.gather_elements`: a `linalg.generic` over the indices' shape.
struct GatherElementsToLinalg : OneResultPattern<GatherElementsOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(GatherElementsOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    bool unsignedIndices = isUnsignedInt(op.getIndices().getType());
    int64_t axis = op.getAxis();
    Value axisSize =
        IndexArith{rewriter, loc}.value(dimSize(rewriter, loc, data, axis));
    Value result = generateTensor(
        rewriter, loc, dimSizes(rewriter, loc, indices),
        resultType.getElementType(),
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          SmallVector<Value> at = elementPosition(b, l, indices, ivs, axis,
                                                  axisSize, unsignedIndices);
          return tensor::ExtractOp::create(b, l, data, at).getResult();
        });
    return result;
  }
};

/// `kiln.gather_nd`: a `linalg.generic` over the result reading the index
/// tuple and then the data.
struct GatherNDToLinalg : OneResultPattern<GatherNDOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(GatherNDOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto indexType = cast<RankedTensorType>(indices.getType());
    int64_t q = indexType.getRank();
    int64_t k = indexType.getDimSize(q - 1);
    if (ShapedType::isDynamic(k))
      return rewriter.notifyMatchFailure(op, "dynamic index depth");
    int64_t batch = op.getBatchDims();
    int64_t dataRank = cast<RankedTensorType>(data.getType()).getRank();
    bool unsignedIndices = isUnsignedInt(op.getIndices().getType());
    SmallVector<OpFoldResult> dataSizes = dimSizes(rewriter, loc, data);
    SmallVector<OpFoldResult> indexSizes = dimSizes(rewriter, loc, indices);
    SmallVector<OpFoldResult> sizes(indexSizes.begin(), indexSizes.end() - 1);
    sizes.append(dataSizes.begin() + batch + k, dataSizes.end());
    SmallVector<Value> dataDims = indexValues(rewriter, loc, dataSizes);
    Value result = generateTensor(
        rewriter, loc, sizes, resultType.getElementType(),
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          SmallVector<Value> at(ivs.begin(), ivs.begin() + batch);
          appendIndexTuple(b, l, indices, ivs, q,
                           ArrayRef<Value>(dataDims).slice(batch, k),
                           unsignedIndices, at);
          at.append(ivs.begin() + (q - 1), ivs.end());
          assert(static_cast<int64_t>(at.size()) == dataRank);
          (void)dataRank;
          return tensor::ExtractOp::create(b, l, data, at).getResult();
        });
    return result;
  }
};

//===----------------------------------------------------------------------===//
// Scatter
//===----------------------------------------------------------------------===//

/// `kiln.scatter_elements`: the data, then an `scf.for` nest over the
/// updates applying each in order.
struct ScatterElementsToLinalg : OneResultPattern<ScatterElementsOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(ScatterElementsOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ScatterReduction reduction = op.getReduction();
    Type elementType = resultType.getElementType();
    bool isUnsigned = isUnsignedInt(op.getType());
    if (elementType.isInteger(1) && reduction != ScatterReduction::None)
      return rewriter.notifyMatchFailure(op, "reduction on booleans");
    Value data = adaptor.getData(), indices = adaptor.getIndices(),
          updates = adaptor.getUpdates();
    bool unsignedIndices = isUnsignedInt(op.getIndices().getType());
    int64_t axis = op.getAxis();
    Value axisSize =
        IndexArith{rewriter, loc}.value(dimSize(rewriter, loc, data, axis));
    SmallVector<Value> results = loopNest(
        rewriter, loc, dimSizes(rewriter, loc, indices), ValueRange{data},
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange args) {
          SmallVector<Value> at = elementPosition(b, l, indices, ivs, axis,
                                                  axisSize, unsignedIndices);
          return scatterUpdate(b, l, reduction, updates, ivs, args[0], at,
                               isUnsigned);
        });
    return results[0];
  }
};

/// `kiln.scatter_nd`: the data, then an `scf.for` nest over the updates
/// applying each element in order.
struct ScatterNDToLinalg : OneResultPattern<ScatterNDOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(ScatterNDOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ScatterReduction reduction = op.getReduction();
    Type elementType = resultType.getElementType();
    bool isUnsigned = isUnsignedInt(op.getType());
    if (elementType.isInteger(1) && reduction != ScatterReduction::None)
      return rewriter.notifyMatchFailure(op, "reduction on booleans");
    Value data = adaptor.getData(), indices = adaptor.getIndices(),
          updates = adaptor.getUpdates();
    auto indexType = cast<RankedTensorType>(indices.getType());
    int64_t q = indexType.getRank();
    int64_t k = indexType.getDimSize(q - 1);
    if (ShapedType::isDynamic(k))
      return rewriter.notifyMatchFailure(op, "dynamic index depth");
    bool unsignedIndices = isUnsignedInt(op.getIndices().getType());
    SmallVector<Value> dataDims =
        indexValues(rewriter, loc, dimSizes(rewriter, loc, data));
    SmallVector<Value> results = loopNest(
        rewriter, loc, dimSizes(rewriter, loc, updates), ValueRange{data},
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange args) {
          SmallVector<Value> at;
          appendIndexTuple(b, l, indices, ivs, q,
                           ArrayRef<Value>(dataDims).take_front(k),
                           unsignedIndices, at);
          at.append(ivs.begin() + (q - 1), ivs.end());
          return scatterUpdate(b, l, reduction, updates, ivs, args[0], at,
                               isUnsigned);
        });
    return results[0];
  }
};

//===----------------------------------------------------------------------===//
// Masks and scans
//===----------------------------------------------------------------------===//

/// `kiln.trilu`: a `linalg.generic` keeping an element by its diagonal.
struct TriluToLinalg : OneResultPattern<TriluOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(TriluOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (resultType.getRank() < 2)
      return rewriter.notifyMatchFailure(op, "result rank is under 2");
    Value input = adaptor.getInput();
    int64_t rank = resultType.getRank();
    Type i64 = rewriter.getI64Type();
    Value k = scalarConstant(rewriter, loc, i64, 0);
    if (adaptor.getK()) {
      Type kType = getElementTypeOrSelf(op.getK().getType());
      k = castScalar(rewriter, loc, extractFirst(rewriter, loc, adaptor.getK()),
                     kType, i64);
    }
    Type elementType = resultType.getElementType();
    bool upper = op.getUpper();
    Value result = generateTensor(
        rewriter, loc, dimSizes(rewriter, loc, input), elementType,
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          Value x = tensor::ExtractOp::create(b, l, input, ivs);
          Value row = arith::IndexCastOp::create(b, l, i64, ivs[rank - 2]);
          Value col = arith::IndexCastOp::create(b, l, i64, ivs[rank - 1]);
          Value diff = arith::SubIOp::create(b, l, col, row);
          Value keep = arith::CmpIOp::create(b, l,
                                             upper ? arith::CmpIPredicate::sge
                                                   : arith::CmpIPredicate::sle,
                                             diff, k);
          return arith::SelectOp::create(b, l, keep, x,
                                         scalarConstant(b, l, elementType, 0))
              .getResult();
        });
    return result;
  }
};

/// `kiln.cumsum` / `kiln.cumprod`: the input is flattened and seen as
/// (outer, axis, inner) with sizes computed from the run-time axis; an
/// `scf.for` nest over outer and inner, then one along the axis carrying
/// the running value, writes the result, which is expanded back.
template <typename ScanOp, bool isProduct>
struct ScanToLinalg : OneResultPattern<ScanOp> {
  using OneResultPattern<ScanOp>::OneResultPattern;
  using OpAdaptor = typename ScanOp::Adaptor;

  FailureOr<Value> lower(ScanOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (resultType.getRank() == 0)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    int64_t rank = resultType.getRank();
    Type elementType = resultType.getElementType();
    if (elementType.isInteger(1))
      return rewriter.notifyMatchFailure(op, "boolean scan");
    bool isFloat = isa<FloatType>(elementType);
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    Value input = adaptor.getInput();
    Type axisType = getElementTypeOrSelf(op.getAxis().getType());
    Value axis =
        indexOf(rewriter, loc, extractFirst(rewriter, loc, adaptor.getAxis()),
                isUnsignedInt(axisType));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value rankV = arith::ConstantIndexOp::create(rewriter, loc, rank);
    Value negative = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::slt, axis, zero);
    axis = arith::SelectOp::create(
        rewriter, loc, negative,
        arith::AddIOp::create(rewriter, loc, axis, rankV), axis);
    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, input);
    SmallVector<Value> dims = indexValues(rewriter, loc, sizes);
    Value outer = one, inner = one, n = one;
    for (int64_t d = 0; d < rank; ++d) {
      Value dv = arith::ConstantIndexOp::create(rewriter, loc, d);
      Value isBefore = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::slt, dv, axis);
      Value isAxis = arith::CmpIOp::create(rewriter, loc,
                                           arith::CmpIPredicate::eq, dv, axis);
      Value isAfter = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::sgt, dv, axis);
      outer = arith::SelectOp::create(
          rewriter, loc, isBefore,
          arith::MulIOp::create(rewriter, loc, outer, dims[d]), outer);
      inner = arith::SelectOp::create(
          rewriter, loc, isAfter,
          arith::MulIOp::create(rewriter, loc, inner, dims[d]), inner);
      n = arith::SelectOp::create(rewriter, loc, isAxis, dims[d], n);
    }
    SmallVector<ReassociationIndices> all(1);
    for (int64_t d = 0; d < rank; ++d)
      all[0].push_back(d);
    Value flat = input;
    if (rank > 1)
      flat = tensor::CollapseShapeOp::create(rewriter, loc, input, all);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{dimSize(rewriter, loc, flat, 0)},
        elementType);
    Value identity = scalarConstant(rewriter, loc, elementType, isProduct);
    SmallVector<Value> results = loopNest(
        rewriter, loc, {outer, inner}, ValueRange{init},
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange args) {
          auto loop = scf::ForOp::create(
              b, l, zero, n, one, ValueRange{args[0], identity},
              [&](OpBuilder &fb, Location fl, Value iv, ValueRange carried) {
                Value t = iv;
                if (reverse)
                  t = arith::SubIOp::create(
                      fb, fl, arith::SubIOp::create(fb, fl, n, one), iv);
                Value at = arith::AddIOp::create(
                    fb, fl,
                    arith::MulIOp::create(
                        fb, fl,
                        arith::AddIOp::create(
                            fb, fl, arith::MulIOp::create(fb, fl, ivs[0], n),
                            t),
                        inner),
                    ivs[1]);
                Value x = tensor::ExtractOp::create(fb, fl, flat, at);
                Value acc = carried[1];
                Value next =
                    isProduct ? (isFloat ? arith::MulFOp::create(fb, fl, acc, x)
                                               .getResult()
                                         : arith::MulIOp::create(fb, fl, acc, x)
                                               .getResult())
                              : (isFloat ? arith::AddFOp::create(fb, fl, acc, x)
                                               .getResult()
                                         : arith::AddIOp::create(fb, fl, acc, x)
                                               .getResult());
                Value written = tensor::InsertOp::create(
                    fb, fl, exclusive ? acc : next, carried[0], at);
                scf::YieldOp::create(fb, fl, ValueRange{written, next});
              });
          return SmallVector<Value>{loop.getResult(0)};
        });
    Value result = results[0];
    if (rank > 1)
      result = tensor::ExpandShapeOp::create(rewriter, loc, input.getType(),
                                             result, all, sizes);
    return result;
  }
};

//===----------------------------------------------------------------------===//
// Selection
//===----------------------------------------------------------------------===//

/// `kiln.top_k`: each element's rank in its slice (the count of elements
/// before it in the order: greater, or equal with a lower index, when
/// `largest`) is computed with an `scf.for`; elements of rank under `k` are
/// written at their rank. The result is always sorted, which `sorted =
/// false` permits.
struct TopKToLinalg : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto valuesType =
        convertedTensorType(*getTypeConverter(), op.getValues().getType());
    auto indicesType =
        convertedTensorType(*getTypeConverter(), op.getIndices().getType());
    if (!valuesType || !indicesType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Type elementType = valuesType.getElementType();
    bool isFloat = isa<FloatType>(elementType);
    bool isUnsigned = isUnsignedInt(op.getValues().getType());
    if (elementType.isInteger(1))
      return rewriter.notifyMatchFailure(op, "boolean top_k");
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    bool largest = op.getLargest();
    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, input);
    Value axisSize = IndexArith{rewriter, loc}.value(sizes[axis]);
    Value k = indexOf(rewriter, loc,
                      extractFirst(rewriter, loc, adaptor.getK()), false);
    SmallVector<OpFoldResult> outSizes(sizes);
    outSizes[axis] = k;
    Value values = emptyTensorOfSizes(rewriter, loc, outSizes, elementType);
    Value indices =
        emptyTensorOfSizes(rewriter, loc, outSizes, rewriter.getI64Type());
    // `a` comes before `b` in the order.
    auto before = [&](OpBuilder &b, Location l, Value a, Value bv) -> Value {
      if (isFloat)
        return arith::CmpFOp::create(b, l,
                                     largest ? arith::CmpFPredicate::OGT
                                             : arith::CmpFPredicate::OLT,
                                     a, bv);
      arith::CmpIPredicate p = largest
                                   ? (isUnsigned ? arith::CmpIPredicate::ugt
                                                 : arith::CmpIPredicate::sgt)
                                   : (isUnsigned ? arith::CmpIPredicate::ult
                                                 : arith::CmpIPredicate::slt);
      return arith::CmpIOp::create(b, l, p, a, bv);
    };
    auto equal = [&](OpBuilder &b, Location l, Value a, Value bv) -> Value {
      if (isFloat)
        return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a, bv);
      return arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, a, bv);
    };
    SmallVector<Value> results = loopNest(
        rewriter, loc, sizes, ValueRange{values, indices},
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange args) {
          Value x = tensor::ExtractOp::create(b, l, input, ivs);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value one = arith::ConstantIndexOp::create(b, l, 1);
          Value i = ivs[axis];
          auto count = scf::ForOp::create(
              b, l, zero, axisSize, one, ValueRange{zero},
              [&](OpBuilder &fb, Location fl, Value m, ValueRange carried) {
                SmallVector<Value> at(ivs);
                at[axis] = m;
                Value y = tensor::ExtractOp::create(fb, fl, input, at);
                Value lower = arith::CmpIOp::create(
                    fb, fl, arith::CmpIPredicate::ult, m, i);
                Value first = arith::OrIOp::create(
                    fb, fl, before(fb, fl, y, x),
                    arith::AndIOp::create(fb, fl, equal(fb, fl, y, x), lower));
                Value n = arith::AddIOp::create(
                    fb, fl, carried[0],
                    arith::SelectOp::create(fb, fl, first, one, zero));
                scf::YieldOp::create(fb, fl, n);
              });
          Value rank = count.getResult(0);
          Value kept =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, rank, k);
          auto ifOp = scf::IfOp::create(
              b, l, kept,
              [&](OpBuilder &tb, Location tl) {
                SmallVector<Value> at(ivs);
                at[axis] = rank;
                Value v = tensor::InsertOp::create(tb, tl, x, args[0], at);
                Value index =
                    arith::IndexCastOp::create(tb, tl, tb.getI64Type(), i);
                Value ix = tensor::InsertOp::create(tb, tl, index, args[1], at);
                scf::YieldOp::create(tb, tl, ValueRange{v, ix});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{args[0], args[1]});
              });
          return SmallVector<Value>{ifOp.getResult(0), ifOp.getResult(1)};
        });
    rewriter.replaceOp(op, {castTo(rewriter, loc, results[0], valuesType),
                            castTo(rewriter, loc, results[1], indicesType)});
    return success();
  }
};

/// `kiln.compress`: counts the kept slices, then copies each kept slice
/// with `tensor.insert_slice` in an `scf.for` carrying the write position.
struct CompressToLinalg : OneResultPattern<CompressOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(CompressOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), condition = adaptor.getCondition();
    int64_t axis = op.getAxis();
    int64_t rank = resultType.getRank();
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, input);
    Value n =
        arith::MinSIOp::create(rewriter, loc, ia.value(sizes[axis]),
                               ia.value(dimSize(rewriter, loc, condition, 0)));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto kept = [&](OpBuilder &b, Location l, Value i) -> Value {
      Value c = tensor::ExtractOp::create(b, l, condition, ValueRange{i});
      return castScalar(b, l, c, getElementTypeOrSelf(op.getCondition()),
                        b.getI1Type());
    };
    auto count = scf::ForOp::create(
        rewriter, loc, zero, n, one, ValueRange{zero},
        [&](OpBuilder &b, Location l, Value i, ValueRange carried) {
          Value next = arith::AddIOp::create(
              b, l, carried[0],
              arith::SelectOp::create(b, l, kept(b, l, i), one, zero));
          scf::YieldOp::create(b, l, next);
        });
    SmallVector<OpFoldResult> outSizes(sizes);
    outSizes[axis] = count.getResult(0);
    Value init = emptyTensorOfSizes(rewriter, loc, outSizes,
                                    resultType.getElementType());
    SmallVector<OpFoldResult> sliceSizes(sizes);
    sliceSizes[axis] = rewriter.getIndexAttr(1);
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    auto copy = scf::ForOp::create(
        rewriter, loc, zero, n, one, ValueRange{init, zero},
        [&](OpBuilder &b, Location l, Value i, ValueRange carried) {
          auto ifOp = scf::IfOp::create(
              b, l, kept(b, l, i),
              [&](OpBuilder &tb, Location tl) {
                SmallVector<OpFoldResult> from(rank, tb.getIndexAttr(0));
                from[axis] = i;
                Value slice = tensor::ExtractSliceOp::create(
                    tb, tl, input, from, sliceSizes, strides);
                SmallVector<OpFoldResult> to(rank, tb.getIndexAttr(0));
                to[axis] = carried[1];
                Value written = tensor::InsertSliceOp::create(
                    tb, tl, slice, carried[0], to, sliceSizes, strides);
                Value next = arith::AddIOp::create(tb, tl, carried[1], one);
                scf::YieldOp::create(tb, tl, ValueRange{written, next});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, carried);
              });
          scf::YieldOp::create(b, l, ifOp.getResults());
        });
    return copy.getResult(0);
  }
};

//===----------------------------------------------------------------------===//
// Repetition and reordering
//===----------------------------------------------------------------------===//

/// `kiln.one_hot`: a `linalg.generic` over the result comparing the
/// position on the new axis with the index.
struct OneHotToLinalg : OneResultPattern<OneHotOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(OneHotOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value indices = adaptor.getIndices(), values = adaptor.getValues();
    int64_t axis = op.getAxis();
    Type i64 = rewriter.getI64Type();
    Type depthType = getElementTypeOrSelf(op.getDepth().getType());
    Value depth = castScalar(rewriter, loc,
                             extractFirst(rewriter, loc, adaptor.getDepth()),
                             depthType, i64);
    Value depthIndex = arith::IndexCastOp::create(
        rewriter, loc, rewriter.getIndexType(), depth);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value off = tensor::ExtractOp::create(rewriter, loc, values, zero);
    Value on = tensor::ExtractOp::create(rewriter, loc, values, one);
    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, indices);
    sizes.insert(sizes.begin() + axis, depthIndex);
    Type indexElement = getElementTypeOrSelf(op.getIndices().getType());
    Value result = generateTensor(
        rewriter, loc, sizes, resultType.getElementType(),
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          SmallVector<Value> at(ivs);
          at.erase(at.begin() + axis);
          Value i =
              castScalar(b, l, tensor::ExtractOp::create(b, l, indices, at),
                         indexElement, i64);
          Value zero64 = scalarConstant(b, l, i64, 0);
          Value negative =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero64);
          i = arith::SelectOp::create(b, l, negative,
                                      arith::AddIOp::create(b, l, i, depth), i);
          Value position = arith::IndexCastOp::create(b, l, i64, ivs[axis]);
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                            position);
          return arith::SelectOp::create(b, l, hit, on, off).getResult();
        });
    return result;
  }
};

/// `kiln.tile`: a `linalg.generic` over the result reading the input at
/// each index modulo the input's size.
struct TileToLinalg : OneResultPattern<TileOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(TileOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), repeats = adaptor.getRepeats();
    bool unsignedRepeats = isUnsignedInt(op.getRepeats().getType());
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> inSizes = dimSizes(rewriter, loc, input);
    SmallVector<Value> inDims = indexValues(rewriter, loc, inSizes);
    SmallVector<OpFoldResult> sizes;
    for (auto [d, size] : llvm::enumerate(inSizes)) {
      if (!resultType.isDynamicDim(d)) {
        sizes.push_back(rewriter.getIndexAttr(resultType.getDimSize(d)));
        continue;
      }
      Value at = arith::ConstantIndexOp::create(rewriter, loc, d);
      Value r = tensor::ExtractOp::create(rewriter, loc, repeats, at);
      sizes.push_back(ia.mul(size, indexOf(rewriter, loc, r, unsignedRepeats)));
    }
    Value result = generateTensor(
        rewriter, loc, sizes, resultType.getElementType(),
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          SmallVector<Value> at;
          for (auto [iv, dim] : llvm::zip(ivs, inDims))
            at.push_back(arith::RemUIOp::create(b, l, iv, dim));
          return tensor::ExtractOp::create(b, l, input, at).getResult();
        });
    return result;
  }
};

/// `kiln.reverse_sequence`: a `linalg.generic` reading each element from
/// its mirrored time step when that lies within its batch's length.
struct ReverseSequenceToLinalg : OneResultPattern<ReverseSequenceOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(ReverseSequenceOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), lens = adaptor.getSequenceLens();
    bool unsignedLens = isUnsignedInt(op.getSequenceLens().getType());
    int64_t batchAxis = op.getBatchAxis(), timeAxis = op.getTimeAxis();
    Value timeSize = IndexArith{rewriter, loc}.value(
        dimSize(rewriter, loc, input, timeAxis));
    Value result = generateTensor(
        rewriter, loc, dimSizes(rewriter, loc, input),
        resultType.getElementType(),
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          Value one = arith::ConstantIndexOp::create(b, l, 1);
          Value len = indexOf(
              b, l, tensor::ExtractOp::create(b, l, lens, ivs[batchAxis]),
              unsignedLens);
          len = arith::MinSIOp::create(b, l, len, timeSize);
          Value t = ivs[timeAxis];
          Value inside =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, t, len);
          Value mirrored = arith::SubIOp::create(
              b, l, arith::SubIOp::create(b, l, len, one), t);
          SmallVector<Value> at(ivs);
          at[timeAxis] = arith::SelectOp::create(b, l, inside, mirrored, t);
          return tensor::ExtractOp::create(b, l, input, at).getResult();
        });
    return result;
  }
};

} // namespace

void mlir::kiln::populateKilnIndexingToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns
      .add<GatherElementsToLinalg, GatherNDToLinalg, ScatterElementsToLinalg,
           ScatterNDToLinalg, TriluToLinalg, ScanToLinalg<CumSumOp, false>,
           ScanToLinalg<CumProdOp, true>, TopKToLinalg, CompressToLinalg,
           OneHotToLinalg, TileToLinalg, ReverseSequenceToLinalg>(
          converter, patterns.getContext());
  populateKilnResizeToLinalgPatterns(converter, patterns);
  populateKilnUniqueToLinalgPatterns(converter, patterns);
}
