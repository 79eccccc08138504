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
