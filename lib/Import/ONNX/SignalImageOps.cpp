//===- SignalImageOps.cpp - ONNX DFT, STFT, Col2Im, MaxUnpool to kiln -----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Signal and image ops decomposed into existing kiln ops:
//
// * DFT (opset 17 on) and STFT (17): a DFT of static length is one matmul of
//   the signal, its (real, imaginary) pairs flattened into the contraction
//   dimension, with a constant matrix of cosines and sines computed in
//   double (the angle reduced modulo the length first, quarter turns exact)
//   and rounded once to the element type. Padding or truncating to
//   `dft_length`, `onesided`, `inverse` and the inverse of a one-sided
//   spectrum (real output, numpy's irfft) are all folded into the matrix.
//   A run-time DFT axis is supported where the output shape does not depend
//   on it: the DFT along each candidate axis, selected by kiln.where. STFT
//   frames are a kiln.gather of constant indices (or, with a run-time
//   frame_step, of a kiln.range of frame starts, giving a dynamic frame
//   count).
// * Col2Im with constant image and block shapes: a kiln.scatter_nd adding
//   every column element into its image position (block positions that fall
//   in the padding land on a dropped extra row).
// * MaxUnpool: a kiln.scatter_nd of the values at their flat indices into
//   zeros of the inferred shape, then padded with zeros to `output_shape`
//   (a kiln.pad when it is a constant, else a kiln.dynamic_pad).
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

//===----------------------------------------------------------------------===//
// DFT matrices
//===----------------------------------------------------------------------===//

namespace {
/// cos and sin of 2 pi r / n for 0 <= r < n, exact at quarter turns.
struct Turn {
  double cos, sin;
};
} // namespace

static Turn turn(int64_t r, int64_t n) {
  if ((4 * r) % n == 0) {
    switch ((4 * r) / n) {
    case 0:
      return {1, 0};
    case 1:
      return {0, 1};
    case 2:
      return {-1, 0};
    default:
      return {0, -1};
    }
  }
  double angle = 2 * M_PI * static_cast<double>(r) / static_cast<double>(n);
  return {std::cos(angle), std::sin(angle)};
}

namespace {
/// A DFT along the last-but-one dimension of a [..., m, c] tensor (c = 1 for
/// a real signal, 2 for a complex one).
struct DftSpec {
  int64_t length;    // m, the signal's length
  int64_t channels;  // c
  int64_t dftLength; // n
  bool inverse, onesided;

  /// The output length along the signal's axis.
  int64_t outLength() const {
    return onesided && !inverse ? dftLength / 2 + 1 : dftLength;
  }
  /// 2, or 1 for the inverse of a one-sided spectrum (a real signal).
  int64_t outChannels() const { return inverse && onesided ? 1 : 2; }
};
} // namespace

/// -x, without making a negative zero.
static double negate(double x) { return 0.0 - x; }

/// The [m * c, outLength * outChannels] matrix that maps the flattened
/// signal to the flattened result.
static SmallVector<double> dftMatrix(const DftSpec &s) {
  int64_t n = s.dftLength, cin = s.channels, cout = s.outChannels();
  int64_t nout = s.outLength();
  SmallVector<double> w(s.length * cin * nout * cout, 0.0);
  auto at = [&](int64_t t, int64_t ci, int64_t k, int64_t co) -> double & {
    return w[((t * cin + ci) * nout + k) * cout + co];
  };
  double scale = s.inverse ? 1.0 / static_cast<double>(n) : 1.0;
  // Input rows past the DFT length (or, for irfft, past n / 2 + 1) are
  // truncated; missing ones are zero padding.
  int64_t rows = std::min(s.length, s.inverse && s.onesided ? n / 2 + 1 : n);
  for (int64_t t = 0; t < rows; ++t) {
    for (int64_t k = 0; k < nout; ++k) {
      Turn e = turn((t * k) % n, n);
      if (!s.inverse) {
        // (a + ib)(cos - i sin)
        at(t, 0, k, 0) = e.cos;
        at(t, 0, k, 1) = negate(e.sin);
        if (cin == 2) {
          at(t, 1, k, 0) = e.sin;
          at(t, 1, k, 1) = e.cos;
        }
      } else if (!s.onesided) {
        // (a + ib)(cos + i sin) / n
        at(t, 0, k, 0) = e.cos * scale;
        at(t, 0, k, 1) = e.sin * scale;
        if (cin == 2) {
          at(t, 1, k, 0) = negate(e.sin * scale);
          at(t, 1, k, 1) = e.cos * scale;
        }
      } else {
        // Hermitian completion: bins 1 .. ceil(n/2)-1 count twice; the
        // imaginary parts of bin 0 and (n even) bin n/2 are ignored.
        bool once = t == 0 || (n % 2 == 0 && t == n / 2);
        double weight = (once ? 1.0 : 2.0) * scale;
        at(t, 0, k, 0) = e.cos * weight;
        if (cin == 2)
          at(t, 1, k, 0) = once ? 0.0 : negate(e.sin * weight);
      }
    }
  }
  return w;
}

/// Applies `s` to `x` of shape [..., m, c]; the result is
/// [..., outLength, outChannels].
static Value applyDft(NodeImporter &n, Value x, const DftSpec &s) {
  RankedTensorType type = typeOf(x);
  if (!type)
    return {};
  SmallVector<int64_t> shape(type.getShape());
  shape.pop_back();
  shape.back() = s.length * s.channels;
  Value flat = reshapeTo(n, x, shape);
  Value matrix =
      denseConstant(n, {s.length * s.channels, s.outLength() * s.outChannels()},
                    type.getElementType(), dftMatrix(s));
  Value y = binary<MatMulOp>(n, flat, matrix);
  shape.back() = s.outLength();
  shape.push_back(s.outChannels());
  return y ? reshapeTo(n, y, shape) : Value();
}

/// A transpose by `perm`, skipped when it is the identity.
static Value transpose(NodeImporter &n, Value v, ArrayRef<int64_t> perm) {
  if (!v)
    return {};
  for (auto [i, p] : llvm::enumerate(perm))
    if (static_cast<int64_t>(i) != p)
      return n.create<TransposeOp>(v, perm);
  return v;
}

//===----------------------------------------------------------------------===//
// DFT
//===----------------------------------------------------------------------===//

/// The DFT of `x` (rank r, last dim 1 or 2) along `axis` in [0, r-2].
static Value dftAlong(NodeImporter &n, Value x, int64_t axis,
                      std::optional<int64_t> dftLength, bool inverse,
                      bool onesided) {
  RankedTensorType type = typeOf(x);
  int64_t rank = type.getRank();
  DftSpec s;
  s.length = type.getDimSize(axis);
  s.channels = type.getDimSize(rank - 1);
  s.inverse = inverse;
  s.onesided = onesided;
  s.dftLength = dftLength
                    ? *dftLength
                    : (inverse && onesided ? 2 * (s.length - 1) : s.length);
  if (s.dftLength <= 0) {
    (void)n.error("the DFT length must be positive (it is " +
                  Twine(s.dftLength) + ")");
    return {};
  }
  // Move the signal axis next to the (real, imaginary) axis.
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rank - 1; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  perm.push_back(rank - 1);
  SmallVector<int64_t> back(rank);
  for (auto [i, p] : llvm::enumerate(perm))
    back[p] = i;
  Value moved = transpose(n, x, perm);
  Value y = moved ? applyDft(n, moved, s) : Value();
  return transpose(n, y, back);
}

/// The shape of the DFT of `shape` along `axis` (for comparing candidates).
static SmallVector<int64_t> dftShape(ArrayRef<int64_t> shape, int64_t axis,
                                     std::optional<int64_t> dftLength,
                                     bool inverse, bool onesided) {
  SmallVector<int64_t> out(shape);
  int64_t m = shape[axis];
  int64_t len =
      dftLength ? *dftLength : (inverse && onesided ? 2 * (m - 1) : m);
  out[axis] = onesided && !inverse ? len / 2 + 1 : len;
  out.back() = inverse && onesided ? 1 : 2;
  return out;
}

static LogicalResult convertDFT(NodeImporter &n) {
  if (n.opset < 17)
    return n.error("DFT before opset 17 does not exist");
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return n.error("the input must be a float tensor");
  int64_t rank = type.getRank();
  if (rank < 2)
    return n.error("the input needs a signal axis and a last axis of size 1 "
                   "or 2");
  int64_t channels = type.getDimSize(rank - 1);
  if (channels != 1 && channels != 2)
    return n.error("the last dimension must be 1 (real) or 2 (complex); it "
                   "is " +
                   (ShapedType::isDynamic(channels)
                        ? std::string("dynamic")
                        : std::to_string(channels)));
  bool inverse = n.intAttr("inverse", 0) != 0;
  bool onesided = n.intAttr("onesided", 0) != 0;

  std::optional<int64_t> dftLength;
  if (n.input(1)) {
    std::optional<SmallVector<int64_t>> c = n.constantInts(1);
    if (!c || c->size() != 1)
      return n.error("dft_length must be a constant scalar (the output "
                     "shape depends on it)");
    dftLength = (*c)[0];
  }

  // The axis: an attribute before opset 20, then an optional input.
  std::optional<int64_t> axis;
  if (n.opset < 20) {
    axis = n.intAttr("axis", 1);
  } else if (!n.input(2)) {
    axis = -2;
  } else if (std::optional<SmallVector<int64_t>> c = n.constantInts(2)) {
    if (c->size() != 1)
      return n.error("axis must be a scalar");
    axis = (*c)[0];
  }
  auto checkAxis = [&](int64_t a) -> std::optional<int64_t> {
    int64_t normalized = a < 0 ? a + rank : a;
    if (normalized < 0 || normalized > rank - 2) {
      (void)n.error("axis " + Twine(a) + " is outside [-" + Twine(rank) +
                    ", -2] and [0, " + Twine(rank - 2) + "]");
      return std::nullopt;
    }
    if (ShapedType::isDynamic(type.getDimSize(normalized))) {
      (void)n.error("the signal axis must have a static size");
      return std::nullopt;
    }
    return normalized;
  };
  if (axis) {
    std::optional<int64_t> a = checkAxis(*axis);
    if (!a)
      return failure();
    return n.finish(dftAlong(n, *x, *a, dftLength, inverse, onesided));
  }

  // A run-time axis: each candidate's DFT, selected by the axis's value,
  // which needs every candidate to give the same shape.
  if (!type.hasStaticShape())
    return n.error("a run-time axis needs a static input shape");
  SmallVector<int64_t> shape =
      dftShape(type.getShape(), 0, dftLength, inverse, onesided);
  for (int64_t a = 1; a <= rank - 2; ++a)
    if (dftShape(type.getShape(), a, dftLength, inverse, onesided) != shape)
      return n.error("the axis is a run-time value and the output shape "
                     "depends on it (onesided or dft_length); only a "
                     "constant axis is supported here");
  Value axisValue = *n.requiredInput(2);
  if (!isa<IntegerType>(n.inputType(2).getElementType()) ||
      (n.inputType(2).hasStaticShape() && n.inputType(2).getNumElements() != 1))
    return n.error("axis must be an integer scalar");
  Value scalarAxis = reshapeTo(n, axisValue, {});
  Value result;
  for (int64_t a = rank - 2; a >= 0; --a) {
    Value y = dftAlong(n, *x, a, dftLength, inverse, onesided);
    if (!y || !scalarAxis)
      return failure();
    if (!result) {
      result = y;
      continue;
    }
    // axis == a or axis == a - rank.
    Type axisType = typeOf(scalarAxis).getElementType();
    Value isA = binary<EqualOp>(n, scalarAxis, n.scalar(a, axisType));
    Value isNegA = binary<EqualOp>(n, scalarAxis, n.scalar(a - rank, axisType));
    Value cond = binary<OrOp>(n, isA, isNegA);
    result = cond ? n.create<WhereOp>(cond, y, result) : Value();
    if (!result)
      return failure();
  }
  return n.finish(result);
}

//===----------------------------------------------------------------------===//
// STFT
//===----------------------------------------------------------------------===//

static LogicalResult convertSTFT(NodeImporter &n) {
  FailureOr<Value> signal = n.requiredInput(0), step = n.requiredInput(1);
  if (failed(signal) || failed(step))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return n.error("the signal must be a float tensor");
  if (type.getRank() != 3)
    return n.error("the signal must have rank 3 ([batch, length, 1 or 2])");
  int64_t signalLength = type.getDimSize(1), channels = type.getDimSize(2);
  if (ShapedType::isDynamic(signalLength))
    return n.error("the signal length must be static");
  if (channels != 1 && channels != 2)
    return n.error("the last dimension of the signal must be 1 (real) or 2 "
                   "(complex)");
  bool onesided = n.intAttr("onesided", 1) != 0;

  // The frame length: the constant frame_length, the window's length, or
  // the signal length.
  Value window = n.input(2);
  std::optional<int64_t> frameLength;
  if (n.input(3)) {
    std::optional<SmallVector<int64_t>> c = n.constantInts(3);
    if (!c || c->size() != 1)
      return n.error("frame_length must be a constant scalar (the output "
                     "shape depends on it)");
    frameLength = (*c)[0];
  }
  if (window) {
    RankedTensorType wt = n.inputType(2);
    if (wt.getRank() != 1 || wt.getElementType() != type.getElementType())
      return n.error("the window must be 1-D, of the signal's element type");
    if (!wt.isDynamicDim(0)) {
      if (frameLength && *frameLength != wt.getDimSize(0))
        return n.error("the window's length differs from frame_length");
      frameLength = wt.getDimSize(0);
    }
  } else if (!n.input(3)) {
    frameLength = signalLength;
  }
  if (!frameLength)
    return n.error("the frame length must be static (a constant "
                   "frame_length or a window of static length)");
  int64_t fl = *frameLength;
  if (fl <= 0 || fl > signalLength)
    return n.error("the frame length " + Twine(fl) +
                   " must be in [1, signal length " + Twine(signalLength) +
                   "]");

  // Frame indices [frames, fl]: start + offset.
  Value indices;
  if (std::optional<SmallVector<int64_t>> c = n.constantInts(1)) {
    if (c->size() != 1 || (*c)[0] <= 0)
      return n.error("frame_step must be one positive value");
    int64_t frameStep = (*c)[0];
    int64_t frames = (signalLength - fl) / frameStep + 1;
    SmallVector<double> values;
    for (int64_t f = 0; f < frames; ++f)
      for (int64_t t = 0; t < fl; ++t)
        values.push_back(static_cast<double>(f * frameStep + t));
    indices = denseConstant(n, {frames, fl}, n.builder.getI64Type(), values);
  } else {
    RankedTensorType st = n.inputType(1);
    if (!st.getElementType().isInteger(64) ||
        (st.hasStaticShape() && st.getNumElements() != 1))
      return n.error("frame_step must be an int64 scalar");
    // Frame starts 0, step, ... below signalLength - fl + 1.
    Value stepScalar = reshapeTo(n, *step, {});
    Value starts =
        n.create<RangeOp>(n.scalar(0, n.builder.getI64Type()),
                          n.scalar(static_cast<double>(signalLength - fl + 1),
                                   n.builder.getI64Type()),
                          stepScalar);
    Value column =
        starts ? reshapeTo(n, starts, {ShapedType::kDynamic, 1}) : Value();
    Value offsets = iota(n, fl, 1, 2, n.builder.getI64Type());
    indices = binary<AddOp>(n, column, offsets);
  }
  // [batch, frames, fl, c]
  Value frames = indices ? n.create<GatherOp>(*signal, indices, 1) : Value();
  if (window && frames) {
    Value column = reshapeTo(n, window, {fl, 1});
    frames = binary<MulOp>(n, frames, column);
  }
  if (!frames)
    return failure();
  DftSpec s{fl, channels, fl, /*inverse=*/false, onesided};
  return n.finish(applyDft(n, frames, s));
}

//===----------------------------------------------------------------------===//
// Col2Im
//===----------------------------------------------------------------------===//

static LogicalResult convertCol2Im(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x) || failed(n.requiredInput(1)) || failed(n.requiredInput(2)))
    return failure();
  std::optional<SmallVector<int64_t>> image = n.constantInts(1);
  std::optional<SmallVector<int64_t>> block = n.constantInts(2);
  if (!image || !block)
    return n.error("image_shape and block_shape must be constants (the "
                   "output shape depends on them)");
  RankedTensorType type = n.inputType(0);
  if (failed(requireStatic(n, type, "the input")))
    return failure();
  if (type.getRank() != 3)
    return n.error("the input must have rank 3 ([N, C * prod(block), L])");
  int64_t dims = image->size();
  if (dims == 0 || static_cast<int64_t>(block->size()) != dims)
    return n.error("image_shape and block_shape must have the same, "
                   "non-zero length");
  auto ints = [&](StringRef name, int64_t count, int64_t fill) {
    std::optional<SmallVector<int64_t>> v = n.intsAttr(name);
    return v ? *v : SmallVector<int64_t>(count, fill);
  };
  SmallVector<int64_t> dilations = ints("dilations", dims, 1);
  SmallVector<int64_t> strides = ints("strides", dims, 1);
  SmallVector<int64_t> pads = ints("pads", 2 * dims, 0);
  if (static_cast<int64_t>(dilations.size()) != dims ||
      static_cast<int64_t>(strides.size()) != dims ||
      static_cast<int64_t>(pads.size()) != 2 * dims)
    return n.error("dilations, strides and pads must match the image rank");

  // The blocks along each dimension, and the column count they imply.
  int64_t blockSize = 1, imageSize = 1, columns = 1;
  SmallVector<int64_t> counts;
  for (int64_t d = 0; d < dims; ++d) {
    if ((*image)[d] <= 0 || (*block)[d] <= 0 || strides[d] <= 0 ||
        dilations[d] <= 0)
      return n.error("image and block sizes, strides and dilations must be "
                     "positive");
    int64_t span = dilations[d] * ((*block)[d] - 1) + 1;
    int64_t count =
        ((*image)[d] + pads[d] + pads[dims + d] - span) / strides[d] + 1;
    if (count <= 0)
      return n.error("the block does not fit the padded image");
    counts.push_back(count);
    blockSize *= (*block)[d];
    imageSize *= (*image)[d];
    columns *= count;
  }
  int64_t batch = type.getDimSize(0);
  if (type.getDimSize(1) % blockSize != 0)
    return n.error("the input's dimension 1 is not a multiple of the block "
                   "size " +
                   Twine(blockSize));
  int64_t c = type.getDimSize(1) / blockSize;
  if (type.getDimSize(2) != columns)
    return n.error("the input has " + Twine(type.getDimSize(2)) +
                   " columns; the shapes give " + Twine(columns));

  // Target row (flat image position, or imageSize for padding) of each
  // (block position, column).
  SmallVector<double> rows;
  for (int64_t b = 0; b < blockSize; ++b) {
    for (int64_t l = 0; l < columns; ++l) {
      int64_t bRest = b, lRest = l, flat = 0;
      bool inside = true;
      SmallVector<int64_t> bi(dims), li(dims);
      for (int64_t d = dims - 1; d >= 0; --d) {
        bi[d] = bRest % (*block)[d];
        bRest /= (*block)[d];
        li[d] = lRest % counts[d];
        lRest /= counts[d];
      }
      for (int64_t d = 0; d < dims; ++d) {
        int64_t pos = li[d] * strides[d] + bi[d] * dilations[d] - pads[d];
        inside = inside && pos >= 0 && pos < (*image)[d];
        flat = flat * (*image)[d] + pos;
      }
      rows.push_back(static_cast<double>(inside ? flat : imageSize));
    }
  }
  Type elementType = type.getElementType();
  Type i64 = n.builder.getI64Type();
  // [N, C * B, L] -> [B * L, N, C]
  Value updates = reshapeTo(n, *x, {batch, c, blockSize * columns});
  updates = transpose(n, updates, {2, 0, 1});
  Value indices = denseConstant(n, {blockSize * columns, 1}, i64, rows);
  Value zeros = denseConstant(n, {imageSize + 1, batch, c}, elementType, {0.0});
  Value summed = updates && indices && zeros
                     ? n.create<ScatterNDOp>(
                           zeros, indices, updates,
                           ScatterReductionAttr::get(n.builder.getContext(),
                                                     ScatterReduction::Add))
                     : Value();
  Value image2 =
      summed ? n.create<SliceOp>(summed, ArrayRef<int64_t>{0},
                                 ArrayRef<int64_t>{imageSize},
                                 ArrayRef<int64_t>{0}, ArrayRef<int64_t>{1})
             : Value();
  // [prod(image), N, C] -> [N, C, image...]
  Value y = transpose(n, image2, {1, 2, 0});
  SmallVector<int64_t> shape{batch, c};
  shape.append(image->begin(), image->end());
  return n.finish(y ? reshapeTo(n, y, shape) : Value());
}

//===----------------------------------------------------------------------===//
// MaxUnpool
//===----------------------------------------------------------------------===//

static LogicalResult convertMaxUnpool(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), indices = n.requiredInput(1);
  if (failed(x) || failed(indices))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (failed(requireStatic(n, type, "the input")))
    return failure();
  if (n.inputType(1).getShape() != type.getShape() ||
      !isa<IntegerType>(n.inputType(1).getElementType()))
    return n.error("the indices must be integers of the input's shape");
  int64_t rank = type.getRank();
  if (rank < 3)
    return n.error("the input must have rank 3 or more");
  int64_t dims = rank - 2;
  std::optional<SmallVector<int64_t>> kernel = n.intsAttr("kernel_shape");
  if (!kernel || static_cast<int64_t>(kernel->size()) != dims)
    return n.error("kernel_shape needs one entry per spatial dimension");
  SmallVector<int64_t> strides =
      n.intsAttr("strides").value_or(SmallVector<int64_t>(dims, 1));
  SmallVector<int64_t> pads =
      n.intsAttr("pads").value_or(SmallVector<int64_t>(2 * dims, 0));
  if (static_cast<int64_t>(strides.size()) != dims ||
      static_cast<int64_t>(pads.size()) != 2 * dims)
    return n.error("strides and pads must match the spatial rank");
  SmallVector<int64_t> inferred{type.getDimSize(0), type.getDimSize(1)};
  int64_t total = inferred[0] * inferred[1];
  for (int64_t d = 0; d < dims; ++d) {
    int64_t size = (type.getDimSize(2 + d) - 1) * strides[d] -
                   (pads[d] + pads[dims + d]) + (*kernel)[d];
    if (size <= 0)
      return n.error("the inferred output size is not positive");
    inferred.push_back(size);
    total *= size;
  }
  // Scatter the values at their flat indices (into the inferred shape).
  Value zeros = denseConstant(n, {total}, type.getElementType(), {0.0});
  Value flatIndices = reshapeTo(n, *indices, {type.getNumElements(), 1});
  Value flatValues = reshapeTo(n, *x, {type.getNumElements()});
  Value scattered = flatIndices && flatValues && zeros
                        ? n.create<ScatterNDOp>(
                              zeros, flatIndices, flatValues,
                              ScatterReductionAttr::get(n.builder.getContext(),
                                                        ScatterReduction::None))
                        : Value();
  Value y = scattered ? reshapeTo(n, scattered, inferred) : Value();
  if (!y || !n.input(2))
    return n.finish(y);

  // Zeros after the inferred shape, up to output_shape.
  RankedTensorType shapeType = n.inputType(2);
  if (shapeType.getRank() != 1 || shapeType.getDimSize(0) != rank ||
      !shapeType.getElementType().isInteger(64))
    return n.error("output_shape must be an int64 tensor of " + Twine(rank) +
                   " values");
  if (std::optional<SmallVector<int64_t>> c = n.constantInts(2)) {
    SmallVector<int64_t> padAmounts(rank, 0);
    for (int64_t d = 0; d < rank; ++d) {
      if ((*c)[d] < inferred[d])
        return n.error("output_shape is smaller than the unpooled shape");
      padAmounts.push_back((*c)[d] - inferred[d]);
    }
    return n.finish(n.create<PadOp>(
        y, PadModeAttr::get(n.builder.getContext(), PadMode::Constant),
        n.builder.getDenseI64ArrayAttr(padAmounts),
        n.builder.getF64FloatAttr(0)));
  }
  SmallVector<double> zerosThenInferred(rank, 0.0);
  for (int64_t d : inferred)
    zerosThenInferred.push_back(-static_cast<double>(d));
  // pads = [0] * rank ++ (output_shape - inferred)
  Value endPads = binary<AddOp>(
      n, *n.requiredInput(2),
      denseConstant(n, {rank}, n.builder.getI64Type(),
                    ArrayRef<double>(zerosThenInferred).drop_front(rank)));
  Value beginPads = denseConstant(n, {rank}, n.builder.getI64Type(), {0.0});
  Value padsValue = endPads && beginPads
                        ? n.create<ConcatOp>(ValueRange{beginPads, endPads}, 0)
                        : Value();
  Value fill = n.scalar(0, type.getElementType());
  return n.finish(
      padsValue && fill
          ? n.create<DynamicPadOp>(
                PadModeAttr::get(n.builder.getContext(), PadMode::Constant), y,
                padsValue, fill)
          : Value());
}

void onnx_import::registerSignalImageOps(OpConverterMap &map) {
  map["DFT"] = convertDFT;
  map["STFT"] = convertSTFT;
  map["Col2Im"] = convertCol2Im;
  map["MaxUnpool"] = convertMaxUnpool;
}
