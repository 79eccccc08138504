//===- ResizeToLinalg.cpp - kiln.resize and kiln.grid_sample to linalg ----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kiln.resize` as a `linalg.generic` over the result. For each resized
// axis the body maps the output index to a source coordinate `x` (in f64,
// as ONNX's reference does) by the coordinate transform. Nearest mode reads
// one element, rounded by the nearest mode. Linear and cubic read a window
// of taps around `x` with `scf.for` loops, each tap weighted by the kernel
// at `|idx - x| * s` (`s` is min(scale, 1) with antialias, else 1); the
// window is `floor(x) + start + [0, 2 - 2 * start)` with
// `start = floor(-R / s) + 1` (R is 1 for linear, 2 for cubic), which is
// ONNX's window for every case. Taps outside the input read the edge;
// with `exclude_outside` they weigh 0; with antialias or `exclude_outside`
// each axis's weights are normalised to sum to 1. Interpolating all axes
// at once with product weights equals ONNX's axis-by-axis interpolation.
// Scales, sizes and roi are read at run time, so the output dims may be
// dynamic.
//
// `kiln.grid_sample` is a `linalg.generic` over the result in the same
// way: each grid coordinate is denormalised, moved inside by the padding
// mode, and interpolated over a window of taps whose reads follow the
// padding mode (zero, clamped or reflected).
//
//===----------------------------------------------------------------------===//

#include "IndexingUtils.h"
#include "Utils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::kiln;

/// The linear kernel `max(0, 1 - |d|)` (f64).
static Value linearKernel(OpBuilder &b, Location loc, Value d) {
  Type f64 = b.getF64Type();
  d = math::AbsFOp::create(b, loc, d);
  return arith::MaximumFOp::create(
      b, loc, scalarConstant(b, loc, f64, 0.0),
      arith::SubFOp::create(b, loc, scalarConstant(b, loc, f64, 1.0), d));
}

/// Keys' cubic kernel with coefficient `a` at distance `d` (f64).
static Value cubicKernel(OpBuilder &b, Location loc, Value d, double a) {
  Type f64 = b.getF64Type();
  auto c = [&](double v) { return scalarConstant(b, loc, f64, v); };
  d = math::AbsFOp::create(b, loc, d);
  Value d2 = arith::MulFOp::create(b, loc, d, d);
  Value d3 = arith::MulFOp::create(b, loc, d2, d);
  auto mul = [&](double k, Value v) -> Value {
    return arith::MulFOp::create(b, loc, c(k), v);
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddFOp::create(b, loc, x, y);
  };
  // (A + 2) d^3 - (A + 3) d^2 + 1 for d <= 1.
  Value near = add(add(mul(a + 2, d3), mul(-(a + 3), d2)), c(1.0));
  // A d^3 - 5A d^2 + 8A d - 4A for 1 < d < 2.
  Value far =
      add(add(add(mul(a, d3), mul(-5 * a, d2)), mul(8 * a, d)), c(-4 * a));
  Value isNear =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, d, c(1.0));
  Value isFar =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, d, c(2.0));
  return arith::SelectOp::create(
      b, loc, isNear, near,
      arith::SelectOp::create(b, loc, isFar, far, c(0.0)));
}

/// `x` (f64) reflected about `lo` and `hi` until it lies between them, as
/// ONNX's GridSample does.
static Value reflect(OpBuilder &b, Location loc, Value x, Value lo, Value hi) {
  Type i64 = b.getI64Type();
  Value range = arith::SubFOp::create(b, loc, hi, lo);
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, lo);
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, hi);
  auto foldWith = [&](Value dx, bool fromLow) -> Value {
    Value n =
        math::FloorOp::create(b, loc, arith::DivFOp::create(b, loc, dx, range));
    Value r = arith::SubFOp::create(b, loc, dx,
                                    arith::MulFOp::create(b, loc, n, range));
    Value parity =
        arith::AndIOp::create(b, loc, arith::FPToSIOp::create(b, loc, i64, n),
                              arith::ConstantIntOp::create(b, loc, i64, 1));
    Value isEven =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, parity,
                              arith::ConstantIntOp::create(b, loc, i64, 0));
    Value lowPlus = arith::AddFOp::create(b, loc, lo, r);
    Value highMinus = arith::SubFOp::create(b, loc, hi, r);
    return fromLow ? arith::SelectOp::create(b, loc, isEven, lowPlus, highMinus)
                         .getResult()
                   : arith::SelectOp::create(b, loc, isEven, highMinus, lowPlus)
                         .getResult();
  };
  Value fromLow = foldWith(arith::SubFOp::create(b, loc, lo, x), true);
  Value fromHigh = foldWith(arith::SubFOp::create(b, loc, x, hi), false);
  return arith::SelectOp::create(
      b, loc, below, fromLow,
      arith::SelectOp::create(b, loc, above, fromHigh, x));
}

namespace {

/// What the body needs to know about one resized axis, computed before the
/// `linalg.generic`.
struct ResizedAxis {
  int64_t dim;
  /// The scale (f64) and the input and output sizes (f64 and index).
  Value scale, inSize, inIndex, outSize;
  /// The region of interest's start and end (f64), for tf_crop_and_resize.
  Value roiStart, roiEnd;
  /// The kernel's scale `s` and the window's start and tap count (index),
  /// for linear and cubic.
  Value kernelScale, start, taps;
};

struct ResizeToLinalg : OneResultPattern<ResizeOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(ResizeOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type elementType = resultType.getElementType();
    if (!isa<FloatType>(elementType))
      return rewriter.notifyMatchFailure(op, "non-float resize");
    CoordinateTransform transform = op.getCoordinateTransformationMode();
    if (transform == CoordinateTransform::TfHalfPixelForNN)
      return rewriter.notifyMatchFailure(op, "tf_half_pixel_for_nn");
    if (transform == CoordinateTransform::TfCropAndResize && !adaptor.getRoi())
      return rewriter.notifyMatchFailure(op, "tf_crop_and_resize needs roi");
    if (!adaptor.getScales() && !adaptor.getSizes())
      return rewriter.notifyMatchFailure(op, "neither scales nor sizes");
    InterpolationMode mode = op.getMode();
    if (mode == InterpolationMode::Nearest && op.getAntialias())
      return rewriter.notifyMatchFailure(op, "antialias in nearest mode");

    Value input = adaptor.getInput();
    int64_t rank = resultType.getRank();
    ArrayRef<int64_t> axes = op.getAxes();
    OpBuilder &b = rewriter;
    Type f64 = b.getF64Type(), i64 = b.getI64Type(),
         indexType = b.getIndexType();
    auto f64Of = [&](Value index) -> Value {
      return arith::SIToFPOp::create(
          b, loc, f64, arith::IndexCastOp::create(b, loc, i64, index));
    };
    auto at = [&](Value tensor, int64_t i) -> Value {
      Value c = arith::ConstantIndexOp::create(b, loc, i);
      return tensor::ExtractOp::create(b, loc, tensor, c);
    };
    SmallVector<OpFoldResult> inSizes = dimSizes(rewriter, loc, input);
    SmallVector<Value> inDims = indexValues(rewriter, loc, inSizes);

    // Scales and output sizes.
    SmallVector<ResizedAxis> resized(axes.size());
    SmallVector<OpFoldResult> outSizes(inSizes);
    for (auto [i, dim] : llvm::enumerate(axes)) {
      resized[i].dim = dim;
      resized[i].inIndex = inDims[dim];
      resized[i].inSize = f64Of(inDims[dim]);
    }
    if (adaptor.getScales()) {
      for (auto [i, axis] : llvm::enumerate(resized)) {
        Value s =
            castScalar(b, loc, at(adaptor.getScales(), i),
                       getElementTypeOrSelf(op.getScales().getType()), f64);
        axis.scale = s;
        Value out = arith::FPToSIOp::create(
            b, loc, i64, arith::MulFOp::create(b, loc, s, axis.inSize));
        outSizes[axis.dim] =
            arith::IndexCastOp::create(b, loc, indexType, out).getResult();
      }
    } else {
      Type sizeType = getElementTypeOrSelf(op.getSizes().getType());
      SmallVector<Value> sizes;
      for (auto [i, axis] : llvm::enumerate(resized)) {
        Value size =
            castScalar(b, loc, at(adaptor.getSizes(), i), sizeType, i64);
        sizes.push_back(size);
        Value sf = arith::SIToFPOp::create(b, loc, f64, size);
        axis.scale = arith::DivFOp::create(b, loc, sf, axis.inSize);
      }
      AspectRatioPolicy policy = op.getKeepAspectRatioPolicy();
      if (policy == AspectRatioPolicy::Stretch) {
        for (auto [i, axis] : llvm::enumerate(resized))
          outSizes[axis.dim] =
              arith::IndexCastOp::create(b, loc, indexType, sizes[i])
                  .getResult();
      } else {
        Value scale = resized.front().scale;
        for (ResizedAxis &axis : llvm::drop_begin(resized))
          scale = policy == AspectRatioPolicy::NotLarger
                      ? arith::MinimumFOp::create(b, loc, scale, axis.scale)
                            .getResult()
                      : arith::MaximumFOp::create(b, loc, scale, axis.scale)
                            .getResult();
        Value half = scalarConstant(b, loc, f64, 0.5);
        for (ResizedAxis &axis : resized) {
          axis.scale = scale;
          Value out = arith::FPToSIOp::create(
              b, loc, i64,
              arith::AddFOp::create(
                  b, loc, arith::MulFOp::create(b, loc, scale, axis.inSize),
                  half));
          outSizes[axis.dim] =
              arith::IndexCastOp::create(b, loc, indexType, out).getResult();
        }
      }
    }
    for (int64_t d = 0; d < rank; ++d)
      if (!resultType.isDynamicDim(d))
        outSizes[d] = b.getIndexAttr(resultType.getDimSize(d));
    for (ResizedAxis &axis : resized)
      axis.outSize = IndexArith{b, loc}.value(outSizes[axis.dim]);

    // Region of interest, and the kernel windows.
    if (transform == CoordinateTransform::TfCropAndResize) {
      Type roiType = getElementTypeOrSelf(op.getRoi().getType());
      for (auto [i, axis] : llvm::enumerate(resized)) {
        axis.roiStart =
            castScalar(b, loc, at(adaptor.getRoi(), i), roiType, f64);
        axis.roiEnd = castScalar(
            b, loc, at(adaptor.getRoi(), i + resized.size()), roiType, f64);
      }
    }
    double radius = mode == InterpolationMode::Cubic ? 2.0 : 1.0;
    if (mode != InterpolationMode::Nearest) {
      Value one = scalarConstant(b, loc, f64, 1.0);
      for (ResizedAxis &axis : resized) {
        Value s = one;
        if (op.getAntialias())
          s = arith::MinimumFOp::create(b, loc, axis.scale, one);
        axis.kernelScale = s;
        Value start = arith::AddFOp::create(
            b, loc,
            math::FloorOp::create(
                b, loc,
                arith::DivFOp::create(b, loc,
                                      scalarConstant(b, loc, f64, -radius), s)),
            one);
        Value startI = arith::FPToSIOp::create(b, loc, i64, start);
        axis.start = arith::IndexCastOp::create(b, loc, indexType, startI);
        Value taps = arith::SubIOp::create(
            b, loc, scalarConstant(b, loc, i64, 2),
            arith::MulIOp::create(b, loc, scalarConstant(b, loc, i64, 2),
                                  startI));
        axis.taps = arith::IndexCastOp::create(b, loc, indexType, taps);
      }
    }

    float cubicA = op.getCubicCoeffA().convertToFloat();
    bool excludeOutside = op.getExcludeOutside();
    bool normalise = op.getAntialias() || excludeOutside;
    NearestMode nearestMode = op.getNearestMode();
    Value extrapolation = scalarConstant(
        b, loc, elementType, op.getExtrapolationValue().convertToFloat());

    return generateTensor(
        b, loc, outSizes, elementType,
        [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
          auto cst = [&](double v) { return scalarConstant(nb, l, f64, v); };
          auto toF64 = [&](Value index) -> Value {
            return arith::SIToFPOp::create(
                nb, l, f64, arith::IndexCastOp::create(nb, l, i64, index));
          };
          // The source coordinate of each resized axis, and whether any
          // lies outside the input (tf_crop_and_resize).
          SmallVector<Value> coords;
          Value outside;
          for (ResizedAxis &axis : resized) {
            Value y = toF64(ivs[axis.dim]);
            Value outW = arith::MulFOp::create(nb, l, axis.scale, axis.inSize);
            Value isOne = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OEQ, outW, cst(1.0));
            Value inMinus1 =
                arith::SubFOp::create(nb, l, axis.inSize, cst(1.0));
            Value outMinus1 = arith::SubFOp::create(nb, l, outW, cst(1.0));
            Value halfPixel = arith::SubFOp::create(
                nb, l,
                arith::DivFOp::create(nb, l,
                                      arith::AddFOp::create(nb, l, y, cst(0.5)),
                                      axis.scale),
                cst(0.5));
            Value x;
            switch (transform) {
            case CoordinateTransform::HalfPixel:
              x = halfPixel;
              break;
            case CoordinateTransform::PytorchHalfPixel:
              x = arith::SelectOp::create(nb, l, isOne, cst(-0.5), halfPixel);
              break;
            case CoordinateTransform::AlignCorners:
              x = arith::SelectOp::create(
                  nb, l, isOne, cst(0.0),
                  arith::DivFOp::create(
                      nb, l, arith::MulFOp::create(nb, l, y, inMinus1),
                      outMinus1));
              break;
            case CoordinateTransform::Asymmetric:
              x = arith::DivFOp::create(nb, l, y, axis.scale);
              break;
            case CoordinateTransform::HalfPixelSymmetric: {
              Value adjustment =
                  arith::DivFOp::create(nb, l, toF64(axis.outSize), outW);
              Value center = arith::DivFOp::create(nb, l, axis.inSize, cst(2));
              Value offset = arith::MulFOp::create(
                  nb, l, center,
                  arith::SubFOp::create(nb, l, cst(1.0), adjustment));
              x = arith::AddFOp::create(nb, l, offset, halfPixel);
              break;
            }
            case CoordinateTransform::TfCropAndResize:
            case CoordinateTransform::TfHalfPixelForNN: {
              Value extent = arith::MulFOp::create(
                  nb, l,
                  arith::SubFOp::create(nb, l, axis.roiEnd, axis.roiStart),
                  inMinus1);
              Value single = arith::DivFOp::create(nb, l, extent, cst(2.0));
              Value many = arith::DivFOp::create(
                  nb, l, arith::MulFOp::create(nb, l, y, extent), outMinus1);
              x = arith::AddFOp::create(
                  nb, l, arith::SelectOp::create(nb, l, isOne, single, many),
                  arith::MulFOp::create(nb, l, axis.roiStart, inMinus1));
              Value out = arith::OrIOp::create(
                  nb, l,
                  arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT, x,
                                        cst(0.0)),
                  arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, x,
                                        inMinus1));
              outside =
                  outside
                      ? arith::OrIOp::create(nb, l, outside, out).getResult()
                      : out;
              break;
            }
            }
            coords.push_back(x);
          }
          auto floorIndex = [&](OpBuilder &fb, Location fl, Value x) -> Value {
            Value f = math::FloorOp::create(fb, fl, x);
            return arith::IndexCastOp::create(
                fb, fl, indexType, arith::FPToSIOp::create(fb, fl, i64, f));
          };
          auto clamp = [&](OpBuilder &fb, Location fl, Value i,
                           Value size) -> Value {
            Value zero = arith::ConstantIndexOp::create(fb, fl, 0);
            Value last = arith::SubIOp::create(
                fb, fl, size, arith::ConstantIndexOp::create(fb, fl, 1));
            return arith::MinSIOp::create(
                fb, fl, arith::MaxSIOp::create(fb, fl, i, zero), last);
          };

          Value result;
          if (mode == InterpolationMode::Nearest) {
            SmallVector<Value> src(ivs);
            for (auto [axis, x] : llvm::zip(resized, coords)) {
              Value fl = math::FloorOp::create(nb, l, x);
              Value frac = arith::SubFOp::create(nb, l, x, fl);
              Value integral = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::OEQ, frac, cst(0.0));
              Value up;
              switch (nearestMode) {
              case NearestMode::RoundPreferFloor:
                up = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                           frac, cst(0.5));
                break;
              case NearestMode::RoundPreferCeil:
                up = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE,
                                           frac, cst(0.5));
                break;
              case NearestMode::Floor:
                up = arith::ConstantIntOp::create(nb, l, 0, 1);
                break;
              case NearestMode::Ceil:
                up = arith::XOrIOp::create(
                    nb, l, integral, arith::ConstantIntOp::create(nb, l, 1, 1));
                break;
              }
              Value i = floorIndex(nb, l, x);
              i = arith::SelectOp::create(
                  nb, l, up,
                  arith::AddIOp::create(
                      nb, l, i, arith::ConstantIndexOp::create(nb, l, 1)),
                  i);
              src[axis.dim] = clamp(nb, l, i, axis.inIndex);
            }
            result = tensor::ExtractOp::create(nb, l, input, src);
          } else {
            auto kernel = [&](OpBuilder &kb, Location kl, Value d) -> Value {
              return mode == InterpolationMode::Linear
                         ? linearKernel(kb, kl, d)
                         : cubicKernel(kb, kl, d, cubicA);
            };
            // The weight of tap `idx` on axis `k`.
            auto weight = [&](OpBuilder &wb, Location wl, size_t k,
                              Value idx) -> Value {
              ResizedAxis &axis = resized[k];
              Value d = arith::MulFOp::create(
                  wb, wl,
                  arith::SubFOp::create(
                      wb, wl,
                      arith::SIToFPOp::create(
                          wb, wl, f64,
                          arith::IndexCastOp::create(wb, wl, i64, idx)),
                      coords[k]),
                  axis.kernelScale);
              Value w = kernel(wb, wl, d);
              if (excludeOutside) {
                Value zero = arith::ConstantIndexOp::create(wb, wl, 0);
                Value in = arith::AndIOp::create(
                    wb, wl,
                    arith::CmpIOp::create(wb, wl, arith::CmpIPredicate::sge,
                                          idx, zero),
                    arith::CmpIOp::create(wb, wl, arith::CmpIPredicate::slt,
                                          idx, axis.inIndex));
                w = arith::SelectOp::create(wb, wl, in, w,
                                            scalarConstant(wb, wl, f64, 0.0));
              }
              return w;
            };
            SmallVector<Value> firsts;
            for (auto [axis, x] : llvm::zip(resized, coords))
              firsts.push_back(arith::AddIOp::create(
                  nb, l, floorIndex(nb, l, x), axis.start));
            Value zero = arith::ConstantIndexOp::create(nb, l, 0);
            Value one = arith::ConstantIndexOp::create(nb, l, 1);
            // The weights' sums, to normalise by.
            Value norm = cst(1.0);
            if (normalise) {
              for (size_t k = 0; k < resized.size(); ++k) {
                auto sum = scf::ForOp::create(
                    nb, l, zero, resized[k].taps, one, ValueRange{cst(0.0)},
                    [&](OpBuilder &fb, Location fl, Value t, ValueRange acc) {
                      Value idx = arith::AddIOp::create(fb, fl, firsts[k], t);
                      scf::YieldOp::create(
                          fb, fl,
                          ValueRange{arith::AddFOp::create(
                              fb, fl, acc[0], weight(fb, fl, k, idx))});
                    });
                Value s = sum.getResult(0);
                Value isZero = arith::CmpFOp::create(
                    nb, l, arith::CmpFPredicate::OEQ, s, cst(0.0));
                s = arith::SelectOp::create(nb, l, isZero, cst(1.0), s);
                norm = arith::MulFOp::create(nb, l, norm, s);
              }
            }
            // Sum over the taps of every axis, nested.
            SmallVector<Value> src(ivs);
            std::function<Value(OpBuilder &, Location, size_t, Value, Value)>
                level = [&](OpBuilder &fb, Location fl, size_t k, Value w,
                            Value acc) -> Value {
              if (k == resized.size()) {
                Value v = tensor::ExtractOp::create(fb, fl, input, src);
                v = castScalar(fb, fl, v, elementType, f64);
                return arith::AddFOp::create(
                    fb, fl, acc, arith::MulFOp::create(fb, fl, w, v));
              }
              Value lb = arith::ConstantIndexOp::create(fb, fl, 0);
              Value step = arith::ConstantIndexOp::create(fb, fl, 1);
              auto loop = scf::ForOp::create(
                  fb, fl, lb, resized[k].taps, step, ValueRange{acc},
                  [&](OpBuilder &tb, Location tl, Value t, ValueRange carried) {
                    Value idx = arith::AddIOp::create(tb, tl, firsts[k], t);
                    Value wk = arith::MulFOp::create(tb, tl, w,
                                                     weight(tb, tl, k, idx));
                    src[resized[k].dim] =
                        clamp(tb, tl, idx, resized[k].inIndex);
                    Value next = level(tb, tl, k + 1, wk, carried[0]);
                    scf::YieldOp::create(tb, tl, next);
                  });
              return loop.getResult(0);
            };
            Value sum = level(nb, l, 0, cst(1.0), cst(0.0));
            if (normalise)
              sum = arith::DivFOp::create(nb, l, sum, norm);
            result = castScalar(nb, l, sum, f64, elementType);
          }
          if (outside)
            result =
                arith::SelectOp::create(nb, l, outside, extrapolation, result);
          return result;
        });
  }
};

/// `kiln.grid_sample`: a `linalg.generic` over the result (N, C, O...).
struct GridSampleToLinalg : OneResultPattern<GridSampleOp> {
  using OneResultPattern::OneResultPattern;

  FailureOr<Value> lower(GridSampleOp op, OpAdaptor adaptor,
                         RankedTensorType resultType,
                         ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type elementType = resultType.getElementType();
    if (!isa<FloatType>(elementType))
      return rewriter.notifyMatchFailure(op, "non-float grid_sample");
    Value input = adaptor.getInput(), grid = adaptor.getGrid();
    Type gridElement = getElementTypeOrSelf(op.getGrid().getType());
    int64_t rank = resultType.getRank();
    int64_t r = rank - 2;
    InterpolationMode mode = op.getMode();
    GridSamplePadding padding = op.getPaddingMode();
    bool alignCorners = op.getAlignCorners();
    OpBuilder &b = rewriter;
    Type f64 = b.getF64Type(), i64 = b.getI64Type(),
         indexType = b.getIndexType();

    SmallVector<OpFoldResult> inSizes = dimSizes(b, loc, input);
    SmallVector<Value> inDims = indexValues(b, loc, inSizes);
    SmallVector<OpFoldResult> gridSizes = dimSizes(b, loc, grid);
    SmallVector<OpFoldResult> outSizes{inSizes[0], inSizes[1]};
    outSizes.append(gridSizes.begin() + 1, gridSizes.end() - 1);
    // Each spatial dim's size and borders (f64).
    SmallVector<Value> lengths, lows, highs;
    for (int64_t i = 0; i < r; ++i) {
      Value len = arith::SIToFPOp::create(
          b, loc, f64, arith::IndexCastOp::create(b, loc, i64, inDims[2 + i]));
      lengths.push_back(len);
      if (alignCorners) {
        lows.push_back(scalarConstant(b, loc, f64, 0.0));
        highs.push_back(arith::SubFOp::create(
            b, loc, len, scalarConstant(b, loc, f64, 1.0)));
      } else {
        lows.push_back(scalarConstant(b, loc, f64, -0.5));
        highs.push_back(arith::SubFOp::create(
            b, loc, len, scalarConstant(b, loc, f64, 0.5)));
      }
    }

    return generateTensor(
        b, loc, outSizes, elementType,
        [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
          auto cst = [&](double v) { return scalarConstant(nb, l, f64, v); };
          // The source coordinates, moved inside by the padding mode.
          SmallVector<Value> coords;
          SmallVector<Value> gridAt{ivs[0]};
          gridAt.append(ivs.begin() + 2, ivs.end());
          gridAt.push_back(nullptr);
          for (int64_t i = 0; i < r; ++i) {
            gridAt.back() = arith::ConstantIndexOp::create(nb, l, r - 1 - i);
            Value g = castScalar(nb, l,
                                 tensor::ExtractOp::create(nb, l, grid, gridAt),
                                 gridElement, f64);
            Value plusOne = arith::AddFOp::create(nb, l, g, cst(1.0));
            Value x;
            if (alignCorners)
              x = arith::MulFOp::create(
                  nb, l, arith::DivFOp::create(nb, l, plusOne, cst(2.0)),
                  arith::SubFOp::create(nb, l, lengths[i], cst(1.0)));
            else
              x = arith::DivFOp::create(
                  nb, l,
                  arith::SubFOp::create(
                      nb, l, arith::MulFOp::create(nb, l, plusOne, lengths[i]),
                      cst(1.0)),
                  cst(2.0));
            if (mode == InterpolationMode::Nearest)
              x = math::RoundEvenOp::create(nb, l, x);
            if (padding == GridSamplePadding::Border) {
              Value outside = arith::OrIOp::create(
                  nb, l,
                  arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT, x,
                                        lows[i]),
                  arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, x,
                                        highs[i]));
              Value clamped = arith::MinimumFOp::create(
                  nb, l, arith::MaximumFOp::create(nb, l, x, cst(0.0)),
                  arith::SubFOp::create(nb, l, lengths[i], cst(1.0)));
              x = arith::SelectOp::create(nb, l, outside, clamped, x);
            } else if (padding == GridSamplePadding::Reflection) {
              x = reflect(nb, l, x, lows[i], highs[i]);
            }
            coords.push_back(x);
          }
          // The element at integer indices `at` (spatial dims), read by the
          // padding mode.
          auto pixel = [&](OpBuilder &pb, Location pl,
                           ArrayRef<Value> at) -> Value {
            SmallVector<Value> src{ivs[0], ivs[1]};
            Value inside;
            Value zero = arith::ConstantIndexOp::create(pb, pl, 0);
            Value one = arith::ConstantIndexOp::create(pb, pl, 1);
            for (int64_t i = 0; i < r; ++i) {
              Value idx = at[i];
              Value size = inDims[2 + i];
              if (padding == GridSamplePadding::Reflection) {
                Value f = arith::SIToFPOp::create(
                    pb, pl, f64, arith::IndexCastOp::create(pb, pl, i64, idx));
                f = reflect(pb, pl, f, lows[i], highs[i]);
                idx = arith::IndexCastOp::create(
                    pb, pl, indexType, arith::FPToSIOp::create(pb, pl, i64, f));
              } else if (padding == GridSamplePadding::Zeros) {
                Value in = arith::AndIOp::create(
                    pb, pl,
                    arith::CmpIOp::create(pb, pl, arith::CmpIPredicate::sge,
                                          idx, zero),
                    arith::CmpIOp::create(pb, pl, arith::CmpIPredicate::slt,
                                          idx, size));
                inside =
                    inside
                        ? arith::AndIOp::create(pb, pl, inside, in).getResult()
                        : in;
              }
              Value last = arith::SubIOp::create(pb, pl, size, one);
              src.push_back(arith::MinSIOp::create(
                  pb, pl, arith::MaxSIOp::create(pb, pl, idx, zero), last));
            }
            Value v = tensor::ExtractOp::create(pb, pl, input, src);
            v = castScalar(pb, pl, v, elementType, f64);
            if (inside)
              v = arith::SelectOp::create(pb, pl, inside, v,
                                          scalarConstant(pb, pl, f64, 0.0));
            return v;
          };
          auto toIndex = [&](OpBuilder &tb, Location tl, Value x) -> Value {
            return arith::IndexCastOp::create(
                tb, tl, indexType, arith::FPToSIOp::create(tb, tl, i64, x));
          };

          Value result;
          if (mode == InterpolationMode::Nearest) {
            SmallVector<Value> at;
            for (Value x : coords)
              at.push_back(toIndex(nb, l, x));
            result = pixel(nb, l, at);
          } else {
            int64_t taps = mode == InterpolationMode::Linear ? 2 : 4;
            int64_t offset = mode == InterpolationMode::Linear ? 0 : -1;
            SmallVector<Value> firsts;
            for (Value x : coords)
              firsts.push_back(arith::AddIOp::create(
                  nb, l, toIndex(nb, l, math::FloorOp::create(nb, l, x)),
                  arith::ConstantIndexOp::create(nb, l, offset)));
            SmallVector<Value> at(r);
            std::function<Value(OpBuilder &, Location, int64_t, Value, Value)>
                level = [&](OpBuilder &fb, Location fl, int64_t k, Value w,
                            Value acc) -> Value {
              if (k == r)
                return arith::AddFOp::create(
                    fb, fl, acc,
                    arith::MulFOp::create(fb, fl, w, pixel(fb, fl, at)));
              Value lb = arith::ConstantIndexOp::create(fb, fl, 0);
              Value ub = arith::ConstantIndexOp::create(fb, fl, taps);
              Value step = arith::ConstantIndexOp::create(fb, fl, 1);
              auto loop = scf::ForOp::create(
                  fb, fl, lb, ub, step, ValueRange{acc},
                  [&](OpBuilder &tb, Location tl, Value t, ValueRange carried) {
                    Value idx = arith::AddIOp::create(tb, tl, firsts[k], t);
                    Value d = arith::SubFOp::create(
                        tb, tl,
                        arith::SIToFPOp::create(
                            tb, tl, f64,
                            arith::IndexCastOp::create(tb, tl, i64, idx)),
                        coords[k]);
                    Value wk = mode == InterpolationMode::Linear
                                   ? linearKernel(tb, tl, d)
                                   : cubicKernel(tb, tl, d, -0.75);
                    at[k] = idx;
                    Value next =
                        level(tb, tl, k + 1,
                              arith::MulFOp::create(tb, tl, w, wk), carried[0]);
                    scf::YieldOp::create(tb, tl, next);
                  });
              return loop.getResult(0);
            };
            result = level(nb, l, 0, cst(1.0), cst(0.0));
          }
          return castScalar(nb, l, result, f64, elementType);
        });
  }
};

} // namespace

void mlir::kiln::populateKilnResizeToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ResizeToLinalg, GridSampleToLinalg>(converter,
                                                   patterns.getContext());
}
