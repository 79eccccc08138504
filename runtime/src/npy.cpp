//===- npy.cpp - NumPy .npy and .npz files --------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The .npy format: "\x93NUMPY", major and minor version bytes, a
// little-endian header length (2 bytes in version 1, 4 in versions 2 and 3),
// then a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape':
// (...)} padded with spaces and a newline, then the raw data.
//
// The .npz format is a zip archive; every offset and size read from it is
// bounds-checked before use.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/npy.h"

#include "support.h"
#include "text_cursor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <set>

using namespace kiln;

namespace {

[[noreturn]] void malformed(const std::string &source,
                            const std::string &problem) {
  throw Error(KILN_STATUS_INVALID_FILE, source + ": " + problem);
}

std::string quoted(const std::string &path) { return "'" + path + "'"; }

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// NumPy's type string (without byte order) for each kiln_dtype.
const char *npyType(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_DTYPE_F16:
    return "f2";
  case KILN_DTYPE_F32:
    return "f4";
  case KILN_DTYPE_F64:
    return "f8";
  case KILN_DTYPE_I1:
    return "b1";
  case KILN_DTYPE_I8:
    return "i1";
  case KILN_DTYPE_I16:
    return "i2";
  case KILN_DTYPE_I32:
    return "i4";
  case KILN_DTYPE_I64:
    return "i8";
  case KILN_DTYPE_U8:
    return "u1";
  case KILN_DTYPE_U16:
    return "u2";
  case KILN_DTYPE_U32:
    return "u4";
  case KILN_DTYPE_U64:
    return "u8";
  default:
    return nullptr;
  }
}

/// The dtype of a NumPy descr such as "<f4" or "|b1".
kiln_dtype dtypeFromDescr(const std::string &descr, const std::string &source) {
  if (descr.size() < 2)
    malformed(source, "unsupported dtype '" + descr + "'");
  char order = descr[0];
  std::string type = descr.substr(1);
  if (type == "?")
    type = "b1";
  for (int d = KILN_DTYPE_F16; d <= KILN_DTYPE_U64; ++d) {
    auto dtype = static_cast<kiln_dtype>(d);
    const char *name = npyType(dtype);
    if (!name || type != name)
      continue;
    bool oneByte = kiln_dtype_size(dtype) == 1;
    if (order == '<' || order == '=' || (oneByte && order == '|'))
      return dtype;
    if (order == '>' || order == '|') {
      if (oneByte)
        return dtype;
      malformed(source, "big-endian data ('" + descr + "') is not supported");
    }
    break;
  }
  malformed(source, "unsupported dtype '" + descr + "'");
}

/// A cursor over the header dict literal.
class HeaderParser : public detail::TextCursor {
public:
  HeaderParser(const std::string &text, const std::string &source)
      : TextCursor(text), source(source) {}

  std::string string() {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      error("expected a string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string::npos)
      error("unterminated string");
    std::string value = text.substr(pos, end - pos);
    pos = end + 1;
    return value;
  }
  bool boolean() {
    if (startsWith("True")) {
      pos += 4;
      return true;
    }
    if (startsWith("False")) {
      pos += 5;
      return false;
    }
    error("expected True or False");
  }
  std::vector<int64_t> shape() {
    expect('(');
    std::vector<int64_t> dims;
    while (!consume(')')) {
      skipSpace();
      if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
        error("expected a non-negative integer in the shape");
      int64_t value = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (value > (INT64_MAX - 9) / 10)
          error("a dim of the shape is too large");
        value = value * 10 + (text[pos++] - '0');
      }
      consume('L'); // Python 2 longs.
      dims.push_back(value);
      if (!consume(',')) {
        expect(')');
        break;
      }
    }
    return dims;
  }
  [[noreturn]] void error(const std::string &what) override {
    size_t end = text.find_last_not_of(" \n");
    std::string shown = text.substr(0, end == std::string::npos ? 0 : end + 1);
    malformed(source, "bad .npy header: " + what + " at offset " +
                          std::to_string(pos) + " of \"" + shown + "\"");
  }

private:
  const std::string &source;
};

uint32_t readLE(const uint8_t *at, int bytes) {
  uint32_t value = 0;
  for (int i = bytes; i-- > 0;)
    value = value << 8 | at[i];
  return value;
}

uint64_t readLE64(const uint8_t *at) {
  return uint64_t(readLE(at + 4, 4)) << 32 | readLE(at, 4);
}

void appendLE(std::vector<uint8_t> &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

std::vector<uint8_t> readFile(const std::string &path) {
  auto ioError = [&](int error) {
    throw Error(error == ENOENT ? KILN_STATUS_NOT_FOUND : KILN_STATUS_IO_ERROR,
                "cannot read " + quoted(path) + ": " + std::strerror(error));
  };
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    ioError(errno);
  struct stat info;
  if (fstat(fd, &info) != 0) {
    int error = errno;
    close(fd);
    ioError(error);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    ioError(S_ISDIR(info.st_mode) ? EISDIR : EINVAL);
  }
  std::vector<uint8_t> bytes;
  try {
    bytes.resize(static_cast<size_t>(info.st_size));
  } catch (...) {
    close(fd);
    throw;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t got = read(fd, bytes.data() + done, bytes.size() - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      int error = got < 0 ? errno : EIO;
      close(fd);
      ioError(error);
    }
    done += static_cast<size_t>(got);
  }
  close(fd);
  return bytes;
}

/// Writes `bytes` to a temporary file beside `path`, then renames it. A
/// `path` that exists and is not a regular file (/dev/null, a pipe) is
/// written directly: renaming over it would replace the device.
void writeFileAtomically(const std::string &path,
                         const std::vector<uint8_t> &bytes) {
  struct stat existing;
  bool special = stat(path.c_str(), &existing) == 0 &&
                 !S_ISREG(existing.st_mode) && !S_ISDIR(existing.st_mode);
  std::string temp = special ? std::string() : path + ".tmp.XXXXXX";
  int fd = special ? open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC)
                   : mkstemp(&temp[0]);
  auto ioError = [&](const std::string &what) {
    int error = errno;
    if (fd >= 0)
      close(fd);
    if (!special)
      unlink(temp.c_str());
    throw Error(KILN_STATUS_IO_ERROR, "cannot write " + quoted(path) + ": " +
                                          what + ": " + std::strerror(error));
  };
  if (fd < 0) {
    int error = errno;
    throw Error(KILN_STATUS_IO_ERROR,
                "cannot write " + quoted(path) + ": " + std::strerror(error));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t wrote = write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR)
      continue;
    if (wrote <= 0)
      ioError("write");
    done += static_cast<size_t>(wrote);
  }
  if (special) {
    if (close(fd) != 0) {
      fd = -1;
      ioError("close");
    }
    return;
  }
  if (fchmod(fd, 0644) != 0 || fsync(fd) != 0)
    ioError("sync");
  if (close(fd) != 0) {
    fd = -1;
    ioError("close");
  }
  fd = -1;
  if (rename(temp.c_str(), path.c_str()) != 0)
    ioError("rename");
}

//===----------------------------------------------------------------------===//
// .npz (zip)
//===----------------------------------------------------------------------===//

constexpr uint32_t localHeaderSig = 0x04034b50;
constexpr uint32_t centralHeaderSig = 0x02014b50;
constexpr uint32_t endSig = 0x06054b50;
constexpr uint32_t zip64EndSig = 0x06064b50;
constexpr uint32_t zip64LocatorSig = 0x07064b50;

/// Bounds-checked little-endian reads from a whole archive.
class ZipReader {
public:
  ZipReader(const std::vector<uint8_t> &bytes, const std::string &source)
      : bytes(bytes), source(source) {}

  /// Throws unless [at, at + size) lies inside the file.
  void need(uint64_t at, uint64_t size, const char *what) const {
    if (at > bytes.size() || size > bytes.size() - at)
      malformed(source, std::string(what) + " at offset " + std::to_string(at) +
                            " runs past the end (" +
                            std::to_string(bytes.size()) + " bytes)");
  }
  uint32_t u16(uint64_t at) const {
    need(at, 2, "a field");
    return readLE(&bytes[at], 2);
  }
  uint32_t u32(uint64_t at) const {
    need(at, 4, "a field");
    return readLE(&bytes[at], 4);
  }
  uint64_t u64(uint64_t at) const {
    need(at, 8, "a field");
    return readLE64(&bytes[at]);
  }
  const uint8_t *at(uint64_t offset) const { return bytes.data() + offset; }
  size_t size() const { return bytes.size(); }

private:
  const std::vector<uint8_t> &bytes;
  const std::string &source;
};

/// Inflates the raw deflate stream `in` into exactly `out.size()` bytes.
void inflateEntry(const uint8_t *in, size_t inSize, std::vector<uint8_t> &out,
                  const std::string &source) {
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
    throw std::bad_alloc();
  // zlib's counters are 32-bit: feed and drain in chunks.
  size_t inDone = 0, outDone = 0;
  int status = Z_OK;
  uint8_t spare;
  while (status == Z_OK) {
    size_t inChunk = std::min<size_t>(inSize - inDone, UINT_MAX);
    size_t outChunk = std::min<size_t>(out.size() - outDone, UINT_MAX);
    stream.next_in = const_cast<uint8_t *>(in + inDone);
    stream.avail_in = static_cast<uInt>(inChunk);
    // Offer one spare byte once the buffer is full, to notice extra data.
    stream.next_out = outChunk ? out.data() + outDone : &spare;
    stream.avail_out = outChunk ? static_cast<uInt>(outChunk) : 1;
    status = inflate(&stream, Z_NO_FLUSH);
    inDone += inChunk - stream.avail_in;
    if (outChunk)
      outDone += outChunk - stream.avail_out;
    else if (stream.avail_out == 0)
      status = Z_BUF_ERROR; // More data than declared.
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END || outDone != out.size())
    malformed(source, "corrupt deflate data (zlib status " +
                          std::to_string(status) + ", " +
                          std::to_string(outDone) + " of " +
                          std::to_string(out.size()) + " bytes)");
}

/// Reads the zip64 extra field of a central directory entry, replacing the
/// fields that are 0xFFFFFFFF.
void readZip64Extra(const ZipReader &zip, uint64_t extra, uint64_t extraSize,
                    uint64_t &size, uint64_t &compressedSize, uint64_t &offset,
                    const std::string &source) {
  uint64_t end = extra + extraSize;
  while (extra + 4 <= end) {
    uint32_t id = zip.u16(extra), length = zip.u16(extra + 2);
    uint64_t field = extra + 4;
    if (field + length > end)
      malformed(source, "an extra field runs past its entry");
    if (id == 0x0001) {
      uint64_t at = field;
      for (uint64_t *value : {&size, &compressedSize, &offset}) {
        if (*value != 0xFFFFFFFFu)
          continue;
        if (at + 8 > field + length)
          malformed(source, "a ZIP64 extra field is too short");
        *value = zip.u64(at);
        at += 8;
      }
      return;
    }
    extra = field + length;
  }
  malformed(source, "an entry needs a ZIP64 extra field and has none");
}

} // namespace

//===----------------------------------------------------------------------===//
// The API
//===----------------------------------------------------------------------===//

std::vector<uint8_t> kiln::readBinaryFile(const std::string &path) {
  return readFile(path);
}

void kiln::writeBinaryFileAtomically(const std::string &path,
                                     const std::vector<uint8_t> &bytes) {
  writeFileAtomically(path, bytes);
}

Tensor kiln::parseNpy(const uint8_t *data, size_t size,
                      const std::string &source) {
  static const char magic[] = "\x93NUMPY";
  if (size < 10 || std::memcmp(data, magic, 6) != 0)
    malformed(source, "not a .npy file (no \\x93NUMPY magic)");
  unsigned major = data[6], minor = data[7];
  size_t headerStart;
  uint64_t headerLength;
  if (major == 1) {
    headerStart = 10;
    headerLength = readLE(data + 8, 2);
  } else if (major == 2 || major == 3) {
    if (size < 12)
      malformed(source, "truncated .npy header");
    headerStart = 12;
    headerLength = readLE(data + 8, 4);
  } else {
    malformed(source, "unsupported .npy format version " +
                          std::to_string(major) + "." + std::to_string(minor));
  }
  if (headerLength > size - headerStart)
    malformed(source, "the .npy header claims " + std::to_string(headerLength) +
                          " bytes, but only " +
                          std::to_string(size - headerStart) + " follow");
  std::string header(reinterpret_cast<const char *>(data) + headerStart,
                     headerLength);

  HeaderParser parser(header, source);
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  std::set<std::string> seen;
  parser.expect('{');
  while (!parser.consume('}')) {
    std::string key = parser.string();
    if (!seen.insert(key).second)
      parser.error("duplicate key '" + key + "'");
    parser.expect(':');
    if (key == "descr" && parser.startsWith("["))
      parser.error("structured dtypes are not supported");
    if (key == "descr")
      descr = parser.string();
    else if (key == "fortran_order")
      fortranOrder = parser.boolean();
    else if (key == "shape")
      shape = parser.shape();
    else
      parser.error("unexpected key '" + key + "'");
    if (!parser.consume(',')) {
      parser.expect('}');
      break;
    }
  }
  for (const char *key : {"descr", "fortran_order", "shape"})
    if (!seen.count(key))
      parser.error(std::string("missing key '") + key + "'");
  kiln_dtype dtype = dtypeFromDescr(descr, source);

  Tensor tensor;
  try {
    tensor = Tensor(dtype, shape);
  } catch (const Error &error) {
    if (error.status() == KILN_STATUS_OUT_OF_MEMORY)
      throw;
    malformed(source, error.what());
  }
  size_t dataStart = headerStart + headerLength;
  size_t available = size - dataStart;
  if (available < tensor.byteSize())
    malformed(source,
              "truncated: shape " +
                  detail::formatDims(shape.data(), shape.size()) + " of " +
                  descr + " needs " + std::to_string(tensor.byteSize()) +
                  " bytes of data, the file has " + std::to_string(available));
  if (available > tensor.byteSize())
    malformed(source, std::to_string(available - tensor.byteSize()) +
                          " bytes follow the array data");
  const uint8_t *src = data + dataStart;
  auto *dst = tensor.data<uint8_t>();
  size_t elementSize = kiln_dtype_size(dtype);
  size_t count = tensor.numElements();
  if (!fortranOrder || shape.size() < 2) {
    std::memcpy(dst, src, tensor.byteSize());
  } else {
    // Column-major: element (i0, ..., iN) is at sum(i_k * prod(dims < k)).
    size_t rank = shape.size();
    std::vector<int64_t> index(rank, 0);
    std::vector<size_t> strides(rank, 1);
    for (size_t d = 1; d < rank; ++d)
      strides[d] = strides[d - 1] * size_t(shape[d - 1]);
    size_t offset = 0;
    for (size_t n = 0; n < count; ++n) {
      std::memcpy(dst + n * elementSize, src + offset * elementSize,
                  elementSize);
      for (size_t d = rank; d-- > 0;) {
        offset += strides[d];
        if (++index[d] < shape[d])
          break;
        offset -= strides[d] * size_t(shape[d]);
        index[d] = 0;
      }
    }
  }
  if (dtype == KILN_DTYPE_I1)
    for (size_t n = 0; n < count; ++n)
      dst[n] = dst[n] != 0;
  return tensor;
}

std::vector<uint8_t> kiln::serializeNpy(const Tensor &tensor) {
  if (!tensor)
    throw Error(KILN_STATUS_INVALID_ARGUMENT, "the tensor is empty");
  const char *type = npyType(tensor.dtype());
  if (!type)
    throw Error(KILN_STATUS_INVALID_ARGUMENT,
                std::string("NumPy has no dtype for ") +
                    (kiln_dtype_name(tensor.dtype())
                         ? kiln_dtype_name(tensor.dtype())
                         : "an invalid dtype"));
  size_t bytes = tensor.numElements() * kiln_dtype_size(tensor.dtype());
  if (tensor.byteSize() != bytes || (bytes && !tensor.data()))
    throw Error(KILN_STATUS_INVALID_ARGUMENT,
                "the tensor's buffer does not match its shape");
  std::vector<int64_t> dims = tensor.dims();
  std::string shape = "(";
  for (size_t d = 0; d < dims.size(); ++d)
    shape += (d ? ", " : "") + std::to_string(dims[d]);
  shape += dims.size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") +
                       (kiln_dtype_size(tensor.dtype()) == 1 ? "|" : "<") +
                       type + "', 'fortran_order': False, 'shape': " + shape +
                       ", }";
  // Pad with spaces and a newline so the data starts 64-byte aligned.
  size_t prefix = header.size() + 1 + 10 > 65535 ? 12 : 10;
  size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';

  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  out.push_back(prefix == 10 ? 1 : 2);
  out.push_back(0);
  appendLE(out, header.size(), prefix == 10 ? 2 : 4);
  out.insert(out.end(), header.begin(), header.end());
  const auto *data = tensor.data<uint8_t>();
  out.insert(out.end(), data, data + bytes);
  return out;
}

Tensor kiln::readNpy(const std::string &path) {
  std::vector<uint8_t> bytes = readFile(path);
  return parseNpy(bytes.data(), bytes.size(), quoted(path));
}

void kiln::writeNpy(const std::string &path, const Tensor &tensor) {
  std::vector<uint8_t> bytes;
  try {
    bytes = serializeNpy(tensor);
  } catch (const Error &error) {
    throw Error(error.status(),
                "cannot write " + quoted(path) + ": " + error.what());
  }
  writeFileAtomically(path, bytes);
}

std::vector<NamedTensor> kiln::readNpz(const std::string &path) {
  std::vector<uint8_t> bytes = readFile(path);
  std::string source = quoted(path);
  ZipReader zip(bytes, source);

  // The end of central directory record: the last "PK\5\6" within the final
  // 22 + 65535 bytes.
  if (bytes.size() < 22)
    malformed(source, "not an .npz (zip) file: too short");
  uint64_t end = bytes.size() - 22;
  uint64_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
  while (zip.u32(end) != endSig) {
    if (end == lowest)
      malformed(source, "not an .npz (zip) file: no end of central directory");
    --end;
  }
  uint64_t entries = zip.u16(end + 10);
  uint64_t directorySize = zip.u32(end + 12);
  uint64_t directory = zip.u32(end + 16);
  if (entries == 0xFFFF || directorySize == 0xFFFFFFFFu ||
      directory == 0xFFFFFFFFu) {
    if (end < 20 || zip.u32(end - 20) != zip64LocatorSig)
      malformed(source, "a ZIP64 archive without its locator");
    uint64_t record = zip.u64(end - 20 + 8);
    if (zip.u32(record) != zip64EndSig)
      malformed(source, "a bad ZIP64 end of central directory");
    entries = zip.u64(record + 32);
    directorySize = zip.u64(record + 40);
    directory = zip.u64(record + 48);
  }
  zip.need(directory, directorySize, "the central directory");

  std::vector<NamedTensor> arrays;
  std::set<std::string> names;
  uint64_t at = directory;
  for (uint64_t e = 0; e < entries; ++e) {
    zip.need(at, 46, "a central directory entry");
    if (zip.u32(at) != centralHeaderSig)
      malformed(source, "a bad central directory entry at offset " +
                            std::to_string(at));
    uint32_t flags = zip.u16(at + 8), method = zip.u16(at + 10);
    uint32_t crc = zip.u32(at + 16);
    uint64_t compressedSize = zip.u32(at + 20), size = zip.u32(at + 24);
    uint64_t nameLength = zip.u16(at + 28), extraLength = zip.u16(at + 30);
    uint64_t commentLength = zip.u16(at + 32);
    uint64_t local = zip.u32(at + 42);
    zip.need(at + 46, nameLength + extraLength + commentLength,
             "a central directory entry");
    std::string name(reinterpret_cast<const char *>(zip.at(at + 46)),
                     nameLength);
    std::string entry = source + " entry '" + name + "'";
    if (size == 0xFFFFFFFFu || compressedSize == 0xFFFFFFFFu ||
        local == 0xFFFFFFFFu)
      readZip64Extra(zip, at + 46 + nameLength, extraLength, size,
                     compressedSize, local, entry);
    at += 46 + nameLength + extraLength + commentLength;

    if (flags & 1)
      malformed(entry, "encrypted entries are not supported");
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0)
      malformed(entry, "not an .npy array (the name must end in .npy)");
    std::string key = name.substr(0, name.size() - 4);
    if (!names.insert(key).second)
      malformed(entry, "duplicate array '" + key + "'");

    zip.need(local, 30, "a local file header");
    if (zip.u32(local) != localHeaderSig)
      malformed(entry,
                "bad local file header at offset " + std::to_string(local));
    uint64_t dataStart =
        local + 30 + zip.u16(local + 26) + uint64_t(zip.u16(local + 28));
    zip.need(dataStart, compressedSize, "the entry's data");

    std::vector<uint8_t> inflated;
    const uint8_t *npy = zip.at(dataStart);
    if (method == 0) {
      if (compressedSize != size)
        malformed(entry, "a stored entry whose sizes differ");
    } else if (method == 8) {
      // Deflate cannot expand data more than ~1032 times.
      if (size / 1032 > compressedSize + 1)
        malformed(entry, "claims " + std::to_string(size) + " bytes from " +
                             std::to_string(compressedSize) +
                             " compressed ones");
      inflated.resize(size);
      inflateEntry(npy, compressedSize, inflated, entry);
      npy = inflated.data();
    } else {
      malformed(entry, "compression method " + std::to_string(method) +
                           " is not supported (only stored and deflated)");
    }
    uLong actual = crc32(0L, Z_NULL, 0);
    for (uint64_t done = 0; done < size;) {
      uInt chunk = static_cast<uInt>(std::min<uint64_t>(size - done, 1u << 30));
      actual = crc32(actual, npy + done, chunk);
      done += chunk;
    }
    if (actual != crc)
      malformed(entry, "CRC mismatch");
    arrays.push_back({key, parseNpy(npy, size, entry)});
  }
  return arrays;
}

void kiln::writeNpz(
    const std::string &path,
    const std::vector<std::pair<std::string, const Tensor *>> &arrays) {
  std::vector<uint8_t> out, directory;
  std::set<std::string> names;
  for (const auto &[key, tensor] : arrays) {
    std::string name = key + ".npy";
    auto error = [&](const std::string &what) {
      throw Error(KILN_STATUS_INVALID_ARGUMENT, "cannot write " + quoted(path) +
                                                    ": array '" + key +
                                                    "': " + what);
    };
    if (key.empty())
      error("an array needs a name");
    if (!names.insert(key).second)
      error("duplicate name");
    if (!tensor)
      error("the tensor is NULL");
    std::vector<uint8_t> npy;
    try {
      npy = serializeNpy(*tensor);
    } catch (const Error &e) {
      error(e.what());
    }
    if (npy.size() >= 0xFFFFFFFFu || out.size() >= 0xFFFFFFFFu ||
        name.size() > 0xFFFF || arrays.size() >= 0xFFFF)
      error("too large for a zip without ZIP64, which is not written");
    uint32_t crc = 0;
    for (size_t done = 0; done < npy.size();) {
      uInt chunk =
          static_cast<uInt>(std::min<size_t>(npy.size() - done, 1u << 30));
      crc = crc32(crc, npy.data() + done, chunk);
      done += chunk;
    }
    bool utf8 = false;
    for (char c : name)
      utf8 |= static_cast<unsigned char>(c) >= 0x80;
    uint64_t offset = out.size();
    // Fields shared by the local and the central header, from "version
    // needed" to the name length: version, flags, method, time, date, crc,
    // sizes.
    std::vector<uint8_t> common;
    appendLE(common, 20, 2);
    appendLE(common, utf8 ? 0x0800 : 0, 2);
    appendLE(common, 0, 2);      // Stored.
    appendLE(common, 0, 2);      // 00:00:00
    appendLE(common, 0x0021, 2); // 1980-01-01
    appendLE(common, crc, 4);
    appendLE(common, npy.size(), 4);
    appendLE(common, npy.size(), 4);
    appendLE(common, name.size(), 2);

    appendLE(out, localHeaderSig, 4);
    out.insert(out.end(), common.begin(), common.end());
    appendLE(out, 0, 2); // No extra field.
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), npy.begin(), npy.end());

    appendLE(directory, centralHeaderSig, 4);
    appendLE(directory, 20, 2); // Made by: version 2.0.
    directory.insert(directory.end(), common.begin(), common.end());
    appendLE(directory, 0, 2); // Extra field length.
    appendLE(directory, 0, 2); // Comment length.
    appendLE(directory, 0, 2); // Disk number.
    appendLE(directory, 0, 2); // Internal attributes.
    appendLE(directory, 0, 4); // External attributes.
    appendLE(directory, offset, 4);
    directory.insert(directory.end(), name.begin(), name.end());
  }
  if (out.size() + directory.size() >= 0xFFFFFFFFu)
    throw Error(KILN_STATUS_INVALID_ARGUMENT,
                "cannot write " + quoted(path) +
                    ": too large for a zip without ZIP64, which is not "
                    "written");
  uint64_t directoryOffset = out.size();
  out.insert(out.end(), directory.begin(), directory.end());
  appendLE(out, endSig, 4);
  appendLE(out, 0, 2); // This disk.
  appendLE(out, 0, 2); // The directory's disk.
  appendLE(out, arrays.size(), 2);
  appendLE(out, arrays.size(), 2);
  appendLE(out, directory.size(), 4);
  appendLE(out, directoryOffset, 4);
  appendLE(out, 0, 2); // Comment length.
  writeFileAtomically(path, out);
}
