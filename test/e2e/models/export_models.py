#!/usr/bin/env python3
"""Exports the e2e suite's real architectures with PyTorch's ONNX exporter.

Reduced widths keep the committed fixtures small; the structure (and so
every op pattern the exporter emits) is that of the full models:

  resnet          a ResNet (stem, BasicBlocks with downsampling shortcuts,
                  global average pool, linear head)
  mobilenetv2     MobileNetV2 (inverted residuals, depthwise convs, ReLU6)
  squeezenet      SqueezeNet 1.1 (fire modules, ceil-mode max pooling)
  transformer     a transformer encoder layer (nn.TransformerEncoderLayer)
  mlp             an MLP with GELU and LogSoftmax

Each is exported at opsets 13 and 17 as <name>-opset<N>.onnx. The ResNet
and the MLP have a symbolic batch dimension ("batch"), the transformer a
symbolic batch and sequence length.

Run with a Python that has torch (Debian's python3-torch works; it is not
needed to run the tests, which use the committed files):
    python3 test/e2e/models/export_models.py [OUT_DIR]
"""

import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet(nn.Module):
    """ResNet-18's layout ([2, 2, 2, 2] blocks) at widths 4-32."""

    def __init__(self, widths=(4, 8, 16, 32), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 7, 2, 3, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            layers += [BasicBlock(cin, w, 1 if i == 0 else 2),
                       BasicBlock(w, w, 1)]
            cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False),
                       nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden,
                             bias=False),
                   nn.BatchNorm2d(hidden), nn.ReLU6(),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV2(nn.Module):
    """MobileNetV2's block table at an eighth of its widths."""

    def __init__(self, classes=10):
        super().__init__()
        table = [(1, 2, 1, 1), (6, 3, 2, 2), (6, 4, 3, 2), (6, 8, 4, 2),
                 (6, 12, 3, 1), (6, 20, 3, 2), (6, 40, 1, 1)]
        layers, cin = [nn.Conv2d(3, 4, 3, 2, 1, bias=False), nn.BatchNorm2d(4),
                       nn.ReLU6()], 4
        for t, c, n, s in table:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [nn.Conv2d(cin, 160, 1, bias=False), nn.BatchNorm2d(160),
                   nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(160, classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1 = nn.Conv2d(squeeze, expand, 1)
        self.expand3 = nn.Conv2d(squeeze, expand, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1(x)), F.relu(self.expand3(x))], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet 1.1 at a quarter of its widths."""

    def __init__(self, classes=10):
        super().__init__()
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2), nn.ReLU(), pool(),
            Fire(16, 4, 16), Fire(32, 4, 16), pool(),
            Fire(32, 8, 32), Fire(64, 8, 32), pool(),
            Fire(64, 12, 48), Fire(96, 12, 48), Fire(96, 16, 64),
            Fire(128, 16, 64))
        self.classifier = nn.Sequential(nn.Dropout(0.5),
                                        nn.Conv2d(128, classes, 1), nn.ReLU(),
                                        nn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


class Transformer(nn.Module):
    def __init__(self, d_model=32, heads=4, ff=64):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0,
                                                activation="gelu",
                                                batch_first=True)

    def forward(self, x):
        return self.layer(x)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = (nn.Linear(64, 48), nn.Linear(48, 32),
                                        nn.Linear(32, 10))

    def forward(self, x):
        x = F.gelu(self.fc1(x))
        x = F.gelu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=-1)


MODELS = {
    # name: (module, example input, dynamic axes of the input and output)
    "resnet": (ResNet, (2, 3, 32, 32), {0: "batch"}),
    "mobilenetv2": (MobileNetV2, (1, 3, 32, 32), None),
    "squeezenet": (SqueezeNet, (1, 3, 48, 48), None),
    "transformer": (Transformer, (2, 5, 32), {0: "batch", 1: "seq"}),
    "mlp": (MLP, (4, 64), {0: "batch"}),
}


def export(name, opset):
    make, shape, dynamic = MODELS[name]
    torch.manual_seed(0)
    model = make().eval()
    # Non-trivial batch-norm statistics, so folding them is observable.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    x = torch.randn(*shape)
    path = OUT / f"{name}-opset{opset}.onnx"
    axes = {"input": dynamic, "output": {0: dynamic[0]}} if dynamic else None
    if name == "transformer" and dynamic:
        axes["output"] = dynamic
    fd, tmp = tempfile.mkstemp(dir=OUT, suffix=".onnx")
    os.close(fd)
    # Exported with gradients enabled: under no_grad, PyTorch takes the
    # transformer layer's fused fast path, which has no ONNX export.
    torch.onnx.export(model, (x,), tmp, opset_version=opset,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes=axes, do_constant_folding=True)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        for opset in (13, 17):
            export(name, opset)


if __name__ == "__main__":
    main()
