#!/usr/bin/env bash
#===- utils/bootstrap.sh - Install every Kiln dependency -----------------===#
#
# Idempotent set-up for a Debian 12 machine, run as root (or with sudo on PATH).
# A second run with everything present checks and returns in seconds.
#
# Installs: LLVM/MLIR 22, ONNX's C++ library and protobuf, Open MPI, CMake,
# Ninja, ccache, GoogleTest, Debian's PyTorch (for the training benchmark),
# and a Python virtual environment with onnx, onnxruntime, numpy, pytest,
# nanobind and scikit-learn.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

KILN_VENV=${KILN_VENV:-/opt/kiln/venv}
say() { echo "[bootstrap] $*"; }

APT_PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  libclang-rt-22-dev
  libomp-22-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libopenmpi-dev openmpi-bin
  cmake ninja-build ccache make git
  libgtest-dev libgmock-dev
  python3 python3-venv python3-dev zlib1g-dev libzstd-dev libedit-dev
  libcurl4-openssl-dev libxml2-dev
  # PyTorch (under /usr/bin/python3): the peer of benchmarks/training.py,
  # with OpenBLAS (pthreads) behind libblas.so.3 rather than the reference
  # BLAS, so that its matrix products are a fair peer.
  python3-torch libopenblas0-pthread
)

# Python packages with minimum versions. onnxruntime is the correctness
# oracle, onnx ships the backend node tests.
PY_PACKAGES=(
  "onnx>=1.16" "onnxruntime>=1.18" "numpy>=1.26" "pytest>=7.4"
  "nanobind>=2.0" "scikit-learn>=1.3"
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: run as root or install sudo" >&2; exit 1; }
  SUDO=sudo
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "Debian packages: all present"
fi

py_ok() {
  [ -x "$KILN_VENV/bin/python" ] || return 1
  "$KILN_VENV/bin/python" - "${PY_PACKAGES[@]}" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
def key(v):
    out = []
    for part in v.split('.'):
        digits = ''.join(c for c in part if c.isdigit())
        out.append(int(digits) if digits else 0)
    return out
for spec in sys.argv[1:]:
    name, _, minimum = spec.partition('>=')
    try:
        if key(version(name)) < key(minimum):
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PYEOF
}

if py_ok; then
  say "Python environment $KILN_VENV: all present"
else
  say "creating Python environment in $KILN_VENV"
  $SUDO mkdir -p "$(dirname "$KILN_VENV")"
  [ -x "$KILN_VENV/bin/python" ] || $SUDO python3 -m venv "$KILN_VENV"
  $SUDO "$KILN_VENV/bin/python" -m pip install -q --upgrade pip
  $SUDO "$KILN_VENV/bin/python" -m pip install -q "${PY_PACKAGES[@]}"
fi
say "done"
