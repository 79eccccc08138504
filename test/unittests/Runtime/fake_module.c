/*===- fake_module.c - Hand-written modules for the runtime's tests -------===*\
|*                                                                            *|
|* Part of the Kiln project: a compiler and runtime for neural networks.      *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Implements the compiled-module ABI (docs/abi.md) by hand. CMake builds one *|
|* shared library per variant:                                                *|
|*   FAKE_ADD            y = a + b, all f32 [?, 3], a parallel loop over the  *|
|*                       rows through kiln_set_parallel_hook's hook; records  *|
|*                       the chunks it ran and on how many threads            *|
|*                       (also a function "negate", y = -a, and the data      *|
|*                       constant kiln_fake_info, "hello")                    *|
|*   FAKE_BAD_OUTPUT     FAKE_ADD, but y comes back [?, 4]                    *|
|*   FAKE_SHAPES         input "in put" f32 [?, ?]; outputs its shape (i64),  *|
|*                       its transpose (as a strided view) and x > 0 (i1)     *|
|*   FAKE_BAD_VERSION    FAKE_ADD claiming ABI version 2                      *|
|*   FAKE_BAD_SIGNATURE  a signature with an unknown dtype                    *|
|*   FAKE_NO_SYMBOLS     none of the ABI's symbols                            *|
|*   FAKE_BAD_TARGET     FAKE_ADD with kiln_target "tpu"                      *|
|*   FAKE_CUDA_ADD       FAKE_ADD's signature, compiled "for CUDA": loads its *|
|*                       GPU code from a constructor and adds on the device   *|
|*                       through the mgpu* calls of kiln_mgpu.h, as MLIR's    *|
|*                       lowering would (kernel fake_add of the tests' fake   *|
|*                       CUDA driver), then scales each row by a weight of    *|
|*                       ones through its cached device copy                  *|
|*                       (kilnCudaConstant, kernel fake_scale)                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef FAKE_NO_SYMBOLS

int fake_module_is_not_a_kiln_module(void) { return 1; }

#else

#ifdef FAKE_BAD_VERSION
const uint32_t kiln_abi_version = 2;
#else
const uint32_t kiln_abi_version = 1;
#endif

#ifdef FAKE_BAD_TARGET
const char kiln_target[] = "tpu";
#endif

/* Writes a rank-`rank` descriptor at `words`; returns the next one. */
static inline int64_t *putDescriptor(int64_t *words, void *allocated,
                                     void *aligned, int64_t offset, int rank,
                                     const int64_t *sizes,
                                     const int64_t *strides) {
  words[0] = (int64_t)(intptr_t)allocated;
  words[1] = (int64_t)(intptr_t)aligned;
  words[2] = offset;
  for (int d = 0; d < rank; ++d) {
    words[3 + d] = sizes[d];
    words[3 + rank + d] = strides[d];
  }
  return words + 3 + 2 * rank;
}

/* Element (i, j) of a rank-2 f32 input descriptor. */
static inline float at2(const int64_t *desc, int64_t i, int64_t j) {
  const float *aligned = (const float *)(intptr_t)desc[1];
  return aligned[desc[2] + i * desc[5] + j * desc[6]];
}

#if defined(FAKE_ADD) || defined(FAKE_BAD_VERSION) || defined(FAKE_BAD_TARGET)

const char kiln_signature_main[] = "input a f32 2 -1 3\n"
                                   "input b f32 2 -1 3\n"
                                   "output y f32 2 -1 3\n";

typedef void (*ParallelBody)(void *ctx, int64_t begin, int64_t end);
typedef void (*ParallelHook)(ParallelBody body, void *ctx, int64_t lb,
                             int64_t ub, int64_t step);

/* The hook, as compiled modules keep it (docs/abi.md). */
static ParallelHook hook;

void kiln_set_parallel_hook(void *fn) { hook = (ParallelHook)fn; }

/* What the last run's chunks did, for the tests. */
static pthread_mutex_t seenLock = PTHREAD_MUTEX_INITIALIZER;
static int chunksSeen;
static pthread_t threadsSeen[64];
static int numThreadsSeen;

/* Whether a hook is set; the chunks and threads of the last run. */
int fake_has_hook(void) { return hook != 0; }
int fake_chunks_seen(void) { return chunksSeen; }
int fake_threads_seen(void) { return numThreadsSeen; }

struct AddRows {
  const int64_t *a, *b;
  float *y;
  int64_t cols;
};

static void addRows(void *ctx, int64_t begin, int64_t end) {
  const struct AddRows *add = (const struct AddRows *)ctx;
  for (int64_t i = begin; i < end; ++i)
    for (int64_t j = 0; j < add->cols; ++j)
      add->y[i * add->cols + j] =
          j < 3 ? at2(add->a, i, j) + at2(add->b, i, j) : 0.0f;
  pthread_mutex_lock(&seenLock);
  ++chunksSeen;
  int known = 0;
  for (int t = 0; t < numThreadsSeen; ++t)
    known |= pthread_equal(threadsSeen[t], pthread_self());
  if (!known && numThreadsSeen < 64)
    threadsSeen[numThreadsSeen++] = pthread_self();
  pthread_mutex_unlock(&seenLock);
}

/* A second function, y = -a, and a data constant (docs/abi.md). */
const char kiln_signature_negate[] = "input a f32 2 -1 3\n"
                                     "output y f32 2 -1 3\n";

void kiln_entry_negate(void **args) {
  const int64_t *a = (const int64_t *)args[1];
  int64_t rows = a[3];
  float *y = (float *)malloc(sizeof(float) * (size_t)(rows * 3 + 1));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < 3; ++j)
      y[i * 3 + j] = -at2(a, i, j);
  int64_t sizes[2] = {rows, 3}, strides[2] = {3, 1};
  putDescriptor((int64_t *)args[0], y, y, 0, 2, sizes, strides);
}

const char kiln_fake_info[] = "hello";
const uint64_t kiln_fake_info_size = 5;

void kiln_entry_main(void **args) {
  struct AddRows add;
  add.a = (const int64_t *)args[1];
  add.b = (const int64_t *)args[2];
  int64_t rows = add.a[3];
#ifdef FAKE_BAD_OUTPUT
  add.cols = 4;
#else
  add.cols = 3;
#endif
  add.y = (float *)malloc(sizeof(float) * (size_t)(rows * add.cols + 1));
  chunksSeen = numThreadsSeen = 0;
  if (hook)
    hook(addRows, &add, 0, rows, 1);
  else
    addRows(&add, 0, rows);
  int64_t sizes[2] = {rows, add.cols}, strides[2] = {add.cols, 1};
  putDescriptor((int64_t *)args[0], add.y, add.y, 0, 2, sizes, strides);
}

#elif defined(FAKE_SHAPES)

const char kiln_signature_main[] = "input in%20put f32 2 -1 -1\n"
                                   "output shape i64 1 2\n"
                                   "output xt f32 2 -1 -1\n"
                                   "output pos i1 2 -1 -1\n";

void kiln_entry_main(void **args) {
  const int64_t *x = (const int64_t *)args[1];
  int64_t rows = x[3], cols = x[4];
  int64_t *words = (int64_t *)args[0];

  int64_t *shape = (int64_t *)malloc(2 * sizeof(int64_t));
  shape[0] = rows;
  shape[1] = cols;
  int64_t shapeSizes[1] = {2}, shapeStrides[1] = {1};
  words = putDescriptor(words, shape, shape, 0, 1, shapeSizes, shapeStrides);

  /* The transpose: x copied row-major after one element of padding, then
   * described as [cols, rows] with column strides and offset 1. */
  float *copy = (float *)malloc(sizeof(float) * (size_t)(1 + rows * cols));
  copy[0] = -1.0f;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      copy[1 + i * cols + j] = at2(x, i, j);
  int64_t tSizes[2] = {cols, rows}, tStrides[2] = {1, cols};
  words = putDescriptor(words, copy, copy, 1, 2, tSizes, tStrides);

  uint8_t *pos = (uint8_t *)malloc((size_t)(rows * cols + 1));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      pos[i * cols + j] = at2(x, i, j) > 0.0f;
  int64_t pSizes[2] = {rows, cols}, pStrides[2] = {cols, 1};
  putDescriptor(words, pos, pos, 0, 2, pSizes, pStrides);
}

#elif defined(FAKE_BAD_SIGNATURE)

const char kiln_signature_main[] = "input x f99 1 3\n"
                                   "output y f32 1 3\n";

void kiln_entry_main(void **args) { (void)args; }

#elif defined(FAKE_CUDA_ADD)

#include "kiln/runtime/kiln_mgpu.h"

const char kiln_target[] = "cuda";
const char kiln_signature_main[] = "input a f32 2 -1 3\n"
                                   "input b f32 2 -1 3\n"
                                   "output y f32 2 -1 3\n";

static void *gpuModule;
static char gpuBinary[] = "FAKE cubin";
/* A weight, which the fake driver's fake_scale multiplies each row by. */
static const float rowScale[3] = {1.0f, 1.0f, 1.0f};

__attribute__((constructor)) static void loadGpuCode(void) {
  gpuModule = mgpuModuleLoad(gpuBinary, sizeof(gpuBinary));
}

__attribute__((destructor)) static void unloadGpuCode(void) {
  mgpuModuleUnload(gpuModule);
}

/* Copies in, launches fake_add with one thread per element (so more than
 * 1024 elements make the launch fail), copies out. */
void kiln_entry_main(void **args) {
  const int64_t *a = (const int64_t *)args[1];
  const int64_t *b = (const int64_t *)args[2];
  int64_t rows = a[3], count = rows * 3;
  size_t bytes = sizeof(float) * (size_t)count;
  void *stream = mgpuStreamCreate();
  void *deviceA = mgpuMemAlloc(bytes, stream, 0);
  void *deviceB = mgpuMemAlloc(bytes, stream, 0);
  void *deviceY = mgpuMemAlloc(bytes, stream, 0);
  mgpuMemcpy(deviceA, (void *)(intptr_t)a[1], bytes, stream);
  mgpuMemcpy(deviceB, (void *)(intptr_t)b[1], bytes, stream);
  void *kernel = mgpuModuleGetFunction(gpuModule, "fake_add");
  void *params[] = {&deviceY, &deviceA, &deviceB, &count};
  mgpuLaunchKernel(kernel, 1, 1, 1, count > 0 ? count : 1, 1, 1, 0, stream,
                   params, NULL, 4);
  void *scale = mgpuModuleGetFunction(gpuModule, "fake_scale");
  void *deviceW = kilnCudaConstant((void *)rowScale, sizeof(rowScale));
  int64_t width = 3;
  void *scaleParams[] = {&deviceY, &deviceW, &count, &width};
  mgpuLaunchKernel(scale, 1, 1, 1, count > 0 ? count : 1, 1, 1, 0, stream,
                   scaleParams, NULL, 4);
  float *y = (float *)malloc(bytes + sizeof(float));
  mgpuMemcpy(y, deviceY, bytes, stream);
  mgpuMemFree(deviceA, stream);
  mgpuMemFree(deviceB, stream);
  mgpuMemFree(deviceY, stream);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  int64_t sizes[2] = {rows, 3}, strides[2] = {3, 1};
  putDescriptor((int64_t *)args[0], y, y, 0, 2, sizes, strides);
}

#else
#error "define one FAKE_* variant"
#endif

#endif
