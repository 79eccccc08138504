"""Gradient check of `kiln.conv`'s rule, in float64, against central finite
differences, over the configurations its two fast forms must get right.

The input's gradient is one stride-1 convolution by the reversed kernel per
phase of the strides, interleaved; the weight's (one group) a matrix product
of the result's gradient with the input's columns (docs/autodiff.md). The
cases below reach every branch of that: unit and larger strides, strides
that leave phases no tap reaches (kernel shorter than the stride, dilation
sharing a factor with the stride, padding wider than the kernel), strides
past the input's size, asymmetric pads, dilation, bias, 1-D and 3-D, groups
(depthwise, with a channel multiplier, strided) and a dynamic batch.

The harness (compiling with kiln-opt --kiln-autodiff and kilnc, calling
the modules in-process, the central differences) is
test_autodiff_gradcheck.py's.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from test_autodiff_gradcheck import (ATOL, KILN_OPT, KILNC, RTOL, STD, Case,
                                     CompiledModule, T, central_differences,
                                     compile_case, conv_attrs, dense, line,
                                     run)


def conv_size(size, kernel, stride, pad_begin, pad_end, dilation):
    return (size + pad_begin + pad_end - (kernel - 1) * dilation - 1) \
        // stride + 1


def conv_case(name, batch, channels, out_channels, sizes, kernel,
              strides=None, pads=None, dilations=None, group=1, bias=False):
    """A case of one `kiln.conv` (its arguments: input, weight, bias)."""
    spatial = len(sizes)
    strides = strides or [1] * spatial
    pads = pads or [0] * (2 * spatial)
    dilations = dilations or [1] * spatial
    x = [batch, channels, *sizes]
    w = [out_channels, channels // group, *kernel]
    out = [batch, out_channels] + [
        conv_size(sizes[i], kernel[i], strides[i], pads[i], pads[i + spatial],
                  dilations[i]) for i in range(spatial)]
    args = [(x, STD), (w, STD)] + ([([out_channels], STD)] if bias else [])
    operands = "%a0, %a1" + (", %a2" if bias else "")
    types = [T(s) for s, _ in args]
    return Case(name, args, out, [line(
        "conv", operands, types, T(out),
        conv_attrs(strides, pads, dilations, group))])


CASES = [
    # The training benchmark's layers, small: stride 1, pad 1, bias.
    conv_case("stride1_pad1_bias", 2, 3, 4, [5, 5], [3, 3], pads=[1] * 4,
              bias=True),
    # Stride 1 without padding, a kernel as large as a side.
    conv_case("stride1_valid", 2, 2, 3, [4, 5], [4, 2]),
    # Stride 1, asymmetric pads (more than k - 1 on one side: the reversed
    # kernel's padding is negative there and the gradient is sliced).
    conv_case("stride1_asymmetric", 1, 2, 3, [5, 6], [3, 2],
              pads=[0, 2, 2, 0]),
    # Stride 1 with dilation.
    conv_case("stride1_dilated", 2, 2, 2, [7, 7], [3, 2],
              pads=[2, 1, 1, 0], dilations=[2, 3]),
    # Stride 2, even input: every phase has taps.
    conv_case("stride2", 2, 3, 4, [8, 8], [3, 3], strides=[2, 2],
              pads=[1] * 4, bias=True),
    # Stride 2, odd input and asymmetric pads: the phases' counts differ.
    conv_case("stride2_asymmetric", 2, 3, 4, [7, 9], [3, 3], strides=[2, 2],
              pads=[1, 2, 0, 1]),
    # Different strides per dim, with dilation.
    conv_case("stride3x2_dilated", 1, 2, 3, [10, 11], [3, 2],
              strides=[3, 2], pads=[0, 1, 2, 0], dilations=[2, 3]),
    # Stride and dilation share a factor: half the phases get no tap.
    conv_case("stride2_dilation2", 2, 2, 3, [9, 9], [3, 3], strides=[2, 2],
              pads=[2] * 4, dilations=[2, 2]),
    # A 1x1 kernel with stride 2: only one phase of four is read.
    conv_case("pointwise_stride2", 2, 4, 3, [6, 7], [1, 1], strides=[2, 2]),
    # Padding wider than the kernel: phases reached only through padding.
    conv_case("wide_pads_stride2", 1, 2, 2, [4, 4], [2, 2], strides=[2, 2],
              pads=[3, 0, 1, 3]),
    # A stride past the input's size: one output per dim.
    conv_case("stride_past_input", 2, 2, 3, [3, 2], [2, 1], strides=[4, 3],
              pads=[1, 0, 0, 0]),
    # A phase only positions past the input lie in, reached by no tap's
    # window: its zero gradient is not a convolution.
    conv_case("unreached_phase", 2, 2, 2, [1], [2], strides=[2], pads=[0, 3],
              dilations=[3]),
    # 1-D, strided, bias.
    conv_case("conv1d_stride2", 2, 2, 3, [9], [3], strides=[2], pads=[1, 0],
              bias=True),
    # 3-D, strided in one dim.
    conv_case("conv3d", 1, 2, 2, [4, 5, 3], [2, 3, 2], strides=[2, 1, 1],
              pads=[1, 1, 0, 0, 1, 1]),
    # Groups: two groups of two channels, strided.
    conv_case("groups_stride2", 2, 4, 6, [6, 5], [3, 3], strides=[2, 2],
              pads=[1] * 4, group=2),
    # Depthwise (one channel per group), stride 1.
    conv_case("depthwise", 2, 3, 3, [5, 5], [3, 3], pads=[1] * 4, group=3,
              bias=True),
    # Depthwise with a channel multiplier of 2, stride 2.
    conv_case("depthwise_multiplier", 1, 2, 4, [6, 6], [3, 3],
              strides=[2, 2], pads=[0, 1, 1, 0], group=2),
]


@pytest.fixture(scope="module")
def folder():
    return Path(tempfile.mkdtemp(prefix="kiln-conv-gradient-"))


@pytest.fixture(scope="module")
def compiled(folder):
    """Every case compiled once, two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: compile_case(c, folder), CASES))
    return {case.name: result for case, result in zip(CASES, results)}


def check_against_differences(name, forward, gradient, inputs):
    loss, *grads = gradient(*inputs)
    np.testing.assert_allclose(loss, forward(*inputs)[0], rtol=1e-12,
                               atol=1e-12)
    assert len(grads) == len(inputs)
    for index, analytic in enumerate(grads):
        assert analytic.shape == inputs[index].shape
        numeric = central_differences(forward, inputs, index)
        np.testing.assert_allclose(
            analytic, numeric, rtol=RTOL, atol=ATOL,
            err_msg=f"{name}: gradient of argument {index}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conv_gradient_matches_central_differences(compiled, case):
    result = compiled[case.name]
    if isinstance(result, Exception):
        raise result
    forward, gradient, inputs = result
    check_against_differences(case.name, forward, gradient, inputs)


def test_no_transposed_convolution_for_one_group(compiled, folder):
    """The fast forms are what the rule builds: a one-group convolution's
    gradients have no `kiln.conv_transpose`, and its weight's gradient is a
    `kiln.matmul`."""
    for name in ("stride1_pad1_bias", "stride2_asymmetric",
                 "stride2_dilation2"):
        assert not isinstance(compiled[name], Exception), name
        text = (folder / f"{name}_grad.mlir").read_text()
        assert "kiln.conv_transpose" not in text, name
        assert "kiln.matmul" in text, name
        assert "kiln.conv " in text, name


def test_dynamic_batch(tmp_path):
    """A batch of `?`: the same module checked at two batch sizes."""
    rng = np.random.default_rng(7)
    x_type, w_type = "tensor<?x2x6x5xf64>", T([3, 2, 3, 3])
    out_type = "tensor<?x3x3x3xf64>"
    weights = rng.uniform(-1.0, 1.0, [3, 3, 3])
    source = tmp_path / "dynamic.mlir"
    source.write_text(
        f"func.func @main(%a0: {x_type}, %a1: {w_type}, %a2: {T([3])}) -> "
        f"tensor<f64> {{\n"
        f"  %y = kiln.conv %a0, %a1, %a2 "
        f"{conv_attrs([2, 2], [1, 1, 1, 2], [1, 1], 1)} : ({x_type}, "
        f"{w_type}, {T([3])}) -> {out_type}\n"
        f"  %w = kiln.constant {dense(weights)}\n"
        f"  %yw = kiln.mul %y, %w : ({out_type}, {T([3, 3, 3])}) -> "
        f"{out_type}\n"
        f"  %loss = kiln.reduce_sum %yw {{axes = array<i64: 0, 1, 2, 3>, "
        f"keepdims = false}} : ({out_type}) -> tensor<f64>\n"
        f"  return %loss : tensor<f64>\n}}\n")
    grad_source = tmp_path / "dynamic_grad.mlir"
    run([KILN_OPT, "--kiln-autodiff=replace", source, "-o", grad_source])
    assert "kiln.conv_transpose" not in grad_source.read_text()
    run([KILNC, source, "-o", tmp_path / "dynamic.so"])
    run([KILNC, grad_source, "-o", tmp_path / "dynamic_grad.so"])
    forward = CompiledModule(tmp_path / "dynamic.so")
    gradient = CompiledModule(tmp_path / "dynamic_grad.so")
    assert forward.inputs[0][2][0] == -1
    for batch in (1, 3):
        inputs = [rng.uniform(-1.0, 1.0, [batch, 2, 6, 5]),
                  rng.uniform(-1.0, 1.0, [3, 2, 3, 3]),
                  rng.uniform(-1.0, 1.0, [3])]
        check_against_differences(f"dynamic batch {batch}", forward,
                                  gradient, inputs)


def test_check_detects_a_wrong_gradient(compiled):
    """The check itself can fail: a perturbed weight gradient is caught."""
    forward, gradient, inputs = compiled["stride2"]
    _, _, weight_grad, _ = gradient(*inputs)
    numeric = central_differences(forward, inputs, 1)
    weight_grad = weight_grad.copy()
    weight_grad.flat[5] *= 1.0 + 1e-4
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(weight_grad, numeric, rtol=RTOL,
                                   atol=ATOL)
