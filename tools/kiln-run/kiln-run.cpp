//===- kiln-run.cpp - Run a compiled Kiln module --------------------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kiln-run MODULE.so --inputs in.npz [--outputs out.npz] [--threads N]
// [--bench N]`; the command line lives in the runtime (kiln_run_main) so
// that executables built by kilnc share it.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/kiln_run_main.h"

int main(int argc, char **argv) { return kiln_run_main(argc, argv, nullptr); }
