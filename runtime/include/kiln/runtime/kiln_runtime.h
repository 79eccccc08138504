/*===- kiln_runtime.h - The Kiln runtime's C API ------------------*- C -*-===*\
|*                                                                            *|
|* Part of the Kiln project: a compiler and runtime for neural networks.      *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Loads a module compiled by kilnc (docs/abi.md), checks the caller's        *|
|* tensors against the module's signature and runs it. Plain C99; the         *|
|* runtime links neither MLIR nor LLVM.                                       *|
|*                                                                            *|
|* Errors: every call that can fail returns a kiln_status and takes a last    *|
|* `kiln_error **error` out-parameter. On failure, when `error` is not NULL,  *|
|* `*error` receives a new error object holding the status and a message;     *|
|* the caller reads it with kiln_error_message() and releases it with         *|
|* kiln_error_free(). On success `*error` is left untouched. There is no      *|
|* global error state, so every call is safe to make from any thread.         *|
|* Getters that cannot fail return their value directly.                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_KILN_RUNTIME_H
#define KILN_RUNTIME_KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The compiled-module ABI version this runtime implements. */
#define KILN_ABI_VERSION 1

/*===----------------------------------------------------------------------===*/
/* Status codes and errors                                                    */
/*===----------------------------------------------------------------------===*/

/** What a call did. */
typedef enum kiln_status {
  KILN_STATUS_OK = 0,
  /** A NULL pointer, a bad index or a tensor that does not fit. */
  KILN_STATUS_INVALID_ARGUMENT = 1,
  /** A file or a symbol does not exist. */
  KILN_STATUS_NOT_FOUND = 2,
  /** A module breaks the ABI: version, signature, or what it returned. */
  KILN_STATUS_INVALID_MODULE = 3,
  /** A malformed data file (.npy, .npz). */
  KILN_STATUS_INVALID_FILE = 4,
  /** Reading or writing a file failed. */
  KILN_STATUS_IO_ERROR = 5,
  /** Memory ran out. */
  KILN_STATUS_OUT_OF_MEMORY = 6,
  /** The device is unavailable: "no CUDA device (REASON)". */
  KILN_STATUS_NO_DEVICE = 7,
  /** A device (driver) call failed; the message names the call and error. */
  KILN_STATUS_DEVICE_ERROR = 8
} kiln_status;

/** An error: a status and a message. Owned by the caller. */
typedef struct kiln_error kiln_error;

/** The message of `error` ("" for NULL). Valid until kiln_error_free. */
const char *kiln_error_message(const kiln_error *error);

/** The status of `error` (KILN_STATUS_OK for NULL). */
kiln_status kiln_error_status(const kiln_error *error);

/** Releases `error`; NULL is ignored. */
void kiln_error_free(kiln_error *error);

/** The name of `status`, e.g. "invalid argument"; never NULL. */
const char *kiln_status_name(kiln_status status);

/*===----------------------------------------------------------------------===*/
/* Element types                                                              */
/*===----------------------------------------------------------------------===*/

/** The element types of the ABI, in docs/abi.md's order. */
typedef enum kiln_dtype {
  KILN_DTYPE_INVALID = -1,
  KILN_DTYPE_F16 = 0,
  KILN_DTYPE_BF16 = 1,
  KILN_DTYPE_F32 = 2,
  KILN_DTYPE_F64 = 3,
  KILN_DTYPE_I1 = 4, /**< bool: one byte holding 0 or 1 */
  KILN_DTYPE_I8 = 5,
  KILN_DTYPE_I16 = 6,
  KILN_DTYPE_I32 = 7,
  KILN_DTYPE_I64 = 8,
  KILN_DTYPE_U8 = 9,
  KILN_DTYPE_U16 = 10,
  KILN_DTYPE_U32 = 11,
  KILN_DTYPE_U64 = 12
} kiln_dtype;

/** The ABI name of `dtype` ("f32", "i1", ...), or NULL if it is invalid. */
const char *kiln_dtype_name(kiln_dtype dtype);

/** The ABI dtype called `name`, or KILN_DTYPE_INVALID. */
kiln_dtype kiln_dtype_from_name(const char *name);

/** Bytes per element of `dtype`, or 0 if it is invalid. */
size_t kiln_dtype_size(kiln_dtype dtype);

/*===----------------------------------------------------------------------===*/
/* Tensors                                                                    */
/*===----------------------------------------------------------------------===*/

/**
 * A dense, row-major (C order) tensor: an element type, dims and a data
 * buffer that it either owns or borrows from the caller.
 */
typedef struct kiln_tensor kiln_tensor;

/**
 * Creates a tensor that owns a zero-filled, 64-byte aligned buffer for
 * `rank` dims `dims` (each >= 0; `dims` may be NULL when `rank` is 0).
 */
kiln_status kiln_tensor_create(kiln_dtype dtype, size_t rank,
                               const int64_t *dims, kiln_tensor **out,
                               kiln_error **error);

/**
 * Creates a tensor that borrows `data` (`byte_size` bytes, row-major) without
 * owning it; the memory must outlive the tensor. The dims are checked here;
 * `data` and `byte_size` are recorded as declared and checked against the
 * dims by kiln_module_run (so its message can name the input).
 */
kiln_status kiln_tensor_wrap(kiln_dtype dtype, size_t rank, const int64_t *dims,
                             void *data, size_t byte_size, kiln_tensor **out,
                             kiln_error **error);

/** Destroys `tensor`, freeing its buffer if it owns it; NULL is ignored. */
void kiln_tensor_destroy(kiln_tensor *tensor);

/** The element type (KILN_DTYPE_INVALID for NULL). */
kiln_dtype kiln_tensor_dtype(const kiln_tensor *tensor);

/** The rank (0 for NULL). */
size_t kiln_tensor_rank(const kiln_tensor *tensor);

/** The `rank` dims, valid while the tensor lives (NULL for NULL). */
const int64_t *kiln_tensor_dims(const kiln_tensor *tensor);

/** The product of the dims (0 for NULL). */
size_t kiln_tensor_num_elements(const kiln_tensor *tensor);

/** The data buffer (NULL for NULL). */
void *kiln_tensor_data(const kiln_tensor *tensor);

/** The byte size of the buffer, as created or declared (0 for NULL). */
size_t kiln_tensor_byte_size(const kiln_tensor *tensor);

/*===----------------------------------------------------------------------===*/
/* Devices                                                                    */
/*===----------------------------------------------------------------------===*/

/** Where a module's code runs (docs/abi.md, "GPU modules"). */
typedef enum kiln_device {
  KILN_DEVICE_CPU = 0,
  /** CUDA device 0, through the driver loaded at run time (libcuda.so.1). */
  KILN_DEVICE_CUDA = 1
} kiln_device;

/** The name of `device` ("cpu", "cuda"), or NULL if it is invalid. */
const char *kiln_device_name(kiln_device device);

/**
 * Checks that `device` can run modules. The CPU always can. For CUDA, the
 * first call from any thread loads the driver (libcuda.so.1, or the path in
 * the environment variable KILN_CUDA_DRIVER) and sets up device 0; it fails
 * with KILN_STATUS_NO_DEVICE and "no CUDA device (REASON)" when the driver
 * cannot be loaded, cuInit fails or there are no devices. The outcome is
 * kept for the life of the process.
 */
kiln_status kiln_device_available(kiln_device device, kiln_error **error);

/*===----------------------------------------------------------------------===*/
/* Modules                                                                    */
/*===----------------------------------------------------------------------===*/

/** A loaded compiled module and its parsed signature. */
typedef struct kiln_module kiln_module;

/** The type of a module's `kiln_entry_main` (docs/abi.md). */
typedef void (*kiln_entry_fn)(void **args);

/**
 * Loads the shared library at `path` with dlopen and binds its
 * `kiln_abi_version`, `kiln_signature_main` and `kiln_entry_main`. Fails with
 * KILN_STATUS_NOT_FOUND for a missing file or symbol and with
 * KILN_STATUS_INVALID_MODULE for another ABI version or a malformed
 * signature or `kiln_target`. A path without '/' is taken relative to the
 * current directory, never searched for on the library path. A CUDA module
 * loads its GPU code as it is opened; if that fails (e.g.
 * KILN_STATUS_NO_DEVICE), so does this call.
 */
kiln_status kiln_module_load(const char *path, kiln_module **out,
                             kiln_error **error);

/**
 * Like kiln_module_load, for the module's function `function` (its
 * `kiln_signature_<function>` and `kiln_entry_<function>`): a training
 * module also exports `eval`, its forward pass (docs/training.md).
 */
kiln_status kiln_module_load_function(const char *path, const char *function,
                                      kiln_module **out, kiln_error **error);

/**
 * A constant the module exports as `<name>` with its byte count in
 * `<name>_size` (docs/abi.md), such as a training module's
 * `kiln_training_info`; NULL (and 0 in `*size`) when it has none or was
 * bound from linked symbols. Valid until the module is unloaded.
 */
const void *kiln_module_data(const kiln_module *module, const char *name,
                             size_t *size);

/**
 * Binds a module whose symbols are already linked into the process (the
 * static-archive and executable outputs of kilnc):
 * `kiln_module_from_symbols(&kiln_abi_version, kiln_signature_main,
 * kiln_entry_main, &module, &error)`. Checks exactly what
 * kiln_module_load does.
 */
kiln_status kiln_module_from_symbols(const uint32_t *abi_version,
                                     const char *signature, kiln_entry_fn entry,
                                     kiln_module **out, kiln_error **error);

/**
 * The device `module` was compiled for: its optional `kiln_target` symbol
 * (docs/abi.md); KILN_DEVICE_CPU without one, and for NULL.
 */
kiln_device kiln_module_device(const kiln_module *module);

/** Releases `module` (and dlcloses its library); NULL is ignored. */
void kiln_module_unload(kiln_module *module);

/** The number of inputs of `module` (0 for NULL). */
size_t kiln_module_num_inputs(const kiln_module *module);

/** The number of outputs of `module` (0 for NULL). */
size_t kiln_module_num_outputs(const kiln_module *module);

/** One input or output of a signature. Its pointers live as the module. */
typedef struct kiln_value_info {
  const char *name;    /**< decoded (no percent escapes), NUL-terminated */
  kiln_dtype dtype;    /**< element type */
  size_t rank;         /**< number of dims */
  const int64_t *dims; /**< `rank` sizes; -1 is a dynamic dim */
} kiln_value_info;

/** Describes input `index` of `module` in `*info`. */
kiln_status kiln_module_input_info(const kiln_module *module, size_t index,
                                   kiln_value_info *info, kiln_error **error);

/** Describes output `index` of `module` in `*info`. */
kiln_status kiln_module_output_info(const kiln_module *module, size_t index,
                                    kiln_value_info *info, kiln_error **error);

/**
 * Sets the number of threads the parallel loops of `module`'s compiled code
 * may use on each kiln_module_run: `threads` >= 1, or 0 (the default) for
 * the number of CPUs the process may run on; 1 runs serially. The threads
 * come from one pool that the runtime shares between modules and calls;
 * the count applies to this module's runs only, each run using at most
 * `threads` threads, its calling thread included. A module without
 * `kiln_set_parallel_hook` (docs/abi.md) always runs on the calling thread.
 * Must not be called while the module runs.
 */
kiln_status kiln_module_set_threads(kiln_module *module, int32_t threads,
                                    kiln_error **error);

/** The thread count set by kiln_module_set_threads (0 for NULL/default). */
int32_t kiln_module_threads(const kiln_module *module);

/**
 * Lends the runtime's threads to a module linked into the program, through
 * its `kiln_set_parallel_hook` (docs/abi.md): for a static archive, pass the
 * symbol the archive defines. kiln_module_load and kiln_module_from_symbols
 * already do this when they find the symbol; this call is for programs
 * where the runtime cannot (the runtime is a shared library, or the symbol
 * is not exported). The hook applies to every module sharing that symbol.
 */
kiln_status kiln_module_bind_parallel_hook(kiln_module *module,
                                           void (*set_parallel_hook)(void *),
                                           kiln_error **error);

/**
 * Runs `module` on `inputs` (`num_inputs` tensors, in signature order).
 *
 * Every input is checked first: the counts, NULL pointers, element type,
 * rank, each static dim, the byte size against the dims, and a non-NULL data
 * pointer unless the tensor has no elements. A failed check returns
 * KILN_STATUS_INVALID_ARGUMENT with a message naming the input; the compiled
 * code is not entered.
 *
 * On success `outputs[i]` (`num_outputs` slots, in signature order) holds a
 * new, owned, contiguous row-major tensor, which the caller destroys with
 * kiln_tensor_destroy. The outputs are checked against the signature's
 * static dims (KILN_STATUS_INVALID_MODULE if the compiled code broke it). On
 * failure every slot is set to NULL.
 *
 * Runs may proceed concurrently on one module from several threads, as the
 * compiled code is reentrant (docs/abi.md).
 *
 * A CUDA module's run uses one stream of its own and the runtime's device
 * memory pool; a failed device call fails the run (KILN_STATUS_NO_DEVICE or
 * KILN_STATUS_DEVICE_ERROR, the message naming the driver call and error).
 */
kiln_status kiln_module_run(const kiln_module *module,
                            const kiln_tensor *const *inputs, size_t num_inputs,
                            kiln_tensor **outputs, size_t num_outputs,
                            kiln_error **error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_KILN_RUNTIME_H */
