#!/usr/bin/env python3
# ===- test/e2e/gpu_check.py - e2e models on a GPU against the CPU -------=== #
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
# ===-------------------------------------------------------------------=== #
"""test_cuda_ptx.py's GPU check for a GPU machine without the compiler.

`test_gpu_matches_cpu` compiles each e2e model and runs it on the GPU next
to the CPU; it needs kilnc (and so libMLIR) on the machine with the GPU.
This script splits that in two:

  test/e2e/gpu_check.py --compile-only DIR   # here: each model's CUDA and
                                             # CPU library, its inputs, and
                                             # kiln-run, into DIR
  test/e2e/gpu_check.py --prebuilt DIR       # on the GPU machine: run both
                                             # libraries, compare outputs

The comparison is test_gpu_matches_cpu's: every output of the CUDA library
within rtol 1e-3, atol 1e-4 of the CPU library's. It prints one line per
model and `N passed, N failed`; the exit status is 1 when one failed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RTOL, ATOL = 1e-3, 1e-4


def compile_all(folder: Path, arch: str) -> int:
    sys.path.insert(0, str(HERE))
    import test_cuda_ptx as cuda  # noqa: E402  (its model list and helpers)

    folder.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name in cuda.NAMES:
        path = cuda.model_path(folder, name)
        cuda.random_inputs(path, folder / f"{name}.inputs.npz")
        for device, extra in (("cpu", []),
                              ("cuda", ["--target=cuda",
                                        f"--cuda-arch={arch}"])):
            done = cuda.kilnc(path, *extra, "-o",
                              folder / f"{name}.{device}.so", timeout=900)
            if done.returncode != 0:
                failures += 1
                print(f"{name}: kilnc for {device} failed: "
                      f"{(done.stderr.strip().splitlines() or ['?'])[0]}")
        print(f"compiled {name}", flush=True)
    shutil.copy2(cuda.KILN_RUN, folder / "kiln-run")
    return 1 if failures else 0


def run(kiln_run: Path, lib: Path, inputs: Path, out: Path, device: str):
    done = subprocess.run([str(kiln_run), str(lib), "--inputs", str(inputs),
                           "--outputs", str(out), "--device", device],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"kiln-run --device {device}: "
                           f"{done.stderr.strip()}")
    return dict(np.load(out))


def check_all(folder: Path) -> int:
    kiln_run = folder / "kiln-run"
    passed = failed = 0
    for inputs in sorted(folder.glob("*.inputs.npz")):
        name = inputs.name[:-len(".inputs.npz")]
        try:
            cpu = run(kiln_run, folder / f"{name}.cpu.so", inputs,
                      folder / f"{name}.cpu.out.npz", "cpu")
            gpu = run(kiln_run, folder / f"{name}.cuda.so", inputs,
                      folder / f"{name}.cuda.out.npz", "cuda")
            if cpu.keys() != gpu.keys():
                raise AssertionError(f"outputs {sorted(gpu)} on the GPU, "
                                     f"{sorted(cpu)} on the CPU")
            worst = 0.0
            for key, expected in cpu.items():
                np.testing.assert_allclose(gpu[key], expected, rtol=RTOL,
                                           atol=ATOL, err_msg=key)
                if expected.size:
                    worst = max(worst, float(np.max(np.abs(
                        gpu[key].astype(np.float64) - expected))))
            passed += 1
            print(f"PASS {name}: largest difference {worst:.3g}", flush=True)
        except (AssertionError, RuntimeError, OSError) as error:
            failed += 1
            first = str(error).strip().splitlines()
            print(f"FAIL {name}: {first[0] if first else error}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--compile-only", type=Path, metavar="DIR")
    group.add_argument("--prebuilt", type=Path, metavar="DIR")
    parser.add_argument("--cuda-arch", default="sm_90")
    args = parser.parse_args(argv)
    if args.compile_only:
        return compile_all(args.compile_only, args.cuda_arch)
    if not (args.prebuilt / "kiln-run").exists():
        parser.error(f"{args.prebuilt} has no kiln-run: make it with "
                     "--compile-only first")
    return check_all(args.prebuilt)


if __name__ == "__main__":
    sys.exit(main())
