#===- Makefile - Kiln's entry points -------------------------------------===#
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
#   make            same as `make build`
#   make bootstrap  install every dependency (idempotent; utils/bootstrap.sh)
#   make build      configure once, then build everything with Ninja
#   make demo       print a GraphBuilder CNN's IR; compile an ONNX CNN and
#                   run it next to onnxruntime
#   make test       run lit, GoogleTest and pytest; ends with `N passed, N failed`
#   make docs       generate the dialect, op and pass reference
#   make clean      remove the build directory
#   make format     clang-format every tracked C++ file
#
# Override on the command line, e.g. `make test BUILD_DIR=build-debug JOBS=8`.
#
#===----------------------------------------------------------------------===#

BUILD_DIR ?= build
KILN_VENV ?= /opt/kiln/venv
# Parallel jobs for Ninja; empty leaves Ninja's own default.
JOBS ?= $(shell nproc 2>/dev/null)
BUILD_TYPE ?= Release
MLIR_DIR ?= /usr/lib/llvm-22/lib/cmake/mlir
CLANG_FORMAT ?= $(shell command -v clang-format-22 2>/dev/null || \
                        command -v clang-format 2>/dev/null)

# utils/bootstrap.sh reads KILN_VENV from the environment.
export KILN_VENV

NINJA := ninja -C $(BUILD_DIR) $(if $(JOBS),-j $(JOBS))

.DEFAULT_GOAL := build
.PHONY: all bootstrap configure build demo test docs clean format

all: build

bootstrap:
	bash utils/bootstrap.sh

# Configures only once; afterwards Ninja re-runs CMake itself when a
# CMakeLists.txt changes.
configure: bootstrap
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  set -x; \
	  cmake -G Ninja -B $(BUILD_DIR) -S . \
	    -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	    -DMLIR_DIR=$(MLIR_DIR) \
	    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit; \
	fi

build: configure
	$(NINJA)

demo: build
	@echo "== kiln-builder-demo: a small CNN built with the C++ GraphBuilder," \
	  "printed as kiln IR (dynamic batch, weights elided) =="
	@$(BUILD_DIR)/bin/kiln-builder-demo
	@echo
	@echo "== examples/demo.py: an ONNX CNN compiled by kilnc to a shared" \
	  "library, run by kiln-run, checked against onnxruntime =="
	@$(KILN_VENV)/bin/python examples/demo.py --build-dir $(BUILD_DIR)

test: build
	$(KILN_VENV)/bin/python utils/run_tests.py --build-dir $(BUILD_DIR)

docs: configure
	$(NINJA) kiln-doc
	@echo "Generated reference (not kept in the source tree):"
	@ls -1 $(BUILD_DIR)/docs/Kiln/*.md

clean:
	$(if $(strip $(BUILD_DIR)),rm -rf -- $(BUILD_DIR),$(error BUILD_DIR is empty))

format:
	@if [ -z "$(CLANG_FORMAT)" ]; then \
	  echo "format: neither clang-format-22 nor clang-format is installed" >&2; \
	  exit 1; \
	fi
	git ls-files -z -- '*.cpp' '*.h' | xargs -0 -r $(CLANG_FORMAT) -i
