/*===- fake_cuda_driver.c - A CUDA driver stand-in for the tests ----------===*\
|*                                                                            *|
|* Part of the Kiln project: a compiler and runtime for neural networks.      *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Exports the driver functions the runtime binds (runtime/src/cuda/driver.h) *|
|* so that its CUDA device can be tested without a GPU; the runtime opens it  *|
|* through KILN_CUDA_DRIVER. CMake builds one shared library per variant:     *|
|*   (none)               one device "Kiln fake GPU" whose memory is host    *|
|*                        memory; copies and memsets run at once; kernel     *|
|*                        "fake_add" computes y[i] = a[i] + b[i], and        *|
|*                        "fake_scale" y[i] *= w[i % m]                      *|
|*   FAKE_INIT_FAILS      cuInit returns CUDA_ERROR_NO_DEVICE                *|
|*   FAKE_NO_DEVICES      cuDeviceGetCount reports 0                         *|
|*   FAKE_INCOMPLETE      lacks cuMemAlloc_v2 and cuLaunchKernel             *|
|* Its counters and memory limit are globals the tests read and set.          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

enum {
  SUCCESS = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  NO_DEVICE = 100,
  INVALID_IMAGE = 200,
  NOT_FOUND = 500
};

/* What the runtime did, for the tests. */
struct FakeDriverCounters {
  long memAllocs, memFrees, liveBytes;
  long streamsCreated, streamsDestroyed;
  long modulesLoaded, modulesUnloaded;
  long launches, hostRegistered;
  long copiesToDevice, bytesToDevice; /* cuMemcpyHtoD only */
};
struct FakeDriverCounters fake_driver_counters;

/* cuMemAlloc fails with CUDA_ERROR_OUT_OF_MEMORY past this many live bytes
 * (0: no limit). */
long fake_driver_memory_limit;

static int handleTokens[4];
static int kernelTokens[2];

CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case SUCCESS:
    *name = "CUDA_SUCCESS";
    return SUCCESS;
  case INVALID_VALUE:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return SUCCESS;
  case OUT_OF_MEMORY:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return SUCCESS;
  case NO_DEVICE:
    *name = "CUDA_ERROR_NO_DEVICE";
    return SUCCESS;
  case INVALID_IMAGE:
    *name = "CUDA_ERROR_INVALID_IMAGE";
    return SUCCESS;
  case NOT_FOUND:
    *name = "CUDA_ERROR_NOT_FOUND";
    return SUCCESS;
  }
  *name = NULL;
  return INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  switch (error) {
  case SUCCESS:
    *text = "no error";
    return SUCCESS;
  case INVALID_VALUE:
    *text = "invalid argument";
    return SUCCESS;
  case OUT_OF_MEMORY:
    *text = "out of memory";
    return SUCCESS;
  case NO_DEVICE:
    *text = "no CUDA-capable device is detected";
    return SUCCESS;
  case INVALID_IMAGE:
    *text = "device kernel image is invalid";
    return SUCCESS;
  case NOT_FOUND:
    *text = "named symbol not found";
    return SUCCESS;
  }
  *text = NULL;
  return INVALID_VALUE;
}

CUresult cuInit(unsigned flags) {
  (void)flags;
#ifdef FAKE_INIT_FAILS
  return NO_DEVICE;
#else
  return SUCCESS;
#endif
}

CUresult cuDeviceGetCount(int *count) {
#ifdef FAKE_NO_DEVICES
  *count = 0;
#else
  *count = 1;
#endif
  return SUCCESS;
}

CUresult cuDeviceGet(int *device, int ordinal) {
  if (ordinal != 0)
    return INVALID_VALUE;
  *device = 0;
  return SUCCESS;
}

CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "Kiln fake GPU", (size_t)length);
  return SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  *context = &handleTokens[0];
  return SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return SUCCESS;
}

CUresult cuCtxSetCurrent(void *context) {
  return context == &handleTokens[0] ? SUCCESS : INVALID_VALUE;
}

CUresult cuCtxSynchronize(void) { return SUCCESS; }

/* Device memory: host memory after a header holding the size. */
static CUresult allocate(CUdeviceptr *pointer, size_t size) {
  if (size == 0)
    return INVALID_VALUE;
  if (fake_driver_memory_limit &&
      fake_driver_counters.liveBytes + (long)size > fake_driver_memory_limit)
    return OUT_OF_MEMORY;
  char *block = (char *)malloc(size + 16);
  if (!block)
    return OUT_OF_MEMORY;
  memcpy(block, &size, sizeof(size));
  *pointer = (CUdeviceptr)(uintptr_t)(block + 16);
  ++fake_driver_counters.memAllocs;
  fake_driver_counters.liveBytes += (long)size;
  return SUCCESS;
}

#ifndef FAKE_INCOMPLETE
CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t size) {
  return allocate(pointer, size);
}
#endif

CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t size, unsigned flags) {
  (void)flags;
  return allocate(pointer, size);
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
  if (!pointer)
    return INVALID_VALUE;
  char *block = (char *)(uintptr_t)pointer - 16;
  size_t size;
  memcpy(&size, block, sizeof(size));
  free(block);
  ++fake_driver_counters.memFrees;
  fake_driver_counters.liveBytes -= (long)size;
  return SUCCESS;
}

CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t size,
                       void *stream) {
  (void)stream;
  if (!dst || !src)
    return INVALID_VALUE;
  memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, size);
  return SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t size) {
  if (!dst || !src)
    return INVALID_VALUE;
  memcpy((void *)(uintptr_t)dst, src, size);
  ++fake_driver_counters.copiesToDevice;
  fake_driver_counters.bytesToDevice += (long)size;
  return SUCCESS;
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count,
                          void *stream) {
  (void)stream;
  for (size_t i = 0; i < count; ++i)
    memcpy((char *)(uintptr_t)dst + 4 * i, &value, 4);
  return SUCCESS;
}

CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value, size_t count,
                          void *stream) {
  (void)stream;
  for (size_t i = 0; i < count; ++i)
    memcpy((char *)(uintptr_t)dst + 2 * i, &value, 2);
  return SUCCESS;
}

CUresult cuMemHostRegister_v2(void *pointer, size_t size, unsigned flags) {
  (void)pointer;
  (void)flags;
  if (size == 0)
    return INVALID_VALUE;
  ++fake_driver_counters.hostRegistered;
  return SUCCESS;
}

CUresult cuMemHostUnregister(void *pointer) {
  (void)pointer;
  --fake_driver_counters.hostRegistered;
  return SUCCESS;
}

/* A module image is anything that starts with "FAKE". */
static CUresult loadModule(void **module, const void *image) {
  if (!image || memcmp(image, "FAKE", 4) != 0)
    return INVALID_IMAGE;
  *module = &handleTokens[1];
  ++fake_driver_counters.modulesLoaded;
  return SUCCESS;
}

CUresult cuModuleLoadData(void **module, const void *image) {
  return loadModule(module, image);
}

CUresult cuModuleLoadDataEx(void **module, const void *image,
                            unsigned numOptions, int *options, void **values) {
  (void)numOptions;
  (void)options;
  (void)values;
  return loadModule(module, image);
}

CUresult cuModuleUnload(void *module) {
  if (module != &handleTokens[1])
    return INVALID_VALUE;
  ++fake_driver_counters.modulesUnloaded;
  return SUCCESS;
}

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  if (module != &handleTokens[1])
    return INVALID_VALUE;
  if (strcmp(name, "fake_add") == 0)
    *function = &kernelTokens[0];
  else if (strcmp(name, "fake_scale") == 0)
    *function = &kernelTokens[1];
  else
    return NOT_FOUND;
  return SUCCESS;
}

CUresult cuFuncSetAttribute(void *function, int attribute, int value) {
  (void)attribute;
  (void)value;
  return function == &kernelTokens[0] || function == &kernelTokens[1]
             ? SUCCESS
             : INVALID_VALUE;
}

#ifndef FAKE_INCOMPLETE
/* fake_add(float *y, const float *a, const float *b, int64_t n);
 * fake_scale(float *y, const float *w, int64_t n, int64_t m). */
CUresult cuLaunchKernel(void *function, unsigned gridX, unsigned gridY,
                        unsigned gridZ, unsigned blockX, unsigned blockY,
                        unsigned blockZ, unsigned smem, void *stream,
                        void **params, void **extra) {
  (void)gridX;
  (void)gridY;
  (void)gridZ;
  (void)smem;
  (void)stream;
  (void)extra;
  if ((function != &kernelTokens[0] && function != &kernelTokens[1]) || !params)
    return INVALID_VALUE;
  if ((unsigned long long)blockX * blockY * blockZ > 1024)
    return INVALID_VALUE;
  float *y = *(float **)params[0];
  if (function == &kernelTokens[0]) {
    const float *a = *(const float **)params[1];
    const float *b = *(const float **)params[2];
    int64_t n = *(const int64_t *)params[3];
    for (int64_t i = 0; i < n; ++i)
      y[i] = a[i] + b[i];
  } else {
    const float *w = *(const float **)params[1];
    int64_t n = *(const int64_t *)params[2], m = *(const int64_t *)params[3];
    if (m <= 0)
      return INVALID_VALUE;
    for (int64_t i = 0; i < n; ++i)
      y[i] *= w[i % m];
  }
  ++fake_driver_counters.launches;
  return SUCCESS;
}
#endif

CUresult cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  *stream = malloc(1);
  ++fake_driver_counters.streamsCreated;
  return SUCCESS;
}

CUresult cuStreamDestroy_v2(void *stream) {
  if (!stream)
    return INVALID_VALUE;
  free(stream);
  ++fake_driver_counters.streamsDestroyed;
  return SUCCESS;
}

CUresult cuStreamSynchronize(void *stream) {
  (void)stream;
  return SUCCESS;
}

CUresult cuStreamWaitEvent(void *stream, void *event, unsigned flags) {
  (void)stream;
  (void)flags;
  return event ? SUCCESS : INVALID_VALUE;
}

CUresult cuEventCreate(void **event, unsigned flags) {
  (void)flags;
  *event = malloc(1);
  return SUCCESS;
}

CUresult cuEventDestroy_v2(void *event) {
  free(event);
  return SUCCESS;
}

CUresult cuEventRecord(void *event, void *stream) {
  (void)stream;
  return event ? SUCCESS : INVALID_VALUE;
}

CUresult cuEventSynchronize(void *event) {
  return event ? SUCCESS : INVALID_VALUE;
}
