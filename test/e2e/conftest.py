"""Fixtures shared by the e2e test files."""

from pathlib import Path

import pytest


@pytest.fixture
def failing_build(tmp_path) -> Path:
    """A build folder whose kilnc and kiln-run fail with a compiler error,
    for checking how a script reports a Kiln that cannot compile."""
    bin_dir = tmp_path / "fake-build" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("kilnc", "kiln-run"):
        (bin_dir / tool).write_text("#!/bin/sh\necho 'kilnc: error: no such "
                                    "pass (on purpose)' >&2\nexit 1\n")
        (bin_dir / tool).chmod(0o755)
    return bin_dir.parent
