//===- KilnCanonicalize.cpp - Canonicalization patterns of kiln ops -------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/ConstantData.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// reshape(reshape(x, s1), s2) -> reshape(x, s2). An entry 0 of s2 copies a
/// dimension of the inner result; it is replaced by that dimension's size,
/// so the pattern applies only when every such dimension is static.
struct ComposeReshapes : public OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is not a reshape");
    SmallVector<int64_t> shape(op.getShape());
    RankedTensorType innerType = inner.getType();
    for (auto [i, s] : llvm::enumerate(shape)) {
      if (s != 0)
        continue;
      if (innerType.isDynamicDim(i))
        return rewriter.notifyMatchFailure(
            op, "copies a dynamic dimension of the inner reshape");
      s = innerType.getDimSize(i);
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput(),
                                           shape);
    return success();
  }
};

/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2[i]]).
struct ComposeTransposes : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is not a transpose");
    ArrayRef<int64_t> innerPerm = inner.getPerm();
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPerm())
      perm.push_back(innerPerm[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                             perm);
    return success();
  }
};

/// The values of a float constant of `count` elements (f32 or f64), or
/// nullopt.
static std::optional<std::vector<double>> floatValues(Value value,
                                                      int64_t count) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  ElementsAttr attr = constant.getValue();
  Type element = attr.getElementType();
  if (attr.getNumElements() != count || !(element.isF32() || element.isF64()))
    return std::nullopt;
  std::vector<double> out;
  out.reserve(count);
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    for (const APFloat &v : dense.getValues<APFloat>())
      out.push_back(v.convertToDouble());
    return out;
  }
  std::optional<ArrayRef<char>> raw = rawElements(attr);
  size_t width = element.isF32() ? 4 : 8;
  if (!raw || raw->size() != size_t(count) * width)
    return std::nullopt;
  for (int64_t i = 0; i < count; ++i) {
    if (element.isF32()) {
      float v;
      std::memcpy(&v, raw->data() + i * 4, 4);
      out.push_back(v);
    } else {
      double v;
      std::memcpy(&v, raw->data() + i * 8, 8);
      out.push_back(v);
    }
  }
  return out;
}

/// A constant of `type` (f32 or f64) holding `values`.
static ElementsAttr floatConstant(RankedTensorType type,
                                  ArrayRef<double> values, StringRef name) {
  std::vector<char> bytes;
  bool f32 = type.getElementType().isF32();
  bytes.resize(values.size() * (f32 ? 4 : 8));
  for (auto [i, v] : llvm::enumerate(values)) {
    if (f32) {
      float f = static_cast<float>(v);
      std::memcpy(bytes.data() + i * 4, &f, 4);
    } else {
      std::memcpy(bytes.data() + i * 8, &v, 8);
    }
  }
  return makeConstant(type, bytes, name);
}

/// batch_norm(conv(x, W, b), s, t, m, v) -> conv(x, W', b') with constant
/// weights and statistics: each output channel o of the weight is scaled by
/// f[o] = s[o] / sqrt(v[o] + eps), and b'[o] = (b[o] - m[o]) * f[o] + t[o].
/// The batch norm's pass over the convolution's output disappears; the new
/// weights are computed once, here.
struct FoldBatchNormIntoConv : public OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    auto conv = op.getInput().getDefiningOp<ConvOp>();
    if (!conv || !conv->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is not a conv used once");
    RankedTensorType weightType = conv.getWeight().getType();
    if (!weightType.hasStaticShape() ||
        weightType.getElementType() != op.getType().getElementType())
      return rewriter.notifyMatchFailure(op, "weight type");
    int64_t channels = weightType.getDimSize(0);
    int64_t perChannel = weightType.getNumElements() / channels;
    std::optional<std::vector<double>> weight =
        floatValues(conv.getWeight(), weightType.getNumElements());
    std::optional<std::vector<double>> scale =
        floatValues(op.getScale(), channels);
    std::optional<std::vector<double>> shift =
        floatValues(op.getBias(), channels);
    std::optional<std::vector<double>> mean =
        floatValues(op.getMean(), channels);
    std::optional<std::vector<double>> variance =
        floatValues(op.getVariance(), channels);
    std::optional<std::vector<double>> bias =
        conv.getBias() ? floatValues(conv.getBias(), channels)
                       : std::vector<double>(channels, 0.0);
    if (!weight || !scale || !shift || !mean || !variance || !bias)
      return rewriter.notifyMatchFailure(op, "not all constants");
    double epsilon = op.getEpsilon().convertToDouble();
    std::vector<double> newBias(channels);
    for (int64_t o = 0; o < channels; ++o) {
      double f = (*scale)[o] / std::sqrt((*variance)[o] + epsilon);
      for (int64_t i = 0; i < perChannel; ++i)
        (*weight)[o * perChannel + i] *= f;
      newBias[o] = ((*bias)[o] - (*mean)[o]) * f + (*shift)[o];
    }
    Location loc = op.getLoc();
    Value w = ConstantOp::create(
        rewriter, loc, weightType,
        floatConstant(weightType, *weight, "conv_batch_norm_weight"));
    auto biasType =
        RankedTensorType::get({channels}, weightType.getElementType());
    Value b = ConstantOp::create(
        rewriter, loc, biasType,
        floatConstant(biasType, newBias, "conv_batch_norm_bias"));
    rewriter.replaceOpWithNewOp<ConvOp>(
        op, op.getType(), conv.getInput(), w, b, conv.getStridesAttr(),
        conv.getPadsAttr(), conv.getDilationsAttr(), conv.getGroupAttr());
    return success();
  }
};

} // namespace

void BatchNormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<FoldBatchNormIntoConv>(context);
}

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<ComposeReshapes>(context);
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ComposeTransposes>(context);
}
