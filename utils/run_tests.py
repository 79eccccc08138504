#!/usr/bin/env python3
# ===- utils/run_tests.py - Run every Kiln test suite -------------------=== #
#
# Part of the Kiln project: a compiler and runtime for neural networks.
#
# ===-------------------------------------------------------------------=== #
"""Runs every Kiln test suite and prints one summary line.

Suites, in order:
  lit     LLVM 22's lit over <build>/test (FileCheck tests of the tools)
  unit    <build>/bin/KilnUnitTests and KilnRuntimeTests (GoogleTest)
  pytest  <venv>/bin/python -m pytest over test/e2e, if it holds test_*.py
          (the ONNX node tests, the real models)
  fuzz    utils/run_fuzzer.sh: the ONNX importer's libFuzzer target for
          at most --fuzz-seconds (default 90; 300000 inputs take about a
          minute); one test, passed when no input
          crashed it

Each suite writes a JUnit-style XML report under <build>/test-results/, and
every report is read by the same parser. A suite that ends without a
readable report (a missing binary, a crash) counts as one failure. Each
suite's own output is streamed as it runs; then comes a table per suite and,
as the very last line, `N passed, N failed` (with `, N skipped` only when
something was skipped).

The exit status is 0 exactly when nothing failed and at least one test ran.
The pytest suite finds the build directory in the KILN_BUILD_DIR environment
variable. Standard library only; run it with the virtual environment's
Python, as `make test` does.
"""

import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = "/opt/kiln/venv"
DEFAULT_LIT = "/usr/lib/llvm-22/bin/lit"

# The GoogleTest binaries in <build>/bin that make up the unit suite.
UNIT_TEST_BINARIES = ("KilnUnitTests", "KilnRuntimeTests")

# pytest's exit status when it collected no tests.
PYTEST_NO_TESTS = 5


@dataclass
class SuiteResult:
    """What one suite did."""

    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    ran: bool = True
    note: str = ""
    failures: List[str] = field(default_factory=list)

    def merge(self, other: "SuiteResult") -> None:
        """Adds the counts and failures of `other`, a part of this suite."""
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures.extend(other.failures)
        if other.note:
            self.note = "; ".join(n for n in (self.note, other.note) if n)

    def fail(self, message: str) -> "SuiteResult":
        """Counts one failure that no report describes, e.g. a crash."""
        self.failed += 1
        self.failures.append(message)
        self.note = message
        return self


def parse_junit_xml(path: Path, result: SuiteResult) -> None:
    """Adds the test cases of a JUnit-style XML report to `result`.

    Handles the reports of lit (--xunit-xml-output), GoogleTest
    (--gtest_output=xml) and pytest (--junitxml) alike: a <testcase> with a
    <failure> or <error> child failed; one with a <skipped> child, or
    GoogleTest's status="notrun" / result="skipped", was skipped; any other
    passed. Raises ET.ParseError or OSError on an unreadable report.
    """
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        name = case.get("name", "?")
        classname = case.get("classname")
        full_name = f"{classname}.{name}" if classname else name
        if tags & {"failure", "error"}:
            result.failed += 1
            result.failures.append(full_name)
        elif ("skipped" in tags or case.get("status") == "notrun"
              or case.get("result") in ("skipped", "suppressed")):
            result.skipped += 1
        else:
            result.passed += 1


def banner(text: str) -> None:
    print(f"\n===== {text} =====", flush=True)


def run_suite(name: str, command: Sequence[str], report: Path,
              missing_hint: str, cwd: Path, env: dict,
              ok_statuses: Sequence[int] = (0, )) -> SuiteResult:
    """Runs one suite, streaming its output, and reads its XML report.

    `ok_statuses` are exit statuses that do not by themselves mean failure
    (beyond 0, pytest's "no tests collected").
    """
    result = SuiteResult(name)
    banner(f"{name}: {' '.join(str(c) for c in command)}")
    executable = Path(command[0])
    if not (executable.is_file() and os.access(executable, os.X_OK)):
        return result.fail(f"{executable} is missing; {missing_hint}")

    report.parent.mkdir(parents=True, exist_ok=True)
    # A report left by an earlier run must not pass for this run's.
    report.unlink(missing_ok=True)
    try:
        status = subprocess.call([str(c) for c in command], cwd=cwd, env=env)
    except OSError as err:
        return result.fail(f"{name} could not start: {err}")

    if status < 0:
        reason = f"was killed by signal {-status}"
    else:
        reason = f"exited with status {status}"
    if status == PYTEST_NO_TESTS and status in ok_statuses:
        result.note = "no tests collected"
        if not report.is_file():
            return result
    if not report.is_file():
        return result.fail(f"{name} {reason} without writing {report}")
    try:
        parse_junit_xml(report, result)
    except (ET.ParseError, OSError) as err:
        return result.fail(f"{name} {reason}; its report {report} is "
                           f"unreadable: {err}")
    if status not in ok_statuses and result.failed == 0:
        # The tool failed although every test it reports passed: count it
        # rather than let a broken run look clean.
        result.fail(f"{name} {reason} although its report lists no failure")
    return result


def run_command_suite(name: str, command: Sequence[str], cwd: Path,
                      env: dict) -> SuiteResult:
    """Runs a suite that is one test: it passes when the command exits 0."""
    result = SuiteResult(name)
    banner(f"{name}: {' '.join(str(c) for c in command)}")
    try:
        status = subprocess.call([str(c) for c in command], cwd=cwd, env=env)
    except OSError as err:
        return result.fail(f"{name} could not start: {err}")
    if status != 0:
        how = (f"was killed by signal {-status}" if status < 0 else
               f"exited with status {status}")
        return result.fail(f"{name} {how}")
    result.passed += 1
    return result


def e2e_tests_present(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob("test_*.py"))


def print_table(results: List[SuiteResult]) -> None:
    banner("summary")
    header = f"{'suite':<8} {'passed':>7} {'failed':>7} {'skipped':>8}  note"
    print(header)
    print("-" * len(header))
    for r in results:
        if r.ran:
            counts = f"{r.passed:>7} {r.failed:>7} {r.skipped:>8}"
        else:
            counts = f"{'-':>7} {'-':>7} {'-':>8}"
        print(f"{r.name:<8} {counts}  {r.note}".rstrip())
    failures = [(r.name, f) for r in results for f in r.failures]
    if failures:
        print("\nFailed:")
        for suite, what in failures:
            print(f"  [{suite}] {what}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    # Running inside a virtual environment means that is the one to use.
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    default_venv = os.environ.get("KILN_VENV") or (
        sys.prefix if in_venv else DEFAULT_VENV)
    parser = argparse.ArgumentParser(
        description="Run Kiln's lit, GoogleTest and pytest suites and print "
        "one summary line.")
    parser.add_argument("--build-dir", default=str(REPO_ROOT / "build"),
                        help="the CMake build directory (default: %(default)s)")
    parser.add_argument("--lit", default=DEFAULT_LIT,
                        help="the lit of LLVM 22 (default: %(default)s)")
    parser.add_argument("--venv", default=default_venv,
                        help="the Python virtual environment holding "
                        "pytest (default: %(default)s)")
    parser.add_argument("--fuzz-seconds", type=int,
                        default=int(os.environ.get("KILN_FUZZ_SECONDS", 90)),
                        help="how long the importer's fuzzer runs; 0 leaves "
                        "it out, and says so (default: %(default)s)")
    args = parser.parse_args(argv)

    build = Path(args.build_dir).resolve()
    venv = Path(args.venv)
    results_dir = build / "test-results"
    env = dict(os.environ, KILN_BUILD_DIR=str(build))
    results: List[SuiteResult] = []

    results.append(
        run_suite("lit", [
            Path(args.lit), "-sv", "--xunit-xml-output",
            results_dir / "lit.xml", build / "test"
        ], results_dir / "lit.xml", "run `make bootstrap`", REPO_ROOT, env))

    # The unit suite is every GoogleTest binary, each with its own report.
    unit = SuiteResult("unit")
    for binary in UNIT_TEST_BINARIES:
        report = results_dir / f"{binary}.xml"
        part = run_suite("unit", [
            build / "bin" / binary, f"--gtest_output=xml:{report}"
        ], report, "build it with `make build`", REPO_ROOT, env)
        unit.merge(part)
    results.append(unit)

    e2e = REPO_ROOT / "test" / "e2e"
    if e2e_tests_present(e2e):
        results.append(
            run_suite("pytest", [
                venv / "bin" / "python", "-m", "pytest", "-q",
                e2e.relative_to(REPO_ROOT),
                f"--junitxml={results_dir / 'pytest.xml'}",
                "-o", f"cache_dir={build / '.pytest_cache'}"
            ],
                      results_dir / "pytest.xml",
                      "run `make bootstrap`",
                      REPO_ROOT,
                      env,
                      ok_statuses=(0, PYTEST_NO_TESTS)))
    else:
        results.append(
            SuiteResult("pytest", ran=False,
                        note="not run: no test/e2e/test_*.py yet"))

    if args.fuzz_seconds > 0:
        results.append(
            run_command_suite("fuzz", [
                "bash", REPO_ROOT / "utils" / "run_fuzzer.sh",
                str(args.fuzz_seconds)
            ], REPO_ROOT, env))
    else:
        results.append(
            SuiteResult("fuzz", ran=False, note="not run: --fuzz-seconds 0"))

    print_table(results)
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(flush=True)
    if passed + failed == 0:
        print("error: no test ran", file=sys.stderr, flush=True)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line, flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
