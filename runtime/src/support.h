//===- support.h - Shared internals of the Kiln runtime ---------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SRC_SUPPORT_H
#define KILN_RUNTIME_SRC_SUPPORT_H

#include "kiln/runtime/kiln_runtime.h"

#include <stdexcept>
#include <string>

namespace kiln::detail {

/// A failure inside the runtime, turned into a kiln_status at the C API.
struct RuntimeFailure : std::runtime_error {
  RuntimeFailure(kiln_status status, const std::string &message)
      : std::runtime_error(message), status(status) {}
  kiln_status status;
};

/// Formats dims as "[2, ?, 3]" (a negative dim prints as "?").
std::string formatDims(const int64_t *dims, size_t rank);

} // namespace kiln::detail

#endif // KILN_RUNTIME_SRC_SUPPORT_H
