#!/usr/bin/env python3
"""Writes the malformed ONNX models that the importer's error tests and its
fuzzer seed corpus use. Each file holds one defect; the lit tests in
test/Import/ONNX/malformed-*.test check the message for each.

Run from anywhere: make_malformed.py [OUT_DIR] (default: the malformed/
folder beside this script). Needs the `onnx` Python package.
"""

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else \
    Path(__file__).resolve().parent / "malformed"


def model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              initializer=list(initializers))
    m = helper.make_model(graph,
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def tensor(name, dims, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, dims)


def raw_tensor(name, dims, raw):
    """A float tensor whose dims need not match its data."""
    t = onnx.TensorProto()
    t.name, t.data_type, t.raw_data = name, TensorProto.FLOAT, raw
    t.dims.extend(dims)
    return t


def save(name, m):
    data = m if isinstance(m, bytes) else m.SerializeToString()
    (OUT / name).write_bytes(data)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    x, y = tensor("x", [2, 3]), tensor("y", [2, 3])
    valid = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                  [x], [y],
                  [numpy_helper.from_array(np.ones((2, 3), np.float32), "w")])
    save("valid.onnx", valid)

    # A valid model cut short.
    blob = valid.SerializeToString()
    save("truncated.onnx", blob[:len(blob) // 2])

    # Dims: negative, and an initializer whose data does not fill its dims.
    save("negative-dim.onnx", model(
        [helper.make_node("Relu", ["x"], ["y"])], [tensor("x", [2, -3])], [y]))
    short = numpy_helper.from_array(np.ones((5,), np.float32), "w")
    del short.dims[:]
    short.dims.extend([2, 3])
    save("data-size-mismatch.onnx", model(
        [helper.make_node("Add", ["x", "w"], ["y"])], [x], [y], [short]))

    # Element types that do not go together.
    save("type-mismatch.onnx", model(
        [helper.make_node("Add", ["x", "n"], ["y"], name="add")],
        [x, tensor("n", [2, 3], TensorProto.INT64)], [y]))

    # Shapes that do not broadcast.
    save("shape-mismatch.onnx", model(
        [helper.make_node("Add", ["x", "z"], ["y"], name="add")],
        [x, tensor("z", [4, 5])], [y]))

    # A cycle, and a node reading a value nothing defines.
    save("cycle.onnx", model(
        [helper.make_node("Relu", ["b"], ["a"], name="first"),
         helper.make_node("Relu", ["a"], ["b"], name="second"),
         helper.make_node("Add", ["x", "a"], ["y"], name="add")], [x], [y]))
    save("undefined-input.onnx", model(
        [helper.make_node("Relu", ["nowhere"], ["y"], name="relu")], [x], [y]))
    save("undefined-output.onnx", model(
        [helper.make_node("Relu", ["x"], ["r"], name="relu")], [x], [y]))

    # Declared sizes far beyond any data: 2^40 x 2^40 floats, and dims whose
    # product overflows 64 bits.
    huge = raw_tensor("w", [1 << 40, 1 << 40], b"\0" * 16)
    save("huge-initializer.onnx", model(
        [helper.make_node("Add", ["x", "w"], ["y"])], [x], [y], [huge]))
    overflow = raw_tensor("w", [1 << 62, 1 << 62, 4], b"")
    save("overflow-dims.onnx", model(
        [helper.make_node("Add", ["x", "w"], ["y"])], [x], [y], [overflow]))

    # External data: a path that leaves the model's folder, an absolute
    # path, and an offset/length beyond the data file.
    def external(location, offset=0, length=24):
        t = onnx.TensorProto()
        t.name, t.data_type = "w", TensorProto.FLOAT
        t.dims.extend([2, 3])
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", str(offset)),
                           ("length", str(length))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        return model([helper.make_node("Add", ["x", "w"], ["y"])],
                     [x], [y], [t])
    (OUT / "weights.bin").write_bytes(np.ones(6, np.float32).tobytes())
    save("external-ok.onnx", external("weights.bin"))
    save("external-escape.onnx", external("../../secret.bin"))
    save("external-absolute.onnx", external("/etc/passwd"))
    save("external-beyond-file.onnx", external("weights.bin", offset=16))
    save("external-missing.onnx", external("no-such-file.bin"))

    # An opset outside the range Kiln imports, and a graph with no opset.
    save("opset-too-new.onnx", model(
        [helper.make_node("Relu", ["x"], ["y"])], [x], [y], opset=99))


if __name__ == "__main__":
    main()
