//===- kiln_runtime.hpp - C++ wrapper of the Kiln runtime -------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Header-only RAII classes over kiln_runtime.h: kiln::Module and
// kiln::Tensor (move-only owners of a kiln_module / kiln_tensor).
//
// Errors are exceptions: every failing call throws kiln::Error, which
// carries the kiln_status and the C API's message. Code built without
// exceptions uses the C API directly.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_KILN_RUNTIME_HPP
#define KILN_RUNTIME_KILN_RUNTIME_HPP

#include "kiln/runtime/kiln_runtime.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// A failed runtime call: its status and message.
class Error : public std::runtime_error {
public:
  Error(kiln_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}

  /// The C API's status code.
  kiln_status status() const { return status_; }

private:
  kiln_status status_;
};

namespace detail {
/// Calls `fn(kiln_error **)`, a C API call, and throws kiln::Error (releasing
/// the C error) when it fails.
template <typename Fn> void call(Fn &&fn) {
  kiln_error *error = nullptr;
  kiln_status status = fn(&error);
  if (status == KILN_STATUS_OK)
    return;
  std::string message =
      error ? kiln_error_message(error) : kiln_status_name(status);
  kiln_error_free(error);
  throw Error(status, message);
}
} // namespace detail

/// An owned handle to a kiln_tensor (whose data it may own or borrow).
class Tensor {
public:
  /// An empty handle.
  Tensor() = default;
  /// Adopts `tensor` (destroyed with this handle).
  explicit Tensor(kiln_tensor *tensor) : tensor_(tensor) {}
  /// A new zero-filled tensor owning its buffer.
  Tensor(kiln_dtype dtype, const std::vector<int64_t> &dims) {
    detail::call([&](kiln_error **error) {
      return kiln_tensor_create(dtype, dims.size(), dims.data(), &tensor_,
                                error);
    });
  }
  /// A tensor borrowing `byteSize` bytes at `data`.
  static Tensor wrap(kiln_dtype dtype, const std::vector<int64_t> &dims,
                     void *data, size_t byteSize) {
    kiln_tensor *tensor = nullptr;
    detail::call([&](kiln_error **error) {
      return kiln_tensor_wrap(dtype, dims.size(), dims.data(), data, byteSize,
                              &tensor, error);
    });
    return Tensor(tensor);
  }

  Tensor(Tensor &&other) noexcept : tensor_(other.release()) {}
  Tensor &operator=(Tensor &&other) noexcept {
    if (this != &other) {
      kiln_tensor_destroy(tensor_);
      tensor_ = other.release();
    }
    return *this;
  }
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
  ~Tensor() { kiln_tensor_destroy(tensor_); }

  /// Whether this handle holds a tensor.
  explicit operator bool() const { return tensor_ != nullptr; }
  /// The C tensor, still owned by this handle.
  kiln_tensor *get() const { return tensor_; }
  /// Gives up ownership of the C tensor.
  kiln_tensor *release() { return std::exchange(tensor_, nullptr); }

  kiln_dtype dtype() const { return kiln_tensor_dtype(tensor_); }
  size_t rank() const { return kiln_tensor_rank(tensor_); }
  std::vector<int64_t> dims() const {
    const int64_t *dims = kiln_tensor_dims(tensor_);
    return std::vector<int64_t>(dims, dims + rank());
  }
  size_t numElements() const { return kiln_tensor_num_elements(tensor_); }
  size_t byteSize() const { return kiln_tensor_byte_size(tensor_); }
  void *data() const { return kiln_tensor_data(tensor_); }
  /// The data as `T` (the caller picks the type matching dtype()).
  template <typename T> T *data() const { return static_cast<T *>(data()); }

private:
  kiln_tensor *tensor_ = nullptr;
};

/// One input or output of a module's signature.
struct ValueInfo {
  std::string name;
  kiln_dtype dtype;
  /// The dims; -1 is dynamic.
  std::vector<int64_t> dims;
};

/// An owned handle to a loaded kiln_module.
class Module {
public:
  /// Loads the shared library at `path` (kiln_module_load).
  static Module load(const std::string &path) {
    kiln_module *module = nullptr;
    detail::call([&](kiln_error **error) {
      return kiln_module_load(path.c_str(), &module, error);
    });
    return Module(module);
  }
  /// Loads the function `function` of the shared library at `path`
  /// (kiln_module_load_function).
  static Module load(const std::string &path, const std::string &function) {
    kiln_module *module = nullptr;
    detail::call([&](kiln_error **error) {
      return kiln_module_load_function(path.c_str(), function.c_str(), &module,
                                       error);
    });
    return Module(module);
  }
  /// Binds symbols linked into the process (kiln_module_from_symbols).
  static Module fromSymbols(const uint32_t *abiVersion, const char *signature,
                            kiln_entry_fn entry) {
    kiln_module *module = nullptr;
    detail::call([&](kiln_error **error) {
      return kiln_module_from_symbols(abiVersion, signature, entry, &module,
                                      error);
    });
    return Module(module);
  }

  Module() = default;
  explicit Module(kiln_module *module) : module_(module) {}
  Module(Module &&other) noexcept
      : module_(std::exchange(other.module_, nullptr)) {}
  Module &operator=(Module &&other) noexcept {
    if (this != &other) {
      kiln_module_unload(module_);
      module_ = std::exchange(other.module_, nullptr);
    }
    return *this;
  }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  ~Module() { kiln_module_unload(module_); }

  /// The C module, still owned by this handle.
  kiln_module *get() const { return module_; }

  size_t numInputs() const { return kiln_module_num_inputs(module_); }
  size_t numOutputs() const { return kiln_module_num_outputs(module_); }
  ValueInfo input(size_t index) const {
    return describe(kiln_module_input_info, index);
  }
  ValueInfo output(size_t index) const {
    return describe(kiln_module_output_info, index);
  }
  std::vector<ValueInfo> inputs() const {
    std::vector<ValueInfo> values;
    for (size_t i = 0; i < numInputs(); ++i)
      values.push_back(input(i));
    return values;
  }
  std::vector<ValueInfo> outputs() const {
    std::vector<ValueInfo> values;
    for (size_t i = 0; i < numOutputs(); ++i)
      values.push_back(output(i));
    return values;
  }

  /// Sets the thread count (kiln_module_set_threads).
  void setThreads(int32_t threads) {
    detail::call([&](kiln_error **error) {
      return kiln_module_set_threads(module_, threads, error);
    });
  }
  int32_t threads() const { return kiln_module_threads(module_); }

  /// Runs the module on `inputs`, in signature order (kiln_module_run).
  std::vector<Tensor> run(const std::vector<const Tensor *> &inputs) const {
    std::vector<const kiln_tensor *> raw;
    for (const Tensor *input : inputs)
      raw.push_back(input ? input->get() : nullptr);
    std::vector<kiln_tensor *> results(numOutputs(), nullptr);
    std::vector<Tensor> outputs;
    outputs.reserve(results.size());
    detail::call([&](kiln_error **error) {
      return kiln_module_run(module_, raw.data(), raw.size(), results.data(),
                             results.size(), error);
    });
    for (kiln_tensor *result : results)
      outputs.emplace_back(result);
    return outputs;
  }

private:
  using InfoFn = kiln_status (*)(const kiln_module *, size_t, kiln_value_info *,
                                 kiln_error **);
  ValueInfo describe(InfoFn fn, size_t index) const {
    kiln_value_info info;
    detail::call(
        [&](kiln_error **error) { return fn(module_, index, &info, error); });
    return ValueInfo{info.name, info.dtype,
                     std::vector<int64_t>(info.dims, info.dims + info.rank)};
  }

  kiln_module *module_ = nullptr;
};

} // namespace kiln

#endif // KILN_RUNTIME_KILN_RUNTIME_HPP
