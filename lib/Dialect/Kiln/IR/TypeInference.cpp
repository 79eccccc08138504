//===- TypeInference.cpp - Shape functions of the kiln ops ----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/TypeInference.h"
#include "ShapeHelpers.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::shape_helpers;

std::string mlir::kiln::formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  return out;
}

bool mlir::kiln::areCompatibleResultTypes(TypeRange inferred,
                                          TypeRange declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [a, b] : llvm::zip_equal(inferred, declared)) {
    auto ta = dyn_cast<RankedTensorType>(a);
    auto tb = dyn_cast<RankedTensorType>(b);
    if (!ta || !tb || ta.getElementType() != tb.getElementType() ||
        ta.getRank() != tb.getRank() || ta.getEncoding() != tb.getEncoding())
      return false;
    for (auto [da, db] : llvm::zip_equal(ta.getShape(), tb.getShape()))
      if (!ShapedType::isDynamic(da) && !ShapedType::isDynamic(db) && da != db)
        return false;
  }
  return true;
}

static LogicalResult checkSameElementType(const ShapeDiag &diag,
                                          RankedTensorType a, StringRef aName,
                                          RankedTensorType b, StringRef bName) {
  if (a.getElementType() != b.getElementType())
    return diag.error(aName, " and ", bName,
                      " must have the same element type, got ",
                      a.getElementType(), " and ", b.getElementType());
  return success();
}

LogicalResult mlir::kiln::broadcastShapes(const ShapeDiag &diag,
                                          ArrayRef<int64_t> a,
                                          ArrayRef<int64_t> b,
                                          SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(a.size(), b.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    int64_t &r = result[i];
    if (x == 1)
      r = y;
    else if (y == 1)
      r = x;
    else if (ShapedType::isDynamic(x))
      r = y;
    else if (ShapedType::isDynamic(y) || x == y)
      r = x;
    else
      return diag.error("operands are not broadcast-compatible: ",
                        formatShape(a), " and ", formatShape(b));
  }
  return success();
}

LogicalResult mlir::kiln::checkAxis(const ShapeDiag &diag,
                                    RankedTensorType type, int64_t axis) {
  if (!type)
    return diag.error("input must be a ranked tensor");
  if (axis < 0 || axis >= type.getRank())
    return diag.error("axis ", axis, " is out of range [0, ", type.getRank(),
                      ")");
  return success();
}

/// Checks that `values` has `count` entries, each at least `minimum`.
static LogicalResult checkList(const ShapeDiag &diag, ArrayRef<int64_t> values,
                               size_t count, int64_t minimum, StringRef name) {
  if (values.size() != count)
    return diag.error("'", name, "' must have ", count, " entries, got ",
                      values.size());
  for (int64_t v : values)
    if (v < minimum)
      return diag.error("'", name, "' entries must be at least ", minimum,
                        ", got ", v);
  return success();
}

LogicalResult mlir::kiln::inferSameType(const ShapeDiag &diag, Type input,
                                        SmallVectorImpl<Type> &results) {
  auto type = getRanked(diag, input, "input");
  if (!type)
    return failure();
  results.push_back(type);
  return success();
}

LogicalResult mlir::kiln::inferConstant(const ShapeDiag &diag,
                                        ElementsAttr value,
                                        SmallVectorImpl<Type> &results) {
  if (!value)
    return diag.error("requires a 'value' attribute");
  auto type = getRanked(diag, value.getType(), "value");
  if (!type)
    return failure();
  results.push_back(type);
  return success();
}

LogicalResult mlir::kiln::inferBroadcastBinary(const ShapeDiag &diag, Type lhs,
                                               Type rhs, bool comparison,
                                               SmallVectorImpl<Type> &results) {
  auto l = getRanked(diag, lhs, "lhs");
  auto r = getRanked(diag, rhs, "rhs");
  if (!l || !r || failed(checkSameElementType(diag, l, "lhs", r, "rhs")))
    return failure();
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(diag, l.getShape(), r.getShape(), shape)))
    return failure();
  Type element =
      comparison ? IntegerType::get(l.getContext(), 1) : l.getElementType();
  results.push_back(RankedTensorType::get(shape, element));
  return success();
}

LogicalResult mlir::kiln::inferClip(const ShapeDiag &diag, Type input,
                                    std::optional<APFloat> min,
                                    std::optional<APFloat> max,
                                    SmallVectorImpl<Type> &results) {
  if (min && max && max->compare(*min) == APFloat::cmpLessThan)
    return diag.error("'min' (", min->convertToDouble(),
                      ") must not exceed 'max' (", max->convertToDouble(), ")");
  return inferSameType(diag, input, results);
}

/// Checks the 'to' type of a cast or bitcast: an integer or float type.
static LogicalResult checkToType(const ShapeDiag &diag, Type to) {
  if (!to || !(isa<FloatType>(to) || isa<IntegerType>(to)))
    return diag.error("'to' must be an integer or float type, got ", to);
  return success();
}

LogicalResult mlir::kiln::inferCast(const ShapeDiag &diag, Type input, Type to,
                                    bool saturate,
                                    SmallVectorImpl<Type> &results) {
  auto type = getRanked(diag, input, "input");
  if (!type)
    return failure();
  if (failed(checkToType(diag, to)))
    return failure();
  if (saturate && !isa<Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type,
                       Float8E5M2FNUZType, Float8E8M0FNUType>(to))
    return diag.error("'saturate' needs a float8 'to' type, got ", to);
  results.push_back(type.clone(to));
  return success();
}

/// Storage width in bits; a boolean takes a byte, as in ONNX.
static unsigned storageBits(Type type) {
  return type.isInteger(1) ? 8 : type.getIntOrFloatBitWidth();
}

LogicalResult mlir::kiln::inferBitcast(const ShapeDiag &diag, Type input,
                                       Type to,
                                       SmallVectorImpl<Type> &results) {
  auto type = getRanked(diag, input, "input");
  if (!type)
    return failure();
  if (failed(checkToType(diag, to)))
    return failure();
  if (storageBits(type.getElementType()) != storageBits(to))
    return diag.error("'to' must be as wide as the input's element type: ",
                      type.getElementType(), " is ",
                      storageBits(type.getElementType()), " bits, ", to, " is ",
                      storageBits(to));
  results.push_back(type.clone(to));
  return success();
}

LogicalResult mlir::kiln::inferWhere(const ShapeDiag &diag, Type condition,
                                     Type x, Type y,
                                     SmallVectorImpl<Type> &results) {
  auto c = getRanked(diag, condition, "condition");
  auto tx = getRanked(diag, x, "x");
  auto ty = getRanked(diag, y, "y");
  if (!c || !tx || !ty || failed(checkSameElementType(diag, tx, "x", ty, "y")))
    return failure();
  SmallVector<int64_t> xy, shape;
  if (failed(broadcastShapes(diag, tx.getShape(), ty.getShape(), xy)) ||
      failed(broadcastShapes(diag, c.getShape(), xy, shape)))
    return failure();
  results.push_back(RankedTensorType::get(shape, tx.getElementType()));
  return success();
}

LogicalResult mlir::kiln::inferMatMul(const ShapeDiag &diag, Type lhs, Type rhs,
                                      SmallVectorImpl<Type> &results) {
  auto l = getRanked(diag, lhs, "lhs");
  auto r = getRanked(diag, rhs, "rhs");
  if (!l || !r || failed(checkSameElementType(diag, l, "lhs", r, "rhs")))
    return failure();
  if (l.getRank() == 0 || r.getRank() == 0)
    return diag.error("operands must have rank at least 1");
  SmallVector<int64_t> a(l.getShape()), b(r.getShape());
  bool lhsVector = a.size() == 1, rhsVector = b.size() == 1;
  if (lhsVector)
    a.insert(a.begin(), 1);
  if (rhsVector)
    b.push_back(1);
  int64_t k;
  if (failed(mergeDim(diag, a.back(), b[b.size() - 2], k,
                      "contracting dimension")))
    return failure();
  SmallVector<int64_t> batch;
  if (failed(broadcastShapes(diag, ArrayRef(a).drop_back(2),
                             ArrayRef(b).drop_back(2), batch)))
    return failure();
  if (!lhsVector)
    batch.push_back(a[a.size() - 2]);
  if (!rhsVector)
    batch.push_back(b.back());
  results.push_back(RankedTensorType::get(batch, l.getElementType()));
  return success();
}

/// Checks a (N, C, spatial...) input and the spatial attribute lists shared
/// by convolutions and pooling. Returns the number of spatial dims, or -1.
static int64_t checkWindowAttrs(const ShapeDiag &diag, RankedTensorType input,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> pads,
                                ArrayRef<int64_t> dilations) {
  if (input.getRank() < 3) {
    (void)diag.error("input must have rank at least 3 (N, C, spatial...), "
                     "got rank ",
                     input.getRank());
    return -1;
  }
  size_t spatial = input.getRank() - 2;
  if (failed(checkList(diag, strides, spatial, 1, "strides")) ||
      failed(checkList(diag, pads, 2 * spatial, 0, "pads")) ||
      failed(checkList(diag, dilations, spatial, 1, "dilations")))
    return -1;
  return spatial;
}

/// Output size of a sliding window: floor or ceil of
/// (in + pads - effective kernel) / stride, plus one.
static int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                int64_t padBegin, int64_t padEnd,
                                int64_t dilation, bool ceilMode) {
  if (ShapedType::isDynamic(in) || ShapedType::isDynamic(kernel))
    return kDyn;
  int64_t effective = (kernel - 1) * dilation + 1;
  int64_t span = in + padBegin + padEnd - effective;
  if (span < 0)
    return span; // Reported by the caller as a non-positive size.
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // A window may not start inside the end padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

static LogicalResult checkBias(const ShapeDiag &diag, Type bias,
                               RankedTensorType input, int64_t channels) {
  if (!bias)
    return success();
  auto b = getRanked(diag, bias, "bias");
  if (!b || failed(checkSameElementType(diag, input, "input", b, "bias")))
    return failure();
  int64_t merged;
  if (b.getRank() != 1)
    return diag.error("bias must have rank 1, got rank ", b.getRank());
  return mergeDim(diag, b.getDimSize(0), channels, merged,
                  "bias size and output channels");
}

LogicalResult mlir::kiln::inferConv(const ShapeDiag &diag, Type input,
                                    Type weight, Type bias,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> pads,
                                    ArrayRef<int64_t> dilations, int64_t group,
                                    SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  auto w = getRanked(diag, weight, "weight");
  if (!in || !w || failed(checkSameElementType(diag, in, "input", w, "weight")))
    return failure();
  int64_t spatial = checkWindowAttrs(diag, in, strides, pads, dilations);
  if (spatial < 0)
    return failure();
  if (w.getRank() != in.getRank())
    return diag.error("weight rank ", w.getRank(), " must equal input rank ",
                      in.getRank());
  if (group < 1)
    return diag.error("'group' must be at least 1, got ", group);
  int64_t outChannels = w.getDimSize(0);
  if (!ShapedType::isDynamic(outChannels) && outChannels % group != 0)
    return diag.error("output channels ", outChannels,
                      " must be divisible by group ", group);
  int64_t inChannels = in.getDimSize(1), perGroup = w.getDimSize(1);
  if (!ShapedType::isDynamic(inChannels) && !ShapedType::isDynamic(perGroup) &&
      inChannels != perGroup * group)
    return diag.error("input channels ", inChannels,
                      " must equal weight input channels ", perGroup,
                      " times group ", group);
  if (failed(checkBias(diag, bias, in, outChannels)))
    return failure();
  SmallVector<int64_t> shape = {in.getDimSize(0), outChannels};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t size = windowOutputSize(in.getDimSize(i + 2), w.getDimSize(i + 2),
                                    strides[i], pads[i], pads[i + spatial],
                                    dilations[i], /*ceilMode=*/false);
    if (!ShapedType::isDynamic(size) && size < 1)
      return diag.error("spatial dimension ", i,
                        " has a non-positive output size: the dilated kernel "
                        "is larger than the padded input");
    shape.push_back(size);
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult mlir::kiln::inferConvTranspose(
    const ShapeDiag &diag, Type input, Type weight, Type bias,
    ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
    ArrayRef<int64_t> dilations, ArrayRef<int64_t> outputPadding, int64_t group,
    SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  auto w = getRanked(diag, weight, "weight");
  if (!in || !w || failed(checkSameElementType(diag, in, "input", w, "weight")))
    return failure();
  int64_t spatial = checkWindowAttrs(diag, in, strides, pads, dilations);
  if (spatial < 0 ||
      failed(checkList(diag, outputPadding, spatial, 0, "output_padding")))
    return failure();
  if (w.getRank() != in.getRank())
    return diag.error("weight rank ", w.getRank(), " must equal input rank ",
                      in.getRank());
  if (group < 1)
    return diag.error("'group' must be at least 1, got ", group);
  int64_t inChannels = kDyn;
  if (failed(mergeDim(diag, in.getDimSize(1), w.getDimSize(0), inChannels,
                      "input channels and weight dimension 0")))
    return failure();
  if (!ShapedType::isDynamic(inChannels) && inChannels % group != 0)
    return diag.error("input channels ", inChannels,
                      " must be divisible by group ", group);
  int64_t outChannels =
      ShapedType::isDynamic(w.getDimSize(1)) ? kDyn : w.getDimSize(1) * group;
  if (failed(checkBias(diag, bias, in, outChannels)))
    return failure();
  SmallVector<int64_t> shape = {in.getDimSize(0), outChannels};
  for (int64_t i = 0; i < spatial; ++i) {
    if (outputPadding[i] >= std::max(strides[i], dilations[i]))
      return diag.error("'output_padding' entry ", outputPadding[i],
                        " must be smaller than its stride or dilation");
    int64_t inSize = in.getDimSize(i + 2), k = w.getDimSize(i + 2);
    if (ShapedType::isDynamic(inSize) || ShapedType::isDynamic(k)) {
      shape.push_back(kDyn);
      continue;
    }
    int64_t size = strides[i] * (inSize - 1) + outputPadding[i] +
                   (k - 1) * dilations[i] + 1 - pads[i] - pads[i + spatial];
    if (size < 1)
      return diag.error("spatial dimension ", i,
                        " has a non-positive output size");
    shape.push_back(size);
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult mlir::kiln::inferPool(const ShapeDiag &diag, Type input,
                                    ArrayRef<int64_t> kernelShape,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> pads,
                                    ArrayRef<int64_t> dilations, bool ceilMode,
                                    SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  int64_t spatial = checkWindowAttrs(diag, in, strides, pads, dilations);
  if (spatial < 0 ||
      failed(checkList(diag, kernelShape, spatial, 1, "kernel_shape")))
    return failure();
  SmallVector<int64_t> shape(in.getShape().take_front(2));
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t effective = (kernelShape[i] - 1) * dilations[i] + 1;
    if (pads[i] >= effective || pads[i + spatial] >= effective)
      return diag.error("pads of spatial dimension ", i,
                        " must be smaller than the kernel (", effective, ")");
    int64_t size =
        windowOutputSize(in.getDimSize(i + 2), kernelShape[i], strides[i],
                         pads[i], pads[i + spatial], dilations[i], ceilMode);
    if (!ShapedType::isDynamic(size) && size < 1)
      return diag.error("spatial dimension ", i,
                        " has a non-positive output size: the kernel is "
                        "larger than the padded input");
    shape.push_back(size);
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult mlir::kiln::inferGlobalPool(const ShapeDiag &diag, Type input,
                                          SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  if (in.getRank() < 3)
    return diag.error("input must have rank at least 3 (N, C, spatial...), "
                      "got rank ",
                      in.getRank());
  SmallVector<int64_t> shape(in.getShape());
  std::fill(shape.begin() + 2, shape.end(), 1);
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferBatchNorm(const ShapeDiag &diag, Type input,
                                         ArrayRef<Type> params,
                                         SmallVectorImpl<Type> &results) {
  static const char *names[] = {"scale", "bias", "mean", "variance"};
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  if (in.getRank() < 2)
    return diag.error("input must have rank at least 2 (N, C, ...), got rank ",
                      in.getRank());
  int64_t channels = in.getDimSize(1);
  for (auto [param, name] : llvm::zip(params, names)) {
    auto p = getRanked(diag, param, name);
    if (!p || failed(checkSameElementType(diag, in, "input", p, name)))
      return failure();
    if (p.getRank() != 1)
      return diag.error(name, " must have rank 1, got rank ", p.getRank());
    if (failed(mergeDim(diag, p.getDimSize(0), channels, channels,
                        Twine(name) + " size and input channels")))
      return failure();
  }
  results.push_back(in);
  return success();
}

LogicalResult mlir::kiln::inferLayerNorm(const ShapeDiag &diag, Type input,
                                         Type scale, Type bias, int64_t axis,
                                         SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in || failed(checkAxis(diag, in, axis)))
    return failure();
  ArrayRef<int64_t> normalized = in.getShape().drop_front(axis);
  for (auto [param, name] : {std::pair{scale, "scale"}, {bias, "bias"}}) {
    if (!param)
      continue;
    auto p = getRanked(diag, param, name);
    if (!p || failed(checkSameElementType(diag, in, "input", p, name)))
      return failure();
    // Each dim of the parameter, aligned to the right, is 1 or may equal
    // the normalized dim (equal where both are static).
    ArrayRef<int64_t> pShape = p.getShape();
    bool broadcasts = pShape.size() <= normalized.size();
    for (size_t i = 0; broadcasts && i < pShape.size(); ++i) {
      int64_t pd = pShape[pShape.size() - 1 - i];
      int64_t nd = normalized[normalized.size() - 1 - i];
      broadcasts = pd == 1 || ShapedType::isDynamic(pd) ||
                   ShapedType::isDynamic(nd) || pd == nd;
    }
    if (!broadcasts)
      return diag.error(name, " of shape ", formatShape(p.getShape()),
                        " does not broadcast to the normalized shape ",
                        formatShape(normalized));
  }
  results.push_back(in);
  return success();
}

/// Checks that `axes` are sorted, unique and in [0, rank).
static LogicalResult checkAxes(const ShapeDiag &diag, ArrayRef<int64_t> axes,
                               int64_t rank) {
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= rank)
      return diag.error("axis ", axes[i], " is out of range [0, ", rank, ")");
    if (i > 0 && axes[i] <= axes[i - 1])
      return diag.error("'axes' must be sorted and unique");
  }
  return success();
}

LogicalResult mlir::kiln::inferReduce(const ShapeDiag &diag, Type input,
                                      ArrayRef<int64_t> axes, bool keepdims,
                                      SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in || failed(checkAxes(diag, axes, in.getRank())))
    return failure();
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(in.getShape())) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(i)))
      shape.push_back(d);
    else if (keepdims)
      shape.push_back(1);
  }
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferArgReduce(const ShapeDiag &diag, Type input,
                                         int64_t axis, bool keepdims,
                                         SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in || failed(checkAxis(diag, in, axis)))
    return failure();
  SmallVector<int64_t> shape(in.getShape());
  if (keepdims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  results.push_back(
      RankedTensorType::get(shape, IntegerType::get(in.getContext(), 64)));
  return success();
}

LogicalResult mlir::kiln::inferReshape(const ShapeDiag &diag, Type input,
                                       ArrayRef<int64_t> shape,
                                       SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  SmallVector<int64_t> out;
  int64_t inferIndex = -1;
  // Input dims copied to the same index cancel out of the element count.
  llvm::SmallBitVector copied(std::max<size_t>(in.getRank(), shape.size()));
  for (auto [i, s] : llvm::enumerate(shape)) {
    if (s < -1)
      return diag.error("'shape' entries must be positive, 0 or -1, got ", s);
    if (s == -1) {
      if (inferIndex >= 0)
        return diag.error("'shape' may contain at most one -1");
      inferIndex = i;
      out.push_back(kDyn);
    } else if (s == 0) {
      if (static_cast<int64_t>(i) >= in.getRank())
        return diag.error("'shape' entry ", i,
                          " copies an input dimension, but the input has "
                          "rank ",
                          in.getRank());
      copied.set(i);
      out.push_back(in.getDimSize(i));
    } else {
      out.push_back(s);
    }
  }
  int64_t inCount = 1;
  bool inKnown = true;
  for (auto [i, d] : llvm::enumerate(in.getShape())) {
    if (copied.test(i))
      continue;
    if (ShapedType::isDynamic(d))
      inKnown = false;
    else
      inCount *= d;
  }
  int64_t outCount = 1;
  for (auto [i, d] : llvm::enumerate(out))
    if (static_cast<int64_t>(i) != inferIndex && !copied.test(i))
      outCount *= d;
  if (inferIndex >= 0) {
    if (inKnown) {
      if (outCount == 0 || inCount % outCount != 0)
        return diag.error("cannot reshape ", formatShape(in.getShape()),
                          " into ", formatShape(shape),
                          ": the element count does not divide evenly");
      out[inferIndex] = inCount / outCount;
    }
  } else if (inKnown && inCount != outCount) {
    return diag.error("cannot reshape ", formatShape(in.getShape()), " into ",
                      formatShape(out), ": element counts differ");
  }
  results.push_back(in.clone(out));
  return success();
}

LogicalResult mlir::kiln::inferTranspose(const ShapeDiag &diag, Type input,
                                         ArrayRef<int64_t> perm,
                                         SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return diag.error("'perm' must have ", in.getRank(), " entries, got ",
                      perm.size());
  llvm::SmallBitVector seen(perm.size());
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen.test(p))
      return diag.error("'perm' must be a permutation of [0, ", in.getRank(),
                        ")");
    seen.set(p);
    shape.push_back(in.getDimSize(p));
  }
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferConcat(const ShapeDiag &diag, TypeRange inputs,
                                      int64_t axis,
                                      SmallVectorImpl<Type> &results) {
  if (inputs.empty())
    return diag.error("requires at least one input");
  auto first = getRanked(diag, inputs.front(), "input 0");
  if (!first || failed(checkAxis(diag, first, axis)))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, type] : llvm::enumerate(inputs.drop_front())) {
    auto t = getRanked(diag, type, "inputs");
    if (!t ||
        failed(checkSameElementType(diag, first, "input 0", t, "every input")))
      return failure();
    if (t.getRank() != first.getRank())
      return diag.error("input ", i + 1, " has rank ", t.getRank(),
                        ", expected ", first.getRank());
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == axis) {
        shape[d] = ShapedType::isDynamic(shape[d]) ||
                           ShapedType::isDynamic(t.getDimSize(d))
                       ? kDyn
                       : shape[d] + t.getDimSize(d);
        continue;
      }
      if (failed(mergeDim(diag, shape[d], t.getDimSize(d), shape[d],
                          "input " + Twine(i + 1) + " dimension " + Twine(d))))
        return failure();
    }
  }
  results.push_back(first.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferSplit(const ShapeDiag &diag, Type input,
                                     int64_t axis, ArrayRef<int64_t> sizes,
                                     SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in || failed(checkAxis(diag, in, axis)))
    return failure();
  if (sizes.empty())
    return diag.error("'sizes' must not be empty");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return diag.error("'sizes' entries must be non-negative, got ", s);
    total += s;
  }
  int64_t dim = in.getDimSize(axis);
  if (!ShapedType::isDynamic(dim) && dim != total)
    return diag.error("'sizes' add up to ", total, " but dimension ", axis,
                      " has size ", dim);
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(in.getShape());
    shape[axis] = s;
    results.push_back(in.clone(shape));
  }
  return success();
}

int64_t mlir::kiln::slicedDimSize(int64_t dim, int64_t start, int64_t end,
                                  int64_t step) {
  if (ShapedType::isDynamic(dim))
    return kDyn;
  if (dim == 0)
    return 0;
  auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
    if (v < 0)
      v = v < -dim ? -dim - 1 : v + dim; // Below -dim means before the start.
    return std::clamp(v, lo, hi);
  };
  if (step > 0) {
    start = clampIndex(start, 0, dim);
    end = clampIndex(end, 0, dim);
    return end > start ? (end - start + step - 1) / step : 0;
  }
  start = clampIndex(start, 0, dim - 1);
  end = clampIndex(end, -1, dim - 1);
  return start > end ? (start - end - step - 1) / -step : 0;
}

LogicalResult mlir::kiln::inferSlice(const ShapeDiag &diag, Type input,
                                     ArrayRef<int64_t> starts,
                                     ArrayRef<int64_t> ends,
                                     ArrayRef<int64_t> axes,
                                     ArrayRef<int64_t> steps,
                                     SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  if (starts.size() != axes.size() || ends.size() != axes.size() ||
      steps.size() != axes.size())
    return diag.error("'starts', 'ends', 'axes' and 'steps' must have the "
                      "same length");
  SmallVector<int64_t> shape(in.getShape());
  llvm::SmallBitVector seen(in.getRank());
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= in.getRank())
      return diag.error("axis ", axis, " is out of range [0, ", in.getRank(),
                        ")");
    if (seen.test(axis))
      return diag.error("axis ", axis, " is sliced twice");
    seen.set(axis);
    if (steps[i] == 0)
      return diag.error("'steps' entries must be non-zero");
    shape[axis] =
        slicedDimSize(in.getDimSize(axis), starts[i], ends[i], steps[i]);
  }
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferGather(const ShapeDiag &diag, Type data,
                                      Type indices, int64_t axis,
                                      SmallVectorImpl<Type> &results) {
  auto d = getRanked(diag, data, "data");
  auto idx = getRanked(diag, indices, "indices");
  if (!d || !idx || failed(checkAxis(diag, d, axis)))
    return failure();
  SmallVector<int64_t> shape(d.getShape().take_front(axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, d.getShape().drop_front(axis + 1));
  results.push_back(d.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferPad(const ShapeDiag &diag, Type input,
                                   PadMode mode, ArrayRef<int64_t> pads,
                                   SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in || failed(checkList(diag, pads, 2 * in.getRank(), 0, "pads")))
    return failure();
  int64_t rank = in.getRank();
  SmallVector<int64_t> shape(in.getShape());
  for (int64_t i = 0; i < rank; ++i) {
    int64_t dim = shape[i], before = pads[i], after = pads[i + rank];
    if (ShapedType::isDynamic(dim))
      continue;
    if (mode == PadMode::Reflect && (before >= dim || after >= dim))
      return diag.error("reflect pads of dimension ", i,
                        " must be smaller than its size ", dim);
    if (mode == PadMode::Edge && dim == 0 && before + after > 0)
      return diag.error("edge padding needs a non-empty dimension ", i);
    shape[i] = dim + before + after;
  }
  results.push_back(in.clone(shape));
  return success();
}

LogicalResult mlir::kiln::inferBroadcastTo(const ShapeDiag &diag, Type input,
                                           ArrayRef<int64_t> shape,
                                           SmallVectorImpl<Type> &results) {
  auto in = getRanked(diag, input, "input");
  if (!in)
    return failure();
  for (int64_t s : shape)
    if (s < 0)
      return diag.error("'shape' entries must be non-negative, got ", s);
  SmallVector<int64_t> out;
  if (failed(broadcastShapes(diag, in.getShape(), shape, out)))
    return failure();
  results.push_back(in.clone(out));
  return success();
}
