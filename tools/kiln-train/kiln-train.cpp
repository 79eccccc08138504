//===- kiln-train.cpp - Trains a model compiled by kilnc --train ----------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Drives a training module (docs/training.md): its `main` is one step, fed
// shuffled mini-batches of the data file and its own outputs named like its
// inputs (parameters, optimizer state, batch-norm statistics, the step
// counter); its `eval` is the forward pass, run on a held-out file after
// every epoch. Checkpoints are safetensors files holding that state and the
// position in the data (epoch, batch, the shuffling generator's state), so a
// resumed run takes exactly the steps the uninterrupted one would have.
// --export-onnx writes the trained values into the model the module carries.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_runtime.hpp"
#include "kiln/runtime/npy.h"
#include "kiln/runtime/safetensors.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace kiln;

namespace {

const char *const usage =
    "usage: kiln-train TRAIN.so --data TRAIN.npz --epochs N --batch-size B\n"
    "       [--eval EVAL.npz] [--init INIT.npz] [--seed S] [--no-shuffle]\n"
    "       [--checkpoint-dir DIR] [--checkpoint-every STEPS]\n"
    "       [--resume | --resume-from FILE] [--max-steps N] [--save FILE]\n"
    "       [--export-onnx FILE] [--threads N] [--quiet]\n";
const char *const help =
    "\n"
    "Trains with a module built by `kilnc MODEL.onnx --train ... -o TRAIN.so`\n"
    "(docs/training.md). The .npz keys are the model's input names and\n"
    "`label`; the first dimension indexes the samples.\n"
    "\n"
    "  --data FILE            the training samples\n"
    "  --epochs N             passes over the data\n"
    "  --batch-size B         samples per step\n"
    "  --eval FILE            held-out samples: loss (and accuracy for\n"
    "                         cross-entropy) after every epoch\n"
    "  --init FILE            the first step's state (default "
    "TRAIN.so.init.npz)\n"
    "  --seed S               seed of the shuffling (default 0)\n"
    "  --no-shuffle           take the samples in order\n"
    "  --checkpoint-dir DIR   write DIR/step-<N>.safetensors at the end and\n"
    "                         every --checkpoint-every steps\n"
    "  --resume               continue from the latest checkpoint in DIR\n"
    "  --resume-from FILE     continue from that checkpoint\n"
    "  --max-steps N          stop once the step counter reaches N\n"
    "  --save FILE            write the final state (safetensors)\n"
    "  --export-onnx FILE     write the model with the trained values\n"
    "  --threads N            threads of the compiled code\n"
    "  --quiet                no per-epoch lines\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string module, data, eval, init, checkpointDir, resumeFrom, save,
      exportOnnx;
  int64_t epochs = -1, batchSize = 0, checkpointEvery = 0, maxSteps = -1;
  uint64_t seed = 0;
  int32_t threads = 0;
  bool shuffle = true, resume = false, quiet = false;
};

int64_t parseInteger(const std::string &option, const std::string &value,
                     int64_t min, int64_t max) {
  char *end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end || errno || parsed < min || parsed > max)
    throw UsageError(option + " needs an integer from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", got '" + value + "'");
  return parsed;
}

std::optional<Options> parseOptions(int argc, char **argv) {
  Options o;
  static const char *const flags[] = {"--no-shuffle", "--resume", "--quiet"};
  static const char *const valued[] = {
      "--data",        "--epochs",    "--batch-size",     "--eval",
      "--init",        "--seed",      "--checkpoint-dir", "--checkpoint-every",
      "--resume-from", "--max-steps", "--save",           "--export-onnx",
      "--threads"};
  auto isOneOf = [](const std::string &name, auto &list) {
    return std::find_if(std::begin(list), std::end(list), [&](const char *k) {
             return name == k;
           }) != std::end(list);
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help")
      return std::nullopt;
    if (arg.size() < 2 || arg[0] != '-') {
      if (!o.module.empty())
        throw UsageError("unexpected argument '" + arg + "'");
      o.module = arg;
      continue;
    }
    std::string name = arg, value;
    size_t equals = arg.find('=');
    bool inlineValue = equals != std::string::npos;
    if (inlineValue) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    }
    if (isOneOf(name, flags)) {
      if (inlineValue)
        throw UsageError(name + " takes no value");
      if (name == "--no-shuffle")
        o.shuffle = false;
      else if (name == "--resume")
        o.resume = true;
      else
        o.quiet = true;
      continue;
    }
    if (!isOneOf(name, valued))
      throw UsageError("unknown option '" + name + "'");
    if (!inlineValue) {
      if (i + 1 >= argc)
        throw UsageError(name + " needs a value");
      value = argv[++i];
    }
    if (name == "--data")
      o.data = value;
    else if (name == "--epochs")
      o.epochs = parseInteger(name, value, 0, INT32_MAX);
    else if (name == "--batch-size")
      o.batchSize = parseInteger(name, value, 1, INT32_MAX);
    else if (name == "--eval")
      o.eval = value;
    else if (name == "--init")
      o.init = value;
    else if (name == "--seed")
      o.seed = static_cast<uint64_t>(parseInteger(name, value, 0, INT64_MAX));
    else if (name == "--checkpoint-dir")
      o.checkpointDir = value;
    else if (name == "--checkpoint-every")
      o.checkpointEvery = parseInteger(name, value, 1, INT64_MAX);
    else if (name == "--resume-from")
      o.resumeFrom = value;
    else if (name == "--max-steps")
      o.maxSteps = parseInteger(name, value, 0, INT64_MAX);
    else if (name == "--save")
      o.save = value;
    else if (name == "--export-onnx")
      o.exportOnnx = value;
    else
      o.threads = static_cast<int32_t>(parseInteger(name, value, 1, 1 << 16));
  }
  if (o.module.empty())
    throw UsageError("no training module given");
  if (o.data.empty())
    throw UsageError("--data is required");
  if (o.epochs < 0)
    throw UsageError("--epochs is required");
  if (!o.batchSize)
    throw UsageError("--batch-size is required");
  if (o.resume && !o.resumeFrom.empty())
    throw UsageError("--resume and --resume-from exclude each other");
  if (o.resume && o.checkpointDir.empty())
    throw UsageError("--resume needs --checkpoint-dir");
  if (o.checkpointEvery && o.checkpointDir.empty())
    throw UsageError("--checkpoint-every needs --checkpoint-dir");
  if (o.init.empty())
    o.init = o.module + ".init.npz";
  return o;
}

//===----------------------------------------------------------------------===//
// Shuffling
//===----------------------------------------------------------------------===//

/// SplitMix64: one 64-bit word of state, which a checkpoint stores.
struct Generator {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n), without modulo bias.
  uint64_t below(uint64_t n) {
    uint64_t threshold = (0 - n) % n;
    while (true) {
      uint64_t r = next();
      if (r >= threshold)
        return r % n;
    }
  }
};

std::vector<int64_t> permutation(int64_t n, Generator &generator,
                                 bool shuffle) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  if (shuffle)
    for (int64_t i = n - 1; i > 0; --i)
      std::swap(order[i], order[generator.below(i + 1)]);
  return order;
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(value));
  return text;
}

uint64_t parseHex(const std::string &text, const std::string &what) {
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 16);
  if (text.empty() || *end || errno)
    throw Error(KILN_STATUS_INVALID_FILE,
                what + " is not a hexadecimal number: '" + text + "'");
  return value;
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

std::string shapeText(const std::vector<int64_t> &dims) {
  std::string text = "[";
  for (size_t d = 0; d < dims.size(); ++d)
    text += (d ? ", " : "") + (dims[d] < 0 ? "?" : std::to_string(dims[d]));
  return text + "]";
}

/// The arrays of an .npz file that feed a function's inputs, sample by
/// sample along their first dimension.
class Samples {
public:
  Samples(const std::string &path, const std::vector<ValueInfo> &inputs)
      : path(path) {
    std::vector<NamedTensor> arrays = readNpz(path);
    for (const ValueInfo &input : inputs) {
      auto it =
          std::find_if(arrays.begin(), arrays.end(), [&](const NamedTensor &a) {
            return a.name == input.name;
          });
      if (it == arrays.end())
        throw Error(KILN_STATUS_INVALID_ARGUMENT,
                    "'" + path + "' has no array '" + input.name +
                        "', an input of the model");
      check(input, it->tensor);
      columns.emplace(input.name, std::move(it->tensor));
    }
  }

  int64_t size() const { return count; }

  /// The rows `order[begin, begin + n)` of `name`, padded to `rows` with
  /// copies of the first row.
  Tensor batch(const std::string &name, const std::vector<int64_t> &order,
               int64_t begin, int64_t n, int64_t rows) const {
    const Tensor &column = columns.at(name);
    std::vector<int64_t> dims = column.dims();
    size_t rowBytes = count ? column.byteSize() / count : 0;
    dims[0] = rows;
    Tensor out(column.dtype(), dims);
    auto *to = static_cast<uint8_t *>(out.data());
    const auto *from = static_cast<const uint8_t *>(column.data());
    for (int64_t r = 0; r < rows; ++r) {
      int64_t sample = order[begin + (r < n ? r : 0)];
      std::memcpy(to + r * rowBytes, from + sample * rowBytes, rowBytes);
    }
    return out;
  }

private:
  void check(const ValueInfo &input, const Tensor &array) {
    std::string what = "'" + path + "': array '" + input.name + "'";
    if (array.dtype() != input.dtype)
      throw Error(KILN_STATUS_INVALID_ARGUMENT,
                  what + " holds " + kiln_dtype_name(array.dtype()) +
                      ", but the model takes " + kiln_dtype_name(input.dtype));
    std::vector<int64_t> dims = array.dims();
    if (dims.size() != input.dims.size() || dims.empty())
      throw Error(KILN_STATUS_INVALID_ARGUMENT,
                  what + " has shape " + shapeText(dims) +
                      ", but the model takes " + shapeText(input.dims) +
                      " with the samples along the first dimension");
    for (size_t d = 1; d < dims.size(); ++d)
      if (input.dims[d] >= 0 && input.dims[d] != dims[d])
        throw Error(KILN_STATUS_INVALID_ARGUMENT,
                    what + " has shape " + shapeText(dims) +
                        ", but the model takes " + shapeText(input.dims));
    if (count < 0)
      count = dims[0];
    else if (count != dims[0])
      throw Error(KILN_STATUS_INVALID_ARGUMENT,
                  what + " has " + std::to_string(dims[0]) +
                      " samples, but the other arrays have " +
                      std::to_string(count));
  }

  std::string path;
  std::map<std::string, Tensor> columns;
  int64_t count = -1;
};

//===----------------------------------------------------------------------===//
// The training module
//===----------------------------------------------------------------------===//

bool isStateName(const std::string &name) {
  return name == "step" || name.rfind("param:", 0) == 0 ||
         name.rfind("state:", 0) == 0 || name.rfind("buffer:", 0) == 0;
}

struct TrainingModule {
  Module step, eval;
  std::string loss, output;
  /// The step's data inputs (the model's inputs and `label`) and the
  /// eval function's.
  std::vector<ValueInfo> stepData, evalData;
  /// The signatures, read once rather than at every step.
  std::vector<ValueInfo> stepInputs, stepOutputs, evalInputs;
  /// The batch dimension of the step's data, or -1 if dynamic.
  int64_t staticBatch = -1, evalStaticBatch = -1;
  std::string model;

  explicit TrainingModule(const std::string &path) {
    step = Module::load(path);
    size_t size = 0;
    const char *info = static_cast<const char *>(
        kiln_module_data(step.get(), "kiln_training_info", &size));
    if (!info)
      throw Error(KILN_STATUS_INVALID_MODULE,
                  "'" + path +
                      "' is not a training module (it was not compiled with "
                      "kilnc --train)");
    std::istringstream lines(std::string(info, size));
    std::string key, value;
    while (lines >> key >> value) {
      if (key == "loss")
        loss = value;
      else if (key == "output")
        output = value;
    }
    const void *bytes =
        kiln_module_data(step.get(), "kiln_training_model", &size);
    if (bytes)
      model.assign(static_cast<const char *>(bytes), size);
    eval = Module::load(path, "eval");

    stepInputs = step.inputs();
    stepOutputs = step.outputs();
    evalInputs = eval.inputs();
    for (const ValueInfo &input : stepInputs)
      if (!isStateName(input.name))
        stepData.push_back(input);
    for (const ValueInfo &input : evalInputs)
      if (!isStateName(input.name))
        evalData.push_back(input);
    staticBatch = batchDim(stepData);
    evalStaticBatch = batchDim(evalData);
  }

  static int64_t batchDim(const std::vector<ValueInfo> &data) {
    int64_t batch = -1;
    for (const ValueInfo &input : data)
      if (!input.dims.empty() && input.dims[0] >= 0)
        batch = input.dims[0];
    return batch;
  }
};

using State = std::map<std::string, Tensor>;

Tensor copyOf(const Tensor &t) {
  Tensor out(t.dtype(), t.dims());
  if (t.byteSize())
    std::memcpy(out.data(), t.data(), t.byteSize());
  return out;
}

/// Checks that `state` holds a tensor for every state input of `module`.
void checkState(const Module &module, const State &state,
                const std::string &source) {
  for (const ValueInfo &input : module.inputs()) {
    if (!isStateName(input.name))
      continue;
    auto it = state.find(input.name);
    if (it == state.end())
      throw Error(KILN_STATUS_INVALID_ARGUMENT,
                  source + " has no '" + input.name +
                      "', an input of the training step");
    const Tensor &t = it->second;
    bool same =
        t.dtype() == input.dtype && t.dims().size() == input.dims.size();
    for (size_t d = 0; same && d < input.dims.size(); ++d)
      same = input.dims[d] < 0 || input.dims[d] == t.dims()[d];
    if (!same)
      throw Error(
          KILN_STATUS_INVALID_ARGUMENT,
          source + ": '" + input.name + "' is " + kiln_dtype_name(t.dtype()) +
              " " + shapeText(t.dims()) + ", but the training step takes " +
              kiln_dtype_name(input.dtype) + " " + shapeText(input.dims));
  }
}

int64_t stepCount(const State &state) {
  auto it = state.find("step");
  if (it == state.end() || it->second.dtype() != KILN_DTYPE_I64 ||
      it->second.numElements() != 1)
    return -1;
  return *it->second.data<int64_t>();
}

/// Runs `module`, whose inputs are `signature`, on the tensors they name,
/// from `batch` or `state`.
std::vector<Tensor> runNamed(const Module &module,
                             const std::vector<ValueInfo> &signature,
                             const std::map<std::string, Tensor> &batch,
                             const State &state) {
  std::vector<const Tensor *> inputs;
  for (const ValueInfo &input : signature) {
    auto it = batch.find(input.name);
    if (it == batch.end())
      it = state.find(input.name);
    inputs.push_back(it == state.end() ? nullptr : &it->second);
  }
  return module.run(inputs);
}

double scalarOf(const Tensor &t) {
  if (t.dtype() == KILN_DTYPE_F32)
    return *t.data<float>();
  if (t.dtype() == KILN_DTYPE_F64)
    return *t.data<double>();
  return NAN;
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

struct Evaluation {
  double lossSum = 0;
  int64_t lossCount = 0, correct = 0, total = 0;
};

template <typename T>
void score(const T *logits, const Tensor &label, int64_t rows,
           const std::vector<int64_t> &dims, Evaluation &e) {
  // logits (N, C, d...), label (N, d...) of int64 class indices.
  int64_t classes = dims.size() > 1 ? dims[1] : 1;
  int64_t inner = 1;
  for (size_t d = 2; d < dims.size(); ++d)
    inner *= dims[d];
  const int64_t *labels = label.data<int64_t>();
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t p = 0; p < inner; ++p) {
      const T *row = logits + n * classes * inner + p;
      double max = -INFINITY;
      int64_t best = 0;
      for (int64_t c = 0; c < classes; ++c)
        if (row[c * inner] > max) {
          max = row[c * inner];
          best = c;
        }
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c)
        sum += std::exp(static_cast<double>(row[c * inner]) - max);
      int64_t target = labels[n * inner + p];
      if (target >= 0 && target < classes)
        e.lossSum += -(row[target * inner] - max - std::log(sum));
      ++e.lossCount;
      e.correct += best == target;
      ++e.total;
    }
}

template <typename T>
void squaredError(const T *y, const T *target, size_t count, Evaluation &e) {
  for (size_t i = 0; i < count; ++i) {
    double d = static_cast<double>(y[i]) - static_cast<double>(target[i]);
    e.lossSum += d * d;
  }
  e.lossCount += count;
}

Evaluation evaluate(const TrainingModule &tm, const Samples &samples,
                    const State &state, int64_t batchSize) {
  Evaluation e;
  int64_t n = samples.size();
  int64_t rowsPerCall =
      tm.evalStaticBatch >= 0 ? tm.evalStaticBatch : batchSize;
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  size_t outputIndex = 0;
  std::vector<ValueInfo> outputs = tm.eval.outputs();
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].name == tm.output)
      outputIndex = i;
  for (int64_t begin = 0; begin < n; begin += rowsPerCall) {
    int64_t rows = std::min(rowsPerCall, n - begin);
    int64_t callRows = tm.evalStaticBatch >= 0 ? tm.evalStaticBatch : rows;
    std::map<std::string, Tensor> batch;
    for (const ValueInfo &input : tm.evalData)
      batch.emplace(input.name,
                    samples.batch(input.name, order, begin, rows, callRows));
    std::vector<Tensor> results =
        runNamed(tm.eval, tm.evalInputs, batch, state);
    const Tensor &y = results[outputIndex];
    Tensor label = samples.batch("label", order, begin, rows, rows);
    std::vector<int64_t> dims = y.dims();
    if (tm.loss == "cross_entropy") {
      if (label.dtype() != KILN_DTYPE_I64)
        throw Error(KILN_STATUS_INVALID_ARGUMENT,
                    "the labels must be int64 class indices");
      if (y.dtype() == KILN_DTYPE_F32)
        score(y.data<float>(), label, rows, dims, e);
      else if (y.dtype() == KILN_DTYPE_F64)
        score(y.data<double>(), label, rows, dims, e);
    } else {
      size_t count = label.numElements();
      if (y.dtype() != label.dtype() || y.numElements() < count)
        throw Error(KILN_STATUS_INVALID_ARGUMENT,
                    "the targets do not match the output '" + tm.output + "'");
      if (y.dtype() == KILN_DTYPE_F32)
        squaredError(y.data<float>(), label.data<float>(), count, e);
      else if (y.dtype() == KILN_DTYPE_F64)
        squaredError(y.data<double>(), label.data<double>(), count, e);
    }
  }
  return e;
}

//===----------------------------------------------------------------------===//
// Checkpoints and export
//===----------------------------------------------------------------------===//

/// Where the run stands: the state of the generator at the start of the
/// epoch in progress, and how many of its batches are done.
struct Position {
  int64_t epoch = 0, batch = 0;
  uint64_t epochGenerator = 0;
  double lossSum = 0;
  int64_t lossCount = 0;
};

std::string doubleBits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return hex(bits);
}

double fromBits(const std::string &text, const std::string &what) {
  uint64_t bits = parseHex(text, what);
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

void writeCheckpoint(const std::string &path, const State &state,
                     const Position &position, const Options &o,
                     int64_t samples) {
  std::vector<std::pair<std::string, const Tensor *>> tensors;
  for (const auto &[name, tensor] : state)
    tensors.emplace_back(name, &tensor);
  std::map<std::string, std::string> metadata{
      {"format", "kiln-train 1"},
      {"epoch", std::to_string(position.epoch)},
      {"batch", std::to_string(position.batch)},
      {"generator", hex(position.epochGenerator)},
      {"epoch_loss_sum", doubleBits(position.lossSum)},
      {"epoch_loss_count", std::to_string(position.lossCount)},
      {"samples", std::to_string(samples)},
      {"batch_size", std::to_string(o.batchSize)},
      {"shuffle", o.shuffle ? "1" : "0"},
      {"seed", std::to_string(o.seed)}};
  writeSafetensors(path, tensors, metadata);
}

std::string checkpointPath(const std::string &dir, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof(name), "step-%08lld.safetensors",
                static_cast<long long>(step));
  return dir + "/" + name;
}

/// The checkpoint of the highest step in `dir`, or "" if there is none.
std::string latestCheckpoint(const std::string &dir) {
  DIR *handle = opendir(dir.c_str());
  if (!handle)
    return "";
  std::string best;
  long long bestStep = -1;
  while (dirent *entry = readdir(handle)) {
    std::string name = entry->d_name;
    long long step;
    char tail[32];
    if (std::sscanf(name.c_str(), "step-%lld.%31s", &step, tail) == 2 &&
        std::string(tail) == "safetensors" && step > bestStep) {
      bestStep = step;
      best = dir + "/" + name;
    }
  }
  closedir(handle);
  return best;
}

void makeDirectories(const std::string &dir) {
  std::string partial;
  std::stringstream parts(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/')
    partial = "/";
  while (std::getline(parts, part, '/')) {
    if (part.empty())
      continue;
    partial += part;
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      throw Error(KILN_STATUS_IO_ERROR, "cannot create the directory '" +
                                            partial +
                                            "': " + std::strerror(errno));
    partial += "/";
  }
}

int64_t metadataInteger(const std::map<std::string, std::string> &metadata,
                        const std::string &key, const std::string &path) {
  auto it = metadata.find(key);
  char *end = nullptr;
  long long value =
      it == metadata.end() ? -1 : std::strtoll(it->second.c_str(), &end, 10);
  if (it == metadata.end() || it->second.empty() || *end || value < 0)
    throw Error(KILN_STATUS_INVALID_FILE,
                "'" + path +
                    "' is not a kiln-train checkpoint (its metadata "
                    "has no valid '" +
                    key + "')");
  return value;
}

Position readCheckpoint(const std::string &path, State &state, const Options &o,
                        int64_t samples) {
  SafetensorsFile file = readSafetensors(path);
  auto &m = file.metadata;
  if (m["format"] != "kiln-train 1")
    throw Error(KILN_STATUS_INVALID_FILE,
                "'" + path + "' is not a kiln-train checkpoint");
  Position p;
  p.epoch = metadataInteger(m, "epoch", path);
  p.batch = metadataInteger(m, "batch", path);
  p.lossCount = metadataInteger(m, "epoch_loss_count", path);
  p.epochGenerator = parseHex(m["generator"], "'" + path + "': generator");
  p.lossSum = fromBits(m["epoch_loss_sum"], "'" + path + "': epoch_loss_sum");
  auto mismatch = [&](const std::string &what, const std::string &then,
                      const std::string &now) {
    throw Error(KILN_STATUS_INVALID_ARGUMENT,
                "'" + path + "' was written with " + what + " " + then +
                    "; this run has " + now +
                    " (resuming needs the same data and settings)");
  };
  if (metadataInteger(m, "samples", path) != samples)
    mismatch("a data set of", m["samples"] + " samples",
             std::to_string(samples));
  if (metadataInteger(m, "batch_size", path) != o.batchSize)
    mismatch("--batch-size", m["batch_size"], std::to_string(o.batchSize));
  if (m["shuffle"] != (o.shuffle ? "1" : "0"))
    mismatch("shuffling", m["shuffle"] == "1" ? "on" : "off",
             o.shuffle ? "on" : "off");
  if (m["seed"] != std::to_string(o.seed))
    mismatch("--seed", m["seed"], std::to_string(o.seed));
  for (auto &[name, tensor] : file.tensors)
    state[name] = std::move(tensor);
  return p;
}

int32_t onnxType(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    return onnx::TensorProto::FLOAT;
  case KILN_DTYPE_F64:
    return onnx::TensorProto::DOUBLE;
  case KILN_DTYPE_F16:
    return onnx::TensorProto::FLOAT16;
  case KILN_DTYPE_BF16:
    return onnx::TensorProto::BFLOAT16;
  default:
    return onnx::TensorProto::UNDEFINED;
  }
}

void exportOnnx(const TrainingModule &tm, const State &state,
                const std::string &path) {
  onnx::ModelProto model;
  if (tm.model.empty() || tm.model.size() > static_cast<size_t>(INT_MAX) ||
      !model.ParseFromArray(tm.model.data(), static_cast<int>(tm.model.size())))
    throw Error(KILN_STATUS_INVALID_MODULE,
                "the training module carries no readable ONNX model");
  size_t filled = 0, trained = 0;
  for (const auto &[name, tensor] : state)
    trained += name.rfind("param:", 0) == 0 || name.rfind("buffer:", 0) == 0;
  for (onnx::TensorProto &t : *model.mutable_graph()->mutable_initializer()) {
    auto it = state.find("param:" + t.name());
    if (it == state.end())
      it = state.find("buffer:" + t.name());
    if (it == state.end())
      continue;
    const Tensor &value = it->second;
    std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    if (onnxType(value.dtype()) != t.data_type() || value.dims() != dims)
      throw Error(KILN_STATUS_INVALID_ARGUMENT,
                  "the trained '" + it->first +
                      "' does not match the model's initializer");
    t.set_raw_data(value.data(), value.byteSize());
    ++filled;
  }
  if (filled != trained)
    throw Error(KILN_STATUS_INVALID_MODULE,
                "the model the training module carries lacks some of the "
                "trained initializers");
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error(KILN_STATUS_IO_ERROR, "cannot encode the ONNX model");
  writeBinaryFileAtomically(path,
                            std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

std::string evaluationText(const TrainingModule &tm, const Evaluation &e) {
  char text[160];
  double loss = e.lossCount ? e.lossSum / e.lossCount : NAN;
  if (tm.loss == "cross_entropy")
    std::snprintf(text, sizeof(text),
                  "  eval loss %.6f  eval accuracy %.2f%% (%lld/%lld)", loss,
                  e.total ? 100.0 * e.correct / e.total : 0.0,
                  static_cast<long long>(e.correct),
                  static_cast<long long>(e.total));
  else
    std::snprintf(text, sizeof(text), "  eval loss %.6f", loss);
  return text;
}

int train(const Options &o) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  };
  TrainingModule tm(o.module);
  if (o.threads) {
    tm.step.setThreads(o.threads);
    tm.eval.setThreads(o.threads);
  }
  if (tm.staticBatch >= 0 && tm.staticBatch != o.batchSize)
    throw UsageError("the training step takes batches of " +
                     std::to_string(tm.staticBatch) +
                     " samples (a static batch dimension); --batch-size is " +
                     std::to_string(o.batchSize));
  Samples data(o.data, tm.stepData);
  std::optional<Samples> held;
  if (!o.eval.empty()) {
    std::vector<ValueInfo> wanted = tm.evalData;
    auto label =
        std::find_if(tm.stepData.begin(), tm.stepData.end(),
                     [](const ValueInfo &v) { return v.name == "label"; });
    if (label == tm.stepData.end())
      throw Error(KILN_STATUS_INVALID_MODULE,
                  "the training step has no input 'label'");
    wanted.push_back(*label);
    held.emplace(o.eval, wanted);
  }
  int64_t n = data.size();
  // A static batch leaves out the last, partial batch of each epoch.
  int64_t batches = tm.staticBatch >= 0 ? n / o.batchSize
                                        : (n + o.batchSize - 1) / o.batchSize;
  if (batches == 0 && o.epochs > 0)
    throw UsageError("'" + o.data + "' has " + std::to_string(n) +
                     " samples, fewer than one batch of " +
                     std::to_string(o.batchSize));

  State state;
  for (NamedTensor &array : readNpz(o.init))
    state[array.name] = std::move(array.tensor);
  checkState(tm.step, state, "'" + o.init + "'");

  Position position;
  Generator generator{o.seed};
  position.epochGenerator = generator.state;
  std::string resumeFrom = o.resumeFrom;
  if (o.resume) {
    resumeFrom = latestCheckpoint(o.checkpointDir);
    if (resumeFrom.empty() && !o.quiet)
      std::cout << "kiln-train: no checkpoint in '" << o.checkpointDir
                << "'; starting from the beginning\n";
  }
  if (!resumeFrom.empty()) {
    position = readCheckpoint(resumeFrom, state, o, n);
    checkState(tm.step, state, "'" + resumeFrom + "'");
    if (!o.quiet)
      std::cout << "kiln-train: resuming from '" << resumeFrom << "' at epoch "
                << position.epoch + 1 << ", batch " << position.batch
                << ", step " << stepCount(state) << "\n";
  }
  if (!o.checkpointDir.empty())
    makeDirectories(o.checkpointDir);
  if (!o.quiet)
    std::cout << "kiln-train: " << n << " samples, " << batches
              << " batches of " << o.batchSize << " per epoch, " << o.epochs
              << " epochs, " << tm.loss << " loss on '" << tm.output << "'\n"
              << std::flush;

  bool progress = !o.quiet && isatty(STDERR_FILENO);
  auto start = Clock::now();
  auto lastProgress = start;
  int64_t stepsRun = 0;
  int64_t lastCheckpoint = -1;
  auto checkpoint = [&] {
    int64_t step = stepCount(state);
    if (o.checkpointDir.empty() || step == lastCheckpoint)
      return;
    writeCheckpoint(checkpointPath(o.checkpointDir, step), state, position, o,
                    n);
    lastCheckpoint = step;
  };
  bool stopped = false;
  while (position.epoch < o.epochs && !stopped) {
    auto epochStart = Clock::now();
    generator.state = position.epochGenerator;
    std::vector<int64_t> order = permutation(n, generator, o.shuffle);
    for (; position.batch < batches; ++position.batch) {
      if (o.maxSteps >= 0 && stepCount(state) >= o.maxSteps) {
        stopped = true;
        break;
      }
      int64_t begin = position.batch * o.batchSize;
      int64_t rows = std::min(o.batchSize, n - begin);
      std::map<std::string, Tensor> batch;
      for (const ValueInfo &input : tm.stepData)
        batch.emplace(input.name,
                      data.batch(input.name, order, begin, rows, rows));
      std::vector<Tensor> results =
          runNamed(tm.step, tm.stepInputs, batch, state);
      const std::vector<ValueInfo> &outputs = tm.stepOutputs;
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i].name == "loss") {
          double loss = scalarOf(results[i]);
          if (!std::isfinite(loss))
            throw Error(KILN_STATUS_INVALID_ARGUMENT,
                        "the loss is " + std::to_string(loss) + " at step " +
                            std::to_string(stepCount(state)) +
                            "; lower the learning rate?");
          position.lossSum += loss * rows;
          position.lossCount += rows;
        } else if (state.count(outputs[i].name)) {
          state[outputs[i].name] = std::move(results[i]);
        }
      }
      ++stepsRun;
      if (progress && seconds(lastProgress) > 0.25) {
        lastProgress = Clock::now();
        std::fprintf(stderr, "\r  epoch %lld/%lld  batch %lld/%lld  loss %.6f",
                     static_cast<long long>(position.epoch + 1),
                     static_cast<long long>(o.epochs),
                     static_cast<long long>(position.batch + 1),
                     static_cast<long long>(batches),
                     position.lossSum / position.lossCount);
        std::fflush(stderr);
      }
      if (o.checkpointEvery && stepCount(state) % o.checkpointEvery == 0 &&
          position.batch + 1 < batches) {
        ++position.batch;
        checkpoint();
        --position.batch;
      }
    }
    if (stopped)
      break;
    if (progress)
      std::fprintf(stderr, "\r\033[K");
    double trainLoss =
        position.lossCount ? position.lossSum / position.lossCount : NAN;
    // The next epoch starts from here.
    ++position.epoch;
    position.batch = 0;
    position.epochGenerator = generator.state;
    position.lossSum = 0;
    position.lossCount = 0;
    if (o.checkpointEvery && stepCount(state) % o.checkpointEvery == 0)
      checkpoint();
    if (!o.quiet) {
      std::string line = "epoch " + std::to_string(position.epoch) + "/" +
                         std::to_string(o.epochs);
      char text[64];
      std::snprintf(text, sizeof(text), "  train loss %.6f", trainLoss);
      line += text;
      if (held)
        line += evaluationText(tm, evaluate(tm, *held, state, o.batchSize));
      std::snprintf(text, sizeof(text), "  %.2f s", seconds(epochStart));
      std::cout << line << text << "\n" << std::flush;
    }
  }
  checkpoint();
  double total = seconds(start);
  if (!o.quiet) {
    if (stopped)
      std::cout << "kiln-train: stopped at step " << stepCount(state)
                << " (--max-steps)\n";
    std::cout << "kiln-train: " << stepsRun << " steps in " << total << " s ("
              << (stepsRun ? 1000.0 * total / stepsRun : 0.0)
              << " ms per step)\n";
    if (held && o.quiet == false && o.epochs == 0)
      std::cout << evaluationText(tm, evaluate(tm, *held, state, o.batchSize))
                << "\n";
  }
  if (!o.save.empty())
    writeCheckpoint(o.save, state, position, o, n);
  if (!o.exportOnnx.empty()) {
    exportOnnx(tm, state, o.exportOnnx);
    if (!o.quiet)
      std::cout << "kiln-train: wrote '" << o.exportOnnx << "'\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    std::optional<Options> options = parseOptions(argc, argv);
    if (!options) {
      std::cout << usage << help;
      return 0;
    }
    return train(*options);
  } catch (const UsageError &e) {
    std::cerr << "kiln-train: error: " << e.what() << "\n" << usage;
    return 2;
  } catch (const Error &e) {
    std::cerr << "kiln-train: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "kiln-train: error: " << e.what() << "\n";
    return 1;
  }
}
