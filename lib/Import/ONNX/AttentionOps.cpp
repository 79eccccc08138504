//===- AttentionOps.cpp - ONNX Attention and RotaryEmbedding to kiln ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Attention (opsets 23-25) is decomposed into matmul, softmax and
// elementwise kiln ops, following the operator's function body: the
// additive bias collects the attention mask, the causal frontier, the
// sliding window and the padding of `nonpad_kv_seqlen`; a query row whose
// bias is entirely -inf yields zeros.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

namespace {
/// Where the query block starts among the keys: a constant, or per batch
/// (`nonpad_kv_seqlen - q_sequence_length`) as a (B, 1, 1) i64 tensor.
struct QueryOffset {
  int64_t constant = 0;
  Value perBatch;
};
} // namespace

/// (3-D) Splits the hidden dimension of (B, S, H*D) into heads: (B, H, S, D).
static Value splitHeads(NodeImporter &n, Value x, int64_t heads) {
  RankedTensorType type = typeOf(x);
  int64_t hidden = type.getDimSize(2);
  if (ShapedType::isDynamic(hidden) || hidden % heads != 0) {
    (void)n.error("the hidden size " + formatShape({hidden}) +
                  " is not a static multiple of the head count " +
                  Twine(heads));
    return {};
  }
  Value r =
      n.create<ReshapeOp>(x, ArrayRef<int64_t>{0, 0, heads, hidden / heads});
  return r ? n.create<TransposeOp>(r, ArrayRef<int64_t>{0, 2, 1, 3}) : Value();
}

/// Repeats each head of (B, H, S, D) `times` times, interleaved
/// (h0, h0, h1, h1, ...), as numpy.repeat along axis 1.
static Value repeatHeads(NodeImporter &n, Value x, int64_t times) {
  RankedTensorType type = typeOf(x);
  SmallVector<int64_t> shape(type.getShape());
  Value u = unsqueeze(n, x, {2});
  Value b = u ? n.create<BroadcastToOp>(u, ArrayRef<int64_t>{1, 1, times, 1, 1})
              : Value();
  shape[1] *= times;
  return reshapeTo(n, b, shape);
}

/// The additive (q, kv) bias of a constant query offset: 0 where
/// `allowed(i + offset - j)` holds, else -inf.
static Value constantBias(NodeImporter &n, int64_t q, int64_t kv,
                          int64_t offset, Type element,
                          function_ref<bool(int64_t)> allowed) {
  SmallVector<double> values;
  for (int64_t i = 0; i < q; ++i)
    for (int64_t j = 0; j < kv; ++j)
      values.push_back(allowed(i + offset - j) ? 0.0 : -INFINITY);
  if (values.empty())
    values.push_back(0.0);
  return denseConstant(n, {q, kv}, element, values);
}

/// The additive (B, 1, q, kv) bias of a per-batch query offset.
static Value perBatchBias(NodeImporter &n, int64_t q, int64_t kv, Value offset,
                          Type element, int64_t left, int64_t right) {
  Type i64 = n.builder.getI64Type();
  Value rows = iota(n, q, 0, 2, i64);         // (q, 1)
  Value cols = iota(n, kv, 1, 2, i64);        // (1, kv)
  Value pos = binary<AddOp>(n, rows, offset); // (B, q, 1)
  Value diff = binary<SubOp>(n, pos, cols);   // (B, q, kv)
  Value allowed;
  auto both = [&](Value a, Value b) { return a ? binary<AndOp>(n, a, b) : b; };
  if (left >= 0)
    allowed = both(allowed,
                   binary<LessEqualOp>(n, diff, n.scalar(double(left), i64)));
  if (right >= 0)
    allowed =
        both(allowed,
             binary<GreaterEqualOp>(n, diff, n.scalar(double(-right), i64)));
  Value bias = additiveMask(n, allowed, element);
  return unsqueeze(n, bias, {1});
}

/// `bias + term`, or `term` when there is no bias yet; null if `term` is.
static Value addBias(NodeImporter &n, Value bias, Value term) {
  return bias ? binary<AddOp>(n, bias, term) : term;
}

static LogicalResult convertAttention(NodeImporter &n) {
  FailureOr<Value> qIn = n.requiredInput(0), kIn = n.requiredInput(1),
                   vIn = n.requiredInput(2);
  if (failed(qIn) || failed(kIn) || failed(vIn))
    return failure();
  Value q = *qIn, k = *kIn, v = *vIn;
  RankedTensorType qType = typeOf(q);
  int64_t rank = qType.getRank();
  if ((rank != 3 && rank != 4) || typeOf(k).getRank() != rank ||
      typeOf(v).getRank() != rank)
    return n.error("Q, K and V must all be 3-D or all 4-D");
  Type element = qType.getElementType();
  if (!isa<FloatType>(element))
    return n.error("Q must be a floating-point tensor");
  Value mask = n.input(3), pastKey = n.input(4), pastValue = n.input(5);
  Value nonpad = n.opset >= 24 ? n.input(6) : Value();
  if (!pastKey != !pastValue)
    return n.error("past_key and past_value must be given together");
  if (nonpad && pastKey)
    return n.error("nonpad_kv_seqlen cannot be combined with past_key and "
                   "past_value");

  bool causal = n.intAttr("is_causal", 0) != 0;
  float softcap = n.floatAttr("softcap", 0);
  int64_t mode = n.intAttr("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3)
    return n.error("unknown qk_matmul_output_mode " + Twine(mode));
  int64_t left = n.opset >= 25 ? n.intAttr("left_window_size", -1) : -1;
  int64_t right = n.opset >= 25 ? n.intAttr("right_window_size", -1) : -1;
  if (left < -1 || right < -1)
    return n.error("window sizes must be -1 or non-negative");
  bool window = left >= 0 || right >= 0;

  // Heads: (B, H, S, D) from 3-D inputs, or from the 4-D shapes.
  const onnx::AttributeProto *qHeadsAttr = n.attr("q_num_heads");
  const onnx::AttributeProto *kvHeadsAttr = n.attr("kv_num_heads");
  int64_t qHeads, kvHeads;
  if (rank == 3) {
    if (!qHeadsAttr || !kvHeadsAttr)
      return n.error("3-D inputs need q_num_heads and kv_num_heads");
    qHeads = qHeadsAttr->i();
    kvHeads = kvHeadsAttr->i();
    if (qHeads <= 0 || kvHeads <= 0)
      return n.error("head counts must be positive");
    q = splitHeads(n, q, qHeads);
    k = splitHeads(n, k, kvHeads);
    v = splitHeads(n, v, kvHeads);
    if (!q || !k || !v)
      return failure();
  } else {
    if (n.opset >= 25 && (qHeadsAttr || kvHeadsAttr))
      return n.error("q_num_heads and kv_num_heads must not be given for 4-D "
                     "inputs");
    qHeads = qType.getDimSize(1);
    kvHeads = typeOf(k).getDimSize(1);
    if ((qHeadsAttr && qHeadsAttr->i() != qHeads) ||
        (kvHeadsAttr && kvHeadsAttr->i() != kvHeads))
      return n.error("q_num_heads and kv_num_heads disagree with the 4-D "
                     "input shapes");
  }

  // Scale Q and K by sqrt(scale), rounded to the element type.
  int64_t headSize = typeOf(q).getDimSize(3);
  double scale;
  if (const onnx::AttributeProto *s = n.attr("scale")) {
    scale = s->f();
  } else {
    if (ShapedType::isDynamic(headSize))
      return n.error("the default scale needs a static head size");
    scale = 1.0 / std::sqrt(static_cast<double>(headSize));
  }
  Value scaleSqrt = n.scalar(std::sqrt(scale), element);

  // The key/value cache.
  if (pastKey) {
    k = n.create<ConcatOp>(ValueRange{pastKey, k}, int64_t(2));
    v = n.create<ConcatOp>(ValueRange{pastValue, v}, int64_t(2));
    if (!k || !v)
      return failure();
  }
  n.setOutput(1, k);
  n.setOutput(2, v);

  int64_t qLen = typeOf(q).getDimSize(2), kvLen = typeOf(k).getDimSize(2);
  bool needsBias = mask || causal || window || nonpad;
  if (needsBias &&
      (ShapedType::isDynamic(qLen) || ShapedType::isDynamic(kvLen)))
    return n.error("masks need static query and key sequence lengths");

  // The offset of the query block among the keys.
  QueryOffset offset;
  if (pastKey) {
    offset.constant = typeOf(pastKey).getDimSize(2);
    if (ShapedType::isDynamic(offset.constant) && (causal || window))
      return n.error("causal and window masks need a static past length");
  } else if (nonpad) {
    Type i64 = n.builder.getI64Type();
    Value lengths = nonpad;
    if (typeOf(nonpad).getElementType() != i64)
      lengths = n.create<CastOp>(nonpad, TypeAttr::get(i64));
    Value shifted = binary<SubOp>(n, lengths, n.scalar(double(qLen), i64));
    offset.perBatch = unsqueeze(n, shifted, {1, 2}); // (B, 1, 1)
    if (!offset.perBatch)
      return failure();
  }

  // The additive bias.
  Value bias;
  if (mask) {
    RankedTensorType maskType = typeOf(mask);
    bool isBool = maskType.getElementType().isInteger(1);
    if (!isBool && maskType.getElementType() != element)
      return n.error("a float attn_mask must have Q's element type");
    if (maskType.getRank() < 1 || maskType.getRank() > 4)
      return n.error("attn_mask must have 1 to 4 dims, got " +
                     Twine(maskType.getRank()));
    int64_t maskLen = maskType.getDimSize(maskType.getRank() - 1);
    if (ShapedType::isDynamic(maskLen))
      return n.error("attn_mask needs a static last dimension");
    if (maskLen > kvLen)
      return n.error("attn_mask is longer than the total sequence length");
    if (maskLen < kvLen) {
      // Short masks are padded with False / -inf.
      SmallVector<int64_t> pads(2 * maskType.getRank(), 0);
      pads.back() = kvLen - maskLen;
      mask = n.create<PadOp>(
          mask, PadModeAttr::get(n.builder.getContext(), PadMode::Constant),
          n.builder.getDenseI64ArrayAttr(pads),
          n.builder.getF64FloatAttr(isBool ? 0.0 : -INFINITY));
    }
    bias = isBool ? additiveMask(n, mask, element) : mask;
    if (!bias)
      return failure();
  }
  if (causal) {
    Value term =
        offset.perBatch
            ? perBatchBias(n, qLen, kvLen, offset.perBatch, element, -1, 0)
            : constantBias(n, qLen, kvLen, offset.constant, element,
                           [](int64_t diff) { return diff >= 0; });
    if (!(bias = addBias(n, bias, term)))
      return failure();
  }
  if (window) {
    Value term = offset.perBatch
                     ? perBatchBias(n, qLen, kvLen, offset.perBatch, element,
                                    left, right)
                     : constantBias(n, qLen, kvLen, offset.constant, element,
                                    [&](int64_t diff) {
                                      return (left < 0 || diff <= left) &&
                                             (right < 0 || -diff <= right);
                                    });
    if (!(bias = addBias(n, bias, term)))
      return failure();
  }
  if (nonpad) {
    // Keys at or past nonpad_kv_seqlen[b] are padding: (B, 1, 1, kv).
    Type i64 = n.builder.getI64Type();
    Value lengths = unsqueeze(n, nonpad, {1});
    if (lengths && typeOf(lengths).getElementType() != i64)
      lengths = n.create<CastOp>(lengths, TypeAttr::get(i64));
    Value valid = binary<LessOp>(
        n, iota(n, kvLen, 1, 2, n.builder.getI64Type()), lengths);
    bias =
        addBias(n, bias, unsqueeze(n, additiveMask(n, valid, element), {1, 2}));
    if (!bias)
      return failure();
  }

  // Grouped-query attention repeats each key/value head.
  if (qHeads != kvHeads) {
    if (ShapedType::isDynamic(qHeads) || ShapedType::isDynamic(kvHeads))
      return n.error("grouped-query attention needs static head counts");
    if (qHeads % kvHeads != 0)
      return n.error("q_num_heads " + Twine(qHeads) +
                     " is not a multiple of kv_num_heads " + Twine(kvHeads));
    k = repeatHeads(n, k, qHeads / kvHeads);
    v = repeatHeads(n, v, qHeads / kvHeads);
  }

  Value kT =
      k ? n.create<TransposeOp>(k, ArrayRef<int64_t>{0, 1, 3, 2}) : Value();
  Value qk = binary<MatMulOp>(n, binary<MulOp>(n, q, scaleSqrt),
                              binary<MulOp>(n, kT, scaleSqrt));
  if (!qk)
    return failure();
  Value qkOut = qk;
  if (softcap > 0) {
    Value cap = n.scalar(softcap, element);
    qk = binary<MulOp>(n, unary<TanhOp>(n, binary<DivOp>(n, qk, cap)), cap);
  }
  if (mode == 1)
    qkOut = qk;
  Value logits = bias ? binary<AddOp>(n, qk, bias) : qk;
  if (mode == 2)
    qkOut = logits;
  if (!logits)
    return failure();

  // Softmax, in softmax_precision if given.
  Type softmaxType = element;
  if (const onnx::AttributeProto *p = n.attr("softmax_precision")) {
    softmaxType = convertElementType(static_cast<int32_t>(p->i()),
                                     n.builder.getContext());
    if (!softmaxType || !isa<FloatType>(softmaxType))
      return n.error("softmax_precision must be a floating-point type");
  }
  if (softmaxType != element)
    logits = n.create<CastOp>(logits, TypeAttr::get(softmaxType));
  Value probs = logits ? n.create<SoftmaxOp>(logits, int64_t(3)) : Value();
  if (bias) {
    // Rows whose bias is -inf everywhere attend nothing: zeros, not NaN.
    int64_t biasRank = typeOf(bias).getRank();
    Value rowMax = reduce<ReduceMaxOp>(n, bias, {biasRank - 1}, true);
    Value masked = binary<EqualOp>(n, rowMax, n.scalar(-INFINITY, element));
    Value zero = n.scalar(0.0, softmaxType);
    probs = masked && zero && probs ? n.create<WhereOp>(masked, zero, probs)
                                    : Value();
  }
  if (probs && softmaxType != element)
    probs = n.create<CastOp>(probs, TypeAttr::get(element));
  if (mode == 3)
    qkOut = probs;

  Value y = binary<MatMulOp>(n, probs, v);
  if (y && rank == 3) {
    y = n.create<TransposeOp>(y, ArrayRef<int64_t>{0, 2, 1, 3});
    y = y ? n.create<ReshapeOp>(y, ArrayRef<int64_t>{0, 0, -1}) : Value();
  }
  if (!y || !qkOut)
    return failure();
  n.setOutput(3, qkOut);
  return n.finish(y);
}

//===----------------------------------------------------------------------===//
// RotaryEmbedding
//===----------------------------------------------------------------------===//

/// RotaryEmbedding (opset 23) on (B, H, S, D) or (B, S, H*D) input, with
/// cos/sin caches indexed by position_ids (or already (B, S, D/2)).
static LogicalResult convertRotaryEmbedding(NodeImporter &n) {
  FailureOr<Value> xIn = n.requiredInput(0), cosIn = n.requiredInput(1),
                   sinIn = n.requiredInput(2);
  if (failed(xIn) || failed(cosIn) || failed(sinIn))
    return failure();
  Value x = *xIn, cosCache = *cosIn, sinCache = *sinIn;
  RankedTensorType xType = typeOf(x);
  int64_t rank = xType.getRank();
  if (failed(requireStatic(n, xType, "the input")))
    return failure();
  if (rank != 3 && rank != 4)
    return n.error("the input must be 3-D or 4-D");
  bool interleaved = n.intAttr("interleaved", 0) != 0;
  int64_t numHeads = n.intAttr("num_heads", 0);
  // Work on (B, S, H, D).
  Value work;
  if (rank == 4) {
    work = n.create<TransposeOp>(x, ArrayRef<int64_t>{0, 2, 1, 3});
  } else {
    if (numHeads <= 0 || xType.getDimSize(2) % numHeads != 0)
      return n.error("3-D input needs num_heads dividing the hidden size");
    work = n.create<ReshapeOp>(
        x, ArrayRef<int64_t>{0, 0, numHeads, xType.getDimSize(2) / numHeads});
  }
  RankedTensorType wType = typeOf(work);
  if (!wType)
    return failure();
  int64_t batch = wType.getDimSize(0), seq = wType.getDimSize(1),
          heads = wType.getDimSize(2), headSize = wType.getDimSize(3);
  int64_t rotary = n.intAttr("rotary_embedding_dim", 0);
  if (rotary == 0)
    rotary = headSize;
  if (rotary <= 0 || rotary > headSize || rotary % 2 != 0)
    return n.error("rotary_embedding_dim must be even and at most the head "
                   "size");
  int64_t half = rotary / 2;

  // Caches at the positions: (B, S, half).
  if (Value ids = n.input(3)) {
    cosCache = n.create<GatherOp>(cosCache, ids, int64_t(0));
    sinCache = n.create<GatherOp>(sinCache, ids, int64_t(0));
  }
  if (!cosCache || !sinCache)
    return failure();
  for (Value c : {cosCache, sinCache})
    if (typeOf(c).getRank() != 3 || typeOf(c).getDimSize(2) != half)
      return n.error("the cos and sin caches must give (batch, sequence, "
                     "rotary_embedding_dim / 2) values");
  // (B, S, 1, half) to broadcast over heads.
  Value cosB = unsqueeze(n, cosCache, {2});
  Value sinB = unsqueeze(n, sinCache, {2});

  // Split the rotated part into its two halves x1, x2 of (B, S, H, half).
  Value rotated = work, rest;
  if (rotary < headSize) {
    Operation *split =
        createVerified<SplitOp>(n.builder, n.loc, 2, work, int64_t(3),
                                ArrayRef<int64_t>{rotary, headSize - rotary});
    if (!split)
      return failure();
    rotated = split->getResult(0);
    rest = split->getResult(1);
  }
  Value x1, x2;
  if (interleaved) {
    Value pairs = n.create<ReshapeOp>(
        rotated, ArrayRef<int64_t>{batch, seq, heads, half, 2});
    Operation *split =
        pairs ? createVerified<SplitOp>(n.builder, n.loc, 2, pairs, int64_t(4),
                                        ArrayRef<int64_t>{1, 1})
              : nullptr;
    if (!split)
      return failure();
    x1 = reshapeTo(n, split->getResult(0), {batch, seq, heads, half});
    x2 = reshapeTo(n, split->getResult(1), {batch, seq, heads, half});
  } else {
    Operation *split =
        createVerified<SplitOp>(n.builder, n.loc, 2, rotated, int64_t(3),
                                ArrayRef<int64_t>{half, half});
    if (!split)
      return failure();
    x1 = split->getResult(0);
    x2 = split->getResult(1);
  }
  // real = cos * x1 - sin * x2, imag = sin * x1 + cos * x2.
  Value real =
      binary<SubOp>(n, binary<MulOp>(n, cosB, x1), binary<MulOp>(n, sinB, x2));
  Value imag =
      binary<AddOp>(n, binary<MulOp>(n, sinB, x1), binary<MulOp>(n, cosB, x2));
  if (!real || !imag)
    return failure();
  Value out;
  if (interleaved) {
    Value r = unsqueeze(n, real, {4}), i = unsqueeze(n, imag, {4});
    Value joined =
        r && i ? n.create<ConcatOp>(ValueRange{r, i}, int64_t(4)) : Value();
    out = reshapeTo(n, joined, {batch, seq, heads, rotary});
  } else {
    out = n.create<ConcatOp>(ValueRange{real, imag}, int64_t(3));
  }
  if (out && rest)
    out = n.create<ConcatOp>(ValueRange{out, rest}, int64_t(3));
  if (!out)
    return failure();
  Value y = rank == 4
                ? n.create<TransposeOp>(out, ArrayRef<int64_t>{0, 2, 1, 3})
                : reshapeTo(n, out, xType.getShape());
  return n.finish(y);
}

void onnx_import::registerAttentionOps(OpConverterMap &map) {
  map["Attention"] = convertAttention;
  map["RotaryEmbedding"] = convertRotaryEmbedding;
}
