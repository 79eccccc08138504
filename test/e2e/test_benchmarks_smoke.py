"""The benchmark suite (benchmarks/) still works: its smallest models are
valid ONNX that onnxruntime runs, and `run.py --quick` on a tiny model
measures Kiln and onnxruntime end to end and writes the JSON it documents.

No timing is asserted; only that the instrument runs and reports.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
BUILD = Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))


def load(name: str, path: Path):
    """Imports a benchmarks/ script under a name no other test uses."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there.
    spec.loader.exec_module(module)
    return module


models = load("kiln_benchmark_models", BENCHMARKS / "models.py")

# The two smallest models by weight bytes.
SMALLEST = ("conv-depthwise", "conv1x1")


@pytest.mark.parametrize("name", SMALLEST)
def test_model_is_valid_and_runs(name, tmp_path):
    path = models.build(name, tmp_path)
    assert path == tmp_path / f"{name}.onnx"
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert {o.domain: o.version for o in model.opset_import}[""] == 17
    feed = models.make_inputs(name, model)
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    (out,) = session.run(None, feed)
    assert out.shape == (1, 64 if name == "conv1x1" else 32, *out.shape[2:])
    assert np.isfinite(out).all() and out.std() > 0.1
    # Same seed, same bytes: a second build reuses the cached file.
    mtime = path.stat().st_mtime_ns
    assert models.build(name, tmp_path) == path
    assert path.stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob(".*.tmp"))


def test_inputs_are_reproducible():
    a = models.make_inputs("conv-depthwise")
    b = models.make_inputs("conv-depthwise")
    assert list(a) == ["x"] and a["x"].shape == (1, 32, 112, 112)
    np.testing.assert_array_equal(a["x"], b["x"])


def test_unknown_model_is_an_error(tmp_path):
    with pytest.raises(KeyError, match="unknown benchmark model 'nope'"):
        models.build("nope", tmp_path)


def run_suite(tmp_path, *arguments):
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--build-dir",
         str(BUILD), "--cache-dir", str(tmp_path / "models"), *arguments],
        capture_output=True, text=True, timeout=300)


def test_run_quick_end_to_end(tmp_path):
    report = tmp_path / "out.json"
    done = run_suite(tmp_path, "--quick", "--models", "^conv-depthwise$",
                     "--threads", "1", "--runs", "3", "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conv-depthwise" in done.stdout and "Kiln/ORT" in done.stdout
    assert "[bench] conv-depthwise: took" in done.stderr
    result = json.loads(report.read_text())
    assert result["ok"] is True
    assert result["settings"]["threads"] == [1]
    (row,) = result["rows"]
    for field in ("model", "threads", "runs", "kiln_ms", "peer_ms", "ratio",
                  "kiln_rss_mb", "peer_rss_mb", "compile_s", "match",
                  "max_abs_err", "status"):
        assert field in row, field
    assert row["model"] == "conv-depthwise" and row["threads"] == 1
    assert row["match"] is True and row["status"] == "ok"
    assert row["runs"] == 3
    assert row["kiln_ms"] > 0 and row["peer_ms"] > 0
    assert row["ratio"] == pytest.approx(row["kiln_ms"] / row["peer_ms"])
    # kiln-run's own peak RSS, not the Python driver's (which is larger
    # than this and would leak in through fork and exec).
    assert 0 < row["kiln_rss_mb"] < 60
    assert row["peer_rss_mb"] > 0 and row["compile_s"] > 0


def test_failing_model_gets_a_row_and_status(tmp_path, failing_build):
    """A Kiln that cannot compile: the row says so, the exit status is 1."""
    report = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--build-dir",
         str(failing_build), "--cache-dir", str(tmp_path / "models"),
         "--models", "^conv-depthwise$", "--threads", "1", "--runs", "2",
         "--json", str(report)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "compile failed: kilnc: error: no such pass" in done.stdout
    (row,) = json.loads(report.read_text())["rows"]
    assert row["status"].startswith("compile failed: kilnc: error")
    assert "kiln_ms" not in row and row["peer_ms"] > 0


def test_bad_arguments_are_usage_errors(tmp_path):
    done = run_suite(tmp_path, "--models", "^no-such-model$")
    assert done.returncode == 2 and "no benchmark matches" in done.stderr
    done = run_suite(tmp_path, "--threads", "0")
    assert done.returncode == 2 and "thread counts" in done.stderr


def test_a_hung_tool_is_killed_at_the_timeout(tmp_path):
    fake = tmp_path / "fake-build" / "bin"
    fake.mkdir(parents=True)
    for tool in ("kilnc", "kiln-run"):
        (fake / tool).write_text("#!/bin/sh\nsleep 60\n")
        (fake / tool).chmod(0o755)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--build-dir",
         str(fake.parent), "--cache-dir", str(tmp_path / "models"),
         "--models", "^conv-depthwise$", "--threads", "1", "--runs", "2",
         "--timeout", "2"], capture_output=True, text=True, timeout=50)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "compile failed: timed out after 2 s" in done.stdout


def test_compare_finds_each_kind_of_mismatch(tmp_path):
    bench_run = load("kiln_benchmark_run", BENCHMARKS / "run.py")
    want = tmp_path / "want.npz"
    np.savez(want, output=np.ones((2, 3), np.float32))

    def compare(**arrays):
        got = tmp_path / "got.npz"
        np.savez(got, **arrays)
        return bench_run.compare(got, want)

    ok, worst, _ = compare(output=np.ones((2, 3), np.float32) + 5e-4)
    assert ok and worst == pytest.approx(5e-4, rel=1e-3)
    ok, worst, why = compare(output=np.ones((2, 3), np.float32) + 3e-3)
    assert not ok and "outside rtol" in why
    ok, _, why = compare(output=np.ones((3, 2), np.float32))
    assert not ok and "shape [3, 2], expected [2, 3]" in why
    ok, _, why = compare(other=np.ones((2, 3), np.float32))
    assert not ok and "no output 'output'" in why
