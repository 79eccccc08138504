#!/usr/bin/env python3
"""Writes the ONNX backend node tests to a folder, one folder per case.

The `onnx` wheel carries the node-test generators (onnx/backend/test/case/node)
but not their serialized data. This script runs those generators and writes,
for each case, the layout the ONNX backend test data uses:

    OUT/<case name>/model.onnx
    OUT/<case name>/test_data_set_<i>/{input,output}_<j>.pb

plus OUT/manifest.json, which records the onnx version (so a stale folder is
regenerated when the package changes) and, for each case, its op types,
domains and tolerances.

Usage: generate_cases.py OUT [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path


def tensor_proto(value, name):
    from onnx import TensorProto, numpy_helper
    if isinstance(value, TensorProto):
        return value
    return numpy_helper.from_array(value, name)


def serialize_value(value, value_info):
    """Serializes one input or output; None for sequence/map/optional values,
    which Kiln does not take (their cases fail import anyway)."""
    if not value_info.type.HasField("tensor_type"):
        return None
    return tensor_proto(value, value_info.name).SerializeToString()


def write_case(case, folder: Path) -> dict:
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(case.model.SerializeToString())
    graph = case.model.graph
    for i, (inputs, outputs) in enumerate(case.data_sets or []):
        data_dir = folder / f"test_data_set_{i}"
        data_dir.mkdir()
        for kind, values, infos in (("input", inputs, graph.input),
                                    ("output", outputs, graph.output)):
            for j, value in enumerate(values):
                if j >= len(infos):
                    break
                blob = serialize_value(value, infos[j])
                if blob is not None:
                    (data_dir / f"{kind}_{j}.pb").write_bytes(blob)
    ops = sorted({n.op_type for n in graph.node})
    domains = sorted({n.domain or "ai.onnx" for n in graph.node})
    opsets = {o.domain or "ai.onnx": o.version for o in case.model.opset_import}
    return {"ops": ops, "domains": domains, "opsets": opsets,
            "rtol": case.rtol, "atol": case.atol}


def generate(out: Path) -> None:
    import onnx
    import onnx.backend.test.case.node as node_cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numpy as np
        with np.errstate(all="ignore"):
            cases = node_cases.collect_testcases()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write into a fresh folder beside OUT and rename it into place, so an
    # interrupted run never leaves a half-written set behind.
    staging = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    manifest = {"onnx_version": onnx.__version__, "cases": {}}
    for case in cases:
        manifest["cases"][case.name] = write_case(case, staging / case.name)
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
    if out.exists():
        shutil.rmtree(out)
    os.replace(staging, out)
    print(f"wrote {len(cases)} ONNX node-test cases (onnx {onnx.__version__}) "
          f"to {out}")


def is_current(out: Path) -> bool:
    import onnx
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("onnx_version") == onnx.__version__


def ensure_cases(out: Path, force: bool = False) -> dict:
    """Generates the cases unless OUT already holds them for this onnx
    version; returns the manifest."""
    if force or not is_current(out):
        generate(out)
    return json.loads((out / "manifest.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--force", action="store_true",
                        help="regenerate even if the folder is current")
    args = parser.parse_args()
    ensure_cases(args.out, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
