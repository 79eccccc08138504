#!/usr/bin/env python3
# ===- benchmarks/run.py - Kiln's CPU benchmark suite -------------------=== #
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
# ===-------------------------------------------------------------------=== #
"""Kiln's CPU benchmark suite: Kiln next to onnxruntime and NumPy's BLAS,
measured in the same run, on the same machine, inputs and thread count.

  benchmarks/run.py [--models REGEX] [--threads 1,2] [--runs N] [--quick]
                    [--json out.json] [--build-dir build]

For each model of benchmarks/models.py (built once into a cache folder):

  compile   `kilnc MODEL.onnx -o MODEL.so`, once per model, timed
  match     one `kiln-run --outputs` run, compared with onnxruntime's
            outputs (rtol 1e-3, atol 1e-4)
  per T     `kiln-run MODEL.so --threads T --bench N` in a subprocess: the
            median it prints, and that subprocess's peak RSS (wait4's
            ru_maxrss, read by benchmarks/peak_rss.c, which this script
            builds with the C compiler); onnxruntime
            (intra_op_num_threads=T, inter_op_num_threads=1) in a worker
            subprocess of this script: the median of N timed session.run
            calls after a warm-up, and its own peak RSS (ru_maxrss)

N is --runs, or else chosen per model from the match run's time so that
each measurement takes about --budget seconds (within --min-runs and
--max-runs); Kiln and onnxruntime use the same N.

sgemm: NumPy's float32 matmul of 1024^3 and 512^3 (OpenBLAS, with
OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = T) in a subprocess, in GFLOP/s,
next to Kiln's GFLOP/s on the matmul model of the same shape.

Prints the table and the geometric mean of Kiln/onnxruntime over the
networks and the MLP per thread count; progress goes to stderr. A model that
Kiln fails to compile or run, or whose outputs do not match, gets a row
saying so and the run goes on; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEER = "onnxruntime"
RTOL, ATOL = 1e-3, 1e-4
SGEMM_SIZES = (1024, 512)
BENCH_LINE = re.compile(r"median ([0-9.]+) ms \(min ([0-9.]+) ms, max "
                        r"([0-9.]+) ms\)")


def load_models():
    """benchmarks/models.py, imported by the driver only: a worker stays
    free of onnx, whose import would count in onnxruntime's RSS."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import models

    return models


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def peak_rss_mb(kilobytes: int) -> float:
    """ru_maxrss is in kilobytes on Linux."""
    return kilobytes / 1024.0


def rounded(value: Optional[float], digits: int = 1) -> Optional[float]:
    return None if value is None else round(value, digits)


def write_atomically(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_npz_atomically(path: Path, arrays: Dict[str, np.ndarray]) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".npz",
                               dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class Measured:
    """What one child process did. `peak_rss_mb` is None when it could not
    be measured (no peak-rss helper, or the child was killed)."""

    def __init__(self, returncode: int, stdout: str, stderr: str,
                 wall_s: float, peak_rss_mb: Optional[float],
                 timed_out: bool):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.wall_s = wall_s
        self.peak_rss_mb = peak_rss_mb
        self.timed_out = timed_out

    def failed(self) -> bool:
        return self.returncode != 0 or self.timed_out

    def first_error_line(self) -> str:
        """The first line of the child's error message."""
        if self.timed_out:
            return f"timed out after {self.wall_s:.0f} s"
        lines = [l.strip() for l in (self.stderr + "\n" + self.stdout)
                 .splitlines() if l.strip()]
        for line in lines:
            if "error" in line.lower():
                return line
        if lines:
            return lines[0]
        return f"exit status {self.returncode}"


PEAK_RSS_SOURCE = Path(__file__).resolve().parent / "peak_rss.c"
# The compiled peak_rss.c, once setup_peak_rss() has built it.
peak_rss_tool: Optional[Path] = None


def setup_peak_rss(folder: Path) -> Optional[Path]:
    """Builds benchmarks/peak_rss.c into <folder>/peak-rss unless an
    up-to-date one is there; returns its path, or None without a C
    compiler (then no peak RSS is reported)."""
    global peak_rss_tool
    tool = Path(folder) / "peak-rss"
    if (tool.exists()
            and tool.stat().st_mtime >= PEAK_RSS_SOURCE.stat().st_mtime):
        peak_rss_tool = tool
        return tool
    tool.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".peak-rss.", dir=str(tool.parent))
    os.close(fd)
    for compiler in ("clang-22", "clang", "cc", "gcc"):
        for flags in (["-static"], []):
            try:
                done = subprocess.run([compiler, "-O2", *flags, "-o", tmp,
                                       str(PEAK_RSS_SOURCE)],
                                      capture_output=True, timeout=120)
            except (OSError, subprocess.SubprocessError):
                break
            if done.returncode == 0:
                os.replace(tmp, tool)
                peak_rss_tool = tool
                return tool
    os.unlink(tmp)
    return None


def run_measured(command: Sequence[str], timeout_s: float,
                 env: Optional[Dict[str, str]] = None) -> Measured:
    """Runs `command` through the peak-rss helper, which reports the peak
    RSS of that process alone, and times it. Kills it (its whole process
    group) after `timeout_s`."""
    command = [str(c) for c in command]
    with tempfile.TemporaryDirectory(prefix="kiln-bench-run-") as folder:
        report = Path(folder) / "rss"
        full = ([str(peak_rss_tool), str(report), *command]
                if peak_rss_tool else command)
        out_path, err_path = Path(folder) / "out", Path(folder) / "err"
        # A tool being relinked by a build cannot be started for a moment
        # (EACCES, ETXTBSY, ENOENT): wait for it, up to two minutes.
        for attempt in range(25):
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                start = time.perf_counter()
                try:
                    child = subprocess.Popen(full, stdout=out, stderr=err,
                                             stdin=subprocess.DEVNULL,
                                             env=env, start_new_session=True)
                except OSError as error:
                    err.write(f"error: cannot run '{command[0]}': {error}"
                              .encode())
                    child = None
                expired = threading.Event()

                def kill():
                    expired.set()
                    try:
                        os.killpg(child.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

                if child is not None:
                    timer = threading.Timer(timeout_s, kill)
                    timer.start()
                    try:
                        child.wait()
                    finally:
                        timer.cancel()
                wall = time.perf_counter() - start
            stderr = err_path.read_text(errors="replace")
            returncode = child.returncode if child is not None else -1
            cannot_start = child is None or (
                returncode == 127 and "peak-rss: error: cannot run" in stderr)
            if not cannot_start or attempt == 24:
                break
            if attempt == 0:
                progress(f"cannot run '{command[0]}' "
                         f"({stderr.strip().splitlines()[-1]}); retrying for "
                         f"two minutes")
            time.sleep(5)
        rss = None
        if report.exists() and report.read_text().strip():
            rss = peak_rss_mb(int(report.read_text()))
        return Measured(returncode, out_path.read_text(errors="replace"),
                        stderr, wall, rss, expired.is_set())


def thread_env(threads: int) -> Dict[str, str]:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


# Workers: this script run as a subprocess, one measurement each, printing
# one JSON line.


def worker_ort(args) -> int:
    import onnxruntime as ort

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    start = time.perf_counter()
    session = ort.InferenceSession(str(args.model), options,
                                   providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - start
    with np.load(args.inputs) as data:
        feed = {name: data[name] for name in data.files}
    outputs = session.run(None, feed)  # The warm-up.
    if args.outputs:
        names = [o.name for o in session.get_outputs()]
        save_npz_atomically(Path(args.outputs), dict(zip(names, outputs)))
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
    times_ms = [1e3 * t for t in times] or [float("nan")]
    print(json.dumps({
        "median_ms": float(np.median(times_ms)), "min_ms": min(times_ms),
        "max_ms": max(times_ms), "load_s": load_s,
        "peak_rss_mb": peak_rss_mb(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "baseline_rss_mb": peak_rss_mb(baseline), "version": ort.__version__
    }))
    return 0


def blas_name() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        return "unknown"


def worker_sgemm(args) -> int:
    size = args.size
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    c = np.empty((size, size), np.float32)
    np.matmul(a, b, out=c)  # The warm-up.
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - start)
    median_ms = 1e3 * float(np.median(times))
    print(json.dumps({
        "median_ms": median_ms, "gflops": 2 * size**3 / median_ms / 1e6,
        "peak_rss_mb": peak_rss_mb(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "blas": blas_name(), "numpy": np.__version__
    }))
    return 0


def parse_worker(measured: Measured) -> Dict:
    if measured.failed():
        raise RuntimeError(measured.first_error_line())
    lines = measured.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("the worker printed nothing")
    return json.loads(lines[-1])


# The suite.


class Suite:
    def __init__(self, args):
        self.args = args
        bin_dir = args.build_dir.resolve() / "bin"
        self.kilnc = bin_dir / "kilnc"
        self.kiln_run = bin_dir / "kiln-run"
        self.work = Path()
        self.rows: List[Dict] = []
        self.sgemm: List[Dict] = []
        self.failed = False

    def choose_runs(self, first_run_s: Optional[float]) -> int:
        args = self.args
        if args.runs:
            return args.runs
        if not first_run_s or first_run_s <= 0:
            return args.min_runs
        return max(args.min_runs,
                   min(args.max_runs, int(args.budget / first_run_s)))

    def ort(self, model: Path, inputs: Path, threads: int, runs: int,
            outputs: Optional[Path] = None) -> Dict:
        command = [sys.executable, __file__, "--worker", "ort", "--model",
                   model, "--inputs", inputs, "--threads", str(threads),
                   "--runs", str(runs)]
        if outputs:
            command += ["--outputs", outputs]
        result = parse_worker(run_measured(command, self.args.timeout,
                                           thread_env(threads)))
        if peak_rss_tool is None:
            # Its ru_maxrss would include this driver's RSS at fork time.
            result["peak_rss_mb"] = result["baseline_rss_mb"] = None
        return result

    def bench_model(self, name: str) -> None:
        args = self.args
        models = load_models()
        spec = models.SPECS[name]
        started = time.perf_counter()
        path = models.build(name, args.cache_dir)
        import onnx  # After models.py, which needs it anyway.

        model_proto = onnx.load(str(path))
        inputs = self.work / f"{name}.inputs.npz"
        save_npz_atomically(inputs, models.make_inputs(name, model_proto))
        del model_proto
        library = self.work / f"{name}.so"

        # Compile once.
        kiln_error = None
        compiled = run_measured([self.kilnc, path, "-o", library],
                                args.timeout)
        compile_s = compiled.wall_s
        if compiled.failed():
            kiln_error = f"compile failed: {compiled.first_error_line()}"
            progress(f"{name}: {kiln_error}")
        else:
            progress(f"{name}: compiled in {compile_s:.2f} s (kilnc peak "
                     f"RSS {fmt(compiled.peak_rss_mb)} MB)")

        # One run for the outputs, which also sizes N.
        first_run_s = None
        kiln_outputs = self.work / f"{name}.kiln.npz"
        if kiln_error is None:
            checked = run_measured(
                [self.kiln_run, library, "--inputs", inputs, "--outputs",
                 kiln_outputs, "--threads", str(args.threads[0])],
                args.timeout)
            if checked.failed():
                kiln_error = f"run failed: {checked.first_error_line()}"
                progress(f"{name}: {kiln_error}")
            else:
                first_run_s = checked.wall_s
        runs = self.choose_runs(first_run_s)

        match = None
        max_abs_err = None
        for index, threads in enumerate(args.threads):
            row = {"model": name, "kind": spec.kind, "threads": threads,
                   "runs": runs, "peer": PEER, "compile_s": round(compile_s, 3),
                   "compile_rss_mb": rounded(compiled.peak_rss_mb),
                   "macs": spec.macs}
            ort_outputs = self.work / f"{name}.ort.npz" if index == 0 else None
            try:
                peer = self.ort(path, inputs, threads, runs, ort_outputs)
                row.update(peer_ms=peer["median_ms"], peer_min_ms=peer["min_ms"],
                           peer_max_ms=peer["max_ms"],
                           peer_rss_mb=rounded(peer["peak_rss_mb"]),
                           peer_baseline_rss_mb=rounded(
                               peer["baseline_rss_mb"]),
                           peer_load_s=round(peer["load_s"], 3))
            except Exception as error:
                row["peer_error"] = str(error)
                progress(f"{name}: {PEER} failed: {error}")
                self.failed = True
            if index == 0 and kiln_error is None and ort_outputs is not None \
                    and ort_outputs.exists():
                match, max_abs_err, why = compare(kiln_outputs, ort_outputs)
                progress(f"{name}: outputs {'match' if match else 'DIFFER'}"
                         f" (max abs error {max_abs_err:.3g}){why}")
            row["match"] = match
            row["max_abs_err"] = max_abs_err
            if kiln_error is None:
                bench = run_measured(
                    [self.kiln_run, library, "--inputs", inputs, "--threads",
                     str(threads), "--bench", str(runs)], args.timeout,
                    thread_env(threads))
                found = BENCH_LINE.search(bench.stdout)
                if bench.failed():
                    row["error"] = f"run failed: {bench.first_error_line()}"
                elif not found:
                    row["error"] = "kiln-run --bench printed no median"
                else:
                    row.update(kiln_ms=float(found.group(1)),
                               kiln_min_ms=float(found.group(2)),
                               kiln_max_ms=float(found.group(3)),
                               kiln_rss_mb=rounded(bench.peak_rss_mb))
            else:
                row["error"] = kiln_error
            if "kiln_ms" in row and "peer_ms" in row:
                row["ratio"] = row["kiln_ms"] / row["peer_ms"]
            for side in ("kiln", "peer"):
                if f"{side}_ms" in row:
                    row[f"{side}_gflops"] = 2 * spec.macs / row[
                        f"{side}_ms"] / 1e6
            if "error" not in row and match is False:
                row["error"] = f"outputs differ (max abs error " \
                               f"{max_abs_err:.3g})"
            if "error" in row:
                self.failed = True
            row["status"] = "ok" if "error" not in row else row["error"]
            self.rows.append(row)
            progress(f"{name}, {threads} thread{'s' * (threads > 1)}, "
                     f"{runs} runs: Kiln {fmt(row.get('kiln_ms'))} ms, "
                     f"{PEER} {fmt(row.get('peer_ms'))} ms")
        progress(f"{name}: took {time.perf_counter() - started:.1f} s")

    def bench_sgemm(self, size: int) -> None:
        runs = self.args.runs or (5 if self.args.quick else 30)
        for threads in self.args.threads:
            entry = {"shape": f"{size}x{size}x{size}", "size": size,
                     "threads": threads, "runs": runs,
                     "peer": "numpy"}
            command = [sys.executable, __file__, "--worker", "sgemm",
                       "--size", str(size), "--threads", str(threads),
                       "--runs", str(runs)]
            try:
                peer = parse_worker(run_measured(command, self.args.timeout,
                                                 thread_env(threads)))
                entry.update(numpy_ms=peer["median_ms"],
                             numpy_gflops=peer["gflops"], blas=peer["blas"],
                             numpy_version=peer["numpy"])
            except Exception as error:
                entry["error"] = str(error)
                self.failed = True
            kiln = [r for r in self.rows if r["model"] == f"matmul-{size}"
                    and r["threads"] == threads and "kiln_ms" in r]
            if kiln:
                entry["kiln_ms"] = kiln[0]["kiln_ms"]
                entry["kiln_gflops"] = 2 * size**3 / kiln[0]["kiln_ms"] / 1e6
                if "numpy_ms" in entry:
                    entry["ratio"] = entry["kiln_ms"] / entry["numpy_ms"]
            self.sgemm.append(entry)
            progress(f"sgemm {size}^3, {threads} thread"
                     f"{'s' * (threads > 1)}: numpy "
                     f"{fmt(entry.get('numpy_gflops'))} GFLOP/s, Kiln "
                     f"{fmt(entry.get('kiln_gflops'))} GFLOP/s")

    def geomeans(self) -> Dict[str, Dict]:
        result = {}
        for threads in self.args.threads:
            rows = [r for r in self.rows if r["threads"] == threads
                    and r["kind"] in ("network", "mlp")]
            ratios = [r["ratio"] for r in rows if "ratio" in r
                      and "error" not in r]
            result[str(threads)] = {
                "geomean": (float(np.exp(np.mean(np.log(ratios))))
                            if ratios else None),
                "models": [r["model"] for r in rows if "ratio" in r
                           and "error" not in r],
                "missing": [r["model"] for r in rows if "ratio" not in r
                            or "error" in r]}
        return result


def compare(kiln_path: Path, ort_path: Path):
    """Whether every output of Kiln matches onnxruntime's; the largest
    absolute difference; and a note naming the first problem."""
    with np.load(kiln_path) as got, np.load(ort_path) as want:
        worst = 0.0
        for name in want.files:
            if name not in got.files:
                return False, float("inf"), f": Kiln has no output '{name}'"
            a, b = got[name], want[name]
            if a.shape != b.shape:
                return False, float("inf"), (f": '{name}' has shape "
                                             f"{list(a.shape)}, expected "
                                             f"{list(b.shape)}")
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
            worst = max(worst, float(np.nanmax(diff)) if diff.size else 0.0)
            if not np.allclose(a, b, rtol=RTOL, atol=ATOL):
                return False, worst, f": '{name}' outside rtol {RTOL}, " \
                                     f"atol {ATOL}"
        return True, worst, ""


def fmt(value: Optional[float]) -> str:
    """Three significant digits, or a whole number from 100 up."""
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def table_lines(header: Sequence[str],
                rows: Sequence[Sequence[str]]) -> List[str]:
    """Left-aligns the first column, right-aligns the others."""
    widths = [max([len(h)] + [len(r[i]) for r in rows])
              for i, h in enumerate(header)]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                      for i, (c, w) in enumerate(zip(cells, widths)))
            for cells in [header, *rows]]


def print_table(suite: Suite, out) -> None:
    header = ("model", "threads", "Kiln ms", "ORT ms", "Kiln/ORT",
              "Kiln RSS MB", "ORT RSS MB", "compile s", "match")
    rows, notes = [], []
    for r in suite.rows:
        rows.append((r["model"], str(r["threads"]), fmt(r.get("kiln_ms")),
                     fmt(r.get("peer_ms")),
                     f"{r['ratio']:.1f}" if "ratio" in r else "-",
                     fmt(r.get("kiln_rss_mb")), fmt(r.get("peer_rss_mb")),
                     f"{r['compile_s']:.2f}",
                     {True: "yes", False: "NO", None: "-"}[r.get("match")]))
        notes.append(r.get("error") or r.get("peer_error"))
    lines = table_lines(header, rows)
    print(lines[0], file=out)
    for text, note in zip(lines[1:], notes):
        print(text + (f"  {note}" if note else ""), file=out)
    for threads, g in suite.geomeans().items():
        label = f"{threads} thread{'s' * (threads != '1')}"
        if g["geomean"] is None:
            print(f"geometric mean of Kiln/ORT, {label}: - (no network ran)",
                  file=out)
            continue
        missing = (f"; missing: {', '.join(g['missing'])}"
                   if g["missing"] else "")
        print(f"geometric mean of Kiln/ORT, {label}: {g['geomean']:.1f} over "
              f"{', '.join(g['models'])}{missing}", file=out)
    if not suite.sgemm:
        return
    header = ("sgemm", "threads", "Kiln GFLOP/s", "numpy GFLOP/s", "Kiln ms",
              "numpy ms", "Kiln/numpy")
    rows = [(e["shape"], str(e["threads"]), fmt(e.get("kiln_gflops")),
             fmt(e.get("numpy_gflops")), fmt(e.get("kiln_ms")),
             fmt(e.get("numpy_ms")),
             f"{e['ratio']:.1f}" if "ratio" in e else "-")
            for e in suite.sgemm]
    print("", file=out)
    for text in table_lines(header, rows):
        print(text, file=out)
    blas = next((e["blas"] for e in suite.sgemm if "blas" in e), None)
    if blas:
        print(f"numpy's BLAS: {blas}", file=out)


def host_info() -> Dict:
    """The machine, the date and Kiln's commit, for a benchmark's JSON."""
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "date": datetime.datetime.now()
            .astimezone().isoformat(timespec="seconds")}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                info["avx512"] = " avx512f" in line
                break
    except OSError:
        pass
    try:
        info["kiln_commit"] = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status",
                                "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True,
                               timeout=10).stdout.strip()
        info["kiln_tree_dirty"] = bool(dirty)
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def machine_info() -> Dict:
    info = host_info()
    try:
        import onnxruntime

        info["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        pass
    info["numpy"] = np.__version__
    return info


def int_list(text: str, what: str, low: int, high: int) -> List[int]:
    """An argparse type: a comma-separated list of integers in [low, high]."""
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        values = []
    if not values or any(v < low or v > high for v in values):
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {what} ({low} to {high}), "
            f"got '{text}'")
    return values


def parse_threads(text: str) -> List[int]:
    return int_list(text, "thread counts", 1, 1024)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got "
                                         f"'{text}'")
    return value


def worker_main(argv: Sequence[str]) -> int:
    """`run.py --worker ort|sgemm ...`: one measurement in this process."""
    parser = argparse.ArgumentParser(prog="run.py --worker")
    parser.add_argument("kind", choices=("ort", "sgemm"))
    parser.add_argument("--threads", type=positive, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--model")
    parser.add_argument("--inputs")
    parser.add_argument("--outputs")
    parser.add_argument("--size", type=positive)
    args = parser.parse_args(argv)
    if args.kind == "ort":
        return worker_ort(args)
    return worker_sgemm(args)


def main(argv: Optional[Sequence[str]] = None) -> int:
    models = load_models()

    parser = argparse.ArgumentParser(
        description="Kiln's CPU benchmarks next to onnxruntime and "
        "NumPy/OpenBLAS.")
    parser.add_argument("--models", default=None, metavar="REGEX",
                        help="benchmark only the models (and sgemm-1024, "
                        "sgemm-512) whose name REGEX searches into; "
                        "sgemm-S also runs with matmul-S")
    parser.add_argument("--threads", type=parse_threads, default=[1, 2],
                        help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--runs", type=positive, default=None,
                        help="timed runs per measurement (default: chosen "
                        "per model from --budget)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds one Kiln measurement should take when "
                        "--runs is not given (default 10, 2 with --quick)")
    parser.add_argument("--min-runs", type=positive, default=None,
                        help="fewest runs for a chosen N (default 5, 3 with "
                        "--quick)")
    parser.add_argument("--max-runs", type=positive, default=None,
                        help="most runs for a chosen N (default 50, 10 with "
                        "--quick)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer runs, and skip the largest models "
                        f"({', '.join(models.names(large=True))})")
    parser.add_argument("--json", type=Path, default=None,
                        help="write the results to this JSON file")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build",
                        help="Kiln's build folder, with bin/kilnc and "
                        "bin/kiln-run (default build/)")
    parser.add_argument("--cache-dir", type=Path, default=models.DEFAULT_OUT,
                        help="where the models are built (default "
                        "build/benchmarks/models)")
    parser.add_argument("--timeout", type=float, default=1200,
                        help="seconds before one subprocess is killed "
                        "(default 1200)")
    parser.add_argument("--list", action="store_true",
                        help="print what would be measured and exit")
    args = parser.parse_args(argv)

    if args.budget is None:
        args.budget = 2.0 if args.quick else 10.0
    if args.min_runs is None:
        args.min_runs = 3 if args.quick else 5
    if args.max_runs is None:
        args.max_runs = max(args.min_runs, 10 if args.quick else 50)

    try:
        regex = re.compile(args.models or "")
    except re.error as error:
        parser.error(f"--models: bad regular expression '{args.models}': "
                     f"{error}")
    selected = [n for n in models.names() if regex.search(n)]
    sgemm_sizes = [s for s in SGEMM_SIZES
                   if regex.search(f"sgemm-{s}") or f"matmul-{s}" in selected]
    if args.quick:
        skipped = [n for n in selected if n in models.names(large=True)]
        selected = [n for n in selected if n not in skipped]
        sgemm_sizes = [s for s in sgemm_sizes
                       if f"matmul-{s}" not in skipped]
        if skipped:
            progress(f"--quick skips {', '.join(skipped)}")
    if not selected and not sgemm_sizes:
        parser.error(f"no benchmark matches --models '{args.models}'"
                     f"{' (--quick skips the largest)' if args.quick else ''}"
                     f"; known: {', '.join(models.SPECS)}, "
                     f"{', '.join(f'sgemm-{s}' for s in SGEMM_SIZES)}")
    if args.list:
        print("\n".join(selected + [f"sgemm-{s}" for s in sgemm_sizes]))
        return 0

    suite = Suite(args)
    if selected:
        for tool in (suite.kilnc, suite.kiln_run):
            if not tool.exists():
                parser.error(f"'{tool}' does not exist: build Kiln first "
                             f"(make build) or pass --build-dir")
    if setup_peak_rss(args.cache_dir.parent) is None:
        progress("warning: no C compiler built benchmarks/peak_rss.c; no "
                 "peak RSS is reported")
    info = machine_info()
    info["load_average_start"] = os.getloadavg()
    suite.work = Path(tempfile.mkdtemp(prefix="kiln-bench-"))
    progress(f"{len(selected)} models, sgemm {sgemm_sizes}, threads "
             f"{args.threads}; work folder {suite.work}")
    started = time.perf_counter()
    try:
        for index, name in enumerate(selected):
            progress(f"[{index + 1}/{len(selected)}] {name}")
            suite.bench_model(name)
        for size in sgemm_sizes:
            suite.bench_sgemm(size)
    finally:
        shutil.rmtree(suite.work, ignore_errors=True)
    info["load_average_end"] = os.getloadavg()
    info["total_s"] = round(time.perf_counter() - started, 1)

    print_table(suite, sys.stdout)
    progress(f"done in {info['total_s']:.0f} s")
    if args.json:
        settings = {"threads": args.threads, "runs": args.runs,
                    "budget_s": args.budget, "min_runs": args.min_runs,
                    "max_runs": args.max_runs, "quick": args.quick,
                    "models": args.models, "rtol": RTOL, "atol": ATOL}
        report = {"machine": info, "settings": settings, "rows": suite.rows,
                  "geomean": suite.geomeans(), "sgemm": suite.sgemm,
                  "ok": not suite.failed}
        try:
            write_atomically(args.json, json.dumps(report, indent=1) + "\n")
        except OSError as error:
            print(f"run.py: error: cannot write '{args.json}': {error}",
                  file=sys.stderr)
            return 1
        progress(f"wrote {args.json}")
    return 1 if suite.failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(worker_main(sys.argv[2:]))
    sys.exit(main())
