#!/usr/bin/env python3
# ===- benchmarks/gpu.py - Kiln's CUDA modules against cuBLAS and PyTorch -=== #
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
# ===-------------------------------------------------------------------=== #
"""Times Kiln's CUDA modules next to their peers, in one run on one GPU.

  matmul-1024   [1024,1024] x [1024,1024]  vs cuBLAS (torch.matmul, fp32)
  matmul-4096   [4096,4096] x [4096,4096]  vs cuBLAS
  matmul-ffn    [4096,768] x [768,3072]    vs cuBLAS (a transformer's FFN
                                           up projection, 32 sequences of 128)
  resnet18-b32  ResNet-18 at batch 32      vs PyTorch eager (torchvision), or
                                           onnxruntime's CUDA provider

The matmuls take both operands as graph inputs (no 64 MB weights in the
library). Each model is compiled with `kilnc --target=cuda` and timed with
`kiln-run --device cuda --bench N`, whose median includes copying the inputs
to the GPU and the outputs back (the module ABI takes host buffers). The
peers are timed both ways: on the GPU alone (CUDA events), and with the
same host copies as Kiln, so the table gives the ratio that compares like
with like and the fraction of cuBLAS's on-GPU throughput.

  benchmarks/gpu.py [--runs N] [--json FILE] [--build-dir DIR] [--list]
  benchmarks/gpu.py --compile-only DIR     # compile here, time elsewhere
  benchmarks/gpu.py --prebuilt DIR         # time what --compile-only made

Without a CUDA GPU, or without PyTorch, the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as bench_run  # noqa: E402  (benchmarks/run.py's helpers)

ROOT = HERE.parent
BATCH = 32
# name -> (m, k, n) for the matmuls.
MATMULS = {
    "matmul-1024": (1024, 1024, 1024),
    "matmul-4096": (4096, 4096, 4096),
    "matmul-ffn": (4096, 768, 3072),
}
NAMES = list(MATMULS) + ["resnet18-b32"]


def progress(message: str) -> None:
    bench_run.progress(message)


def matmul_model(name: str, m: int, k: int, n: int):
    import onnx
    from onnx import TensorProto, helper

    models = bench_run.load_models()
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["output"])], name,
        [models.float_input("a", [m, k]), models.float_input("b", [k, n])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [m, n])])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", models.OPSET)])
    model.ir_version = models.IR_VERSION
    onnx.checker.check_model(model)
    return model


def resnet18_batch(batch: int):
    """benchmarks/models.py's ResNet-18 with its batch dimension set."""
    models = bench_run.load_models()
    model = models.resnet18("resnet18")
    for value in (*model.graph.input, *model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_value = batch
    return model


def build_model(name: str):
    if name in MATMULS:
        return matmul_model(name, *MATMULS[name])
    return resnet18_batch(BATCH)


def inputs_for(name: str) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    if name in MATMULS:
        m, k, n = MATMULS[name]
        return {"a": rng.standard_normal((m, k)).astype(np.float32),
                "b": rng.standard_normal((k, n)).astype(np.float32)}
    return {"x": rng.standard_normal((BATCH, 3, 224, 224)).astype(np.float32)}


def flops(name: str) -> float:
    if name in MATMULS:
        m, k, n = MATMULS[name]
        return 2.0 * m * k * n
    return 2.0 * BATCH * bench_run.load_models().SPECS["resnet18"].macs


def compile_all(folder: Path, build: Path, arch: str) -> Dict[str, str]:
    """Writes <folder>/<name>.onnx and <name>.cuda.so; returns the errors."""
    folder.mkdir(parents=True, exist_ok=True)
    errors = {}
    for name in NAMES:
        model_path = folder / f"{name}.onnx"
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.",
                                         suffix=".tmp", delete=False) as f:
            f.write(build_model(name).SerializeToString())
        Path(f.name).replace(model_path)
        progress(f"compiling {name} for {arch}")
        done = subprocess.run(
            [str(build / "bin" / "kilnc"), str(model_path), "--target=cuda",
             f"--cuda-arch={arch}", "-O3", "-o",
             str(folder / f"{name}.cuda.so")],
            capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            errors[name] = (done.stderr.strip().splitlines() or ["?"])[0]
    return errors


def gpu_missing_reason() -> Optional[str]:
    """Why this machine cannot run the benchmark, or None."""
    try:
        import torch
    except ImportError:
        return "PyTorch is not importable, so there is no cuBLAS peer"
    if not torch.cuda.is_available():
        return "no CUDA GPU is visible to PyTorch"
    return None


def time_kiln(folder: Path, name: str, build: Path, runs: int) -> Dict:
    inputs = folder / f"{name}.inputs.npz"
    bench_run.save_npz_atomically(inputs, inputs_for(name))
    kiln_run = build / "bin" / "kiln-run"
    if not kiln_run.exists():
        kiln_run = folder / "kiln-run"
    done = subprocess.run(
        [str(kiln_run), str(folder / f"{name}.cuda.so"), "--inputs",
         str(inputs), "--device", "cuda", "--bench", str(runs)],
        capture_output=True, text=True, timeout=1800)
    inputs.unlink()
    match = bench_run.BENCH_LINE.search(done.stdout + done.stderr)
    if done.returncode != 0 or not match:
        error = (done.stderr.strip().splitlines() or ["no timing printed"])[0]
        return {"error": error}
    return {"ms": float(match.group(1))}


def time_peer(name: str, runs: int) -> Dict:
    """The peer's median on the GPU alone and with the host copies."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    arrays = inputs_for(name)
    if name in MATMULS:
        peer = "cuBLAS (torch.matmul)"

        def step(tensors):
            return torch.matmul(tensors["a"], tensors["b"])
    else:
        try:
            import torchvision
        except ImportError:
            return {"error": "torchvision is not importable"}
        peer = "PyTorch eager (torchvision resnet18)"
        net = torchvision.models.resnet18().cuda().eval()

        def step(tensors):
            with torch.no_grad():
                return net(tensors["x"])
    on_gpu = {k: torch.from_numpy(v).cuda() for k, v in arrays.items()}
    for _ in range(3):
        step(on_gpu)
    torch.cuda.synchronize()
    gpu_ms, copy_ms = [], []
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        step(on_gpu)
        stop.record()
        stop.synchronize()
        gpu_ms.append(start.elapsed_time(stop))
        begin = time.perf_counter()
        step({k: torch.from_numpy(v).cuda() for k, v in arrays.items()}).cpu()
        copy_ms.append((time.perf_counter() - begin) * 1e3)
    return {"peer": peer, "gpu_ms": float(np.median(gpu_ms)),
            "with_copies_ms": float(np.median(copy_ms))}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--cuda-arch", default=None,
                        help="default: the GPU's, else sm_80")
    parser.add_argument("--list", action="store_true",
                        help="print the plan and exit")
    parser.add_argument("--compile-only", type=Path, metavar="DIR")
    parser.add_argument("--prebuilt", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    if args.list:
        for name in NAMES:
            peer = "cuBLAS" if name in MATMULS else "PyTorch eager"
            shape = ("x".join(map(str, MATMULS[name])) if name in MATMULS
                     else f"batch {BATCH}, 224x224")
            print(f"{name:14} {shape:18} kilnc --target=cuda; "
                  f"kiln-run --device cuda --bench {args.runs}; vs {peer}")
        return 0

    build = args.build_dir.resolve()
    if args.compile_only:
        arch = args.cuda_arch or "sm_90"
        errors = compile_all(args.compile_only, build, arch)
        if (build / "bin" / "kiln-run").exists():
            shutil.copy2(build / "bin" / "kiln-run",
                         args.compile_only / "kiln-run")
        for name, error in errors.items():
            print(f"{name}: kilnc failed: {error}")
        return 1 if errors else 0

    reason = gpu_missing_reason()
    if reason:
        print(f"gpu.py: nothing measured: {reason}.")
        return 0
    import torch

    major, minor = torch.cuda.get_device_capability()
    arch = args.cuda_arch or f"sm_{major}{minor}"
    if args.prebuilt:
        folder, errors = args.prebuilt, {}
    else:
        folder = build / "benchmarks" / "gpu"
        errors = compile_all(folder, build, arch)

    rows, results = [], []
    for name in NAMES:
        result = {"model": name, "gflop": flops(name) / 1e9}
        if name in errors:
            result["kiln"] = {"error": f"kilnc failed: {errors[name]}"}
        else:
            progress(f"timing {name} with Kiln")
            result["kiln"] = time_kiln(folder, name, build, args.runs)
        progress(f"timing {name}'s peer")
        result["peer"] = time_peer(name, args.runs)
        results.append(result)
        kiln_ms = result["kiln"].get("ms")
        peer = result["peer"]
        ratio = (kiln_ms / peer["with_copies_ms"]
                 if kiln_ms and "with_copies_ms" in peer else None)
        fraction = (peer["gpu_ms"] / kiln_ms
                    if kiln_ms and "gpu_ms" in peer else None)
        result["kiln_over_peer_with_copies"] = ratio
        result["fraction_of_peer_gpu_throughput"] = fraction
        rows.append([name, bench_run.fmt(kiln_ms),
                     bench_run.fmt(peer.get("with_copies_ms")),
                     bench_run.fmt(peer.get("gpu_ms")),
                     bench_run.fmt(ratio),
                     "-" if fraction is None else f"{fraction:.2f}",
                     result["kiln"].get("error") or peer.get("error") or ""])
    print(f"{torch.cuda.get_device_name()} ({arch}), median of {args.runs}")
    for line in bench_run.table_lines(
            ["model", "Kiln ms", "peer ms (copies)", "peer ms (GPU)",
             "Kiln/peer", "of peer GPU", "note"], rows):
        print(line)
    print("Kiln ms and 'peer ms (copies)' include the host<->GPU copies; "
          "'of peer GPU' is the peer's on-GPU time over Kiln's time.")
    if args.json:
        bench_run.write_atomically(args.json, json.dumps(
            {"device": torch.cuda.get_device_name(), "arch": arch,
             "runs": args.runs, "results": results}, indent=2) + "\n")
    failed = any("error" in r["kiln"] for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
