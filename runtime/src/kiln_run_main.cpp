//===- kiln_run_main.cpp - kiln-run's command line ------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Reads the inputs from an .npz whose keys are the module's input names,
// runs the module, then writes the outputs to an .npz (keys: output names)
// or prints them; --bench times N more runs and prints the median.
//
// NumPy has no bfloat16: bf16 inputs are read from, and bf16 outputs
// written as, uint16 arrays holding the raw bits.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_run_main.h"

#include "kiln/runtime/kiln_runtime.hpp"
#include "kiln/runtime/npy.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace kiln;

namespace {

/// The options after the program name (and module, for kiln-run).
const char *const usage =
    "--inputs IN.npz [--outputs OUT.npz] [--threads N] [--bench N] "
    "[--device cpu|cuda] [--function NAME]\n";
const char *const help =
    "\n"
    "Runs a module compiled by kilnc. The .npz keys are the module's input\n"
    "and output names. Without --outputs, prints each output's name, dtype,\n"
    "shape and first values. --threads N: the threads of the compiled code's\n"
    "parallel loops (default: every CPU; 1 runs serially);\n"
    "--bench N times N runs after a warm-up run and prints the median.\n"
    "--device (default cpu) must be the device the module was compiled for.\n"
    "--function NAME runs another function of the module (default main;\n"
    "a training module's forward pass is eval).\n";

/// A usage error: the message is printed after "error: ".
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string modulePath;
  std::string function = "main";
  std::string inputs;
  std::string outputs;
  int32_t threads = 0;
  int64_t bench = 0;
  kiln_device device = KILN_DEVICE_CPU;
};

int64_t parsePositive(const std::string &option, const std::string &value,
                      int64_t max) {
  char *end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end || errno || parsed < 1 || parsed > max)
    throw UsageError(option + " needs an integer from 1 to " +
                     std::to_string(max) + ", got '" + value + "'");
  return parsed;
}

/// Parses argv; returns nullopt when --help was given.
std::optional<Options> parseOptions(int argc, char **argv,
                                    bool needModulePath) {
  Options options;
  bool haveModule = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help")
      return std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      std::string name = arg, value;
      size_t equals = arg.find('=');
      bool inlineValue = equals != std::string::npos;
      if (inlineValue) {
        name = arg.substr(0, equals);
        value = arg.substr(equals + 1);
      }
      static const char *const known[] = {"--inputs",  "--outputs",
                                          "--threads", "--bench",
                                          "--device",  "--function"};
      if (std::find_if(std::begin(known), std::end(known), [&](const char *k) {
            return name == k;
          }) == std::end(known))
        throw UsageError("unknown option '" + name + "'");
      if (!inlineValue) {
        if (i + 1 >= argc)
          throw UsageError(name + " needs a value");
        value = argv[++i];
      }
      if (name == "--inputs")
        options.inputs = value;
      else if (name == "--outputs")
        options.outputs = value;
      else if (name == "--threads")
        options.threads = parsePositive(name, value, 1 << 16);
      else if (name == "--bench")
        options.bench = parsePositive(name, value, 1 << 30);
      else if (name == "--function")
        options.function = value;
      else if (value == "cuda")
        options.device = KILN_DEVICE_CUDA;
      else if (value == "cpu")
        options.device = KILN_DEVICE_CPU;
      else
        throw UsageError("unknown device '" + value +
                         "' (expected cpu or cuda)");
      continue;
    }
    if (!needModulePath || haveModule)
      throw UsageError("unexpected argument '" + arg + "'");
    options.modulePath = arg;
    haveModule = true;
  }
  if (needModulePath && !haveModule)
    throw UsageError("no module given");
  return options;
}

std::string joinNames(const std::vector<ValueInfo> &values) {
  std::string list;
  for (const ValueInfo &value : values)
    list += (list.empty() ? "'" : ", '") + value.name + "'";
  return list.empty() ? "none" : list;
}

std::string formatShape(const std::vector<int64_t> &dims) {
  std::string text = "[";
  for (size_t d = 0; d < dims.size(); ++d)
    text += (d ? ", " : "") + std::to_string(dims[d]);
  return text + "]";
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits >> 15) << 31;
  uint32_t exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  uint32_t result;
  if (exponent == 0x1f) {
    result = sign | 0x7f800000 | mantissa << 13;
  } else if (exponent != 0) {
    result = sign | (exponent + 112) << 23 | mantissa << 13;
  } else if (mantissa == 0) {
    result = sign;
  } else { // Subnormal: normalise.
    exponent = 113;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      --exponent;
    }
    result = sign | exponent << 23 | (mantissa & 0x3ff) << 13;
  }
  float value;
  std::memcpy(&value, &result, 4);
  return value;
}

std::string formatElement(const Tensor &tensor, size_t index) {
  const auto *bytes =
      tensor.data<uint8_t>() + index * kiln_dtype_size(tensor.dtype());
  auto load = [&](auto sample) {
    decltype(sample) value;
    std::memcpy(&value, bytes, sizeof(value));
    return value;
  };
  char buffer[64];
  auto real = [&](double value) {
    std::snprintf(buffer, sizeof(buffer), "%.6g", value);
    return std::string(buffer);
  };
  switch (tensor.dtype()) {
  case KILN_DTYPE_F16:
    return real(halfToFloat(load(uint16_t())));
  case KILN_DTYPE_BF16: {
    uint32_t bits = uint32_t(load(uint16_t())) << 16;
    float value;
    std::memcpy(&value, &bits, 4);
    return real(value);
  }
  case KILN_DTYPE_F32:
    return real(load(float()));
  case KILN_DTYPE_F64:
    return real(load(double()));
  case KILN_DTYPE_I1:
    return *bytes ? "true" : "false";
  case KILN_DTYPE_I8:
    return std::to_string(load(int8_t()));
  case KILN_DTYPE_I16:
    return std::to_string(load(int16_t()));
  case KILN_DTYPE_I32:
    return std::to_string(load(int32_t()));
  case KILN_DTYPE_I64:
    return std::to_string(load(int64_t()));
  case KILN_DTYPE_U8:
    return std::to_string(load(uint8_t()));
  case KILN_DTYPE_U16:
    return std::to_string(load(uint16_t()));
  case KILN_DTYPE_U32:
    return std::to_string(load(uint32_t()));
  case KILN_DTYPE_U64:
    return std::to_string(load(uint64_t()));
  default:
    return "?";
  }
}

void printOutput(const ValueInfo &info, const Tensor &tensor) {
  constexpr size_t shown = 8;
  std::string line = info.name + ": " + kiln_dtype_name(tensor.dtype()) + " " +
                     formatShape(tensor.dims()) + " = [";
  size_t count = tensor.numElements();
  for (size_t i = 0; i < std::min(count, shown); ++i)
    line += (i ? ", " : "") + formatElement(tensor, i);
  if (count > shown)
    line += ", ... (" + std::to_string(count) + " values)";
  std::printf("%s]\n", line.c_str());
}

/// A view of `tensor` as `dtype` (same element size), borrowing its data.
Tensor reinterpret(const Tensor &tensor, kiln_dtype dtype) {
  return Tensor::wrap(dtype, tensor.dims(), tensor.data(), tensor.byteSize());
}

/// Throws unless `module` was compiled for the device `options` asks for.
void checkDevice(const Options &options, const Module &module,
                 const std::string &name) {
  kiln_device target = kiln_module_device(module.get());
  if (target == options.device)
    return;
  if (target == KILN_DEVICE_CPU)
    throw std::runtime_error(name +
                             " was compiled for the CPU; it cannot run on "
                             "--device cuda (compile it with kilnc "
                             "--target=cuda)");
  throw std::runtime_error(
      name + " was compiled for " + kiln_device_name(target) +
      "; run it with --device " + kiln_device_name(target));
}

int run(const Options &options, Module module) {
  std::vector<ValueInfo> inputs = module.inputs();
  std::vector<ValueInfo> outputs = module.outputs();
  if (options.threads)
    module.setThreads(options.threads);

  std::vector<NamedTensor> arrays;
  if (!options.inputs.empty())
    arrays = readNpz(options.inputs);
  else if (!inputs.empty())
    throw UsageError("--inputs is required: the module has inputs " +
                     joinNames(inputs));
  std::map<std::string, Tensor *> byName;
  for (NamedTensor &array : arrays)
    byName[array.name] = &array.tensor;
  for (const NamedTensor &array : arrays)
    if (std::none_of(inputs.begin(), inputs.end(),
                     [&](const ValueInfo &v) { return v.name == array.name; }))
      throw UsageError("'" + options.inputs + "' has an array '" + array.name +
                       "' that is not an input of the module (inputs: " +
                       joinNames(inputs) + ")");
  std::vector<Tensor> views;
  views.reserve(inputs.size());
  std::vector<const Tensor *> arguments;
  for (const ValueInfo &input : inputs) {
    auto found = byName.find(input.name);
    if (found == byName.end())
      throw UsageError("'" + options.inputs + "' has no array for input '" +
                       input.name + "'");
    const Tensor *tensor = found->second;
    if (input.dtype == KILN_DTYPE_BF16 && tensor->dtype() == KILN_DTYPE_U16) {
      views.push_back(reinterpret(*tensor, KILN_DTYPE_BF16));
      tensor = &views.back();
    }
    arguments.push_back(tensor);
  }

  std::vector<Tensor> results = module.run(arguments);
  if (options.bench) {
    // The run above was the warm-up.
    std::vector<double> times;
    for (int64_t i = 0; i < options.bench; ++i) {
      auto start = std::chrono::steady_clock::now();
      std::vector<Tensor> discarded = module.run(arguments);
      auto stop = std::chrono::steady_clock::now();
      times.push_back(
          std::chrono::duration<double, std::milli>(stop - start).count());
    }
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    double median =
        n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    std::printf("bench: %" PRId64
                " runs after 1 warm-up: median %.4f ms (min %.4f ms, max "
                "%.4f ms)\n",
                options.bench, median, times.front(), times.back());
  }

  if (options.outputs.empty()) {
    for (size_t o = 0; o < outputs.size(); ++o)
      printOutput(outputs[o], results[o]);
    return 0;
  }
  std::vector<Tensor> bitViews;
  bitViews.reserve(results.size());
  std::vector<std::pair<std::string, const Tensor *>> named;
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Tensor *tensor = &results[o];
    if (tensor->dtype() == KILN_DTYPE_BF16) {
      bitViews.push_back(reinterpret(*tensor, KILN_DTYPE_U16));
      tensor = &bitViews.back();
    }
    named.emplace_back(outputs[o].name, tensor);
  }
  writeNpz(options.outputs, named);
  return 0;
}

} // namespace

extern "C" int kiln_run_main(int argc, char **argv, kiln_module *module) {
  Module owned(module);
  std::string program = argc > 0 && argv[0] ? argv[0] : "kiln-run";
  program = program.substr(program.find_last_of('/') + 1);
  // A bound module takes the place of the MODULE.so argument.
  std::string usagePrefix = program + (module ? " " : " MODULE.so ");
  try {
    std::optional<Options> options = parseOptions(argc, argv, !module);
    if (!options) {
      std::printf("usage: %s%s%s", usagePrefix.c_str(), usage, help);
      return 0;
    }
    // The device first: without one, no module can run on it.
    kiln_error *deviceError = nullptr;
    if (kiln_device_available(options->device, &deviceError) !=
        KILN_STATUS_OK) {
      std::string message = kiln_error_message(deviceError);
      kiln_error_free(deviceError);
      throw std::runtime_error(message);
    }
    if (module && options->function != "main")
      throw UsageError("--function needs a module file; this program runs "
                       "its linked module's main");
    if (!module)
      owned = Module::load(options->modulePath, options->function);
    checkDevice(*options, owned,
                module ? std::string("the linked module")
                       : "module '" + options->modulePath + "'");
    std::fflush(stdout);
    int status = run(*options, std::move(owned));
    std::fflush(stdout);
    return status;
  } catch (const UsageError &error) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), error.what());
    std::fprintf(stderr, "usage: %s%s", usagePrefix.c_str(), usage);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "%s: error: out of memory\n", program.c_str());
  } catch (const std::exception &error) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), error.what());
  }
  return 1;
}
