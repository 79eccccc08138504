//===- safetensors.h - The safetensors checkpoint format --------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Reads and writes the safetensors format: an 8-byte little-endian header
// length, a JSON header mapping each tensor's name to its dtype, shape and
// byte range (plus an optional "__metadata__" object of strings), then the
// tensors' bytes. Errors are kiln::Error naming the file and the problem.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SAFETENSORS_H
#define KILN_RUNTIME_SAFETENSORS_H

#include "kiln/runtime/kiln_runtime.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

struct SafetensorsFile {
  /// The tensors, in the file's order.
  std::vector<std::pair<std::string, Tensor>> tensors;
  /// The "__metadata__" entries.
  std::map<std::string, std::string> metadata;
};

/// Reads the safetensors file at `path`.
SafetensorsFile readSafetensors(const std::string &path);

/// Writes `tensors` and `metadata` to `path` atomically (a temporary file
/// renamed into place), tensors in the given order after a header padded so
/// that their data starts 8-byte aligned.
void writeSafetensors(
    const std::string &path,
    const std::vector<std::pair<std::string, const Tensor *>> &tensors,
    const std::map<std::string, std::string> &metadata);

} // namespace kiln

#endif // KILN_RUNTIME_SAFETENSORS_H
