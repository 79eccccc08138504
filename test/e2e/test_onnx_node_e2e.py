"""Compiles, runs and checks every ONNX backend node-test case end to end.

Each case of the default ONNX domain is compiled with `kilnc` to a shared
library, run with `kiln-run` on the case's inputs, and compared with its
expected outputs (tolerances in onnx_node/node_tests.py). A case listed in
onnx_node/e2e_xfail.txt must fail at some stage without crashing; a listed
case that passes is an unexpected pass and fails, so the list only shrinks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "onnx_node"))
import node_tests  # noqa: E402

BUILD = node_tests.build_dir()
CASES = node_tests.load_cases(BUILD)
REPORT = node_tests.Report(CASES)
DEFAULT = sorted(n for n in CASES if REPORT.in_default_domain(n))
XFAIL = node_tests.read_xfail(node_tests.E2E_XFAIL_FILE)


@pytest.fixture(scope="session")
def results():
    """Every case, compiled and run once, in parallel."""
    return node_tests.run_e2e(BUILD, CASES, DEFAULT)


def test_e2e_xfail_list_names_real_cases():
    unknown = sorted(set(XFAIL) - set(DEFAULT))
    assert not unknown, f"e2e_xfail.txt lists unknown cases: {unknown}"


@pytest.mark.parametrize("name", DEFAULT)
def test_e2e(name, results):
    result = results[name]
    assert not result.crashed, \
        f"{name}: a tool crashed or hung at {result.stage}: {result.message}"
    if name in XFAIL:
        assert not result.passed, (
            f"{name} passes end to end now: remove it from "
            "test/e2e/onnx_node/e2e_xfail.txt")
    else:
        assert result.passed, \
            f"{name} fails at {result.stage}: {result.message}"
