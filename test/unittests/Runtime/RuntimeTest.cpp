//===- RuntimeTest.cpp - Tests of the runtime's C API and C++ wrapper -----===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Runs the hand-written modules of fake_module.c (built into
// KILN_TEST_MODULE_DIR) through the C API and the C++ wrapper.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_run_main.h"
#include "kiln/runtime/kiln_runtime.h"
#include "kiln/runtime/kiln_runtime.hpp"
#include "kiln/runtime/npy.h"

#include "gtest/gtest.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace {

std::string modulePath(const char *name) {
  return std::string(KILN_TEST_MODULE_DIR) + "/" + name + ".so";
}

/// Owns a C error and reads it.
struct ErrorHolder {
  kiln_error *error = nullptr;
  ~ErrorHolder() { kiln_error_free(error); }
  kiln_error **operator&() { return &error; }
  std::string message() const { return kiln_error_message(error); }
};

/// Loads a module through the C API and owns it.
struct LoadedModule {
  kiln_module *module = nullptr;
  explicit LoadedModule(const char *name) {
    ErrorHolder error;
    kiln_status status =
        kiln_module_load(modulePath(name).c_str(), &module, &error);
    EXPECT_EQ(status, KILN_STATUS_OK) << error.message();
  }
  ~LoadedModule() { kiln_module_unload(module); }
};

kiln_tensor *makeTensor(kiln_dtype dtype, std::vector<int64_t> dims) {
  kiln_tensor *tensor = nullptr;
  EXPECT_EQ(
      kiln_tensor_create(dtype, dims.size(), dims.data(), &tensor, nullptr),
      KILN_STATUS_OK);
  return tensor;
}

/// The status and message of loading `path`.
std::pair<kiln_status, std::string> loadError(const std::string &path) {
  kiln_module *module = nullptr;
  ErrorHolder error;
  kiln_status status = kiln_module_load(path.c_str(), &module, &error);
  EXPECT_EQ(module, nullptr);
  return {status, error.message()};
}

TEST(RuntimeModule, LoadsAndDescribesItsSignature) {
  LoadedModule loaded("kiln_fake_add");
  ASSERT_NE(loaded.module, nullptr);
  ASSERT_EQ(kiln_module_num_inputs(loaded.module), 2u);
  ASSERT_EQ(kiln_module_num_outputs(loaded.module), 1u);
  kiln_value_info info;
  ASSERT_EQ(kiln_module_input_info(loaded.module, 1, &info, nullptr),
            KILN_STATUS_OK);
  EXPECT_STREQ(info.name, "b");
  EXPECT_EQ(info.dtype, KILN_DTYPE_F32);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_EQ(info.dims[1], 3);
  ASSERT_EQ(kiln_module_output_info(loaded.module, 0, &info, nullptr),
            KILN_STATUS_OK);
  EXPECT_STREQ(info.name, "y");

  ErrorHolder error;
  EXPECT_EQ(kiln_module_output_info(loaded.module, 1, &info, &error),
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(error.message().find("output index 1 is out of range"),
            std::string::npos)
      << error.message();
}

TEST(RuntimeModule, DecodesPercentEscapedNames) {
  LoadedModule loaded("kiln_fake_shapes");
  kiln_value_info info;
  ASSERT_EQ(kiln_module_input_info(loaded.module, 0, &info, nullptr),
            KILN_STATUS_OK);
  EXPECT_STREQ(info.name, "in put");
}

TEST(RuntimeModule, RunsAddAndChecksValues) {
  LoadedModule loaded("kiln_fake_add");
  kiln_tensor *a = makeTensor(KILN_DTYPE_F32, {2, 3});
  kiln_tensor *b = makeTensor(KILN_DTYPE_F32, {2, 3});
  for (int i = 0; i < 6; ++i) {
    static_cast<float *>(kiln_tensor_data(a))[i] = i;
    static_cast<float *>(kiln_tensor_data(b))[i] = 10 * i;
  }
  const kiln_tensor *inputs[] = {a, b};
  kiln_tensor *outputs[1] = {nullptr};
  ErrorHolder error;
  ASSERT_EQ(kiln_module_run(loaded.module, inputs, 2, outputs, 1, &error),
            KILN_STATUS_OK)
      << error.message();
  ASSERT_EQ(kiln_tensor_rank(outputs[0]), 2u);
  EXPECT_EQ(kiln_tensor_dims(outputs[0])[0], 2);
  EXPECT_EQ(kiln_tensor_dims(outputs[0])[1], 3);
  EXPECT_EQ(kiln_tensor_byte_size(outputs[0]), 24u);
  const float *y = static_cast<const float *>(kiln_tensor_data(outputs[0]));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], 11.0f * i);
  kiln_tensor_destroy(outputs[0]);
  kiln_tensor_destroy(a);
  kiln_tensor_destroy(b);
}

TEST(RuntimeModule, LoadsAnotherFunctionAndReadsData) {
  kiln_module *module = nullptr;
  ErrorHolder error;
  ASSERT_EQ(kiln_module_load_function(modulePath("kiln_fake_add").c_str(),
                                      "negate", &module, &error),
            KILN_STATUS_OK)
      << error.message();
  ASSERT_EQ(kiln_module_num_inputs(module), 1u);
  kiln_tensor *a = makeTensor(KILN_DTYPE_F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    static_cast<float *>(kiln_tensor_data(a))[i] = i;
  const kiln_tensor *inputs[] = {a};
  kiln_tensor *outputs[1] = {nullptr};
  ASSERT_EQ(kiln_module_run(module, inputs, 1, outputs, 1, &error),
            KILN_STATUS_OK)
      << error.message();
  const float *y = static_cast<const float *>(kiln_tensor_data(outputs[0]));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], -1.0f * i);
  kiln_tensor_destroy(outputs[0]);
  kiln_tensor_destroy(a);

  size_t size = 99;
  const char *info = static_cast<const char *>(
      kiln_module_data(module, "kiln_fake_info", &size));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(std::string(info, size), "hello");
  EXPECT_EQ(kiln_module_data(module, "kiln_no_such_data", &size), nullptr);
  EXPECT_EQ(size, 0u);
  EXPECT_EQ(kiln_module_data(nullptr, "kiln_fake_info", &size), nullptr);
  kiln_module_unload(module);

  // A function the library lacks, and no name.
  module = nullptr;
  ErrorHolder missing;
  EXPECT_EQ(kiln_module_load_function(modulePath("kiln_fake_add").c_str(),
                                      "eval", &module, &missing),
            KILN_STATUS_NOT_FOUND);
  EXPECT_EQ(module, nullptr);
  EXPECT_NE(missing.message().find("kiln_signature_eval"), std::string::npos)
      << missing.message();
  ErrorHolder unnamed;
  EXPECT_EQ(kiln_module_load_function(modulePath("kiln_fake_add").c_str(), "",
                                      &module, &unnamed),
            KILN_STATUS_INVALID_ARGUMENT);
}

TEST(RuntimeModule, RunsOnWrappedMemoryWithNoRows) {
  LoadedModule loaded("kiln_fake_add");
  int64_t dims[] = {0, 3};
  kiln_tensor *a = nullptr;
  ASSERT_EQ(kiln_tensor_wrap(KILN_DTYPE_F32, 2, dims, nullptr, 0, &a, nullptr),
            KILN_STATUS_OK);
  const kiln_tensor *inputs[] = {a, a};
  kiln_tensor *outputs[1];
  ErrorHolder error;
  ASSERT_EQ(kiln_module_run(loaded.module, inputs, 2, outputs, 1, &error),
            KILN_STATUS_OK)
      << error.message();
  EXPECT_EQ(kiln_tensor_num_elements(outputs[0]), 0u);
  EXPECT_EQ(kiln_tensor_dims(outputs[0])[1], 3);
  kiln_tensor_destroy(outputs[0]);
  kiln_tensor_destroy(a);
}

TEST(RuntimeModule, CopiesStridedOutputsAndKeepsDynamicShapes) {
  kiln::Module module = kiln::Module::load(modulePath("kiln_fake_shapes"));
  ASSERT_EQ(module.numOutputs(), 3u);
  EXPECT_EQ(module.output(2).dtype, KILN_DTYPE_I1);
  kiln::Tensor x(KILN_DTYPE_F32, {2, 3});
  const float values[] = {1, -2, 3, -4, 5, -6};
  std::memcpy(x.data(), values, sizeof(values));
  std::vector<kiln::Tensor> outputs = module.run({&x});
  ASSERT_EQ(outputs.size(), 3u);

  EXPECT_EQ(outputs[0].dtype(), KILN_DTYPE_I64);
  EXPECT_EQ(outputs[0].dims(), std::vector<int64_t>{2});
  EXPECT_EQ(outputs[0].data<int64_t>()[0], 2);
  EXPECT_EQ(outputs[0].data<int64_t>()[1], 3);

  EXPECT_EQ(outputs[1].dims(), (std::vector<int64_t>{3, 2}));
  const float transposed[] = {1, -4, -2, 5, 3, -6};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(outputs[1].data<float>()[i], transposed[i]) << i;

  EXPECT_EQ(outputs[2].dims(), (std::vector<int64_t>{2, 3}));
  const uint8_t positive[] = {1, 0, 1, 0, 1, 0};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(outputs[2].data<uint8_t>()[i], positive[i]) << i;
}

TEST(RuntimeModule, LendsItsThreadsToTheCompiledCode) {
  LoadedModule loaded("kiln_fake_add");
  EXPECT_EQ(kiln_module_threads(loaded.module), 0);
  ErrorHolder error;
  EXPECT_EQ(kiln_module_set_threads(loaded.module, -1, &error),
            KILN_STATUS_INVALID_ARGUMENT);

  // The same library, opened again, shows what the module saw.
  void *handle =
      dlopen(modulePath("kiln_fake_add").c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr);
  auto symbol = [&](const char *name) {
    auto fn = reinterpret_cast<int (*)()>(dlsym(handle, name));
    EXPECT_NE(fn, nullptr) << name;
    return fn;
  };
  auto hasHook = symbol("fake_has_hook");
  auto chunks = symbol("fake_chunks_seen");
  auto threads = symbol("fake_threads_seen");
  ASSERT_TRUE(hasHook && chunks && threads);
  // Loading installed the runtime's hook.
  EXPECT_EQ(hasHook(), 1);

  // 48 rows on 3 threads: 8 chunks per thread, on at most 3 threads; on 1
  // thread, one chunk on the caller. The sums are right either way.
  kiln_tensor *a = makeTensor(KILN_DTYPE_F32, {48, 3});
  float *data = static_cast<float *>(kiln_tensor_data(a));
  for (int i = 0; i < 48 * 3; ++i)
    data[i] = static_cast<float>(i);
  const kiln_tensor *inputs[] = {a, a};
  for (auto [count, wantChunks] : {std::pair{3, 24}, std::pair{1, 1}}) {
    ASSERT_EQ(kiln_module_set_threads(loaded.module, count, nullptr),
              KILN_STATUS_OK);
    EXPECT_EQ(kiln_module_threads(loaded.module), count);
    kiln_tensor *outputs[1];
    ASSERT_EQ(kiln_module_run(loaded.module, inputs, 2, outputs, 1, nullptr),
              KILN_STATUS_OK);
    const float *sum = static_cast<const float *>(kiln_tensor_data(outputs[0]));
    for (int i = 0; i < 48 * 3; ++i)
      ASSERT_EQ(sum[i], 2.0f * i) << i;
    kiln_tensor_destroy(outputs[0]);
    EXPECT_EQ(chunks(), wantChunks) << count << " threads";
    EXPECT_GE(threads(), 1);
    EXPECT_LE(threads(), count);
  }
  kiln_tensor_destroy(a);
  dlclose(handle);
}

TEST(RuntimeModule, BindsAParallelHookOnRequest) {
  LoadedModule loaded("kiln_fake_add");
  static void *installed = nullptr;
  auto setHook = [](void *hook) { installed = hook; };
  ErrorHolder error;
  EXPECT_EQ(kiln_module_bind_parallel_hook(nullptr, +setHook, &error),
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_module_bind_parallel_hook(loaded.module, nullptr, nullptr),
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(installed, nullptr);
  ASSERT_EQ(kiln_module_bind_parallel_hook(loaded.module, +setHook, nullptr),
            KILN_STATUS_OK);
  EXPECT_NE(installed, nullptr);
}

TEST(RuntimeModule, BindsLinkedSymbols) {
  // Stand-ins for the symbols of a statically linked module.
  static const uint32_t version = 1;
  static const char signature[] = "input x i32 1 4\noutput y i32 0\n";
  static auto entry = [](void **args) {
    auto *x = static_cast<int64_t *>(args[1]);
    const auto *data = reinterpret_cast<const int32_t *>(x[1]);
    auto *sum = static_cast<int32_t *>(malloc(sizeof(int32_t)));
    *sum = data[0] + data[1] + data[2] + data[3];
    auto *y = static_cast<int64_t *>(args[0]);
    y[0] = y[1] = reinterpret_cast<int64_t>(sum);
    y[2] = 0;
  };
  kiln::Module module = kiln::Module::fromSymbols(&version, signature, +entry);
  int32_t values[] = {1, 2, 3, 4};
  kiln::Tensor x =
      kiln::Tensor::wrap(KILN_DTYPE_I32, {4}, values, sizeof(values));
  std::vector<kiln::Tensor> outputs = module.run({&x});
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].rank(), 0u);
  EXPECT_EQ(*outputs[0].data<int32_t>(), 10);

  static const uint32_t badVersion = 7;
  try {
    kiln::Module::fromSymbols(&badVersion, signature, +entry);
    FAIL() << "expected an error";
  } catch (const kiln::Error &error) {
    EXPECT_EQ(error.status(), KILN_STATUS_INVALID_MODULE);
    EXPECT_NE(std::string(error.what()).find("ABI version 7"),
              std::string::npos);
  }
  kiln_module *raw = nullptr;
  EXPECT_EQ(kiln_module_from_symbols(&version, nullptr, +entry, &raw, nullptr),
            KILN_STATUS_INVALID_ARGUMENT);
}

TEST(RuntimeModule, RunMainRunsABoundModule) {
  // What an executable built by kilnc does: bind its linked symbols and hand
  // the module to kiln_run_main.
  static const uint32_t version = 1;
  static const char signature[] = "input x i64 1 -1\noutput y i64 1 -1\n";
  static auto twice = [](void **args) {
    auto *x = static_cast<int64_t *>(args[1]);
    int64_t n = x[3];
    const auto *in = reinterpret_cast<const int64_t *>(x[1]);
    auto *out = static_cast<int64_t *>(malloc(sizeof(int64_t) * (n + 1)));
    for (int64_t i = 0; i < n; ++i)
      out[i] = 2 * in[i];
    auto *y = static_cast<int64_t *>(args[0]);
    y[0] = y[1] = reinterpret_cast<int64_t>(out);
    y[2] = 0;
    y[3] = n;
    y[4] = 1;
  };
  char pattern[] = "/tmp/kiln-run-main-test.XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string dir = pattern, in = dir + "/in.npz", out = dir + "/out.npz";
  kiln::Tensor x(KILN_DTYPE_I64, {3});
  for (int i = 0; i < 3; ++i)
    x.data<int64_t>()[i] = i + 1;
  kiln::writeNpz(in, {{"x", &x}});

  auto runMain = [&](std::vector<std::string> args) {
    kiln_module *module = nullptr;
    EXPECT_EQ(
        kiln_module_from_symbols(&version, signature, +twice, &module, nullptr),
        KILN_STATUS_OK);
    std::vector<char *> argv;
    for (std::string &arg : args)
      argv.push_back(&arg[0]);
    return kiln_run_main(argv.size(), argv.data(), module);
  };
  ASSERT_EQ(runMain({"model", "--inputs", in, "--outputs", out}), 0);
  std::vector<kiln::NamedTensor> outputs = kiln::readNpz(out);
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].name, "y");
  ASSERT_EQ(outputs[0].tensor.dims(), std::vector<int64_t>{3});
  EXPECT_EQ(outputs[0].tensor.data<int64_t>()[2], 6);
  // A bound module leaves no room for a MODULE.so argument.
  EXPECT_EQ(runMain({"model", "other.so", "--inputs", in}), 1);

  unlink(in.c_str());
  unlink(out.c_str());
  rmdir(dir.c_str());
}

TEST(RuntimeModule, RejectsBadModules) {
  auto [status, message] = loadError(modulePath("kiln_no_such_module"));
  EXPECT_EQ(status, KILN_STATUS_NOT_FOUND);
  EXPECT_NE(message.find("cannot load module"), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;

  std::tie(status, message) = loadError(modulePath("kiln_fake_no_symbols"));
  EXPECT_EQ(status, KILN_STATUS_NOT_FOUND);
  EXPECT_NE(message.find("does not export 'kiln_abi_version'"),
            std::string::npos)
      << message;

  std::tie(status, message) = loadError(modulePath("kiln_fake_bad_version"));
  EXPECT_EQ(status, KILN_STATUS_INVALID_MODULE);
  EXPECT_NE(message.find("has ABI version 2; this runtime supports version 1"),
            std::string::npos)
      << message;

  std::tie(status, message) = loadError(modulePath("kiln_fake_bad_signature"));
  EXPECT_EQ(status, KILN_STATUS_INVALID_MODULE);
  EXPECT_NE(message.find("signature line 1: unknown dtype 'f99'"),
            std::string::npos)
      << message;

  // Not a shared library at all.
  std::tie(status, message) = loadError(__FILE__);
  EXPECT_EQ(status, KILN_STATUS_INVALID_MODULE);
  EXPECT_NE(message.find("cannot load module"), std::string::npos) << message;

  kiln_module *module = nullptr;
  EXPECT_EQ(kiln_module_load(nullptr, &module, nullptr),
            KILN_STATUS_INVALID_ARGUMENT);
}

TEST(RuntimeModule, RejectsMalformedSignatures) {
  static const uint32_t version = 1;
  auto entry = [](void **) {};
  struct Case {
    const char *signature;
    const char *message;
  } cases[] = {
      {"input x f32 2 3\n", "rank 2 but 1 dims"},
      {"input x f32 -1\n", "bad rank '-1'"},
      {"input x f32 1 -2\n", "bad dim '-2'"},
      {"input x f32 1 abc\n", "bad dim 'abc'"},
      {"input x%zz f32 0\n", "bad percent escape"},
      {"inout x f32 0\n", "expected 'input' or 'output'"},
      {"input x\n", "expected 'input|output NAME DTYPE RANK DIM...'"},
      {"output y f32 0\ninput x f32 0\n", "an input follows the outputs"},
      {"input x f32 0\ninput x f32 0\n", "duplicate input name 'x'"},
  };
  for (const Case &c : cases) {
    kiln_module *module = nullptr;
    ErrorHolder error;
    EXPECT_EQ(kiln_module_from_symbols(&version, c.signature, +entry, &module,
                                       &error),
              KILN_STATUS_INVALID_MODULE)
        << c.signature;
    EXPECT_NE(error.message().find(c.message), std::string::npos)
        << c.signature << " -> " << error.message();
  }
}

/// Runs the add module on `inputs` and returns the failure message.
std::string runAddError(const std::vector<const kiln_tensor *> &inputs,
                        size_t numOutputs = 1) {
  LoadedModule loaded("kiln_fake_add");
  kiln_tensor *outputs[2] = {nullptr, nullptr};
  ErrorHolder error;
  kiln_status status = kiln_module_run(
      loaded.module, inputs.data(), inputs.size(), outputs, numOutputs, &error);
  EXPECT_EQ(status, KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(outputs[0], nullptr);
  return error.message();
}

TEST(RuntimeModule, RejectsBadInputsWithAMessageNamingThem) {
  kiln_tensor *good = makeTensor(KILN_DTYPE_F32, {2, 3});
  kiln_tensor *f64 = makeTensor(KILN_DTYPE_F64, {2, 3});
  kiln_tensor *rank3 = makeTensor(KILN_DTYPE_F32, {1, 2, 3});
  kiln_tensor *wide = makeTensor(KILN_DTYPE_F32, {2, 4});
  float storage[6] = {};
  int64_t dims[] = {2, 3};
  kiln_tensor *shortBuffer = nullptr, *nullData = nullptr;
  kiln_tensor_wrap(KILN_DTYPE_F32, 2, dims, storage, 20, &shortBuffer, nullptr);
  kiln_tensor_wrap(KILN_DTYPE_F32, 2, dims, nullptr, 24, &nullData, nullptr);

  auto expectError = [](const std::string &message, const char *part) {
    EXPECT_NE(message.find(part), std::string::npos)
        << "'" << part << "' not in: " << message;
  };
  expectError(runAddError({good}), "has 2 inputs ('a', 'b'), but 1 were given");
  expectError(runAddError({good, good}, 2),
              "has 1 outputs ('y'), but 2 output slots were given");
  expectError(runAddError({good, nullptr}),
              "input 'b' (#1, f32 [?, 3]) is NULL");
  expectError(runAddError({f64, good}),
              "input 'a' (#0, f32 [?, 3]): got dtype f64");
  expectError(runAddError({good, rank3}),
              "input 'b' (#1, f32 [?, 3]): got rank 3 [1, 2, 3]");
  expectError(runAddError({wide, good}),
              "input 'a' (#0, f32 [?, 3]): got shape [2, 4]; dim 1 must be 3");
  expectError(runAddError({good, shortBuffer}),
              "input 'b' (#1, f32 [?, 3]): its buffer has 20 bytes but shape "
              "[2, 3] needs 24");
  expectError(runAddError({nullData, good}),
              "input 'a' (#0, f32 [?, 3]): data is NULL for 6 elements");

  LoadedModule loaded("kiln_fake_add");
  kiln_tensor *outputs[1];
  EXPECT_EQ(kiln_module_run(loaded.module, nullptr, 2, outputs, 1, nullptr),
            KILN_STATUS_INVALID_ARGUMENT);
  const kiln_tensor *inputs[] = {good, good};
  EXPECT_EQ(kiln_module_run(nullptr, inputs, 2, outputs, 1, nullptr),
            KILN_STATUS_INVALID_ARGUMENT);

  for (kiln_tensor *tensor : {good, f64, rank3, wide, shortBuffer, nullData})
    kiln_tensor_destroy(tensor);
}

TEST(RuntimeModule, RejectsOutputsThatBreakTheSignature) {
  LoadedModule loaded("kiln_fake_bad_output");
  kiln_tensor *a = makeTensor(KILN_DTYPE_F32, {2, 3});
  const kiln_tensor *inputs[] = {a, a};
  kiln_tensor *outputs[1];
  ErrorHolder error;
  EXPECT_EQ(kiln_module_run(loaded.module, inputs, 2, outputs, 1, &error),
            KILN_STATUS_INVALID_MODULE);
  EXPECT_EQ(outputs[0], nullptr);
  EXPECT_NE(error.message().find("output 'y' (f32 [?, 3]) came back with "
                                 "shape [2, 4]"),
            std::string::npos)
      << error.message();
  kiln_tensor_destroy(a);
}

TEST(RuntimeTensor, CreatesWrapsAndRejectsBadShapes) {
  kiln_tensor *tensor = makeTensor(KILN_DTYPE_I1, {});
  EXPECT_EQ(kiln_tensor_rank(tensor), 0u);
  EXPECT_EQ(kiln_tensor_num_elements(tensor), 1u);
  EXPECT_EQ(kiln_tensor_byte_size(tensor), 1u);
  EXPECT_EQ(*static_cast<uint8_t *>(kiln_tensor_data(tensor)), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(kiln_tensor_data(tensor)) % 64, 0u);
  kiln_tensor_destroy(tensor);

  ErrorHolder negative;
  int64_t badDims[] = {2, -3};
  EXPECT_EQ(kiln_tensor_create(KILN_DTYPE_F32, 2, badDims, &tensor, &negative),
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(tensor, nullptr);
  EXPECT_EQ(negative.message(), "dim 1 is negative (-3)");

  ErrorHolder overflow;
  int64_t hugeDims[] = {INT64_MAX, INT64_MAX};
  EXPECT_EQ(kiln_tensor_wrap(KILN_DTYPE_F32, 2, hugeDims, nullptr, 0, &tensor,
                             &overflow),
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(overflow.message().find("overflows"), std::string::npos);

  EXPECT_EQ(
      kiln_tensor_create(KILN_DTYPE_INVALID, 0, nullptr, &tensor, nullptr),
      KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_tensor_create(KILN_DTYPE_F32, 1, nullptr, &tensor, nullptr),
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_tensor_create(KILN_DTYPE_F32, 0, nullptr, nullptr, nullptr),
            KILN_STATUS_INVALID_ARGUMENT);
  int64_t dims[] = {3};
  kiln::Tensor wrapped = kiln::Tensor::wrap(KILN_DTYPE_U8, {3}, dims, 3);
  EXPECT_EQ(wrapped.data(), static_cast<void *>(dims));
  try {
    kiln::Tensor bad(KILN_DTYPE_F32, {-1});
    FAIL() << "expected an error";
  } catch (const kiln::Error &error) {
    EXPECT_EQ(error.status(), KILN_STATUS_INVALID_ARGUMENT);
  }
}

TEST(RuntimeTensor, NamesDtypesAndStatuses) {
  for (int d = KILN_DTYPE_F16; d <= KILN_DTYPE_U64; ++d) {
    auto dtype = static_cast<kiln_dtype>(d);
    EXPECT_EQ(kiln_dtype_from_name(kiln_dtype_name(dtype)), dtype);
  }
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_BF16), 2u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_I1), 1u);
  EXPECT_EQ(kiln_dtype_name(KILN_DTYPE_INVALID), nullptr);
  EXPECT_EQ(kiln_dtype_from_name("f128"), KILN_DTYPE_INVALID);
  EXPECT_STREQ(kiln_status_name(KILN_STATUS_INVALID_FILE), "invalid file");
  EXPECT_STREQ(kiln_error_message(nullptr), "");
  EXPECT_EQ(kiln_error_status(nullptr), KILN_STATUS_OK);
  kiln_error_free(nullptr);
}

} // namespace
