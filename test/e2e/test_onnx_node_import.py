"""Imports every ONNX backend node-test case with kiln-translate.

A case not listed in onnx_node/import_xfail.txt must import to verified
`kiln` IR; a listed one must fail cleanly: an error message and exit
status 1, never a signal or a hang. A listed case that imports is an
unexpected pass and fails, so the list only ever shrinks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "onnx_node"))
import node_tests  # noqa: E402

BUILD = node_tests.build_dir()
CASES = node_tests.load_cases(BUILD)
XFAIL = node_tests.read_xfail()


@pytest.fixture(scope="session")
def results():
    """All imports, run once in parallel."""
    return node_tests.run_imports(BUILD, CASES)


def test_xfail_list_names_real_cases():
    unknown = sorted(set(XFAIL) - set(CASES))
    assert not unknown, f"import_xfail.txt lists unknown cases: {unknown}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_import(name, results):
    result = results[name]
    assert not result.crashed, \
        f"{name}: the importer crashed or hung ({result.message})"
    if name in XFAIL:
        assert not result.imported, (
            f"{name} imports now: remove it from "
            "test/e2e/onnx_node/import_xfail.txt")
        assert result.returncode == 1 and result.message, \
            f"{name} failed without a clear message: {result}"
    else:
        assert result.imported, f"{name} fails to import: {result.message}"
