"""Training through `kilnc --train`: an MLP on scikit-learn's digits.

An ONNX model (64-32-10, Gemm-Relu-Gemm, a dynamic batch) made with
onnx.helper is compiled into an Adam training step with a cross-entropy
loss. A Python loop calls the step through the module ABI on shuffled
mini-batches, feeding the outputs named like inputs (parameters, optimizer
state, step counter) back as the next step's inputs, starting from the init
file kilnc writes (docs/training.md). The trained weights, written into a
copy of the model, must classify the held-out digits with more than 95%
accuracy under onnxruntime. A separate check compares Kiln's first steps
with a numpy forward, backward and Adam update on the same batch.
"""

from __future__ import annotations

import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_autodiff_gradcheck import KILNC, CompiledModule

sklearn = pytest.importorskip("sklearn.datasets")

PARAMS = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def uniform_initializer(rng, name, shape, fan_in):
    """An initializer drawn as PyTorch's default Linear/Conv init does."""
    bound = 1 / np.sqrt(fan_in)
    return numpy_helper.from_array(
        rng.uniform(-bound, bound, shape).astype(np.float32), name)


def make_mlp(seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)

    def init(name, shape, fan_in):
        return uniform_initializer(rng, name, shape, fan_in)

    inits = [init("fc1.weight", (64, 32), 64), init("fc1.bias", (32,), 64),
             init("fc2.weight", (32, 10), 32), init("fc2.bias", (10,), 32)]
    nodes = [helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"]),
             helper.make_node("Relu", ["h"], ["r"]),
             helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"],
                              ["logits"])]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["N", 10])],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def compile_step(tmp_path, model, *flags):
    path = tmp_path / "mlp.onnx"
    onnx.save(model, path)
    library = tmp_path / "train.so"
    done = subprocess.run([str(KILNC), str(path), "--train", *flags, "-o",
                           str(library)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return CompiledModule(library), dict(np.load(f"{library}.init.npz"))


def call(module, inputs):
    """Runs the step on named inputs; returns the named outputs."""
    names = [i[0] for i in module.inputs]
    outputs = module(*[inputs[n] for n in names])
    return dict(zip([o[0] for o in module.outputs], outputs))


def digits():
    x, y = sklearn.load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    test = order[:360]
    train = order[360:]
    return x[train], y[train], x[test], y[test]


def test_mlp_learns_digits(tmp_path):
    model = make_mlp()
    step, init = compile_step(tmp_path, model, "--loss=cross_entropy",
                              "--optimizer=adam", "--lr=1e-2")
    # The init file: the initializers' values, zeroed moments, step 0.
    for t in model.graph.initializer:
        np.testing.assert_array_equal(init[f"param:{t.name}"],
                                      numpy_helper.to_array(t))
        assert not init[f"state:{t.name}:m"].any()
        assert not init[f"state:{t.name}:v"].any()
    assert init["step"].dtype == np.int64 and int(init["step"]) == 0

    x_train, y_train, x_test, y_test = digits()
    state = dict(init)
    rng = np.random.default_rng(1)
    epoch_losses = []
    batch = 32
    for _ in range(20):
        order = rng.permutation(len(x_train))
        losses = []
        # The last batch of each epoch is smaller: the batch is dynamic.
        for begin in range(0, len(order), batch):
            chosen = order[begin:begin + batch]
            outputs = call(step, dict(state, x=x_train[chosen],
                                      label=y_train[chosen].astype(np.int64)))
            losses.append(float(outputs.pop("loss")))
            assert set(outputs) <= set(state)
            state.update(outputs)
        epoch_losses.append(np.mean(losses))
    steps_per_epoch = -(-len(x_train) // batch)
    assert int(state["step"]) == 20 * steps_per_epoch
    assert epoch_losses[-1] < 0.25 * epoch_losses[0], epoch_losses

    # The trained weights in a copy of the model, run by onnxruntime.
    ort = pytest.importorskip("onnxruntime")
    trained = onnx.ModelProto()
    trained.CopyFrom(model)
    for t in trained.graph.initializer:
        t.CopyFrom(numpy_helper.from_array(state[f"param:{t.name}"], t.name))
    session = ort.InferenceSession(trained.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    logits = session.run(None, {"x": x_test})[0]
    accuracy = float(np.mean(logits.argmax(axis=1) == y_test))
    print(f"held-out accuracy {accuracy:.4f}, loss by epoch "
          f"{epoch_losses[0]:.3f} -> {epoch_losses[-1]:.3f}")
    assert accuracy > 0.95


def numpy_adam_step(params, m, v, t, x, label, lr=1e-3, b1=0.9, b2=0.999,
                    eps=1e-8):
    """Forward, backward and Adam (PyTorch's formulas) in float64."""
    w1, b1_, w2, b2_ = (params[n] for n in PARAMS)
    h = x @ w1 + b1_
    r = np.maximum(h, 0)
    z = r @ w2 + b2_
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(x)
    loss = -log_p[np.arange(n), label].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), label] -= 1
    dz /= n
    dh = (dz @ w2.T) * (h > 0)
    grads = {"fc1.weight": x.T @ dh, "fc1.bias": dh.sum(0),
             "fc2.weight": r.T @ dz, "fc2.bias": dz.sum(0)}
    for name, g in grads.items():
        m[name] = b1 * m[name] + (1 - b1) * g
        v[name] = b2 * v[name] + (1 - b2) * g * g
        denom = np.sqrt(v[name]) / np.sqrt(1 - b2 ** t) + eps
        params[name] = params[name] - lr / (1 - b1 ** t) * m[name] / denom
    return loss


def test_step_matches_numpy_adam(tmp_path):
    step, init = compile_step(tmp_path, make_mlp(seed=3), "--optimizer=adam")
    x_train, y_train, _, _ = digits()
    params = {n: init[f"param:{n}"].astype(np.float64) for n in PARAMS}
    m = {n: np.zeros_like(p) for n, p in params.items()}
    v = {n: np.zeros_like(p) for n, p in params.items()}
    state = dict(init)
    for t, begin in enumerate((0, 48), start=1):
        x = x_train[begin:begin + 48]
        label = y_train[begin:begin + 48].astype(np.int64)
        before = {n: params[n].copy() for n in PARAMS}
        loss = numpy_adam_step(params, m, v, t, x.astype(np.float64), label)
        outputs = call(step, dict(state, x=x, label=label))
        np.testing.assert_allclose(outputs["loss"], loss, rtol=1e-5)
        for n in PARAMS:
            np.testing.assert_allclose(outputs[f"param:{n}"], params[n],
                                       rtol=1e-4, atol=1e-7,
                                       err_msg=f"param:{n} after step {t}")
            np.testing.assert_allclose(outputs[f"state:{n}:m"], m[n],
                                       rtol=1e-4, atol=1e-9)
            # Adam's first steps move every parameter with a gradient by
            # about lr, far beyond the tolerance.
            assert np.abs(outputs[f"param:{n}"] - before[n]).max() > 5e-4
        assert int(outputs["step"]) == t
        state.update({k: val for k, val in outputs.items() if k in state})
