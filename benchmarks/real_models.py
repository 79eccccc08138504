#!/usr/bin/env python3
"""Compile time and latency of the e2e suite's real models, Kiln next to
onnxruntime, measured in the same run on the same inputs.

  benchmarks/real_models.py [--build-dir build] [--runs 20] [--json out.json]

For each model in test/e2e/models/: the time `kilnc` takes to build the
shared library, then the median latency of `kiln-run --bench` and of an
onnxruntime session (both with one thread), and their ratio. A symbolic
batch is set to 1 and a symbolic sequence length to 16. onnxruntime's time
is taken around `session.run` from Python, so it includes that call's small
overhead; kiln-run's is taken in C++ around the compiled entry point.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]


def ort_median_ms(session, feed, runs):
    session.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    bin_dir = args.build_dir.resolve() / "bin"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for model in sorted((ROOT / "test/e2e/models").glob("*.onnx")):
            library = tmp / f"{model.stem}.so"
            start = time.perf_counter()
            subprocess.run([str(bin_dir / "kilnc"), str(model), "-o",
                            str(library)], check=True)
            compile_s = time.perf_counter() - start

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(str(model), options,
                                           providers=["CPUExecutionProvider"])
            (inp,) = session.get_inputs()
            shape = [d if isinstance(d, int) else (1 if i == 0 else 16)
                     for i, d in enumerate(inp.shape)]
            x = np.random.default_rng(0).standard_normal(shape).astype(
                np.float32)
            inputs = tmp / "in.npz"
            np.savez(inputs, **{inp.name: x})
            bench = subprocess.run(
                [str(bin_dir / "kiln-run"), str(library), "--inputs",
                 str(inputs), "--threads", "1", "--bench", str(args.runs)],
                check=True, capture_output=True, text=True).stdout
            kiln_ms = float(re.search(r"median ([0-9.]+) ms", bench).group(1))
            ort_ms = ort_median_ms(session, {inp.name: x}, args.runs)
            rows.append({"model": model.stem, "input": shape,
                         "kilnc_seconds": round(compile_s, 2),
                         "kiln_ms": kiln_ms, "onnxruntime_ms": round(ort_ms, 3),
                         "ratio": round(kiln_ms / ort_ms, 2)})
    print(f"{'model':22s} {'input':16s} {'kilnc s':>8s} {'Kiln ms':>9s} "
          f"{'ORT ms':>8s} {'Kiln/ORT':>9s}")
    for r in rows:
        print(f"{r['model']:22s} {str(r['input']):16s} {r['kilnc_seconds']:8.2f}"
              f" {r['kiln_ms']:9.3f} {r['onnxruntime_ms']:8.3f} "
              f"{r['ratio']:9.2f}")
    ratios = [r["ratio"] for r in rows]
    geomean = float(np.exp(np.mean(np.log(ratios))))
    print(f"geometric mean of Kiln/onnxruntime: {geomean:.2f} (1 thread)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "geomean": geomean},
                                        indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
