#!/usr/bin/env python3
"""The `make demo` model: compile it with kilnc, run it with kiln-run, and
compare with onnxruntime.

  demo.py --build-dir build [--work-dir build/demo]

Writes a small image classifier (convolutions with batch norm and ReLU,
max pooling, a residual add, global average pooling, a linear layer and
softmax; symbolic batch) to WORK/demo_cnn.onnx with fixed pseudo-random
weights, compiles it to WORK/demo_cnn.so, runs it on a batch of four random
images through kiln-run and through onnxruntime, and prints the top classes
of each image from both side by side, the largest difference, and both
median latencies (same machine, same inputs, one thread each).
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

CLASSES = 10


def make_model(path: Path) -> None:
    rng = np.random.default_rng(7)

    def weight(name, *shape, scale=None):
        scale = scale or (1.0 / np.sqrt(np.prod(shape[1:]) or 1))
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits, nodes = [], []

    def conv_bn_relu(x, name, cin, cout, stride):
        inits.extend([weight(f"{name}_w", cout, cin, 3, 3),
                      numpy_helper.from_array(
                          rng.uniform(0.5, 1.5, cout).astype(np.float32),
                          f"{name}_scale"),
                      numpy_helper.from_array(
                          rng.uniform(-0.1, 0.1, cout).astype(np.float32),
                          f"{name}_bias"),
                      numpy_helper.from_array(
                          rng.uniform(-0.1, 0.1, cout).astype(np.float32),
                          f"{name}_mean"),
                      numpy_helper.from_array(
                          rng.uniform(0.5, 1.5, cout).astype(np.float32),
                          f"{name}_var")])
        nodes.extend([
            helper.make_node("Conv", [x, f"{name}_w"], [f"{name}_c"],
                             name=f"{name}_conv", pads=[1, 1, 1, 1],
                             strides=[stride, stride]),
            helper.make_node("BatchNormalization",
                             [f"{name}_c", f"{name}_scale", f"{name}_bias",
                              f"{name}_mean", f"{name}_var"], [f"{name}_bn"],
                             name=f"{name}_bn"),
            helper.make_node("Relu", [f"{name}_bn"], [name], name=f"{name}_relu"),
        ])
        return name

    x = conv_bn_relu("image", "stem", 3, 16, 1)
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], name="pool",
                                  kernel_shape=[2, 2], strides=[2, 2]))
    y = conv_bn_relu("pool", "block1", 16, 16, 1)
    y = conv_bn_relu(y, "block2", 16, 16, 1)
    nodes.append(helper.make_node("Add", ["pool", y], ["residual"],
                                  name="residual"))
    z = conv_bn_relu("residual", "down", 16, 32, 2)
    inits.extend([weight("fc_w", 32, CLASSES),
                  numpy_helper.from_array(np.zeros(CLASSES, np.float32),
                                          "fc_b")])
    nodes.extend([
        helper.make_node("GlobalAveragePool", [z], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"],
                         name="fc"),
        helper.make_node("Softmax", ["logits"], ["probabilities"],
                         name="softmax", axis=1),
    ])
    graph = helper.make_graph(
        nodes, "demo_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                       ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                       ["batch", CLASSES])],
        initializer=inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def median_ms(run, repeats=50):
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=Path("build"))
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args()
    bin_dir = args.build_dir.resolve() / "bin"
    work = (args.work_dir or args.build_dir / "demo").resolve()
    work.mkdir(parents=True, exist_ok=True)
    model, library = work / "demo_cnn.onnx", work / "demo_cnn.so"
    inputs, outputs = work / "inputs.npz", work / "outputs.npz"

    make_model(model)
    print(f"model: {model} (conv/batchnorm/relu, max pool, residual add, "
          "global average pool, linear, softmax; symbolic batch)")
    start = time.perf_counter()
    subprocess.run([str(bin_dir / "kilnc"), str(model), "-o", str(library)],
                   check=True)
    print(f"kilnc: compiled to {library} in "
          f"{time.perf_counter() - start:.2f} s")

    images = np.random.default_rng(0).standard_normal(
        (4, 3, 32, 32)).astype(np.float32)
    np.savez(inputs, image=images)
    run = [str(bin_dir / "kiln-run"), str(library), "--inputs", str(inputs),
           "--threads", "1"]
    subprocess.run(run + ["--outputs", str(outputs)], check=True)
    kiln = np.load(outputs)["probabilities"]
    bench = subprocess.run(run + ["--bench", "50"], check=True,
                           capture_output=True, text=True).stdout
    kiln_ms = float(re.search(r"median ([0-9.]+) ms", bench).group(1))

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), options,
                                   providers=["CPUExecutionProvider"])
    reference = session.run(None, {"image": images})[0]
    ort_ms = median_ms(lambda: session.run(None, {"image": images}))

    print("\nimage  Kiln top-3 (class: probability)          "
          "onnxruntime top-3")
    for i in range(len(images)):
        def top(p):
            best = np.argsort(-p)[:3]
            return ", ".join(f"{c}: {p[c]:.4f}" for c in best)
        print(f"{i:5d}  {top(kiln[i]):40s} {top(reference[i])}")
    difference = float(np.abs(kiln - reference).max())
    print(f"\nlargest difference: {difference:.2e}")
    print(f"latency, batch 4, 1 thread (median of 50): Kiln {kiln_ms:.3f} ms,"
          f" onnxruntime {ort_ms:.3f} ms (onnxruntime's includes its Python "
          "call)")
    if not np.allclose(kiln, reference, rtol=1e-3, atol=1e-4):
        print("error: Kiln and onnxruntime disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
