//===- SignalOps.cpp - ONNX window functions and mel filters to kiln ------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// BlackmanWindow, HammingWindow and HannWindow become a constant when their
// size is a constant (computed in double, rounded once to the output type),
// else a cosine sum over a kiln.range in f32, as the ops' ONNX function
// bodies compute it. MelWeightMatrix with constant inputs becomes the
// constant its spec computes.
//
//===----------------------------------------------------------------------===//

#include "Decompose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx_import;

namespace {
/// A window as a sum of cosines: a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)
/// for n in [0, size), where N is size (periodic) or size - 1.
struct CosineSum {
  double a0, a1, a2;
};
} // namespace

/// The output element type of `output_datatype` (default float); null with
/// an error reported if Kiln does not know it.
static Type outputType(NodeImporter &n) {
  int64_t code = n.intAttr("output_datatype", onnx::TensorProto::FLOAT);
  Type t = convertElementType(code, n.builder.getContext());
  if (!t || t.isInteger(1))
    (void)n.error("output_datatype " + Twine(code) +
                  " is not a supported element type");
  return t && !t.isInteger(1) ? t : Type();
}

static LogicalResult convertWindow(NodeImporter &n, CosineSum w,
                                   bool hann = false) {
  FailureOr<Value> size = n.requiredInput(0);
  if (failed(size))
    return failure();
  Type out = outputType(n);
  if (!out)
    return failure();
  RankedTensorType sizeType = n.inputType(0);
  if (sizeType.getRank() > 1 || !isa<IntegerType>(sizeType.getElementType()))
    return n.error("size must be an integer scalar");
  bool periodic = n.intAttr("periodic", 1) != 0;

  if (std::optional<SmallVector<int64_t>> c = n.constantInts(0)) {
    if (c->size() != 1 || (*c)[0] < 0)
      return n.error("size must be one non-negative value");
    int64_t count = (*c)[0];
    if (count == 0)
      return n.error("an empty window is not supported");
    double denom = static_cast<double>(periodic ? count : count - 1);
    SmallVector<double> values;
    for (int64_t i = 0; i < count; ++i) {
      double x = static_cast<double>(i);
      if (hann) {
        double s = std::sin(M_PI * x / denom);
        values.push_back(s * s);
      } else {
        values.push_back(w.a0 - w.a1 * std::cos(2 * M_PI * x / denom) +
                         w.a2 * std::cos(4 * M_PI * x / denom));
      }
    }
    return n.finish(denseConstant(n, {count}, out, values));
  }

  // A run-time size: the function body's arithmetic, in f32.
  MLIRContext *ctx = n.builder.getContext();
  Type f32 = Float32Type::get(ctx), i64 = IntegerType::get(ctx, 64);
  Value count = *size;
  if (sizeType.getRank() == 1)
    count = n.create<ReshapeOp>(count, ArrayRef<int64_t>{});
  if (count && sizeType.getElementType() != i64)
    count = n.create<CastOp>(count, TypeAttr::get(i64), UnitAttr());
  // (One created operand per statement, so that the IR's order does not
  // depend on the order the compiler evaluates arguments in.)
  Value start = n.scalar(0, i64), delta = n.scalar(1, i64);
  Value index = count && start && delta ? n.create<RangeOp>(start, count, delta)
                                        : Value();
  index =
      index ? n.create<CastOp>(index, TypeAttr::get(f32), UnitAttr()) : Value();
  Value denom =
      count ? n.create<CastOp>(count, TypeAttr::get(f32), UnitAttr()) : Value();
  if (!periodic)
    denom = binary<SubOp>(n, denom, n.scalar(1.0, f32));
  Value step = binary<DivOp>(n, n.scalar(2 * M_PI, f32), denom);
  Value angle = binary<MulOp>(n, index, step);
  Value a0 = n.scalar(w.a0, f32), a1 = n.scalar(w.a1, f32);
  Value y = binary<SubOp>(n, a0, binary<MulOp>(n, a1, unary<CosOp>(n, angle)));
  if (w.a2 != 0) {
    Value a2 = n.scalar(w.a2, f32);
    Value twice = binary<MulOp>(n, angle, n.scalar(2.0, f32));
    y = binary<AddOp>(n, y, binary<MulOp>(n, a2, unary<CosOp>(n, twice)));
  }
  if (y && out != f32)
    y = n.create<CastOp>(y, TypeAttr::get(out), UnitAttr());
  return n.finish(y);
}

static LogicalResult convertMelWeightMatrix(NodeImporter &n) {
  for (unsigned i = 0; i < 5; ++i)
    if (failed(n.requiredInput(i)))
      return failure();
  std::optional<SmallVector<int64_t>> mel = n.constantInts(0),
                                      dft = n.constantInts(1),
                                      rate = n.constantInts(2);
  std::optional<double> lower = n.constantScalar(3),
                        upper = n.constantScalar(4);
  if (!mel || !dft || !rate || !lower || !upper || mel->size() != 1 ||
      dft->size() != 1 || rate->size() != 1)
    return n.error("only constant scalar inputs are supported (the output's "
                   "shape depends on their values)");
  Type out = outputType(n);
  if (!out)
    return failure();
  int64_t bins = (*mel)[0], length = (*dft)[0], sampleRate = (*rate)[0];
  if (bins <= 0 || length <= 0 || sampleRate <= 0)
    return n.error("num_mel_bins, dft_length and sample_rate must be positive");
  int64_t spectrogramBins = length / 2 + 1;
  // The spec: bin edges evenly spaced in mels, mapped back to hertz and
  // then to DFT bins, with triangular filters between them.
  // In f32 where ONNX's reference works on its f32 inputs, then in f64.
  auto toMel = [](float hz) {
    return 2595.0f * std::log1p(hz / 700.0f) / static_cast<float>(M_LN10);
  };
  float lowMel = toMel(static_cast<float>(*lower));
  float highMel = toMel(static_cast<float>(*upper));
  float step = (highMel - lowMel) / static_cast<float>(bins + 2);
  SmallVector<int64_t> edges;
  for (int64_t i = 0; i < bins + 2; ++i) {
    double m = static_cast<double>(i) * step + lowMel;
    double hz = 700 * std::expm1(m / 2595 * M_LN10);
    edges.push_back(
        static_cast<int64_t>(std::floor((static_cast<double>(length) + 1) * hz /
                                        static_cast<double>(sampleRate))));
  }
  SmallVector<double> values(spectrogramBins * bins, 0.0);
  auto at = [&](int64_t j, int64_t i) -> double * {
    if (j < 0 || j >= spectrogramBins)
      return nullptr;
    return &values[j * bins + i];
  };
  for (int64_t i = 0; i < bins; ++i) {
    int64_t left = edges[i], center = edges[i + 1], right = edges[i + 2];
    if (center == left) {
      if (double *v = at(center, i))
        *v = 1;
    } else {
      for (int64_t j = left; j <= center; ++j)
        if (double *v = at(j, i))
          *v = static_cast<double>(j - left) /
               static_cast<double>(center - left);
    }
    if (right > center)
      for (int64_t j = center; j < right; ++j)
        if (double *v = at(j, i))
          *v = static_cast<double>(right - j) /
               static_cast<double>(right - center);
  }
  return n.finish(denseConstant(n, {spectrogramBins, bins}, out, values));
}

void onnx_import::registerSignalOps(OpConverterMap &map) {
  map["HannWindow"] = [](NodeImporter &n) {
    return convertWindow(n, {0.5, 0.5, 0.0}, /*hann=*/true);
  };
  map["HammingWindow"] = [](NodeImporter &n) {
    return convertWindow(n, {25.0 / 46.0, 21.0 / 46.0, 0.0});
  };
  map["BlackmanWindow"] = [](NodeImporter &n) {
    return convertWindow(n, {0.42, 0.5, 0.08});
  };
  map["MelWeightMatrix"] = convertMelWeightMatrix;
}
