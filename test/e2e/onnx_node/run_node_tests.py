#!/usr/bin/env python3
"""Runs the ONNX backend node tests through Kiln's importer and reports.

  run_node_tests.py [--build-dir build] [--filter REGEX]
                    [--failures] [--by-op] [--write-docs] [--write-xfail]

Prints the import figure for the default ONNX domain. --failures lists each
failing case with its first error; --by-op counts failing cases per op;
--write-docs rewrites docs/onnx-support.md; --write-xfail rewrites
import_xfail.txt from this run (review the diff before committing it).
Generates the cases into BUILD/onnx-node-cases on first use.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import node_tests  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=None)
    parser.add_argument("--filter", default=None,
                        help="only cases whose name matches this regex")
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--by-op", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--write-xfail", action="store_true")
    parser.add_argument("-j", "--jobs", type=int, default=None)
    parser.add_argument("--e2e", action="store_true",
                        help="also compile each case with kilnc, run it with "
                        "kiln-run and compare with its expected outputs")
    parser.add_argument("--write-e2e-xfail", action="store_true")
    args = parser.parse_args()

    build = (args.build_dir or node_tests.build_dir()).resolve()
    if not (build / "bin" / "kiln-translate").exists():
        print(f"error: {build}/bin/kiln-translate not found; build first",
              file=sys.stderr)
        return 2
    manifest = node_tests.load_cases(build)
    names = sorted(manifest)
    if args.filter:
        names = [n for n in names if re.search(args.filter, n)]
    if (args.write_docs or args.write_xfail) and args.filter:
        print("error: --write-docs and --write-xfail need a full run",
              file=sys.stderr)
        return 2
    start = time.monotonic()
    report = node_tests.Report({n: manifest[n] for n in names})
    report.results = node_tests.run_imports(build, names, args.jobs)
    elapsed = time.monotonic() - start

    failing = [n for n in names if not report.results[n].imported]
    if args.failures:
        for n in failing:
            print(f"{n}: {report.results[n].message}")
    if args.by_op:
        counts = collections.Counter()
        for n in failing:
            if report.in_default_domain(n):
                for op in manifest[n]["ops"]:
                    counts[op] += 1
        for op, count in counts.most_common():
            print(f"{count:5d}  {op}")

    stats = node_tests.summary(report)
    total, ok = stats["default_cases"], stats["default_imported"]
    print(f"default domain: {ok} of {total} cases import "
          f"({100.0 * ok / max(1, total):.1f}%); "
          f"{stats['other_domain_cases']} cases of other domains; "
          f"{elapsed:.1f} s")
    if stats["crashes"]:
        print(f"CRASHES ({len(stats['crashes'])}): "
              + " ".join(stats["crashes"]))

    e2e = None
    if args.e2e or args.write_e2e_xfail:
        start = time.monotonic()
        default = [n for n in names if report.in_default_domain(n)]
        e2e = node_tests.run_e2e(build, manifest, default, args.jobs)
        stages = collections.Counter(r.stage for r in e2e.values())
        passed = stages.pop("pass", 0)
        if args.failures:
            for n in sorted(e2e):
                if not e2e[n].passed:
                    print(f"{n}: [{e2e[n].stage}] {e2e[n].message}")
        print(f"end to end: {passed} of {len(default)} cases compile, run "
              f"and match ({100.0 * passed / max(1, len(default)):.1f}%); "
              "failing at " + ", ".join(f"{k}: {v}" for k, v in
                                        sorted(stages.items())) +
              f"; {time.monotonic() - start:.1f} s")
        crashed = [n for n, r in e2e.items() if r.crashed]
        if crashed:
            print(f"E2E CRASHES ({len(crashed)}): " + " ".join(crashed))
        if args.write_e2e_xfail and not args.filter:
            lines = ["# ONNX node-test cases that do not yet compile, run and",
                     "# match end to end, with the stage and first error.",
                     "# Regenerate with run_node_tests.py --write-e2e-xfail.",
                     ""]
            for n in sorted(e2e):
                if not e2e[n].passed:
                    reason = e2e[n].message.replace("\n", " ")[:150]
                    lines.append(f"{n}  # [{e2e[n].stage}] {reason}")
            tmp = node_tests.E2E_XFAIL_FILE.with_suffix(".tmp")
            tmp.write_text("\n".join(lines) + "\n")
            os.replace(tmp, node_tests.E2E_XFAIL_FILE)
            print(f"wrote {node_tests.E2E_XFAIL_FILE}")

    if args.write_docs:
        doc = node_tests.REPO_ROOT / "docs" / "onnx-support.md"
        node_tests.write_support_doc(report, doc, e2e)
        print(f"wrote {doc}")
    if args.write_xfail:
        lines = ["# ONNX node-test cases that Kiln does not import yet, with",
                 "# the first error of each. Regenerate with",
                 "# test/e2e/onnx_node/run_node_tests.py --write-xfail.", ""]
        for n in failing:
            reason = report.results[n].message.replace("\n", " ")
            lines.append(f"{n}  # {reason[:160]}")
        tmp = node_tests.XFAIL_FILE.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, node_tests.XFAIL_FILE)
        print(f"wrote {node_tests.XFAIL_FILE} ({len(failing)} cases)")
    return 1 if stats["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
