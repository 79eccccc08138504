//===- TypeInferenceTest.cpp - Tests of the kiln shape functions ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

class TypeInferenceTest : public ::testing::Test {
protected:
  TypeInferenceTest() { context.loadDialect<KilnDialect>(); }
  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }
  /// Diagnostics without a location are dropped: only the result matters.
  ShapeDiag diag{std::nullopt, "kiln.test"};
  MLIRContext context;
};

TEST_F(TypeInferenceTest, Broadcast) {
  SmallVector<int64_t> out;
  ASSERT_TRUE(succeeded(broadcastShapes(diag, {kDyn, 1, 4}, {3, 1}, out)));
  EXPECT_EQ(out, (SmallVector<int64_t>{kDyn, 3, 4}));
  ASSERT_TRUE(succeeded(broadcastShapes(diag, {kDyn}, {kDyn}, out)));
  EXPECT_EQ(out, (SmallVector<int64_t>{kDyn}));
  ASSERT_TRUE(succeeded(broadcastShapes(diag, {}, {2, 3}, out)));
  EXPECT_EQ(out, (SmallVector<int64_t>{2, 3}));
  EXPECT_TRUE(failed(broadcastShapes(diag, {2, 3}, {4, 3}, out)));
}

// The ONNX Slice clamping rules, including negative steps.
TEST_F(TypeInferenceTest, SlicedDimSize) {
  EXPECT_EQ(slicedDimSize(10, 0, 100, 1), 10);
  EXPECT_EQ(slicedDimSize(10, 1, -1, 2), 4);
  EXPECT_EQ(slicedDimSize(10, -1, -100, -1), 10);
  EXPECT_EQ(slicedDimSize(10, 8, 2, -3), 2);
  EXPECT_EQ(slicedDimSize(10, 5, 5, 1), 0);
  EXPECT_EQ(slicedDimSize(10, 20, 30, 1), 0);
  EXPECT_EQ(slicedDimSize(kDyn, 0, 2, 1), kDyn);
}

TEST_F(TypeInferenceTest, ReshapeCopiesAndInfers) {
  SmallVector<Type> out;
  ASSERT_TRUE(
      succeeded(inferReshape(diag, f32({kDyn, 8, 7, 7}), {0, -1}, out)));
  EXPECT_EQ(out[0], f32({kDyn, 392}));
  out.clear();
  ASSERT_TRUE(succeeded(inferReshape(diag, f32({2, 3, 4}), {4, -1}, out)));
  EXPECT_EQ(out[0], f32({4, 6}));
  out.clear();
  // The inferred dim cannot be known when a non-copied dim is dynamic.
  ASSERT_TRUE(succeeded(inferReshape(diag, f32({2, kDyn}), {-1, 2}, out)));
  EXPECT_EQ(out[0], f32({kDyn, 2}));
  EXPECT_TRUE(failed(inferReshape(diag, f32({2, 3}), {4, -1}, out)));
  EXPECT_TRUE(failed(inferReshape(diag, f32({2, 3}), {-1, -1}, out)));
  EXPECT_TRUE(failed(inferReshape(diag, f32({2, 3}), {7}, out)));
}

// Pooling output sizes in floor and ceil mode; ceil mode drops a window that
// would start in the end padding.
TEST_F(TypeInferenceTest, PoolOutputSizes) {
  SmallVector<Type> out;
  ASSERT_TRUE(succeeded(inferPool(diag, f32({1, 1, 5, 5}), {2, 2}, {2, 2},
                                  {0, 0, 0, 0}, {1, 1}, false, out)));
  EXPECT_EQ(out[0], f32({1, 1, 2, 2}));
  out.clear();
  ASSERT_TRUE(succeeded(inferPool(diag, f32({1, 1, 5, 5}), {2, 2}, {2, 2},
                                  {0, 0, 0, 0}, {1, 1}, true, out)));
  EXPECT_EQ(out[0], f32({1, 1, 3, 3}));
  out.clear();
  ASSERT_TRUE(succeeded(inferPool(diag, f32({1, 1, 4, 4}), {3, 3}, {2, 2},
                                  {1, 1, 1, 1}, {1, 1}, true, out)));
  EXPECT_EQ(out[0], f32({1, 1, 3, 3}));
  out.clear();
  // ceil((3 + 2 - 2) / 2) + 1 = 3 windows, but the third starts at 4, inside
  // the end padding (3 + 1), so it is dropped.
  ASSERT_TRUE(succeeded(inferPool(diag, f32({1, 1, 3, 3}), {2, 2}, {2, 2},
                                  {1, 1, 1, 1}, {1, 1}, true, out)));
  EXPECT_EQ(out[0], f32({1, 1, 2, 2}));
}

TEST_F(TypeInferenceTest, MatMulVectors) {
  SmallVector<Type> out;
  ASSERT_TRUE(succeeded(inferMatMul(diag, f32({4}), f32({kDyn, 4, 5}), out)));
  EXPECT_EQ(out[0], f32({kDyn, 5}));
  out.clear();
  ASSERT_TRUE(succeeded(inferMatMul(diag, f32({3, 4}), f32({4}), out)));
  EXPECT_EQ(out[0], f32({3}));
  out.clear();
  ASSERT_TRUE(succeeded(inferMatMul(diag, f32({4}), f32({4}), out)));
  EXPECT_EQ(out[0], f32({}));
}

TEST_F(TypeInferenceTest, CompatibleResultTypes) {
  EXPECT_TRUE(areCompatibleResultTypes(TypeRange{f32({kDyn, 4})},
                                       TypeRange{f32({2, 4})}));
  EXPECT_TRUE(areCompatibleResultTypes(TypeRange{f32({2, 4})},
                                       TypeRange{f32({kDyn, 4})}));
  EXPECT_FALSE(
      areCompatibleResultTypes(TypeRange{f32({2, 4})}, TypeRange{f32({3, 4})}));
  EXPECT_FALSE(areCompatibleResultTypes(TypeRange{f32({2, 4})},
                                        TypeRange{f32({2, 4, 1})}));
}

TEST_F(TypeInferenceTest, FormatShape) {
  EXPECT_EQ(formatShape({2, kDyn, 3}), "2x?x3");
  EXPECT_EQ(formatShape({}), "scalar");
}

} // namespace
