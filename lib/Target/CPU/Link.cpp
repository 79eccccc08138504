//===- Link.cpp - Linking with lld ----------------------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/CPU/CPUTarget.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;
using namespace mlir::kiln;

/// lld: LLVM 22's own, else whichever `ld.lld` is on PATH.
static llvm::Expected<std::string> findLinker() {
  for (StringRef candidate : {"/usr/lib/llvm-22/bin/ld.lld"})
    if (llvm::sys::fs::can_execute(candidate))
      return candidate.str();
  for (StringRef name : {"ld.lld-22", "ld.lld"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return llvm::createStringError(
      "lld not found (install lld-22; utils/bootstrap.sh does)");
}

llvm::Error mlir::kiln::linkSharedLibrary(StringRef object, StringRef output) {
  auto linker = findLinker();
  if (!linker)
    return linker.takeError();
  SmallVector<StringRef> args{*linker,
                              "-shared",
                              "--no-undefined-version",
                              "-z",
                              "noexecstack",
                              "-o",
                              output,
                              object,
                              "-L/usr/lib/x86_64-linux-gnu",
                              "-L/lib/x86_64-linux-gnu",
                              "--as-needed",
                              "-lm",
                              "-lc"};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, {}, 0, 0,
                                         &message);
  if (status != 0)
    return llvm::createStringError(
        "linking '%s' failed (%s exited with %d%s%s)", output.str().c_str(),
        linker->c_str(), status, message.empty() ? "" : ": ", message.c_str());
  return llvm::Error::success();
}

/// clang's driver, to link executables (it knows the C runtime's start
/// files and libstdc++).
static llvm::Expected<std::string> findDriver() {
  for (StringRef candidate : {"/usr/lib/llvm-22/bin/clang++"})
    if (llvm::sys::fs::can_execute(candidate))
      return candidate.str();
  for (StringRef name : {"clang++-22", "clang++"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return llvm::createStringError(
      "clang++ not found (install clang-22; utils/bootstrap.sh does)");
}

llvm::Error mlir::kiln::linkExecutable(StringRef object, StringRef runtime,
                                       StringRef output) {
  auto driver = findDriver();
  if (!driver)
    return driver.takeError();
  if (!llvm::sys::fs::exists(runtime))
    return llvm::createStringError("the Kiln runtime archive '%s' is missing",
                                   runtime.str().c_str());
  // zlib goes in statically when its archive is there, so the executable
  // needs nothing beyond libc, libm and libstdc++.
  std::string zlib = llvm::sys::fs::exists("/usr/lib/x86_64-linux-gnu/libz.a")
                         ? "/usr/lib/x86_64-linux-gnu/libz.a"
                         : "-lz";
  SmallVector<StringRef> args{
      *driver, "-fuse-ld=lld", "-o",  output, object,
      runtime, zlib,           "-lm", "-ldl", "-Wl,-z,noexecstack"};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*driver, args, std::nullopt, {}, 0, 0,
                                         &message);
  if (status != 0)
    return llvm::createStringError(
        "linking '%s' failed (%s exited with %d%s%s)", output.str().c_str(),
        driver->c_str(), status, message.empty() ? "" : ": ", message.c_str());
  return llvm::Error::success();
}

llvm::Error mlir::kiln::archiveObject(StringRef object, StringRef output) {
  std::string archiver;
  if (llvm::sys::fs::can_execute("/usr/lib/llvm-22/bin/llvm-ar"))
    archiver = "/usr/lib/llvm-22/bin/llvm-ar";
  else if (auto path = llvm::sys::findProgramByName("llvm-ar-22"))
    archiver = *path;
  else if (auto path = llvm::sys::findProgramByName("ar"))
    archiver = *path;
  else
    return llvm::createStringError("no archiver (llvm-ar) found");
  // llvm-ar appends to an existing archive; start from none.
  llvm::sys::fs::remove(output);
  SmallVector<StringRef> args{archiver, "rcs", output, object};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(archiver, args, std::nullopt, {}, 0, 0,
                                         &message);
  if (status != 0)
    return llvm::createStringError("archiving '%s' failed (%s exited with %d)",
                                   output.str().c_str(), archiver.c_str(),
                                   status);
  return llvm::Error::success();
}

std::string mlir::kiln::staticLibraryHeader(StringRef name,
                                            StringRef signature) {
  std::string guard = "KILN_MODEL_" + name.upper() + "_H";
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "/* Generated by kilnc: the compiled model's entry point, per "
        "Kiln's module\n"
     << " * ABI (docs/abi.md). Link with the archive and the Kiln "
        "runtime, and bind it\n"
     << " * with kiln_module_from_symbols(&kiln_abi_version, kiln_signature_"
     << name << ",\n"
     << " * kiln_entry_" << name << ", &module, &error).\n *\n"
     << " * Signature:\n";
  StringRef rest = signature;
  while (!rest.empty()) {
    auto [line, tail] = rest.split('\n');
    if (!line.empty())
      os << " *   " << line << "\n";
    rest = tail;
  }
  os << " */\n#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "extern const uint32_t kiln_abi_version;\n"
     << "extern const char kiln_signature_" << name << "[];\n"
     << "void kiln_entry_" << name << "(void **args);\n\n"
     << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* "
     << guard << " */\n";
  return out;
}
