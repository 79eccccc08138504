//===- ConvolutionToLinalg.cpp - kiln convolutions to linalg --------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kiln.conv` pads its input with `tensor.pad`, then becomes a linalg named
// convolution where one fits (`conv_{1,2,3}d_nc*_fc*` for one group,
// `depthwise_conv_{1,2,3}d_nc*_c*` for one channel per group,
// `conv_2d_ngchw_gfchw` for other 2-D groups) and one `linalg.generic` over
// (N, G, F/G, spatial...) otherwise. The accumulator starts as the bias
// broadcast over the output, or zeros.
//
// `kiln.conv_transpose` is a convolution of the input dilated by the
// strides (zeros in between) and padded by `(kernel - 1) * dilation` less
// the pads (plus `output_padding` at the end), with the kernel flipped: one
// `linalg.generic` reading the flipped kernel index on the input side.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// A ranked tensor type of `sizes`, dynamic where they are not constant.
RankedTensorType typeOfSizes(ArrayRef<OpFoldResult> sizes, Type element) {
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes)
    shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
  return RankedTensorType::get(shape, element);
}

/// `value` as `type`, through `tensor.cast` when only the static
/// information differs.
Value castToType(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// Splits dim `dim` of `value` into (`outer`, size / outer).
Value splitDim(OpBuilder &b, Location loc, Value value, int64_t dim,
               int64_t outer) {
  IndexArith ia{b, loc};
  SmallVector<OpFoldResult> sizes = dimSizes(b, loc, value);
  SmallVector<OpFoldResult> newSizes;
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0, e = sizes.size(); d < e; ++d) {
    if (d == dim) {
      groups.push_back({d, d + 1});
      newSizes.push_back(ia.index(outer));
      newSizes.push_back(ia.floorDiv(sizes[d], ia.index(outer)));
      continue;
    }
    groups.push_back({static_cast<int64_t>(newSizes.size())});
    newSizes.push_back(sizes[d]);
  }
  auto element = cast<RankedTensorType>(value.getType()).getElementType();
  return tensor::ExpandShapeOp::create(b, loc, typeOfSizes(newSizes, element),
                                       value, groups, newSizes);
}

/// Merges dims `dim` and `dim + 1` of `value`.
Value mergeDims(OpBuilder &b, Location loc, Value value, int64_t dim) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == dim + 1)
      continue;
    groups.push_back(d == dim ? ReassociationIndices{d, d + 1}
                              : ReassociationIndices{d});
  }
  return tensor::CollapseShapeOp::create(b, loc, value, groups);
}

/// The accumulator of an (N, O, spatial...) convolution result of `sizes`:
/// `bias` (O) broadcast, or zeros.
Value convInit(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
               Type element, Value bias) {
  Value empty = emptyTensorOfSizes(b, loc, sizes, element);
  if (!bias)
    return fillTensor(b, loc, scalarConstant(b, loc, element, 0), empty);
  SmallVector<int64_t> added = {0};
  for (int64_t d = 2, e = sizes.size(); d < e; ++d)
    added.push_back(d);
  return linalg::BroadcastOp::create(b, loc, bias, empty, added).getResult()[0];
}

/// `input` padded with `padValue` by `begin` / `end` on its spatial dims.
Value padSpatial(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> begin, ArrayRef<int64_t> end,
                 Value padValue) {
  if (llvm::all_of(begin, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(end, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<OpFoldResult> low(2, b.getIndexAttr(0)), high = low;
  SmallVector<int64_t> shape(type.getShape());
  for (size_t i = 0; i < begin.size(); ++i) {
    low.push_back(b.getIndexAttr(begin[i]));
    high.push_back(b.getIndexAttr(end[i]));
    if (!ShapedType::isDynamic(shape[i + 2]))
      shape[i + 2] += begin[i] + end[i];
  }
  return tensor::PadOp::create(b, loc, type.clone(shape), input, low, high,
                               padValue);
}

/// One `linalg.generic` convolution over (N, G, F, spatial...) loops with
/// (C, kernel...) reductions. `input` is (N, G, C, spatial...) and `init`
/// (N, G, F, spatial...). A forward convolution's `weight` is
/// (G, F, C, kernel...) and it reads `input[o * stride + k * dilation]`; a
/// transposed one's is (G, C, F, kernel...) and it reads
/// `input[o + (K - 1 - k) * dilation]` (the input already dilated and
/// padded).
Value groupedConvGeneric(OpBuilder &b, Location loc, Value input, Value weight,
                         Value init, ArrayRef<int64_t> kernel,
                         ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                         bool transposed) {
  MLIRContext *context = b.getContext();
  int64_t spatial = kernel.size();
  int64_t loops = 4 + 2 * spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  // Loops: n, g, f, o..., c, k...
  AffineExpr n = dim(0), g = dim(1), f = dim(2), c = dim(3 + spatial);
  SmallVector<AffineExpr> inputExprs = {n, g, c}, weightExprs = {g},
                          outputExprs = {n, g, f};
  if (transposed)
    weightExprs.append({c, f});
  else
    weightExprs.append({f, c});
  for (int64_t i = 0; i < spatial; ++i) {
    AffineExpr o = dim(3 + i), k = dim(4 + spatial + i);
    inputExprs.push_back(transposed ? o + (kernel[i] - 1 - k) * dilations[i]
                                    : o * strides[i] + k * dilations[i]);
    weightExprs.push_back(k);
    outputExprs.push_back(o);
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, inputExprs, context),
      AffineMap::get(loops, 0, weightExprs, context),
      AffineMap::get(loops, 0, outputExprs, context)};
  SmallVector<utils::IteratorType> iterators(3 + spatial,
                                             utils::IteratorType::parallel);
  iterators.append(1 + spatial, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{input, weight},
             ValueRange{init}, maps, iterators,
             [](OpBuilder &b, Location loc, ValueRange args) {
               Value product = arith::MulFOp::create(b, loc, args[0], args[1]);
               linalg::YieldOp::create(
                   b, loc,
                   arith::AddFOp::create(b, loc, args[2], product).getResult());
             })
      .getResult(0);
}

/// The kernel's spatial sizes, if they are all static.
std::optional<SmallVector<int64_t>> staticKernel(RankedTensorType weight) {
  SmallVector<int64_t> kernel(weight.getShape().drop_front(2));
  if (llvm::any_of(kernel, ShapedType::isDynamic))
    return std::nullopt;
  return kernel;
}

struct ConvToLinalg : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    Type element = type.getElementType();
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    auto weightType = cast<RankedTensorType>(weight.getType());
    std::optional<SmallVector<int64_t>> kernel = staticKernel(weightType);
    if (!kernel)
      return rewriter.notifyMatchFailure(op, "dynamic kernel size");
    int64_t spatial = kernel->size(), group = op.getGroup();
    ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                      dilations = op.getDilations();
    if (group > 1 && ShapedType::isDynamic(weightType.getDimSize(0)))
      return rewriter.notifyMatchFailure(op, "dynamic grouped channels");

    Value padded = padSpatial(rewriter, loc, input, pads.take_front(spatial),
                              pads.drop_front(spatial),
                              scalarConstant(rewriter, loc, element, 0));
    IndexArith ia{rewriter, loc};
    SmallVector<OpFoldResult> sizes = {dimSize(rewriter, loc, input, 0),
                                       dimSize(rewriter, loc, weight, 0)};
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t extent = ((*kernel)[i] - 1) * dilations[i] + 1;
      OpFoldResult span =
          ia.sub(dimSize(rewriter, loc, padded, i + 2), ia.index(extent));
      sizes.push_back(
          ia.add(ia.floorDiv(span, ia.index(strides[i])), ia.index(1)));
    }
    Value init = convInit(rewriter, loc, sizes, element, adaptor.getBias());
    auto accType = cast<RankedTensorType>(init.getType());
    auto stridesAttr = rewriter.getI64TensorAttr(strides);
    auto dilationsAttr = rewriter.getI64TensorAttr(dilations);

    Value result;
    int64_t inChannels = cast<RankedTensorType>(input.getType()).getDimSize(1);
    bool depthwise = group > 1 && weightType.getDimSize(0) == group &&
                     weightType.getDimSize(1) == 1 && inChannels == group;
    if (group == 1 && spatial <= 3) {
      SmallVector<Value> ins = {padded, weight};
      if (spatial == 1)
        result =
            linalg::Conv1DNcwFcwOp::create(rewriter, loc, accType, ins, init,
                                           stridesAttr, dilationsAttr)
                .getResult(0);
      else if (spatial == 2)
        result =
            linalg::Conv2DNchwFchwOp::create(rewriter, loc, accType, ins, init,
                                             stridesAttr, dilationsAttr)
                .getResult(0);
      else
        result =
            linalg::Conv3DNcdhwFcdhwOp::create(rewriter, loc, accType, ins,
                                               init, stridesAttr, dilationsAttr)
                .getResult(0);
    } else if (depthwise && spatial <= 3) {
      // (C, 1, kernel...) -> (C, kernel...).
      SmallVector<ReassociationIndices> groups = {{0, 1}};
      for (int64_t i = 0; i < spatial; ++i)
        groups.push_back({i + 2});
      Value filter =
          tensor::CollapseShapeOp::create(rewriter, loc, weight, groups);
      SmallVector<Value> ins = {padded, filter};
      if (spatial == 1)
        result = linalg::DepthwiseConv1DNcwCwOp::create(rewriter, loc, accType,
                                                        ins, init, stridesAttr,
                                                        dilationsAttr)
                     .getResult(0);
      else if (spatial == 2)
        result =
            linalg::DepthwiseConv2DNchwChwOp::create(
                rewriter, loc, accType, ins, init, stridesAttr, dilationsAttr)
                .getResult(0);
      else
        result =
            linalg::DepthwiseConv3DNcdhwCdhwOp::create(
                rewriter, loc, accType, ins, init, stridesAttr, dilationsAttr)
                .getResult(0);
    } else {
      // Groups: (N, C, ...) -> (N, G, C/G, ...), (O, C/G, ...) ->
      // (G, O/G, C/G, ...), and the accumulator (N, G, O/G, ...).
      Value groupedInput = splitDim(rewriter, loc, padded, 1, group);
      Value groupedWeight = splitDim(rewriter, loc, weight, 0, group);
      Value groupedInit = splitDim(rewriter, loc, init, 1, group);
      Value grouped;
      if (spatial == 2)
        grouped = linalg::Conv2DNgchwGfchwOp::create(
                      rewriter, loc, groupedInit.getType(),
                      ValueRange{groupedInput, groupedWeight}, groupedInit,
                      stridesAttr, dilationsAttr)
                      .getResult(0);
      else
        grouped = groupedConvGeneric(rewriter, loc, groupedInput, groupedWeight,
                                     groupedInit, *kernel, strides, dilations,
                                     /*transposed=*/false);
      result = mergeDims(rewriter, loc, grouped, 1);
    }
    rewriter.replaceOp(op, castToType(rewriter, loc, result, type));
    return success();
  }
};

struct ConvTransposeToLinalg : OpConversionPattern<ConvTransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    Type element = type.getElementType();
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    auto weightType = cast<RankedTensorType>(weight.getType());
    std::optional<SmallVector<int64_t>> kernel = staticKernel(weightType);
    if (!kernel)
      return rewriter.notifyMatchFailure(op, "dynamic kernel size");
    if (weightType.isDynamicDim(1))
      return rewriter.notifyMatchFailure(op, "dynamic output channels");
    int64_t spatial = kernel->size(), group = op.getGroup();
    ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                      dilations = op.getDilations(),
                      outputPadding = op.getOutputPadding();
    IndexArith ia{rewriter, loc};

    // The input dilated by the strides, padded by `(K - 1) * dilation - pad`
    // (plus output_padding at the end). A negative pad crops.
    SmallVector<OpFoldResult> inSizes = dimSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> bufferSizes(inSizes.begin(), inSizes.begin() + 2);
    SmallVector<OpFoldResult> offsets(2, ia.index(0)), cropOffsets = offsets;
    SmallVector<OpFoldResult> insertStrides(2, ia.index(1));
    SmallVector<OpFoldResult> paddedSizes = bufferSizes;
    bool crops = false;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t reach = ((*kernel)[i] - 1) * dilations[i];
      int64_t low = reach - pads[i];
      int64_t high = reach - pads[i + spatial] + outputPadding[i];
      OpFoldResult dilated = ia.add(
          ia.mul(ia.sub(inSizes[i + 2], ia.index(1)), ia.index(strides[i])),
          ia.index(1));
      bufferSizes.push_back(ia.add(
          dilated,
          ia.index(std::max<int64_t>(low, 0) + std::max<int64_t>(high, 0))));
      offsets.push_back(ia.index(std::max<int64_t>(low, 0)));
      insertStrides.push_back(ia.index(strides[i]));
      cropOffsets.push_back(ia.index(std::max<int64_t>(-low, 0)));
      paddedSizes.push_back(ia.add(dilated, ia.index(low + high)));
      crops |= low < 0 || high < 0;
    }
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value buffer =
        fillTensor(rewriter, loc, zero,
                   emptyTensorOfSizes(rewriter, loc, bufferSizes, element));
    Value dilated = tensor::InsertSliceOp::create(
        rewriter, loc, input, buffer, offsets, inSizes, insertStrides);
    if (crops)
      dilated = tensor::ExtractSliceOp::create(
          rewriter, loc, typeOfSizes(paddedSizes, element), dilated,
          cropOffsets, paddedSizes,
          SmallVector<OpFoldResult>(spatial + 2, ia.index(1)));

    int64_t outChannels = weightType.getDimSize(1) * group;
    SmallVector<OpFoldResult> sizes = {inSizes[0], ia.index(outChannels)};
    for (int64_t i = 0; i < spatial; ++i)
      sizes.push_back(ia.sub(paddedSizes[i + 2],
                             ia.index(((*kernel)[i] - 1) * dilations[i])));
    Value init = convInit(rewriter, loc, sizes, element, adaptor.getBias());
    Value grouped = groupedConvGeneric(
        rewriter, loc, splitDim(rewriter, loc, dilated, 1, group),
        splitDim(rewriter, loc, weight, 0, group),
        splitDim(rewriter, loc, init, 1, group), *kernel, strides, dilations,
        /*transposed=*/true);
    Value result = mergeDims(rewriter, loc, grouped, 1);
    rewriter.replaceOp(op, castToType(rewriter, loc, result, type));
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnConvolutionToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ConvToLinalg, ConvTransposeToLinalg>(converter,
                                                    patterns.getContext());
}
