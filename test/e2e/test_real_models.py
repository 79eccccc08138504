"""Real architectures exported by PyTorch's ONNX exporter (models/, written
by models/export_models.py) import through `kilnc` to verified kiln IR.

Each fixture is first checked to be a valid model that onnxruntime runs, so
a failure here is Kiln's. The models with a symbolic batch keep it as a
dynamic dim (`?`) in the function signature.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

MODELS_DIR = Path(__file__).resolve().parent / "models"
BUILD = Path(os.environ.get("KILN_BUILD_DIR",
                            Path(__file__).resolve().parents[2] / "build"))
KILNC = BUILD / "bin" / "kilnc"

MODELS = sorted(MODELS_DIR.glob("*.onnx"))
# How many leading input dims are symbolic, per architecture.
DYNAMIC = {"resnet": 1, "mlp": 1, "transformer": 2}


def test_fixtures_present():
    names = {p.stem for p in MODELS}
    for arch in ("resnet", "mobilenetv2", "squeezenet", "transformer", "mlp"):
        for opset in (13, 17):
            assert f"{arch}-opset{opset}" in names


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_fixture_is_valid(path):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    opset = {o.domain: o.version for o in model.opset_import}[""]
    assert f"opset{opset}" in path.stem
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    shape = [d if isinstance(d, int) else 3 for d in inp.shape]
    (out,) = session.run(None, {inp.name: np.random.default_rng(0)
                                .standard_normal(shape).astype(np.float32)})
    assert np.isfinite(out).all()


@pytest.mark.parametrize("stage", ["import", "kiln"])
@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_imports(path, stage):
    done = subprocess.run([str(KILNC), str(path), "--emit=mlir",
                           f"--stop-after={stage}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    signature = re.search(r"func\.func @main\((.*)\) ->", done.stdout)
    assert signature, done.stdout[:2000]
    arch = path.stem.split("-")[0]
    dims = re.search(r"tensor<([^>]*)>", signature.group(1)).group(1)
    dynamic = dims.split("x")[:DYNAMIC.get(arch, 0)]
    assert all(d == "?" for d in dynamic), signature.group(1)
    if arch not in DYNAMIC:
        assert "?" not in signature.group(1)
    assert "kiln." in done.stdout
