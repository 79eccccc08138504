#!/usr/bin/env python3
# ===- benchmarks/models.py - The benchmark models ----------------------=== #
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
# ===-------------------------------------------------------------------=== #
"""Builds the ONNX models that benchmarks/run.py measures.

Every model is written with onnx.helper from NumPy random weights drawn with
a fixed seed, so two runs (and two machines) measure the same bytes; no
PyTorch is needed. All are opset 17, batch 1 unless said, float32, with
static shapes:

  matmul-1024        [1024,1024] x [1024,1024]   MatMul, B a weight initializer
  matmul-512         [512,512] x [512,512]       MatMul, B a weight initializer
  matmul-qkv         [128,768] x [768,768]       a transformer's Q/K/V/out projection
  matmul-ffn-up      [128,768] x [768,3072]      a transformer's FFN up projection
  matmul-ffn-down    [128,3072] x [3072,768]     a transformer's FFN down projection
  conv3x3            3x3 conv 64->64 on 56x56, pad 1, with bias (ResNet layer1)
  conv1x1            1x1 conv 256->64 on 56x56, with bias (a bottleneck reduce)
  conv-depthwise     3x3 depthwise conv on 32 channels 112x112, pad 1, with bias
  mlp                784-1024-1024-10 Gemm+Relu, batch 64
  resnet18           ResNet-18, 224x224: Conv+BatchNormalization+Relu as an
                     exporter emits them (BN not folded), BasicBlocks with 1x1
                     strided downsampling shortcuts, MaxPool, GlobalAveragePool,
                     Flatten, Gemm 512->1000
  mobilenetv2        MobileNetV2 1.0, 224x224: inverted residual blocks
                     (1x1 expand, 3x3 depthwise, 1x1 linear project) with
                     Conv+BatchNormalization+Clip(0, 6), 1280-channel head, Gemm
  squeezenet1.1      SqueezeNet 1.1, 224x224: Fire modules (squeeze, 1x1 and
                     3x3 expand, Concat), ceil-mode MaxPool, 1x1 conv classifier
  bert-encoder       one BERT-base encoder layer: sequence 128, hidden 768, 12
                     heads, FFN 3072, post-norm LayerNormalization, Softmax
                     attention, Erf-based GELU (Div, Erf, Add, Mul, Mul) as
                     exporters write it before opset 20's Gelu

The matmuls take A as the graph input and B as an initializer (how a model's
weights reach a MatMul), so a compiler may pre-pack B at compile time, as
onnxruntime does when it creates its session.

As a module: `names()`, `SPECS` (name -> Spec), `build(name, folder)` (writes
<folder>/<name>.onnx atomically, reusing an up-to-date file) and
`make_inputs(name)`. As a command:

  benchmarks/models.py [--out build/benchmarks/models] [--check] [NAME_REGEX]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "benchmarks" / "models"
OPSET = 17
IR_VERSION = 8
# Written into each model's metadata; a cached file with another value is
# rebuilt. Bump it whenever a builder below changes what it writes.
GENERATOR_VERSION = "1"
SEED = 0


class GraphBuilder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self, name: str, seed: int):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: List[onnx.NodeProto] = []
        self.initializers: List[onnx.TensorProto] = []
        self.counts: Dict[str, int] = {}

    def fresh(self, stem: str) -> str:
        count = self.counts.get(stem, 0)
        self.counts[stem] = count + 1
        return f"{stem}_{count}"

    def constant(self, stem: str, array: np.ndarray) -> str:
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, stem: str, shape: Sequence[int], fan_in: int,
               gain: float = 2.0) -> str:
        """A He-scaled random weight, so activations stay near unit size."""
        std = math.sqrt(gain / fan_in)
        array = (self.rng.standard_normal(shape) * std).astype(np.float32)
        return self.constant(stem, array)

    def uniform(self, stem: str, shape: Sequence[int], low: float,
                high: float) -> str:
        array = self.rng.uniform(low, high, shape).astype(np.float32)
        return self.constant(stem, array)

    def op(self, op_type: str, inputs: Sequence[str], stem: str = "",
           outputs: int = 1, **attributes) -> str:
        names = [self.fresh(stem or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names,
                                           name=self.fresh(f"{op_type}_node"),
                                           **attributes))
        return names[0] if outputs == 1 else names

    # Layers, as an exporter writes them.

    def conv(self, x: str, cin: int, cout: int, kernel: int, stride: int = 1,
             pad: int = 0, group: int = 1, bias: bool = True) -> str:
        fan_in = cin // group * kernel * kernel
        inputs = [x, self.weight("conv_w", [cout, cin // group, kernel, kernel],
                                 fan_in)]
        if bias:
            inputs.append(self.uniform("conv_b", [cout], -0.1, 0.1))
        return self.op("Conv", inputs, "conv", kernel_shape=[kernel, kernel],
                       strides=[stride, stride], pads=[pad] * 4,
                       dilations=[1, 1], group=group)

    def batch_norm(self, x: str, channels: int) -> str:
        scale = self.uniform("bn_scale", [channels], 0.5, 1.0)
        shift = self.uniform("bn_bias", [channels], -0.1, 0.1)
        mean = self.uniform("bn_mean", [channels], -0.1, 0.1)
        var = self.uniform("bn_var", [channels], 0.5, 1.5)
        return self.op("BatchNormalization", [x, scale, shift, mean, var], "bn",
                       epsilon=1e-5, momentum=0.9)

    def conv_bn(self, x: str, cin: int, cout: int, kernel: int,
                stride: int = 1, pad: int = 0, group: int = 1) -> str:
        """Conv (no bias) then BatchNormalization, as in torchvision."""
        return self.batch_norm(
            self.conv(x, cin, cout, kernel, stride, pad, group, bias=False),
            cout)

    def relu6(self, x: str) -> str:
        low = self.constant("clip_min", np.array(0.0, np.float32))
        high = self.constant("clip_max", np.array(6.0, np.float32))
        return self.op("Clip", [x, low, high], "relu6")

    def gemm(self, x: str, fan_in: int, fan_out: int) -> str:
        """A Linear layer: Gemm with transB=1, the exporter's form."""
        w = self.weight("fc_w", [fan_out, fan_in], fan_in)
        b = self.uniform("fc_b", [fan_out], -0.1, 0.1)
        return self.op("Gemm", [x, w, b], "fc", alpha=1.0, beta=1.0, transB=1)

    def classifier_head(self, x: str, channels: int, classes: int) -> str:
        pooled = self.op("GlobalAveragePool", [x], "pool")
        flat = self.op("Flatten", [pooled], "flatten", axis=1)
        return self.gemm(flat, channels, classes)

    def finish(self, inputs: Sequence[onnx.ValueInfoProto], output: str,
               output_shape: Sequence[int]) -> onnx.ModelProto:
        self.nodes.append(helper.make_node("Identity", [output], ["output"],
                                           name="output_node"))
        graph = helper.make_graph(
            self.nodes, self.name, list(inputs),
            [helper.make_tensor_value_info("output", TensorProto.FLOAT,
                                           list(output_shape))],
            self.initializers)
        model = helper.make_model(
            graph, producer_name="kiln-benchmarks",
            opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        helper.set_model_props(model, {"kiln_benchmark": self.name,
                                       "generator_version": GENERATOR_VERSION})
        return model


def float_input(name: str, shape: Sequence[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


# The models.


def matmul(name: str, m: int, k: int, n: int) -> onnx.ModelProto:
    g = GraphBuilder(name, SEED)
    b = g.weight("b", [k, n], k, gain=1.0)
    y = g.op("MatMul", ["a", b], "y")
    return g.finish([float_input("a", [m, k])], y, [m, n])


def conv_layer(name: str, cin: int, cout: int, kernel: int, size: int,
               group: int = 1) -> onnx.ModelProto:
    g = GraphBuilder(name, SEED)
    y = g.conv("x", cin, cout, kernel, 1, kernel // 2, group, bias=True)
    return g.finish([float_input("x", [1, cin, size, size])], y,
                    [1, cout, size, size])


def mlp(name: str) -> onnx.ModelProto:
    g = GraphBuilder(name, SEED)
    x = "x"
    widths = [784, 1024, 1024, 10]
    for i in range(len(widths) - 1):
        x = g.gemm(x, widths[i], widths[i + 1])
        if i + 2 < len(widths):
            x = g.op("Relu", [x], "relu")
    return g.finish([float_input("x", [64, 784])], x, [64, 10])


def resnet18(name: str) -> onnx.ModelProto:
    g = GraphBuilder(name, SEED)
    x = g.op("Relu", [g.conv_bn("x", 3, 64, 7, 2, 3)], "relu")
    x = g.op("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2],
             pads=[1, 1, 1, 1])
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        for block in range(2):
            s = stride if block == 0 else 1
            y = g.op("Relu", [g.conv_bn(x, cin, cout, 3, s, 1)], "relu")
            y = g.conv_bn(y, cout, cout, 3, 1, 1)
            shortcut = x
            if s != 1 or cin != cout:
                shortcut = g.conv_bn(x, cin, cout, 1, s, 0)
            x = g.op("Relu", [g.op("Add", [y, shortcut], "add")], "relu")
            cin = cout
    y = g.classifier_head(x, 512, 1000)
    return g.finish([float_input("x", [1, 3, 224, 224])], y, [1, 1000])


def mobilenetv2(name: str) -> onnx.ModelProto:
    g = GraphBuilder(name, SEED)
    x = g.relu6(g.conv_bn("x", 3, 32, 3, 2, 1))
    cin = 32
    # torchvision's inverted residual setting: expansion t, channels c,
    # repeats n, first stride s.
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                       (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x
            if t != 1:
                y = g.relu6(g.conv_bn(y, cin, hidden, 1))
            y = g.relu6(g.conv_bn(y, hidden, hidden, 3, stride, 1, hidden))
            y = g.conv_bn(y, hidden, c, 1)
            if stride == 1 and cin == c:
                y = g.op("Add", [x, y], "add")
            x, cin = y, c
    x = g.relu6(g.conv_bn(x, 320, 1280, 1))
    y = g.classifier_head(x, 1280, 1000)
    return g.finish([float_input("x", [1, 3, 224, 224])], y, [1, 1000])


def squeezenet11(name: str) -> onnx.ModelProto:
    g = GraphBuilder(name, SEED)

    def relu_conv(x, cin, cout, kernel, stride=1, pad=0):
        return g.op("Relu", [g.conv(x, cin, cout, kernel, stride, pad)], "relu")

    def fire(x, cin, squeeze, expand1, expand3):
        s = relu_conv(x, cin, squeeze, 1)
        return g.op("Concat", [relu_conv(s, squeeze, expand1, 1),
                               relu_conv(s, squeeze, expand3, 3, 1, 1)],
                    "concat", axis=1)

    def pool(x):
        return g.op("MaxPool", [x], "maxpool", kernel_shape=[3, 3],
                    strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=1)

    x = pool(relu_conv("x", 3, 64, 3, 2))
    x = fire(x, 64, 16, 64, 64)
    x = pool(fire(x, 128, 16, 64, 64))
    x = fire(x, 128, 32, 128, 128)
    x = pool(fire(x, 256, 32, 128, 128))
    x = fire(x, 256, 48, 192, 192)
    x = fire(x, 384, 48, 192, 192)
    x = fire(x, 384, 64, 256, 256)
    x = fire(x, 512, 64, 256, 256)
    x = relu_conv(x, 512, 1000, 1)
    x = g.op("GlobalAveragePool", [x], "pool")
    y = g.op("Flatten", [x], "flatten", axis=1)
    return g.finish([float_input("x", [1, 3, 224, 224])], y, [1, 1000])


def bert_encoder(name: str, seq: int = 128, hidden: int = 768,
                 heads: int = 12, ffn: int = 3072) -> onnx.ModelProto:
    g = GraphBuilder(name, SEED)
    head = hidden // heads

    def shape(dims):
        return g.constant("shape", np.array(dims, np.int64))

    def scalar(stem, value):
        return g.constant(stem, np.array(value, np.float32))

    def linear(x, fan_in, fan_out):
        w = g.weight("w", [fan_in, fan_out], fan_in, gain=1.0)
        b = g.uniform("b", [fan_out], -0.1, 0.1)
        return g.op("Add", [g.op("MatMul", [x, w], "matmul"), b], "add")

    def layer_norm(x):
        scale = g.uniform("ln_scale", [hidden], 0.5, 1.5)
        shift = g.uniform("ln_bias", [hidden], -0.1, 0.1)
        return g.op("LayerNormalization", [x, scale, shift], "layernorm",
                    axis=-1, epsilon=1e-12)

    def split_heads(x, perm):
        y = g.op("Reshape", [x, shape([1, seq, heads, head])], "reshape")
        return g.op("Transpose", [y], "transpose", perm=perm)

    x = "x"
    q = split_heads(linear(x, hidden, hidden), [0, 2, 1, 3])
    k = split_heads(linear(x, hidden, hidden), [0, 2, 3, 1])
    v = split_heads(linear(x, hidden, hidden), [0, 2, 1, 3])
    scores = g.op("Div", [g.op("MatMul", [q, k], "scores"),
                          scalar("sqrt_head", math.sqrt(head))], "scaled")
    probs = g.op("Softmax", [scores], "softmax", axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [probs, v], "context")],
                   "transpose", perm=[0, 2, 1, 3])
    context = g.op("Reshape", [context, shape([1, seq, hidden])], "reshape")
    x = layer_norm(g.op("Add", [linear(context, hidden, hidden), x], "add"))
    h = linear(x, hidden, ffn)
    # GELU(h) = h * 0.5 * (1 + erf(h / sqrt(2))).
    erf = g.op("Erf", [g.op("Div", [h, scalar("sqrt2", math.sqrt(2.0))],
                            "div")], "erf")
    gelu = g.op("Mul", [g.op("Mul", [h, g.op("Add", [erf, scalar("one", 1.0)],
                                               "add")], "mul"),
                        scalar("half", 0.5)], "gelu")
    y = layer_norm(g.op("Add", [linear(gelu, ffn, hidden), x], "add"))
    return g.finish([float_input("x", [1, seq, hidden])], y, [1, seq, hidden])


@dataclass(frozen=True)
class Spec:
    """One benchmark model."""

    builder: Callable[[str], onnx.ModelProto]
    # "kernel" (one op), "mlp" or "network"; the geometric mean covers the
    # networks and the MLP.
    kind: str
    # Multiply-accumulates of one run, for GFLOP/s (2 FLOPs each).
    macs: int
    # Skipped by run.py --quick.
    large: bool = False


def _conv_macs(cin, cout, kernel, size, group=1):
    return size * size * cout * (cin // group) * kernel * kernel


SPECS: Dict[str, Spec] = {
    "matmul-1024": Spec(lambda n: matmul(n, 1024, 1024, 1024), "kernel",
                        1024**3, large=True),
    "matmul-512": Spec(lambda n: matmul(n, 512, 512, 512), "kernel", 512**3),
    "matmul-qkv": Spec(lambda n: matmul(n, 128, 768, 768), "kernel",
                       128 * 768 * 768),
    "matmul-ffn-up": Spec(lambda n: matmul(n, 128, 768, 3072), "kernel",
                          128 * 768 * 3072),
    "matmul-ffn-down": Spec(lambda n: matmul(n, 128, 3072, 768), "kernel",
                            128 * 3072 * 768),
    "conv3x3": Spec(lambda n: conv_layer(n, 64, 64, 3, 56), "kernel",
                    _conv_macs(64, 64, 3, 56)),
    "conv1x1": Spec(lambda n: conv_layer(n, 256, 64, 1, 56), "kernel",
                    _conv_macs(256, 64, 1, 56)),
    "conv-depthwise": Spec(lambda n: conv_layer(n, 32, 32, 3, 112, group=32),
                           "kernel", _conv_macs(32, 32, 3, 112, 32)),
    "mlp": Spec(mlp, "mlp", 64 * (784 * 1024 + 1024 * 1024 + 1024 * 10)),
    "resnet18": Spec(resnet18, "network", 1_814_000_000, large=True),
    "mobilenetv2": Spec(mobilenetv2, "network", 300_000_000),
    "squeezenet1.1": Spec(squeezenet11, "network", 350_000_000),
    "bert-encoder": Spec(bert_encoder, "network",
                         128 * 768 * 768 * 4 + 2 * 128 * 768 * 3072 +
                         2 * 12 * 128 * 128 * 64, large=True),
}


def names(pattern: Optional[str] = None,
          large: Optional[bool] = None) -> List[str]:
    """The model names, in benchmark order, that `pattern` searches into
    (and, when `large` is given, whose Spec.large is that)."""
    regex = re.compile(pattern) if pattern else None
    return [n for n, s in SPECS.items()
            if (regex is None or regex.search(n))
            and (large is None or s.large == large)]


def _is_current(path: Path, name: str) -> bool:
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:
        return False
    props = {p.key: p.value for p in model.metadata_props}
    return (props.get("kiln_benchmark") == name
            and props.get("generator_version") == GENERATOR_VERSION)


def build(name: str, folder: Path = DEFAULT_OUT, force: bool = False) -> Path:
    """Writes model `name` to <folder>/<name>.onnx, unless an up-to-date
    file is there already, and returns its path. The file is written to a
    temporary name in the same folder and renamed, so a reader never sees
    half a model."""
    if name not in SPECS:
        raise KeyError(f"unknown benchmark model '{name}' (known: "
                       f"{', '.join(SPECS)})")
    folder = Path(folder)
    path = folder / f"{name}.onnx"
    if not force and path.exists() and _is_current(path, name):
        return path
    folder.mkdir(parents=True, exist_ok=True)
    model = SPECS[name].builder(name)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp",
                               dir=str(folder))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def input_shapes(model: onnx.ModelProto) -> Dict[str, List[int]]:
    """The static shape of each graph input that is not an initializer."""
    initializers = {i.name for i in model.graph.initializer}
    shapes = {}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
        shapes[value.name] = dims
    return shapes


def make_inputs(name: str, model: Optional[onnx.ModelProto] = None,
                seed: int = SEED) -> Dict[str, np.ndarray]:
    """Standard-normal float32 inputs for model `name`, from a fixed seed."""
    if model is None:
        model = SPECS[name].builder(name)
    rng = np.random.default_rng(seed + 1)
    return {n: rng.standard_normal(s).astype(np.float32)
            for n, s in input_shapes(model).items()}


def check(path: Path, name: str) -> List[int]:
    """Runs onnx.checker (full check) and one onnxruntime inference on the
    model at `path`; returns the output's shape. Raises on a problem."""
    import onnxruntime as ort

    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    (output,) = session.run(None, make_inputs(name, model))
    if not np.isfinite(output).all():
        raise ValueError(f"{name}: onnxruntime's output is not finite")
    return list(output.shape)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Builds Kiln's benchmark ONNX models.")
    parser.add_argument("pattern", nargs="?", default=None,
                        help="regular expression selecting model names")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder to write into (default {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even the up-to-date files")
    parser.add_argument("--check", action="store_true",
                        help="run onnx.checker and onnxruntime on each")
    parser.add_argument("--list", action="store_true",
                        help="print the model names and exit")
    args = parser.parse_args(argv)
    try:
        selected = names(args.pattern)
    except re.error as error:
        print(f"models.py: error: bad pattern '{args.pattern}': {error}",
              file=sys.stderr)
        return 2
    if args.list:
        print("\n".join(selected))
        return 0
    if not selected:
        print(f"models.py: error: no model matches '{args.pattern}' (known: "
              f"{', '.join(SPECS)})", file=sys.stderr)
        return 2
    status = 0
    for name in selected:
        path = build(name, args.out, args.force)
        line = f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB)"
        if args.check:
            try:
                line += f", checked, output {check(path, name)}"
            except Exception as error:  # Reported, then the next model.
                line += f", CHECK FAILED: {error}"
                status = 1
        print(line, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
