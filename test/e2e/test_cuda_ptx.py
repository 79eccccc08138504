"""`kilnc --target=cuda` on every e2e model and on small single-op models.

Without a GPU: the PTX Kiln generates for sm_80 and sm_90 must assemble with
the CUDA toolkit's `ptxas`; a CUDA shared library must export
`kiln_target = "cuda"` and depend on nothing beyond libc (the runtime
provides the `mgpu*` functions, the driver is loaded at run time); and
`kiln-run --device cuda` must fail with "no CUDA device".

With a GPU (`kiln-run --device cuda` finds one): every model's CUDA library
must give the CPU library's outputs. Those tests are skipped, with the
reason, on machines without one.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

MODELS_DIR = Path(__file__).resolve().parent / "models"
BUILD = Path(os.environ.get("KILN_BUILD_DIR",
                            Path(__file__).resolve().parents[2] / "build"))
KILNC = BUILD / "bin" / "kilnc"
KILN_RUN = BUILD / "bin" / "kiln-run"
CUDA_HOME = Path(os.environ.get("CUDA_HOME", "/usr/local/cuda"))
PTXAS = shutil.which("ptxas") or str(CUDA_HOME / "bin" / "ptxas")
ARCHS = ("sm_80", "sm_90")


def _float(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _weight(name, shape, seed):
    values = np.random.default_rng(seed).standard_normal(shape)
    return helper.make_tensor(name, TensorProto.FLOAT, shape,
                              values.astype(np.float32).ravel().tolist())


def _small_models():
    """Single-op graphs covering the kernel shapes the real models mix:
    reductions along an axis and to a scalar, softmax, layer norm, pooling,
    convolution, gemm with an elementwise epilogue."""
    cases = {
        "softmax": ([helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
                    [_float("x", [3, 37])], [_float("y", [3, 37])], []),
        "layernorm": ([helper.make_node("LayerNormalization",
                                        ["x", "g", "b"], ["y"], axis=-1)],
                      [_float("x", ["N", 5, 16])], [_float("y", ["N", 5, 16])],
                      [_weight("g", [16], 1), _weight("b", [16], 2)]),
        "reduce_all": ([helper.make_node("ReduceSum", ["x"], ["y"],
                                         keepdims=0)],
                       [_float("x", [4, 6])], [_float("y", [])], []),
        "reduce_mean": ([helper.make_node("ReduceMean", ["x", "axes"], ["y"],
                                          keepdims=1)],
                        [_float("x", [2, 3, 8])], [_float("y", [2, 3, 1])],
                        [helper.make_tensor("axes", TensorProto.INT64, [1],
                                            [2])]),
        "pool": ([helper.make_node("MaxPool", ["x"], ["m"],
                                   kernel_shape=[3, 3], strides=[2, 2]),
                  helper.make_node("GlobalAveragePool", ["m"], ["y"])],
                 [_float("x", [1, 3, 9, 9])], [_float("y", [1, 3, 1, 1])], []),
        "conv_relu": ([helper.make_node("Conv", ["x", "w", "b"], ["c"],
                                        pads=[1, 1, 1, 1]),
                       helper.make_node("Relu", ["c"], ["y"])],
                      [_float("x", [2, 3, 8, 8])], [_float("y", [2, 4, 8, 8])],
                      [_weight("w", [4, 3, 3, 3], 3), _weight("b", [4], 4)]),
        # Rows longer than a block (700 > 256 threads), a dynamic count.
        "softmax_wide": ([helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
                         [_float("x", [2, "N", 700])],
                         [_float("y", [2, "N", 700])], []),
        # Strides, dilations and a dynamic batch through the image columns.
        "conv_strided": ([helper.make_node("Conv", ["x", "w"], ["y"],
                                           pads=[1, 1, 1, 1],
                                           strides=[2, 2], dilations=[2, 2])],
                         [_float("x", ["N", 3, 11, 11])],
                         [_float("y", ["N", 5, 5, 5])],
                         [_weight("w", [5, 3, 3, 3], 8)]),
        "gemm_sigmoid": ([helper.make_node("Gemm", ["x", "w", "b"], ["g"],
                                           transB=1),
                          helper.make_node("Sigmoid", ["g"], ["y"])],
                         [_float("x", ["N", 12])], [_float("y", ["N", 7])],
                         [_weight("w", [7, 12], 5), _weight("b", [7], 6)]),
        # Matmuls that kiln-gpu-tile-matmul makes shared-memory kernels of:
        # tile-sized, odd-sized, batched, and with a dynamic batch.
        "matmul_square": ([helper.make_node("MatMul", ["a", "b"], ["y"])],
                          [_float("a", [128, 128]), _float("b", [128, 128])],
                          [_float("y", [128, 128])], []),
        "matmul_odd": ([helper.make_node("MatMul", ["a", "b"], ["y"])],
                       [_float("a", [100, 33])], [_float("y", [100, 70])],
                       [_weight("b", [33, 70], 7)]),
        "matmul_batch": ([helper.make_node("MatMul", ["a", "b"], ["y"])],
                         [_float("a", [2, 3, 100, 33]),
                          _float("b", [2, 3, 33, 70])],
                         [_float("y", [2, 3, 100, 70])], []),
        "matmul_dynamic_batch": ([helper.make_node("MatMul", ["a", "b"],
                                                   ["y"])],
                                 [_float("a", ["N", 65, 40]),
                                  _float("b", ["N", 40, 129])],
                                 [_float("y", ["N", 65, 129])], []),
    }
    models = {}
    for name, (nodes, inputs, outputs, initializers) in cases.items():
        graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
        models[name] = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 18)])
    return models


SMALL = _small_models()
REAL = sorted(MODELS_DIR.glob("*.onnx"))
NAMES = [p.stem for p in REAL] + sorted(SMALL)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cuda")


def model_path(workdir: Path, name: str) -> Path:
    if name in SMALL:
        path = workdir / f"{name}.onnx"
        if not path.exists():
            onnx.save(SMALL[name], str(path))
        return path
    return MODELS_DIR / f"{name}.onnx"


def kilnc(*args, timeout=300):
    return subprocess.run([str(KILNC), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def ptx(workdir):
    """Every model's PTX for every architecture, compiled two at a time."""
    jobs = [(name, arch) for name in NAMES for arch in ARCHS]

    def compile_one(job):
        name, arch = job
        out = workdir / f"{name}.{arch}.ptx"
        done = kilnc(model_path(workdir, name), "--target=cuda",
                     f"--cuda-arch={arch}", "--emit=ptx", "-o", out)
        return job, (out if done.returncode == 0 else None, done.stderr)

    for name in SMALL:
        model_path(workdir, name)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(compile_one, jobs))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("name", NAMES)
def test_ptx_assembles(ptx, workdir, name, arch):
    out, stderr = ptx[(name, arch)]
    assert out is not None, f"kilnc --target=cuda failed:\n{stderr}"
    text = out.read_text()
    assert f".target {arch}" in text
    kernels = text.count(".entry ")
    assert kernels >= 1
    if not os.access(PTXAS, os.X_OK):
        pytest.skip(f"ptxas not found at {PTXAS}: the PTX is not assembled")
    cubin = workdir / f"{name}.{arch}.cubin"
    done = subprocess.run([PTXAS, f"-arch={arch}", str(out), "-o", str(cubin)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert cubin.stat().st_size > 0
    print(f"{name} {arch}: {kernels} kernels, ptxas ok")


def test_elementwise_chain_is_one_kernel(ptx):
    # Gemm (transB) + Sigmoid: the weight's transpose is folded at compile
    # time, leaving the accumulator's fill, the matmul, and the bias add and
    # sigmoid fused into one kernel (four kernels unfused).
    out, stderr = ptx[("gemm_sigmoid", "sm_80")]
    assert out is not None, stderr
    assert out.read_text().count(".entry ") == 3


MATMULS = sorted(name for name in SMALL if name.startswith("matmul_"))
# Convolutions become image columns and a contraction
# (kiln-gpu-conv-to-matmul), which kiln-gpu-tile-matmul tiles.
CONVS = ["conv_relu", "conv_strided"] + [p.stem for p in REAL
                         if p.stem.split("-")[0] in ("resnet", "squeezenet",
                                                     "mobilenetv2")]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("name", MATMULS + CONVS)
def test_matmul_kernel_uses_shared_memory(ptx, name, arch):
    # kiln-gpu-tile-matmul: the A and B tiles go through shared memory,
    # with barriers between the copies and the multiply-adds.
    out, stderr = ptx[(name, arch)]
    assert out is not None, stderr
    text = out.read_text()
    assert ".shared .align" in text
    for instruction in ("ld.shared.", "st.shared.", "bar.sync",
                        "fma.rn.f32"):
        assert instruction in text, f"{name} {arch}: no {instruction}"


def _regular_convolutions(path: Path) -> int:
    """The Conv nodes of a model that are not grouped (group 1)."""
    count = 0
    for node in onnx.load(str(path)).graph.node:
        groups = [a.i for a in node.attribute if a.name == "group"]
        count += node.op_type == "Conv" and groups in ([], [1])
    return count


@pytest.mark.parametrize("name", CONVS)
def test_every_convolution_is_tiled(ptx, workdir, name):
    # Each ungrouped convolution's contraction is a tiled kernel of its own,
    # whose A tile (16 x 65 floats, 4160 bytes) is in shared memory;
    # depthwise convolutions stay one thread per output element.
    out, stderr = ptx[(name, "sm_80")]
    assert out is not None, stderr
    tiles = out.read_text().count(".b8 __wg_")
    a_tiles = len([line for line in out.read_text().splitlines()
                   if line.strip().startswith(".shared")
                   and line.rstrip().endswith("[4160];")])
    assert tiles == 2 * a_tiles
    convolutions = _regular_convolutions(model_path(workdir, name))
    assert convolutions >= 1
    assert a_tiles >= convolutions, (
        f"{name}: {a_tiles} tiled kernels for {convolutions} convolutions")


# Row reductions (softmax's max and sum, layer norm's mean and variance,
# ReduceMean, a sum to a scalar) run one block per output element
# (kiln-gpu-block-reduce): the threads' partial results meet in shared
# memory, with a barrier after each step of the tree.
REDUCTIONS = ["layernorm", "reduce_all", "reduce_mean", "softmax",
              "softmax_wide"]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_combines_in_shared_memory(ptx, name, arch):
    out, stderr = ptx[(name, arch)]
    assert out is not None, stderr
    text = out.read_text()
    assert ".shared .align" in text, f"{name} {arch}: no shared memory"
    for instruction in ("st.shared.", "ld.shared.", "bar.sync"):
        assert instruction in text, f"{name} {arch}: no {instruction}"


def _elf_symbol_bytes(path: Path, symbol: str) -> bytes:
    """The bytes of a defined dynamic symbol of an ELF64 shared library."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strings = sections[link]
        for at in range(offset, offset + size, entsize):
            name, _, _, shndx, value, length = struct.unpack_from(
                "<IBBHQQ", data, at)
            end = data.index(b"\0", strings[4] + name)
            if data[strings[4] + name:end].decode() != symbol or shndx == 0:
                continue
            section = sections[shndx]
            start = section[4] + value - section[3]
            return data[start:start + length]
    raise AssertionError(f"{path.name} does not export {symbol}")


def _elf_sections(path: Path) -> dict:
    """Section name -> (type, size) of an ELF64 file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    names = sections[shstrndx][4]
    result = {}
    for name, kind, _, _, _, size, _, _, _, _ in sections:
        end = data.index(b"\0", names + name)
        result[data[names + name:end].decode()] = (kind, size)
    return result


@lru_cache(maxsize=None)
def cuda_library(workdir: Path, name: str) -> Path:
    out = workdir / f"{name}.cuda.so"
    done = kilnc(model_path(workdir, name), "--target=cuda", "-o", out)
    assert done.returncode == 0, done.stderr
    return out


LIB_MODELS = [p.stem for p in REAL if "opset17" in p.stem] + ["softmax"]


@pytest.mark.parametrize("name", LIB_MODELS)
def test_library_is_a_cuda_module(workdir, name):
    lib = cuda_library(workdir, name)
    assert _elf_symbol_bytes(lib, "kiln_target") == b"cuda\0"
    assert _elf_symbol_bytes(lib, "kiln_abi_version") == struct.pack("<i", 1)
    ldd = subprocess.run(["ldd", str(lib)], capture_output=True, text=True)
    assert ldd.returncode == 0, ldd.stderr
    for forbidden in ("libcuda", "libcudart", "libMLIR", "libLLVM"):
        assert forbidden not in ldd.stdout, ldd.stdout
    # The constructor that loads the kernels must be in .init_array: the
    # loader ignores .ctors in a shared library, and every launch would then
    # find its module not loaded.
    sections = _elf_sections(lib)
    assert ".ctors" not in sections
    assert sections.get(".init_array", (0, 0))[1] >= 8, sorted(sections)


def test_rejects_bad_arch(workdir):
    done = kilnc(model_path(workdir, "softmax"), "--target=cuda",
                 "--cuda-arch=sm_52", "--emit=ptx")
    assert done.returncode != 0
    assert "unknown CUDA architecture 'sm_52'" in done.stderr


def random_inputs(path: Path, out: Path) -> Path:
    model = onnx.load(str(path))
    rng = np.random.default_rng(0)
    initializers = {i.name for i in model.graph.initializer}
    arrays = {}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else 2
                for d in value.type.tensor_type.shape.dim]
        arrays[value.name] = rng.standard_normal(dims).astype(np.float32)
    np.savez(out, **arrays)
    return out


@lru_cache(maxsize=None)
def cuda_device_error(workdir: Path) -> str:
    """Why CUDA modules cannot run here ('' when a GPU runs one): what
    `kiln-run --device cuda` says about the softmax model."""
    lib = cuda_library(workdir, "softmax")
    inputs = random_inputs(model_path(workdir, "softmax"),
                           workdir / "probe.npz")
    done = subprocess.run([str(KILN_RUN), str(lib), "--inputs", str(inputs),
                           "--device", "cuda"],
                          capture_output=True, text=True, timeout=120)
    return "" if done.returncode == 0 else done.stderr.strip()


def test_kiln_run_without_gpu_says_no_device(workdir):
    reason = cuda_device_error(workdir)
    if not reason:
        pytest.skip("a CUDA device is available here")
    assert "no CUDA device" in reason, reason


@pytest.mark.parametrize("name", NAMES)
def test_gpu_matches_cpu(workdir, name):
    reason = cuda_device_error(workdir)
    if reason:
        pytest.skip(f"no GPU run: {reason}")
    path = model_path(workdir, name)
    cpu = workdir / f"{name}.cpu.so"
    done = kilnc(path, "-o", cpu)
    assert done.returncode == 0, done.stderr
    gpu = cuda_library(workdir, name)
    inputs = random_inputs(path, workdir / f"{name}.in.npz")
    results = {}
    for device, lib in (("cpu", cpu), ("cuda", gpu)):
        out = workdir / f"{name}.{device}.npz"
        done = subprocess.run([str(KILN_RUN), str(lib), "--inputs",
                               str(inputs), "--outputs", str(out),
                               "--device", device],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        results[device] = dict(np.load(out))
    assert results["cpu"].keys() == results["cuda"].keys()
    for key, expected in results["cpu"].items():
        np.testing.assert_allclose(results["cuda"][key], expected, rtol=1e-3,
                                   atol=1e-4, err_msg=f"{name}: {key}")
