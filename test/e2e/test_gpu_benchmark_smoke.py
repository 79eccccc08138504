"""benchmarks/gpu.py still works where it can without a GPU: `--list`
prints the plan, the benchmark's models are valid ONNX of the documented
shapes, and a machine without a GPU (or without PyTorch) gets a clear
message and exit status 0. No timing is asserted."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu.py"


def load_gpu_script():
    spec = importlib.util.spec_from_file_location("kiln_benchmark_gpu",
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["kiln_benchmark_gpu"] = module
    spec.loader.exec_module(module)
    return module


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args],
                          capture_output=True, text=True, timeout=120)


def test_list_prints_the_plan():
    done = run_script("--list", "--runs", "7")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "matmul-1024", "matmul-4096", "matmul-ffn", "resnet18-b32"]
    assert "4096x4096x4096" in lines[1]
    assert all("--bench 7" in line for line in lines)
    assert "cuBLAS" in lines[0] and "PyTorch eager" in lines[3]


def test_models_have_the_documented_shapes():
    gpu = load_gpu_script()
    matmul = gpu.build_model("matmul-ffn")
    onnx.checker.check_model(matmul)
    dims = [[d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in (*matmul.graph.input, *matmul.graph.output)]
    assert dims == [[4096, 768], [768, 3072], [4096, 3072]]
    resnet = gpu.build_model("resnet18-b32")
    assert resnet.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 32
    assert resnet.graph.output[0].type.tensor_type.shape.dim[0].dim_value \
        == 32
    assert gpu.flops("matmul-1024") == 2.0 * 1024**3


def test_without_gpu_says_so_and_exits_0():
    gpu = load_gpu_script()
    reason = gpu.gpu_missing_reason()
    if reason is None:
        pytest.skip("a CUDA GPU and PyTorch are available here")
    done = run_script("--runs", "1")
    assert done.returncode == 0, done.stderr
    assert f"nothing measured: {reason}" in done.stdout


def test_bad_runs_is_refused():
    done = run_script("--runs", "0")
    assert done.returncode == 2
    assert "--runs must be at least 1" in done.stderr
