/*===- kiln_mgpu.h - The GPU entry points compiled modules call ---*- C -*-===*\
|*                                                                            *|
|* Part of the Kiln project: a compiler and runtime for neural networks.      *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The host side of a module compiled for CUDA calls these `mgpu*` functions  *|
|* (the names and signatures MLIR 22's gpu-to-llvm lowering and its           *|
|* gpu.binary translation emit). Kiln's runtime defines them on its own CUDA  *|
|* device: its memory pool, one stream per run, errors through Kiln. It      *|
|* also defines kilnCudaConstant, which the modules Kiln compiles call for    *|
|* their weights' device copies, cached across runs.                          *|
|*                                                                            *|
|* None of them returns a status. The first failure on a thread is recorded   *|
|* as that thread's GPU error; later calls still return (NULL where they      *|
|* return a pointer) without crashing. The runtime clears the error before    *|
|* it loads a module or enters its entry point and reports it afterwards      *|
|* (docs/abi.md, "GPU modules").                                              *|
|*                                                                            *|
|* Handles (`module`, `function`, `stream`, `event`) are the driver's own.    *|
|* Sizes are in bytes except the memset counts, which are elements.           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_KILN_MGPU_H
#define KILN_RUNTIME_KILN_MGPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Loads a cubin or fatbin image of `size` bytes; NULL on failure. */
void *mgpuModuleLoad(void *data, size_t size);

/** JIT-compiles the NUL-terminated PTX `data` at `optLevel` (0-4). */
void *mgpuModuleLoadJIT(void *data, int optLevel);

/** Unloads a module from mgpuModuleLoad[JIT]; NULL is ignored. */
void mgpuModuleUnload(void *module);

/** The kernel called `name` in `module`; NULL on failure. */
void *mgpuModuleGetFunction(void *module, const char *name);

/**
 * Launches `function` on `stream` with a grid of `grid*` blocks of `block*`
 * threads and `smem` bytes of dynamic shared memory. `params` holds one
 * pointer per kernel parameter (`paramsCount` of them) to its value.
 */
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);

/** mgpuLaunchKernel for thread-block clusters of `cluster*` blocks. */
void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                             intptr_t clusterY, intptr_t clusterZ,
                             intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                             intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                             int32_t smem, void *stream, void **params,
                             void **extra);

/** A new stream; inside a run, the run's one stream (docs/abi.md). */
void *mgpuStreamCreate(void);

/** Destroys a stream (not the run's one, which the run releases). */
void mgpuStreamDestroy(void *stream);

/** Waits for the work queued on `stream`. */
void mgpuStreamSynchronize(void *stream);

/** Makes later work on `stream` wait for `event`. */
void mgpuStreamWaitEvent(void *stream, void *event);

/** A new event (without timing). */
void *mgpuEventCreate(void);

/** Destroys `event`; NULL is ignored. */
void mgpuEventDestroy(void *event);

/** Waits for `event`. */
void mgpuEventSynchronize(void *event);

/** Records `event` at the current end of `stream`. */
void mgpuEventRecord(void *event, void *stream);

/**
 * `size` bytes of device memory from the runtime's pool, ordered on `stream`;
 * managed memory, outside the pool, when `isHostShared` is non-zero. NULL for
 * 0 bytes. (MLIR passes `isHostShared` as an i8.)
 */
void *mgpuMemAlloc(uint64_t size, void *stream, uint8_t isHostShared);

/** Returns `ptr` to the pool once `stream`'s work is done; NULL is ignored. */
void mgpuMemFree(void *ptr, void *stream);

/** Copies `size` bytes in any direction (unified addressing). */
void mgpuMemcpy(void *dst, void *src, size_t size, void *stream);

/** Sets `count` 32-bit elements at `dst` to `value`. */
void mgpuMemset32(void *dst, uint32_t value, size_t count, void *stream);

/** Sets `count` 16-bit elements at `dst` to `value`. */
void mgpuMemset16(void *dst, uint16_t value, size_t count, void *stream);

/** Selects the device; Kiln drives device 0 only, so others are an error. */
void mgpuSetDefaultDevice(int32_t device);

/**
 * Page-locks the host memory a ranked memref descriptor of rank `rank`
 * spans (elements of `elementSize` bytes, non-negative strides).
 */
void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSize);

/** Undoes mgpuMemHostRegisterMemRef for the same descriptor. */
void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSize);

/**
 * Kiln's own addition: the device copy of a read-only constant (a weight) of
 * `bytes` bytes at `hostData` in the calling module. The first call in a
 * module's life allocates device memory and uploads the data (complete when
 * it returns); later calls, from any run of the same module, return the
 * same copy, which the runtime frees when it unloads the module
 * (kiln_module_unload). Called outside a runtime's run (a program calling a
 * module's entry itself), the copy lives as long as the process. Kernels
 * must only read it, and the module must not free it. NULL for 0 bytes and
 * after the thread's first GPU error.
 */
void *kilnCudaConstant(void *hostData, uint64_t bytes);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_KILN_MGPU_H */
