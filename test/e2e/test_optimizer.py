"""The update math of kiln-optimizer against a numpy reference.

A small loss, `0.5 * sum(a * w^2) + 0.5 * sum(c * b^2)` with parameters
`w`, `b` and data `a`, `c` (so the gradients are `a * w` and `c * b`), goes
through `kiln-autodiff` and `kiln-optimizer` and is compiled by `kilnc`. The
step is called through the module ABI ten times, each step's parameters,
optimizer state and counter fed back as the next step's inputs (the outputs
named like inputs), and compared after the first and the tenth step with
numpy's SGD / Adam / AdamW (PyTorch's formulas) under each learning-rate
schedule, in float32 and float64.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from test_autodiff_gradcheck import KILN_OPT, KILNC, CompiledModule, T, run

STEPS = 10
RTOL = {"f32": 1e-5, "f64": 1e-10}
DTYPE = {"f32": np.float32, "f64": np.float64}

# name: kiln-optimizer options.
CONFIGS = {
    "sgd": dict(optimizer="sgd", lr=0.05),
    "sgd_momentum": dict(optimizer="sgd", lr=0.01, momentum=0.9),
    "sgd_nesterov_decay": dict(optimizer="sgd", lr=0.01, momentum=0.8,
                               nesterov=True, weight_decay=0.01),
    "sgd_step_schedule": dict(optimizer="sgd", lr=0.05, momentum=0.5,
                              lr_schedule="step", lr_step_size=3,
                              lr_gamma=0.5),
    "adam": dict(optimizer="adam", lr=0.01),
    # total-steps below STEPS: the rate stays at 0 after it.
    "adam_decay_cosine": dict(optimizer="adam", lr=0.02, weight_decay=0.1,
                              beta1=0.8, beta2=0.99, eps=1e-6,
                              lr_schedule="cosine", total_steps=8),
    "adamw": dict(optimizer="adamw", lr=0.01, weight_decay=0.1),
    "adamw_step_schedule": dict(optimizer="adamw", lr=0.02,
                                weight_decay=0.05, lr_schedule="step",
                                lr_step_size=4, lr_gamma=0.3),
}
DEFAULTS = dict(momentum=0.0, nesterov=False, weight_decay=0.0, beta1=0.9,
                beta2=0.999, eps=1e-8, lr_schedule="constant",
                lr_step_size=1, lr_gamma=0.1, total_steps=0)


def source(element: str) -> str:
    w, b, s = T([3, 4], element), T([5], element), T([], element)
    return f"""
func.func @main(%w: {w} {{kiln.name = "w"}}, %b: {b} {{kiln.name = "b"}},
                %a: {w} {{kiln.name = "a"}}, %c: {b} {{kiln.name = "c"}})
    -> {s} {{
  %ww = kiln.mul %w, %w : ({w}, {w}) -> {w}
  %aw = kiln.mul %a, %ww : ({w}, {w}) -> {w}
  %s1 = kiln.reduce_sum %aw {{axes = array<i64: 0, 1>, keepdims = false}}
      : ({w}) -> {s}
  %bb = kiln.mul %b, %b : ({b}, {b}) -> {b}
  %cb = kiln.mul %c, %bb : ({b}, {b}) -> {b}
  %s2 = kiln.reduce_sum %cb {{axes = array<i64: 0>, keepdims = false}}
      : ({b}) -> {s}
  %sum = kiln.add %s1, %s2 : ({s}, {s}) -> {s}
  %half = kiln.constant dense<5.0e-01> : {s}
  %loss = kiln.mul %sum, %half : ({s}, {s}) -> {s}
  return %loss : {s}
}}
"""


def optimizer_flags(config: dict) -> str:
    c = dict(DEFAULTS, **config)
    flags = [f"optimizer={c['optimizer']}", f"lr={c['lr']!r}",
             f"weight-decay={c['weight_decay']!r}",
             f"lr-schedule={c['lr_schedule']}", "replace"]
    if c["optimizer"] == "sgd":
        flags.append(f"momentum={c['momentum']!r}")
        if c["nesterov"]:
            flags.append("nesterov")
    else:
        flags += [f"beta1={c['beta1']!r}", f"beta2={c['beta2']!r}",
                  f"eps={c['eps']!r}"]
    if c["lr_schedule"] == "step":
        flags += [f"lr-step-size={c['lr_step_size']}",
                  f"lr-gamma={c['lr_gamma']!r}"]
    if c["lr_schedule"] == "cosine":
        flags.append(f"total-steps={c['total_steps']}")
    return " ".join(flags)


def compile_step(name: str, element: str, folder: Path):
    try:
        stem = folder / f"{name}_{element}"
        forward = stem.with_suffix(".mlir")
        forward.write_text(source(element))
        step = Path(f"{stem}_step.mlir")
        run([KILN_OPT, forward, "--kiln-autodiff=wrt=w,b replace",
             f"--kiln-optimizer={optimizer_flags(CONFIGS[name])}", "-o",
             step])
        library = Path(f"{stem}_step.so")
        run([KILNC, step, "-o", library])
        return CompiledModule(library)
    except Exception as error:  # noqa: BLE001 - reported by the test
        return error


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kiln-optimizer")
    keys = [(n, e) for n in CONFIGS for e in ("f32", "f64")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        modules = list(pool.map(lambda k: compile_step(*k, folder), keys))
    return dict(zip(keys, modules))


# ---------------------------------------------------------------------------
# The reference, in float64.
# ---------------------------------------------------------------------------


def learning_rate(c: dict, step: int) -> float:
    if c["lr_schedule"] == "step":
        return c["lr"] * c["lr_gamma"] ** (step // c["lr_step_size"])
    if c["lr_schedule"] == "cosine":
        done = min(step, c["total_steps"])
        return c["lr"] * (1 + math.cos(math.pi * done / c["total_steps"])) / 2
    return c["lr"]


def reference_step(c: dict, params: dict, grads: dict, state: dict,
                   step: int) -> None:
    lr = learning_rate(c, step)
    for name in params:
        p, g = params[name], grads[name]
        if c["optimizer"] == "sgd":
            g = g + c["weight_decay"] * p
            if c["momentum"]:
                buf = c["momentum"] * state[f"{name}:momentum"] + g
                state[f"{name}:momentum"] = buf
                g = g + c["momentum"] * buf if c["nesterov"] else buf
            params[name] = p - lr * g
            continue
        if c["optimizer"] == "adamw":
            p = p * (1 - lr * c["weight_decay"])
        else:
            g = g + c["weight_decay"] * p
        m = c["beta1"] * state[f"{name}:m"] + (1 - c["beta1"]) * g
        v = c["beta2"] * state[f"{name}:v"] + (1 - c["beta2"]) * g * g
        state[f"{name}:m"], state[f"{name}:v"] = m, v
        t = step + 1
        step_size = lr / (1 - c["beta1"] ** t)
        denom = np.sqrt(v) / math.sqrt(1 - c["beta2"] ** t) + c["eps"]
        params[name] = p - step_size * m / denom


@pytest.mark.parametrize("element", ["f32", "f64"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_update_matches_numpy(compiled, name, element):
    module = compiled[(name, element)]
    if isinstance(module, Exception):
        raise module
    c = dict(DEFAULTS, **CONFIGS[name])
    dtype, rtol = DTYPE[element], RTOL[element]
    rng = np.random.default_rng(7)
    data = {"a": rng.uniform(0.5, 1.5, (3, 4)).astype(dtype),
            "c": rng.uniform(0.5, 1.5, (5,)).astype(dtype)}
    # Away from zero, so that a relative tolerance fits every element.
    params = {"w": rng.uniform(1.0, 2.0, (3, 4)).astype(dtype),
              "b": rng.uniform(1.0, 2.0, (5,)).astype(dtype)}
    slots = (["m", "v"] if c["optimizer"] != "sgd" else
             ["momentum"] if c["momentum"] else [])
    inputs = dict(data, step=np.array(0, np.int64))
    for n, p in params.items():
        inputs[f"param:{n}"] = p
        for s in slots:
            inputs[f"state:{n}:{s}"] = np.zeros_like(p)
    input_names = [i[0] for i in module.inputs]
    output_names = [o[0] for o in module.outputs]
    assert set(input_names) == set(inputs), input_names
    assert output_names == (["loss", "param:w", "param:b"] +
                            [f"state:{n}:{s}" for n in "wb" for s in slots] +
                            ["step"])

    ref_params = {n: p.astype(np.float64) for n, p in params.items()}
    ref_state = {f"{n}:{s}": np.zeros_like(p) for n, p in ref_params.items()
                 for s in slots}
    a, cc = (data[k].astype(np.float64) for k in ("a", "c"))
    for step in range(STEPS):
        ref_loss = 0.5 * (np.sum(a * ref_params["w"] ** 2) +
                          np.sum(cc * ref_params["b"] ** 2))
        grads = {"w": a * ref_params["w"], "b": cc * ref_params["b"]}
        reference_step(c, ref_params, grads, ref_state, step)

        outputs = dict(zip(output_names,
                           module(*[inputs[n] for n in input_names])))
        np.testing.assert_allclose(outputs["loss"], ref_loss, rtol=rtol)
        assert int(outputs["step"]) == step + 1
        if step in (0, STEPS - 1):
            for n in ref_params:
                np.testing.assert_allclose(
                    outputs[f"param:{n}"], ref_params[n], rtol=rtol,
                    err_msg=f"{name}: param:{n} after {step + 1} steps")
                # The parameter moved by more than the tolerance, so that
                # the check says something.
                assert not np.allclose(outputs[f"param:{n}"], params[n],
                                       rtol=10 * rtol)
            for key, value in ref_state.items():
                np.testing.assert_allclose(
                    outputs[f"state:{key}"], value, rtol=rtol,
                    err_msg=f"{name}: state:{key} after {step + 1} steps")
        # The outputs named like inputs are the next step's inputs.
        for key, value in outputs.items():
            if key in inputs:
                inputs[key] = value
