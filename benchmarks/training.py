#!/usr/bin/env python3
# ===- benchmarks/training.py - One training step, Kiln next to PyTorch --=== #
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
# ===-------------------------------------------------------------------=== #
"""The time of one training step (forward, cross-entropy loss, gradients,
optimizer update) compiled by `kilnc --train`, next to the same step in
PyTorch eager mode on the CPU, measured in the same run.

  benchmarks/training.py [--quick] [--json FILE] [--threads 1,2]
                         [--models REGEX] [--batches 32,256]
                         [--optimizers adam,sgd]

The models, written with onnx.helper (opset 17, float32, a static batch):

  mlp   Gemm 64->128, Relu, Gemm 128->64, Relu, Gemm 64->10 (digits-sized:
        64 features)
  cnn   on 1x8x8 images: Conv 1->16 3x3 pad 1, Relu, Conv 16->32 3x3 pad 1,
        Relu, MaxPool 2, Flatten, Gemm 512->10

PyTorch builds the same modules (the Gemms are nn.Linear, whose weight
layout ONNX's Gemm reads with transB=1) and starts from the same weights
(the ONNX initializers, copied into the torch parameters). The optimizers:

  adam  Adam, lr 1e-3, betas (0.9, 0.999), eps 1e-8
  sgd   SGD with momentum 0.9, lr 1e-2

The data are scikit-learn's digits (64 pixels scaled to [0, 1], as 64
features or one 8x8 channel) with their labels.

Each configuration (model, batch, optimizer) is first checked: from the same
weights, Kiln (`kiln-run --outputs`, feeding the parameters, optimizer state
and step counter back) and PyTorch (on one thread) take `--check-steps`
steps (default 2) on the same batches; each step's loss, and the parameters
and optimizer state after each step, must agree within rtol 1e-4, atol 1e-5.
The largest differences are printed, and a mismatch makes the exit status 1.
The checked batches are chosen away from kinks: a ReLU input (or a gap
between a MaxPool window's two largest values) within float32 rounding of 0
lets rounding pick the side, and Kiln and PyTorch may pick differently with
both right, which moves a whole sample's share of the gradient far beyond
the tolerance (it happens: one of 16384 ReLU inputs of the first 256 digits
is 6e-10 in the MLP). So each checked batch is the first of a sequence of
seeded random draws whose float64 forward pass keeps every such value at
least 1e-7 of its rounding scale from 0 (see kink_margin); the draw and its
margin are printed.

Then each side is timed at each thread count, Kiln first: Kiln's step by
`kiln-run TRAIN.so --threads T --bench N` (timed in C++ around the compiled
entry point, N runs after a warm-up, the same inputs each run), PyTorch's by
a worker process that runs `zero_grad(set_to_none=True)`, the forward pass,
`cross_entropy`, `backward()` and `optimizer.step()` after
`torch.set_num_threads(T)`, timed in Python per step after warm-up steps.
Both report the median. N is chosen per side so that a measurement takes
about `--budget` seconds (within `--min-runs` and `--max-runs`). Kiln's
compiled code runs its parallel loops on `--threads` threads of the
runtime's pool.

PyTorch runs in a worker process (this script with `--worker torch`) under
`--torch-python`: by default the first of this Python and /usr/bin/python3
that can `import torch` (Debian's python3-torch, which the project's
virtual environment, with its newer NumPy, cannot import). The worker needs
only NumPy and torch. When no Python can import torch the run fails with a
message saying so.

`--torch-env NAME=VALUE` sets an environment variable for the worker. On a
loaded machine, PyTorch's OpenMP threads spin while they wait for a thread
that another process holds off its core, and the 2-thread rows can be many
times slower than the 1-thread rows; `--torch-env OMP_WAIT_POLICY=passive`
makes them sleep instead.

The table goes to stdout, progress to stderr. Exit status: 0 when everything
ran and matched, 1 when a tool failed or a check did not match (the run
still goes on to the end and the row says why), 2 for bad options.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

# The helpers this script shares with run.py, beside it.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (host_info, int_list, positive,  # noqa: E402
                 save_npz_atomically, write_atomically)

ROOT = Path(__file__).resolve().parents[1]
OPSET = 17
SEED = 0
RTOL = 1e-4
ATOL = 1e-5
CLASSES = 10
# The checked batches are the first candidates whose ReLU inputs and MaxPool
# gaps are at least this far from 0, relative to their rounding scale (see
# kink_margin), out of at most MAX_CANDIDATES.
KINK_MARGIN = 1e-7
MAX_CANDIDATES = 50

# The models' layers as (name, kind, shape of the weight): the names are the
# ONNX initializers' and the torch modules' attribute names, so that
# `param:<layer>.weight` is the same tensor on both sides.
LAYERS = {
    "mlp": [("fc1", "linear", (128, 64)), ("fc2", "linear", (64, 128)),
            ("fc3", "linear", (10, 64))],
    "cnn": [("conv1", "conv", (16, 1, 3, 3)), ("conv2", "conv", (32, 16, 3, 3)),
            ("fc", "linear", (10, 512))],
}
MODELS = list(LAYERS)
# name -> (kilnc flags, torch.optim class, its keyword arguments, the state
# kilnc names -> the torch state key).
OPTIMIZERS = {
    "adam": (["--optimizer=adam", "--lr=1e-3"], "Adam",
             {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8},
             {"m": "exp_avg", "v": "exp_avg_sq"}),
    "sgd": (["--optimizer=sgd", "--lr=1e-2", "--momentum=0.9"], "SGD",
            {"lr": 1e-2, "momentum": 0.9}, {"momentum": "momentum_buffer"}),
}
OPTIMIZER_LABELS = {"adam": "adam", "sgd": "sgd-momentum"}


def input_shape(model: str, batch: int) -> List[int]:
    return [batch, 64] if model == "mlp" else [batch, 1, 8, 8]


def initial_weights(model: str, seed: int = SEED) -> Dict[str, np.ndarray]:
    """PyTorch's default initialization for Linear and Conv2d (uniform in
    +-1/sqrt(fan_in) for weights and biases), drawn from NumPy with a fixed
    seed, in PyTorch's layouts."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, _, shape in LAYERS[model]:
        fan_in = int(np.prod(shape[1:]))
        bound = 1.0 / np.sqrt(fan_in)
        weights[f"{name}.weight"] = rng.uniform(-bound, bound,
                                                shape).astype(np.float32)
        weights[f"{name}.bias"] = rng.uniform(-bound, bound,
                                              shape[:1]).astype(np.float32)
    return weights


# ---------------------------------------------------------------------------
# The driver's side: ONNX models, data, Kiln (the project's virtual
# environment).
# ---------------------------------------------------------------------------


def make_onnx(model: str, batch: int, weights: Dict[str, np.ndarray]):
    """The ONNX model of `model` at a static `batch`, with `weights` as its
    initializers."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = []
    value = "x"

    def node(op_type, inputs, stem, **attributes):
        nodes.append(helper.make_node(op_type, inputs, [stem],
                                      name=f"{stem}_node", **attributes))
        return stem

    layers = LAYERS[model]
    for index, (name, kind, _) in enumerate(layers):
        last = index == len(layers) - 1
        params = [f"{name}.weight", f"{name}.bias"]
        if kind == "conv":
            value = node("Conv", [value, *params], name, kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1])
        else:
            if model == "cnn":
                value = node("MaxPool", [value], "pool", kernel_shape=[2, 2],
                             strides=[2, 2])
                value = node("Flatten", [value], "flatten", axis=1)
            value = node("Gemm", [value, *params],
                         "logits" if last else name, transB=1)
        if not last:
            value = node("Relu", [value], f"{name}_relu")
    graph = helper.make_graph(
        nodes, f"{model}_train",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       input_shape(model, batch))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       [batch, CLASSES])],
        [numpy_helper.from_array(w, n) for n, w in weights.items()])
    proto = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    proto.ir_version = 8
    onnx.checker.check_model(proto, full_check=True)
    return proto


def digits() -> Tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: 1797 images of 64 pixels in [0, 1], labels."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y.astype(np.int64)


def batch_of(model: str, batch: int, index: int,
             data: Tuple[np.ndarray, np.ndarray]) -> Tuple[np.ndarray,
                                                           np.ndarray]:
    """Candidate batch `index`: `batch` digits drawn without replacement
    (with replacement past the data set's size) from a seeded generator."""
    x, y = data
    rng = np.random.default_rng(SEED + 1000 + index)
    rows = rng.choice(len(x), batch, replace=batch > len(x))
    return x[rows].reshape(input_shape(model, batch)), y[rows]


def conv3x3(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """A 3x3 convolution with padding 1 (no bias), in x's precision."""
    height, width = x.shape[2:]
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((x.shape[0], w.shape[0], height, width), x.dtype)
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw",
                             padded[:, :, i:i + height, j:j + width],
                             w[:, :, i, j])
    return out


def kink_margin(model: str, params: Dict[str, np.ndarray],
                x: np.ndarray) -> float:
    """How far the batch `x` is from a point where the step is not
    differentiable, in a float64 forward pass: the smallest |ReLU input|,
    and the smallest gap between a MaxPool window's two largest positive
    values, each divided by the sum of the magnitudes of the terms that made
    it (the scale of float32 rounding). Near 0, rounding decides which side
    of a ReLU a value falls on (Kiln and PyTorch may differ, and both are
    right), which changes a whole sample's contribution to the gradients.
    Exact ties are left out: both sides compute them from the same terms."""
    p = {k: np.asarray(v, np.float64) for k, v in params.items()}
    h = np.asarray(x, np.float64)
    worst = np.inf
    for index, (name, kind, _) in enumerate(LAYERS[model]):
        weight, bias = p[f"{name}.weight"], p[f"{name}.bias"]
        if kind == "conv":
            value = conv3x3(h, weight) + bias[:, None, None]
            scale = conv3x3(np.abs(h), np.abs(weight)) + np.abs(bias)[:, None,
                                                                       None]
        else:
            if model == "cnn":
                n, c, height, width = h.shape
                windows = h.reshape(n, c, height // 2, 2, width // 2, 2)
                windows = windows.transpose(0, 1, 2, 4, 3, 5).reshape(
                    n, c, -1, 4)
                top = np.sort(windows, axis=-1)
                gap = top[..., -1] - top[..., -2]
                near = (top[..., -2] > 0) & (gap > 0)
                if near.any():
                    worst = min(worst, float(
                        (gap[near] / top[..., -1][near]).min()))
                h = top[..., -1].reshape(n, -1)
            value = h @ weight.T + bias
            scale = np.abs(h) @ np.abs(weight).T + np.abs(bias)
        if index == len(LAYERS[model]) - 1:
            break
        worst = min(worst, float((np.abs(value) / scale).min()))
        h = np.maximum(value, 0)
    return worst


def check_batch(model: str, batch: int, first: int, params,
                data) -> Tuple[int, float, np.ndarray, np.ndarray]:
    """The first candidate batch from `first` on whose kink margin is at
    least KINK_MARGIN (the best of MAX_CANDIDATES when none is): (its
    index, its margin, x, label)."""
    best = None
    for index in range(first, first + MAX_CANDIDATES):
        x, label = batch_of(model, batch, index, data)
        margin = kink_margin(model, params, x)
        if best is None or margin > best[1]:
            best = (index, margin, x, label)
        if margin >= KINK_MARGIN:
            break
    return best




class ToolError(Exception):
    """A tool failed; the message is what the row's status says."""


def run_tool(command: Sequence[str], timeout: float,
             env: Optional[Dict[str, str]] = None) -> str:
    """Runs `command`; returns its stdout or raises ToolError with the
    first line of what it said on failure."""
    try:
        done = subprocess.run([str(c) for c in command], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{Path(command[0]).name} timed out after "
                        f"{timeout:g} s")
    except OSError as error:
        raise ToolError(f"cannot run {command[0]}: {error.strerror}")
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip()
                or f"exit status {done.returncode}")
        lines = said.splitlines()
        # A Python traceback's last line names the error.
        first = lines[-1] if lines[0].startswith("Traceback") else lines[0]
        raise ToolError(first)
    return done.stdout


def compare(got: Dict[str, np.ndarray],
            want: Dict[str, np.ndarray]) -> Tuple[bool, float, str]:
    """Compares Kiln's arrays with PyTorch's, key by key: (every key is
    within rtol/atol, the largest absolute difference, why not)."""
    worst, why = 0.0, ""
    for key, expected in want.items():
        if key not in got:
            return False, float("inf"), f"Kiln has no '{key}'"
        actual = np.asarray(got[key], np.float64)
        expected = np.asarray(expected, np.float64)
        if actual.shape != expected.shape:
            return False, float("inf"), (
                f"'{key}' has shape {list(actual.shape)}, PyTorch's "
                f"{list(expected.shape)}")
        if not np.isfinite(actual).all():
            return False, float("inf"), f"'{key}' is not finite"
        diff = np.abs(actual - expected)
        if diff.size:
            worst = max(worst, float(diff.max()))
        bad = diff > ATOL + RTOL * np.abs(expected)
        if bad.any() and not why:
            at = np.unravel_index(int(np.argmax(diff - RTOL *
                                                np.abs(expected))),
                                  diff.shape)
            why = (f"'{key}' outside rtol {RTOL:g}, atol {ATOL:g} at "
                   f"{list(map(int, at))}: Kiln {actual[at]:.8g}, PyTorch "
                   f"{expected[at]:.8g} ({int(bad.sum())} of {bad.size})")
    return not why, worst, why


def bench_median_ms(stdout: str) -> float:
    found = re.search(r"median ([0-9.eE+-]+) ms", stdout)
    if not found:
        raise ToolError("kiln-run --bench printed no median")
    return float(found.group(1))


def runs_for(estimate_ms: float, args) -> int:
    """Runs that take about --budget seconds, within the limits."""
    if args.runs:
        return args.runs
    wanted = int(args.budget * 1e3 / max(estimate_ms, 1e-3))
    return max(args.min_runs, min(args.max_runs, wanted))


def find_torch_python(requested: Optional[str]) -> Tuple[Optional[str], str]:
    """The Python that imports torch, and its torch version; or None and
    why not."""
    candidates = [requested] if requested else [sys.executable,
                                                "/usr/bin/python3"]
    tried = []
    for python in candidates:
        try:
            done = subprocess.run(
                [python, "-c", "import torch; print(torch.__version__)"],
                capture_output=True, text=True, timeout=120,
                env=worker_env(python))
        except (OSError, subprocess.SubprocessError) as error:
            tried.append(f"{python}: {error}")
            continue
        if done.returncode == 0:
            return python, done.stdout.strip()
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
        tried.append(f"{python}: {said}")
    return None, "; ".join(tried)


def worker_env(python: str,
               settings: Sequence[Tuple[str, str]] = ()) -> Dict[str, str]:
    """The environment of a worker under `python`: without this Python's
    module paths when it is another interpreter (the virtual environment's
    NumPy is newer than the one Debian's torch is built against), with
    `settings` added."""
    env = dict(os.environ)
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
            env.pop(name, None)
    env.update(settings)
    return env


class Config:
    """One row group: a model at a batch with an optimizer."""

    def __init__(self, model: str, batch: int, optimizer: str):
        self.model, self.batch, self.optimizer = model, batch, optimizer

    @property
    def name(self) -> str:
        return f"{self.model}-b{self.batch}-{self.optimizer}"


def run_config(config: Config, args, data, folder: Path,
               torch_python: str) -> List[Dict]:
    """Checks and times `config` at each thread count; returns its rows."""
    bin_dir = args.build_dir / "bin"
    weights = initial_weights(config.model)
    base = {"model": config.model, "batch": config.batch,
            "optimizer": OPTIMIZER_LABELS[config.optimizer]}
    rows = [dict(base, threads=t) for t in args.threads]
    status = "ok"
    check: Dict = {}

    # Kiln: compile, then the checked steps.
    library = folder / "train.so"
    try:
        proto = make_onnx(config.model, config.batch, weights)
        model_path = folder / "model.onnx"
        model_path.write_bytes(proto.SerializeToString())
        start = time.perf_counter()
        run_tool([bin_dir / "kilnc", model_path, "--train",
                  "--loss=cross_entropy", *OPTIMIZERS[config.optimizer][0],
                  "-o", library], args.timeout)
        compile_s = time.perf_counter() - start
        for row in rows:
            row["compile_s"] = round(compile_s, 3)
        init = dict(np.load(f"{library}.init.npz"))
    except ToolError as error:
        for row in rows:
            row["status"] = f"compile failed: {error}"
        return rows

    case = {f"param:{n}": w for n, w in weights.items()}
    kiln_steps = []
    state = dict(init)
    margins = []
    candidate = 0
    try:
        for step in range(args.check_steps):
            params = {n: state[f"param:{n}"] for n in weights}
            candidate, margin, x, label = check_batch(
                config.model, config.batch, candidate, params, data)
            margins.append({"batch": candidate, "kink_margin": margin})
            candidate += 1
            case[f"x:{step}"], case[f"label:{step}"] = x, label
            inputs = folder / "step.npz"
            outputs = folder / "out.npz"
            save_npz_atomically(inputs, dict(state, x=x, label=label))
            run_tool([bin_dir / "kiln-run", library, "--inputs", inputs,
                      "--outputs", outputs], args.timeout)
            result = dict(np.load(outputs))
            kiln_steps.append(result)
            state.update({k: v for k, v in result.items() if k in state})
    except ToolError as error:
        status = f"Kiln's step failed: {error}"

    # Kiln: the timings, at each thread count.
    # The timed batch is candidate 0, the same on both sides.
    x, label = batch_of(config.model, config.batch, 0, data)
    case["x:timed"], case["label:timed"] = x, label
    timing_inputs = folder / "bench.npz"
    save_npz_atomically(timing_inputs, dict(init, x=x, label=label))
    if status == "ok":
        try:
            probe = bench_median_ms(run_tool(
                [bin_dir / "kiln-run", library, "--inputs", timing_inputs,
                 "--threads", "1", "--bench", "3"], args.timeout))
            runs = runs_for(probe, args)
            for row in rows:
                stdout = run_tool(
                    [bin_dir / "kiln-run", library, "--inputs",
                     timing_inputs, "--threads", str(row["threads"]),
                     "--bench", str(runs)], args.timeout)
                row["kiln_ms"] = bench_median_ms(stdout)
                row["kiln_runs"] = runs
        except ToolError as error:
            status = f"Kiln's timing failed: {error}"

    # PyTorch: the same steps from the same weights, then the timings.
    case_path = folder / "case.npz"
    save_npz_atomically(case_path, case)
    result_path = folder / "torch.npz"
    command = [torch_python, Path(__file__).resolve(), "--worker", "torch",
               "--model", config.model, "--optimizer", config.optimizer,
               "--case", case_path, "--result", result_path,
               "--check-steps", str(args.check_steps), "--threads",
               ",".join(map(str, args.threads)), "--budget",
               str(args.budget), "--min-runs", str(args.min_runs),
               "--max-runs", str(args.max_runs), "--warmup",
               str(args.warmup)]
    if args.runs:
        command += ["--runs", str(args.runs)]
    torch_result = None
    try:
        stdout = run_tool(command, args.timeout,
                          env=worker_env(torch_python, args.torch_env))
        torch_result = json.loads(stdout.strip().splitlines()[-1])
        args.torch_blas = torch_result.get("blas", "unknown")
        for row in rows:
            timing = torch_result["timings"][str(row["threads"])]
            row["torch_ms"] = round(timing["median_ms"], 4)
            row["torch_runs"] = timing["runs"]
    except (ToolError, ValueError, KeyError, IndexError) as error:
        if status == "ok":
            status = f"PyTorch failed: {error}"

    # The check: every step's loss, parameters and state.
    if torch_result is not None and len(kiln_steps) == args.check_steps:
        want = dict(np.load(result_path))
        worst = {"loss": 0.0, "param": 0.0, "state": 0.0}
        mismatch = ""
        for step, got in enumerate(kiln_steps):
            prefix = f"{step}/"
            expected = {k[len(prefix):]: v for k, v in want.items()
                        if k.startswith(prefix)}
            ok, _, why = compare(got, expected)
            for kind in worst:
                part = {k: v for k, v in expected.items()
                        if k.split(":")[0] == kind}
                worst[kind] = max(worst[kind], compare(got, part)[1])
            if not ok and not mismatch:
                mismatch = f"mismatch after step {step + 1}: {why}"
        check = {"steps": args.check_steps, "batches": margins,
                 "max_abs_diff": {k: float(f"{v:.3g}")
                                  for k, v in worst.items()},
                 "match": not mismatch}
        if mismatch and status == "ok":
            status = mismatch
        chosen = ", ".join(f"{m['batch']} (kink margin {m['kink_margin']:.1e})"
                           for m in margins)
        print(f"[training] {config.name}: checked on candidate batch(es) "
              f"{chosen}", file=sys.stderr)
        print(f"[training] {config.name}: after {args.check_steps} step(s) "
              f"the largest |Kiln - PyTorch| is {worst['loss']:.2e} (loss), "
              f"{worst['param']:.2e} (parameters), {worst['state']:.2e} "
              f"(optimizer state): "
              f"{'match' if check['match'] else 'MISMATCH'}",
              file=sys.stderr)
    for row in rows:
        row["status"] = status
        if check:
            row["check"] = check
        if "kiln_ms" in row and "torch_ms" in row:
            row["ratio"] = row["kiln_ms"] / row["torch_ms"]
    return rows


def format_number(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def format_ratio(ratio: Optional[float]) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"


def print_table(rows: List[Dict], out=sys.stdout) -> None:
    header = (f"{'model':6s} {'batch':>5s} {'optimizer':12s} {'threads':>7s} "
              f"{'Kiln ms/step':>12s} {'PyTorch ms/step':>15s} "
              f"{'Kiln/PyTorch':>12s} {'compile s':>9s}  status")
    print(header, file=out)
    for row in rows:
        ratio = row.get("ratio")
        print(f"{row['model']:6s} {row['batch']:5d} {row['optimizer']:12s} "
              f"{row['threads']:7d} {format_number(row.get('kiln_ms')):>12s} "
              f"{format_number(row.get('torch_ms')):>15s} "
              f"{format_ratio(ratio):>12s} "
              f"{format_number(row.get('compile_s')):>9s}  {row['status']}",
              file=out)
    for threads in sorted({r["threads"] for r in rows}):
        chosen = [r["ratio"] for r in rows
                  if r["threads"] == threads and "ratio" in r]
        if chosen:
            mean = float(np.exp(np.mean(np.log(chosen))))
            print(f"geometric mean of Kiln/PyTorch, {threads} thread"
                  f"{'s' if threads > 1 else ''}: {format_ratio(mean)} over "
                  f"{len(chosen)} rows", file=out)


def machine_info(torch_python: Optional[str], torch_version: str) -> Dict:
    info = host_info()
    info.update({"numpy": np.__version__, "torch": torch_version,
                 "torch_python": torch_python})
    return info


# ---------------------------------------------------------------------------
# The PyTorch worker (Debian's python3-torch; needs only NumPy and torch).
# ---------------------------------------------------------------------------


def torch_worker(args) -> int:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(SEED)
    layers = LAYERS[args.model]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            for name, kind, shape in layers:
                if kind == "conv":
                    layer = torch.nn.Conv2d(shape[1], shape[0], 3, padding=1)
                else:
                    layer = torch.nn.Linear(shape[1], shape[0])
                setattr(self, name, layer)

        def forward(self, x):
            for index, (name, kind, _) in enumerate(layers):
                if kind == "linear" and args.model == "cnn":
                    x = torch.flatten(F.max_pool2d(x, 2), 1)
                x = getattr(self, name)(x)
                if index != len(layers) - 1:
                    x = F.relu(x)
            return x

    case = dict(np.load(args.case))
    net = Net()
    params = dict(net.named_parameters())
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(torch.from_numpy(case[f"param:{name}"]))
    _, class_name, options, state_keys = OPTIMIZERS[args.optimizer]
    optimizer = getattr(torch.optim, class_name)(net.parameters(), **options)

    def step(x, label):
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), label)
        loss.backward()
        optimizer.step()
        return loss

    # The checked steps, from the case's weights, on one thread as Kiln.
    torch.set_num_threads(1)
    result = {}
    for index in range(args.check_steps):
        x = torch.from_numpy(case[f"x:{index}"])
        label = torch.from_numpy(case[f"label:{index}"])
        loss = step(x, label)
        prefix = f"{index}/"
        result[prefix + "loss"] = loss.detach().numpy().copy()
        for name, param in params.items():
            result[f"{prefix}param:{name}"] = param.detach().numpy().copy()
            for ours, theirs in state_keys.items():
                result[f"{prefix}state:{name}:{ours}"] = (
                    optimizer.state[param][theirs].numpy().copy())
    save_npz_atomically(Path(args.result), result)

    # The timings, on the timed batch.
    x = torch.from_numpy(case["x:timed"])
    label = torch.from_numpy(case["label:timed"])
    timings = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        times = []
        for _ in range(args.warmup):
            start = time.perf_counter()
            step(x, label)
            times.append(time.perf_counter() - start)
        runs = runs_for(1e3 * float(np.median(times)), args)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            step(x, label)
            times.append(time.perf_counter() - start)
        timings[str(threads)] = {"median_ms": 1e3 * float(np.median(times)),
                                 "min_ms": 1e3 * min(times), "runs": runs,
                                 "torch_threads": torch.get_num_threads()}
    print(json.dumps({"torch": torch.__version__, "blas": loaded_blas(),
                      "timings": timings}))
    return 0


def loaded_blas() -> str:
    """The BLAS library this process has mapped (PyTorch's matmuls go
    through it): Debian's python3-torch links libblas.so.3, which is the
    slow reference BLAS unless an optimized one (OpenBLAS) is installed as
    its alternative or found first on LD_LIBRARY_PATH."""
    found = set()
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1]
            if path.startswith("/") and "blas" in Path(path).name:
                found.add(os.path.realpath(path))
    except OSError:
        return "unknown"
    if any("openblas" in p for p in found):
        return "OpenBLAS (" + ", ".join(sorted(found)) + ")"
    if any("/blas/libblas.so" in p for p in found):
        return "reference BLAS (" + ", ".join(sorted(found)) + ")"
    return ", ".join(sorted(found)) or "none"


# ---------------------------------------------------------------------------
# The command line.
# ---------------------------------------------------------------------------


def name_list(text: str, known: Sequence[str], what: str) -> List[str]:
    values = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [v for v in values if v not in known]
    if not values or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown {what} '{','.join(unknown) or text}' (known: "
            f"{', '.join(known)})")
    return values


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, got '{text}'")
    return value


def environment_setting(text: str) -> Tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE, got '{text}'")
    return name, value


def parse_args(argv: Optional[Sequence[str]]):
    parser = argparse.ArgumentParser(
        description="One training step, Kiln (kilnc --train) next to "
        "PyTorch eager on the CPU.")
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run: batch 32, 1 thread, a "
                        "0.2 s budget, 3 to 20 runs, unless given")
    parser.add_argument("--json", type=Path, help="also write the results "
                        "as JSON (atomically)")
    parser.add_argument("--models", default=None,
                        help="regular expression selecting models (mlp, cnn)")
    parser.add_argument("--batches", default=None,
                        type=lambda t: int_list(t, "batch sizes", 1, 65536),
                        help="comma-separated batch sizes (default 32,256)")
    parser.add_argument("--optimizers", default=None,
                        type=lambda t: name_list(t, list(OPTIMIZERS),
                                                 "optimizer"),
                        help="comma-separated: adam, sgd (default both)")
    parser.add_argument("--threads", default=None,
                        type=lambda t: int_list(t, "thread counts", 1, 1024),
                        help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--runs", type=positive, default=None,
                        help="timed runs per measurement (default: chosen "
                        "from --budget)")
    parser.add_argument("--budget", type=positive_float, default=None,
                        help="seconds one measurement should take (default 2)")
    parser.add_argument("--min-runs", type=positive, default=None)
    parser.add_argument("--max-runs", type=positive, default=None)
    parser.add_argument("--warmup", type=positive, default=5,
                        help="PyTorch's warm-up steps (default 5); kiln-run "
                        "warms up once")
    parser.add_argument("--check-steps", type=positive, default=2,
                        help="steps compared with PyTorch (default 2)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build",
                        help="where bin/kilnc and bin/kiln-run are")
    parser.add_argument("--torch-python", default=None,
                        help="the Python that runs PyTorch (default: this "
                        "one or /usr/bin/python3, whichever imports torch)")
    parser.add_argument("--torch-env", action="append", default=[],
                        type=environment_setting, metavar="NAME=VALUE",
                        help="set an environment variable for the PyTorch "
                        "worker (repeatable), e.g. OMP_WAIT_POLICY=passive")
    parser.add_argument("--timeout", type=positive_float, default=600,
                        help="kill any one subprocess after this many "
                        "seconds (default 600)")
    # The worker's own options.
    parser.add_argument("--worker", choices=["torch"], help=argparse.SUPPRESS)
    parser.add_argument("--model", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS),
                        help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    quick = args.quick
    defaults = {"batches": [32] if quick else [32, 256],
                "optimizers": list(OPTIMIZERS),
                "threads": [1] if quick else [1, 2],
                "budget": 0.2 if quick else 2.0,
                "min_runs": 3 if quick else 10,
                "max_runs": 20 if quick else 2000}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.min_runs > args.max_runs:
        parser.error(f"--min-runs {args.min_runs} is above --max-runs "
                     f"{args.max_runs}")
    if args.worker:
        if not (args.model and args.optimizer and args.case and args.result):
            parser.error("--worker needs --model, --optimizer, --case and "
                         "--result")
        return args
    try:
        regex = re.compile(args.models) if args.models else None
    except re.error as error:
        parser.error(f"--models: bad regular expression: {error}")
    args.model_names = [m for m in MODELS if regex is None or regex.search(m)]
    if not args.model_names:
        parser.error(f"--models: no model matches '{args.models}' (known: "
                     f"{', '.join(MODELS)})")
    args.build_dir = args.build_dir.resolve()
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return torch_worker(args)

    for tool in ("kilnc", "kiln-run"):
        if not (args.build_dir / "bin" / tool).exists():
            print(f"training.py: error: no {tool} in "
                  f"{args.build_dir / 'bin'} (build Kiln, or pass "
                  f"--build-dir)", file=sys.stderr)
            return 1
    torch_python, torch_version = find_torch_python(args.torch_python)
    if torch_python is None:
        print(f"training.py: error: no Python here can import torch "
              f"({torch_version}); install Debian's python3-torch "
              f"(utils/bootstrap.sh does) or pass --torch-python",
              file=sys.stderr)
        return 1
    print(f"[training] PyTorch {torch_version} under {torch_python}",
          file=sys.stderr)

    configs = [Config(m, b, o) for m in args.model_names
               for b in args.batches for o in args.optimizers]
    info = machine_info(torch_python, torch_version)
    info["load_average_start"] = os.getloadavg()
    data = digits()
    rows: List[Dict] = []
    with tempfile.TemporaryDirectory(prefix="kiln-training-") as tmp:
        for config in configs:
            start = time.perf_counter()
            folder = Path(tmp) / config.name
            folder.mkdir()
            rows += run_config(config, args, data, folder, torch_python)
            print(f"[training] {config.name}: took "
                  f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    info["load_average_end"] = os.getloadavg()
    info["torch_blas"] = getattr(args, "torch_blas", None)

    print_table(rows)
    if getattr(args, "torch_blas", None):
        print(f"PyTorch {torch_version}'s BLAS: {args.torch_blas}")
    ok = all(r["status"] == "ok" for r in rows)
    if args.json:
        settings = {k: getattr(args, k) for k in (
            "batches", "optimizers", "threads", "runs", "budget", "min_runs",
            "max_runs", "warmup", "check_steps", "quick")}
        settings["torch_env"] = dict(args.torch_env)
        settings["kink_margin"] = KINK_MARGIN
        settings["models"] = args.model_names
        settings["rtol"], settings["atol"] = RTOL, ATOL
        settings["optimizer_flags"] = {k: v[0] for k, v in OPTIMIZERS.items()}
        settings["kiln_threads_note"] = (
            "kiln-run --threads sets the threads of the compiled code's "
            "parallel loops (kiln_module_set_threads)")
        write_atomically(args.json, json.dumps(
            {"machine": info, "settings": settings, "rows": rows, "ok": ok},
            indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
