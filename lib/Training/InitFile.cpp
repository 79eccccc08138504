//===- InitFile.cpp - The initial values of a training step ---------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// Writes a training step's initial inputs as a NumPy .npz: a zip archive of
// stored (uncompressed) .npy entries, version 1 headers, little-endian, C
// order.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/TrainingStep.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kiln;

/// NumPy's name of `type`, or "" when .npy has none.
static std::string npyDescr(Type type) {
  if (type.isF16())
    return "<f2";
  if (type.isF32())
    return "<f4";
  if (type.isF64())
    return "<f8";
  if (auto integer = dyn_cast<IntegerType>(type)) {
    unsigned width = integer.getWidth();
    if (width == 8 || width == 16 || width == 32 || width == 64)
      return (integer.isUnsigned() ? "<u" : "<i") + std::to_string(width / 8);
  }
  return "";
}

/// The .npy bytes of `value`.
static llvm::Expected<std::string> npyBytes(const InitialValue &value) {
  std::string descr = npyDescr(value.type.getElementType());
  if (descr.empty() || !value.type.hasStaticShape())
    return llvm::createStringError("'%s' has a type the init file cannot hold",
                                   value.name.c_str());
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (int64_t d : value.type.getShape())
    header += std::to_string(d) + ", ";
  if (value.type.getRank() == 1)
    header.erase(header.size() - 1);
  else if (value.type.getRank() > 1)
    header.erase(header.size() - 2);
  header += "), }";
  // Magic, version, header length, header: padded to 64 bytes with a
  // newline at the end.
  size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xffff)
    return llvm::createStringError("'%s' has too many dimensions",
                                   value.name.c_str());
  size_t dataSize = static_cast<size_t>(value.type.getNumElements()) *
                    (value.type.getElementTypeBitWidth() / 8);
  if (!value.data.empty() && value.data.size() != dataSize)
    return llvm::createStringError("'%s' has %zu bytes of data, not %zu",
                                   value.name.c_str(), value.data.size(),
                                   dataSize);
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  if (value.data.empty())
    out.append(dataSize, '\0');
  else
    out.append(value.data.begin(), value.data.end());
  return out;
}

namespace {
/// Little-endian fields of a zip archive.
struct ZipWriter {
  std::string bytes;
  void u16(uint32_t v) {
    bytes.push_back(static_cast<char>(v & 0xff));
    bytes.push_back(static_cast<char>((v >> 8) & 0xff));
  }
  void u32(uint32_t v) {
    u16(v & 0xffff);
    u16(v >> 16);
  }
};
} // namespace

llvm::Error mlir::kiln::writeInitFile(StringRef path,
                                      ArrayRef<InitialValue> init) {
  struct Entry {
    std::string name;
    uint32_t crc, size, offset;
  };
  std::vector<Entry> entries;
  ZipWriter zip;
  // 1980-01-01 00:00, the earliest date zip can say.
  const uint32_t time = 0, date = (1 << 5) | 1;
  for (const InitialValue &value : init) {
    llvm::Expected<std::string> npy = npyBytes(value);
    if (!npy)
      return npy.takeError();
    if (npy->size() >= 0xffffffffu || zip.bytes.size() >= 0xffffffffu)
      return llvm::createStringError(
          "the init file would exceed 4 GiB, which it cannot hold yet");
    Entry entry{
        value.name + ".npy",
        llvm::crc32(llvm::ArrayRef<uint8_t>(
            reinterpret_cast<const uint8_t *>(npy->data()), npy->size())),
        static_cast<uint32_t>(npy->size()),
        static_cast<uint32_t>(zip.bytes.size())};
    zip.u32(0x04034b50); // Local file header.
    zip.u16(20);         // Version needed: 2.0.
    zip.u16(0);          // Flags.
    zip.u16(0);          // Stored.
    zip.u16(time);
    zip.u16(date);
    zip.u32(entry.crc);
    zip.u32(entry.size);
    zip.u32(entry.size);
    zip.u16(entry.name.size());
    zip.u16(0);
    zip.bytes += entry.name;
    zip.bytes += *npy;
    entries.push_back(std::move(entry));
  }
  if (zip.bytes.size() >= 0xffffffffu || entries.size() >= 0xffff)
    return llvm::createStringError(
        "the init file would exceed 4 GiB or 65535 entries");
  uint32_t directory = static_cast<uint32_t>(zip.bytes.size());
  for (const Entry &entry : entries) {
    zip.u32(0x02014b50); // Central directory header.
    zip.u16(20);         // Made by: 2.0.
    zip.u16(20);         // Needed: 2.0.
    zip.u16(0);
    zip.u16(0);
    zip.u16(time);
    zip.u16(date);
    zip.u32(entry.crc);
    zip.u32(entry.size);
    zip.u32(entry.size);
    zip.u16(entry.name.size());
    zip.u16(0); // Extra field.
    zip.u16(0); // Comment.
    zip.u16(0); // Disk.
    zip.u16(0); // Internal attributes.
    zip.u32(0); // External attributes.
    zip.u32(entry.offset);
    zip.bytes += entry.name;
  }
  uint32_t directorySize = static_cast<uint32_t>(zip.bytes.size()) - directory;
  zip.u32(0x06054b50); // End of central directory.
  zip.u16(0);
  zip.u16(0);
  zip.u16(entries.size());
  zip.u16(entries.size());
  zip.u32(directorySize);
  zip.u32(directory);
  zip.u16(0);
  // writeToOutput writes a temporary file and renames it into place.
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    os << zip.bytes;
    return llvm::Error::success();
  });
}
