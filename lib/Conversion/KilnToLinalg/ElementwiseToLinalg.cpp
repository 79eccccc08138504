//===- ElementwiseToLinalg.cpp - kiln elementwise ops to linalg.generic ---===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Every elementwise kiln op becomes one `linalg.generic` whose indexing maps
// do the numpy broadcasting and whose body is the op's scalar formula. The
// formulas live in one table (`scalarBuilders`); the pattern is shared.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// What a scalar formula sees: the builder, the lowered scalar operands, and
/// the kiln op with its own (unconverted) types, which carry signedness.
struct Scalars {
  OpBuilder &b;
  Location loc;
  Operation *op;
  ValueRange args;
  /// The element type of the result, after conversion (signless).
  Type resultType;

  Value arg(unsigned i) const { return args[i]; }
  Type kilnOperandType(unsigned i) const {
    return cast<ShapedType>(op->getOperand(i).getType()).getElementType();
  }
  bool isFloat() const { return isa<FloatType>(args[0].getType()); }
  bool isUnsigned() const { return isUnsignedInt(op->getOperand(0).getType()); }
  Value constant(double v, Type type) const {
    return scalarConstant(b, loc, type, v);
  }
  Value constant(double v) const { return constant(v, args[0].getType()); }
};

using ScalarBuilder = std::function<Value(const Scalars &)>;

/// A formula for floats, and one for integers (which may be null when the
/// op takes floats only).
ScalarBuilder byKind(std::function<Value(const Scalars &)> onFloat,
                     std::function<Value(const Scalars &)> onInt) {
  return [=](const Scalars &s) -> Value {
    if (s.isFloat())
      return onFloat(s);
    return onInt ? onInt(s) : Value();
  };
}

template <typename FOp, typename IOp> ScalarBuilder arithBinary() {
  return byKind(
      [](const Scalars &s) -> Value {
        return FOp::create(s.b, s.loc, s.arg(0), s.arg(1));
      },
      [](const Scalars &s) -> Value {
        return IOp::create(s.b, s.loc, s.arg(0), s.arg(1));
      });
}

/// Integer ops whose signed and unsigned forms differ.
template <typename FOp, typename SOp, typename UOp>
ScalarBuilder signedBinary() {
  return byKind(
      [](const Scalars &s) -> Value {
        return FOp::create(s.b, s.loc, s.arg(0), s.arg(1));
      },
      [](const Scalars &s) -> Value {
        if (s.isUnsigned())
          return UOp::create(s.b, s.loc, s.arg(0), s.arg(1));
        return SOp::create(s.b, s.loc, s.arg(0), s.arg(1));
      });
}

template <typename MathOp> ScalarBuilder mathUnary() {
  return [](const Scalars &s) -> Value {
    return MathOp::create(s.b, s.loc, s.arg(0));
  };
}

ScalarBuilder compare(arith::CmpFPredicate f, arith::CmpIPredicate si,
                      arith::CmpIPredicate ui) {
  return [=](const Scalars &s) -> Value {
    if (s.isFloat())
      return arith::CmpFOp::create(s.b, s.loc, f, s.arg(0), s.arg(1));
    return arith::CmpIOp::create(s.b, s.loc, s.isUnsigned() ? ui : si, s.arg(0),
                                 s.arg(1));
  };
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = scalarConstant(b, loc, x.getType(), 1);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}

/// The scalar formula of every elementwise op, by op name.
const llvm::StringMap<ScalarBuilder> &scalarBuilders() {
  static const llvm::StringMap<ScalarBuilder> table = [] {
    llvm::StringMap<ScalarBuilder> t;
    using CF = arith::CmpFPredicate;
    using CI = arith::CmpIPredicate;
    t[AddOp::getOperationName()] = arithBinary<arith::AddFOp, arith::AddIOp>();
    t[SubOp::getOperationName()] = arithBinary<arith::SubFOp, arith::SubIOp>();
    t[MulOp::getOperationName()] = arithBinary<arith::MulFOp, arith::MulIOp>();
    // ONNX integer division truncates toward zero.
    t[DivOp::getOperationName()] =
        signedBinary<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>();
    // ONNX Max/Min propagate NaN.
    t[MaxOp::getOperationName()] =
        signedBinary<arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>();
    t[MinOp::getOperationName()] =
        signedBinary<arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>();
    t[PowOp::getOperationName()] = byKind(
        [](const Scalars &s) -> Value {
          return math::PowFOp::create(s.b, s.loc, s.arg(0), s.arg(1));
        },
        [](const Scalars &s) -> Value {
          if (s.isUnsigned())
            return Value();
          return math::IPowIOp::create(s.b, s.loc, s.arg(0), s.arg(1));
        });
    t[EqualOp::getOperationName()] = compare(CF::OEQ, CI::eq, CI::eq);
    t[LessOp::getOperationName()] = compare(CF::OLT, CI::slt, CI::ult);
    t[LessEqualOp::getOperationName()] = compare(CF::OLE, CI::sle, CI::ule);
    t[GreaterOp::getOperationName()] = compare(CF::OGT, CI::sgt, CI::ugt);
    t[GreaterEqualOp::getOperationName()] = compare(CF::OGE, CI::sge, CI::uge);
    auto logic = [](auto tag) -> ScalarBuilder {
      using IOp = decltype(tag);
      return [](const Scalars &s) -> Value {
        return IOp::create(s.b, s.loc, s.arg(0), s.arg(1));
      };
    };
    t[AndOp::getOperationName()] = logic(arith::AndIOp());
    t[OrOp::getOperationName()] = logic(arith::OrIOp());
    t[XorOp::getOperationName()] = logic(arith::XOrIOp());
    t[BitwiseAndOp::getOperationName()] = logic(arith::AndIOp());
    t[BitwiseOrOp::getOperationName()] = logic(arith::OrIOp());
    t[BitwiseXorOp::getOperationName()] = logic(arith::XOrIOp());
    auto complement = [](const Scalars &s) -> Value {
      return arith::XOrIOp::create(s.b, s.loc, s.arg(0), s.constant(-1));
    };
    t[NotOp::getOperationName()] = [](const Scalars &s) -> Value {
      return arith::XOrIOp::create(
          s.b, s.loc, s.arg(0),
          arith::ConstantOp::create(s.b, s.loc, s.b.getBoolAttr(true)));
    };
    t[BitwiseNotOp::getOperationName()] = complement;
    t[WhereOp::getOperationName()] = [](const Scalars &s) -> Value {
      return arith::SelectOp::create(s.b, s.loc, s.arg(0), s.arg(1), s.arg(2));
    };

    t[NegOp::getOperationName()] = byKind(
        [](const Scalars &s) -> Value {
          return arith::NegFOp::create(s.b, s.loc, s.arg(0));
        },
        [](const Scalars &s) -> Value {
          return arith::SubIOp::create(s.b, s.loc, s.constant(0), s.arg(0));
        });
    t[AbsOp::getOperationName()] = byKind(
        [](const Scalars &s) -> Value {
          return math::AbsFOp::create(s.b, s.loc, s.arg(0));
        },
        [](const Scalars &s) -> Value {
          if (s.isUnsigned())
            return s.arg(0);
          return math::AbsIOp::create(s.b, s.loc, s.arg(0));
        });
    // sign(x): -1, 0 or 1 (NaN stays NaN for floats).
    t[SignOp::getOperationName()] = [](const Scalars &s) -> Value {
      Value x = s.arg(0), zero = s.constant(0), one = s.constant(1),
            minusOne = s.constant(-1);
      Value pos, neg;
      if (s.isFloat()) {
        pos = arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OGT, x,
                                    zero);
        neg = arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OLT, x,
                                    zero);
      } else {
        pos = arith::CmpIOp::create(s.b, s.loc,
                                    s.isUnsigned() ? arith::CmpIPredicate::ugt
                                                   : arith::CmpIPredicate::sgt,
                                    x, zero);
        neg = arith::CmpIOp::create(s.b, s.loc, arith::CmpIPredicate::slt, x,
                                    zero);
        if (s.isUnsigned())
          neg = arith::ConstantOp::create(s.b, s.loc, s.b.getBoolAttr(false));
      }
      // Floats: anything neither above nor below zero (0, -0, NaN) is kept.
      Value rest = s.isFloat() ? x : zero;
      Value r = arith::SelectOp::create(s.b, s.loc, neg, minusOne, rest);
      return arith::SelectOp::create(s.b, s.loc, pos, one, r);
    };
    t[ExpOp::getOperationName()] = mathUnary<math::ExpOp>();
    t[LogOp::getOperationName()] = mathUnary<math::LogOp>();
    t[SqrtOp::getOperationName()] = mathUnary<math::SqrtOp>();
    t[TanhOp::getOperationName()] = mathUnary<math::TanhOp>();
    t[ErfOp::getOperationName()] = mathUnary<math::ErfOp>();
    t[FloorOp::getOperationName()] = mathUnary<math::FloorOp>();
    t[CeilOp::getOperationName()] = mathUnary<math::CeilOp>();
    t[RoundOp::getOperationName()] = mathUnary<math::RoundEvenOp>();
    t[SinOp::getOperationName()] = mathUnary<math::SinOp>();
    t[CosOp::getOperationName()] = mathUnary<math::CosOp>();
    t[TanOp::getOperationName()] = mathUnary<math::TanOp>();
    t[AsinOp::getOperationName()] = mathUnary<math::AsinOp>();
    t[AcosOp::getOperationName()] = mathUnary<math::AcosOp>();
    t[AtanOp::getOperationName()] = mathUnary<math::AtanOp>();
    t[SinhOp::getOperationName()] = mathUnary<math::SinhOp>();
    t[CoshOp::getOperationName()] = mathUnary<math::CoshOp>();
    t[AsinhOp::getOperationName()] = mathUnary<math::AsinhOp>();
    t[AcoshOp::getOperationName()] = mathUnary<math::AcoshOp>();
    t[AtanhOp::getOperationName()] = mathUnary<math::AtanhOp>();
    t[IsNaNOp::getOperationName()] = mathUnary<math::IsNaNOp>();
    t[ReciprocalOp::getOperationName()] = [](const Scalars &s) -> Value {
      return arith::DivFOp::create(s.b, s.loc, s.constant(1), s.arg(0));
    };
    t[SigmoidOp::getOperationName()] = [](const Scalars &s) -> Value {
      return sigmoid(s.b, s.loc, s.arg(0));
    };
    // ln(1 + e^x), as log1p(e^x): exact for large negative x; e^x
    // overflows to +inf only where the result is x to float precision.
    t[SoftplusOp::getOperationName()] = [](const Scalars &s) -> Value {
      Value x = s.arg(0);
      Value e = math::ExpOp::create(s.b, s.loc, x);
      Value soft = math::Log1pOp::create(s.b, s.loc, e);
      Value big = arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OGT,
                                        x, s.constant(20));
      return arith::SelectOp::create(s.b, s.loc, big, x, soft);
    };
    t[ReluOp::getOperationName()] = byKind(
        [](const Scalars &s) -> Value {
          // max(x, 0), with NaN kept.
          Value x = s.arg(0);
          Value lt = arith::CmpFOp::create(
              s.b, s.loc, arith::CmpFPredicate::OLT, x, s.constant(0));
          return arith::SelectOp::create(s.b, s.loc, lt, s.constant(0), x);
        },
        [](const Scalars &s) -> Value {
          if (s.isUnsigned())
            return s.arg(0);
          return arith::MaxSIOp::create(s.b, s.loc, s.arg(0), s.constant(0));
        });
    t[LeakyReluOp::getOperationName()] = [](const Scalars &s) -> Value {
      double alpha = cast<LeakyReluOp>(s.op).getAlpha().convertToDouble();
      Value x = s.arg(0);
      Value lt = arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OLT, x,
                                       s.constant(0));
      Value scaled = arith::MulFOp::create(s.b, s.loc, x, s.constant(alpha));
      return arith::SelectOp::create(s.b, s.loc, lt, scaled, x);
    };
    t[EluOp::getOperationName()] = [](const Scalars &s) -> Value {
      double alpha = cast<EluOp>(s.op).getAlpha().convertToDouble();
      Value x = s.arg(0);
      Value lt = arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OLT, x,
                                       s.constant(0));
      Value em1 = math::ExpM1Op::create(s.b, s.loc, x);
      Value neg = arith::MulFOp::create(s.b, s.loc, em1, s.constant(alpha));
      return arith::SelectOp::create(s.b, s.loc, lt, neg, x);
    };
    t[GeluOp::getOperationName()] = [](const Scalars &s) -> Value {
      Value x = s.arg(0);
      Value half = arith::MulFOp::create(s.b, s.loc, x, s.constant(0.5));
      Value inner;
      if (cast<GeluOp>(s.op).getApproximate() == GeluApproximation::Tanh) {
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        Value x3 = arith::MulFOp::create(
            s.b, s.loc, x, arith::MulFOp::create(s.b, s.loc, x, x));
        Value poly = arith::AddFOp::create(
            s.b, s.loc, x,
            arith::MulFOp::create(s.b, s.loc, x3, s.constant(0.044715)));
        inner = math::TanhOp::create(
            s.b, s.loc,
            arith::MulFOp::create(s.b, s.loc, poly,
                                  s.constant(std::sqrt(2.0 / M_PI))));
      } else {
        // 0.5 x (1 + erf(x / sqrt(2)))
        inner = math::ErfOp::create(
            s.b, s.loc,
            arith::MulFOp::create(s.b, s.loc, x, s.constant(M_SQRT1_2)));
      }
      return arith::MulFOp::create(
          s.b, s.loc, half,
          arith::AddFOp::create(s.b, s.loc, inner, s.constant(1)));
    };
    t[ClipOp::getOperationName()] = [](const Scalars &s) -> Value {
      auto clip = cast<ClipOp>(s.op);
      Value x = s.arg(0);
      auto bound = [&](std::optional<APFloat> v, bool lower) -> Value {
        if (!v)
          return x;
        Value c = s.constant(v->convertToDouble());
        if (s.isFloat())
          return lower
                     ? arith::MaximumFOp::create(s.b, s.loc, x, c).getResult()
                     : arith::MinimumFOp::create(s.b, s.loc, x, c).getResult();
        if (s.isUnsigned())
          return lower ? arith::MaxUIOp::create(s.b, s.loc, x, c).getResult()
                       : arith::MinUIOp::create(s.b, s.loc, x, c).getResult();
        return lower ? arith::MaxSIOp::create(s.b, s.loc, x, c).getResult()
                     : arith::MinSIOp::create(s.b, s.loc, x, c).getResult();
      };
      x = bound(clip.getMin(), /*lower=*/true);
      return bound(clip.getMax(), /*lower=*/false);
    };
    t[CastOp::getOperationName()] = [](const Scalars &s) -> Value {
      auto cast = mlir::cast<CastOp>(s.op);
      Type to = cast.getTo();
      // Narrow float formats need their own rounding rules.
      if (isa<FloatType>(to) && to.getIntOrFloatBitWidth() < 16)
        return Value();
      if (s.isFloat() && s.arg(0).getType().getIntOrFloatBitWidth() < 16)
        return Value();
      return castScalar(s.b, s.loc, s.arg(0), s.kilnOperandType(0), to);
    };
    t[IdentityOp::getOperationName()] = [](const Scalars &s) -> Value {
      return s.arg(0);
    };
    t[BitcastOp::getOperationName()] = [](const Scalars &s) -> Value {
      Type from = s.arg(0).getType(), to = s.resultType;
      // A boolean is stored as a byte holding 0 or 1.
      if (from.isInteger(1))
        return arith::ExtUIOp::create(s.b, s.loc, to, s.arg(0));
      if (to.isInteger(1))
        return arith::CmpIOp::create(s.b, s.loc, arith::CmpIPredicate::ne,
                                     s.arg(0), s.constant(0));
      return arith::BitcastOp::create(s.b, s.loc, to, s.arg(0));
    };
    t[IsInfOp::getOperationName()] = [](const Scalars &s) -> Value {
      auto op = cast<IsInfOp>(s.op);
      Value x = s.arg(0);
      Value result =
          arith::ConstantOp::create(s.b, s.loc, s.b.getBoolAttr(false));
      auto equalTo = [&](double v) -> Value {
        return arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OEQ, x,
                                     s.constant(v));
      };
      if (op.getDetectPositive())
        result = arith::OrIOp::create(s.b, s.loc, result, equalTo(INFINITY));
      if (op.getDetectNegative())
        result = arith::OrIOp::create(s.b, s.loc, result, equalTo(-INFINITY));
      return result;
    };
    t[ModOp::getOperationName()] = [](const Scalars &s) -> Value {
      bool fmod = cast<ModOp>(s.op).getFmod();
      Value a = s.arg(0), b = s.arg(1);
      if (!s.isFloat()) {
        if (s.isUnsigned())
          return arith::RemUIOp::create(s.b, s.loc, a, b);
        Value r = arith::RemSIOp::create(s.b, s.loc, a, b);
        if (fmod)
          return r;
        // A non-zero remainder takes the divisor's sign.
        Value zero = s.constant(0);
        Value rNeg = arith::CmpIOp::create(s.b, s.loc,
                                           arith::CmpIPredicate::slt, r, zero);
        Value bNeg = arith::CmpIOp::create(s.b, s.loc,
                                           arith::CmpIPredicate::slt, b, zero);
        Value rNonZero = arith::CmpIOp::create(
            s.b, s.loc, arith::CmpIPredicate::ne, r, zero);
        Value differ = arith::XOrIOp::create(s.b, s.loc, rNeg, bNeg);
        Value fix = arith::AndIOp::create(s.b, s.loc, rNonZero, differ);
        return arith::SelectOp::create(
            s.b, s.loc, fix, arith::AddIOp::create(s.b, s.loc, r, b), r);
      }
      Value r = arith::RemFOp::create(s.b, s.loc, a, b);
      if (fmod)
        return r;
      Value zero = s.constant(0);
      Value rNeg =
          arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OLT, r, zero);
      Value rPos =
          arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OGT, r, zero);
      Value bNeg =
          arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OLT, b, zero);
      Value bPos =
          arith::CmpFOp::create(s.b, s.loc, arith::CmpFPredicate::OGT, b, zero);
      Value differ = arith::OrIOp::create(
          s.b, s.loc, arith::AndIOp::create(s.b, s.loc, rNeg, bPos),
          arith::AndIOp::create(s.b, s.loc, rPos, bNeg));
      Value fixed = arith::SelectOp::create(
          s.b, s.loc, differ, arith::AddFOp::create(s.b, s.loc, r, b), r);
      // A zero remainder takes the divisor's sign.
      Value isZero = arith::CmpFOp::create(
          s.b, s.loc, arith::CmpFPredicate::OEQ, fixed, zero);
      Value signedZero = math::CopySignOp::create(s.b, s.loc, zero, b);
      return arith::SelectOp::create(s.b, s.loc, isZero, signedZero, fixed);
    };
    // Shifts: an amount that is negative or at least the width shifts
    // everything out.
    auto shiftOutOfRange = [](const Scalars &s) -> Value {
      unsigned width = s.arg(0).getType().getIntOrFloatBitWidth();
      return arith::CmpIOp::create(s.b, s.loc, arith::CmpIPredicate::uge,
                                   s.arg(1), s.constant(width));
    };
    t[ShiftLeftOp::getOperationName()] = [=](const Scalars &s) -> Value {
      Value shifted = arith::ShLIOp::create(s.b, s.loc, s.arg(0), s.arg(1));
      return arith::SelectOp::create(s.b, s.loc, shiftOutOfRange(s),
                                     s.constant(0), shifted);
    };
    t[ShiftRightOp::getOperationName()] = [=](const Scalars &s) -> Value {
      unsigned width = s.arg(0).getType().getIntOrFloatBitWidth();
      if (s.isUnsigned()) {
        Value shifted = arith::ShRUIOp::create(s.b, s.loc, s.arg(0), s.arg(1));
        return arith::SelectOp::create(s.b, s.loc, shiftOutOfRange(s),
                                       s.constant(0), shifted);
      }
      // Arithmetic: shifting by width - 1 gives -1 or 0, as an
      // out-of-range amount should.
      Value amount = arith::SelectOp::create(s.b, s.loc, shiftOutOfRange(s),
                                             s.constant(width - 1), s.arg(1));
      return arith::ShRSIOp::create(s.b, s.loc, s.arg(0), amount);
    };
    return t;
  }();
  return table;
}

/// One elementwise op as one `linalg.generic`.
struct ElementwiseToGeneric : ConversionPattern {
  ElementwiseToGeneric(const TypeConverter &converter, MLIRContext *context,
                       StringRef opName, const ScalarBuilder &builder)
      : ConversionPattern(converter, opName, /*benefit=*/1, context),
        builder(builder) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    auto resultType =
        convertedTensorType(*getTypeConverter(), op->getResult(0).getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result is not a ranked tensor");
    FailureOr<SmallVector<Value>> dims =
        broadcastDynamicDims(rewriter, loc, resultType, operands);
    if (failed(dims))
      return rewriter.notifyMatchFailure(op, "a dynamic result dim has no "
                                             "dynamic operand dim to size it");
    Value init = emptyTensor(rewriter, loc, resultType, *dims);
    SmallVector<AffineMap> maps;
    for (Value operand : operands)
      maps.push_back(broadcastIndexingMap(
          cast<RankedTensorType>(operand.getType()), resultType));
    maps.push_back(rewriter.getMultiDimIdentityMap(resultType.getRank()));
    SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                               utils::IteratorType::parallel);
    bool bodyFailed = false;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, operands, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Scalars s{b, l, op, args.drop_back(), resultType.getElementType()};
          Value result = builder(s);
          if (!result || result.getType() != resultType.getElementType()) {
            bodyFailed = true;
            result = args.back();
          }
          linalg::YieldOp::create(b, l, result);
        });
    if (bodyFailed) {
      rewriter.eraseOp(generic);
      return rewriter.notifyMatchFailure(
          op, "no lowering for this element type or attribute");
    }
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }

  ScalarBuilder builder;
};

} // namespace

void mlir::kiln::populateKilnElementwiseToLinalgPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  for (const auto &entry : scalarBuilders())
    patterns.add<ElementwiseToGeneric>(converter, context, entry.getKey(),
                                       entry.getValue());
}
