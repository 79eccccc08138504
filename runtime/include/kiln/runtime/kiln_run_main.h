/*===- kiln_run_main.h - kiln-run's command line as a function ----*- C -*-===*\
|*                                                                            *|
|* Part of the Kiln project: a compiler and runtime for neural networks.      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_KILN_RUN_MAIN_H
#define KILN_RUNTIME_KILN_RUN_MAIN_H

#include "kiln/runtime/kiln_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The whole of `kiln-run` (docs/runtime.md), for tools/kiln-run and for
 * executables that kilnc links with a module:
 *
 *   PROGRAM [MODULE.so] --inputs IN.npz [--outputs OUT.npz] [--threads N]
 *           [--bench N] [--device cpu|cuda]
 *
 * With `module` NULL, the first positional argument is the module to load.
 * Otherwise `module` is run (and unloaded at the end: this call takes it
 * over) and no positional argument is accepted. Prints errors to stderr and
 * returns the process exit status: 0 on success, 1 on any error.
 */
int kiln_run_main(int argc, char **argv, kiln_module *module);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_KILN_RUN_MAIN_H */
