"""Compiled parallel loops: a model run with `kiln-run --threads 1` and
`--threads 2` gives the same outputs, bit for bit, and they match
onnxruntime. The library still links only libc and libm, and exports the
optional `kiln_set_parallel_hook` (docs/abi.md) through which the runtime
lends it threads.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

BUILD = Path(os.environ.get("KILN_BUILD_DIR",
                            Path(__file__).resolve().parents[2] / "build"))
KILNC = BUILD / "bin" / "kilnc"
KILN_RUN = BUILD / "bin" / "kiln-run"
MODELS_DIR = Path(__file__).resolve().parent / "models"


def matmul_model(path: Path) -> None:
    """y = x @ w + b, 256x512 times 512x256, with a relu."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((512, 256)).astype(np.float32) / 16
    b = rng.standard_normal(256).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]),
         helper.make_node("Add", ["xw", "b"], ["sum"]),
         helper.make_node("Relu", ["sum"], ["y"])],
        "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [256, 512])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [256, 256])],
        [onnx.numpy_helper.from_array(w, "w"),
         onnx.numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("",
                                                                        17)])
    onnx.save(model, str(path))


def reductions_model(path: Path) -> None:
    """Row reductions whose length 16 does not divide: a softmax over rows of
    100 and of 1000, and a global average pooling over 13x13 images (two
    reduction dims, 169 elements, 1000 channels: shared by the threads)."""
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["p"], axis=-1),
         helper.make_node("Softmax", ["w"], ["q"], axis=-1),
         helper.make_node("Relu", ["z"], ["r"]),
         helper.make_node("GlobalAveragePool", ["r"], ["g"])],
        "reductions",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 100]),
         helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 1000]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT,
                                       [1, 1000, 13, 13])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, [8, 100]),
         helper.make_tensor_value_info("q", TensorProto.FLOAT, [4, 1000]),
         helper.make_tensor_value_info("g", TensorProto.FLOAT,
                                       [1, 1000, 1, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("",
                                                                        17)])
    onnx.save(model, str(path))


def compile_model(model: Path, output: Path, *extra: str) -> None:
    done = subprocess.run([str(KILNC), str(model), "-o", str(output), *extra],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def run(program: list[str], inputs: Path, outputs: Path,
        threads: int) -> dict[str, np.ndarray]:
    done = subprocess.run([*program, "--inputs", str(inputs), "--outputs",
                           str(outputs), "--threads", str(threads)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with np.load(outputs) as data:
        return {key: data[key] for key in data.files}


CASES = {
    "matmul": (matmul_model, {"x": (256, 512)}),
    "reductions": (reductions_model, {"x": (8, 100), "w": (4, 1000),
                                      "z": (1, 1000, 13, 13)}),
    "resnet": (MODELS_DIR / "resnet-opset17.onnx", {"input": (3, 3, 32, 32)}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_threads_agree_and_match_onnxruntime(name, tmp_path):
    source, shapes = CASES[name]
    if callable(source):
        model = tmp_path / f"{name}.onnx"
        source(model)
    else:
        model = source
    library = tmp_path / f"{name}.so"
    compile_model(model, library)

    # The parallel loops are there, and the library needs nothing new.
    ir = subprocess.run([str(KILNC), str(model), "--emit=mlir"],
                        capture_output=True, text=True, timeout=600)
    assert ir.returncode == 0, ir.stderr
    assert "llvm.call @kiln_parallel_for" in ir.stdout
    linked = subprocess.run(["ldd", str(library)], capture_output=True,
                            text=True).stdout
    libraries = {line.split()[0] for line in linked.splitlines()
                 if "=>" in line}
    assert libraries <= {"libc.so.6", "libm.so.6"}, linked
    exported = subprocess.run(["nm", "-D", "--defined-only", str(library)],
                              capture_output=True, text=True).stdout
    assert " kiln_set_parallel_hook" in exported, exported

    rng = np.random.default_rng(1)
    feeds = {key: rng.standard_normal(shape).astype(np.float32)
             for key, shape in shapes.items()}
    inputs = tmp_path / "in.npz"
    np.savez(inputs, **feeds)
    one = run([str(KILN_RUN), str(library)], inputs, tmp_path / "one.npz", 1)
    two = run([str(KILN_RUN), str(library)], inputs, tmp_path / "two.npz", 2)
    assert one.keys() == two.keys()
    for key in one:
        np.testing.assert_array_equal(one[key], two[key], err_msg=key)

    session = ort.InferenceSession(str(model),
                                   providers=["CPUExecutionProvider"])
    want = session.run(None, feeds)
    for got, expected in zip(one.values(), want):
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)


def test_executable_threads_agree(tmp_path):
    """An executable binds the hook of the model linked into it."""
    model = tmp_path / "matmul.onnx"
    matmul_model(model)
    program = tmp_path / "matmul"
    compile_model(model, program, "--emit=exe")
    inputs = tmp_path / "in.npz"
    np.savez(inputs, x=np.random.default_rng(2).standard_normal(
        (256, 512)).astype(np.float32))
    one = run([str(program)], inputs, tmp_path / "one.npz", 1)
    two = run([str(program)], inputs, tmp_path / "two.npz", 2)
    np.testing.assert_array_equal(one["y"], two["y"])
    library = tmp_path / "matmul.so"
    compile_model(model, library)
    lib = run([str(KILN_RUN), str(library)], inputs, tmp_path / "lib.npz", 2)
    np.testing.assert_array_equal(lib["y"], two["y"])
