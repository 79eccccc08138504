//===- NpyTest.cpp - Tests of the .npy and .npz reader and writer ---------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/npy.h"

#include "gtest/gtest.h"

#include <dirent.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace kiln;

namespace {

/// A fresh temporary directory, removed with its files at the end.
class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/kiln-npy-test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
  }
  void TearDown() override {
    for (const std::string &name : files())
      std::remove((dir + "/" + name).c_str());
    rmdir(dir.c_str());
  }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    if (DIR *handle = opendir(dir.c_str())) {
      while (dirent *entry = readdir(handle))
        if (entry->d_name[0] != '.')
          names.push_back(entry->d_name);
      closedir(handle);
    }
    return names;
  }
  std::string path(const std::string &name) const { return dir + "/" + name; }
  void writeBytes(const std::string &name, const std::vector<uint8_t> &bytes) {
    std::ofstream(path(name), std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  }

  std::string dir;
};

/// A tensor of `dtype` and `dims` whose bytes count up from `seed`; bool
/// bytes stay 0 or 1.
Tensor patterned(kiln_dtype dtype, const std::vector<int64_t> &dims,
                 uint8_t seed) {
  Tensor tensor(dtype, dims);
  auto *bytes = tensor.data<uint8_t>();
  for (size_t i = 0; i < tensor.byteSize(); ++i)
    bytes[i] = dtype == KILN_DTYPE_I1 ? (i + seed) % 2 : uint8_t(i * 7 + seed);
  return tensor;
}

void expectSame(const Tensor &a, const Tensor &b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.dims(), b.dims());
  ASSERT_EQ(a.byteSize(), b.byteSize());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.byteSize()), 0);
}

/// The message of the kiln::Error that `body` throws, and checks its status.
template <typename Body>
std::string errorOf(Body body, kiln_status status = KILN_STATUS_INVALID_FILE) {
  try {
    body();
  } catch (const Error &error) {
    EXPECT_EQ(error.status(), status) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "expected a kiln::Error";
  return "";
}

std::vector<uint8_t> npyWithHeader(const std::string &header,
                                   size_t dataBytes = 0) {
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  bytes.push_back(header.size() & 0xff);
  bytes.push_back(header.size() >> 8);
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + dataBytes, 0);
  return bytes;
}

void put16(std::vector<uint8_t> &out, uint32_t value) {
  out.push_back(value & 0xff);
  out.push_back(value >> 8 & 0xff);
}
void put32(std::vector<uint8_t> &out, uint32_t value) {
  put16(out, value & 0xffff);
  put16(out, value >> 16);
}

/// A one-entry zip holding `data` (the uncompressed bytes) as `name`,
/// deflated when `deflate`; `corrupt` lets a test break one field.
struct ZipEntry {
  std::string name = "x.npy";
  std::vector<uint8_t> data;
  bool deflate = false;
  uint32_t crcXor = 0;
  uint16_t method = 0xffff; // Derived from `deflate` unless set.
  uint16_t flags = 0;
  uint32_t localOffsetDelta = 0;
};

std::vector<uint8_t> makeZip(const ZipEntry &entry) {
  std::vector<uint8_t> payload = entry.data;
  if (entry.deflate) {
    z_stream stream{};
    deflateInit2(&stream, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    payload.resize(deflateBound(&stream, entry.data.size()));
    stream.next_in = const_cast<uint8_t *>(entry.data.data());
    stream.avail_in = entry.data.size();
    stream.next_out = payload.data();
    stream.avail_out = payload.size();
    EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
    payload.resize(stream.total_out);
    deflateEnd(&stream);
  }
  uint32_t crc = crc32(0, entry.data.data(), entry.data.size()) ^ entry.crcXor;
  uint16_t method = entry.method != 0xffff ? entry.method
                    : entry.deflate        ? 8
                                           : 0;
  auto common = [&](std::vector<uint8_t> &out) {
    put16(out, 20);
    put16(out, entry.flags);
    put16(out, method);
    put32(out, 0x00210000);
    put32(out, crc);
    put32(out, payload.size());
    put32(out, entry.data.size());
    put16(out, entry.name.size());
    put16(out, 0);
  };
  std::vector<uint8_t> zip;
  put32(zip, 0x04034b50);
  common(zip);
  zip.insert(zip.end(), entry.name.begin(), entry.name.end());
  zip.insert(zip.end(), payload.begin(), payload.end());
  size_t directory = zip.size();
  put32(zip, 0x02014b50);
  put16(zip, 20);
  common(zip);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, 0);
  put32(zip, 0);
  put32(zip, entry.localOffsetDelta);
  zip.insert(zip.end(), entry.name.begin(), entry.name.end());
  size_t directorySize = zip.size() - directory;
  put32(zip, 0x06054b50);
  put32(zip, 0);
  put16(zip, 1);
  put16(zip, 1);
  put32(zip, directorySize);
  put32(zip, directory);
  put16(zip, 0);
  return zip;
}

const kiln_dtype npyDtypes[] = {KILN_DTYPE_F16, KILN_DTYPE_F32, KILN_DTYPE_F64,
                                KILN_DTYPE_I1,  KILN_DTYPE_I8,  KILN_DTYPE_I16,
                                KILN_DTYPE_I32, KILN_DTYPE_I64, KILN_DTYPE_U8,
                                KILN_DTYPE_U16, KILN_DTYPE_U32, KILN_DTYPE_U64};

TEST_F(NpyTest, RoundTripsEveryDtypeThroughNpy) {
  for (kiln_dtype dtype : npyDtypes) {
    for (const std::vector<int64_t> &dims :
         {std::vector<int64_t>{}, {5}, {2, 3}, {2, 0, 4}}) {
      Tensor tensor = patterned(dtype, dims, 3);
      writeNpy(path("a.npy"), tensor);
      SCOPED_TRACE(kiln_dtype_name(dtype));
      expectSame(readNpy(path("a.npy")), tensor);
    }
  }
  // Only the destination remains: the temporary file was renamed.
  EXPECT_EQ(files(), std::vector<std::string>{"a.npy"});
}

TEST_F(NpyTest, RoundTripsEveryDtypeThroughNpz) {
  std::vector<Tensor> tensors;
  std::vector<std::pair<std::string, const Tensor *>> named;
  for (kiln_dtype dtype : npyDtypes)
    tensors.push_back(patterned(dtype, {3, 2}, tensors.size()));
  for (size_t i = 0; i < tensors.size(); ++i)
    named.emplace_back(std::string("/layer") + std::to_string(i) + "/out:0",
                       &tensors[i]);
  writeNpz(path("all.npz"), named);
  std::vector<NamedTensor> read = readNpz(path("all.npz"));
  ASSERT_EQ(read.size(), tensors.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].name, named[i].first);
    expectSame(read[i].tensor, tensors[i]);
  }
  writeNpz(path("empty.npz"), {});
  EXPECT_TRUE(readNpz(path("empty.npz")).empty());
}

TEST_F(NpyTest, ReadsDeflatedEntriesAndFortranOrder) {
  Tensor tensor = patterned(KILN_DTYPE_I32, {4, 5}, 1);
  std::vector<uint8_t> npy = serializeNpy(tensor);
  writeBytes("deflated.npz", makeZip({"t.npy", npy, /*deflate=*/true}));
  std::vector<NamedTensor> read = readNpz(path("deflated.npz"));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].name, "t");
  expectSame(read[0].tensor, tensor);

  // A 2x3 array stored column-major: 0 3 1 4 2 5 is [[0, 1, 2], [3, 4, 5]].
  std::string header = "{'descr': '|u1', 'fortran_order': True, "
                       "'shape': (2, 3), }\n";
  std::vector<uint8_t> fortran = npyWithHeader(header);
  for (uint8_t value : {0, 3, 1, 4, 2, 5})
    fortran.push_back(value);
  Tensor parsed = parseNpy(fortran.data(), fortran.size(), "fortran");
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(parsed.data<uint8_t>()[i], i);

  // Version 2 headers and '?' bools; bool bytes are normalised to 0/1.
  std::vector<uint8_t> v2 = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0};
  std::string boolHeader = "{\"descr\": \"|b1\", \"fortran_order\": False, "
                           "\"shape\": (2,)}\n";
  put32(v2, boolHeader.size());
  v2.insert(v2.end(), boolHeader.begin(), boolHeader.end());
  v2.push_back(0);
  v2.push_back(7);
  Tensor flags = parseNpy(v2.data(), v2.size(), "v2");
  EXPECT_EQ(flags.dtype(), KILN_DTYPE_I1);
  EXPECT_EQ(flags.data<uint8_t>()[1], 1);
}

TEST_F(NpyTest, RejectsMalformedNpy) {
  auto parse = [](const std::vector<uint8_t> &bytes) {
    return errorOf([&] { parseNpy(bytes.data(), bytes.size(), "'f.npy'"); });
  };
  auto header = [](const std::string &dict) {
    return npyWithHeader(dict + "\n");
  };
  struct Case {
    std::vector<uint8_t> bytes;
    const char *message;
  } cases[] = {
      {{}, "not a .npy file"},
      {{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}, "not a .npy file"},
      {{0x93, 'N', 'U', 'M', 'P', 'Y', 4, 0, 0, 0}, "version 4.0"},
      {{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0xff}, "header claims"},
      {header("[1, 2]"), "expected '{'"},
      {header("{'descr': '<f4', 'shape': (1,)}"),
       "missing key 'fortran_order'"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
              "'x': 1}"),
       "unexpected key 'x'"},
      {header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}"),
       "expected True or False"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"),
       "non-negative integer"},
      {header("{'descr': '<f4', 'fortran_order': False, "
              "'shape': (99999999999999999999,)}"),
       "too large"},
      {header("{'descr': '<f4', 'fortran_order': False, "
              "'shape': (4611686018427387904, 4)}"),
       "overflows"},
      {header("{'descr': '>f4', 'fortran_order': False, 'shape': ()}"),
       "big-endian"},
      {header("{'descr': '<c8', 'fortran_order': False, 'shape': ()}"),
       "unsupported dtype '<c8'"},
      {header("{'descr': '|O', 'fortran_order': False, 'shape': ()}"),
       "unsupported dtype '|O'"},
      {header("{'descr': [('x', '<f4')], 'fortran_order': False, "
              "'shape': ()}"),
       "structured dtypes are not supported"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"),
       "truncated: shape [2] of <f4 needs 8 bytes of data, the file has 0"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': ('a',)}"),
       "expected a non-negative integer"},
      {header("{'descr': '<f4', 'descr': '<f4'"), "duplicate key 'descr'"},
      {header("{'descr: '<f4'"), "expected ':'"},
      {header("{'descr"), "unterminated string"},
  };
  for (const Case &c : cases) {
    std::string message = parse(c.bytes);
    EXPECT_NE(message.find(c.message), std::string::npos)
        << "'" << c.message << "' not in: " << message;
    EXPECT_EQ(message.rfind("'f.npy': ", 0), 0u) << message;
  }
  std::vector<uint8_t> trailing = npyWithHeader(
      "{'descr': '<i2', 'fortran_order': False, 'shape': (1,)}\n", 3);
  EXPECT_NE(parse(trailing).find("1 bytes follow the array data"),
            std::string::npos);
}

TEST_F(NpyTest, RejectsMalformedNpz) {
  Tensor tensor = patterned(KILN_DTYPE_F32, {2, 2}, 0);
  std::vector<uint8_t> npy = serializeNpy(tensor);
  auto read = [&](const std::vector<uint8_t> &bytes) {
    writeBytes("bad.npz", bytes);
    return errorOf([&] { readNpz(path("bad.npz")); });
  };
  auto expectError = [&](const std::vector<uint8_t> &bytes, const char *part) {
    std::string message = read(bytes);
    EXPECT_NE(message.find(part), std::string::npos)
        << "'" << part << "' not in: " << message;
    EXPECT_EQ(message.rfind("'" + path("bad.npz") + "'", 0), 0u) << message;
  };
  expectError({'P', 'K'}, "too short");
  expectError(std::vector<uint8_t>(100, 'x'), "no end of central directory");

  std::vector<uint8_t> good = makeZip({"x.npy", npy});
  ASSERT_NO_THROW(readNpz((writeBytes("good.npz", good), path("good.npz"))));

  std::vector<uint8_t> truncated(good.begin() + 10, good.end());
  expectError(truncated, "a bad central directory entry");
  std::vector<uint8_t> badDirectory = good;
  badDirectory[badDirectory.size() - 5] ^= 0x40; // Directory offset.
  expectError(badDirectory, "the central directory at offset");

  ZipEntry entry{"x.npy", npy};
  entry.crcXor = 1;
  expectError(makeZip(entry), "entry 'x.npy': CRC mismatch");
  entry = {"x.npy", npy};
  entry.method = 12;
  expectError(makeZip(entry), "compression method 12 is not supported");
  entry = {"x.npy", npy};
  entry.flags = 1;
  expectError(makeZip(entry), "encrypted");
  entry = {"x.npy", npy};
  entry.localOffsetDelta = 1;
  expectError(makeZip(entry), "bad local file header");
  expectError(makeZip({"notes.txt", npy}), "not an .npy array");
  std::vector<uint8_t> garbage = npy;
  garbage[20] ^= 0xff;
  expectError(makeZip({"x.npy", garbage}), "entry 'x.npy': bad .npy header");

  // Deflate data cut short.
  std::vector<uint8_t> deflated = makeZip({"x.npy", npy, true});
  std::vector<uint8_t> shortened = deflated;
  // Shrink the central directory's compressed size by 4 bytes.
  size_t central = shortened.size() - 22 - 46 - 5;
  uint32_t compressed = shortened[central + 20] | shortened[central + 21] << 8;
  shortened[central + 20] = (compressed - 4) & 0xff;
  shortened[central + 21] = (compressed - 4) >> 8;
  expectError(shortened, "corrupt deflate data");

  EXPECT_NE(
      errorOf([&] { readNpz(path("missing.npz")); }, KILN_STATUS_NOT_FOUND)
          .find("missing.npz"),
      std::string::npos);
  EXPECT_NE(errorOf([&] { readNpy(dir); }, KILN_STATUS_IO_ERROR)
                .find("Is a directory"),
            std::string::npos);
}

TEST_F(NpyTest, RejectsWhatItCannotWrite) {
  Tensor bf16(KILN_DTYPE_BF16, {2});
  EXPECT_NE(errorOf([&] { writeNpy(path("b.npy"), bf16); },
                    KILN_STATUS_INVALID_ARGUMENT)
                .find("NumPy has no dtype for bf16"),
            std::string::npos);
  Tensor tensor(KILN_DTYPE_F32, {2});
  EXPECT_NE(errorOf(
                [&] {
                  writeNpz(path("d.npz"), {{"a", &tensor}, {"a", &tensor}});
                },
                KILN_STATUS_INVALID_ARGUMENT)
                .find("array 'a': duplicate name"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { writeNpy(path("no/such/dir/a.npy"), tensor); },
                    KILN_STATUS_IO_ERROR)
                .find("cannot write"),
            std::string::npos);
  EXPECT_TRUE(files().empty());
}

} // namespace
