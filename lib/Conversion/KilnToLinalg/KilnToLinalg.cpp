//===- KilnToLinalg.cpp - The KilnToLinalg conversion pass ----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The pass, the type converter and `kiln.constant`. Each op family's
// patterns are in a file of their own.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "Utils.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALGPASS
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

KilnToLinalgTypeConverter::KilnToLinalgTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion([](RankedTensorType type) -> Type {
    auto integer = dyn_cast<IntegerType>(type.getElementType());
    if (!integer || integer.isSignless())
      return type;
    return type.clone(IntegerType::get(type.getContext(), integer.getWidth()));
  });
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs)
        .getResult(0);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}

namespace {

/// `kiln.constant` as `arith.constant`, with unsigned element types made
/// signless (the bits are unchanged).
struct ConstantToArith : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedTensorType(*getTypeConverter(), op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "not a ranked tensor");
    ElementsAttr value = op.getValue();
    TypedAttr converted;
    if (value.getType() == type) {
      converted = cast<TypedAttr>(value);
    } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
      converted = dense.bitcast(type.getElementType());
    } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
      converted = DenseResourceElementsAttr::get(type, resource.getRawHandle());
    } else {
      return rewriter.notifyMatchFailure(op, "unsupported constant attribute");
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, converted);
    return success();
  }
};

struct ConvertKilnToLinalgPass
    : kiln::impl::ConvertKilnToLinalgPassBase<ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    KilnToLinalgTypeConverter converter;
    RewritePatternSet patterns(context);
    populateKilnToLinalgPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*context);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           scf::SCFDialect>();
    target.addIllegalDialect<KilnDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType()) &&
             converter.isLegal(&f.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns)))) {
      signalPassFailure();
      return;
    }
    // The ABI's inputs are read-only (docs/abi.md): bufferization copies an
    // argument before writing into it (a scatter's loop updating its data,
    // say) instead of reusing the caller's buffer.
    auto readOnly = BoolAttr::get(context, false);
    getOperation()->walk([&](func::FuncOp func) {
      if (!func.isPublic() || func.isExternal())
        return;
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (isa<TensorType>(func.getArgumentTypes()[i]))
          func.setArgAttr(i, "bufferization.writable", readOnly);
    });
  }
};

} // namespace

void mlir::kiln::populateKilnConstantToArithPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ConstantToArith>(converter, patterns.getContext());
}

void mlir::kiln::populateKilnToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns) {
  populateKilnConstantToArithPatterns(converter, patterns);
  populateKilnElementwiseToLinalgPatterns(converter, patterns);
  populateKilnReductionToLinalgPatterns(converter, patterns);
  populateKilnShapeToLinalgPatterns(converter, patterns);
  populateKilnDynamicShapeToLinalgPatterns(converter, patterns);
  populateKilnMatMulToLinalgPatterns(converter, patterns);
  populateKilnConvolutionToLinalgPatterns(converter, patterns);
  populateKilnPoolingToLinalgPatterns(converter, patterns);
  populateKilnNormalizationToLinalgPatterns(converter, patterns);
  populateKilnIndexingToLinalgPatterns(converter, patterns);
}
