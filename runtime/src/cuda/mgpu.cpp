//===- mgpu.cpp - The mgpu* entry points of compiled CUDA modules ---------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The functions MLIR 22's gpu-to-llvm lowering and gpu.binary translation
// make a module's host code call (kiln_mgpu.h), on Kiln's device
// (device.h). None can return a status, so a failure is recorded as the
// thread's GPU error and the runtime reports it when the module's entry (or
// its load) returns. After the first failure on a thread, calls that would
// queue work do nothing, so one failure (a missing device, an allocation
// that ran out of memory) never turns into a kernel reading a NULL buffer;
// calls that release things still do.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_mgpu.h"

#include "device.h"

#include "../support.h"

#include <climits>
#include <new>
#include <string>

using kiln::detail::RuntimeFailure;
using namespace kiln::cuda;

namespace {

/// Runs `body`; a failure becomes the thread's GPU error and `fallback` is
/// returned.
template <typename T, typename Body>
T guarded(T fallback, Body &&body) noexcept {
  try {
    return body();
  } catch (const RuntimeFailure &failure) {
    recordError(failure.status, failure.what());
  } catch (const std::bad_alloc &) {
    recordError(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    recordError(KILN_STATUS_DEVICE_ERROR, e.what());
  } catch (...) {
    recordError(KILN_STATUS_DEVICE_ERROR, "unknown failure in a GPU call");
  }
  return fallback;
}

template <typename Body> void guardedVoid(Body &&body) noexcept {
  guarded(0, [&] {
    body();
    return 0;
  });
}

/// Runs `body` with the device's context current, if the device was ever
/// initialized; calls that only release or wait have nothing to do before.
template <typename Body> void onInitializedDevice(Body &&body) noexcept {
  Device *d = Device::ifInitialized();
  if (!d)
    return;
  guardedVoid([&] {
    d->makeCurrent();
    body(*d);
  });
}

/// The device with its context current on this thread.
Device &device() {
  Device &device = Device::get();
  device.makeCurrent();
  return device;
}

[[noreturn]] void invalid(const std::string &message) {
  throw RuntimeFailure(KILN_STATUS_DEVICE_ERROR, message);
}

CUstream asStream(void *stream) { return static_cast<CUstream>(stream); }

CUdeviceptr asAddress(const void *pointer) {
  return reinterpret_cast<CUdeviceptr>(pointer);
}

/// Waits for `stream`, or for the whole context for the NULL stream.
void waitFor(Device &device, CUstream stream) {
  if (stream)
    device.check(device.driver().cuStreamSynchronize(stream),
                 "cuStreamSynchronize");
  else
    device.check(device.driver().cuCtxSynchronize(), "cuCtxSynchronize");
}

/// A launch dimension as the driver takes it.
unsigned dimension(intptr_t value, const char *what) {
  if (value < 1 || static_cast<uintmax_t>(value) > UINT_MAX)
    invalid(std::string("kernel launch with ") + what + " " +
            std::to_string(value) + " (must be from 1 to " +
            std::to_string(UINT_MAX) + ")");
  return static_cast<unsigned>(value);
}

/// Lets `function` use `smem` bytes of dynamic shared memory: past the
/// default 48 KiB, the kernel must opt in.
void allowSharedMemory(Device &device, CUfunction function, int32_t smem) {
  if (smem < 0)
    invalid("kernel launch with " + std::to_string(smem) +
            " bytes of shared memory");
  if (smem > 48 * 1024)
    device.check(
        device.driver().cuFuncSetAttribute(
            function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
        "cuFuncSetAttribute",
        std::to_string(smem) + " bytes of dynamic shared memory");
}

/// The bytes a ranked memref descriptor's elements span, from its aligned
/// pointer plus offset; 0 for an empty memref.
size_t spannedBytes(int64_t rank, const int64_t *words, int64_t elementSize) {
  int64_t last = 0;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = words[3 + d], stride = words[3 + rank + d];
    if (size <= 0)
      return 0;
    last += (size - 1) * (stride < 0 ? -stride : stride);
  }
  return static_cast<size_t>((last + 1) * elementSize);
}

/// The start of a ranked memref descriptor's elements.
void *memrefData(const int64_t *words, int64_t elementSize) {
  return reinterpret_cast<char *>(words[1]) + words[2] * elementSize;
}

} // namespace

extern "C" {

void *mgpuModuleLoad(void *data, size_t size) {
  if (hasRecordedError())
    return nullptr;
  return guarded<void *>(nullptr, [&] {
    Device &d = device();
    CUmodule module = nullptr;
    d.check(d.driver().cuModuleLoadData(&module, data), "cuModuleLoadData",
            "loading a GPU binary of " + std::to_string(size) + " bytes");
    return static_cast<void *>(module);
  });
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (hasRecordedError())
    return nullptr;
  return guarded<void *>(nullptr, [&] {
    Device &d = device();
    char log[4096] = {};
    int options[] = {CU_JIT_OPTIMIZATION_LEVEL, CU_JIT_ERROR_LOG_BUFFER,
                     CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {reinterpret_cast<void *>(
                          static_cast<intptr_t>(optLevel < 0   ? 0
                                                : optLevel > 4 ? 4
                                                               : optLevel)),
                      log, reinterpret_cast<void *>(sizeof(log) - 1)};
    CUmodule module = nullptr;
    CUresult result =
        d.driver().cuModuleLoadDataEx(&module, data, 3, options, values);
    d.check(result, "cuModuleLoadDataEx",
            std::string("JIT-compiling PTX") + (log[0] ? ": " : "") + log);
    return static_cast<void *>(module);
  });
}

void mgpuModuleUnload(void *module) {
  if (!module)
    return;
  onInitializedDevice([&](Device &d) {
    d.check(d.driver().cuModuleUnload(static_cast<CUmodule>(module)),
            "cuModuleUnload");
  });
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (hasRecordedError())
    return nullptr;
  return guarded<void *>(nullptr, [&] {
    Device &d = device();
    std::string kernel = name ? name : "(null)";
    if (!module)
      invalid("GPU kernel '" + kernel +
              "' requested from a module that is not loaded");
    CUfunction function = nullptr;
    d.check(d.driver().cuModuleGetFunction(&function,
                                           static_cast<CUmodule>(module), name),
            "cuModuleGetFunction", "kernel '" + kernel + "'");
    return static_cast<void *>(function);
  });
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount) {
  (void)paramsCount; // The driver takes the count from the kernel.
  if (hasRecordedError())
    return;
  guardedVoid([&] {
    Device &d = device();
    if (!function)
      invalid("launch of a GPU kernel that was not found");
    auto kernel = static_cast<CUfunction>(function);
    allowSharedMemory(d, kernel, smem);
    d.check(d.driver().cuLaunchKernel(
                kernel, dimension(gridX, "grid x"), dimension(gridY, "grid y"),
                dimension(gridZ, "grid z"), dimension(blockX, "block x"),
                dimension(blockY, "block y"), dimension(blockZ, "block z"),
                static_cast<unsigned>(smem), asStream(stream), params, extra),
            "cuLaunchKernel");
  });
}

void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                             intptr_t clusterY, intptr_t clusterZ,
                             intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                             intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                             int32_t smem, void *stream, void **params,
                             void **extra) {
  if (hasRecordedError())
    return;
  guardedVoid([&] {
    Device &d = device();
    if (!function)
      invalid("launch of a GPU kernel that was not found");
    if (!d.driver().cuLaunchKernelEx)
      invalid("the CUDA driver '" + d.driver().path +
              "' lacks cuLaunchKernelEx, needed for thread-block clusters");
    auto kernel = static_cast<CUfunction>(function);
    allowSharedMemory(d, kernel, smem);
    CUlaunchAttribute cluster = {};
    cluster.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    cluster.value.clusterDim.x = dimension(clusterX, "cluster x");
    cluster.value.clusterDim.y = dimension(clusterY, "cluster y");
    cluster.value.clusterDim.z = dimension(clusterZ, "cluster z");
    // Clusters of more than 8 blocks are allowed on some devices only, and
    // only by the kernel's consent.
    if (uint64_t(cluster.value.clusterDim.x) * cluster.value.clusterDim.y *
            cluster.value.clusterDim.z >
        8)
      d.check(
          d.driver().cuFuncSetAttribute(
              kernel, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1),
          "cuFuncSetAttribute", "a non-portable cluster size");
    CUlaunchConfig config = {};
    config.gridDimX = dimension(gridX, "grid x");
    config.gridDimY = dimension(gridY, "grid y");
    config.gridDimZ = dimension(gridZ, "grid z");
    config.blockDimX = dimension(blockX, "block x");
    config.blockDimY = dimension(blockY, "block y");
    config.blockDimZ = dimension(blockZ, "block z");
    config.sharedMemBytes = static_cast<unsigned>(smem);
    config.hStream = asStream(stream);
    config.attrs = &cluster;
    config.numAttrs = 1;
    d.check(d.driver().cuLaunchKernelEx(&config, kernel, params, extra),
            "cuLaunchKernelEx");
  });
}

void *mgpuStreamCreate(void) {
  if (hasRecordedError())
    return nullptr;
  return guarded<void *>(nullptr, [&]() -> void * {
    Device &d = device();
    if (RunScope *run = RunScope::current())
      return run->stream();
    CUstream stream = nullptr;
    d.check(d.driver().cuStreamCreate(&stream, 0), "cuStreamCreate");
    return stream;
  });
}

void mgpuStreamDestroy(void *stream) {
  Device *d = Device::ifInitialized();
  RunScope *run = RunScope::current();
  if (!stream || !d || (run && run->owns(asStream(stream))))
    return;
  guardedVoid([&] {
    d->makeCurrent();
    d->check(d->driver().cuStreamDestroy(asStream(stream)), "cuStreamDestroy");
  });
}

void mgpuStreamSynchronize(void *stream) {
  onInitializedDevice([&](Device &d) {
    d.check(d.driver().cuStreamSynchronize(asStream(stream)),
            "cuStreamSynchronize");
  });
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (hasRecordedError())
    return;
  guardedVoid([&] {
    Device &d = device();
    d.check(d.driver().cuStreamWaitEvent(asStream(stream),
                                         static_cast<CUevent>(event), 0),
            "cuStreamWaitEvent");
  });
}

void *mgpuEventCreate(void) {
  if (hasRecordedError())
    return nullptr;
  return guarded<void *>(nullptr, [&] {
    Device &d = device();
    CUevent event = nullptr;
    d.check(d.driver().cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
            "cuEventCreate");
    return static_cast<void *>(event);
  });
}

void mgpuEventDestroy(void *event) {
  if (!event)
    return;
  onInitializedDevice([&](Device &d) {
    d.check(d.driver().cuEventDestroy(static_cast<CUevent>(event)),
            "cuEventDestroy");
  });
}

void mgpuEventSynchronize(void *event) {
  if (hasRecordedError())
    return;
  guardedVoid([&] {
    Device &d = device();
    d.check(d.driver().cuEventSynchronize(static_cast<CUevent>(event)),
            "cuEventSynchronize");
  });
}

void mgpuEventRecord(void *event, void *stream) {
  if (hasRecordedError())
    return;
  guardedVoid([&] {
    Device &d = device();
    d.check(
        d.driver().cuEventRecord(static_cast<CUevent>(event), asStream(stream)),
        "cuEventRecord");
  });
}

void *mgpuMemAlloc(uint64_t size, void *stream, uint8_t isHostShared) {
  (void)stream; // Pool blocks are idle; stream order needs no wait.
  if (hasRecordedError() || size == 0)
    return nullptr;
  return guarded<void *>(nullptr, [&] {
    Device &d = device();
    if (size > SIZE_MAX)
      throw std::bad_alloc();
    CUdeviceptr block = 0;
    if (isHostShared)
      block = d.allocateManaged(size);
    else if (RunScope *run = RunScope::current())
      block = run->reuse(size);
    if (!block)
      block = d.allocate(size);
    return reinterpret_cast<void *>(block);
  });
}

void mgpuMemFree(void *ptr, void *stream) {
  Device *d = Device::ifInitialized();
  if (!ptr || !d)
    return;
  guardedVoid([&] {
    d->makeCurrent();
    CUdeviceptr block = asAddress(ptr);
    RunScope *run = RunScope::current();
    bool managed = d->blockSize(block) == 0;
    if (!run || !run->owns(asStream(stream)) || managed) {
      // Another stream, or none: wait for it before the memory is reused.
      // Managed memory goes back to the driver at once, so the run's own
      // stream must be done with it too.
      waitFor(*d, asStream(stream));
    }
    if (d->freeIfManaged(block))
      return;
    size_t bucket = d->blockSize(block);
    if (!bucket)
      invalid("mgpuMemFree of a pointer that mgpuMemAlloc did not return");
    if (run && run->owns(asStream(stream)))
      run->release(block, bucket);
    else
      d->recycle(block);
  });
}

void *kilnCudaConstant(void *hostData, uint64_t bytes) {
  if (hasRecordedError() || bytes == 0)
    return nullptr;
  return guarded<void *>(nullptr, [&] {
    Device &d = device();
    if (!hostData)
      invalid("kilnCudaConstant of a NULL host pointer (" +
              std::to_string(bytes) + " bytes)");
    if (bytes > SIZE_MAX)
      throw std::bad_alloc();
    RunScope *run = RunScope::current();
    CUdeviceptr block = d.constant(run ? run->module() : nullptr, hostData,
                                   static_cast<size_t>(bytes));
    return reinterpret_cast<void *>(block);
  });
}

void mgpuMemcpy(void *dst, void *src, size_t size, void *stream) {
  if (hasRecordedError() || size == 0)
    return;
  guardedVoid([&] {
    Device &d = device();
    d.check(d.driver().cuMemcpyAsync(asAddress(dst), asAddress(src), size,
                                     asStream(stream)),
            "cuMemcpyAsync", "copying " + std::to_string(size) + " bytes");
  });
}

void mgpuMemset32(void *dst, uint32_t value, size_t count, void *stream) {
  if (hasRecordedError() || count == 0)
    return;
  guardedVoid([&] {
    Device &d = device();
    d.check(d.driver().cuMemsetD32Async(asAddress(dst), value, count,
                                        asStream(stream)),
            "cuMemsetD32Async");
  });
}

void mgpuMemset16(void *dst, uint16_t value, size_t count, void *stream) {
  if (hasRecordedError() || count == 0)
    return;
  guardedVoid([&] {
    Device &d = device();
    d.check(d.driver().cuMemsetD16Async(asAddress(dst), value, count,
                                        asStream(stream)),
            "cuMemsetD16Async");
  });
}

void mgpuSetDefaultDevice(int32_t deviceIndex) {
  if (hasRecordedError() || deviceIndex == 0)
    return;
  guardedVoid([&] {
    invalid("the module selects CUDA device " + std::to_string(deviceIndex) +
            "; Kiln's runtime drives device 0 only");
  });
}

void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSize) {
  if (hasRecordedError())
    return;
  guardedVoid([&] {
    auto *words = static_cast<const int64_t *>(descriptor);
    size_t bytes = spannedBytes(rank, words, elementSize);
    if (bytes == 0)
      return;
    Device &d = device();
    d.check(d.driver().cuMemHostRegister(memrefData(words, elementSize), bytes,
                                         CU_MEMHOSTREGISTER_PORTABLE),
            "cuMemHostRegister",
            "page-locking " + std::to_string(bytes) + " bytes");
  });
}

void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSize) {
  Device *d = Device::ifInitialized();
  if (!d)
    return;
  guardedVoid([&] {
    auto *words = static_cast<const int64_t *>(descriptor);
    if (spannedBytes(rank, words, elementSize) == 0)
      return;
    d->makeCurrent();
    d->check(d->driver().cuMemHostUnregister(memrefData(words, elementSize)),
             "cuMemHostUnregister");
  });
}

} // extern "C"
