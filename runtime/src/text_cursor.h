//===- text_cursor.h - A cursor over a small header text --------*- C++ -*-===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// The file formats the runtime reads carry a short text header: a Python
// dict literal in .npy, a JSON object in safetensors. Their parsers walk it
// with this cursor and report errors their own way.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SRC_TEXT_CURSOR_H
#define KILN_RUNTIME_SRC_TEXT_CURSOR_H

#include <cstring>
#include <string>

namespace kiln::detail {

class TextCursor {
public:
  explicit TextCursor(const std::string &text) : text(text) {}
  virtual ~TextCursor() = default;

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  /// Skips blanks, then `c` if it is next.
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c))
      error(std::string("expected '") + c + "'");
  }
  /// Skips blanks; whether `word` comes next.
  bool startsWith(const char *word) {
    skipSpace();
    return text.compare(pos, std::strlen(word), word) == 0;
  }
  /// Reports `what`, at the current position; never returns.
  [[noreturn]] virtual void error(const std::string &what) = 0;

protected:
  const std::string &text;
  size_t pos = 0;
};

} // namespace kiln::detail

#endif // KILN_RUNTIME_SRC_TEXT_CURSOR_H
