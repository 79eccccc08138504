"""Batch normalisation in training mode (kiln-batch-norm-training), in
float64: the loss and the updated running statistics against numpy, and
the gradients of the input, scale and bias (through the batch statistics)
against central finite differences of the compiled forward function.

The function is `sum(batch_norm(x, s, b, m, v) * w)` with `m` and `v`
running statistics; `kiln-opt --kiln-batch-norm-training` turns it into the
training form, and `--kiln-autodiff` differentiates that, carrying the
updated statistics through.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from test_autodiff_gradcheck import KILN_OPT, KILNC, CompiledModule

EPS = 1e-5
RTOL = 1e-6
ATOL = 1e-9
MOMENTUM = 0.8


def source(batch: str) -> str:
    x = f"tensor<{batch}x3x4x5xf64>"
    c = "tensor<3xf64>"
    return f"""
func.func @main(%x: {x} {{kiln.name = "x"}}, %s: {c} {{kiln.name = "s"}},
                %b: {c} {{kiln.name = "b"}}, %m: {c} {{kiln.name = "m"}},
                %v: {c} {{kiln.name = "v"}}, %w: {x} {{kiln.name = "w"}})
    -> (tensor<f64> {{kiln.name = "loss"}}) {{
  %y = kiln.batch_norm %x, %s, %b, %m, %v {{epsilon = 1.0e-03 : f32}}
      : ({x}, {c}, {c}, {c}, {c}) -> {x}
  %p = kiln.mul %y, %w : ({x}, {x}) -> {x}
  %l = kiln.reduce_sum %p {{axes = array<i64: 0, 1, 2, 3>, keepdims = false}}
      : ({x}) -> tensor<f64>
  return %l : tensor<f64>
}}
"""


def compile_with(tmp_path, name, text, passes):
    src = tmp_path / f"{name}.mlir"
    src.write_text(text)
    out = tmp_path / f"{name}.kiln.mlir"
    done = subprocess.run([str(KILN_OPT), str(src), *passes, "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lib = tmp_path / f"{name}.so"
    done = subprocess.run([str(KILNC), str(out), "-o", str(lib)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return CompiledModule(lib)


def reference(x, s, b, m, v, w):
    """numpy's training-mode batch norm: the loss and running statistics."""
    axes = (0, 2, 3)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    shape = (1, -1, 1, 1)
    eps = np.float64(np.float32(1e-3))
    y = ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
         * s.reshape(shape) + b.reshape(shape))
    n = x.size / x.shape[1]
    new_m = MOMENTUM * m + (1 - MOMENTUM) * mean
    new_v = MOMENTUM * v + (1 - MOMENTUM) * var * n / (n - 1)
    return (y * w).sum(), new_m, new_v


@pytest.mark.parametrize("batch", ["2", "?"], ids=["static", "dynamic"])
def test_batch_norm_training(tmp_path, batch):
    rng = np.random.default_rng(7)
    x = rng.normal(1.5, 2.0, (2, 3, 4, 5))
    s = rng.uniform(0.5, 1.5, 3)
    b = rng.normal(0, 1, 3)
    m = rng.normal(0, 1, 3)
    v = rng.uniform(0.5, 2.0, 3)
    w = rng.normal(0, 1, x.shape)
    text = source(batch)
    train = [f"--kiln-batch-norm-training=momentum={MOMENTUM}"]
    forward = compile_with(tmp_path, "forward", text, train)
    grad = compile_with(tmp_path, "grad", text, train + [
        "--kiln-autodiff=wrt=x,s,b replace=1"])

    assert [o[0] for o in forward.outputs] == ["loss", "buffer:m", "buffer:v"]
    assert [i[0] for i in forward.inputs][3:5] == ["buffer:m", "buffer:v"]
    loss, new_m, new_v = forward(x, s, b, m, v, w)
    want_loss, want_m, want_v = reference(x, s, b, m, v, w)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(new_m, want_m, rtol=1e-12)
    np.testing.assert_allclose(new_v, want_v, rtol=1e-12)

    assert [o[0] for o in grad.outputs] == [
        "loss", "x_grad", "s_grad", "b_grad", "buffer:m", "buffer:v"]
    g_loss, gx, gs, gb, g_m, g_v = grad(x, s, b, m, v, w)
    np.testing.assert_allclose(g_loss, loss, rtol=1e-12)
    np.testing.assert_array_equal(g_m, new_m)
    np.testing.assert_array_equal(g_v, new_v)

    args = [x, s, b, m, v, w]
    for index, analytic in [(0, gx), (1, gs), (2, gb)]:
        numeric = np.zeros_like(args[index])
        for i in np.ndindex(args[index].shape):
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[index][i] += EPS
            minus[index][i] -= EPS
            numeric[i] = (forward(*plus)[0] - forward(*minus)[0]) / (2 * EPS)
        np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of argument {index}")
    # The input's gradient through the batch statistics is not the inference
    # form's: it sums to zero over each channel.
    assert np.abs(gx.sum(axis=(0, 2, 3))).max() < 1e-9
