//===- npy.h - NumPy .npy and .npz files ------------------------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Reads and writes NumPy's .npy (format versions 1, 2 and 3) and .npz (a zip
// of .npy files) as kiln::Tensor.
//
// - Little-endian data only. Fortran-order arrays are read and transposed to
//   C order; arrays are always written in C order.
// - dtypes: float16/32/64, bool, int8/16/32/64, uint8/16/32/64 (NumPy has no
//   bfloat16: a bf16 tensor is refused; callers may pass its bits as u16).
// - .npz: stored and deflated entries are read (CRC-checked, ZIP64 too);
//   entries are written stored. The key of entry "x.npy" is "x".
// - Files are written atomically: to a temporary file in the same directory,
//   then renamed over the destination.
//
// Errors throw kiln::Error (KILN_STATUS_INVALID_FILE for a malformed file,
// KILN_STATUS_NOT_FOUND / KILN_STATUS_IO_ERROR for the file system), with a
// message naming the file, the .npz entry and the problem.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_NPY_H
#define KILN_RUNTIME_NPY_H

#include "kiln/runtime/kiln_runtime.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// A named array of an .npz file.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

/// The bytes of the file at `path`; kiln::Error naming it if it cannot be
/// read.
std::vector<uint8_t> readBinaryFile(const std::string &path);

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`, so that a reader never sees a partial file.
void writeBinaryFileAtomically(const std::string &path,
                               const std::vector<uint8_t> &bytes);

/// Parses the .npy bytes `data[0, size)`; `source` names them in errors.
Tensor parseNpy(const uint8_t *data, size_t size, const std::string &source);

/// The .npy bytes (version 1, or 2 for a header over 64 KiB) of `tensor`.
std::vector<uint8_t> serializeNpy(const Tensor &tensor);

/// Reads the .npy file at `path`.
Tensor readNpy(const std::string &path);

/// Writes `tensor` to the .npy file at `path`, atomically.
void writeNpy(const std::string &path, const Tensor &tensor);

/// Reads every array of the .npz file at `path`, in the archive's order.
std::vector<NamedTensor> readNpz(const std::string &path);

/// Writes `arrays` (name, tensor) to the .npz file at `path`, atomically, as
/// stored (uncompressed) entries "<name>.npy".
void writeNpz(
    const std::string &path,
    const std::vector<std::pair<std::string, const Tensor *>> &arrays);

} // namespace kiln

#endif // KILN_RUNTIME_NPY_H
