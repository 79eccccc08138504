"""Gradient check of every kiln-autodiff rule, in float64, against central
finite differences.

Each case is a small kiln function of float64 arguments whose loss is
`sum(op(args) * W)` for fixed random weights `W`. `kiln-opt --kiln-autodiff`
builds its gradient function, and `kilnc` compiles both the forward
function and the gradient function (each as `main`) to shared libraries,
which this file calls in-process through the compiled-module ABI
(docs/abi.md). The gradient of every argument must match the central
differences of the compiled forward function, and the loss the gradient
function returns must match the forward function's.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))
KILN_OPT = BUILD / "bin" / "kiln-opt"
KILNC = BUILD / "bin" / "kilnc"

EPS = 1e-5
RTOL = 1e-6
ATOL = 1e-9

# ---------------------------------------------------------------------------
# Calling a compiled module through its C ABI.
# ---------------------------------------------------------------------------

_DTYPES = {"f64": np.float64, "f32": np.float32, "i64": np.int64,
           "i32": np.int32, "i1": np.bool_}
_LIBC = ctypes.CDLL(None)
_LIBC.free.argtypes = [ctypes.c_void_p]


def memref_descriptor(array: np.ndarray):
    """The memref descriptor of `array` (allocated and aligned pointers,
    offset 0, sizes, strides in elements) that a compiled entry reads."""
    rank = array.ndim
    desc = (ctypes.c_int64 * (3 + 2 * rank))()
    desc[0] = desc[1] = array.ctypes.data
    for i in range(rank):
        desc[3 + i] = array.shape[i]
        desc[3 + rank + i] = array.strides[i] // array.itemsize
    return desc


class CompiledModule:
    """A module compiled by kilnc, called through `kiln_entry_main`."""

    def __init__(self, path: Path):
        self.lib = ctypes.CDLL(str(path))
        signature = ctypes.string_at(ctypes.addressof(
            ctypes.c_char.in_dll(self.lib, "kiln_signature_main"))).decode()
        self.inputs, self.outputs = [], []
        for line in signature.strip().splitlines():
            kind, name, dtype, _, *dims = line.split()
            entry = (name, _DTYPES[dtype], [int(d) for d in dims])
            (self.inputs if kind == "input" else self.outputs).append(entry)
        self.entry = self.lib.kiln_entry_main
        self.entry.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self.entry.restype = None

    def __call__(self, *arrays: np.ndarray) -> list[np.ndarray]:
        assert len(arrays) == len(self.inputs)
        keep, pointers = [], []
        for (_, dtype, dims), array in zip(self.inputs, arrays):
            # (np.ascontiguousarray would make a rank-0 array 1-D.) A copy:
            # a module that writes into its argument (see
            # test_module_leaves_its_arguments_unchanged) must not change the
            # caller's inputs between the finite differences.
            array = np.array(array, dtype=dtype, order="C", copy=True)
            assert array.ndim == len(dims) and all(
                d in (-1, n) for d, n in zip(dims, array.shape)), (
                f"shape {array.shape} for dims {dims}")
            desc = memref_descriptor(array)
            keep += [array, desc]
            pointers.append(ctypes.addressof(desc))
        words = sum(3 + 2 * len(dims) for _, _, dims in self.outputs)
        block = (ctypes.c_int64 * words)()
        args = (ctypes.c_void_p * (1 + len(pointers)))(
            ctypes.addressof(block), *pointers)
        self.entry(args)
        results, pos = [], 0
        for _, dtype, dims in self.outputs:
            rank = len(dims)
            allocated, aligned, offset = block[pos:pos + 3]
            sizes = list(block[pos + 3:pos + 3 + rank])
            strides = list(block[pos + 3 + rank:pos + 3 + 2 * rank])
            item = np.dtype(dtype).itemsize
            out = np.zeros(sizes, dtype=dtype)
            if out.size:
                span = 1 + sum((s - 1) * st for s, st in zip(sizes, strides))
                raw = (ctypes.c_char * (span * item)).from_address(
                    aligned + offset * item)
                flat = np.frombuffer(raw, dtype=dtype)
                out = np.lib.stride_tricks.as_strided(
                    flat, shape=sizes,
                    strides=[s * item for s in strides]).copy()
            if allocated:
                _LIBC.free(allocated)
            results.append(out)
            pos += 3 + 2 * rank
        return results


# ---------------------------------------------------------------------------
# The cases.
# ---------------------------------------------------------------------------


def T(shape, element="f64") -> str:
    """The MLIR tensor type of `shape`."""
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def dense(values: np.ndarray, element="f64") -> str:
    """A `kiln.constant` attribute holding `values`."""
    values = np.asarray(values)
    if element == "i1":
        fmt = lambda v: "true" if v else "false"
    elif element.startswith("i"):
        fmt = lambda v: str(int(v))
    else:
        fmt = lambda v: "%.17e" % float(v)

    def nest(a):
        if a.ndim == 0:
            return fmt(a)
        return "[" + ", ".join(nest(x) for x in a) + "]"

    return f"dense<{nest(values)}> : {T(values.shape, element)}"


def const(name: str, values, element="i64") -> str:
    values = np.asarray(values)
    return f"%{name} = kiln.constant {dense(values, element)}"


class Case:
    """One gradient check: `args` are (shape, sampler) pairs, `body` the
    lines computing `%y` (of shape `out`) from `%a0`, `%a1`, ..."""

    def __init__(self, name, args, out, body):
        self.name, self.args, self.out, self.body = name, args, out, body


def U(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


# Away from zero, either sign: for kinks at 0 (relu, abs, ...).
def NZ(rng, shape):
    return rng.uniform(0.2, 1.0, shape) * rng.choice([-1.0, 1.0], shape)


# Distinct values, for max/min and pooling (no ties).
def DISTINCT(rng, shape):
    n = int(np.prod(shape))
    return (rng.permutation(n) / n * 2 - 1 + rng.uniform(0, 0.2 / n, n)
            ).reshape(shape)


STD = U(-1.0, 1.0)
POS = U(0.5, 2.0)


def unary(name, op, sampler=STD, attrs=""):
    shape = [3, 4]
    return Case(name, [(shape, sampler)], shape,
                [f"%y = kiln.{op} %a0 {attrs}: ({T(shape)}) -> {T(shape)}"])


def binary(name, op, lhs, rhs, out, samplers=(STD, STD)):
    return Case(name, [(lhs, samplers[0]), (rhs, samplers[1])], out,
                [f"%y = kiln.{op} %a0, %a1 : ({T(lhs)}, {T(rhs)}) -> {T(out)}"])


def reduce(name, op, shape, axes, keepdims, out, sampler=STD):
    ax = ", ".join(map(str, axes))
    return Case(name, [(shape, sampler)], out, [
        f"%y = kiln.{op} %a0 {{axes = array<i64: {ax}>, keepdims = "
        f"{'true' if keepdims else 'false'}}} : ({T(shape)}) -> {T(out)}"])


def line(op, operands, types, out, attrs=""):
    """`%y = kiln.op operands {attrs} : (types) -> out`."""
    return (f"%y = kiln.{op} {operands} {attrs} : ({', '.join(types)}) -> "
            f"{out}")


def conv_attrs(strides, pads, dilations, group):
    a = lambda v: "array<i64: " + ", ".join(map(str, v)) + ">"
    return (f"{{dilations = {a(dilations)}, group = {group} : i64, "
            f"pads = {a(pads)}, strides = {a(strides)}}}")


def pool_attrs(kernel, strides, pads, ceil=False, dilations=None,
               count_include_pad=None):
    a = lambda v: "array<i64: " + ", ".join(map(str, v)) + ">"
    dilations = dilations or [1] * len(kernel)
    extra = ("" if count_include_pad is None else
             f", count_include_pad = {str(count_include_pad).lower()}")
    return (f"{{ceil_mode = {str(ceil).lower()}{extra}, dilations = "
            f"{a(dilations)}, kernel_shape = {a(kernel)}, pads = {a(pads)}, "
            f"strides = {a(strides)}}}")


# Away from zero and from the integer multiples that mod's quotient jumps at.
def MODB(rng, shape):
    return rng.uniform(0.6, 1.4, shape) * rng.choice([-1.0, 1.0], shape)


def resize_case(name, in_shape, out_shape, mode, transform, scales=None,
                sizes=None, roi=None, nearest="round_prefer_floor",
                antialias=False, exclude_outside=False, axes=(2, 3)):
    """A resize of a float64 argument by constant scales or sizes."""
    lines, operands, types = [], "%a0", [T(in_shape)]
    if roi is not None:
        lines.append(const("roi", roi, "f32"))
        operands += " roi %roi"
        types.append(T([len(roi)], "f32"))
    if scales is not None:
        lines.append(const("s", scales, "f32"))
        operands += " scales %s"
        types.append(T([len(scales)], "f32"))
    else:
        lines.append(const("s", sizes))
        operands += " sizes %s"
        types.append(T([len(sizes)], "i64"))
    attrs = (f"{{antialias = {str(antialias).lower()}, axes = array<i64: "
             f"{', '.join(map(str, axes))}>, coordinate_transformation_mode = "
             f"#kiln<coordinate_transform {transform}>, cubic_coeff_a = "
             f"-7.500000e-01 : f32, exclude_outside = "
             f"{str(exclude_outside).lower()}, extrapolation_value = "
             f"2.500000e-01 : f32, keep_aspect_ratio_policy = "
             f"#kiln<aspect_ratio_policy stretch>, mode = #kiln<interpolation "
             f"{mode}>, nearest_mode = #kiln<nearest_mode {nearest}>}}")
    lines.append(line("resize", operands, types, T(out_shape), attrs))
    return Case(name, [(in_shape, STD)], out_shape, lines)


def grid_sample_case(name, in_shape, grid_shape, mode, padding, align):
    out = in_shape[:2] + grid_shape[1:-1]
    return Case(name, [(in_shape, STD), (grid_shape, U(-1.15, 1.15))], out, [
        line("grid_sample", "%a0, %a1", [T(in_shape), T(grid_shape)], T(out),
             f"{{align_corners = {str(align).lower()}, mode = "
             f"#kiln<interpolation {mode}>, padding_mode = "
             f"#kiln<grid_sample_padding {padding}>}}")])


def dynamic_reduce_case(name, kind, shape, axes, keepdims, out,
                        sampler=STD):
    """kiln.dynamic_reduce over constant axes, its dynamic result reshaped
    to `out`."""
    rank = len(out) if not keepdims else len(shape)
    dyn = T(["?"] * rank)
    return Case(name, [(shape, sampler)], out, [
        const("ax", axes),
        f"%r = kiln.dynamic_reduce {kind} %a0, %ax {{keepdims = "
        f"{str(keepdims).lower()}, noop_with_empty_axes = false}} : "
        f"({T(shape)}, {T([len(axes)], 'i64')}) -> {dyn}",
        line("reshape", "%r", [dyn], T(out),
             f"{{shape = array<i64: {', '.join(map(str, out))}>}}")])


def scatter_case(name, op, data, indices, updates, reduction,
                 samplers=(STD, STD), axis=None):
    """A scatter of constant indices, both data and updates arguments."""
    idx = np.asarray(indices)
    attrs = (f"{{axis = {axis} : i64, " if axis is not None else "{") + (
        f"reduction = #kiln<scatter_reduction {reduction}>}}")
    return Case(name, [(data, samplers[0]), (updates, samplers[1])], data, [
        const("i", indices),
        line(op, "%a0, %i, %a1", [T(data), T(list(idx.shape), "i64"),
                                  T(updates)], T(data), attrs)])


CASES: list[Case] = [
    # Elementwise unary.
    unary("identity", "identity"),
    unary("neg", "neg"),
    unary("abs", "abs", NZ),
    unary("sign", "sign", NZ),
    unary("floor", "floor", U(0.1, 0.9)),
    unary("ceil", "ceil", U(0.1, 0.9)),
    unary("round", "round", U(0.1, 0.4)),
    unary("exp", "exp"),
    unary("log", "log", POS),
    unary("sqrt", "sqrt", POS),
    unary("reciprocal", "reciprocal", POS),
    unary("tanh", "tanh"),
    unary("sigmoid", "sigmoid"),
    unary("relu", "relu", NZ),
    unary("erf", "erf"),
    unary("sin", "sin"),
    unary("cos", "cos"),
    unary("tan", "tan"),
    unary("asin", "asin", U(-0.8, 0.8)),
    unary("acos", "acos", U(-0.8, 0.8)),
    unary("atan", "atan"),
    unary("sinh", "sinh"),
    unary("cosh", "cosh"),
    unary("asinh", "asinh"),
    unary("acosh", "acosh", U(1.5, 3.0)),
    unary("atanh", "atanh", U(-0.8, 0.8)),
    unary("softplus", "softplus"),
    unary("leaky_relu", "leaky_relu", NZ, "{alpha = 0.1 : f32} "),
    unary("elu", "elu", NZ, "{alpha = 0.7 : f32} "),
    unary("gelu", "gelu", STD,
          "{approximate = #kiln<gelu_approximation none>} "),
    unary("gelu_tanh", "gelu", STD,
          "{approximate = #kiln<gelu_approximation tanh>} "),
    unary("clip", "clip", U(-1.0, 1.0), "{max = 0.5 : f64, min = -0.5 : f64} "),
    # Broadcasting arithmetic.
    binary("add", "add", [3, 4], [4], [3, 4]),
    binary("add_both", "add", [3, 1], [1, 4], [3, 4]),
    binary("sub", "sub", [4], [2, 3, 4], [2, 3, 4]),
    binary("mul", "mul", [2, 3, 4], [3, 1], [2, 3, 4]),
    binary("div", "div", [3, 4], [3, 1], [3, 4], (STD, POS)),
    binary("pow", "pow", [3, 4], [4], [3, 4], (POS, U(-1.5, 1.5))),
    binary("max", "max", [3, 4], [3, 4], [3, 4], (DISTINCT, DISTINCT)),
    binary("min", "min", [3, 4], [4], [3, 4], (DISTINCT, DISTINCT)),
    Case("where", [([3, 4], NZ), ([4], STD)], [3, 4], [
        const("zero", 0.0, "f64"),
        f"%c = kiln.greater %a0, %zero : ({T([3, 4])}, {T([])}) -> "
        f"{T([3, 4], 'i1')}",
        f"%y = kiln.where %c, %a0, %a1 : ({T([3, 4], 'i1')}, {T([3, 4])}, "
        f"{T([4])}) -> {T([3, 4])}"]),
    # Fan-out: one argument used three times.
    Case("fan_out", [([3, 4], STD)], [3, 4], [
        f"%t = kiln.tanh %a0 : ({T([3, 4])}) -> {T([3, 4])}",
        f"%m = kiln.mul %t, %a0 : ({T([3, 4])}, {T([3, 4])}) -> {T([3, 4])}",
        f"%y = kiln.add %m, %a0 : ({T([3, 4])}, {T([3, 4])}) -> {T([3, 4])}"]),
    # Matrix products.
    binary("matmul", "matmul", [3, 4], [4, 5], [3, 5]),
    binary("matmul_batched", "matmul", [2, 3, 4], [4, 5], [2, 3, 5]),
    binary("matmul_broadcast", "matmul", [2, 1, 3, 4], [3, 4, 2],
           [2, 3, 3, 2]),
    binary("matmul_vector_lhs", "matmul", [4], [2, 4, 5], [2, 5]),
    binary("matmul_vector_rhs", "matmul", [3, 4], [4], [3]),
    binary("matmul_dot", "matmul", [4], [4], []),
    # Reductions.
    reduce("reduce_sum", "reduce_sum", [2, 3, 4], [1], False, [2, 4]),
    reduce("reduce_mean", "reduce_mean", [2, 3, 4], [0, 2], True, [1, 3, 1]),
    reduce("reduce_max", "reduce_max", [2, 3, 4], [2], False, [2, 3],
           DISTINCT),
    reduce("reduce_min", "reduce_min", [2, 3, 4], [0, 1], True, [1, 1, 4],
           DISTINCT),
    reduce("reduce_prod", "reduce_prod", [3, 4], [1], False, [3], NZ),
    reduce("reduce_sum_square", "reduce_sum_square", [3, 4], [0], False, [4]),
    reduce("reduce_l1", "reduce_l1", [3, 4], [1], True, [3, 1], NZ),
    reduce("reduce_l2", "reduce_l2", [3, 4], [0, 1], False, []),
    reduce("reduce_log_sum_exp", "reduce_log_sum_exp", [3, 4], [1], False,
           [3]),
    # Shapes.
    Case("reshape", [([2, 3, 4], STD)], [6, 4], [line(
        "reshape", "%a0", [T([2, 3, 4])], T([6, 4]),
        "{shape = array<i64: -1, 4>}")]),
    Case("transpose", [([2, 3, 4], STD)], [4, 2, 3], [line(
        "transpose", "%a0", [T([2, 3, 4])], T([4, 2, 3]),
        "{perm = array<i64: 2, 0, 1>}")]),
    Case("broadcast_to", [([3, 1], STD)], [2, 3, 4], [line(
        "broadcast_to", "%a0", [T([3, 1])], T([2, 3, 4]),
        "{shape = array<i64: 2, 1, 4>}")]),
    Case("concat", [([2, 3], STD), ([2, 2], STD)], [2, 5], [line(
        "concat", "%a0, %a1", [T([2, 3]), T([2, 2])], T([2, 5]),
        "{axis = 1 : i64}")]),
    Case("split", [([2, 5], STD)], [2, 5], [
        f"%p:2 = kiln.split %a0 {{axis = 1 : i64, sizes = array<i64: 2, 3>}} "
        f": ({T([2, 5])}) -> ({T([2, 2])}, {T([2, 3])})",
        line("concat", "%p#1, %p#0", [T([2, 3]), T([2, 2])], T([2, 5]),
             "{axis = 1 : i64}")]),
    Case("split_one_used", [([2, 5], STD)], [2, 3], [
        f"%p:2 = kiln.split %a0 {{axis = 1 : i64, sizes = array<i64: 2, 3>}} "
        f": ({T([2, 5])}) -> ({T([2, 2])}, {T([2, 3])})",
        f"%y = kiln.mul %p#1, %p#1 : ({T([2, 3])}, {T([2, 3])}) -> "
        f"{T([2, 3])}"]),
    Case("slice", [([5, 7], STD)], [2, 3], [line(
        "slice", "%a0", [T([5, 7])], T([2, 3]),
        "{axes = array<i64: 0, 1>, ends = array<i64: 4, -1>, "
        "starts = array<i64: 1, 1>, steps = array<i64: 2, 2>}")]),
    Case("slice_negative_step", [([5, 7], STD)], [5, 3], [line(
        "slice", "%a0", [T([5, 7])], T([5, 3]),
        "{axes = array<i64: 1>, ends = array<i64: 0>, "
        "starts = array<i64: -2>, steps = array<i64: -2>}")]),
    Case("slice_reverse", [([4, 3], STD)], [4, 3], [line(
        "slice", "%a0", [T([4, 3])], T([4, 3]),
        "{axes = array<i64: 0>, ends = array<i64: -9223372036854775808>, "
        "starts = array<i64: -1>, steps = array<i64: -1>}")]),
    Case("pad_constant", [([2, 3], STD)], [3, 6], [line(
        "pad constant", "%a0", [T([2, 3])], T([3, 6]),
        "{pads = array<i64: 1, 2, 0, 1>, value = 0.5}")]),
    Case("pad_reflect", [([3, 4], STD)], [6, 6], [line(
        "pad reflect", "%a0", [T([3, 4])], T([6, 6]),
        "{pads = array<i64: 2, 1, 1, 1>, value = 0.0}")]),
    Case("pad_edge", [([3, 4], STD)], [7, 5], [line(
        "pad edge", "%a0", [T([3, 4])], T([7, 5]),
        "{pads = array<i64: 2, 0, 2, 1>, value = 0.0}")]),
    Case("tile", [([2, 3], STD)], [4, 9], [
        const("r", [2, 3]),
        line("tile", "%a0, %r", [T([2, 3]), T([2], "i64")], T([4, 9]))]),
    # Indexing.
    Case("gather_axis0", [([5, 3], STD)], [2, 2, 3], [
        const("i", [[0, -1], [2, 0]]),
        line("gather", "%a0, %i", [T([5, 3]), T([2, 2], "i64")],
             T([2, 2, 3]), "{axis = 0 : i64}")]),
    Case("gather_axis1", [([2, 5, 3], STD)], [2, 4, 3], [
        const("i", [4, 1, 1, -5]),
        line("gather", "%a0, %i", [T([2, 5, 3]), T([4], "i64")],
             T([2, 4, 3]), "{axis = 1 : i64}")]),
    Case("gather_scalar_index", [([4, 3], STD)], [4], [
        const("i", 2),
        line("gather", "%a0, %i", [T([4, 3]), T([], "i64")], T([4]),
             "{axis = 1 : i64}")]),
    Case("gather_elements", [([3, 4], STD)], [3, 2], [
        const("i", [[0, 3], [1, 1], [-1, 2]]),
        line("gather_elements", "%a0, %i", [T([3, 4]), T([3, 2], "i64")],
             T([3, 2]), "{axis = 1 : i64}")]),
    Case("gather_nd", [([3, 4, 2], STD)], [3, 2], [
        const("i", [[0, 1], [2, -1], [0, 1]]),
        line("gather_nd", "%a0, %i", [T([3, 4, 2]), T([3, 2], "i64")],
             T([3, 2]), "{batch_dims = 0 : i64}")]),
    Case("top_k", [([3, 5], DISTINCT)], [3, 2], [
        const("k", [2]),
        f"%y, %idx = kiln.top_k %a0, %k {{axis = 1 : i64, largest = true, "
        f"sorted = true}} : ({T([3, 5])}, {T([1], 'i64')}) -> ({T([3, 2])}, "
        f"{T([3, 2], 'i64')})"]),
    Case("cumsum", [([3, 4], STD)], [3, 4], [
        const("ax", 1),
        line("cumsum", "%a0, %ax", [T([3, 4]), T([], "i64")], T([3, 4]),
             "{exclusive = true, reverse = false}")]),
    Case("trilu", [([4, 4], STD)], [4, 4], [
        line("trilu", "%a0", [T([4, 4])], T([4, 4]), "{upper = false}")]),
    Case("reverse_sequence", [([4, 3, 2], STD)], [4, 3, 2], [
        const("l", [4, 2, 1]),
        line("reverse_sequence", "%a0, %l", [T([4, 3, 2]), T([3], "i64")],
             T([4, 3, 2]), "{batch_axis = 1 : i64, time_axis = 0 : i64}")]),
    # Remainders: the quotient is piecewise constant.
    Case("mod_fmod", [([3, 4], U(-3.0, 3.0)), ([4], MODB)], [3, 4], [line(
        "mod", "%a0, %a1", [T([3, 4]), T([4])], T([3, 4]), "{fmod = true}")]),
    Case("mod_floor", [([3, 4], U(-3.0, 3.0)), ([3, 1], MODB)], [3, 4], [line(
        "mod", "%a0, %a1", [T([3, 4]), T([3, 1])], T([3, 4]),
        "{fmod = false}")]),
    # Running products.
    Case("cumprod", [([3, 4], NZ)], [3, 4], [
        const("ax", 1),
        line("cumprod", "%a0, %ax", [T([3, 4]), T([], "i64")], T([3, 4]),
             "{exclusive = false, reverse = false}")]),
    Case("cumprod_exclusive_reverse", [([4, 3], NZ)], [4, 3], [
        const("ax", -2),
        line("cumprod", "%a0, %ax", [T([4, 3]), T([], "i64")], T([4, 3]),
             "{exclusive = true, reverse = true}")]),
    # Scatters: none without duplicate indices (ONNX leaves the winner
    # unspecified), the reductions with them.
    scatter_case("scatter_elements_none", "scatter_elements", [3, 5],
                 [[0, 2], [4, 1], [3, -1]], [3, 2], "none", axis=1),
    scatter_case("scatter_elements_add", "scatter_elements", [4, 3],
                 [[1, 1, 0], [1, 3, 0]], [2, 3], "add", axis=0),
    scatter_case("scatter_elements_mul", "scatter_elements", [3, 4],
                 [[0, 0], [1, 3], [2, 1]], [3, 2], "mul", (NZ, NZ), axis=1),
    scatter_case("scatter_elements_max", "scatter_elements", [3, 4],
                 [[0, 0], [1, 3], [2, 1]], [3, 2], "max",
                 (DISTINCT, DISTINCT), axis=1),
    scatter_case("scatter_nd_none", "scatter_nd", [4, 3], [[1], [3]], [2, 3],
                 "none"),
    scatter_case("scatter_nd_add", "scatter_nd", [3, 2, 2],
                 [[0, 1], [2, 0], [0, 1]], [3, 2], "add"),
    scatter_case("scatter_nd_mul", "scatter_nd", [4, 3], [[0], [2], [0]],
                 [3, 3], "mul", (NZ, NZ)),
    scatter_case("scatter_nd_min", "scatter_nd", [4, 3], [[1], [1], [2]],
                 [3, 3], "min", (DISTINCT, DISTINCT)),
    # Selections.
    Case("compress", [([4, 3], STD)], [3, 3], [
        const("c", [True, False, True, True], "i1"),
        line("compress", "%a0, %c", [T([4, 3]), T([4], "i1")], T([3, 3]),
             "{axis = 0 : i64}")]),
    Case("compress_short_condition", [([2, 5], STD)], [2, 2], [
        const("c", [False, True, True], "i1"),
        line("compress", "%a0, %c", [T([2, 5]), T([3], "i1")], T([2, 2]),
             "{axis = 1 : i64}")]),
    Case("one_hot", [([2], STD)], [2, 3, 2], [
        const("i", [[0, 2], [1, -1]]),
        const("d", 3),
        line("one_hot", "%i, %d, %a0", [T([2, 2], "i64"), T([], "i64"),
                                        T([2])], T([2, 3, 2]),
             "{axis = 1 : i64}")]),
    # unique of distinct values (each element its own unique): sorted
    # values, and rows along an axis in order of first occurrence.
    Case("unique_sorted", [([2, 3], DISTINCT)], [6], [
        f"%u, %i, %inv, %c = kiln.unique %a0 {{sorted = true}} : "
        f"({T([2, 3])}) -> ({T(['?'])}, {T(['?'], 'i64')}, "
        f"{T([6], 'i64')}, {T(['?'], 'i64')})",
        line("reshape", "%u", [T(['?'])], T([6]), "{shape = array<i64: 6>}")]),
    Case("unique_axis", [([3, 2], DISTINCT)], [3, 2], [
        f"%u, %i, %inv, %c = kiln.unique %a0 {{axis = 0 : i64, sorted = "
        f"false}} : ({T([3, 2])}) -> ({T(['?', 2])}, {T(['?'], 'i64')}, "
        f"{T([3], 'i64')}, {T(['?'], 'i64')})",
        line("reshape", "%u", [T(['?', 2])], T([3, 2]),
             "{shape = array<i64: 3, 2>}")]),
    # A float range: start + i * delta, 5 elements for these arguments.
    Case("range", [([], U(0.1, 0.4)), ([], U(4.6, 4.8)), ([], U(0.9, 1.0))],
         [5], [
        f"%r = kiln.range %a0, %a1, %a2 : ({T([])}, {T([])}, {T([])}) -> "
        f"{T(['?'])}",
        line("reshape", "%r", [T(['?'])], T([5]), "{shape = array<i64: 5>}")]),
    # Run-time shapes, with constant operands.
    Case("dynamic_slice", [([5, 6], STD)], [2, 3], [
        const("st", [1, -1]), const("en", [4, -7]), const("ax", [0, 1]),
        const("sp", [2, -2]),
        line("dynamic_slice", "%a0, %st, %en, %ax, %sp",
             [T([5, 6])] + [T([2], "i64")] * 4, T(["?", "?"])).replace(
                 "%y =", "%d ="),
        line("reshape", "%d", [T(["?", "?"])], T([2, 3]),
             "{shape = array<i64: 2, 3>}")]),
    Case("dynamic_split", [([2, 6], STD)], [2, 4], [
        const("sz", [2, 4]),
        f"%p:2 = kiln.dynamic_split %a0, %sz {{axis = 1 : i64}} : "
        f"({T([2, 6])}, {T([2], 'i64')}) -> ({T([2, '?'])}, "
        f"{T([2, '?'])})",
        line("reshape", "%p#1", [T([2, "?"])], T([2, 4]),
             "{shape = array<i64: 2, 4>}")]),
    dynamic_reduce_case("dynamic_reduce_sum", "sum", [2, 3, 4], [-1, 0],
                        False, [3]),
    dynamic_reduce_case("dynamic_reduce_mean", "mean", [2, 3, 4], [1], True,
                        [2, 1, 4]),
    dynamic_reduce_case("dynamic_reduce_max", "max", [2, 3, 4], [2], False,
                        [2, 3], DISTINCT),
    dynamic_reduce_case("dynamic_reduce_min", "min", [3, 4], [0], True,
                        [1, 4], DISTINCT),
    dynamic_reduce_case("dynamic_reduce_prod", "prod", [3, 4], [1], False,
                        [3], NZ),
    dynamic_reduce_case("dynamic_reduce_sum_square", "sum_square", [3, 4],
                        [0], False, [4]),
    dynamic_reduce_case("dynamic_reduce_l1", "l1", [3, 4], [-1], True,
                        [3, 1], NZ),
    dynamic_reduce_case("dynamic_reduce_l2", "l2", [3, 4], [0, 1], True,
                        [1, 1]),
    dynamic_reduce_case("dynamic_reduce_log_sum", "log_sum", [3, 4], [1],
                        False, [3], POS),
    dynamic_reduce_case("dynamic_reduce_log_sum_exp", "log_sum_exp", [3, 4],
                        [0], False, [4]),
    # Resampling.
    resize_case("resize_nearest", [1, 2, 3, 4], [1, 2, 6, 6], "nearest",
                "asymmetric", scales=[2.0, 1.5], nearest="floor"),
    resize_case("resize_nearest_half_pixel", [2, 1, 5, 4], [2, 1, 3, 7],
                "nearest", "half_pixel", sizes=[3, 7]),
    resize_case("resize_linear", [1, 2, 3, 4], [1, 2, 6, 6], "linear",
                "half_pixel", scales=[2.0, 1.5]),
    resize_case("resize_linear_align_corners", [1, 1, 5, 6], [1, 1, 3, 4],
                "linear", "align_corners", sizes=[3, 4]),
    resize_case("resize_linear_antialias", [1, 1, 8, 6], [1, 1, 3, 4],
                "linear", "half_pixel", sizes=[3, 4], antialias=True),
    resize_case("resize_linear_crop", [1, 1, 4, 5], [1, 1, 5, 5], "linear",
                "tf_crop_and_resize", sizes=[5, 5],
                roi=[0.2, -0.1, 0.9, 1.2]),
    resize_case("resize_cubic", [1, 1, 4, 5], [1, 1, 7, 3], "cubic",
                "half_pixel", sizes=[7, 3]),
    resize_case("resize_cubic_exclude_outside", [1, 2, 4, 4], [1, 2, 6, 6],
                "cubic", "pytorch_half_pixel", scales=[1.5, 1.5],
                exclude_outside=True),
    resize_case("resize_linear_1d", [3, 5], [6, 5], "linear",
                "asymmetric", scales=[2.0], axes=(0,)),
    grid_sample_case("grid_sample_linear", [2, 2, 3, 4], [2, 3, 2, 2],
                     "linear", "zeros", False),
    grid_sample_case("grid_sample_linear_border_align", [1, 2, 4, 3],
                     [1, 2, 3, 2], "linear", "border", True),
    grid_sample_case("grid_sample_linear_3d", [1, 1, 3, 3, 4],
                     [1, 2, 2, 1, 3], "linear", "zeros", True),
    grid_sample_case("grid_sample_nearest", [1, 2, 3, 4], [1, 3, 3, 2],
                     "nearest", "zeros", False),
    grid_sample_case("grid_sample_nearest_border", [2, 1, 4, 4],
                     [2, 2, 3, 2], "nearest", "border", True),
    # Softmax.
    Case("softmax", [([3, 4], STD)], [3, 4], [line(
        "softmax", "%a0", [T([3, 4])], T([3, 4]), "{axis = 1 : i64}")]),
    Case("log_softmax", [([3, 4], STD)], [3, 4], [line(
        "log_softmax", "%a0", [T([3, 4])], T([3, 4]), "{axis = 0 : i64}")]),
    # Convolutions.
    Case("conv", [([2, 3, 5, 5], STD), ([4, 3, 3, 3], STD), ([4], STD)],
         [2, 4, 5, 5], [line(
             "conv", "%a0, %a1, %a2",
             [T([2, 3, 5, 5]), T([4, 3, 3, 3]), T([4])], T([2, 4, 5, 5]),
             conv_attrs([1, 1], [1, 1, 1, 1], [1, 1], 1))]),
    Case("conv_strided_dilated", [([1, 2, 7, 8], STD), ([3, 2, 2, 3], STD)],
         [1, 3, 3, 2], [line(
             "conv", "%a0, %a1", [T([1, 2, 7, 8]), T([3, 2, 2, 3])],
             T([1, 3, 3, 2]),
             conv_attrs([2, 3], [1, 0, 0, 1], [2, 2], 1))]),
    Case("conv_grouped", [([2, 4, 5, 5], STD), ([6, 2, 3, 3], STD)],
         [2, 6, 3, 3], [line(
             "conv", "%a0, %a1", [T([2, 4, 5, 5]), T([6, 2, 3, 3])],
             T([2, 6, 3, 3]), conv_attrs([1, 1], [0, 0, 0, 0], [1, 1], 2))]),
    Case("conv_1d", [([2, 2, 9], STD), ([3, 2, 3], STD), ([3], STD)],
         [2, 3, 4], [line(
             "conv", "%a0, %a1, %a2", [T([2, 2, 9]), T([3, 2, 3]), T([3])],
             T([2, 3, 4]), conv_attrs([2], [1, 0], [1], 1))]),
    Case("conv_transpose", [([1, 2, 3, 3], STD), ([2, 3, 3, 3], STD),
                            ([3], STD)], [1, 3, 6, 6], [line(
        "conv_transpose", "%a0, %a1, %a2",
        [T([1, 2, 3, 3]), T([2, 3, 3, 3]), T([3])], T([1, 3, 6, 6]),
        "{dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = "
        "array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = "
        "array<i64: 2, 2>}")]),
    # Pooling.
    Case("max_pool", [([1, 2, 4, 4], DISTINCT)], [1, 2, 2, 2], [line(
        "max_pool", "%a0", [T([1, 2, 4, 4])], T([1, 2, 2, 2]),
        pool_attrs([2, 2], [2, 2], [0, 0, 0, 0]))]),
    Case("max_pool_overlap", [([2, 1, 5, 5], DISTINCT)], [2, 1, 3, 3], [line(
        "max_pool", "%a0", [T([2, 1, 5, 5])], T([2, 1, 3, 3]),
        pool_attrs([3, 3], [2, 2], [1, 1, 1, 1]))]),
    Case("max_pool_ceil", [([1, 1, 5, 6], DISTINCT)], [1, 1, 3, 3], [line(
        "max_pool", "%a0", [T([1, 1, 5, 6])], T([1, 1, 3, 3]),
        pool_attrs([2, 2], [2, 2], [0, 0, 0, 0], ceil=True))]),
    Case("average_pool", [([1, 2, 4, 4], STD)], [1, 2, 2, 2], [line(
        "average_pool", "%a0", [T([1, 2, 4, 4])], T([1, 2, 2, 2]),
        pool_attrs([2, 2], [2, 2], [0, 0, 0, 0], count_include_pad=False))]),
    Case("average_pool_pads", [([1, 1, 5, 5], STD)], [1, 1, 3, 3], [line(
        "average_pool", "%a0", [T([1, 1, 5, 5])], T([1, 1, 3, 3]),
        pool_attrs([3, 3], [2, 2], [1, 1, 1, 1], count_include_pad=False))]),
    Case("average_pool_include_pad", [([1, 1, 5, 6], STD)], [1, 1, 3, 3],
         [line("average_pool", "%a0", [T([1, 1, 5, 6])], T([1, 1, 3, 3]),
               pool_attrs([3, 2], [2, 2], [1, 0, 1, 0], ceil=True,
                          count_include_pad=True))]),
    Case("global_average_pool", [([2, 3, 4, 4], STD)], [2, 3, 1, 1], [line(
        "global_average_pool", "%a0", [T([2, 3, 4, 4])], T([2, 3, 1, 1]))]),
    Case("global_max_pool", [([2, 3, 3, 3], DISTINCT)], [2, 3, 1, 1], [line(
        "global_max_pool", "%a0", [T([2, 3, 3, 3])], T([2, 3, 1, 1]))]),
    # Normalisation.
    Case("batch_norm", [([2, 3, 2, 2], STD), ([3], STD), ([3], STD),
                        ([3], STD), ([3], POS)], [2, 3, 2, 2], [line(
        "batch_norm", "%a0, %a1, %a2, %a3, %a4",
        [T([2, 3, 2, 2]), T([3]), T([3]), T([3]), T([3])], T([2, 3, 2, 2]),
        "{epsilon = 1.0e-05 : f32}")]),
    Case("layer_norm", [([2, 3, 4], STD), ([4], STD), ([4], STD)],
         [2, 3, 4], [line(
             "layer_norm", "%a0, %a1, %a2", [T([2, 3, 4]), T([4]), T([4])],
             T([2, 3, 4]), "{axis = 2 : i64, epsilon = 1.0e-05 : f32}")]),
    Case("layer_norm_2d", [([2, 3, 4], STD), ([3, 4], STD)], [2, 3, 4], [line(
        "layer_norm", "%a0, %a1", [T([2, 3, 4]), T([3, 4])], T([2, 3, 4]),
        "{axis = 1 : i64, epsilon = 1.0e-05 : f32}")]),
    # A small network: matmul, bias, relu, matmul, log_softmax.
    Case("mlp", [([4, 5], STD), ([5, 6], STD), ([6], STD), ([6, 3], STD)],
         [4, 3], [
        f"%h = kiln.matmul %a0, %a1 : ({T([4, 5])}, {T([5, 6])}) -> "
        f"{T([4, 6])}",
        f"%hb = kiln.add %h, %a2 : ({T([4, 6])}, {T([6])}) -> {T([4, 6])}",
        f"%r = kiln.relu %hb : ({T([4, 6])}) -> {T([4, 6])}",
        f"%o = kiln.matmul %r, %a3 : ({T([4, 6])}, {T([6, 3])}) -> "
        f"{T([4, 3])}",
        line("log_softmax", "%o", [T([4, 3])], T([4, 3]),
             "{axis = 1 : i64}")]),
]


def forward_source(case: Case, weights: np.ndarray) -> str:
    args = ", ".join(f"%a{i}: {T(shape)}" for i, (shape, _) in
                     enumerate(case.args))
    out = T(case.out)
    axes = ", ".join(map(str, range(len(case.out))))
    loss = [f"%w = kiln.constant {dense(weights)}",
            f"%yw = kiln.mul %y, %w : ({out}, {out}) -> {out}"]
    if case.out:
        loss.append(f"%loss = kiln.reduce_sum %yw {{axes = array<i64: {axes}>,"
                    f" keepdims = false}} : ({out}) -> tensor<f64>")
    else:
        loss.append("%loss = kiln.identity %yw : (tensor<f64>) -> "
                    "tensor<f64>")
    body = "\n    ".join(case.body + loss)
    return (f"func.func @main({args}) -> tensor<f64> {{\n    {body}\n"
            f"    return %loss : tensor<f64>\n}}\n")


def run(command: list[str]) -> None:
    done = subprocess.run([str(c) for c in command], capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n"
                           f"{done.stderr}")


def compile_case(case: Case, folder: Path):
    """Compiles the forward and gradient modules; returns them with the
    inputs, or the exception that stopped it."""
    try:
        rng = np.random.default_rng(
            sum(ord(c) * 31 ** i for i, c in enumerate(case.name)) % (1 << 32))
        inputs = [sampler(rng, shape) for shape, sampler in case.args]
        weights = rng.uniform(-1.0, 1.0, case.out)
        source = folder / f"{case.name}.mlir"
        source.write_text(forward_source(case, np.asarray(weights)))
        grad_source = folder / f"{case.name}_grad.mlir"
        run([KILN_OPT, "--kiln-autodiff=replace", source, "-o", grad_source])
        forward = folder / f"{case.name}.so"
        gradient = folder / f"{case.name}_grad.so"
        run([KILNC, source, "-o", forward])
        run([KILNC, grad_source, "-o", gradient])
        return CompiledModule(forward), CompiledModule(gradient), inputs
    except Exception as error:  # noqa: BLE001 - reported by the test
        return error


@pytest.fixture(scope="module")
def compiled():
    """Every case compiled once, two at a time."""
    folder = Path(tempfile.mkdtemp(prefix="kiln-gradcheck-"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: compile_case(c, folder), CASES))
    return {case.name: result for case, result in zip(CASES, results)}


def central_differences(forward, inputs, index):
    x = inputs[index]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        values = []
        for sign in (1.0, -1.0):
            shifted = [a.copy() for a in inputs]
            shifted[index][i] += sign * EPS
            values.append(float(forward(*shifted)[0]))
        grad[i] = (values[0] - values[1]) / (2 * EPS)
    return grad


# Cases whose forward function kilnc cannot compile yet, for reasons outside
# autodiff; strict, so that a fix is noticed.
EXPECTED_FAILURES = {}


def _param(case):
    marks = ()
    if case.name in EXPECTED_FAILURES:
        marks = pytest.mark.xfail(reason=EXPECTED_FAILURES[case.name],
                                  strict=True)
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_gradient_matches_central_differences(compiled, case):
    result = compiled[case.name]
    if isinstance(result, Exception):
        raise result
    forward, gradient, inputs = result
    loss, *grads = gradient(*inputs)
    np.testing.assert_allclose(loss, forward(*inputs)[0], rtol=1e-12,
                               atol=1e-12)
    assert len(grads) == len(inputs)
    for index, analytic in enumerate(grads):
        numeric = central_differences(forward, inputs, index)
        np.testing.assert_allclose(
            analytic, numeric, rtol=RTOL, atol=ATOL,
            err_msg=f"{case.name}: gradient of argument {index}")


def test_gradient_check_detects_a_wrong_gradient(compiled):
    """The check itself can fail: a perturbed gradient is caught."""
    forward, gradient, inputs = compiled["tanh"]
    _, analytic = gradient(*inputs)
    numeric = central_differences(forward, inputs, 0)
    analytic = analytic.copy()
    analytic.flat[0] *= 1.0 + 1e-4
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# The losses kiln-add-loss builds, differentiated through the rules of the
# ops they decompose into.
# ---------------------------------------------------------------------------


def reference_loss(loss, y, label):
    """The loss in numpy: cross-entropy over axis 1 (stable), or MSE."""
    if loss == "mse":
        return np.mean((y - label) ** 2)
    top = y.max(axis=1, keepdims=True)
    log_probs = y - top - np.log(np.exp(y - top).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(log_probs, np.expand_dims(label, 1), axis=1)
    return -picked.mean()


class LossCase:
    """`loss` on an argument of `shape` scaled by `scale`."""

    def __init__(self, name, loss, shape, scale=1.0):
        self.name, self.loss, self.shape, self.scale = name, loss, shape, scale


LOSS_CASES = [
    LossCase("cross_entropy", "cross_entropy", [5, 4]),
    # Classes on axis 1 of (N, C, d): the labels are (N, d).
    LossCase("cross_entropy_3d", "cross_entropy", [2, 3, 4]),
    # exp(1000) overflows float64: only a stable log-softmax gets these.
    LossCase("cross_entropy_large_logits", "cross_entropy", [3, 4], 1e3),
    LossCase("mse", "mse", [3, 4]),
]


@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: c.name)
def test_loss_gradient_matches_central_differences(case, tmp_path):
    rng = np.random.default_rng(len(case.name))
    y = rng.uniform(-1.0, 1.0, case.shape) * case.scale
    if case.loss == "mse":
        label = rng.uniform(-1.0, 1.0, case.shape)
        wrt = "0,1"
    else:
        label_shape = case.shape[:1] + case.shape[2:]
        label = rng.integers(0, case.shape[1], label_shape).astype(np.int64)
        wrt = "0"
    source = tmp_path / "model.mlir"
    source.write_text(f"func.func @main(%a0: {T(case.shape)}) -> "
                      f"{T(case.shape)} {{\n  return %a0 : {T(case.shape)}\n}}\n")
    forward_mlir = tmp_path / "loss.mlir"
    grad_mlir = tmp_path / "loss_grad.mlir"
    run([KILN_OPT, f"--kiln-add-loss=loss={case.loss}", source, "-o",
         forward_mlir])
    run([KILN_OPT, f"--kiln-autodiff=wrt={wrt} replace", forward_mlir, "-o",
         grad_mlir])
    run([KILNC, forward_mlir, "-o", tmp_path / "loss.so"])
    run([KILNC, grad_mlir, "-o", tmp_path / "loss_grad.so"])
    forward = CompiledModule(tmp_path / "loss.so")
    gradient = CompiledModule(tmp_path / "loss_grad.so")

    inputs = [y, label]
    expected = reference_loss(case.loss, y, label)
    assert np.isfinite(expected)
    np.testing.assert_allclose(forward(*inputs)[0], expected, rtol=1e-12)
    loss, *grads = gradient(*inputs)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    assert len(grads) == (2 if case.loss == "mse" else 1)
    for index, analytic in enumerate(grads):
        numeric = central_differences(forward, inputs, index)
        np.testing.assert_allclose(
            analytic, numeric, rtol=RTOL, atol=ATOL,
            err_msg=f"{case.name}: gradient of argument {index}")


def test_module_leaves_its_arguments_unchanged(compiled):
    """Calling a compiled module must not modify the arrays passed in."""
    forward, _, inputs = compiled["scatter_elements_add"]
    arrays = [np.array(a, dtype=np.float64, order="C") for a in inputs]
    before = [a.copy() for a in arrays]
    # Pass the arrays themselves, bypassing CompiledModule's copies.
    keep, pointers = [], []
    for array in arrays:
        desc = memref_descriptor(array)
        keep.append(desc)
        pointers.append(ctypes.addressof(desc))
    block = (ctypes.c_int64 * 3)()
    args = (ctypes.c_void_p * (1 + len(pointers)))(ctypes.addressof(block),
                                                   *pointers)
    forward.entry(args)
    if block[0]:
        _LIBC.free(block[0])
    for array, original in zip(arrays, before):
        np.testing.assert_array_equal(array, original)
