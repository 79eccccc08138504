//===- CudaDeviceTest.cpp - Tests of the runtime's CUDA device ------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The CUDA device without a GPU: no driver, the fake drivers of
// fake_cuda_driver.c (a failing cuInit, no devices, missing functions, and
// one that emulates a device in host memory), the mgpu* entry points and
// the fake CUDA module of fake_module.c run through the C API. The test that
// needs a real GPU skips, saying why, where there is none.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_mgpu.h"
#include "kiln/runtime/kiln_runtime.h"

#include "cuda/device.h"
#include "support.h"

#include "gtest/gtest.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace kiln::cuda;

namespace {

std::string testLibrary(const std::string &name) {
  return std::string(KILN_TEST_MODULE_DIR) + "/" + name + ".so";
}

/// fake_cuda_driver.c's counters.
struct FakeDriverCounters {
  long memAllocs, memFrees, liveBytes;
  long streamsCreated, streamsDestroyed;
  long modulesLoaded, modulesUnloaded;
  long launches, hostRegistered;
  long copiesToDevice, bytesToDevice;
};

/// The message of a failed status-returning call, "" on success.
struct Outcome {
  kiln_status status = KILN_STATUS_OK;
  std::string message;
};

Outcome cudaAvailability() {
  kiln_error *error = nullptr;
  Outcome outcome;
  outcome.status = kiln_device_available(KILN_DEVICE_CUDA, &error);
  outcome.message = kiln_error_message(error);
  kiln_error_free(error);
  return outcome;
}

/// Takes the thread's GPU error; "" if there is none.
std::string takeRecordedError() {
  try {
    throwRecordedError();
  } catch (const kiln::detail::RuntimeFailure &failure) {
    return failure.what();
  }
  return "";
}

/// Runs one of the [?, 3] f32 add modules on `rows` rows of a = i, b = 10 i.
Outcome runAdd(kiln_module *module, int64_t rows,
               std::vector<float> *result = nullptr) {
  int64_t dims[] = {rows, 3};
  std::vector<float> a(rows * 3), b(rows * 3);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = float(i);
    b[i] = 10.0f * float(i);
  }
  kiln_tensor *ta = nullptr, *tb = nullptr, *out = nullptr;
  kiln_tensor_wrap(KILN_DTYPE_F32, 2, dims, a.data(), a.size() * 4, &ta,
                   nullptr);
  kiln_tensor_wrap(KILN_DTYPE_F32, 2, dims, b.data(), b.size() * 4, &tb,
                   nullptr);
  const kiln_tensor *inputs[] = {ta, tb};
  kiln_error *error = nullptr;
  Outcome outcome;
  outcome.status = kiln_module_run(module, inputs, 2, &out, 1, &error);
  outcome.message = kiln_error_message(error);
  kiln_error_free(error);
  if (outcome.status == KILN_STATUS_OK && result) {
    const float *data = static_cast<const float *>(kiln_tensor_data(out));
    result->assign(data, data + kiln_tensor_num_elements(out));
  }
  if (outcome.status != KILN_STATUS_OK) {
    EXPECT_EQ(out, nullptr);
  }
  kiln_tensor_destroy(out);
  kiln_tensor_destroy(ta);
  kiln_tensor_destroy(tb);
  return outcome;
}

class CudaDeviceTest : public ::testing::Test {
protected:
  void SetUp() override {
    const char *driver = std::getenv("KILN_CUDA_DRIVER");
    hadDriver = driver != nullptr;
    if (driver)
      savedDriver = driver;
    char pattern[] = "/tmp/kiln-cuda-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    scratch = pattern;
    resetDeviceForTesting();
    clearRecordedError();
  }

  void TearDown() override {
    for (kiln_module *module : modules)
      kiln_module_unload(module);
    resetDeviceForTesting();
    clearRecordedError();
    if (hadDriver)
      setenv("KILN_CUDA_DRIVER", savedDriver.c_str(), 1);
    else
      unsetenv("KILN_CUDA_DRIVER");
    for (const std::string &file : copies)
      unlink(file.c_str());
    rmdir(scratch.c_str());
  }

  /// Makes the next initialisation open `path`.
  void useDriver(const std::string &path) {
    setenv("KILN_CUDA_DRIVER", path.c_str(), 1);
  }

  /// The counters of the fake driver the device opened.
  FakeDriverCounters &counters() {
    void *library = dlopen(testLibrary("kiln_fake_cuda_driver").c_str(),
                           RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(library, nullptr) << "the fake driver is not loaded";
    auto *counters = static_cast<FakeDriverCounters *>(
        dlsym(library, "fake_driver_counters"));
    dlclose(library);
    return *counters;
  }

  long &memoryLimit() {
    void *library = dlopen(testLibrary("kiln_fake_cuda_driver").c_str(),
                           RTLD_NOW | RTLD_NOLOAD);
    auto *limit =
        static_cast<long *>(dlsym(library, "fake_driver_memory_limit"));
    dlclose(library);
    return *limit;
  }

  /// Loads a fresh copy of test module `name`: the test libraries are
  /// never unloaded (-z nodelete), and a CUDA module's constructor must run
  /// again for each test.
  Outcome load(const std::string &name, kiln_module **module) {
    std::string copy =
        scratch + "/" + name + std::to_string(copies.size()) + ".so";
    {
      std::ifstream in(testLibrary(name), std::ios::binary);
      std::ofstream out(copy, std::ios::binary);
      out << in.rdbuf();
    }
    copies.push_back(copy);
    kiln_error *error = nullptr;
    Outcome outcome;
    outcome.status = kiln_module_load(copy.c_str(), module, &error);
    outcome.message = kiln_error_message(error);
    kiln_error_free(error);
    if (*module)
      modules.push_back(*module);
    return outcome;
  }

  bool hadDriver = false;
  std::string savedDriver;
  std::string scratch;
  std::vector<std::string> copies;
  std::vector<kiln_module *> modules;
};

//===----------------------------------------------------------------------===//
// No device
//===----------------------------------------------------------------------===//

// Without a driver library the device is unavailable, with the dlopen error.
TEST_F(CudaDeviceTest, NoDriverMeansNoDevice) {
  useDriver("/nonexistent/libcuda.so.1");
  Outcome first = cudaAvailability();
  EXPECT_EQ(first.status, KILN_STATUS_NO_DEVICE);
  EXPECT_EQ(first.message.rfind("no CUDA device (cannot load the CUDA driver "
                                "'/nonexistent/libcuda.so.1': ",
                                0),
            0u)
      << first.message;
  // The failure is remembered, not retried.
  Outcome second = cudaAvailability();
  EXPECT_EQ(second.status, KILN_STATUS_NO_DEVICE);
  EXPECT_EQ(second.message, first.message);
  EXPECT_STREQ(kiln_status_name(KILN_STATUS_NO_DEVICE), "no device");
  EXPECT_STREQ(kiln_status_name(KILN_STATUS_DEVICE_ERROR), "device error");
}

// The CPU is always there; an unknown device is an invalid argument.
TEST_F(CudaDeviceTest, CpuIsAlwaysAvailable) {
  useDriver("/nonexistent/libcuda.so.1");
  EXPECT_EQ(kiln_device_available(KILN_DEVICE_CPU, nullptr), KILN_STATUS_OK);
  EXPECT_STREQ(kiln_device_name(KILN_DEVICE_CPU), "cpu");
  EXPECT_STREQ(kiln_device_name(KILN_DEVICE_CUDA), "cuda");
  EXPECT_EQ(kiln_device_name(static_cast<kiln_device>(7)), nullptr);
  kiln_error *error = nullptr;
  EXPECT_EQ(kiln_device_available(static_cast<kiln_device>(7), &error),
            KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_error_message(error), "invalid device 7");
  kiln_error_free(error);
}

// cuInit's failure is reported with the driver's error name and text.
TEST_F(CudaDeviceTest, FailedInitNamesTheDriverError) {
  useDriver(testLibrary("kiln_fake_cuda_driver_init_fails"));
  Outcome outcome = cudaAvailability();
  EXPECT_EQ(outcome.status, KILN_STATUS_NO_DEVICE);
  EXPECT_EQ(outcome.message, "no CUDA device (cuInit failed: "
                             "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is "
                             "detected))");
}

// A driver that works but sees no GPU.
TEST_F(CudaDeviceTest, ZeroDevices) {
  std::string driver = testLibrary("kiln_fake_cuda_driver_no_devices");
  useDriver(driver);
  Outcome outcome = cudaAvailability();
  EXPECT_EQ(outcome.status, KILN_STATUS_NO_DEVICE);
  EXPECT_EQ(outcome.message, "no CUDA device (the CUDA driver '" + driver +
                                 "' reports 0 devices)");
}

// A driver without functions the runtime needs is named with what it lacks.
TEST_F(CudaDeviceTest, IncompleteDriver) {
  useDriver(testLibrary("kiln_fake_cuda_driver_incomplete"));
  Outcome outcome = cudaAvailability();
  EXPECT_EQ(outcome.status, KILN_STATUS_NO_DEVICE);
  EXPECT_NE(outcome.message.find("lacks cuMemAlloc_v2, cuLaunchKernel"),
            std::string::npos)
      << outcome.message;
}

// Without a device every mgpu* call returns (NULL where it returns a
// pointer) without crashing, and the first failure is the one kept.
TEST_F(CudaDeviceTest, MgpuCallsWithoutDeviceRecordTheFirstError) {
  useDriver("/nonexistent/libcuda.so.1");
  EXPECT_EQ(mgpuModuleLoad(const_cast<char *>("FAKE"), 4), nullptr);
  ASSERT_TRUE(hasRecordedError());
  std::string message = takeRecordedError();
  EXPECT_EQ(message.rfind("no CUDA device (cannot load the CUDA driver", 0), 0u)
      << message;
  EXPECT_FALSE(hasRecordedError());

  // A different first failure, then everything else.
  mgpuSetDefaultDevice(1);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(mgpuEventCreate(), nullptr);
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, 0), nullptr);
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, 1), nullptr);
  EXPECT_EQ(mgpuModuleLoadJIT(const_cast<char *>("FAKE"), 2), nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(nullptr, "fake_add"), nullptr);
  float host[4] = {};
  int64_t descriptor[] = {reinterpret_cast<int64_t>(host),
                          reinterpret_cast<int64_t>(host), 0, 4, 1};
  mgpuMemcpy(host, host + 2, 8, nullptr);
  mgpuMemset32(host, 0, 4, nullptr);
  mgpuMemset16(host, 0, 4, nullptr);
  mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  mgpuLaunchClusterKernel(nullptr, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, nullptr,
                          nullptr, nullptr);
  mgpuStreamWaitEvent(nullptr, nullptr);
  mgpuStreamSynchronize(nullptr);
  mgpuEventRecord(nullptr, nullptr);
  mgpuEventSynchronize(nullptr);
  mgpuMemHostRegisterMemRef(1, descriptor, 4);
  mgpuMemHostUnregisterMemRef(1, descriptor, 4);
  mgpuMemFree(host, nullptr);
  mgpuStreamDestroy(host);
  mgpuEventDestroy(host);
  mgpuModuleUnload(host);
  EXPECT_EQ(takeRecordedError(), "the module selects CUDA device 1; Kiln's "
                                 "runtime drives device 0 only");

  // Without an earlier failure, a call that needs the device reports it.
  EXPECT_EQ(mgpuEventCreate(), nullptr);
  EXPECT_NE(takeRecordedError().find("no CUDA device"), std::string::npos);
}

// A CUDA module cannot load without a device; CPU modules still run.
TEST_F(CudaDeviceTest, CudaModuleWithoutDeviceAndCpuAfterwards) {
  useDriver("/nonexistent/libcuda.so.1");
  kiln_module *gpu = nullptr;
  Outcome outcome = load("kiln_fake_cuda_add", &gpu);
  EXPECT_EQ(outcome.status, KILN_STATUS_NO_DEVICE);
  EXPECT_EQ(gpu, nullptr);
  EXPECT_NE(outcome.message.find("kiln_fake_cuda_add0.so': no CUDA device "
                                 "(cannot load the CUDA driver"),
            std::string::npos)
      << outcome.message;
  EXPECT_FALSE(hasRecordedError());

  kiln_module *cpu = nullptr;
  ASSERT_EQ(load("kiln_fake_add", &cpu).status, KILN_STATUS_OK);
  EXPECT_EQ(kiln_module_device(cpu), KILN_DEVICE_CPU);
  std::vector<float> y;
  Outcome run = runAdd(cpu, 2, &y);
  ASSERT_EQ(run.status, KILN_STATUS_OK) << run.message;
  EXPECT_EQ(y, (std::vector<float>{0, 11, 22, 33, 44, 55}));
}

// A kiln_target the runtime does not know is refused.
TEST_F(CudaDeviceTest, UnknownTarget) {
  kiln_module *module = nullptr;
  Outcome outcome = load("kiln_fake_bad_target", &module);
  EXPECT_EQ(outcome.status, KILN_STATUS_INVALID_MODULE);
  EXPECT_NE(outcome.message.find("has kiln_target 'tpu'; this runtime knows "
                                 "'cpu' and 'cuda'"),
            std::string::npos)
      << outcome.message;
}

//===----------------------------------------------------------------------===//
// The fake device
//===----------------------------------------------------------------------===//

// Initialisation from many threads at once gives one device.
TEST_F(CudaDeviceTest, InitialisesOnceAcrossThreads) {
  useDriver(testLibrary("kiln_fake_cuda_driver"));
  std::vector<std::thread> threads;
  std::vector<Device *> seen(8, nullptr);
  for (size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] {
      if (kiln_device_available(KILN_DEVICE_CUDA, nullptr) == KILN_STATUS_OK)
        seen[i] = Device::ifInitialized();
    });
  for (std::thread &thread : threads)
    thread.join();
  ASSERT_NE(seen[0], nullptr);
  for (Device *device : seen)
    EXPECT_EQ(device, seen[0]);
  EXPECT_EQ(seen[0]->name(), "Kiln fake GPU");
}

// A CUDA module runs end to end; a second run reuses the first's memory and
// stream.
TEST_F(CudaDeviceTest, CudaModuleRunsAndReusesThePools) {
  useDriver(testLibrary("kiln_fake_cuda_driver"));
  ASSERT_EQ(cudaAvailability().status, KILN_STATUS_OK);
  FakeDriverCounters before = counters();
  kiln_module *module = nullptr;
  Outcome loaded = load("kiln_fake_cuda_add", &module);
  ASSERT_EQ(loaded.status, KILN_STATUS_OK) << loaded.message;
  EXPECT_EQ(kiln_module_device(module), KILN_DEVICE_CUDA);
  EXPECT_EQ(counters().modulesLoaded, before.modulesLoaded + 1);

  std::vector<float> y;
  Outcome first = runAdd(module, 2, &y);
  ASSERT_EQ(first.status, KILN_STATUS_OK) << first.message;
  EXPECT_EQ(y, (std::vector<float>{0, 11, 22, 33, 44, 55}));
  FakeDriverCounters afterFirst = counters();
  EXPECT_EQ(afterFirst.launches, before.launches + 2);
  // Three buffers from the pool and the weight's device copy.
  EXPECT_EQ(afterFirst.memAllocs, before.memAllocs + 4);
  EXPECT_EQ(afterFirst.streamsCreated, before.streamsCreated + 1);

  Outcome second = runAdd(module, 2, &y);
  ASSERT_EQ(second.status, KILN_STATUS_OK) << second.message;
  EXPECT_EQ(y, (std::vector<float>{0, 11, 22, 33, 44, 55}));
  FakeDriverCounters afterSecond = counters();
  EXPECT_EQ(afterSecond.launches, before.launches + 4);
  EXPECT_EQ(afterSecond.memAllocs, afterFirst.memAllocs);
  EXPECT_EQ(afterSecond.streamsCreated, afterFirst.streamsCreated);
  Device::PoolStats stats = Device::ifInitialized()->poolStats();
  EXPECT_EQ(stats.driverAllocations, 3u);
  EXPECT_EQ(stats.reuses, 3u);
  EXPECT_EQ(stats.liveBlocks, 0u);
  EXPECT_EQ(stats.cachedBlocks, 3u);

  // Released with the device, as at exit.
  resetDeviceForTesting();
  EXPECT_EQ(counters().liveBytes, before.liveBytes);
  EXPECT_EQ(counters().streamsDestroyed, counters().streamsCreated);
}

// A module's weight is uploaded by its first run only; another module (a
// second copy of the library, so other host addresses) has its own copy;
// unloading a module frees its copies and leaves the other's alone.
TEST_F(CudaDeviceTest, WeightsStayOnTheDeviceAcrossRuns) {
  useDriver(testLibrary("kiln_fake_cuda_driver"));
  ASSERT_EQ(cudaAvailability().status, KILN_STATUS_OK);
  FakeDriverCounters before = counters();
  kiln_module *first = nullptr, *second = nullptr;
  ASSERT_EQ(load("kiln_fake_cuda_add", &first).status, KILN_STATUS_OK);
  ASSERT_EQ(load("kiln_fake_cuda_add", &second).status, KILN_STATUS_OK);
  // Loading uploads nothing: the first run does.
  EXPECT_EQ(counters().copiesToDevice, before.copiesToDevice);
  EXPECT_EQ(Device::ifInitialized()->constantStats().buffers, 0u);

  std::vector<float> y;
  for (int run = 0; run < 3; ++run) {
    Outcome outcome = runAdd(first, 2, &y);
    ASSERT_EQ(outcome.status, KILN_STATUS_OK) << outcome.message;
    EXPECT_EQ(y, (std::vector<float>{0, 11, 22, 33, 44, 55}));
    EXPECT_EQ(counters().copiesToDevice, before.copiesToDevice + 1);
    EXPECT_EQ(counters().bytesToDevice, before.bytesToDevice + 12);
  }
  Device::ConstantStats stats = Device::ifInitialized()->constantStats();
  EXPECT_EQ(stats.owners, 1u);
  EXPECT_EQ(stats.buffers, 1u);
  EXPECT_EQ(stats.bytes, 12u);
  EXPECT_EQ(stats.uploads, 1u);

  Outcome other = runAdd(second, 1, &y);
  ASSERT_EQ(other.status, KILN_STATUS_OK) << other.message;
  EXPECT_EQ(y, (std::vector<float>{0, 11, 22}));
  EXPECT_EQ(counters().copiesToDevice, before.copiesToDevice + 2);
  stats = Device::ifInitialized()->constantStats();
  EXPECT_EQ(stats.owners, 2u);
  EXPECT_EQ(stats.buffers, 2u);

  // Unloading the first frees its copy (the pool's blocks stay cached).
  FakeDriverCounters beforeUnload = counters();
  kiln_module_unload(first);
  modules.erase(std::find(modules.begin(), modules.end(), first));
  EXPECT_EQ(counters().memFrees, beforeUnload.memFrees + 1);
  EXPECT_EQ(counters().liveBytes, beforeUnload.liveBytes - 12);
  stats = Device::ifInitialized()->constantStats();
  EXPECT_EQ(stats.owners, 1u);
  EXPECT_EQ(stats.bytes, 12u);

  // The second still runs on its own copy, without uploading again.
  other = runAdd(second, 2, &y);
  ASSERT_EQ(other.status, KILN_STATUS_OK) << other.message;
  EXPECT_EQ(y, (std::vector<float>{0, 11, 22, 33, 44, 55}));
  EXPECT_EQ(counters().copiesToDevice, before.copiesToDevice + 2);

  // Everything is released with the device, as at exit.
  resetDeviceForTesting();
  EXPECT_EQ(counters().liveBytes, before.liveBytes);
}

// kilnCudaConstant called outside a run (a program calling a module's entry
// itself) caches for the process; sizes must agree; NULL is refused.
TEST_F(CudaDeviceTest, ConstantsOutsideARun) {
  useDriver(testLibrary("kiln_fake_cuda_driver"));
  static const float weight[4] = {1, 2, 3, 4};
  void *copy = kilnCudaConstant(const_cast<float *>(weight), sizeof(weight));
  ASSERT_NE(copy, nullptr) << takeRecordedError();
  EXPECT_NE(copy, static_cast<const void *>(weight));
  // The fake device's memory is host memory: the copy can be read back.
  EXPECT_EQ(std::memcmp(copy, weight, sizeof(weight)), 0);
  long uploads = counters().copiesToDevice;
  EXPECT_EQ(kilnCudaConstant(const_cast<float *>(weight), sizeof(weight)),
            copy);
  EXPECT_EQ(counters().copiesToDevice, uploads);
  EXPECT_FALSE(hasRecordedError());

  EXPECT_EQ(kilnCudaConstant(const_cast<float *>(weight), 8), nullptr);
  std::string message = takeRecordedError();
  EXPECT_NE(message.find("was requested with 8 bytes, first with 16"),
            std::string::npos)
      << message;
  EXPECT_EQ(kilnCudaConstant(nullptr, 16), nullptr);
  EXPECT_EQ(takeRecordedError(),
            "kilnCudaConstant of a NULL host pointer (16 bytes)");
  EXPECT_EQ(kilnCudaConstant(const_cast<float *>(weight), 0), nullptr);
  EXPECT_FALSE(hasRecordedError());

  // A device that cannot hold it reports the allocation.
  static const float big[1024] = {};
  memoryLimit() = 1024;
  EXPECT_EQ(kilnCudaConstant(const_cast<float *>(big), sizeof(big)), nullptr);
  EXPECT_EQ(takeRecordedError(),
            "CUDA call cuMemAlloc failed (allocating 4096 bytes for a "
            "constant): CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  memoryLimit() = 0;
  EXPECT_EQ(Device::ifInitialized()->constantStats().buffers, 1u);
}

// A failed driver call fails the run with the call, the driver's error name
// and text; the error is cleared, and the next run works.
TEST_F(CudaDeviceTest, DeviceErrorFailsTheRun) {
  useDriver(testLibrary("kiln_fake_cuda_driver"));
  kiln_module *module = nullptr;
  ASSERT_EQ(load("kiln_fake_cuda_add", &module).status, KILN_STATUS_OK);
  // 400 rows: 1200 threads in a block, more than the device allows.
  Outcome failed = runAdd(module, 400);
  EXPECT_EQ(failed.status, KILN_STATUS_DEVICE_ERROR);
  EXPECT_EQ(failed.message, "CUDA call cuLaunchKernel failed: "
                            "CUDA_ERROR_INVALID_VALUE (invalid argument)");
  EXPECT_FALSE(hasRecordedError());
  EXPECT_EQ(Device::ifInitialized()->poolStats().liveBlocks, 0u);

  std::vector<float> y;
  Outcome next = runAdd(module, 1, &y);
  ASSERT_EQ(next.status, KILN_STATUS_OK) << next.message;
  EXPECT_EQ(y, (std::vector<float>{0, 11, 22}));
}

// mgpu* outside a run: copies, memsets, streams, registration, and the
// driver's errors with their names.
TEST_F(CudaDeviceTest, MgpuCallsOnTheFakeDevice) {
  useDriver(testLibrary("kiln_fake_cuda_driver"));
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr) << takeRecordedError();
  auto *device = static_cast<uint32_t *>(mgpuMemAlloc(16, stream, 0));
  ASSERT_NE(device, nullptr);
  mgpuMemset32(device, 0x01020304u, 4, stream);
  mgpuMemset16(device, 0xabcd, 2, stream);
  uint32_t host[4] = {};
  mgpuMemcpy(host, device, sizeof(host), stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(host[0], 0xabcdabcdu);
  EXPECT_EQ(host[1], 0x01020304u);
  EXPECT_EQ(host[3], 0x01020304u);
  mgpuMemFree(device, stream);
  EXPECT_EQ(Device::ifInitialized()->poolStats().cachedBlocks, 1u);
  // The same bucket comes back.
  EXPECT_EQ(mgpuMemAlloc(100, stream, 0), device);
  mgpuMemFree(device, stream);
  void *managed = mgpuMemAlloc(8, nullptr, 1);
  EXPECT_NE(managed, nullptr);
  mgpuMemFree(managed, nullptr);
  EXPECT_EQ(mgpuMemAlloc(0, stream, 0), nullptr);

  void *event = mgpuEventCreate();
  mgpuEventRecord(event, stream);
  mgpuStreamWaitEvent(stream, event);
  mgpuEventSynchronize(event);
  mgpuEventDestroy(event);

  float values[6] = {};
  int64_t descriptor[] = {reinterpret_cast<int64_t>(values),
                          reinterpret_cast<int64_t>(values),
                          0,
                          2,
                          3,
                          3,
                          1};
  mgpuMemHostRegisterMemRef(2, descriptor, 4);
  EXPECT_EQ(counters().hostRegistered, 1);
  mgpuMemHostUnregisterMemRef(2, descriptor, 4);
  EXPECT_EQ(counters().hostRegistered, 0);
  long destroyed = counters().streamsDestroyed;
  mgpuStreamDestroy(stream);
  EXPECT_EQ(counters().streamsDestroyed, destroyed + 1);
  EXPECT_FALSE(hasRecordedError()) << takeRecordedError();

  // Errors: the driver's, then Kiln's own.
  EXPECT_EQ(mgpuModuleLoadJIT(const_cast<char *>(".version 8.0"), 2), nullptr);
  EXPECT_EQ(takeRecordedError(),
            "CUDA call cuModuleLoadDataEx failed (JIT-compiling PTX): "
            "CUDA_ERROR_INVALID_IMAGE (device kernel image is invalid)");
  void *module = mgpuModuleLoad(const_cast<char *>("FAKE cubin"), 10);
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(module, "nope"), nullptr);
  EXPECT_EQ(takeRecordedError(),
            "CUDA call cuModuleGetFunction failed (kernel 'nope'): "
            "CUDA_ERROR_NOT_FOUND (named symbol not found)");
  void *kernel = mgpuModuleGetFunction(module, "fake_add");
  ASSERT_NE(kernel, nullptr);
  mgpuLaunchClusterKernel(kernel, 2, 1, 1, 2, 1, 1, 1, 1, 1, 0, nullptr,
                          nullptr, nullptr);
  EXPECT_NE(takeRecordedError().find("lacks cuLaunchKernelEx"),
            std::string::npos);
  mgpuLaunchKernel(kernel, 0, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  EXPECT_EQ(takeRecordedError(), "kernel launch with grid x 0 (must be from 1 "
                                 "to 4294967295)");
  mgpuModuleUnload(module);
  EXPECT_FALSE(hasRecordedError());
}

// Out of memory: the pool frees its cache and retries once, then reports.
TEST_F(CudaDeviceTest, OutOfMemory) {
  useDriver(testLibrary("kiln_fake_cuda_driver"));
  ASSERT_EQ(cudaAvailability().status, KILN_STATUS_OK);
  memoryLimit() = 5 << 19; // 2.5 MiB
  void *cached = mgpuMemAlloc(2 << 20, nullptr, 0);
  ASSERT_NE(cached, nullptr);
  mgpuMemFree(cached, nullptr);
  // 2 MiB cached and 1 MiB more do not fit without freeing the cache.
  void *other = mgpuMemAlloc(1 << 20, nullptr, 0);
  EXPECT_NE(other, nullptr) << takeRecordedError();
  EXPECT_EQ(Device::ifInitialized()->poolStats().cachedBlocks, 0u);
  EXPECT_EQ(mgpuMemAlloc(4 << 20, nullptr, 0), nullptr);
  EXPECT_EQ(takeRecordedError(),
            "CUDA call cuMemAlloc failed (allocating 4194304 bytes for a "
            "request of 4194304): CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  mgpuMemFree(other, nullptr);
  memoryLimit() = 0;
}

// The pool's buckets.
TEST(CudaPoolTest, BucketSizes) {
  EXPECT_EQ(Device::bucketSize(1), 512u);
  EXPECT_EQ(Device::bucketSize(512), 512u);
  EXPECT_EQ(Device::bucketSize(513), 1024u);
  EXPECT_EQ(Device::bucketSize(size_t(1) << 20), size_t(1) << 20);
  EXPECT_EQ(Device::bucketSize((size_t(1) << 20) + 1), size_t(2) << 20);
  EXPECT_EQ(Device::bucketSize(size_t(5) << 20), size_t(6) << 20);
}

//===----------------------------------------------------------------------===//
// A real GPU
//===----------------------------------------------------------------------===//

/// `y[threadIdx.x] += 1` on f32, as MLIR 22 lowers it for sm_70 (checked
/// with ptxas).
const char addOnePtx[] = R"(.version 6.0
.target sm_70
.address_size 64
.visible .entry kiln_test_add_one(.param .u64 .ptr .align 1 buffer)
{
  .reg .b32 %r<4>;
  .reg .b64 %rd<5>;
  ld.param.b64 %rd1, [buffer];
  cvta.to.global.u64 %rd2, %rd1;
  mov.u32 %r1, %tid.x;
  mul.wide.u32 %rd3, %r1, 4;
  add.s64 %rd4, %rd2, %rd3;
  ld.global.b32 %r2, [%rd4];
  add.rn.f32 %r3, %r2, 0f3F800000;
  st.global.b32 [%rd4], %r3;
  ret;
}
)";

// JIT-compiles and runs a kernel on the machine's GPU: skipped without one.
TEST_F(CudaDeviceTest, RealGpu) {
  unsetenv("KILN_CUDA_DRIVER");
  Outcome availability = cudaAvailability();
  if (availability.status != KILN_STATUS_OK)
    GTEST_SKIP() << "needs a CUDA GPU: " << availability.message;
  void *module = mgpuModuleLoadJIT(const_cast<char *>(addOnePtx), 2);
  ASSERT_NE(module, nullptr) << takeRecordedError();
  void *kernel = mgpuModuleGetFunction(module, "kiln_test_add_one");
  ASSERT_NE(kernel, nullptr) << takeRecordedError();
  std::vector<float> host(256);
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = float(i);
  size_t bytes = host.size() * sizeof(float);
  void *stream = mgpuStreamCreate();
  void *buffer = mgpuMemAlloc(bytes, stream, 0);
  mgpuMemcpy(buffer, host.data(), bytes, stream);
  void *params[] = {&buffer};
  mgpuLaunchKernel(kernel, 1, 1, 1, 256, 1, 1, 0, stream, params, nullptr, 1);
  mgpuMemcpy(host.data(), buffer, bytes, stream);
  mgpuStreamSynchronize(stream);
  mgpuMemFree(buffer, stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
  ASSERT_FALSE(hasRecordedError()) << takeRecordedError();
  for (size_t i = 0; i < host.size(); ++i)
    EXPECT_EQ(host[i], float(i) + 1.0f) << "at " << i;
}

} // namespace
