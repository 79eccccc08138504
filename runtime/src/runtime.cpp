//===- runtime.cpp - Modules, tensors and runs of the C API ---------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The C API of kiln_runtime.h. Internally, failures are thrown as
// RuntimeFailure and turned into a kiln_status and a kiln_error at the API
// boundary; nothing is thrown through the compiled code.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_runtime.h"

#include "cuda/device.h"
#include "parallel.h"
#include "support.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <vector>

using kiln::detail::RuntimeFailure;

/// A compiled module's hook setter (docs/abi.md), when the module is linked
/// into the program with the runtime; null otherwise.
extern "C" __attribute__((weak)) void kiln_set_parallel_hook(void *hook);
// A CUDA module linked into the program says so with its kiln_target, which
// the static link resolves (docs/abi.md); absent for a CPU module.
extern "C" __attribute__((weak)) const char kiln_target[];

struct kiln_error {
  kiln_status status;
  std::string message;
};

struct kiln_tensor {
  kiln_dtype dtype;
  std::vector<int64_t> dims;
  void *data = nullptr;
  size_t byteSize = 0;
  /// The buffer to free() on destruction, or null for borrowed data.
  void *owned = nullptr;
};

namespace {

/// One input or output of a parsed signature.
struct ValueInfo {
  std::string name;
  kiln_dtype dtype;
  std::vector<int64_t> dims;
};

} // namespace

struct kiln_module {
  /// The dlopen handle, or null for a module bound from linked symbols.
  void *handle = nullptr;
  /// What to call the module in messages: its path or "linked module".
  std::string origin;
  kiln_entry_fn entry = nullptr;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  int32_t threads = 0;
  /// The device the module was compiled for (its `kiln_target`).
  kiln_device device = KILN_DEVICE_CPU;
};

namespace {

/// The error handed out when even allocating an error fails. Never freed.
kiln_error outOfMemoryError{KILN_STATUS_OUT_OF_MEMORY, "out of memory"};

kiln_status report(kiln_error **error, kiln_status status,
                   const char *message) noexcept {
  if (!error)
    return status;
  try {
    *error = new kiln_error{status, message};
  } catch (...) {
    *error = &outOfMemoryError;
  }
  return status;
}

/// Runs `body` and turns whatever it throws into a status and an error.
template <typename Body>
kiln_status guarded(kiln_error **error, Body &&body) noexcept {
  try {
    body();
    return KILN_STATUS_OK;
  } catch (const RuntimeFailure &failure) {
    return report(error, failure.status, failure.what());
  } catch (const std::bad_alloc &) {
    return report(error, KILN_STATUS_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return report(error, KILN_STATUS_INVALID_ARGUMENT, e.what());
  }
}

[[noreturn]] void fail(kiln_status status, const std::string &message) {
  throw RuntimeFailure(status, message);
}

[[noreturn]] void invalid(const std::string &message) {
  fail(KILN_STATUS_INVALID_ARGUMENT, message);
}

const char *const dtypeNames[] = {"f16", "bf16", "f32", "f64", "i1",
                                  "i8",  "i16",  "i32", "i64", "u8",
                                  "u16", "u32",  "u64"};
const size_t dtypeSizes[] = {2, 2, 4, 8, 1, 1, 2, 4, 8, 1, 2, 4, 8};
constexpr int numDtypes = sizeof(dtypeSizes) / sizeof(dtypeSizes[0]);

bool isValidDtype(kiln_dtype dtype) { return dtype >= 0 && dtype < numDtypes; }

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// Checks `rank` dims and returns their element count; throws on a negative
/// dim or an overflowing count or byte size.
size_t checkedNumElements(kiln_dtype dtype, size_t rank, const int64_t *dims) {
  if (!isValidDtype(dtype))
    invalid("invalid dtype " + std::to_string(static_cast<int>(dtype)));
  if (rank > 0 && !dims)
    invalid("dims is NULL for a tensor of rank " + std::to_string(rank));
  size_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      invalid("dim " + std::to_string(i) + " is negative (" +
              std::to_string(dims[i]) + ")");
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(dims[i]), &count))
      invalid("the element count of shape " +
              kiln::detail::formatDims(dims, rank) + " overflows");
  }
  size_t bytes;
  if (__builtin_mul_overflow(count, dtypeSizes[dtype], &bytes))
    invalid("the byte size of shape " + kiln::detail::formatDims(dims, rank) +
            " overflows");
  return count;
}

/// Allocates a 64-byte aligned, zeroed buffer of `bytes` (at least 1) bytes.
void *allocateBuffer(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded < bytes) // Overflow.
    throw std::bad_alloc();
  void *buffer = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!buffer)
    throw std::bad_alloc();
  std::memset(buffer, 0, rounded == 0 ? 64 : rounded);
  return buffer;
}

kiln_tensor *newOwnedTensor(kiln_dtype dtype, std::vector<int64_t> dims) {
  size_t count = checkedNumElements(dtype, dims.size(), dims.data());
  auto *tensor = new kiln_tensor{dtype, std::move(dims)};
  tensor->byteSize = count * dtypeSizes[dtype];
  try {
    tensor->owned = tensor->data = allocateBuffer(tensor->byteSize);
  } catch (...) {
    delete tensor;
    throw;
  }
  return tensor;
}

//===----------------------------------------------------------------------===//
// Signatures
//===----------------------------------------------------------------------===//

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Parses a decimal integer that fills `token`; false if it does not.
bool parseInt(const std::string &token, int64_t &value) {
  if (token.empty() || token.size() > 20)
    return false;
  errno = 0;
  char *end = nullptr;
  long long parsed = std::strtoll(token.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  value = parsed;
  return true;
}

/// Parses the signature text of docs/abi.md into `module`.
void parseSignature(const char *text, kiln_module &module) {
  auto error = [&](size_t line, const std::string &what) {
    fail(KILN_STATUS_INVALID_MODULE, "module " + module.origin +
                                         ": signature line " +
                                         std::to_string(line) + ": " + what);
  };
  std::string all(text);
  size_t lineNumber = 0;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string::npos)
      end = all.size();
    std::string line = all.substr(pos, end - pos);
    pos = end + 1;
    ++lineNumber;
    std::vector<std::string> tokens;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() &&
             (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        ++i;
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' &&
             line[i] != '\r')
        ++i;
      if (i > start)
        tokens.push_back(line.substr(start, i - start));
    }
    if (tokens.empty())
      continue;
    if (tokens.size() < 4)
      error(lineNumber, "expected 'input|output NAME DTYPE RANK DIM...'");
    bool isInput = tokens[0] == "input";
    if (!isInput && tokens[0] != "output")
      error(lineNumber,
            "expected 'input' or 'output', got '" + tokens[0] + "'");
    if (isInput && !module.outputs.empty())
      error(lineNumber, "an input follows the outputs");

    ValueInfo value;
    const std::string &encoded = tokens[1];
    for (size_t c = 0; c < encoded.size(); ++c) {
      if (encoded[c] != '%') {
        value.name += encoded[c];
        continue;
      }
      int high = c + 2 < encoded.size() ? hexDigit(encoded[c + 1]) : -1;
      int low = c + 2 < encoded.size() ? hexDigit(encoded[c + 2]) : -1;
      if (high < 0 || low < 0)
        error(lineNumber, "bad percent escape in name '" + encoded + "'");
      value.name += static_cast<char>(high * 16 + low);
      c += 2;
    }
    value.dtype = kiln_dtype_from_name(tokens[2].c_str());
    if (value.dtype == KILN_DTYPE_INVALID)
      error(lineNumber, "unknown dtype '" + tokens[2] + "'");
    int64_t rank;
    if (!parseInt(tokens[3], rank) || rank < 0)
      error(lineNumber, "bad rank '" + tokens[3] + "'");
    if (static_cast<uint64_t>(rank) != tokens.size() - 4)
      error(lineNumber, "rank " + tokens[3] + " but " +
                            std::to_string(tokens.size() - 4) + " dims");
    for (size_t d = 4; d < tokens.size(); ++d) {
      int64_t dim;
      if (!parseInt(tokens[d], dim) || dim < -1)
        error(lineNumber, "bad dim '" + tokens[d] + "'");
      value.dims.push_back(dim);
    }
    std::vector<ValueInfo> &list = isInput ? module.inputs : module.outputs;
    for (const ValueInfo &other : list)
      if (other.name == value.name)
        error(lineNumber, std::string("duplicate ") +
                              (isInput ? "input" : "output") + " name '" +
                              value.name + "'");
    list.push_back(std::move(value));
  }
}

/// Checks the ABI version, parses the signature and completes `module`.
void bindModule(kiln_module &module, const uint32_t *version,
                const char *signature, kiln_entry_fn entry) {
  if (*version != KILN_ABI_VERSION)
    fail(KILN_STATUS_INVALID_MODULE,
         "module " + module.origin + " has ABI version " +
             std::to_string(*version) + "; this runtime supports version " +
             std::to_string(KILN_ABI_VERSION));
  module.entry = entry;
  parseSignature(signature, module);
}

/// The device named by a module's `kiln_target` (null: the CPU).
kiln_device parseTarget(const kiln_module &module, const char *target) {
  if (!target || std::strcmp(target, "cpu") == 0)
    return KILN_DEVICE_CPU;
  if (std::strcmp(target, "cuda") == 0)
    return KILN_DEVICE_CUDA;
  fail(KILN_STATUS_INVALID_MODULE,
       "module " + module.origin + " has kiln_target '" +
           std::string(target, strnlen(target, 64)) +
           "'; this runtime knows 'cpu' and 'cuda'");
}

std::string describe(const ValueInfo &value) {
  return std::string(dtypeNames[value.dtype]) + " " +
         kiln::detail::formatDims(value.dims.data(), value.dims.size());
}

//===----------------------------------------------------------------------===//
// Runs
//===----------------------------------------------------------------------===//

/// Throws unless `tensor` fits input `index` of `module`.
void checkInput(const kiln_module &module, size_t index,
                const kiln_tensor *tensor) {
  const ValueInfo &info = module.inputs[index];
  std::string what = "input '" + info.name + "' (#" + std::to_string(index) +
                     ", " + describe(info) + ")";
  if (!tensor)
    invalid(what + " is NULL");
  if (tensor->dtype != info.dtype)
    invalid(what + ": got dtype " + dtypeNames[tensor->dtype]);
  const std::vector<int64_t> &dims = tensor->dims;
  std::string shape = kiln::detail::formatDims(dims.data(), dims.size());
  if (dims.size() != info.dims.size())
    invalid(what + ": got rank " + std::to_string(dims.size()) + " " + shape);
  for (size_t d = 0; d < dims.size(); ++d)
    if (info.dims[d] >= 0 && dims[d] != info.dims[d])
      invalid(what + ": got shape " + shape + "; dim " + std::to_string(d) +
              " must be " + std::to_string(info.dims[d]));
  size_t count = checkedNumElements(tensor->dtype, dims.size(), dims.data());
  size_t bytes = count * dtypeSizes[tensor->dtype];
  if (tensor->byteSize != bytes)
    invalid(what + ": its buffer has " + std::to_string(tensor->byteSize) +
            " bytes but shape " + shape + " needs " + std::to_string(bytes));
  if (count > 0 && !tensor->data)
    invalid(what + ": data is NULL for " + std::to_string(count) + " elements");
}

/// Copies a strided view into the row-major buffer `dst`.
void copyStrided(char *dst, const char *src, size_t elementSize,
                 const std::vector<int64_t> &sizes,
                 const std::vector<int64_t> &strides) {
  size_t rank = sizes.size();
  size_t count = 1;
  for (int64_t size : sizes)
    count *= static_cast<size_t>(size);
  if (count == 0)
    return;
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0; // In elements, relative to src.
  for (size_t n = 0; n < count; ++n) {
    std::memcpy(dst + n * elementSize, src + offset * int64_t(elementSize),
                elementSize);
    for (size_t d = rank; d-- > 0;) {
      offset += strides[d];
      if (++index[d] < sizes[d])
        break;
      offset -= strides[d] * sizes[d];
      index[d] = 0;
    }
  }
}

/// The output descriptors of one call and the buffers they own. Frees every
/// buffer not handed over to a tensor.
class OutputBuffers {
public:
  ~OutputBuffers() {
    for (void *buffer : toFree)
      std::free(buffer);
  }
  /// Records a buffer to free, once.
  void add(void *buffer) {
    if (buffer)
      toFree.insert(buffer);
  }
  /// Takes `buffer` away from this set; false if it was not (still) in it.
  bool take(void *buffer) { return toFree.erase(buffer) == 1; }

private:
  std::set<void *> toFree;
};

/// Turns output descriptor `index` into an owned row-major tensor.
kiln_tensor *adoptOutput(const kiln_module &module, size_t index,
                         const int64_t *words, OutputBuffers &buffers) {
  const ValueInfo &info = module.outputs[index];
  size_t rank = info.dims.size();
  auto *allocated = reinterpret_cast<char *>(words[0]);
  auto *aligned = reinterpret_cast<char *>(words[1]);
  int64_t offset = words[2];
  std::vector<int64_t> sizes(words + 3, words + 3 + rank);
  std::vector<int64_t> strides(words + 3 + rank, words + 3 + 2 * rank);
  std::string what = "module " + module.origin + ": output '" + info.name +
                     "' (" + describe(info) + ")";
  for (int64_t size : sizes)
    if (size < 0)
      fail(KILN_STATUS_INVALID_MODULE,
           what + " came back with a negative size in " +
               kiln::detail::formatDims(sizes.data(), rank));
  for (size_t d = 0; d < rank; ++d)
    if (info.dims[d] >= 0 && sizes[d] != info.dims[d])
      fail(KILN_STATUS_INVALID_MODULE,
           what + " came back with shape " +
               kiln::detail::formatDims(sizes.data(), rank));
  size_t count = checkedNumElements(info.dtype, rank, sizes.data());
  size_t elementSize = dtypeSizes[info.dtype];
  if (count > 0 && !aligned)
    fail(KILN_STATUS_INVALID_MODULE, what + " came back with a NULL buffer");

  bool rowMajor = true;
  int64_t expected = 1;
  for (size_t d = rank; d-- > 0;) {
    if (sizes[d] != 1 && strides[d] != expected)
      rowMajor = false;
    expected *= sizes[d];
  }
  char *data = count ? aligned + offset * int64_t(elementSize) : nullptr;
  if (count > 0 && rowMajor && buffers.take(allocated)) {
    // Hand the compiled code's buffer over without copying.
    auto *tensor = new (std::nothrow) kiln_tensor{info.dtype, sizes};
    if (!tensor) {
      buffers.add(allocated);
      throw std::bad_alloc();
    }
    tensor->data = data;
    tensor->byteSize = count * elementSize;
    tensor->owned = allocated;
    return tensor;
  }
  kiln_tensor *tensor = newOwnedTensor(info.dtype, sizes);
  if (count > 0)
    copyStrided(static_cast<char *>(tensor->data), data, elementSize, sizes,
                strides);
  return tensor;
}

void runModule(const kiln_module &module, const kiln_tensor *const *inputs,
               size_t numInputs, kiln_tensor **outputs, size_t numOutputs) {
  auto names = [](const std::vector<ValueInfo> &values) {
    std::string list;
    for (const ValueInfo &value : values)
      list += (list.empty() ? "" : ", ") + ("'" + value.name + "'");
    return list.empty() ? std::string("none") : list;
  };
  if (numOutputs != module.outputs.size())
    invalid("module " + module.origin + " has " +
            std::to_string(module.outputs.size()) + " outputs (" +
            names(module.outputs) + "), but " + std::to_string(numOutputs) +
            " output slots were given");
  if (numOutputs > 0 && !outputs)
    invalid("the outputs array is NULL");
  if (numInputs != module.inputs.size())
    invalid("module " + module.origin + " has " +
            std::to_string(module.inputs.size()) + " inputs (" +
            names(module.inputs) + "), but " + std::to_string(numInputs) +
            " were given");
  if (numInputs > 0 && !inputs)
    invalid("the inputs array is NULL");
  for (size_t i = 0; i < numInputs; ++i)
    checkInput(module, i, inputs[i]);

  // The descriptors: per input {allocated, aligned, offset, sizes, strides},
  // and the result block holding every output's descriptor.
  std::vector<std::vector<int64_t>> descriptors(numInputs);
  std::vector<void *> args(1 + numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    const kiln_tensor &tensor = *inputs[i];
    size_t rank = tensor.dims.size();
    std::vector<int64_t> &words = descriptors[i];
    words.assign(3 + 2 * rank, 0);
    words[0] = words[1] = reinterpret_cast<int64_t>(tensor.data);
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      words[3 + d] = tensor.dims[d];
      words[3 + rank + d] = stride;
      stride *= tensor.dims[d];
    }
    args[1 + i] = words.data();
  }
  size_t resultWords = 0;
  for (const ValueInfo &output : module.outputs)
    resultWords += 3 + 2 * output.dims.size();
  std::vector<int64_t> result(resultWords + 1, 0);
  args[0] = result.data();

  // The compiled code's parallel loops use the module's threads on this
  // call (parallel.h).
  kiln::detail::RunThreadsScope threads(
      module.threads > 0 ? module.threads : kiln::detail::availableCPUs());
  // A CUDA module's run: its stream, its memory, its first device error.
  std::optional<kiln::cuda::RunScope> gpuRun;
  if (module.device == KILN_DEVICE_CUDA)
    gpuRun.emplace(&module);
  module.entry(args.data());

  OutputBuffers buffers;
  for (size_t o = 0, at = 0; o < numOutputs; ++o) {
    buffers.add(reinterpret_cast<void *>(result[at]));
    at += 3 + 2 * module.outputs[o].dims.size();
  }
  if (gpuRun)
    gpuRun->finish();
  std::vector<kiln_tensor *> adopted;
  try {
    for (size_t o = 0, at = 0; o < numOutputs; ++o) {
      adopted.push_back(adoptOutput(module, o, &result[at], buffers));
      at += 3 + 2 * module.outputs[o].dims.size();
    }
  } catch (...) {
    for (kiln_tensor *tensor : adopted)
      kiln_tensor_destroy(tensor);
    throw;
  }
  for (size_t o = 0; o < numOutputs; ++o)
    outputs[o] = adopted[o];
}

const kiln_module &checkedModule(const kiln_module *module) {
  if (!module)
    invalid("module is NULL");
  return *module;
}

kiln_status describeValue(const kiln_module *module, size_t index,
                          kiln_value_info *info, kiln_error **error,
                          bool input) {
  return guarded(error, [&] {
    const std::vector<ValueInfo> &values =
        input ? checkedModule(module).inputs : checkedModule(module).outputs;
    const char *kind = input ? "input" : "output";
    if (!info)
      invalid(std::string("the ") + kind + " info pointer is NULL");
    if (index >= values.size())
      invalid(std::string(kind) + " index " + std::to_string(index) +
              " is out of range; the module has " +
              std::to_string(values.size()));
    const ValueInfo &value = values[index];
    info->name = value.name.c_str();
    info->dtype = value.dtype;
    info->rank = value.dims.size();
    info->dims = value.dims.data();
  });
}

} // namespace

namespace kiln::detail {

std::string formatDims(const int64_t *dims, size_t rank) {
  std::string text = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
  }
  return text + "]";
}

} // namespace kiln::detail

//===----------------------------------------------------------------------===//
// The C API
//===----------------------------------------------------------------------===//

extern "C" {

const char *kiln_error_message(const kiln_error *error) {
  return error ? error->message.c_str() : "";
}

kiln_status kiln_error_status(const kiln_error *error) {
  return error ? error->status : KILN_STATUS_OK;
}

void kiln_error_free(kiln_error *error) {
  if (error != &outOfMemoryError)
    delete error;
}

const char *kiln_status_name(kiln_status status) {
  switch (status) {
  case KILN_STATUS_OK:
    return "ok";
  case KILN_STATUS_INVALID_ARGUMENT:
    return "invalid argument";
  case KILN_STATUS_NOT_FOUND:
    return "not found";
  case KILN_STATUS_INVALID_MODULE:
    return "invalid module";
  case KILN_STATUS_INVALID_FILE:
    return "invalid file";
  case KILN_STATUS_IO_ERROR:
    return "I/O error";
  case KILN_STATUS_OUT_OF_MEMORY:
    return "out of memory";
  case KILN_STATUS_NO_DEVICE:
    return "no device";
  case KILN_STATUS_DEVICE_ERROR:
    return "device error";
  }
  return "unknown status";
}

const char *kiln_dtype_name(kiln_dtype dtype) {
  return isValidDtype(dtype) ? dtypeNames[dtype] : nullptr;
}

kiln_dtype kiln_dtype_from_name(const char *name) {
  if (name)
    for (int i = 0; i < numDtypes; ++i)
      if (std::strcmp(name, dtypeNames[i]) == 0)
        return static_cast<kiln_dtype>(i);
  return KILN_DTYPE_INVALID;
}

size_t kiln_dtype_size(kiln_dtype dtype) {
  return isValidDtype(dtype) ? dtypeSizes[dtype] : 0;
}

kiln_status kiln_tensor_create(kiln_dtype dtype, size_t rank,
                               const int64_t *dims, kiln_tensor **out,
                               kiln_error **error) {
  return guarded(error, [&] {
    if (!out)
      invalid("the output tensor pointer is NULL");
    *out = nullptr;
    checkedNumElements(dtype, rank, dims);
    *out = newOwnedTensor(dtype, std::vector<int64_t>(dims, dims + rank));
  });
}

kiln_status kiln_tensor_wrap(kiln_dtype dtype, size_t rank, const int64_t *dims,
                             void *data, size_t byte_size, kiln_tensor **out,
                             kiln_error **error) {
  return guarded(error, [&] {
    if (!out)
      invalid("the output tensor pointer is NULL");
    *out = nullptr;
    checkedNumElements(dtype, rank, dims);
    auto *tensor =
        new kiln_tensor{dtype, std::vector<int64_t>(dims, dims + rank)};
    tensor->data = data;
    tensor->byteSize = byte_size;
    *out = tensor;
  });
}

void kiln_tensor_destroy(kiln_tensor *tensor) {
  if (!tensor)
    return;
  std::free(tensor->owned);
  delete tensor;
}

kiln_dtype kiln_tensor_dtype(const kiln_tensor *tensor) {
  return tensor ? tensor->dtype : KILN_DTYPE_INVALID;
}

size_t kiln_tensor_rank(const kiln_tensor *tensor) {
  return tensor ? tensor->dims.size() : 0;
}

const int64_t *kiln_tensor_dims(const kiln_tensor *tensor) {
  return tensor ? tensor->dims.data() : nullptr;
}

size_t kiln_tensor_num_elements(const kiln_tensor *tensor) {
  if (!tensor)
    return 0;
  size_t count = 1;
  for (int64_t dim : tensor->dims)
    count *= static_cast<size_t>(dim);
  return count;
}

void *kiln_tensor_data(const kiln_tensor *tensor) {
  return tensor ? tensor->data : nullptr;
}

size_t kiln_tensor_byte_size(const kiln_tensor *tensor) {
  return tensor ? tensor->byteSize : 0;
}

kiln_status kiln_module_load(const char *path, kiln_module **out,
                             kiln_error **error) {
  return kiln_module_load_function(path, "main", out, error);
}

kiln_status kiln_module_load_function(const char *path, const char *function,
                                      kiln_module **out, kiln_error **error) {
  kiln_module *module = nullptr;
  kiln_status status = guarded(error, [&] {
    if (!out)
      invalid("the output module pointer is NULL");
    *out = nullptr;
    if (!path)
      invalid("the module path is NULL");
    if (!function || !*function)
      invalid("the function name is NULL or empty");
    std::string where = path;
    // dlopen searches the library path for a name without '/'.
    if (where.find('/') == std::string::npos)
      where = "./" + where;
    module = new kiln_module;
    module->origin = "'" + std::string(path) + "'";
    struct stat info;
    if (stat(where.c_str(), &info) != 0)
      fail(KILN_STATUS_NOT_FOUND, "cannot load module '" + std::string(path) +
                                      "': " + std::strerror(errno));
    // A CUDA module loads its GPU code from its constructors, through
    // mgpu* calls whose first failure is the thread's GPU error.
    kiln::cuda::clearRecordedError();
    module->handle = dlopen(where.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module->handle) {
      const char *reason = dlerror();
      kiln::cuda::clearRecordedError();
      fail(KILN_STATUS_INVALID_MODULE,
           "cannot load module '" + std::string(path) +
               "': " + (reason ? reason : "dlopen failed"));
    }
    try {
      kiln::cuda::throwRecordedError();
    } catch (const RuntimeFailure &failure) {
      fail(failure.status,
           "cannot load module '" + std::string(path) + "': " + failure.what());
    }
    auto symbol = [&](const char *name) {
      void *address = dlsym(module->handle, name);
      if (!address)
        fail(KILN_STATUS_NOT_FOUND, "module '" + std::string(path) +
                                        "' does not export '" + name +
                                        "'; is it a Kiln module?");
      return address;
    };
    const auto *version =
        static_cast<const uint32_t *>(symbol("kiln_abi_version"));
    std::string name = function;
    const auto *signature =
        static_cast<const char *>(symbol(("kiln_signature_" + name).c_str()));
    auto entry =
        reinterpret_cast<kiln_entry_fn>(symbol(("kiln_entry_" + name).c_str()));
    bindModule(*module, version, signature, entry);
    module->device = parseTarget(*module, static_cast<const char *>(dlsym(
                                              module->handle, "kiln_target")));
    kiln::detail::installParallelHook(reinterpret_cast<void (*)(void *)>(
        dlsym(module->handle, "kiln_set_parallel_hook")));
    *out = module;
  });
  if (status != KILN_STATUS_OK)
    kiln_module_unload(module);
  return status;
}

kiln_status kiln_module_from_symbols(const uint32_t *abi_version,
                                     const char *signature, kiln_entry_fn entry,
                                     kiln_module **out, kiln_error **error) {
  kiln_module *module = nullptr;
  kiln_status status = guarded(error, [&] {
    if (!out)
      invalid("the output module pointer is NULL");
    *out = nullptr;
    if (!abi_version || !signature || !entry)
      invalid("kiln_module_from_symbols needs the ABI version, signature "
              "and entry point; one is NULL");
    module = new kiln_module;
    module->origin = "(linked)";
    bindModule(*module, abi_version, signature, entry);
    const char *target = kiln_target;
    module->device = parseTarget(*module, target);
    // The module's hook setter, linked in beside the runtime: resolved
    // by the static link (a weak reference), or exported by the program.
    void (*setHook)(void *) = kiln_set_parallel_hook;
    if (!setHook)
      setHook = reinterpret_cast<void (*)(void *)>(
          dlsym(RTLD_DEFAULT, "kiln_set_parallel_hook"));
    kiln::detail::installParallelHook(setHook);
    *out = module;
  });
  if (status != KILN_STATUS_OK)
    kiln_module_unload(module);
  return status;
}

const char *kiln_device_name(kiln_device device) {
  switch (device) {
  case KILN_DEVICE_CPU:
    return "cpu";
  case KILN_DEVICE_CUDA:
    return "cuda";
  }
  return nullptr;
}

kiln_status kiln_device_available(kiln_device device, kiln_error **error) {
  return guarded(error, [&] {
    if (device == KILN_DEVICE_CUDA)
      kiln::cuda::Device::get();
    else if (device != KILN_DEVICE_CPU)
      invalid("invalid device " + std::to_string(static_cast<int>(device)));
  });
}

kiln_device kiln_module_device(const kiln_module *module) {
  return module ? module->device : KILN_DEVICE_CPU;
}

void kiln_module_unload(kiln_module *module) {
  if (!module)
    return;
  // The device copies of its weights, cached across its runs.
  if (module->device == KILN_DEVICE_CUDA)
    kiln::cuda::releaseConstants(module);
  if (module->handle) {
    dlclose(module->handle);
    // A CUDA module unloads its GPU code from its destructors; a failure
    // there has no one to report to.
    kiln::cuda::clearRecordedError();
  }
  delete module;
}

const void *kiln_module_data(const kiln_module *module, const char *name,
                             size_t *size) {
  if (size)
    *size = 0;
  if (!module || !module->handle || !name)
    return nullptr;
  const void *data = dlsym(module->handle, name);
  const auto *count = static_cast<const uint64_t *>(
      dlsym(module->handle, (std::string(name) + "_size").c_str()));
  if (!data || !count)
    return nullptr;
  if (size)
    *size = static_cast<size_t>(*count);
  return data;
}

size_t kiln_module_num_inputs(const kiln_module *module) {
  return module ? module->inputs.size() : 0;
}

size_t kiln_module_num_outputs(const kiln_module *module) {
  return module ? module->outputs.size() : 0;
}

kiln_status kiln_module_input_info(const kiln_module *module, size_t index,
                                   kiln_value_info *info, kiln_error **error) {
  return describeValue(module, index, info, error, /*input=*/true);
}

kiln_status kiln_module_output_info(const kiln_module *module, size_t index,
                                    kiln_value_info *info, kiln_error **error) {
  return describeValue(module, index, info, error, /*input=*/false);
}

kiln_status kiln_module_set_threads(kiln_module *module, int32_t threads,
                                    kiln_error **error) {
  return guarded(error, [&] {
    if (!module)
      invalid("module is NULL");
    if (threads < 0)
      invalid("the thread count must be >= 0, got " + std::to_string(threads));
    module->threads = threads;
  });
}

int32_t kiln_module_threads(const kiln_module *module) {
  return module ? module->threads : 0;
}

kiln_status kiln_module_bind_parallel_hook(kiln_module *module,
                                           void (*set_parallel_hook)(void *),
                                           kiln_error **error) {
  return guarded(error, [&] {
    if (!module)
      invalid("module is NULL");
    if (!set_parallel_hook)
      invalid("kiln_module_bind_parallel_hook needs the module's "
              "kiln_set_parallel_hook; it is NULL");
    kiln::detail::installParallelHook(set_parallel_hook);
  });
}

kiln_status kiln_module_run(const kiln_module *module,
                            const kiln_tensor *const *inputs, size_t num_inputs,
                            kiln_tensor **outputs, size_t num_outputs,
                            kiln_error **error) {
  if (outputs)
    for (size_t o = 0; o < num_outputs; ++o)
      outputs[o] = nullptr;
  return guarded(error, [&] {
    runModule(checkedModule(module), inputs, num_inputs, outputs, num_outputs);
  });
}

} // extern "C"
