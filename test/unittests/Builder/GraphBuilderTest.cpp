//===- GraphBuilderTest.cpp - Tests of the C++ GraphBuilder ---------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Builder/GraphBuilder.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "gtest/gtest.h"

#include <string>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Collects the diagnostics emitted while the test runs.
class GraphBuilderTest : public ::testing::Test {
protected:
  GraphBuilderTest()
      : handler(&context, [this](Diagnostic &diag) {
          messages += diag.str() + "\n";
          return success();
        }) {}

  RankedTensorType tensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }
  static RankedTensorType typeOf(Value v) {
    return mlir::cast<RankedTensorType>(v.getType());
  }

  MLIRContext context;
  std::string messages;
  ScopedDiagnosticHandler handler;
};

// A ResNet basic block (conv-bn-relu-conv-bn + residual, then pooling and a
// classifier) with a dynamic batch dimension.
TEST_F(GraphBuilderTest, CnnBlockWithDynamicBatch) {
  GraphBuilder g(context, "cnn_block");
  Value x = g.input("x", {kDynamic, 16, 32, 32}, g.f32());
  ConvOptions same;
  same.pads = {1, 1, 1, 1};
  auto bn = [&](Value v, int64_t c) {
    return g.batchNorm(v, g.splat({c}, 1.0, g.f32()),
                       g.splat({c}, 0.0, g.f32()), g.splat({c}, 0.0, g.f32()),
                       g.splat({c}, 1.0, g.f32()));
  };
  Value h = g.relu(bn(g.conv(x, g.weight("w1", {16, 16, 3, 3}), {}, same), 16));
  h = bn(g.conv(h, g.weight("w2", {16, 16, 3, 3}), g.weight("b2", {16}), same),
         16);
  h = g.relu(g.add(h, x));
  EXPECT_EQ(typeOf(h), tensor({kDynamic, 16, 32, 32}));

  ConvOptions down;
  down.strides = {2, 2};
  down.pads = {1, 1, 1, 1};
  Value d = g.conv(h, g.weight("w3", {32, 16, 3, 3}), {}, down);
  EXPECT_EQ(typeOf(d), tensor({kDynamic, 32, 16, 16}));

  PoolOptions pool;
  pool.kernelShape = {3, 3};
  pool.strides = {2, 2};
  pool.ceilMode = true;
  Value p = g.maxPool(d, pool);
  EXPECT_EQ(typeOf(p), tensor({kDynamic, 32, 8, 8}));

  Value gap = g.globalAveragePool(p);
  EXPECT_EQ(typeOf(gap), tensor({kDynamic, 32, 1, 1}));
  Value flat = g.reshape(gap, {0, -1});
  EXPECT_EQ(typeOf(flat), tensor({kDynamic, 32}));
  Value logits =
      g.add(g.matmul(flat, g.weight("fc", {32, 10})), g.weight("fc_b", {10}));
  Value probs = g.softmax(logits, -1);
  EXPECT_EQ(typeOf(probs), tensor({kDynamic, 10}));
  g.output("probs", probs);

  OwningOpRef<ModuleOp> module = g.finish();
  ASSERT_TRUE(module) << messages;
  EXPECT_TRUE(succeeded(verify(*module)));
  auto func = mlir::cast<func::FuncOp>(module->getBody()->front());
  EXPECT_EQ(func.getFunctionType().getInput(0), tensor({kDynamic, 16, 32, 32}));
  EXPECT_EQ(func.getFunctionType().getResult(0), tensor({kDynamic, 10}));
  EXPECT_EQ(func.getArgAttrOfType<StringAttr>(0, "kiln.name").getValue(), "x");
  EXPECT_EQ(func.getResultAttrOfType<StringAttr>(0, "kiln.name").getValue(),
            "probs");
  EXPECT_TRUE(messages.empty()) << messages;
}

// A transformer encoder layer: multi-head self-attention and a GELU MLP,
// each with a residual and layer normalisation, at a dynamic batch size.
TEST_F(GraphBuilderTest, TransformerBlockWithDynamicBatch) {
  const int64_t seq = 16, model = 64, heads = 4, head = model / heads;
  GraphBuilder g(context, "encoder_layer");
  Value x = g.input("tokens", {kDynamic, seq, model}, g.f32());

  auto project = [&](StringRef name) {
    Value p = g.add(g.matmul(x, g.weight(name, {model, model})),
                    g.weight((name + "_b").str(), {model}));
    return g.reshape(p, {0, 0, heads, head});
  };
  Value q = g.transpose(project("wq"), {0, 2, 1, 3});
  Value k = g.transpose(project("wk"), {0, 2, 3, 1});
  Value v = g.transpose(project("wv"), {0, 2, 1, 3});
  EXPECT_EQ(typeOf(q), tensor({kDynamic, heads, seq, head}));
  EXPECT_EQ(typeOf(k), tensor({kDynamic, heads, head, seq}));

  Value scores = g.div(g.matmul(q, k), g.splat({}, 4.0, g.f32()));
  EXPECT_EQ(typeOf(scores), tensor({kDynamic, heads, seq, seq}));
  Value attention = g.matmul(g.softmax(scores, -1), v);
  Value merged = g.reshape(g.transpose(attention, {0, 2, 1, 3}), {0, 0, model});
  EXPECT_EQ(typeOf(merged), tensor({kDynamic, seq, model}));

  Value h = g.layerNorm(g.add(x, merged), g.weight("ln1_g", {model}),
                        g.weight("ln1_b", {model}), -1);
  Value ffn = g.gelu(g.add(g.matmul(h, g.weight("w_up", {model, 4 * model})),
                           g.weight("b_up", {4 * model})));
  EXPECT_EQ(typeOf(ffn), tensor({kDynamic, seq, 4 * model}));
  ffn = g.matmul(ffn, g.weight("w_down", {4 * model, model}));
  Value out = g.layerNorm(g.add(h, ffn), g.weight("ln2_g", {model}), {}, 2);
  EXPECT_EQ(typeOf(out), tensor({kDynamic, seq, model}));
  g.output("encoded", out);

  OwningOpRef<ModuleOp> module = g.finish();
  ASSERT_TRUE(module) << messages;
  EXPECT_TRUE(messages.empty()) << messages;
}

// Splitting, slicing, gathering and padding infer their shapes.
TEST_F(GraphBuilderTest, ShapeOps) {
  GraphBuilder g(context);
  Value x = g.input("x", {kDynamic, 10}, g.f32());
  SmallVector<Value> parts = g.split(x, -1, {4, 6});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(typeOf(parts[1]), tensor({kDynamic, 6}));
  EXPECT_EQ(typeOf(g.slice(x, {-1}, {-100}, {1}, {-2})), tensor({kDynamic, 5}));
  Value ids = g.input("ids", {3, 2}, g.i64());
  EXPECT_EQ(typeOf(g.gather(x, ids, 1)), tensor({kDynamic, 3, 2}));
  EXPECT_EQ(typeOf(g.pad(x, {0, 1, 0, 2}, PadMode::Reflect)),
            tensor({kDynamic, 13}));
  EXPECT_EQ(typeOf(g.concat({x, x}, 0)), tensor({kDynamic, 10}));
  EXPECT_EQ(typeOf(g.broadcastTo(x, {2, 1, 10})), tensor({2, kDynamic, 10}));
  Value arg = g.argMax(x, 1, /*keepdims=*/false);
  EXPECT_EQ(mlir::cast<RankedTensorType>(arg.getType()).getElementType(),
            g.i64());
  g.output("y", parts[0]);
  EXPECT_TRUE(g.finish()) << messages;
}

// A bad call reports the op's error, returns null, poisons later calls and
// makes finish() fail; nothing aborts.
TEST_F(GraphBuilderTest, ErrorsAreReportedNotFatal) {
  GraphBuilder g(context);
  Value a = g.input("a", {2, 3}, g.f32());
  Value b = g.input("b", {4, 5}, g.f32());
  Value bad = g.named("mm").matmul(a, b);
  EXPECT_FALSE(bad);
  EXPECT_TRUE(g.hasError());
  EXPECT_NE(messages.find("contracting dimension mismatch: 3 vs 4"),
            std::string::npos)
      << messages;
  EXPECT_FALSE(g.relu(bad));
  g.output("y", bad);
  EXPECT_FALSE(g.finish());
}

// Errors from the builder's own argument checks.
TEST_F(GraphBuilderTest, BadArguments) {
  {
    GraphBuilder g(context);
    Value a = g.input("a", {2, 3}, g.f32());
    EXPECT_FALSE(g.softmax(a, 2));
    EXPECT_NE(messages.find("axis 2 is out of range for rank 2"),
              std::string::npos)
        << messages;
  }
  {
    GraphBuilder g(context);
    EXPECT_FALSE(g.constantF32({2, 2}, {1.0f, 2.0f}));
    EXPECT_NE(messages.find("needs 4 values, got 2"), std::string::npos)
        << messages;
  }
  {
    GraphBuilder g(context);
    g.input("a", {2}, g.f32());
    EXPECT_FALSE(g.finish());
    EXPECT_NE(messages.find("the graph has no outputs"), std::string::npos);
  }
  {
    GraphBuilder g(context);
    Value i = g.input("i", {2}, g.i64());
    // exp takes floats only: the op's own type constraint rejects it.
    EXPECT_FALSE(g.exp(i));
  }
}

// Inference never aborts, even on operands the op's type constraints would
// reject later: an unranked softmax input is reported, not a crash.
TEST_F(GraphBuilderTest, CreateVerifiedRejectsUnranked) {
  context.loadDialect<KilnDialect, func::FuncDialect>();
  OpBuilder b(&context);
  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b, loc);
  b.setInsertionPointToEnd(module->getBody());
  auto unranked = UnrankedTensorType::get(b.getF32Type());
  auto func =
      func::FuncOp::create(b, loc, "f", b.getFunctionType({unranked}, {}));
  b.setInsertionPointToEnd(func.addEntryBlock());
  Value arg = func.getArgument(0);
  EXPECT_EQ(createVerified<SoftmaxOp>(b, loc, 1, arg, int64_t(0)), nullptr);
  EXPECT_NE(messages.find("must be a ranked tensor"), std::string::npos)
      << messages;
}

// Naming an op does not name the constants built for its operands.
TEST_F(GraphBuilderTest, NamedSkipsOperandConstants) {
  GraphBuilder g(context);
  Value x = g.input("x", {2, 3}, g.f32());
  Value y = g.named("fc").matmul(x, g.weight("w", {3, 4}));
  ASSERT_TRUE(y);
  auto loc = dyn_cast<NameLoc>(y.getDefiningOp()->getLoc());
  ASSERT_TRUE(loc);
  EXPECT_EQ(loc.getName().getValue(), "fc");
  EXPECT_FALSE(
      isa<NameLoc>(y.getDefiningOp()->getOperand(1).getDefiningOp()->getLoc()));
}

// Weights become dense_resource blobs holding the given values.
TEST_F(GraphBuilderTest, WeightsAreResources) {
  GraphBuilder g(context);
  Value w = g.weight("w", {2, 2}, {1.0f, 2.0f, 3.0f, 4.0f});
  auto constant = w.getDefiningOp<ConstantOp>();
  ASSERT_TRUE(constant);
  auto resource = dyn_cast<DenseF32ResourceElementsAttr>(constant.getValue());
  ASSERT_TRUE(resource);
  std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->size(), 4u);
  EXPECT_EQ((*data)[3], 4.0f);
}

} // namespace
