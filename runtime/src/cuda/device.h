//===- device.h - Kiln's CUDA device ----------------------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// CUDA device 0 of the process: the driver (driver.h), the device's primary
// context, a pool of device memory and a pool of streams. The mgpu* entry
// points (mgpu.cpp) are built on it, and the runtime binds a compiled CUDA
// module's run to it with a RunScope.
//
// Failures are RuntimeFailure: KILN_STATUS_NO_DEVICE ("no CUDA device
// (REASON)") when there is no usable device, KILN_STATUS_DEVICE_ERROR when a
// driver call fails (the message names the call, the driver's error name and
// its description).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SRC_CUDA_DEVICE_H
#define KILN_RUNTIME_SRC_CUDA_DEVICE_H

#include "driver.h"

#include "kiln/runtime/kiln_runtime.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kiln::cuda {

/// CUDA device 0: the driver, its primary context and the pools.
class Device {
public:
  /// The device, initialised by the first call from any thread. Throws
  /// KILN_STATUS_NO_DEVICE, "no CUDA device (REASON)", when the driver cannot
  /// be loaded, cuInit fails or there are no devices; a failed
  /// initialisation is remembered and every later call fails alike.
  static Device &get();

  /// The device if it is initialised (and not yet released at exit), else
  /// null. Never initialises.
  static Device *ifInitialized();

  ~Device();

  const Driver &driver() const { return *driver_; }

  /// The device's name, as the driver reports it.
  const std::string &name() const { return name_; }

  /// Makes the primary context current on the calling thread (once per
  /// thread).
  void makeCurrent();

  /// Throws KILN_STATUS_DEVICE_ERROR unless `result` is success:
  /// "CUDA call CALL failed[ (WHAT)]: CUDA_ERROR_X (description)".
  void check(CUresult result, const char *call,
             const std::string &what = {}) const;

  /// The pool's block size for a request of `bytes`: a power of two (at
  /// least 512 bytes) up to 1 MiB, a multiple of 2 MiB above.
  static size_t bucketSize(size_t bytes);

  /// A block of at least `bytes` bytes of device memory: a cached block of
  /// the same bucket, else a new one from the driver (after freeing the
  /// cache and retrying once if the device is out of memory).
  CUdeviceptr allocate(size_t bytes);

  /// The bucket of a block from allocate(), or 0 if the pool does not own
  /// `block`.
  size_t blockSize(CUdeviceptr block) const;

  /// Caches a block from allocate() for reuse. No queued work may still use
  /// it.
  void recycle(CUdeviceptr block);

  /// Managed (host-shared) memory, outside the pool.
  CUdeviceptr allocateManaged(size_t bytes);

  /// Frees `block` with the driver if it came from allocateManaged; false
  /// otherwise.
  bool freeIfManaged(CUdeviceptr block);

  /// Frees every cached block with the driver.
  void trimPool();

  /// A stream from the stream pool (a new one if it is empty).
  CUstream acquireStream();

  /// Returns an idle stream to the stream pool.
  void releaseStream(CUstream stream);

  /// The device copy of the `bytes` bytes of read-only host data at `host`
  /// (a module's weight) for `owner` (the module the runtime runs; null for
  /// code called outside a run, whose copies live as long as the device).
  /// The first request allocates exactly `bytes` outside the pool and
  /// uploads the data, completely, before it returns; later requests of the
  /// same (owner, host) return the same copy. Throws if `host` was first
  /// requested with another size.
  CUdeviceptr constant(const void *owner, const void *host, size_t bytes);

  /// Frees the copies of `owner`'s constants. No queued work may still read
  /// them.
  void releaseConstants(const void *owner);

  /// Counters of the constant cache, for tests and statistics.
  struct ConstantStats {
    size_t owners = 0;  ///< owners with at least one cached constant
    size_t buffers = 0; ///< device copies held
    size_t bytes = 0;   ///< bytes held by them
    size_t uploads = 0; ///< copies ever made
  };
  ConstantStats constantStats() const;

  /// Counters of the memory pool, for tests and statistics.
  struct PoolStats {
    size_t driverAllocations = 0; ///< cuMemAlloc calls that succeeded
    size_t reuses = 0;            ///< requests served from the cache
    size_t cachedBlocks = 0;      ///< blocks waiting for reuse
    size_t liveBlocks = 0;        ///< blocks handed out, not yet recycled
  };
  PoolStats poolStats() const;

private:
  friend struct DeviceRegistry;
  Device() = default;

  std::unique_ptr<Driver> driver_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  std::string name_;
  /// Bumped per initialised device, so that a thread can tell whether it
  /// made this device's context current.
  unsigned generation_ = 0;

  mutable std::mutex mutex_;
  /// Bucket size of every block the pool owns, live or cached.
  std::unordered_map<CUdeviceptr, size_t> blocks_;
  std::unordered_map<size_t, std::vector<CUdeviceptr>> cache_;
  std::unordered_set<CUdeviceptr> managed_;
  std::vector<CUstream> streams_;
  PoolStats stats_;

  /// A device copy of a constant.
  struct CachedConstant {
    CUdeviceptr block = 0;
    size_t bytes = 0;
  };
  /// Held while a constant is looked up or uploaded, so that two runs that
  /// need the same constant first upload it once.
  mutable std::mutex constantsMutex_;
  /// Owner -> host address -> device copy.
  std::unordered_map<const void *,
                     std::unordered_map<const void *, CachedConstant>>
      constants_;
  size_t constantUploads_ = 0;
};

/// Frees the device copies of `owner`'s constants if the device is
/// initialised (never initialises it); failures are ignored. The runtime
/// calls it when it unloads a CUDA module.
void releaseConstants(const void *owner) noexcept;

/// Tests only: releases the device (as at exit) and forgets a failed
/// initialisation, so that the next Device::get() starts over, reading
/// KILN_CUDA_DRIVER again.
void resetDeviceForTesting();

//===----------------------------------------------------------------------===//
// The thread's GPU error
//===----------------------------------------------------------------------===//

/// Records a failure of an mgpu* call as the calling thread's GPU error,
/// unless one is recorded already (the first failure is the one reported).
void recordError(kiln_status status, const std::string &message) noexcept;

/// Whether the calling thread has a GPU error recorded.
bool hasRecordedError() noexcept;

/// Forgets the calling thread's GPU error.
void clearRecordedError() noexcept;

/// Throws the calling thread's GPU error as a RuntimeFailure, clearing it;
/// does nothing if there is none.
void throwRecordedError();

//===----------------------------------------------------------------------===//
// Runs
//===----------------------------------------------------------------------===//

/// Binds the run of a compiled CUDA module to the calling thread: every
/// stream the module creates is the run's one stream (taken from the pool
/// on first use), and memory it frees is reused by its later allocations
/// (in stream order), then returned to the pool once the stream is idle.
class RunScope {
public:
  /// Starts a run of `module` (the key of its cached constants, see
  /// Device::constant): gets the device (throwing "no CUDA device" if there
  /// is none), makes its context current and clears the thread's GPU error.
  explicit RunScope(const void *module = nullptr);
  /// Ends the run if finish() was not called, without throwing.
  ~RunScope();
  RunScope(const RunScope &) = delete;
  RunScope &operator=(const RunScope &) = delete;

  /// Ends the run: waits for the stream, returns the run's memory and stream
  /// to the pools, then throws the thread's GPU error if there is one.
  void finish();

  /// The calling thread's current run, or null.
  static RunScope *current();

  /// The run's stream, acquired on the first call.
  CUstream stream();

  /// The module this run runs: the owner of the constants it uploads.
  const void *module() const { return module_; }

  /// Whether `stream` is this run's stream.
  bool owns(CUstream stream) const { return stream && stream == stream_; }

  /// A block freed earlier in this run with the same bucket, or 0.
  CUdeviceptr reuse(size_t bytes);

  /// Takes back a block freed by the run's code.
  void release(CUdeviceptr block, size_t bucket);

private:
  /// Waits for the stream and returns everything to the pools; the first
  /// failure is recorded as the thread's GPU error.
  void end() noexcept;

  Device &device_;
  const void *module_;
  RunScope *previous_;
  CUstream stream_ = nullptr;
  std::unordered_map<size_t, std::vector<CUdeviceptr>> freed_;
  bool ended_ = false;
};

} // namespace kiln::cuda

#endif // KILN_RUNTIME_SRC_CUDA_DEVICE_H
