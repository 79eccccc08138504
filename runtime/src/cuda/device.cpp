//===- device.cpp - Kiln's CUDA device -----------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "device.h"

#include "../support.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

using kiln::detail::RuntimeFailure;

namespace kiln::cuda {

//===----------------------------------------------------------------------===//
// Initialisation and release
//===----------------------------------------------------------------------===//

/// The process's device: created once, released at exit.
struct DeviceRegistry {
  std::mutex mutex;
  std::atomic<Device *> device{nullptr};
  /// The message of a failed initialisation; empty if none.
  std::string failure;
  unsigned generations = 0;
  bool exitHandlerInstalled = false;

  /// Loads the driver and sets up device 0; null and `reason` on failure.
  std::unique_ptr<Device> create(std::string &reason) {
    std::unique_ptr<Driver> driver = openDriver(driverPath(), reason);
    if (!driver)
      return nullptr;
    const Driver &d = *driver;
    CUresult result = d.cuInit(0);
    if (result != CUDA_SUCCESS) {
      reason = "cuInit failed: " + d.describe(result);
      return nullptr;
    }
    int count = 0;
    result = d.cuDeviceGetCount(&count);
    if (result != CUDA_SUCCESS) {
      reason = "cuDeviceGetCount failed: " + d.describe(result);
      return nullptr;
    }
    if (count <= 0) {
      reason = "the CUDA driver '" + d.path + "' reports 0 devices";
      return nullptr;
    }
    std::unique_ptr<Device> device(new Device());
    result = d.cuDeviceGet(&device->device_, 0);
    if (result != CUDA_SUCCESS) {
      reason = "cuDeviceGet(0) failed: " + d.describe(result);
      return nullptr;
    }
    char name[256] = {};
    if (d.cuDeviceGetName(name, sizeof(name) - 1, device->device_) ==
        CUDA_SUCCESS)
      device->name_ = name;
    result = d.cuDevicePrimaryCtxRetain(&device->context_, device->device_);
    if (result != CUDA_SUCCESS) {
      reason = "cuDevicePrimaryCtxRetain failed: " + d.describe(result);
      return nullptr;
    }
    device->driver_ = std::move(driver);
    device->generation_ = ++generations;
    return device;
  }

  /// Releases the device, if any; later calls of ifInitialized() see none.
  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    delete device.exchange(nullptr);
  }
};

namespace {

DeviceRegistry &registry() {
  // Never destroyed: mgpu* calls from the destructors of modules still
  // loaded at exit must find it.
  static DeviceRegistry *instance = new DeviceRegistry();
  return *instance;
}

void releaseAtExit() { registry().release(); }

thread_local unsigned currentGeneration = 0;

} // namespace

Device &Device::get() {
  DeviceRegistry &r = registry();
  if (Device *device = r.device.load(std::memory_order_acquire))
    return *device;
  std::lock_guard<std::mutex> lock(r.mutex);
  if (Device *device = r.device.load(std::memory_order_acquire))
    return *device;
  if (r.failure.empty()) {
    std::string reason;
    std::unique_ptr<Device> device = r.create(reason);
    if (device) {
      if (!r.exitHandlerInstalled) {
        std::atexit(releaseAtExit);
        r.exitHandlerInstalled = true;
      }
      r.device.store(device.release(), std::memory_order_release);
      return *r.device.load(std::memory_order_acquire);
    }
    r.failure = "no CUDA device (" + reason + ")";
  }
  throw RuntimeFailure(KILN_STATUS_NO_DEVICE, r.failure);
}

Device *Device::ifInitialized() {
  return registry().device.load(std::memory_order_acquire);
}

void resetDeviceForTesting() {
  DeviceRegistry &r = registry();
  r.release();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.failure.clear();
}

Device::~Device() {
  // Errors are ignored: at exit the driver may be shutting down already.
  const Driver &d = *driver_;
  d.cuCtxSetCurrent(context_);
  d.cuCtxSynchronize();
  for (CUstream stream : streams_)
    d.cuStreamDestroy(stream);
  for (const auto &block : blocks_)
    d.cuMemFree(block.first);
  for (CUdeviceptr block : managed_)
    d.cuMemFree(block);
  for (const auto &owner : constants_)
    for (const auto &constant : owner.second)
      d.cuMemFree(constant.second.block);
  d.cuDevicePrimaryCtxRelease(device_);
  if (currentGeneration == generation_)
    currentGeneration = 0;
}

void Device::makeCurrent() {
  if (currentGeneration == generation_)
    return;
  check(driver_->cuCtxSetCurrent(context_), "cuCtxSetCurrent");
  currentGeneration = generation_;
}

void Device::check(CUresult result, const char *call,
                   const std::string &what) const {
  if (result == CUDA_SUCCESS)
    return;
  std::string message = std::string("CUDA call ") + call + " failed";
  if (!what.empty())
    message += " (" + what + ")";
  throw RuntimeFailure(KILN_STATUS_DEVICE_ERROR,
                       message + ": " + driver_->describe(result));
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

size_t Device::bucketSize(size_t bytes) {
  constexpr size_t smallest = 512, largePower = size_t(1) << 20,
                   granule = size_t(2) << 20;
  if (bytes <= smallest)
    return smallest;
  if (bytes <= largePower) {
    size_t size = smallest;
    while (size < bytes)
      size *= 2;
    return size;
  }
  if (bytes > SIZE_MAX - granule)
    throw std::bad_alloc();
  return (bytes + granule - 1) / granule * granule;
}

CUdeviceptr Device::allocate(size_t bytes) {
  size_t bucket = bucketSize(bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = cache_.find(bucket);
    if (found != cache_.end() && !found->second.empty()) {
      CUdeviceptr block = found->second.back();
      found->second.pop_back();
      --stats_.cachedBlocks;
      ++stats_.liveBlocks;
      ++stats_.reuses;
      return block;
    }
  }
  CUdeviceptr block = 0;
  CUresult result = driver_->cuMemAlloc(&block, bucket);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    trimPool();
    result = driver_->cuMemAlloc(&block, bucket);
  }
  check(result, "cuMemAlloc",
        "allocating " + std::to_string(bucket) + " bytes for a request of " +
            std::to_string(bytes));
  std::lock_guard<std::mutex> lock(mutex_);
  blocks_[block] = bucket;
  ++stats_.driverAllocations;
  ++stats_.liveBlocks;
  return block;
}

size_t Device::blockSize(CUdeviceptr block) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = blocks_.find(block);
  return found == blocks_.end() ? 0 : found->second;
}

void Device::recycle(CUdeviceptr block) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = blocks_.find(block);
  if (found == blocks_.end())
    return;
  cache_[found->second].push_back(block);
  ++stats_.cachedBlocks;
  --stats_.liveBlocks;
}

CUdeviceptr Device::allocateManaged(size_t bytes) {
  CUdeviceptr block = 0;
  check(driver_->cuMemAllocManaged(&block, bytes, CU_MEM_ATTACH_GLOBAL),
        "cuMemAllocManaged",
        "allocating " + std::to_string(bytes) + " bytes of managed memory");
  std::lock_guard<std::mutex> lock(mutex_);
  managed_.insert(block);
  return block;
}

bool Device::freeIfManaged(CUdeviceptr block) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!managed_.erase(block))
      return false;
  }
  check(driver_->cuMemFree(block), "cuMemFree", "freeing managed memory");
  return true;
}

void Device::trimPool() {
  std::vector<CUdeviceptr> toFree;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &bucket : cache_) {
      for (CUdeviceptr block : bucket.second) {
        toFree.push_back(block);
        blocks_.erase(block);
      }
      bucket.second.clear();
    }
    stats_.cachedBlocks = 0;
  }
  for (CUdeviceptr block : toFree)
    driver_->cuMemFree(block);
}

CUdeviceptr Device::constant(const void *owner, const void *host,
                             size_t bytes) {
  std::lock_guard<std::mutex> lock(constantsMutex_);
  auto &cached = constants_[owner];
  auto found = cached.find(host);
  if (found != cached.end()) {
    if (found->second.bytes != bytes) {
      char address[32];
      std::snprintf(address, sizeof(address), "%p", host);
      throw RuntimeFailure(KILN_STATUS_DEVICE_ERROR,
                           std::string("the constant at ") + address +
                               " was requested with " + std::to_string(bytes) +
                               " bytes, first with " +
                               std::to_string(found->second.bytes));
    }
    return found->second.block;
  }
  // Exactly `bytes`, outside the pool: a weight lives as long as its module,
  // so rounding it up to a pool bucket would only waste memory.
  CUdeviceptr block = 0;
  CUresult result = driver_->cuMemAlloc(&block, bytes);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    trimPool();
    result = driver_->cuMemAlloc(&block, bytes);
  }
  if (cached.empty() && result != CUDA_SUCCESS)
    constants_.erase(owner);
  check(result, "cuMemAlloc",
        "allocating " + std::to_string(bytes) + " bytes for a constant");
  // A synchronous copy on the legacy default stream, which every stream of
  // the pool (created blocking) waits for; the context synchronisation then
  // makes the copy complete before any run on any thread can see it.
  result = driver_->cuMemcpyHtoD(block, host, bytes);
  if (result == CUDA_SUCCESS)
    result = driver_->cuCtxSynchronize();
  if (result != CUDA_SUCCESS) {
    driver_->cuMemFree(block);
    if (cached.empty())
      constants_.erase(owner);
    check(result, "cuMemcpyHtoD",
          "uploading a constant of " + std::to_string(bytes) + " bytes");
  }
  cached[host] = {block, bytes};
  ++constantUploads_;
  return block;
}

void Device::releaseConstants(const void *owner) {
  std::unordered_map<const void *, CachedConstant> released;
  {
    std::lock_guard<std::mutex> lock(constantsMutex_);
    auto found = constants_.find(owner);
    if (found == constants_.end())
      return;
    released = std::move(found->second);
    constants_.erase(found);
  }
  for (const auto &constant : released)
    driver_->cuMemFree(constant.second.block);
}

Device::ConstantStats Device::constantStats() const {
  std::lock_guard<std::mutex> lock(constantsMutex_);
  ConstantStats stats;
  stats.uploads = constantUploads_;
  for (const auto &owner : constants_) {
    if (owner.second.empty())
      continue;
    ++stats.owners;
    for (const auto &constant : owner.second) {
      ++stats.buffers;
      stats.bytes += constant.second.bytes;
    }
  }
  return stats;
}

void releaseConstants(const void *owner) noexcept {
  Device *device = Device::ifInitialized();
  if (!device)
    return;
  try {
    device->makeCurrent();
    device->releaseConstants(owner);
  } catch (...) {
    // Unloading reports nothing: a failure here has no one to go to.
  }
}

Device::PoolStats Device::poolStats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

//===----------------------------------------------------------------------===//
// Streams
//===----------------------------------------------------------------------===//

CUstream Device::acquireStream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!streams_.empty()) {
      CUstream stream = streams_.back();
      streams_.pop_back();
      return stream;
    }
  }
  CUstream stream = nullptr;
  check(driver_->cuStreamCreate(&stream, 0), "cuStreamCreate");
  return stream;
}

void Device::releaseStream(CUstream stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  streams_.push_back(stream);
}

//===----------------------------------------------------------------------===//
// The thread's GPU error
//===----------------------------------------------------------------------===//

namespace {

struct RecordedError {
  bool set = false;
  kiln_status status = KILN_STATUS_OK;
  std::string message;
};

thread_local RecordedError recorded;

} // namespace

void recordError(kiln_status status, const std::string &message) noexcept {
  if (recorded.set)
    return;
  try {
    recorded.message = message;
  } catch (...) {
    recorded.message.clear();
    status = KILN_STATUS_OUT_OF_MEMORY;
  }
  recorded.status = status;
  recorded.set = true;
}

bool hasRecordedError() noexcept { return recorded.set; }

void clearRecordedError() noexcept {
  recorded.set = false;
  recorded.status = KILN_STATUS_OK;
  recorded.message.clear();
}

void throwRecordedError() {
  if (!recorded.set)
    return;
  RuntimeFailure failure(recorded.status, recorded.message.empty()
                                              ? "out of memory"
                                              : recorded.message);
  clearRecordedError();
  throw failure;
}

//===----------------------------------------------------------------------===//
// Runs
//===----------------------------------------------------------------------===//

namespace {
thread_local RunScope *currentRun = nullptr;
} // namespace

RunScope::RunScope(const void *module)
    : device_(Device::get()), module_(module), previous_(currentRun) {
  device_.makeCurrent();
  clearRecordedError();
  currentRun = this;
}

RunScope::~RunScope() { end(); }

RunScope *RunScope::current() { return currentRun; }

CUstream RunScope::stream() {
  if (!stream_)
    stream_ = device_.acquireStream();
  return stream_;
}

CUdeviceptr RunScope::reuse(size_t bytes) {
  auto found = freed_.find(Device::bucketSize(bytes));
  if (found == freed_.end() || found->second.empty())
    return 0;
  CUdeviceptr block = found->second.back();
  found->second.pop_back();
  return block;
}

void RunScope::release(CUdeviceptr block, size_t bucket) {
  freed_[bucket].push_back(block);
}

void RunScope::end() noexcept {
  if (ended_)
    return;
  ended_ = true;
  currentRun = previous_;
  bool idle = true;
  if (stream_) {
    CUresult result = device_.driver().cuStreamSynchronize(stream_);
    if (result != CUDA_SUCCESS) {
      idle = false;
      try {
        recordError(KILN_STATUS_DEVICE_ERROR,
                    "CUDA call cuStreamSynchronize failed (at the end of the "
                    "run): " +
                        device_.driver().describe(result));
      } catch (...) {
        recordError(KILN_STATUS_OUT_OF_MEMORY, "out of memory");
      }
    }
  }
  // After a failed synchronisation, queued work may still use the memory and
  // the stream: they are left alone rather than reused.
  if (!idle)
    return;
  for (auto &bucket : freed_)
    for (CUdeviceptr block : bucket.second)
      device_.recycle(block);
  freed_.clear();
  if (stream_)
    device_.releaseStream(stream_);
  stream_ = nullptr;
}

void RunScope::finish() {
  end();
  throwRecordedError();
}

} // namespace kiln::cuda
