#!/usr/bin/env bash
#===- run_fuzzer.sh - Build and run the ONNX importer's fuzzer -----------===#
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
#   utils/run_fuzzer.sh [SECONDS] [RUNS]   (defaults 120 and 300000)
#
# Configures a second build tree (KILN_FUZZ_BUILD_DIR, default build-fuzz)
# with clang, coverage instrumentation and AddressSanitizer, builds only the
# fuzz target, and runs it for SECONDS on a copy of the seed corpus in
# test/fuzz/corpus/onnx-import (the copy keeps the repository unchanged):
# RUNS inputs with a fixed seed, so a run is reproducible, stopping early
# after SECONDS on a slow machine.
# A crash, a sanitizer report, a leak or an input that takes over 10 s
# fails the run; the input that did it is saved in BUILD/fuzz-artifacts/.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${KILN_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_TO_RUN="${1:-120}"
RUNS="${2:-300000}"
LLVM=/usr/lib/llvm-22

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -B "$BUILD" -S "$ROOT" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR="$LLVM/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM/bin/lit" \
    -DKILN_ENABLE_FUZZER=ON >/dev/null
fi
echo "building the fuzzer in $BUILD"
ninja -C "$BUILD" kiln-onnx-import-fuzzer | tail -n 1

corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
cp "$ROOT"/test/fuzz/corpus/onnx-import/* "$corpus"/
mkdir -p "$BUILD/fuzz-artifacts"
echo "fuzzing the ONNX importer: ${RUNS} inputs or ${SECONDS_TO_RUN} s" \
  "($(ls "$corpus" | wc -l) seed inputs)"
# LLVM's allocators poison and unpoison their memory for AddressSanitizer
# in header code, which our instrumented objects compile but the prebuilt
# libMLIR does not; user poisoning would then report memory that libMLIR
# handed out correctly. Everything else ASan checks stays on.
export ASAN_OPTIONS="allow_user_poisoning=0:${ASAN_OPTIONS:-}"
# A fixed seed, so that a failure in CI can be replayed.
exec "$BUILD/bin/kiln-onnx-import-fuzzer" "$corpus" \
  -seed=1 -runs="$RUNS" -max_total_time="$SECONDS_TO_RUN" -timeout=10 \
  -rss_limit_mb=4096 \
  -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$BUILD/fuzz-artifacts/"
