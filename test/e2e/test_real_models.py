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


# End to end: each model compiled once by kilnc, run by kiln-run, compared
# with onnxruntime on random inputs (rtol 1e-3, atol 1e-4). A symbolic
# batch is run at three sizes from the one library.
BATCHES = {"resnet": [1, 3, 64], "mlp": [1, 3, 64], "transformer": [1, 3]}
KILN_RUN = BUILD / "bin" / "kiln-run"


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-models")
    libraries = {}
    for path in MODELS:
        library = folder / f"{path.stem}.so"
        done = subprocess.run([str(KILNC), str(path), "-o", str(library)],
                              capture_output=True, text=True, timeout=600)
        libraries[path.stem] = (library, done)
    return libraries


def run_both(path, library, shape, folder):
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    want = session.run(None, {"input": x})[0]
    inputs, outputs = folder / "in.npz", folder / "out.npz"
    np.savez(inputs, input=x)
    done = subprocess.run([str(KILN_RUN), str(library), "--inputs",
                           str(inputs), "--outputs", str(outputs)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return np.load(outputs)["output"], want


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_matches_onnxruntime(path, compiled, tmp_path):
    library, done = compiled[path.stem]
    assert done.returncode == 0, done.stderr
    arch = path.stem.split("-")[0]
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    base = [d if isinstance(d, int) else None
            for d in session.get_inputs()[0].shape]
    for batch in BATCHES.get(arch, [None]):
        shape = [d if d is not None else (batch if i == 0 else 7)
                 for i, d in enumerate(base)]
        got, want = run_both(path, library, shape, tmp_path)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4,
                                   err_msg=f"{path.stem} at input {shape}")


def test_library_links_no_compiler(compiled):
    """A compiled model needs neither libMLIR nor libLLVM."""
    library, done = compiled["resnet-opset17"]
    assert done.returncode == 0, done.stderr
    linked = subprocess.run(["ldd", str(library)], capture_output=True,
                            text=True).stdout
    assert "libc.so" in linked
    assert "MLIR" not in linked and "LLVM" not in linked, linked


def test_executable_runs_on_its_own(tmp_path):
    """`kilnc --emit=exe` makes a standalone program with kiln-run's options,
    linking only libc, libm and libstdc++, that runs from anywhere."""
    path = MODELS_DIR / "resnet-opset17.onnx"
    program = tmp_path / "build" / "resnet"
    program.parent.mkdir()
    done = subprocess.run([str(KILNC), str(path), "--emit=exe", "-o",
                           str(program)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    linked = subprocess.run(["ldd", str(program)], capture_output=True,
                            text=True).stdout
    for library in ("MLIR", "LLVM", "libz", "Kiln"):
        assert library not in linked, linked
    # Moved out of the folder it was built in, as a deployed binary is.
    moved = tmp_path / "deployed" / "resnet"
    moved.parent.mkdir()
    program.rename(moved)
    x = np.random.default_rng(2).standard_normal((3, 3, 32, 32)).astype(
        np.float32)
    np.savez(tmp_path / "in.npz", input=x)
    done = subprocess.run([str(moved), "--inputs", str(tmp_path / "in.npz"),
                           "--outputs", str(tmp_path / "out.npz")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    got = np.load(tmp_path / "out.npz")["output"]
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    want = session.run(None, {"input": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
    # A missing input file is an error with a message, not a crash.
    done = subprocess.run([str(moved), "--inputs", str(tmp_path / "no.npz")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no.npz" in done.stderr
