"""The ONNX backend node tests, run through Kiln.

Shared by the pytest suite (test/e2e/test_onnx_node_import.py) and the
command line (run_node_tests.py). A case is one folder written by
generate_cases.py; running it means importing its model.onnx with
`kiln-translate --import-onnx` and, later, compiling and comparing.

The expected failures live in import_xfail.txt beside this file: one case
name per line, `#` starts a comment. A listed case must fail cleanly (a
message, a non-zero exit, no signal); an unlisted one must import to
verified IR.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
XFAIL_FILE = HERE / "import_xfail.txt"
DEFAULT_DOMAIN = "ai.onnx"
# A node the importer has no converter for: 'name' (OpType, opset N): op not
# supported.
UNSUPPORTED_NODE = re.compile(
    r"\(([A-Za-z0-9_]+), opset \d+\): op not supported")
# Seconds one import may take before it counts as a hang.
IMPORT_TIMEOUT = 120

sys.path.insert(0, str(HERE))
import generate_cases  # noqa: E402


@dataclass
class CaseResult:
    name: str
    returncode: int
    message: str = ""
    # Op types the importer reported as unsupported.
    unsupported: List[str] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return self.returncode == 0

    @property
    def crashed(self) -> bool:
        """A signal, a hang or a tool that would not start, as opposed to a
        clean error exit."""
        return self.returncode < 0 or self.returncode > 128 or \
            self.returncode == -999


@dataclass
class Report:
    manifest: Dict[str, dict]
    results: Dict[str, CaseResult] = field(default_factory=dict)

    def in_default_domain(self, name: str) -> bool:
        domains = self.manifest[name]["domains"]
        return all(d == DEFAULT_DOMAIN for d in domains)


def build_dir() -> Path:
    return Path(os.environ.get("KILN_BUILD_DIR", REPO_ROOT / "build"))


def cases_dir(build: Path) -> Path:
    return build / "onnx-node-cases"


def load_cases(build: Path) -> Dict[str, dict]:
    return generate_cases.ensure_cases(cases_dir(build))["cases"]


def read_xfail(path: Optional[Path] = None) -> Dict[str, str]:
    """Case name -> the reason written after it (may be empty)."""
    listed: Dict[str, str] = {}
    path = path or XFAIL_FILE
    if not path.exists():
        return listed
    for line in path.read_text().splitlines():
        text, _, comment = line.partition("#")
        name = text.strip()
        if name:
            listed[name] = comment.strip()
    return listed


def first_error(stderr: str) -> str:
    """The first error of a run; an error ending in ':' takes the indented
    lines that follow it (the importer's list of unsupported nodes)."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if "error:" not in line:
            continue
        message = line.split("error:", 1)[1].strip()
        if message.endswith(":"):
            rest = []
            for more in lines[i + 1:]:
                if not more.startswith(" "):
                    break
                rest.append(more.strip())
            message += " " + "; ".join(rest)
        return message
    return lines[0].strip() if lines else ""


def import_case(build: Path, name: str) -> CaseResult:
    model = cases_dir(build) / name / "model.onnx"
    # The IR goes to stdout and is dropped: given "-o /dev/null", a failed
    # translation would delete its output file, and as root that is the
    # device itself.
    command = [str(build / "bin" / "kiln-translate"), "--import-onnx",
               str(model)]
    try:
        done = subprocess.run(command, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True,
                              timeout=IMPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return CaseResult(name, -999, f"timed out after {IMPORT_TIMEOUT} s")
    except OSError as err:
        return CaseResult(name, -999, f"could not run kiln-translate: {err}")
    message = first_error(done.stderr)
    if done.returncode != 0 and not message:
        message = f"exit status {done.returncode} without a message"
    unsupported = sorted(set(UNSUPPORTED_NODE.findall(done.stderr)))
    return CaseResult(name, done.returncode, message, unsupported)


def run_imports(build: Path, names: Iterable[str],
                jobs: Optional[int] = None) -> Dict[str, CaseResult]:
    jobs = jobs or max(2, (os.cpu_count() or 2) * 2)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        return {r.name: r for r in pool.map(
            lambda n: import_case(build, n), sorted(names))}


def op_table(report: Report) -> Dict[str, dict]:
    """For each op type of the default domain: the node-test cases that use
    it, how many imported, and the opset versions the cases import."""
    table: Dict[str, dict] = {}
    for name, info in report.manifest.items():
        if not report.in_default_domain(name):
            continue
        result = report.results.get(name)
        for op in info["ops"]:
            row = table.setdefault(op, {"cases": 0, "imported": 0,
                                        "opsets": set(), "failing": []})
            row["cases"] += 1
            row["opsets"].add(info["opsets"].get(DEFAULT_DOMAIN))
            if result and result.imported:
                row["imported"] += 1
            else:
                row["failing"].append(name)
    return table


def summary(report: Report) -> dict:
    default = [n for n in report.manifest if report.in_default_domain(n)]
    imported = [n for n in default if report.results[n].imported]
    return {"default_cases": len(default), "default_imported": len(imported),
            "other_domain_cases": len(report.manifest) - len(default),
            "crashes": sorted(n for n, r in report.results.items()
                              if r.crashed)}


def write_support_doc(report: Report, path: Path,
                      e2e: Optional[Dict[str, "E2EResult"]] = None) -> None:
    """Writes docs/onnx-support.md from a full run (with the end-to-end
    results too, when `e2e` holds them)."""
    import onnx
    import onnx.defs
    stats = summary(report)
    table = op_table(report)
    # Every op of the default domain the installed onnx defines, with the
    # versions in which its schema changed.
    versions: Dict[str, List[int]] = {}
    for schema in onnx.defs.get_all_schemas_with_history():
        if schema.domain == "" and not schema.deprecated:
            versions.setdefault(schema.name, []).append(schema.since_version)
    supported = set(_supported_ops())
    pct = 100.0 * stats["default_imported"] / max(1, stats["default_cases"])
    lines = [
        "# ONNX support",
        "",
        "Generated by `test/e2e/onnx_node/run_node_tests.py --write-docs` "
        f"from a run over the ONNX backend node tests of onnx "
        f"{onnx.__version__}. Do not edit by hand.",
        "",
        f"**Import figure:** {stats['default_imported']} of "
        f"{stats['default_cases']} node-test cases of the default ONNX "
        f"domain ({pct:.1f}%) import to verified `kiln` IR. Cases of other "
        f"domains ({stats['other_domain_cases']}: ai.onnx.ml, "
        "ai.onnx.preview.training) are not counted.",
        "",
        "Kiln imports models of opsets 7 to 28. \"Schema versions\" are the "
        "opsets in which ONNX changed the op; Kiln handles each of them "
        "where the op is supported. A case may use more than one op, so a "
        "failing case is counted against every op it uses.",
        "",
    ]
    if e2e:
        passed = sum(1 for r in e2e.values() if r.passed)
        lines[6:6] = [
            f"**End-to-end figure:** {passed} of {stats['default_cases']} "
            f"({100.0 * passed / max(1, stats['default_cases']):.1f}%) "
            "compile with `kilnc`, run with `kiln-run` and match the cases' "
            "expected outputs.", ""]
    lines += [
        "| Op | Schema versions | Node tests | Imported | Run and match "
        "| Status |",
        "|---|---|---:|---:|---:|---|",
    ]
    for op in sorted(set(versions) | set(table)):
        row = table.get(op, {"cases": 0, "imported": 0})
        status = "supported" if op in supported else "not supported"
        vs = ", ".join(str(v) for v in sorted(versions.get(op, [])))
        matched = "-"
        if e2e:
            matched = str(sum(
                1 for n, info in report.manifest.items()
                if op in info["ops"] and n in e2e and e2e[n].passed))
        lines.append(f"| {op} | {vs} | {row['cases']} | {row['imported']} "
                     f"| {matched} | {status} |")
    lines += ["", "Failing cases and the first error of each are listed by "
              "`run_node_tests.py --failures`; the expected failures are in "
              "`test/e2e/onnx_node/import_xfail.txt`.", ""]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def _supported_ops() -> Iterable[str]:
    """The op types the importer has a converter for, as kilnc lists them."""
    kilnc = build_dir() / "bin" / "kilnc"
    done = subprocess.run([str(kilnc), "--list-onnx-ops"],
                          capture_output=True, text=True, check=True)
    return done.stdout.split()


#===----------------------------------------------------------------------===#
# End to end: compile with kilnc, run with kiln-run, compare.
#===----------------------------------------------------------------------===#

E2E_XFAIL_FILE = HERE / "e2e_xfail.txt"
# Tolerances for comparing with a case's expected outputs, in one place:
# the larger of these and the case's own. Half-precision outputs get a few
# units in the last place (float16 has 11 significant bits, bfloat16 8),
# since Kiln may round intermediate results differently from the reference.
RTOL, ATOL = 1e-3, 1e-5
LOW_PRECISION_TOLERANCES = {"float16": (4e-3, 1e-3), "bfloat16": (3e-2, 1e-2)}
# Seconds for compiling or running one case.
E2E_TIMEOUT = 120


@dataclass
class E2EResult:
    name: str
    # "import", "compile", "run", "compare" (the stage that failed) or "pass".
    stage: str
    message: str = ""
    crashed: bool = False

    @property
    def passed(self) -> bool:
        return self.stage == "pass"


def _graph_inputs(model_path: Path):
    import onnx
    model = onnx.load(str(model_path), load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    outputs = [o.name for o in model.graph.output]
    return inputs, outputs


def _load_pb(path: Path):
    import onnx
    from onnx import numpy_helper
    return numpy_helper.to_array(onnx.load_tensor(str(path)))


def _run(command, timeout=E2E_TIMEOUT):
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    except OSError as err:
        return None, f"could not run {command[0]}: {err}"
    return done, first_error(done.stderr) or done.stderr.strip()[:300]


def compare(name: str, got, want, rtol: float, atol: float) -> str:
    """'' when `got` matches `want`, else what differs."""
    import numpy as np
    # kiln-run carries bfloat16 as its uint16 bits (NumPy has no bfloat16).
    if want.dtype.name == "bfloat16" and got.dtype == np.uint16:
        got = got.view(want.dtype)
    if want.dtype.name in LOW_PRECISION_TOLERANCES:
        low_rtol, low_atol = LOW_PRECISION_TOLERANCES[want.dtype.name]
        rtol, atol = max(rtol, low_rtol), max(atol, low_atol)
    if got.dtype != want.dtype:
        return f"output '{name}': dtype {got.dtype}, expected {want.dtype}"
    if got.shape != want.shape:
        return (f"output '{name}': shape {list(got.shape)}, expected "
                f"{list(want.shape)}")
    if want.dtype.kind in "fc" or want.dtype.name in LOW_PRECISION_TOLERANCES:
        # Compared in float64, so float8/bfloat16 views are not an issue.
        g, w = got.astype(np.float64), want.astype(np.float64)
        bad = ~np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    else:
        bad = got != want
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        return (f"output '{name}': {int(bad.sum())} of {bad.size} values "
                f"differ, first at {list(index)}: {got[index]!r} vs "
                f"expected {want[index]!r}")
    return ""


def run_e2e_case(build: Path, name: str, info: dict,
                 workdir: Path) -> E2EResult:
    import numpy as np
    case = cases_dir(build) / name
    model = case / "model.onnx"
    library = workdir / f"{name}.so"
    done, message = _run([str(build / "bin" / "kilnc"), str(model), "-o",
                          str(library)])
    if done is None or done.returncode != 0:
        crashed = done is None or done.returncode < 0
        stage = "import" if "import" in message or (
            done is not None and "node '" in message) else "compile"
        return E2EResult(name, stage, message, crashed)
    inputs, outputs = _graph_inputs(model)
    data = case / "test_data_set_0"
    feed = {}
    for j, input_name in enumerate(inputs):
        path = data / f"input_{j}.pb"
        if not path.exists():
            return E2EResult(name, "run", f"no data for input '{input_name}'")
        value = _load_pb(path)
        if value.dtype.name == "bfloat16":
            value = value.view(np.uint16)
        feed[input_name] = value
    in_npz, out_npz = workdir / f"{name}.in.npz", workdir / f"{name}.out.npz"
    np.savez(in_npz, **feed)
    done, message = _run([str(build / "bin" / "kiln-run"), str(library),
                          "--inputs", str(in_npz), "--outputs", str(out_npz)])
    if done is None or done.returncode != 0:
        return E2EResult(name, "run", message,
                         done is None or done.returncode < 0)
    got = np.load(out_npz)
    rtol = max(RTOL, info.get("rtol") or 0)
    atol = max(ATOL, info.get("atol") or 0)
    for j, output_name in enumerate(outputs):
        path = data / f"output_{j}.pb"
        if not path.exists():
            continue
        if output_name not in got:
            return E2EResult(name, "compare", f"no output '{output_name}'")
        problem = compare(output_name, got[output_name], _load_pb(path), rtol,
                          atol)
        if problem:
            return E2EResult(name, "compare", problem)
    for path in (library, in_npz, out_npz):
        path.unlink(missing_ok=True)
    return E2EResult(name, "pass")


def run_e2e(build: Path, manifest: Dict[str, dict], names: Iterable[str],
            jobs: Optional[int] = None) -> Dict[str, E2EResult]:
    workdir = build / "onnx-node-run"
    workdir.mkdir(parents=True, exist_ok=True)
    jobs = jobs or max(2, (os.cpu_count() or 2))
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        return {r.name: r for r in pool.map(
            lambda n: run_e2e_case(build, n, manifest[n], workdir),
            sorted(names))}
