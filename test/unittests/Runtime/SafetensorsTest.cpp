//===- SafetensorsTest.cpp - Tests of the safetensors reader and writer ---===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/safetensors.h"

#include "kiln/runtime/npy.h"

#include "gtest/gtest.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace kiln;

namespace {

class SafetensorsTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/kiln-safetensors-test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
    path = dir + "/t.safetensors";
  }
  void TearDown() override {
    std::remove(path.c_str());
    rmdir(dir.c_str());
  }
  /// Writes `header` (the JSON) and `data` as a safetensors file.
  void writeRaw(const std::string &header, const std::string &data) {
    std::vector<uint8_t> bytes(8);
    for (int i = 0; i < 8; ++i)
      bytes[i] = static_cast<uint8_t>(uint64_t(header.size()) >> (8 * i));
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    writeBinaryFileAtomically(path, bytes);
  }
  /// The message of reading `path`, which must fail.
  std::string readError() {
    try {
      readSafetensors(path);
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), KILN_STATUS_INVALID_FILE);
      return e.what();
    }
    ADD_FAILURE() << "the file was read";
    return "";
  }
  std::string dir, path;
};

TEST_F(SafetensorsTest, RoundTripsTensorsAndMetadata) {
  Tensor a(KILN_DTYPE_F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    a.data<float>()[i] = 0.5f * i;
  Tensor step(KILN_DTYPE_I64, {});
  *step.data<int64_t>() = 42;
  Tensor empty(KILN_DTYPE_F64, {0, 4});
  writeSafetensors(path, {{"param:w", &a}, {"step", &step}, {"e", &empty}},
                   {{"format", "kiln-train 1"}, {"quote\"d", "a\\b\n"}});
  SafetensorsFile file = readSafetensors(path);
  ASSERT_EQ(file.tensors.size(), 3u);
  EXPECT_EQ(file.tensors[0].first, "param:w");
  EXPECT_EQ(file.tensors[0].second.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(file.tensors[0].second.data(), a.data(), 24), 0);
  EXPECT_EQ(file.tensors[1].second.dtype(), KILN_DTYPE_I64);
  EXPECT_EQ(file.tensors[1].second.rank(), 0u);
  EXPECT_EQ(*file.tensors[1].second.data<int64_t>(), 42);
  EXPECT_EQ(file.tensors[2].second.numElements(), 0u);
  EXPECT_EQ(file.metadata["format"], "kiln-train 1");
  EXPECT_EQ(file.metadata["quote\"d"], "a\\b\n");
  // The header is padded so that the data starts 8-byte aligned.
  std::vector<uint8_t> bytes = readBinaryFile(path);
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | bytes[i];
  EXPECT_EQ((8 + headerSize) % 8, 0u);
}

TEST_F(SafetensorsTest, ReadsAnotherWritersLayout) {
  // Tensors out of order, escapes and blanks, as other writers produce.
  float values[2] = {1.5f, -2.0f};
  std::string data(reinterpret_cast<const char *>(values), 8);
  writeRaw("{ \"b\\u00e9\" : {\"shape\": [2], \"data_offsets\": [0, 8], "
           "\"dtype\": \"F32\"}, \"__metadata__\": {\"k\": \"v\"} }",
           data);
  SafetensorsFile file = readSafetensors(path);
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].first, "b\xc3\xa9");
  EXPECT_EQ(file.tensors[0].second.data<float>()[1], -2.0f);
  EXPECT_EQ(file.metadata["k"], "v");
}

TEST_F(SafetensorsTest, RejectsMalformedFiles) {
  writeRaw("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": "
           "[0, 12]}}",
           std::string(8, '\0'));
  EXPECT_NE(readError().find("data_offsets [0, 12) do not hold its 8 bytes"),
            std::string::npos);
  writeRaw("{\"a\": {\"dtype\": \"Q7\", \"shape\": [], \"data_offsets\": "
           "[0, 4]}}",
           std::string(4, '\0'));
  EXPECT_NE(readError().find("unsupported dtype 'Q7'"), std::string::npos);
  writeRaw("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], "
           "\"data_offsets\": [0, 0]}}",
           "");
  EXPECT_NE(readError().find("not a non-negative integer"), std::string::npos);
  writeRaw("{\"a\": [1, 2", "");
  EXPECT_NE(readError().find("malformed safetensors header"),
            std::string::npos);
  writeRaw("[]", "");
  EXPECT_NE(readError().find("not a JSON object"), std::string::npos);
  writeBinaryFileAtomically(path, {1, 2, 3});
  EXPECT_NE(readError().find("shorter than its 8-byte header length"),
            std::string::npos);
  writeBinaryFileAtomically(path, {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'});
  EXPECT_NE(readError().find("runs past the end of the file"),
            std::string::npos);
}

} // namespace
