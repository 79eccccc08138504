"""kiln-train: a small CNN with batch normalisation on scikit-learn's
digits, trained by the driver from a `kilnc --train` module.

- held-out accuracy above 97% after 8 epochs (about 5 s), and the ONNX
  model --export-onnx writes classifies the held-out digits identically
  under onnxruntime;
- a run stopped at a checkpoint and resumed ends with the same state, bit
  for bit, as the uninterrupted run;
- the checkpoints are safetensors files that a reader of the format parses;
- bad input gets a message naming it and a non-zero exit.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_autodiff_gradcheck import BUILD, KILNC
from test_training import uniform_initializer

sklearn = pytest.importorskip("sklearn.datasets")
ort = pytest.importorskip("onnxruntime")

KILN_TRAIN = BUILD / "bin" / "kiln-train"


def make_cnn(seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)

    def init(name, shape, fan_in):
        return uniform_initializer(rng, name, shape, fan_in)

    def const(name, value, n=16):
        return numpy_helper.from_array(np.full(n, value, np.float32), name)

    inits = [init("c1.w", (16, 1, 3, 3), 9), init("c1.b", (16,), 9),
             const("bn.s", 1), const("bn.b", 0), const("bn.m", 0),
             const("bn.v", 1),
             init("c2.w", (32, 16, 3, 3), 144), init("c2.b", (32,), 144),
             init("fc.w", (10, 512), 512), init("fc.b", (10,), 512)]
    nodes = [
        helper.make_node("Conv", ["x", "c1.w", "c1.b"], ["a"],
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["a", "bn.s", "bn.b", "bn.m", "bn.v"], ["an"]),
        helper.make_node("Relu", ["an"], ["ar"]),
        helper.make_node("Conv", ["ar", "c2.w", "c2.b"], ["c"],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["cr"]),
        helper.make_node("MaxPool", ["cr"], ["p"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"],
                         transB=1)]
    graph = helper.make_graph(
        nodes, "cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["N", 10])],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("kiln-train")
    x, y = sklearn.load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = y.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[:360], order[360:]
    np.savez(root / "train.npz", x=x[train], label=y[train])
    np.savez(root / "eval.npz", x=x[test], label=y[test])
    onnx.save(make_cnn(), root / "cnn.onnx")
    done = subprocess.run(
        [str(KILNC), str(root / "cnn.onnx"), "--train", "--optimizer=adam",
         "--lr=3e-3", "-o", str(root / "train.so")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return root


def kiln_train(root, *args, check=True):
    done = subprocess.run(
        [str(KILN_TRAIN), str(root / "train.so"), "--data",
         str(root / "train.npz"), "--batch-size", "32", *args],
        capture_output=True, text=True, timeout=300, cwd=root)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def read_safetensors(path):
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    meta = header.pop("__metadata__", {})
    body = data[8 + size:]
    kinds = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(
            body[begin:end], kinds[entry["dtype"]]).reshape(entry["shape"])
    return tensors, meta


def test_cnn_accuracy_and_export(setup):
    root = setup
    done = kiln_train(root, "--epochs", "8", "--eval",
                      str(root / "eval.npz"), "--export-onnx",
                      str(root / "trained.onnx"))
    lines = [l for l in done.stdout.splitlines() if l.startswith("epoch ")]
    assert len(lines) == 8, done.stdout
    last = re.search(r"eval accuracy ([\d.]+)% \((\d+)/(\d+)\)", lines[-1])
    accuracy, correct = float(last.group(1)), int(last.group(2))
    assert accuracy > 97.0, done.stdout
    losses = [float(re.search(r"train loss ([\d.]+)", l).group(1))
              for l in lines]
    assert losses[-1] < losses[0] / 5, losses

    # The exported model: the trained parameters and running statistics
    # in a copy of the original, which onnxruntime runs.
    model = onnx.load(root / "trained.onnx")
    onnx.checker.check_model(model)
    values = {i.name: numpy_helper.to_array(i)
              for i in model.graph.initializer}
    assert not np.allclose(values["bn.m"], 0)
    assert not np.allclose(values["bn.v"], 1)
    session = ort.InferenceSession(str(root / "trained.onnx"),
                                   providers=["CPUExecutionProvider"])
    held = np.load(root / "eval.npz")
    logits = session.run(None, {"x": held["x"]})[0]
    assert abs(int((logits.argmax(1) == held["label"]).sum()) - correct) <= 1


def test_mlp_accuracy(setup, tmp_path):
    """The digits MLP of test_training.py, trained by kiln-train instead of
    a Python loop, flattened images in."""
    from test_training import make_mlp  # noqa: E402
    onnx.save(make_mlp(), tmp_path / "mlp.onnx")
    done = subprocess.run(
        [str(KILNC), str(tmp_path / "mlp.onnx"), "--train",
         "--optimizer=adam", "--lr=1e-2", "-o", str(tmp_path / "mlp.so")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ["train", "eval"]:
        data = np.load(setup / f"{name}.npz")
        np.savez(tmp_path / f"{name}.npz", x=data["x"].reshape(-1, 64),
                 label=data["label"])
    done = subprocess.run(
        [str(KILN_TRAIN), str(tmp_path / "mlp.so"), "--data",
         str(tmp_path / "train.npz"), "--eval", str(tmp_path / "eval.npz"),
         "--epochs", "20", "--batch-size", "32", "--export-onnx",
         str(tmp_path / "trained.onnx")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    last = [l for l in done.stdout.splitlines() if l.startswith("epoch ")][-1]
    accuracy = float(re.search(r"eval accuracy ([\d.]+)%", last).group(1))
    assert accuracy > 95.0, done.stdout
    session = ort.InferenceSession(str(tmp_path / "trained.onnx"),
                                   providers=["CPUExecutionProvider"])
    held = np.load(tmp_path / "eval.npz")
    logits = session.run(None, {"x": held["x"]})[0]
    ort_accuracy = 100 * (logits.argmax(1) == held["label"]).mean()
    assert abs(ort_accuracy - accuracy) < 0.3, (ort_accuracy, accuracy)


def test_resume_is_exact(setup):
    root = setup
    kiln_train(root, "--epochs", "3", "--save", "full.safetensors",
               "--quiet")
    # Stopped mid-epoch at step 70, after checkpoints at 20, 40 and 60.
    done = kiln_train(root, "--epochs", "3", "--checkpoint-dir", "ck",
                      "--checkpoint-every", "20", "--max-steps", "70")
    assert "stopped at step 70" in done.stdout
    names = sorted(p.name for p in (root / "ck").iterdir())
    assert names == [f"step-{s:08d}.safetensors" for s in (20, 40, 60, 70)]
    done = kiln_train(root, "--epochs", "3", "--checkpoint-dir", "ck",
                      "--resume", "--save", "resumed.safetensors")
    assert "resuming from" in done.stdout and "step 70" in done.stdout
    assert ((root / "full.safetensors").read_bytes() ==
            (root / "resumed.safetensors").read_bytes())
    # From an earlier checkpoint, in the first epoch, too.
    kiln_train(root, "--epochs", "3", "--resume-from",
               str(root / "ck" / "step-00000020.safetensors"), "--save",
               "resumed20.safetensors", "--quiet")
    assert ((root / "full.safetensors").read_bytes() ==
            (root / "resumed20.safetensors").read_bytes())

    tensors, meta = read_safetensors(root / "ck" / "step-00000070.safetensors")
    assert meta["format"] == "kiln-train 1"
    assert (meta["epoch"], meta["batch"]) == ("1", "25")
    assert int(tensors["step"]) == 70
    for name in ["param:c1.w", "param:fc.b", "state:c1.w:m", "state:c1.w:v",
                 "buffer:bn.m", "buffer:bn.v"]:
        assert name in tensors, sorted(tensors)
    assert tensors["param:c1.w"].shape == (16, 1, 3, 3)
    assert not any(".tmp" in p.name for p in (root / "ck").iterdir())


@pytest.mark.parametrize("args,message", [
    (["--epochs", "1", "--data", "missing.npz"], "cannot read 'missing.npz'"),
    (["--epochs", "1", "--data", "nolabel.npz"],
     "has no array 'label', an input of the model"),
    (["--epochs", "1", "--data", "int32.npz"],
     "array 'label' holds i32, but the model takes i64"),
    (["--epochs", "1", "--resume-from", "bad.safetensors"],
     "not a valid safetensors file"),
    (["--epochs", "1", "--checkpoint-every", "5"],
     "--checkpoint-every needs --checkpoint-dir"),
    (["--batch-size", "16"], "--epochs is required"),
])
def test_errors(setup, args, message):
    root = setup
    held = np.load(root / "eval.npz")
    np.savez(root / "nolabel.npz", x=held["x"])
    np.savez(root / "int32.npz", x=held["x"],
             label=held["label"].astype(np.int32))
    (root / "bad.safetensors").write_bytes(b"\xff" * 16)
    done = kiln_train(root, *args, check=False)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr


def test_not_a_training_module(setup, tmp_path):
    plain = tmp_path / "plain.so"
    done = subprocess.run([str(KILNC), str(setup / "cnn.onnx"), "-o",
                           str(plain)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [str(KILN_TRAIN), str(plain), "--data", str(setup / "train.npz"),
         "--epochs", "1", "--batch-size", "8"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "is not a training module" in done.stderr
