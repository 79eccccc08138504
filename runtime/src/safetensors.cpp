//===- safetensors.cpp - The safetensors checkpoint format ----------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/safetensors.h"

#include "kiln/runtime/npy.h"

#include "text_cursor.h"

#include <cstring>
#include <memory>

using namespace kiln;

namespace {

struct DtypeName {
  kiln_dtype dtype;
  const char *name;
};
constexpr DtypeName dtypeNames[] = {
    {KILN_DTYPE_F16, "F16"}, {KILN_DTYPE_BF16, "BF16"}, {KILN_DTYPE_F32, "F32"},
    {KILN_DTYPE_F64, "F64"}, {KILN_DTYPE_I1, "BOOL"},   {KILN_DTYPE_I8, "I8"},
    {KILN_DTYPE_I16, "I16"}, {KILN_DTYPE_I32, "I32"},   {KILN_DTYPE_I64, "I64"},
    {KILN_DTYPE_U8, "U8"},   {KILN_DTYPE_U16, "U16"},   {KILN_DTYPE_U32, "U32"},
    {KILN_DTYPE_U64, "U64"}};

//===----------------------------------------------------------------------===//
// JSON, as much as the header needs
//===----------------------------------------------------------------------===//

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  std::string text; // a String, or a Number's digits
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;
};

class JsonParser : public detail::TextCursor {
public:
  JsonParser(const std::string &text, const std::string &where)
      : TextCursor(text), where(where) {}

  Json parseDocument() {
    Json value = parseValue(0);
    skipSpace();
    if (pos != text.size())
      error("unexpected text after the header's object");
    return value;
  }

private:
  [[noreturn]] void error(const std::string &what) override {
    throw Error(KILN_STATUS_INVALID_FILE,
                where + ": malformed safetensors header (" + what +
                    " at byte " + std::to_string(pos) + ")");
  }
  void appendUtf8(std::string &out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  uint32_t hex4() {
    if (pos + 4 > text.size())
      error("truncated \\u escape");
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos++];
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= c - '0';
      else if (c >= 'a' && c <= 'f')
        code |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        code |= c - 'A' + 10;
      else
        error("bad \\u escape");
    }
    return code;
  }
  std::string parseString() {
    expect('"');
    std::string out;
    while (true) {
      if (pos >= text.size())
        error("unterminated string");
      char c = text[pos++];
      if (c == '"')
        return out;
      if (static_cast<unsigned char>(c) < 0x20)
        error("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos >= text.size())
        error("unterminated string");
      switch (char e = text[pos++]) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code = hex4();
        if (code >= 0xD800 && code < 0xDC00 && pos + 1 < text.size() &&
            text[pos] == '\\' && text[pos + 1] == 'u') {
          pos += 2;
          uint32_t low = hex4();
          if (low < 0xDC00 || low >= 0xE000)
            error("bad surrogate pair");
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(out, code);
        break;
      }
      default:
        error("bad escape");
      }
    }
  }
  Json parseValue(int depth) {
    if (depth > 16)
      error("nesting too deep");
    skipSpace();
    if (pos >= text.size())
      error("unexpected end");
    Json value;
    char c = text[pos];
    if (c == '{') {
      ++pos;
      value.kind = Json::Object;
      if (consume('}'))
        return value;
      do {
        skipSpace();
        std::string key = parseString();
        expect(':');
        value.members.emplace_back(std::move(key), parseValue(depth + 1));
      } while (consume(','));
      expect('}');
    } else if (c == '[') {
      ++pos;
      value.kind = Json::Array;
      if (consume(']'))
        return value;
      do
        value.items.push_back(parseValue(depth + 1));
      while (consume(','));
      expect(']');
    } else if (c == '"') {
      value.kind = Json::String;
      value.text = parseString();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      value.kind = Json::Number;
      size_t start = pos;
      while (pos < text.size() &&
             std::strchr("+-0123456789.eE", text[pos]) != nullptr)
        ++pos;
      value.text = text.substr(start, pos - start);
    } else if (text.compare(pos, 4, "true") == 0 ||
               text.compare(pos, 4, "null") == 0) {
      value.kind = text[pos] == 't' ? Json::Bool : Json::Null;
      pos += 4;
    } else if (text.compare(pos, 5, "false") == 0) {
      value.kind = Json::Bool;
      pos += 5;
    } else {
      error("unexpected character");
    }
    return value;
  }

  const std::string &where;
};

void appendJsonString(std::string &out, const std::string &text) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      static const char digits[] = "0123456789abcdef";
      out += "\\u00";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

/// A non-negative integer that fits in int64_t, or fails.
int64_t parseCount(const Json &value, const std::string &what,
                   const std::string &where) {
  bool ok = value.kind == Json::Number && !value.text.empty() &&
            value.text.size() < 19;
  for (char c : value.text)
    ok &= c >= '0' && c <= '9';
  if (!ok)
    throw Error(KILN_STATUS_INVALID_FILE,
                where + ": " + what + " is not a non-negative integer");
  return std::stoll(value.text);
}

} // namespace

SafetensorsFile kiln::readSafetensors(const std::string &path) {
  std::vector<uint8_t> bytes = readBinaryFile(path);
  std::string where = "'" + path + "'";
  auto bad = [&](const std::string &what) {
    throw Error(KILN_STATUS_INVALID_FILE,
                where + ": not a valid safetensors file (" + what + ")");
  };
  if (bytes.size() < 8)
    bad("shorter than its 8-byte header length");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | bytes[i];
  if (headerSize > bytes.size() - 8)
    bad("the header length " + std::to_string(headerSize) +
        " runs past the end of the file");
  std::string header(reinterpret_cast<const char *>(bytes.data() + 8),
                     headerSize);
  Json root = JsonParser(header, where).parseDocument();
  if (root.kind != Json::Object)
    bad("the header is not a JSON object");
  const uint8_t *data = bytes.data() + 8 + headerSize;
  uint64_t dataSize = bytes.size() - 8 - headerSize;

  SafetensorsFile file;
  for (const auto &[name, entry] : root.members) {
    if (name == "__metadata__") {
      if (entry.kind != Json::Object)
        bad("__metadata__ is not an object");
      for (const auto &[key, value] : entry.members) {
        if (value.kind != Json::String)
          bad("the metadata value of '" + key + "' is not a string");
        file.metadata[key] = value.text;
      }
      continue;
    }
    std::string what = "tensor '" + name + "'";
    if (entry.kind != Json::Object)
      bad(what + " is not an object");
    const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (const auto &[key, value] : entry.members) {
      if (key == "dtype")
        dtype = &value;
      else if (key == "shape")
        shape = &value;
      else if (key == "data_offsets")
        offsets = &value;
    }
    if (!dtype || dtype->kind != Json::String || !shape ||
        shape->kind != Json::Array || !offsets ||
        offsets->kind != Json::Array || offsets->items.size() != 2)
      bad(what + " lacks a dtype, shape or pair of data_offsets");
    kiln_dtype kind = KILN_DTYPE_INVALID;
    for (const DtypeName &d : dtypeNames)
      if (dtype->text == d.name)
        kind = d.dtype;
    if (kind == KILN_DTYPE_INVALID)
      bad(what + " has the unsupported dtype '" + dtype->text + "'");
    std::vector<int64_t> dims;
    uint64_t count = 1;
    for (const Json &d : shape->items) {
      int64_t size = parseCount(d, what + "'s shape", where);
      if (size != 0 && count > (uint64_t(1) << 48) / uint64_t(size))
        bad(what + " is too large");
      count *= static_cast<uint64_t>(size);
      dims.push_back(size);
    }
    uint64_t begin = parseCount(offsets->items[0], what + "'s offset", where);
    uint64_t end = parseCount(offsets->items[1], what + "'s offset", where);
    uint64_t expected = count * kiln_dtype_size(kind);
    if (begin > end || end > dataSize || end - begin != expected)
      bad(what + "'s data_offsets [" + std::to_string(begin) + ", " +
          std::to_string(end) + ") do not hold its " +
          std::to_string(expected) + " bytes within the " +
          std::to_string(dataSize) + " of data");
    Tensor tensor(kind, dims);
    if (expected)
      std::memcpy(tensor.data(), data + begin, expected);
    file.tensors.emplace_back(name, std::move(tensor));
  }
  return file;
}

void kiln::writeSafetensors(
    const std::string &path,
    const std::vector<std::pair<std::string, const Tensor *>> &tensors,
    const std::map<std::string, std::string> &metadata) {
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto &[key, value] : metadata) {
      if (!first)
        header += ',';
      first = false;
      appendJsonString(header, key);
      header += ':';
      appendJsonString(header, value);
    }
    header += '}';
  }
  first = metadata.empty();
  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    const char *dtype = nullptr;
    for (const DtypeName &d : dtypeNames)
      if (tensor->dtype() == d.dtype)
        dtype = d.name;
    if (!dtype)
      throw Error(KILN_STATUS_INVALID_ARGUMENT,
                  "cannot write tensor '" + name + "' to safetensors");
    if (!first)
      header += ',';
    first = false;
    appendJsonString(header, name);
    header += ":{\"dtype\":\"";
    header += dtype;
    header += "\",\"shape\":[";
    std::vector<int64_t> dims = tensor->dims();
    for (size_t i = 0; i < dims.size(); ++i)
      header += (i ? "," : "") + std::to_string(dims[i]);
    uint64_t size = tensor->byteSize();
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + size) + "]}";
    offset += size;
  }
  header += '}';
  // The data starts 8-byte aligned: the header is padded with spaces.
  while ((header.size() + 8) % 8)
    header += ' ';

  std::vector<uint8_t> bytes;
  bytes.reserve(8 + header.size() + offset);
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<uint8_t>(uint64_t(header.size()) >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  for (const auto &[name, tensor] : tensors) {
    const auto *data = static_cast<const uint8_t *>(tensor->data());
    bytes.insert(bytes.end(), data, data + tensor->byteSize());
  }
  writeBinaryFileAtomically(path, bytes);
}
