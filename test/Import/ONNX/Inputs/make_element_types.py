#!/usr/bin/env python3
"""Writes the models of element-types.test into element-types/.

The ONNX text syntax of the ONNX library Kiln links (1.12) has no names for
the float8, 4-bit, 2-bit and 6-bit element types, so these models are
binary. Run with the `onnx` Python package (1.18 or newer) to regenerate:

  python3 make_element_types.py
"""

from pathlib import Path

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parent / "element-types"


def raw(name, data_type, values, np_dtype):
    """A tensor in raw_data, packed as ONNX packs its type."""
    array = np.array(values, dtype=np.float32).astype(np_dtype)
    return helper.make_tensor(name, data_type, array.shape, array, raw=True)


def int32_field(name, data_type, dims, entries):
    """A tensor whose int32_data holds `entries` as they are."""
    tensor = TensorProto(name=name, data_type=data_type, dims=dims)
    tensor.int32_data.extend(entries)
    return tensor


def constants_model():
    inits = [
        # Packed two to a byte, low nibble first; an odd count pads.
        raw("i4", TensorProto.INT4, [1, -2, 7, -8, 0], ml_dtypes.int4),
        # int32_data holds packed bytes: (15, 0) and (9, pad).
        int32_field("u4", TensorProto.UINT4, [3], [0x0F, 0x09]),
        # Four to a byte, lowest bits first.
        raw("u2", TensorProto.UINT2, [3, 0, 1, 2, 3], ml_dtypes.uint2),
        # -2, 1, -1 as 2-bit codes 2, 1, 3 in one byte.
        int32_field("i2", TensorProto.INT2, [3], [2 | 1 << 2 | 3 << 4]),
        raw("f8e4m3fn", TensorProto.FLOAT8E4M3FN, [1.0, -448.0, 0.5],
            ml_dtypes.float8_e4m3fn),
        # One bit pattern per int32_data entry: 0.5 and -inf.
        int32_field("f8e5m2", TensorProto.FLOAT8E5M2, [2], [0x38, 0xFC]),
        raw("f8e4m3fnuz", TensorProto.FLOAT8E4M3FNUZ, [2.0, -240.0],
            ml_dtypes.float8_e4m3fnuz),
        raw("f8e5m2fnuz", TensorProto.FLOAT8E5M2FNUZ, [0.25, 57344.0],
            ml_dtypes.float8_e5m2fnuz),
        raw("f4", TensorProto.FLOAT4E2M1, [0.5, -6.0, 3.0],
            ml_dtypes.float4_e2m1fn),
        raw("e8m0", TensorProto.FLOAT8E8M0, [1.0, 0.25],
            ml_dtypes.float8_e8m0fnu),
        # Four 6-bit values in three bytes, an LSB-first bitstream.
        raw("f6e2m3", TensorProto.FLOAT6E2M3, [1.0, -7.5, 0.125, 2.0],
            ml_dtypes.float6_e2m3fn),
        # int32_data holds one 6-bit code per entry: 1.0, 28.0, -0.25.
        int32_field("f6e3m2", TensorProto.FLOAT6E3M2, [3],
                    [0b001100, 0b011111, 0b100100]),
        # More elements than Kiln inlines: a dense_resource blob.
        raw("f8big", TensorProto.FLOAT8E4M3FN, [0.5] * 20,
            ml_dtypes.float8_e4m3fn),
    ]
    outputs = [
        helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
        for t in inits
    ]
    graph = helper.make_graph([], "narrow_constants", [], outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])


def casts_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    like = helper.make_tensor_value_info("like", TensorProto.INT4, [4])
    f8 = helper.make_tensor_value_info("f8", TensorProto.FLOAT8E5M2FNUZ, [4])
    nodes = [
        # saturate defaults to 1 for float8 targets.
        helper.make_node("Cast", ["x"], ["sat"], to=TensorProto.FLOAT8E4M3FN),
        helper.make_node("Cast", ["x"], ["nosat"], to=TensorProto.FLOAT8E5M2,
                         saturate=0),
        # saturate does not apply to other targets.
        helper.make_node("Cast", ["x"], ["u4"], to=TensorProto.UINT4),
        helper.make_node("CastLike", ["x", "like"], ["i4"]),
        helper.make_node("Cast", ["x"], ["e8m0"], to=TensorProto.FLOAT8E8M0,
                         round_mode="up"),
        helper.make_node("Cast", ["f8"], ["back"], to=TensorProto.FLOAT16),
    ]
    outputs = [
        helper.make_tensor_value_info("sat", TensorProto.FLOAT8E4M3FN, [4]),
        helper.make_tensor_value_info("nosat", TensorProto.FLOAT8E5M2, [4]),
        helper.make_tensor_value_info("u4", TensorProto.UINT4, [4]),
        helper.make_tensor_value_info("i4", TensorProto.INT4, [4]),
        helper.make_tensor_value_info("e8m0", TensorProto.FLOAT8E8M0, [4]),
        helper.make_tensor_value_info("back", TensorProto.FLOAT16, [4]),
    ]
    graph = helper.make_graph(nodes, "casts", [x, like, f8], outputs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])


def round_mode_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT8E8M0, [4])
    node = helper.make_node("Cast", ["x"], ["y"], name="to_e8m0",
                            to=TensorProto.FLOAT8E8M0, round_mode="nearest")
    graph = helper.make_graph([node], "round_mode", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])


def main():
    OUT.mkdir(exist_ok=True)
    for name, model in [("narrow-constants", constants_model()),
                        ("casts", casts_model()),
                        ("round-mode", round_mode_model())]:
        onnx.save(model, OUT / f"{name}.onnx")


if __name__ == "__main__":
    main()
