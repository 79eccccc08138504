"""The training-step benchmark (benchmarks/training.py) still works:
`--quick` compiles both models' training steps with both optimizers, checks
one against PyTorch's after the same steps, times both and writes the JSON
it documents; its check finds a mismatch and steers its batches away from
ReLU kinks; a failing tool or a missing PyTorch fails the run with a message.

No timing is asserted; only that the instrument runs and reports. PyTorch
(Debian's python3-torch, installed by utils/bootstrap.sh) is required: a
machine without it fails here rather than skipping.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "training.py"
BUILD = Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))


def load():
    """Imports benchmarks/training.py under a name no other test uses."""
    spec = importlib.util.spec_from_file_location("kiln_benchmark_training",
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


training = load()


def run(*arguments, build=BUILD, timeout=600):
    return subprocess.run([sys.executable, str(SCRIPT), "--build-dir",
                           str(build), *arguments], capture_output=True,
                          text=True, timeout=timeout)


def test_torch_can_be_imported():
    python, said = training.find_torch_python(None)
    if python is None:
        pytest.fail("PyTorch cannot be imported by this Python nor by "
                    f"/usr/bin/python3 ({said}); install Debian's "
                    "python3-torch (utils/bootstrap.sh does)")


def test_quick_run_end_to_end(tmp_path):
    report = tmp_path / "out.json"
    done = run("--quick", "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    for column in ("model", "batch", "optimizer", "threads", "Kiln ms/step",
                   "PyTorch ms/step", "Kiln/PyTorch", "compile s"):
        assert column in done.stdout, column
    assert "geometric mean of Kiln/PyTorch, 1 thread:" in done.stdout
    assert "[training] PyTorch 1." in done.stderr
    assert done.stderr.count(": match") == 4, done.stderr

    result = json.loads(report.read_text())
    assert result["ok"] is True
    assert result["machine"]["torch"] and result["machine"]["torch_blas"]
    assert result["settings"]["threads"] == [1]
    assert result["settings"]["rtol"] == 1e-4
    rows = result["rows"]
    assert {(r["model"], r["optimizer"]) for r in rows} == {
        ("mlp", "adam"), ("mlp", "sgd-momentum"), ("cnn", "adam"),
        ("cnn", "sgd-momentum")}
    for row in rows:
        assert row["batch"] == 32 and row["threads"] == 1
        assert row["status"] == "ok", row
        assert row["kiln_ms"] > 0 and row["torch_ms"] > 0
        assert row["ratio"] == pytest.approx(row["kiln_ms"] / row["torch_ms"])
        assert row["compile_s"] > 0
        assert 3 <= row["kiln_runs"] <= 20 and 3 <= row["torch_runs"] <= 20
        check = row["check"]
        assert check["match"] is True and check["steps"] == 2
        # Both sides moved the parameters the same way: far closer than the
        # tolerance, and the loss to float32 rounding.
        assert check["max_abs_diff"]["param"] < 1e-5
        assert check["max_abs_diff"]["loss"] < 1e-5
        assert all(b["kink_margin"] >= training.KINK_MARGIN
                   for b in check["batches"])
    assert not list(tmp_path.glob(".*"))


def test_compare_finds_each_kind_of_mismatch():
    want = {"loss": np.float32(2.3),
            "param:fc1.weight": np.ones((2, 3), np.float32)}

    def compare(**changes):
        got = {k: np.array(v, copy=True) for k, v in want.items()}
        got.update(changes)
        return training.compare(got, want)

    ok, worst, why = compare()
    assert ok and worst == 0 and why == ""
    ok, worst, _ = compare(**{"param:fc1.weight":
                              np.full((2, 3), 1 + 5e-5, np.float32)})
    assert ok and worst == pytest.approx(5e-5, rel=1e-2)
    wrong = np.ones((2, 3), np.float32)
    wrong[1, 2] = 1.001
    ok, worst, why = compare(**{"param:fc1.weight": wrong})
    assert not ok and worst == pytest.approx(1e-3, rel=1e-3)
    assert "'param:fc1.weight' outside rtol 0.0001" in why and "[1, 2]" in why
    ok, _, why = compare(loss=np.float32("nan"))
    assert not ok and "'loss' is not finite" in why
    ok, _, why = compare(**{"param:fc1.weight": np.ones((3, 2))})
    assert not ok and "shape [3, 2], PyTorch's [2, 3]" in why
    got = {"loss": want["loss"]}
    ok, _, why = training.compare(got, want)
    assert not ok and "Kiln has no 'param:fc1.weight'" in why


def test_checked_batches_avoid_relu_kinks():
    """A bias that puts one sample's ReLU input at 0 rules its batch out."""
    data = training.digits()
    params = training.initial_weights("mlp")
    x, _ = training.batch_of("mlp", 32, 0, data)
    assert training.kink_margin("mlp", params, x) >= training.KINK_MARGIN
    assert training.check_batch("mlp", 32, 0, params, data)[0] == 0
    # fc1's unit 5 gets an input of (almost) exactly 0 on sample 3.
    params["fc1.bias"] = params["fc1.bias"].copy()
    params["fc1.bias"][5] = -float(x[3].astype(np.float64) @
                                   params["fc1.weight"][5].astype(np.float64))
    assert training.kink_margin("mlp", params, x) < training.KINK_MARGIN
    index, margin, chosen, label = training.check_batch("mlp", 32, 0, params,
                                                        data)
    assert index > 0 and margin >= training.KINK_MARGIN
    assert chosen.shape == (32, 64) and label.dtype == np.int64


def test_cnn_margin_leaves_exact_maxpool_ties_out():
    """The CNN's margin looks through the convolutions and the pooling: an
    image whose pooled windows tie exactly still passes."""
    params = training.initial_weights("cnn")
    flat = np.zeros((2, 1, 8, 8), np.float32)
    assert training.kink_margin("cnn", params, flat) >= training.KINK_MARGIN


def test_missing_torch_fails_loudly(tmp_path):
    done = run("--quick", "--torch-python", "/bin/false")
    assert done.returncode == 1
    assert "no Python here can import torch" in done.stderr


def test_failing_compiler_gets_a_row_and_status(tmp_path, failing_build):
    report = tmp_path / "out.json"
    done = run("--quick", "--models", "^mlp$", "--optimizers", "adam",
               "--json", str(report), build=failing_build)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "compile failed: kilnc: error: no such pass" in done.stdout
    (row,) = json.loads(report.read_text())["rows"]
    assert row["status"].startswith("compile failed")
    assert "kiln_ms" not in row and "ratio" not in row


def test_bad_arguments_are_usage_errors():
    done = run("--models", "^resnet$")
    assert done.returncode == 2 and "no model matches" in done.stderr
    done = run("--optimizers", "adagrad")
    assert done.returncode == 2 and "unknown optimizer 'adagrad'" in done.stderr
    done = run("--threads", "0")
    assert done.returncode == 2 and "thread counts" in done.stderr
    done = run("--torch-env", "not a setting")
    assert done.returncode == 2 and "NAME=VALUE" in done.stderr
