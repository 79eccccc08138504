//===- RecurrentOps.cpp - ONNX RNN, GRU and LSTM to kiln ------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// RNN, GRU and LSTM, unrolled over a static sequence length into per-step
// matmuls, adds and activations. The input projection X * W^T is one matmul
// over all steps; each step adds the recurrent projection H * R^T and the
// biases in the order ONNX's equations write them. The state is kept as
// (1, batch, hidden) so that a dynamic batch dimension needs no reshape.
// sequence_lens, when present and not all full length, masks each step:
// a step past a batch entry's length keeps its state and outputs zeros.
// Where the spec is loose, ONNX Runtime's reading is followed (checked
// against it): activation_alpha/beta are consumed in order by the functions
// that take them, and clip bounds the inputs of f and g but not of h.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

namespace {
enum class Cell { RNN, GRU, LSTM };

/// One activation function of the cell with its alpha and beta.
struct Activation {
  std::string name; // lower case
  float alpha = 0, beta = 0;
};
} // namespace

static bool takesAlpha(StringRef name) {
  return llvm::is_contained({"affine", "leakyrelu", "thresholdedrelu",
                             "scaledtanh", "hardsigmoid", "elu"},
                            name);
}
static bool takesBeta(StringRef name) {
  return llvm::is_contained({"affine", "scaledtanh", "hardsigmoid"}, name);
}

/// Reads `activations`, `activation_alpha` and `activation_beta`: `perDir`
/// functions for each direction, the alphas and betas consumed in order by
/// the functions that take them (the ONNX operators' defaults otherwise).
static FailureOr<SmallVector<Activation>>
readActivations(NodeImporter &n, ArrayRef<StringRef> defaults,
                int64_t directions) {
  SmallVector<Activation> acts;
  const onnx::AttributeProto *names = n.attr("activations");
  if (names) {
    for (const std::string &s : names->strings())
      acts.push_back({StringRef(s).lower()});
  } else {
    for (int64_t d = 0; d < directions; ++d)
      for (StringRef s : defaults)
        acts.push_back({s.lower()});
  }
  if (acts.size() != defaults.size() * directions) {
    (void)n.error("activations must list " +
                  Twine(defaults.size() * directions) + " functions, got " +
                  Twine(acts.size()));
    return failure();
  }
  const onnx::AttributeProto *alphas = n.attr("activation_alpha");
  const onnx::AttributeProto *betas = n.attr("activation_beta");
  int nextAlpha = 0, nextBeta = 0;
  for (Activation &a : acts) {
    static const llvm::StringMap<std::pair<float, float>> known = {
        {"relu", {0, 0}},           {"tanh", {0, 0}},
        {"sigmoid", {0, 0}},        {"affine", {NAN, NAN}},
        {"leakyrelu", {0.01f, 0}},  {"thresholdedrelu", {1.0f, 0}},
        {"scaledtanh", {NAN, NAN}}, {"hardsigmoid", {0.2f, 0.5f}},
        {"elu", {1.0f, 0}},         {"softsign", {0, 0}},
        {"softplus", {0, 0}}};
    auto it = known.find(a.name);
    if (it == known.end()) {
      (void)n.error("unknown activation function '" + a.name + "'");
      return failure();
    }
    a.alpha = it->second.first;
    a.beta = it->second.second;
    if (takesAlpha(a.name) && alphas && nextAlpha < alphas->floats_size())
      a.alpha = alphas->floats(nextAlpha++);
    if (takesBeta(a.name) && betas && nextBeta < betas->floats_size())
      a.beta = betas->floats(nextBeta++);
    if (std::isnan(a.alpha) || std::isnan(a.beta)) {
      (void)n.error("activation '" + a.name +
                    "' needs activation_alpha and activation_beta");
      return failure();
    }
  }
  return acts;
}

/// Applies `a` (after clipping its input to [-clip, clip] if `clip` is set).
static Value activate(NodeImporter &n, const Activation &a, Value x,
                      std::optional<float> clip) {
  if (!x)
    return {};
  if (clip)
    x = n.create<ClipOp>(x, n.builder.getF64FloatAttr(-*clip),
                         n.builder.getF64FloatAttr(*clip));
  if (!x)
    return {};
  Type element = typeOf(x).getElementType();
  auto c = [&](double v) { return n.scalar(v, element); };
  StringRef name = a.name;
  if (name == "relu")
    return n.create<ReluOp>(x);
  if (name == "tanh")
    return n.create<TanhOp>(x);
  if (name == "sigmoid")
    return n.create<SigmoidOp>(x);
  if (name == "softplus")
    return n.create<SoftplusOp>(x);
  if (name == "leakyrelu")
    return n.create<LeakyReluOp>(x, n.builder.getF32FloatAttr(a.alpha));
  if (name == "elu")
    return n.create<EluOp>(x, n.builder.getF32FloatAttr(a.alpha));
  // Operands are created one statement at a time so that the IR's order
  // does not depend on the order the compiler evaluates arguments in.
  if (name == "affine" || name == "hardsigmoid") {
    Value ax = binary<MulOp>(n, x, c(a.alpha));
    Value y = binary<AddOp>(n, ax, c(a.beta));
    if (name == "affine")
      return y;
    Value upper = binary<MinOp>(n, y, c(1.0));
    return binary<MaxOp>(n, upper, c(0.0));
  }
  if (name == "scaledtanh") {
    Value alpha = c(a.alpha);
    Value t = unary<TanhOp>(n, binary<MulOp>(n, x, c(a.beta)));
    return binary<MulOp>(n, alpha, t);
  }
  if (name == "thresholdedrelu") {
    Value keep = binary<GreaterOp>(n, x, c(a.alpha));
    Value zero = c(0.0);
    return keep && zero ? n.create<WhereOp>(keep, x, zero) : Value();
  }
  if (name == "softsign") {
    Value one = c(1.0);
    return binary<DivOp>(n, x, binary<AddOp>(n, one, unary<AbsOp>(n, x)));
  }
  (void)n.error("unknown activation function '" + a.name + "'");
  return {};
}

/// `a + b`, where a null operand stands for zero.
static Value addOrZero(NodeImporter &n, Value a, Value b) {
  if (!a)
    return b;
  if (!b)
    return a;
  return n.create<AddOp>(a, b);
}

/// `a * b`, where a null `b` stands for zero (and gives null).
static Value mulOrZero(NodeImporter &n, Value a, Value b) {
  if (!a || !b)
    return {};
  return n.create<MulOp>(a, b);
}

/// Slices [start, start+size) of axis `axis`.
static Value sliceAxis(NodeImporter &n, Value v, int64_t axis, int64_t start,
                       int64_t size) {
  if (!v)
    return {};
  return n.create<SliceOp>(v, ArrayRef<int64_t>{start},
                           ArrayRef<int64_t>{start + size},
                           ArrayRef<int64_t>{axis}, ArrayRef<int64_t>{1});
}

/// Direction `d` of a (directions, rows, cols) weight, transposed to
/// (cols, rows).
static Value weightOf(NodeImporter &n, Value w, int64_t d) {
  RankedTensorType type = typeOf(w);
  Value s = sliceAxis(n, w, 0, d, 1);
  s = reshapeTo(n, s, {type.getDimSize(1), type.getDimSize(2)});
  return s ? n.create<TransposeOp>(s, ArrayRef<int64_t>{1, 0}) : Value();
}

static LogicalResult unroll(NodeImporter &n, Cell cell);

/// Converts with `unroll`, failing if any error was reported on the way (a
/// null value there can stand for a zero state, so a failed op could
/// otherwise pass for one).
static LogicalResult convertRecurrent(NodeImporter &n, Cell cell) {
  bool hadError = false;
  ScopedDiagnosticHandler watch(n.builder.getContext(), [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error)
      hadError = true;
    return failure(); // passed on to the importer's handler
  });
  LogicalResult result = unroll(n, cell);
  return failure(failed(result) || hadError);
}

static LogicalResult unroll(NodeImporter &n, Cell cell) {
  FailureOr<Value> xIn = n.requiredInput(0), w = n.requiredInput(1),
                   r = n.requiredInput(2);
  if (failed(xIn) || failed(w) || failed(r))
    return failure();
  Value bias = n.input(3), lens = n.input(4), h0 = n.input(5);
  Value c0 = cell == Cell::LSTM ? n.input(6) : Value();
  Value peep = cell == Cell::LSTM ? n.input(7) : Value();
  int64_t gates = cell == Cell::RNN ? 1 : cell == Cell::GRU ? 3 : 4;

  std::string direction = n.stringAttr("direction", "forward");
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return n.error("unknown direction '" + direction + "'");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  int64_t layout = n.opset >= 14 ? n.intAttr("layout", 0) : 0;
  if (layout != 0 && layout != 1)
    return n.error("layout must be 0 or 1");
  std::optional<float> clip;
  if (n.attr("clip"))
    clip = n.floatAttr("clip", 0);
  bool linearBeforeReset =
      cell == Cell::GRU && n.intAttr("linear_before_reset", 0) != 0;
  bool inputForget = cell == Cell::LSTM && n.intAttr("input_forget", 0) != 0;
  SmallVector<StringRef> defaults;
  if (cell == Cell::RNN)
    defaults = {"Tanh"};
  else if (cell == Cell::GRU)
    defaults = {"Sigmoid", "Tanh"};
  else
    defaults = {"Sigmoid", "Tanh", "Tanh"};
  FailureOr<SmallVector<Activation>> acts = readActivations(n, defaults, dirs);
  if (failed(acts))
    return failure();

  // Shapes.
  Value x = *xIn;
  if (layout == 1) {
    x = n.create<TransposeOp>(x, ArrayRef<int64_t>{1, 0, 2});
    auto swap = [&](Value v) {
      return v ? n.create<TransposeOp>(v, ArrayRef<int64_t>{1, 0, 2}) : v;
    };
    h0 = swap(h0);
    c0 = swap(c0);
  }
  RankedTensorType xType = typeOf(x), wType = typeOf(*w), rType = typeOf(*r);
  if (!xType || xType.getRank() != 3 || wType.getRank() != 3 ||
      rType.getRank() != 3)
    return n.error("X, W and R must have rank 3");
  int64_t steps = xType.getDimSize(0);
  if (ShapedType::isDynamic(steps))
    return n.error("the sequence length must be static (it is unrolled)");
  int64_t hidden = rType.getDimSize(2);
  int64_t attrHidden = n.intAttr("hidden_size", hidden);
  if (ShapedType::isDynamic(hidden) || hidden != attrHidden)
    return n.error("R's last dimension must be the static hidden_size");
  if (wType.getDimSize(0) != dirs || rType.getDimSize(0) != dirs ||
      wType.getDimSize(1) != gates * hidden ||
      rType.getDimSize(1) != gates * hidden)
    return n.error("W and R must have shape (" + Twine(dirs) + ", " +
                   Twine(gates * hidden) + ", ...)");
  Type element = xType.getElementType();
  if (!isa<FloatType>(element))
    return n.error("X must be a float tensor");

  // sequence_lens: ignored when it is constant and all full length, else a
  // per-step mask of shape (1, batch, 1).
  if (lens) {
    if (std::optional<SmallVector<int64_t>> l = n.constantInts(4))
      if (llvm::all_of(*l, [&](int64_t v) { return v == steps; }))
        lens = Value();
  }
  auto maskAt = [&](int64_t t) -> Value {
    Type lensElem = typeOf(lens).getElementType();
    Value less = binary<LessOp>(n, n.scalar(t, lensElem), lens);
    return reshapeTo(n, less, {1, typeOf(lens).getDimSize(0), 1});
  };

  // Projections of every step at once: (steps, batch, gates*hidden).
  SmallVector<Value> yDirs, hLast, cLast;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    ArrayRef<Activation> f(&(*acts)[d * defaults.size()], defaults.size());
    Value wt = weightOf(n, *w, d), rt = weightOf(n, *r, d);
    Value xw = binary<MatMulOp>(n, x, wt);
    Value wb, rb;
    if (bias) {
      Value b = reshapeTo(n, sliceAxis(n, bias, 0, d, 1), {2 * gates * hidden});
      wb = sliceAxis(n, b, 0, 0, gates * hidden);
      rb = sliceAxis(n, b, 0, gates * hidden, gates * hidden);
    }
    // Slices [k*hidden, (k+count)*hidden) of the last axis.
    auto gate = [&](Value v, int64_t k, int64_t count = 1) {
      RankedTensorType type = typeOf(v);
      return sliceAxis(n, v, type ? type.getRank() - 1 : 0, k * hidden,
                       count * hidden);
    };
    Value h = h0 ? sliceAxis(n, h0, 0, d, 1) : Value();
    Value c = c0 ? sliceAxis(n, c0, 0, d, 1) : Value();
    Value pi, po, pf;
    if (peep) {
      Value p = reshapeTo(n, sliceAxis(n, peep, 0, d, 1), {3 * hidden});
      pi = gate(p, 0);
      po = gate(p, 1);
      pf = gate(p, 2);
    }
    Value zero = n.scalar(0.0, element), one = n.scalar(1.0, element);
    // The summed biases, once per direction: all gates (RNN, LSTM) or z
    // and r (GRU).
    Value biasSum;
    if (cell == Cell::GRU) {
      Value wbZr = gate(wb, 0, 2);
      biasSum = addOrZero(n, wbZr, gate(rb, 0, 2));
    } else {
      biasSum = addOrZero(n, wb, rb);
    }
    SmallVector<Value> ys(steps);
    for (int64_t i = 0; i < steps; ++i) {
      int64_t t = reverse ? steps - 1 - i : i;
      Value xwT = sliceAxis(n, xw, 0, t, 1);
      Value newH, newC;
      // (Each operand gets its own statement, so that the IR's order does
      // not depend on the order the compiler evaluates arguments in.)
      Value hr = h && cell != Cell::GRU ? binary<MatMulOp>(n, h, rt) : Value();
      if (cell == Cell::RNN) {
        // f(X*Wi^T + H*Ri^T + (Wbi + Rbi)).
        Value pre = addOrZero(n, xwT, hr);
        pre = addOrZero(n, pre, biasSum);
        newH = activate(n, f[0], pre, clip);
      } else if (cell == Cell::LSTM) {
        // Gates i, o, f, c; peepholes on C(t-1) for i and f, on C(t) for o.
        // ONNX Runtime clips the inputs of f and g but not of h.
        Value g = addOrZero(n, xwT, hr);
        g = addOrZero(n, g, biasSum);
        Value gi = gate(g, 0);
        Value it =
            activate(n, f[0], addOrZero(n, gi, mulOrZero(n, pi, c)), clip);
        Value ct = activate(n, f[1], gate(g, 3), clip);
        Value ft;
        if (inputForget) {
          ft = binary<SubOp>(n, one, it);
        } else {
          Value gf = gate(g, 2);
          ft = activate(n, f[0], addOrZero(n, gf, mulOrZero(n, pf, c)), clip);
        }
        Value kept = mulOrZero(n, ft, c);
        newC = addOrZero(n, kept, binary<MulOp>(n, it, ct));
        Value go = gate(g, 1);
        Value ot =
            activate(n, f[0], addOrZero(n, go, mulOrZero(n, po, newC)), clip);
        newH = binary<MulOp>(n, ot, activate(n, f[2], newC, std::nullopt));
      } else {
        // z and r: X*Wzr^T + H*Rzr^T + (Wbzr + Rbzr).
        Value hrZr = h ? binary<MatMulOp>(n, h, gate(rt, 0, 2)) : Value();
        Value zr = addOrZero(n, gate(xwT, 0, 2), hrZr);
        zr = addOrZero(n, zr, biasSum);
        Value z = activate(n, f[0], gate(zr, 0), clip);
        Value rg = activate(n, f[0], gate(zr, 1), clip);
        Value pre = gate(xwT, 2);
        if (linearBeforeReset) {
          // X*Wh^T + r (.) (H*Rh^T + Rbh) + Wbh.
          Value hrH = h ? binary<MatMulOp>(n, h, gate(rt, 2)) : Value();
          Value rec = addOrZero(n, hrH, gate(rb, 2));
          pre = addOrZero(n, pre, mulOrZero(n, rg, rec));
          pre = addOrZero(n, pre, gate(wb, 2));
        } else {
          // X*Wh^T + (r (.) H)*Rh^T + Wbh + Rbh.
          Value rh = mulOrZero(n, rg, h);
          Value rec = rh ? binary<MatMulOp>(n, rh, gate(rt, 2)) : Value();
          pre = addOrZero(n, pre, rec);
          pre = addOrZero(n, pre, gate(wb, 2));
          pre = addOrZero(n, pre, gate(rb, 2));
        }
        Value hh = activate(n, f[1], pre, clip);
        // (1 - z) (.) h + z (.) H.
        Value fresh = binary<MulOp>(n, binary<SubOp>(n, one, z), hh);
        newH = addOrZero(n, fresh, mulOrZero(n, z, h));
      }
      if (!newH || (cell == Cell::LSTM && !newC))
        return failure();
      if (lens) {
        Value mask = maskAt(t);
        if (!mask)
          return failure();
        ys[t] = n.create<WhereOp>(mask, newH, zero);
        newH = h ? n.create<WhereOp>(mask, newH, h) : ys[t];
        if (cell == Cell::LSTM)
          newC = n.create<WhereOp>(mask, newC, c ? c : zero);
      } else {
        ys[t] = newH;
      }
      h = newH;
      c = newC;
      if (!h || !ys[t])
        return failure();
    }
    Value y =
        steps == 1 ? ys[0] : n.create<ConcatOp>(ValueRange(ys), int64_t(0));
    yDirs.push_back(unsqueeze(n, y, {1}));
    hLast.push_back(h);
    cLast.push_back(c);
  }

  auto join = [&](ArrayRef<Value> parts, int64_t axis) -> Value {
    if (llvm::any_of(parts, [](Value v) { return !v; }))
      return {};
    return parts.size() == 1 ? parts[0]
                             : n.create<ConcatOp>(ValueRange(parts), axis);
  };
  Value y = join(yDirs, 1), yh = join(hLast, 0);
  Value yc = cell == Cell::LSTM ? join(cLast, 0) : Value();
  if (layout == 1) {
    y = y ? n.create<TransposeOp>(y, ArrayRef<int64_t>{2, 0, 1, 3}) : y;
    yh = yh ? n.create<TransposeOp>(yh, ArrayRef<int64_t>{1, 0, 2}) : yh;
    yc = yc ? n.create<TransposeOp>(yc, ArrayRef<int64_t>{1, 0, 2}) : yc;
  }
  if (!y || !yh || (cell == Cell::LSTM && !yc))
    return failure();
  n.setOutput(0, y);
  n.setOutput(1, yh);
  if (cell == Cell::LSTM)
    n.setOutput(2, yc);
  return success();
}

void onnx_import::registerRecurrentOps(OpConverterMap &map) {
  map["RNN"] = [](NodeImporter &n) { return convertRecurrent(n, Cell::RNN); };
  map["GRU"] = [](NodeImporter &n) { return convertRecurrent(n, Cell::GRU); };
  map["LSTM"] = [](NodeImporter &n) { return convertRecurrent(n, Cell::LSTM); };
}
