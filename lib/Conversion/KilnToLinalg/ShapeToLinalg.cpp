//===- ShapeToLinalg.cpp - kiln shape and data movement ops to linalg -----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The ops that move data without computing on it, with shapes given as
// attributes: `kiln.reshape` (collapse / expand where the shapes allow, else
// `tensor.reshape`), `kiln.transpose` (`linalg.transpose`), `kiln.concat`
// (`tensor.insert_slice`s), `kiln.split` and `kiln.slice`
// (`tensor.extract_slice`, and a reversing `linalg.generic` for negative
// steps), `kiln.gather`, `kiln.pad` (`tensor.pad`, or a `linalg.generic`
// computing source indices for reflect and edge) and `kiln.broadcast_to`.
// Every size is computed with index arithmetic, so dynamic dims work.
//
//===----------------------------------------------------------------------===//

#include "DataMovement.h"
#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

/// Whether `groups` merge the dims of `wide` into those of `narrow` in a
/// way a row-major reshape must: every static narrow dim is the product of
/// its group's static dims, and a dynamic one holds the one dynamic dim of
/// its group. (With at most one dynamic dim on each side and no zero-sized
/// dims, the element count then fixes the dynamic sizes.)
static bool isExactGrouping(ArrayRef<int64_t> wide, ArrayRef<int64_t> narrow,
                            ArrayRef<ReassociationIndices> groups) {
  if (llvm::count_if(wide, ShapedType::isDynamic) > 1 ||
      llvm::count_if(narrow, ShapedType::isDynamic) > 1 ||
      llvm::is_contained(wide, 0) || llvm::is_contained(narrow, 0))
    return false;
  if (narrow.empty())
    return llvm::all_of(wide, [](int64_t d) { return d == 1; });
  if (groups.size() != narrow.size())
    return false;
  for (auto [group, size] : llvm::zip_equal(groups, narrow)) {
    int64_t product = 1, dynamic = 0;
    for (int64_t d : group) {
      if (ShapedType::isDynamic(wide[d]))
        ++dynamic;
      else
        product *= wide[d];
    }
    if (ShapedType::isDynamic(size) ? dynamic != 1
                                    : (dynamic != 0 || product != size))
      return false;
  }
  return true;
}

Value mlir::kiln::reshapeTensor(OpBuilder &b, Location loc, Value input,
                                RankedTensorType resultType,
                                ArrayRef<OpFoldResult> sizes) {
  auto inputType = cast<RankedTensorType>(input.getType());
  // Equal types are the same shape only when no dim is dynamic.
  if (inputType == resultType && inputType.hasStaticShape())
    return input;
  ArrayRef<int64_t> in = inputType.getShape(), out = resultType.getShape();
  if (in.size() > out.size()) {
    std::optional<SmallVector<ReassociationIndices>> groups =
        out.empty() ? SmallVector<ReassociationIndices>{}
                    : getReassociationIndicesForCollapse(in, out);
    if (groups && isExactGrouping(in, out, *groups))
      return tensor::CollapseShapeOp::create(b, loc, resultType, input,
                                             *groups);
  } else if (in.size() < out.size()) {
    std::optional<SmallVector<ReassociationIndices>> groups =
        in.empty() ? SmallVector<ReassociationIndices>{}
                   : getReassociationIndicesForCollapse(out, in);
    if (groups && isExactGrouping(out, in, *groups))
      return tensor::ExpandShapeOp::create(b, loc, resultType, input, *groups,
                                           sizes);
  } else if (inputType.hasStaticShape() && in == out) {
    return castTo(b, loc, input, resultType);
  }
  IndexArith ia{b, loc};
  SmallVector<Value> values;
  for (OpFoldResult size : sizes)
    values.push_back(ia.value(size));
  Value shape;
  if (values.empty())
    shape = arith::ConstantOp::create(
        b, loc,
        DenseIntElementsAttr::get(RankedTensorType::get({0}, b.getIndexType()),
                                  ArrayRef<int64_t>{}));
  else
    shape = tensor::FromElementsOp::create(b, loc, values);
  return tensor::ReshapeOp::create(b, loc, resultType, input, shape);
}

Value mlir::kiln::extractSlice(OpBuilder &b, Location loc, Value source,
                               ArrayRef<OpFoldResult> offsets,
                               ArrayRef<OpFoldResult> sizes,
                               ArrayRef<OpFoldResult> strides) {
  auto type = cast<RankedTensorType>(source.getType());
  auto isZero = [](OpFoldResult v) {
    std::optional<int64_t> c = getConstantIntValue(v);
    return c && *c == 0;
  };
  if (llvm::is_contained(type.getShape(), 0) || llvm::any_of(sizes, isZero)) {
    // Keep dynamic sizes dynamic, as extract_slice's result would be.
    return tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  }
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                        strides);
}

Value mlir::kiln::broadcastTensor(OpBuilder &b, Location loc, Value input,
                                  RankedTensorType resultType,
                                  ArrayRef<OpFoldResult> sizes,
                                  ArrayRef<BroadcastDim> dims) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = resultType.getRank(), offset = rank - inputType.getRank();
  MLIRContext *context = b.getContext();
  Value init =
      tensor::EmptyOp::create(b, loc, sizes, resultType.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  Value result;
  if (!llvm::is_contained(dims, BroadcastDim::RunTime)) {
    SmallVector<AffineExpr> exprs;
    for (auto [i, dim] : llvm::enumerate(dims))
      exprs.push_back(dim == BroadcastDim::Expand
                          ? getAffineConstantExpr(0, context)
                          : getAffineDimExpr(i + offset, context));
    AffineMap map = AffineMap::get(rank, 0, exprs, context);
    result = linalg::GenericOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{input},
                 ValueRange{init}, ArrayRef<AffineMap>{map, id}, iterators,
                 [](OpBuilder &nb, Location l, ValueRange args) {
                   linalg::YieldOp::create(nb, l, args[0]);
                 })
                 .getResult(0);
  } else {
    // Some input dim may or may not be 1: compute the index to read.
    SmallVector<Value> isOne(dims.size());
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [i, dim] : llvm::enumerate(dims))
      if (dim == BroadcastDim::RunTime)
        isOne[i] =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                  tensor::DimOp::create(b, loc, input, i), one);
    result =
        linalg::GenericOp::create(
            b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
            ArrayRef<AffineMap>{id}, iterators,
            [&](OpBuilder &nb, Location l, ValueRange) {
              Value zero = arith::ConstantIndexOp::create(nb, l, 0);
              SmallVector<Value> indices;
              for (auto [i, dim] : llvm::enumerate(dims)) {
                Value index = linalg::IndexOp::create(nb, l, i + offset);
                if (dim == BroadcastDim::Expand)
                  index = zero;
                else if (dim == BroadcastDim::RunTime)
                  index = arith::SelectOp::create(nb, l, isOne[i], zero, index);
                indices.push_back(index);
              }
              linalg::YieldOp::create(
                  nb, l,
                  tensor::ExtractOp::create(nb, l, input, indices).getResult());
            })
            .getResult(0);
  }
  return castTo(b, loc, result, resultType);
}

namespace {

//===----------------------------------------------------------------------===//
// Reshape and transpose
//===----------------------------------------------------------------------===//

/// `kiln.reshape`: `0` copies the input's dim, `-1` is the element count
/// divided by the other sizes.
struct ReshapeToTensor : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Value input = adaptor.getInput();
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> sizes;
    std::optional<size_t> inferred;
    for (auto [i, s] : llvm::enumerate(op.getShape())) {
      if (!resultType.isDynamicDim(i))
        sizes.push_back(ia.index(resultType.getDimSize(i)));
      else if (s == 0)
        sizes.push_back(dimSize(rewriter, loc, input, i));
      else
        sizes.push_back(ia.index(s));
      if (s == -1 && resultType.isDynamicDim(i))
        inferred = i;
    }
    if (inferred) {
      // The element count over the other sizes (at least 1: a -1 beside a
      // zero size is ill-formed, and must not divide by zero).
      OpFoldResult known = ia.index(1);
      for (auto [i, size] : llvm::enumerate(sizes))
        if (i != *inferred)
          known = ia.mul(known, size);
      OpFoldResult total = numElements(rewriter, loc, input);
      sizes[*inferred] = ia.floorDiv(total, ia.max(known, ia.index(1)));
    }
    rewriter.replaceOp(op,
                       reshapeTensor(rewriter, loc, input, resultType, sizes));
    return success();
  }
};

/// `kiln.transpose` as `linalg.transpose`.
struct TransposeToLinalg : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Value input = adaptor.getInput();
    SmallVector<OpFoldResult> inSizes = dimSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> sizes;
    for (int64_t p : op.getPerm())
      sizes.push_back(inSizes[p]);
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes,
                                         resultType.getElementType());
    auto transpose =
        linalg::TransposeOp::create(rewriter, loc, input, init, op.getPerm());
    rewriter.replaceOp(
        op, castTo(rewriter, loc, transpose.getResult()[0], resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Concat, split and slice
//===----------------------------------------------------------------------===//

/// `kiln.concat`: each input is inserted into the result at its offset
/// along the axis.
struct ConcatToTensor : OneResultPattern<ConcatOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(ConcatOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis(), rank = resultType.getRank();
    IndexArith ia{rewriter, loc};
    ValueRange inputs = adaptor.getInputs();
    SmallVector<SmallVector<OpFoldResult>> inSizes;
    for (Value input : inputs)
      inSizes.push_back(dimSizes(rewriter, loc, input));
    // Other dims: static where any input (or the result) says so.
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        OpFoldResult total = ia.index(0);
        for (auto &s : inSizes)
          total = ia.add(total, s[d]);
        sizes.push_back(total);
        continue;
      }
      OpFoldResult size = inSizes.front()[d];
      if (!resultType.isDynamicDim(d))
        size = ia.index(resultType.getDimSize(d));
      for (auto &s : inSizes)
        if (getConstantIntValue(s[d]))
          size = s[d];
      sizes.push_back(size);
    }
    Value result = tensor::EmptyOp::create(rewriter, loc, sizes,
                                           resultType.getElementType());
    OpFoldResult offset = ia.index(0);
    SmallVector<OpFoldResult> strides(rank, ia.index(1));
    for (auto [input, s] : llvm::zip_equal(inputs, inSizes)) {
      SmallVector<OpFoldResult> offsets(rank, ia.index(0));
      // An empty input adds nothing (and no offset into an empty or
      // exhausted dim passes the verifier).
      if (llvm::any_of(s, [](OpFoldResult v) {
            std::optional<int64_t> c = getConstantIntValue(v);
            return c && *c == 0;
          }))
        continue;
      offsets[axis] = offset;
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, s, strides);
      offset = ia.add(offset, s[axis]);
    }
    return result;
  }
};

/// `kiln.split`: one `tensor.extract_slice` per result.
struct SplitToTensor : OpConversionPattern<SplitOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> strides(rank, ia.index(1));
    SmallVector<Value> results;
    int64_t offset = 0;
    for (auto [size, result] :
         llvm::zip_equal(op.getSizes(), op.getResults())) {
      auto resultType =
          convertedTensorType(*getTypeConverter(), result.getType());
      if (!resultType)
        return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
      SmallVector<OpFoldResult> offsets(rank, ia.index(0));
      // An empty piece may sit at the very end, where no offset is in
      // bounds: any offset does.
      offsets[axis] = ia.index(size == 0 ? 0 : offset);
      sizes[axis] = ia.index(size);
      Value slice = extractSlice(rewriter, loc, input, offsets, sizes, strides);
      results.push_back(castTo(rewriter, loc, slice, resultType));
      offset += size;
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Reverses `value` along `axes`: a `linalg.generic` reading index
/// `size - 1 - i` of those axes.
Value reverseAxes(OpBuilder &b, Location loc, Value value,
                  ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = dimSizes(b, loc, value);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  IndexArith ia{b, loc};
  SmallVector<Value> lasts(rank);
  for (int64_t a : axes)
    lasts[a] = ia.value(ia.sub(sizes[a], ia.index(1)));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)}, iterators,
             [&](OpBuilder &nb, Location l, ValueRange) {
               SmallVector<Value> indices;
               for (int64_t d = 0; d < rank; ++d) {
                 Value i = linalg::IndexOp::create(nb, l, d);
                 if (lasts[d])
                   i = arith::SubIOp::create(nb, l, lasts[d], i);
                 indices.push_back(i);
               }
               linalg::YieldOp::create(
                   nb, l,
                   tensor::ExtractOp::create(nb, l, value, indices)
                       .getResult());
             })
      .getResult(0);
}

/// The first index, element count and stride of a slice of a dim of `dim`
/// elements, as `kiln.slice` clamps it; a negative step's elements are
/// taken in increasing order (the slice is reversed afterwards).
struct SliceBounds {
  OpFoldResult offset, size, stride;
};

SliceBounds sliceBounds(IndexArith &ia, OpFoldResult dim, int64_t start,
                        int64_t end, int64_t step) {
  OpBuilder &b = ia.b;
  Location loc = ia.loc;
  std::optional<int64_t> staticDim = getConstantIntValue(dim);
  if (staticDim) {
    int64_t n = *staticDim;
    auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v = v < -n ? -n - 1 : v + n;
      return std::clamp(v, lo, hi);
    };
    int64_t first, count;
    if (n == 0) {
      first = count = 0;
    } else if (step > 0) {
      first = clampIndex(start, 0, n);
      int64_t last = clampIndex(end, 0, n);
      count = last > first ? (last - first + step - 1) / step : 0;
    } else {
      int64_t s = clampIndex(start, 0, n - 1), e = clampIndex(end, -1, n - 1);
      count = s > e ? (s - e - step - 1) / -step : 0;
      first = std::max<int64_t>(s + (count - 1) * step, 0);
    }
    if (count == 0)
      first = 0;
    return {ia.index(first), ia.index(count), ia.index(std::abs(step))};
  }
  // At run time: the same rules with index arithmetic.
  Value n = ia.value(dim);
  // `lo` is 0 or -1, so a non-negative `v` needs no lower clamp.
  auto clampIndex = [&](int64_t v, Value lo, Value hi) -> Value {
    Value x = arith::ConstantIndexOp::create(b, loc, v);
    if (v < 0) {
      x = arith::AddIOp::create(b, loc, n, x);
      x = arith::MaxSIOp::create(b, loc, x, lo);
    }
    return arith::MinSIOp::create(b, loc, x, hi);
  };
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  int64_t stride = std::abs(step);
  Value strideV = arith::ConstantIndexOp::create(b, loc, stride);
  Value first, count;
  auto countOf = [&](Value from, Value to) -> Value {
    // max(ceil((to - from) / stride), 0)
    Value span = arith::SubIOp::create(b, loc, to, from);
    Value c = arith::CeilDivSIOp::create(b, loc, span, strideV);
    return arith::MaxSIOp::create(b, loc, c, zero);
  };
  if (step > 0) {
    first = clampIndex(start, zero, n);
    count = countOf(first, clampIndex(end, zero, n));
  } else {
    Value last = arith::SubIOp::create(b, loc, n, one);
    Value s = clampIndex(start, zero, last);
    Value minusOne = arith::ConstantIndexOp::create(b, loc, -1);
    count = countOf(clampIndex(end, minusOne, last), s);
    // The lowest index taken: s - (count - 1) * stride, or 0 when empty.
    Value steps = arith::MaxSIOp::create(
        b, loc, arith::SubIOp::create(b, loc, count, one), zero);
    first = arith::SubIOp::create(
        b, loc, s, arith::MulIOp::create(b, loc, steps, strideV));
    first = arith::MaxSIOp::create(b, loc, first, zero);
  }
  return {first, count, ia.index(stride)};
}

/// `kiln.slice`: a strided `tensor.extract_slice`, reversed along the axes
/// with a negative step.
struct SliceToTensor : OneResultPattern<SliceOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(SliceOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t rank = resultType.getRank();
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> sizes = dimSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> offsets(rank, ia.index(0)),
        strides(rank, ia.index(1));
    SmallVector<int64_t> reversed;
    for (auto [i, axis] : llvm::enumerate(op.getAxes())) {
      int64_t step = op.getSteps()[i];
      SliceBounds bounds = sliceBounds(ia, sizes[axis], op.getStarts()[i],
                                       op.getEnds()[i], step);
      offsets[axis] = bounds.offset;
      sizes[axis] = bounds.size;
      strides[axis] = bounds.stride;
      if (step < 0)
        reversed.push_back(axis);
    }
    Value result = extractSlice(rewriter, loc, input, offsets, sizes, strides);
    if (!reversed.empty())
      result = reverseAxes(rewriter, loc, result, reversed);
    return result;
  }
};

//===----------------------------------------------------------------------===//
// Gather, pad and broadcast
//===----------------------------------------------------------------------===//

/// `kiln.gather` (ONNX Gather): a `linalg.generic` over the result reading
/// the index and then the data with `tensor.extract`. Negative indices count
/// from the end; indices are clamped into range, so that an invalid index
/// cannot read outside the data.
struct GatherToLinalg : OneResultPattern<GatherOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(GatherOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    bool unsignedIndices = isUnsignedInt(op.getIndices().getType());
    int64_t axis = op.getAxis();
    int64_t dataRank = cast<RankedTensorType>(data.getType()).getRank();
    int64_t indexRank = cast<RankedTensorType>(indices.getType()).getRank();
    int64_t rank = dataRank - 1 + indexRank;
    MLIRContext *context = rewriter.getContext();

    SmallVector<OpFoldResult> dataSizes = dimSizes(rewriter, loc, data);
    SmallVector<OpFoldResult> indexSizes = dimSizes(rewriter, loc, indices);
    SmallVector<OpFoldResult> sizes(dataSizes.begin(),
                                    dataSizes.begin() + axis);
    llvm::append_range(sizes, indexSizes);
    sizes.append(dataSizes.begin() + axis + 1, dataSizes.end());
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes,
                                         resultType.getElementType());
    IndexArith ia{rewriter, loc};
    Value dimV = ia.value(dataSizes[axis]);
    Value lastV = ia.value(ia.sub(dataSizes[axis], ia.index(1)));

    SmallVector<AffineExpr> indexExprs;
    for (int64_t d = 0; d < indexRank; ++d)
      indexExprs.push_back(getAffineDimExpr(axis + d, context));
    AffineMap indexMap = AffineMap::get(rank, 0, indexExprs, context);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{indices},
        ValueRange{init},
        ArrayRef<AffineMap>{indexMap, rewriter.getMultiDimIdentityMap(rank)},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Type indexType = b.getIndexType();
          Value i = unsignedIndices
                        ? arith::IndexCastUIOp::create(b, l, indexType, args[0])
                              .getResult()
                        : arith::IndexCastOp::create(b, l, indexType, args[0])
                              .getResult();
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value negative =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
          i = arith::SelectOp::create(b, l, negative,
                                      arith::AddIOp::create(b, l, i, dimV), i);
          i = arith::MinSIOp::create(
              b, l, arith::MaxSIOp::create(b, l, i, zero), lastV);
          SmallVector<Value> dataIndices;
          for (int64_t d = 0; d < axis; ++d)
            dataIndices.push_back(linalg::IndexOp::create(b, l, d));
          dataIndices.push_back(i);
          for (int64_t d = axis + 1; d < dataRank; ++d)
            dataIndices.push_back(
                linalg::IndexOp::create(b, l, d - 1 + indexRank));
          linalg::YieldOp::create(
              b, l,
              tensor::ExtractOp::create(b, l, data, dataIndices).getResult());
        });
    return generic.getResult(0);
  }
};

/// `kiln.pad`: `tensor.pad` with the fill value in constant mode; in reflect
/// and edge modes a `linalg.generic` computes each result element's source
/// index (mirrored about the edge, or clamped to it).
struct PadToLinalg : OneResultPattern<PadOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(PadOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = inputType.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> inSizes = dimSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> low, high, sizes;
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d) {
      low.push_back(ia.index(pads[d]));
      high.push_back(ia.index(pads[d + rank]));
      sizes.push_back(ia.add(inSizes[d], ia.index(pads[d] + pads[d + rank])));
      std::optional<int64_t> s = getConstantIntValue(sizes.back());
      shape.push_back(s ? *s : ShapedType::kDynamic);
    }
    Type element = resultType.getElementType();
    Value result;
    if (op.getMode() == PadMode::Constant) {
      Value fill = scalarConstant(rewriter, loc, element,
                                  op.getValue().convertToDouble());
      result = tensor::PadOp::create(rewriter, loc, inputType.clone(shape),
                                     input, low, high, fill);
    } else {
      bool reflect = op.getMode() == PadMode::Reflect;
      Value init = tensor::EmptyOp::create(rewriter, loc, sizes, element);
      SmallVector<Value> lasts;
      for (int64_t d = 0; d < rank; ++d)
        lasts.push_back(ia.value(ia.sub(inSizes[d], ia.index(1))));
      SmallVector<utils::IteratorType> iterators(rank,
                                                 utils::IteratorType::parallel);
      result =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{init.getType()}, ValueRange{},
              ValueRange{init},
              ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
              iterators,
              [&](OpBuilder &b, Location l, ValueRange) {
                Value zero = arith::ConstantIndexOp::create(b, l, 0);
                SmallVector<Value> indices;
                for (int64_t d = 0; d < rank; ++d) {
                  Value i = linalg::IndexOp::create(b, l, d);
                  if (pads[d] == 0 && pads[d + rank] == 0) {
                    indices.push_back(i);
                    continue;
                  }
                  i = arith::SubIOp::create(
                      b, l, i, arith::ConstantIndexOp::create(b, l, pads[d]));
                  if (reflect) {
                    // -i before the start; 2 * last - i past the end.
                    Value neg = arith::SubIOp::create(b, l, zero, i);
                    i = arith::MaxSIOp::create(b, l, i, neg);
                    Value twiceLast =
                        arith::AddIOp::create(b, l, lasts[d], lasts[d]);
                    Value mirrored = arith::SubIOp::create(b, l, twiceLast, i);
                    i = arith::MinSIOp::create(b, l, i, mirrored);
                  } else {
                    i = arith::MinSIOp::create(
                        b, l, arith::MaxSIOp::create(b, l, i, zero), lasts[d]);
                  }
                  indices.push_back(i);
                }
                linalg::YieldOp::create(
                    b, l,
                    tensor::ExtractOp::create(b, l, input, indices)
                        .getResult());
              })
              .getResult(0);
    }
    return result;
  }
};

/// `kiln.broadcast_to` (ONNX Expand). A dynamic input dim facing a `shape`
/// entry other than 1 may be 1 (and broadcast) or not, which is decided at
/// run time.
struct BroadcastToLinalg : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertedTensorType(*getTypeConverter(), op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    ArrayRef<int64_t> shape = op.getShape();
    int64_t rank = resultType.getRank();
    int64_t inOffset = rank - inputType.getRank();
    int64_t shapeOffset = rank - static_cast<int64_t>(shape.size());
    SmallVector<OpFoldResult> sizes;
    SmallVector<BroadcastDim> dims;
    for (int64_t j = 0; j < rank; ++j) {
      int64_t i = j - inOffset, k = j - shapeOffset;
      std::optional<int64_t> entry;
      if (k >= 0)
        entry = shape[k];
      if (i >= 0) {
        int64_t in = inputType.getDimSize(i);
        if (ShapedType::isDynamic(in))
          dims.push_back(!entry || *entry == 1 ? BroadcastDim::Same
                                               : BroadcastDim::RunTime);
        else if (in == 1 && entry && *entry != 1)
          dims.push_back(BroadcastDim::Expand);
        else
          dims.push_back(BroadcastDim::Same);
      }
      if (!resultType.isDynamicDim(j))
        sizes.push_back(rewriter.getIndexAttr(resultType.getDimSize(j)));
      else if (i >= 0)
        sizes.push_back(dimSize(rewriter, loc, input, i));
      else
        return rewriter.notifyMatchFailure(op, "a dynamic result dim with "
                                               "no input dim to size it");
    }
    rewriter.replaceOp(
        op, broadcastTensor(rewriter, loc, input, resultType, sizes, dims));
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnShapeToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns
      .add<ReshapeToTensor, TransposeToLinalg, ConcatToTensor, SplitToTensor,
           SliceToTensor, GatherToLinalg, PadToLinalg, BroadcastToLinalg>(
          converter, patterns.getContext());
}
