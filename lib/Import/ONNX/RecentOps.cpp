//===- RecentOps.cpp - Recent ONNX ops as decompositions into kiln --------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Ops of recent opsets, each a graph of existing kiln ops that follows the
// ONNX function body of the op (or its reference implementation where the
// function is silent):
//   - LinearAttention (27), its recurrence unrolled over a static sequence
//     length, computed in f32 as the function body does;
//   - CausalConvWithState (27), a depthwise kiln.conv over the state and the
//     input joined along the sequence;
//   - SwiGLU (28), AffineGrid (20), TensorScatter (24) and Det (22, as a
//     Laplace expansion of small static matrices).
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

static constexpr int64_t kDyn = ShapedType::kDynamic;

/// Slices [start, start+size) of axis `axis`.
static Value sliceOf(NodeImporter &n, Value v, int64_t axis, int64_t start,
                     int64_t size) {
  if (!v)
    return {};
  return n.create<SliceOp>(v, ArrayRef<int64_t>{start},
                           ArrayRef<int64_t>{start + size},
                           ArrayRef<int64_t>{axis}, ArrayRef<int64_t>{1});
}

/// Casts `v` to `type` unless it already has that element type.
static Value castIfNeeded(NodeImporter &n, Value v, Type type) {
  if (!v || typeOf(v).getElementType() == type)
    return v;
  return n.create<CastOp>(v, TypeAttr::get(type));
}

//===----------------------------------------------------------------------===//
// LinearAttention
//===----------------------------------------------------------------------===//

/// LinearAttention: for each step t, in f32,
///   S = exp(g_t) * S                        (gated rules)
///   w = beta_t * (v_t - k_t^T S) or v_t     (delta rules, else v_t)
///   S = S + k_t w^T
///   o_t = scale * q_t^T S                   (each KV head read by its group)
/// The state starts at past_state or zero; a zero state is not materialised
/// (the first step's products with it are left out).
static LogicalResult convertLinearAttention(NodeImporter &n) {
  FailureOr<Value> qIn = n.requiredInput(0), kIn = n.requiredInput(1),
                   vIn = n.requiredInput(2);
  if (failed(qIn) || failed(kIn) || failed(vIn))
    return failure();
  Value pastIn = n.input(3), decayIn = n.input(4), betaIn = n.input(5);

  if (!n.attr("q_num_heads") || !n.attr("kv_num_heads"))
    return n.error("q_num_heads and kv_num_heads are required");
  int64_t hq = n.intAttr("q_num_heads", 0), hkv = n.intAttr("kv_num_heads", 0);
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
    return n.error("q_num_heads (" + Twine(hq) +
                   ") must be a positive multiple of kv_num_heads (" +
                   Twine(hkv) + ")");
  std::string rule = n.stringAttr("update_rule", "gated_delta");
  if (rule != "linear" && rule != "gated" && rule != "delta" &&
      rule != "gated_delta")
    return n.error("unknown update_rule '" + rule + "'");
  bool gated = rule == "gated" || rule == "gated_delta";
  bool delta = rule == "delta" || rule == "gated_delta";
  if (gated != (decayIn != nullptr))
    return n.error("update_rule '" + rule + "' " +
                   (gated ? "needs" : "does not take") + " the decay input");
  if (delta != (betaIn != nullptr))
    return n.error("update_rule '" + rule + "' " +
                   (delta ? "needs" : "does not take") + " the beta input");

  RankedTensorType qType = typeOf(*qIn), kType = typeOf(*kIn),
                   vType = typeOf(*vIn);
  for (auto [type, name] : {std::pair{qType, "query"}, std::pair{kType, "key"},
                            std::pair{vType, "value"}}) {
    if (type.getRank() != 3)
      return n.error(Twine(name) + " must be 3-D (B, T, H*D), got " +
                     formatShape(type.getShape()));
    if (type.isDynamicDim(1) || type.isDynamicDim(2))
      return n.error(Twine(name) +
                     " must have a static sequence length (the recurrence is "
                     "unrolled) and hidden size");
  }
  int64_t b = qType.getDimSize(0), steps = qType.getDimSize(1);
  if (qType.getDimSize(2) % hq != 0)
    return n.error("query's hidden size is not a multiple of q_num_heads");
  int64_t dk = qType.getDimSize(2) / hq;
  if (kType.getDimSize(2) != hkv * dk)
    return n.error("key's hidden size must be kv_num_heads * d_k = " +
                   Twine(hkv * dk));
  if (vType.getDimSize(2) % hkv != 0)
    return n.error("value's hidden size is not a multiple of kv_num_heads");
  int64_t dv = vType.getDimSize(2) / hkv, group = hq / hkv;
  if (kType.getDimSize(1) != steps || vType.getDimSize(1) != steps)
    return n.error("query, key and value must have one sequence length");
  if (steps < 1)
    return n.error("the sequence must not be empty");

  // decay is (B, T, H_kv) per head or (B, T, H_kv*d_k) per key dimension;
  // beta is (B, T, H_kv) or (B, T, 1).
  int64_t decayWidth = 0, betaWidth = 0;
  for (auto [v, name] :
       {std::pair{decayIn, "decay"}, std::pair{betaIn, "beta"}}) {
    if (!v)
      continue;
    RankedTensorType type = typeOf(v);
    if (type.getRank() != 3 || type.isDynamicDim(2) ||
        type.getDimSize(1) != steps)
      return n.error(Twine(name) + " must be 3-D (B, T, width) with T = " +
                     Twine(steps) + " and a static width");
    int64_t width = type.getDimSize(2);
    if (v == decayIn) {
      if (width != hkv && width != hkv * dk)
        return n.error("decay's last dimension must be kv_num_heads or "
                       "kv_num_heads * d_k, got " +
                       Twine(width));
      decayWidth = width == hkv * dk ? dk : 1;
    } else {
      if (width != hkv && width != 1)
        return n.error("beta's last dimension must be kv_num_heads or 1, "
                       "got " +
                       Twine(width));
      betaWidth = width;
    }
  }
  if (pastIn) {
    RankedTensorType type = typeOf(pastIn);
    SmallVector<int64_t> want = {b, hkv, dk, dv};
    if (type.getRank() != 4 ||
        llvm::any_of(llvm::seq<int64_t>(1, 4),
                     [&](int64_t i) { return type.getDimSize(i) != want[i]; }))
      return n.error("past_state must have shape (B, " + Twine(hkv) + ", " +
                     Twine(dk) + ", " + Twine(dv) + "), got " +
                     formatShape(type.getShape()));
  }

  float scale = n.floatAttr("scale", 0.0f);
  if (scale == 0.0f)
    scale = 1.0f / std::sqrt(static_cast<float>(dk));

  Type f32 = n.builder.getF32Type();
  Value q = castIfNeeded(n, *qIn, f32), k = castIfNeeded(n, *kIn, f32),
        v = castIfNeeded(n, *vIn, f32), decay = castIfNeeded(n, decayIn, f32),
        beta = castIfNeeded(n, betaIn, f32);
  Value state = castIfNeeded(n, pastIn, f32);
  Value scaleValue = n.scalar(scale, f32);
  if (!q || !k || !v || (decayIn && !decay) || (betaIn && !beta) ||
      (pastIn && !state) || !scaleValue)
    return failure();

  SmallVector<Value> outputs;
  for (int64_t t = 0; t < steps; ++t) {
    // (B, 1, H*D) slices, reshaped so that heads are a batch dimension.
    Value qt = reshapeTo(n, sliceOf(n, q, 1, t, 1), {b, hkv, group, dk});
    Value kSlice = sliceOf(n, k, 1, t, 1);
    Value kRow = reshapeTo(n, kSlice, {b, hkv, 1, dk});
    Value kCol = reshapeTo(n, kSlice, {b, hkv, dk, 1});
    Value write = reshapeTo(n, sliceOf(n, v, 1, t, 1), {b, hkv, 1, dv});
    // A zero state stays zero when decayed.
    if (gated && state) {
      Value g =
          reshapeTo(n, sliceOf(n, decay, 1, t, 1), {b, hkv, decayWidth, 1});
      state = binary<MulOp>(n, state, unary<ExpOp>(n, g));
      if (!state)
        return failure(); // a null state would pass for a zero one
    }
    if (delta) {
      Value bt = reshapeTo(n, sliceOf(n, beta, 1, t, 1), {b, betaWidth, 1, 1});
      if (state) {
        Value retrieved = binary<MatMulOp>(n, kRow, state);
        write = binary<SubOp>(n, write, retrieved);
      }
      write = binary<MulOp>(n, bt, write);
    }
    Value outer = binary<MulOp>(n, kCol, write);
    state = state ? binary<AddOp>(n, state, outer) : outer;
    Value read = binary<MatMulOp>(n, qt, state);
    Value out = binary<MulOp>(n, scaleValue, read);
    out = reshapeTo(n, out, {b, 1, hq * dv});
    if (!out)
      return failure();
    outputs.push_back(out);
  }
  Value output = outputs.size() == 1
                     ? outputs.front()
                     : n.create<ConcatOp>(ValueRange(outputs), int64_t(1));
  output = castIfNeeded(n, output, qType.getElementType());
  Type stateType =
      pastIn ? typeOf(pastIn).getElementType() : qType.getElementType();
  Value present = castIfNeeded(n, state, stateType);
  if (!output || !present)
    return failure();
  n.setOutput(1, present);
  return n.finish(output);
}

//===----------------------------------------------------------------------===//
// CausalConvWithState
//===----------------------------------------------------------------------===//

/// CausalConvWithState: padded = concat(past_state or zeros, input) along
/// the sequence; output = depthwise conv(padded, weight, bias) with no
/// padding, then x * sigmoid(x) (in f32) for silu/swish; present_state is
/// the last k-1 positions of padded.
static LogicalResult convertCausalConvWithState(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0), w = n.requiredInput(1);
  if (failed(x) || failed(w))
    return failure();
  Value bias = n.input(2), past = n.input(3);
  std::string activation = n.stringAttr("activation", "none");
  if (activation != "none" && activation != "silu" && activation != "swish")
    return n.error("unknown activation '" + activation + "'");
  RankedTensorType xType = typeOf(*x), wType = typeOf(*w);
  if (xType.getRank() != 3)
    return n.error("the input must be 3-D (batch, channels, length)");
  if (wType.getRank() != 3 || wType.isDynamicDim(2) || wType.getDimSize(1) != 1)
    return n.error("the weight must be 3-D (channels, 1, k) with a static k");
  int64_t channels = xType.getDimSize(1), kernel = wType.getDimSize(2);
  if (ShapedType::isDynamic(channels))
    return n.error("the channels must be static");
  if (wType.getDimSize(0) != channels)
    return n.error("the weight must have " + Twine(channels) + " channels");
  if (kernel < 1)
    return n.error("the kernel must not be empty");
  if (past) {
    RankedTensorType pType = typeOf(past);
    if (pType.getRank() != 3 || pType.getDimSize(1) != channels ||
        pType.getDimSize(2) != kernel - 1)
      return n.error("past_state must have shape (batch, " + Twine(channels) +
                     ", " + Twine(kernel - 1) + ")");
  }

  Value padded = *x;
  if (past) {
    padded = n.create<ConcatOp>(ValueRange{past, *x}, int64_t(2));
  } else if (kernel > 1) {
    padded = n.create<PadOp>(
        *x, PadModeAttr::get(n.builder.getContext(), PadMode::Constant),
        n.builder.getDenseI64ArrayAttr({0, 0, kernel - 1, 0, 0, 0}),
        n.builder.getF64FloatAttr(0.0));
  }
  if (!padded)
    return failure();
  Value y =
      n.create<ConvOp>(padded, *w, bias, ArrayRef<int64_t>{1},
                       ArrayRef<int64_t>{0, 0}, ArrayRef<int64_t>{1}, channels);
  if (y && activation != "none") {
    Type element = xType.getElementType(), f32 = n.builder.getF32Type();
    Value yf = castIfNeeded(n, y, f32);
    Value s = unary<SigmoidOp>(n, yf);
    y = castIfNeeded(n, binary<MulOp>(n, yf, s), element);
  }
  // The last k-1 positions; an empty slice for k = 1.
  int64_t start = kernel > 1 ? -(kernel - 1) : INT64_MAX;
  Value present = n.create<SliceOp>(padded, ArrayRef<int64_t>{start},
                                    ArrayRef<int64_t>{INT64_MAX},
                                    ArrayRef<int64_t>{2}, ArrayRef<int64_t>{1});
  if (!y || !present)
    return failure();
  n.setOutput(1, present);
  return n.finish(y);
}

//===----------------------------------------------------------------------===//
// SwiGLU
//===----------------------------------------------------------------------===//

/// SwiGLU: (A * sigmoid(alpha * A)) * B, A and B of one shape.
static LogicalResult convertSwiGLU(NodeImporter &n) {
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b))
    return failure();
  RankedTensorType aType = typeOf(*a), bType = typeOf(*b);
  if (!isa<FloatType>(aType.getElementType()))
    return n.error("the inputs must be floating point");
  if (aType.getRank() != bType.getRank() ||
      llvm::any_of(llvm::seq<int64_t>(0, aType.getRank()), [&](int64_t i) {
        int64_t x = aType.getDimSize(i), y = bType.getDimSize(i);
        return !ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && x != y;
      }))
    return n.error("A and B must have one shape (SwiGLU does not broadcast), "
                   "got " +
                   formatShape(aType.getShape()) + " and " +
                   formatShape(bType.getShape()));
  float alpha = n.floatAttr("alpha", 1.0f);
  Value scaled = *a;
  if (alpha != 1.0f)
    scaled = binary<MulOp>(n, n.scalar(alpha, aType.getElementType()), *a);
  Value gate = binary<MulOp>(n, *a, unary<SigmoidOp>(n, scaled));
  return n.finish(binary<MulOp>(n, gate, *b));
}

//===----------------------------------------------------------------------===//
// AffineGrid
//===----------------------------------------------------------------------===//

/// The coordinates of the `count` positions of one spatial dimension, as a
/// constant of `shape` (`count` at one axis, 1 elsewhere): start + i * step
/// with step = 2/count and start = -1 + step/2, or (align_corners) step =
/// 2/(count-1) and start = -1, a single position being -1.
static Value staticCoordinates(NodeImporter &n, int64_t count,
                               ArrayRef<int64_t> shape, bool alignCorners,
                               Type element) {
  double step =
      alignCorners ? (count > 1 ? 2.0 / (count - 1) : 0.0) : 2.0 / count;
  double start = alignCorners ? -1.0 : -1.0 + step / 2;
  SmallVector<double> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(start + static_cast<double>(i) * step);
  return denseConstant(n, shape, element, values);
}

/// The same from a runtime count (a 0-d i64): range(0, count) * step +
/// start, where an align_corners step divides by max(count-1, 1).
static Value dynamicCoordinates(NodeImporter &n, Value count, bool alignCorners,
                                Type element) {
  Type i64 = n.builder.getI64Type();
  Value zero = n.scalar(0, i64), one = n.scalar(1, i64);
  Value range =
      count && zero && one ? n.create<RangeOp>(zero, count, one) : Value();
  Value index = castIfNeeded(n, range, element);
  Value divisor = count;
  if (alignCorners)
    divisor = binary<MaxOp>(n, binary<SubOp>(n, count, one), one);
  divisor = castIfNeeded(n, divisor, element);
  Value step = binary<DivOp>(n, n.scalar(2.0, element), divisor);
  Value start = n.scalar(-1.0, element);
  if (!alignCorners)
    start =
        binary<AddOp>(n, start, binary<DivOp>(n, step, n.scalar(2.0, element)));
  return binary<AddOp>(n, start, binary<MulOp>(n, index, step));
}

/// AffineGrid: grid[n, ..., j] = sum_i theta[n, j, i] * c_i + theta[n, j, d]
/// where c_0 is the W coordinate, c_1 the H one and c_2 the D one: theta
/// times the homogeneous base grid, evaluated by broadcasting.
static LogicalResult convertAffineGrid(NodeImporter &n) {
  FailureOr<Value> theta = n.requiredInput(0), size = n.requiredInput(1);
  if (failed(theta) || failed(size))
    return failure();
  bool alignCorners = n.intAttr("align_corners", 0) != 0;
  RankedTensorType tType = typeOf(*theta), sType = typeOf(*size);
  if (sType.getRank() != 1 || sType.isDynamicDim(0) ||
      (sType.getDimSize(0) != 4 && sType.getDimSize(0) != 5))
    return n.error("size must hold 4 (N, C, H, W) or 5 (N, C, D, H, W) "
                   "values");
  int64_t dims = sType.getDimSize(0) - 2;
  if (tType.getRank() != 3 || tType.getDimSize(1) != dims ||
      tType.getDimSize(2) != dims + 1)
    return n.error("theta must have shape (N, " + Twine(dims) + ", " +
                   Twine(dims + 1) + ") for a " + Twine(dims) + "-D grid");
  Type element = tType.getElementType();
  if (!isa<FloatType>(element))
    return n.error("theta must be floating point");
  std::optional<SmallVector<int64_t>> sizes = n.constantInts(1);
  if (sizes && llvm::any_of(ArrayRef(*sizes).drop_front(2),
                            [](int64_t d) { return d <= 0; }))
    return n.error("the grid sizes must be positive");

  int64_t rank = dims + 2, batch = tType.getDimSize(0);
  // Column i of theta as (N, 1, ..., 1, dims).
  auto column = [&](int64_t i) {
    Value c = sliceOf(n, *theta, 2, i, 1);
    c = c ? n.create<TransposeOp>(c, ArrayRef<int64_t>{0, 2, 1}) : Value();
    SmallVector<int64_t> shape(rank, 1);
    shape.front() = batch;
    shape.back() = dims;
    return reshapeTo(n, c, shape);
  };
  Value grid;
  for (int64_t i = 0; i < dims; ++i) {
    // Coordinate i (x, y, z) varies along output axis dims-i (W, H, D),
    // whose extent is entry rank-1-i of size.
    int64_t entry = rank - 1 - i;
    SmallVector<int64_t> shape(rank, 1);
    Value coords;
    if (sizes) {
      shape[dims - i] = (*sizes)[entry];
      coords =
          staticCoordinates(n, shape[dims - i], shape, alignCorners, element);
    } else {
      Value index =
          denseConstant(n, {}, n.builder.getI64Type(), {double(entry)});
      Value extent =
          index ? n.create<GatherOp>(*size, index, int64_t(0)) : Value();
      shape[dims - i] = kDyn;
      coords = reshapeTo(
          n, dynamicCoordinates(n, extent, alignCorners, element), shape);
    }
    Value term = binary<MulOp>(n, coords, column(i));
    grid = grid ? binary<AddOp>(n, grid, term) : term;
  }
  return n.finish(binary<AddOp>(n, grid, column(dims)));
}

//===----------------------------------------------------------------------===//
// TensorScatter
//===----------------------------------------------------------------------===//

/// TensorScatter: position p of the sequence axis takes update[j] with
/// j = p - write_indices[b] (mod max_sequence_length in circular mode) when
/// 0 <= j < sequence_length, and keeps past_cache otherwise; a gather of the
/// update and a where.
static LogicalResult convertTensorScatter(NodeImporter &n) {
  FailureOr<Value> past = n.requiredInput(0), update = n.requiredInput(1);
  if (failed(past) || failed(update))
    return failure();
  Value writeIndices = n.input(2);
  std::string mode = n.stringAttr("mode", "linear");
  if (mode != "linear" && mode != "circular")
    return n.error("unknown mode '" + mode + "'");
  RankedTensorType pType = typeOf(*past), uType = typeOf(*update);
  if (failed(requireStatic(n, pType, "past_cache")) ||
      failed(requireStatic(n, uType, "update")))
    return failure();
  int64_t rank = pType.getRank();
  if (uType.getRank() != rank || rank < 2)
    return n.error("past_cache and update must have one rank of at least 2");
  std::optional<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -2), rank);
  if (!axis)
    return failure();
  if (*axis == 0)
    return n.error("axis must not be the batch dimension");
  for (int64_t i = 0; i < rank; ++i)
    if (i != *axis && pType.getDimSize(i) != uType.getDimSize(i))
      return n.error("past_cache and update may differ only along axis " +
                     Twine(*axis));
  int64_t maxLen = pType.getDimSize(*axis), len = uType.getDimSize(*axis);
  if (len > maxLen)
    return n.error("the update is longer than the cache");
  if (len == 0)
    return n.finish(*past);

  Type i64 = n.builder.getI64Type();
  Value j = iota(n, maxLen, *axis, rank, i64);
  if (writeIndices) {
    RankedTensorType wType = typeOf(writeIndices);
    if (wType.getRank() != 1 || !wType.getElementType().isInteger(64))
      return n.error("write_indices must be a 1-D int64 tensor");
    SmallVector<int64_t> shape(rank, 1);
    shape.front() = pType.getDimSize(0);
    Value w = reshapeTo(n, writeIndices, shape);
    j = binary<SubOp>(n, j, w);
  }
  Value valid;
  if (mode == "circular") {
    Value m = n.scalar(maxLen, i64);
    j = j && m ? n.create<ModOp>(j, m, n.builder.getBoolAttr(false)) : Value();
    valid = binary<LessOp>(n, j, n.scalar(len, i64));
  } else {
    Value low = binary<GreaterEqualOp>(n, j, n.scalar(0, i64));
    Value high = binary<LessOp>(n, j, n.scalar(len, i64));
    valid = binary<AndOp>(n, low, high);
  }
  Value zero = n.scalar(0, i64);
  Value clamped =
      valid && j && zero ? n.create<WhereOp>(valid, j, zero) : Value();
  Value indices =
      clamped ? n.create<BroadcastToOp>(clamped, pType.getShape()) : Value();
  Value gathered =
      indices ? n.create<GatherElementsOp>(*update, indices, *axis) : Value();
  return n.finish(gathered && valid ? n.create<WhereOp>(valid, gathered, *past)
                                    : Value());
}

//===----------------------------------------------------------------------===//
// Det
//===----------------------------------------------------------------------===//

/// The largest matrix Det expands (a Laplace expansion of an n x n matrix
/// takes n * 2^(n-1) products).
static constexpr int64_t kMaxDetSize = 6;

/// Det: a Laplace expansion along the rows, the minors over the remaining
/// rows memoised by their set of columns. Each entry is a (*, 1, 1) slice;
/// the result is reshaped to the batch shape at the end.
static LogicalResult convertDet(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = typeOf(*x);
  int64_t rank = type.getRank();
  if (rank < 2)
    return n.error("the input must have at least 2 dimensions");
  if (!isa<FloatType>(type.getElementType()))
    return n.error("the input must be floating point");
  int64_t size = type.getDimSize(rank - 1);
  if (type.isDynamicDim(rank - 1) || type.getDimSize(rank - 2) != size)
    return n.error("the matrices must be square with a static size");
  if (size < 1 || size > kMaxDetSize)
    return n.error("determinants are expanded for matrices of size 1 to " +
                   Twine(kMaxDetSize) + ", got " + Twine(size));

  SmallVector<int64_t> batch(type.getShape().drop_back(2));
  SmallVector<SmallVector<Value>> entry(size, SmallVector<Value>(size));
  for (int64_t r = 0; r < size; ++r)
    for (int64_t c = 0; c < size; ++c) {
      entry[r][c] = n.create<SliceOp>(
          *x, ArrayRef<int64_t>{r, c}, ArrayRef<int64_t>{r + 1, c + 1},
          ArrayRef<int64_t>{rank - 2, rank - 1}, ArrayRef<int64_t>{1, 1});
      if (!entry[r][c])
        return failure();
    }
  // minor[mask]: the determinant of the last popcount(mask) rows restricted
  // to the columns in mask.
  llvm::DenseMap<unsigned, Value> minor;
  for (int64_t c = 0; c < size; ++c)
    minor[1u << c] = entry[size - 1][c];
  for (int64_t rows = 2; rows <= size; ++rows) {
    int64_t row = size - rows;
    for (unsigned mask = 0; mask < (1u << size); ++mask) {
      if (llvm::popcount(mask) != rows)
        continue;
      Value sum;
      int64_t position = 0;
      for (int64_t c = 0; c < size; ++c) {
        if (!(mask & (1u << c)))
          continue;
        Value term = binary<MulOp>(n, entry[row][c], minor[mask & ~(1u << c)]);
        if (!sum)
          sum = position % 2 ? unary<NegOp>(n, term) : term;
        else
          sum = position % 2 ? binary<SubOp>(n, sum, term)
                             : binary<AddOp>(n, sum, term);
        ++position;
      }
      if (!sum)
        return failure();
      minor[mask] = sum;
    }
  }
  return n.finish(reshapeTo(n, minor[(1u << size) - 1], batch));
}

void onnx_import::registerRecentOps(OpConverterMap &map) {
  map["LinearAttention"] = convertLinearAttention;
  map["CausalConvWithState"] = convertCausalConvWithState;
  map["SwiGLU"] = convertSwiGLU;
  map["AffineGrid"] = convertAffineGrid;
  map["TensorScatter"] = convertTensorScatter;
  map["Det"] = convertDet;
}
