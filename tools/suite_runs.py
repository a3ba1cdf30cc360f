"""Run the test suite (or some of its tests) N times and print which tests failed, and how often.

    python -m tools.suite_runs --runs 5                        # the whole suite, here, 5 times
    python -m tools.suite_runs --runs 5 tests/e2e/test_hd_camera.py   # one test file, 5 times in a row
    python -m tools.suite_runs --runs 3 --fresh-clone          # CI's way: clone, `CI=true bash .ci/run`
    python -m tools.suite_runs --runs 2 --fresh-clone --busy-core   # with one core kept busy meanwhile

A test that fails one run in five fails CI one landing in five: this is how such a test is found
(by measuring), before its cause is. Each run writes pytest's JUnit XML, read back for the table;
nothing is retried. `make test-runs RUNS=5` is the same as the first line.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    number: int
    mode: str  # "here" | "fresh clone", "+ busy core" when one core was kept busy
    returncode: int
    seconds: float
    passed: int = 0
    failed: list[str] = field(default_factory=list)  # test ids that failed or errored
    skipped: int = 0


def _busy_loop() -> None:
    while True:
        pass


def _read_junit(path: Path) -> tuple[int, list[str], int]:
    """(passed, failed ids, skipped) from pytest's JUnit XML."""
    if not path.exists():
        return 0, ["<no report: pytest did not finish>"], 0
    passed, failed, skipped = 0, [], 0
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def run_once(number: int, tests: list[str], *, fresh_clone: bool, busy_core: bool, log_dir: Path) -> Run:
    report = log_dir / f"run{number}.xml"
    env = {**os.environ, "CI": "true", "PYTEST_ADDOPTS": f"--junitxml={report} -p no:cacheprovider"}
    mode = ("fresh clone" if fresh_clone else "here") + (" + busy core" if busy_core else "")
    clone = None
    if fresh_clone:
        clone = Path(tempfile.mkdtemp(prefix="mirror-clone-"))
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        command = ["bash", ".ci/run"]
        cwd = clone
    else:
        command = [sys.executable, "-m", "pytest", "-q", "-ra", *tests]
        cwd = REPO
    busy = multiprocessing.Process(target=_busy_loop, daemon=True) if busy_core else None
    if busy is not None:
        busy.start()
    started = time.monotonic()
    try:
        with open(log_dir / f"run{number}.log", "w") as out:
            returncode = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    finally:
        if busy is not None:
            busy.terminate()
            busy.join()
        if clone is not None:
            shutil.rmtree(clone, ignore_errors=True)
    passed, failed, skipped = _read_junit(report)
    return Run(number, mode, returncode, time.monotonic() - started, passed, failed, skipped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh-clone", action="store_true",
                        help="each run clones this repository's HEAD and runs `CI=true bash .ci/run` (install included)")
    parser.add_argument("--busy-core", action="store_true", help="keep one core busy with a spinning process meanwhile")
    parser.add_argument("--stop-on-failure", action="store_true", help="stop after the first run with a failure")
    parser.add_argument("--logs", type=Path, help="keep each run's log and JUnit XML here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the runs as JSON here")
    parser.add_argument("tests", nargs="*", help="pytest arguments (default: the whole suite); not with --fresh-clone")
    args, extra = parser.parse_known_args(argv)  # pytest's own options (-s, -k …) pass through
    args.tests += extra
    if args.fresh_clone and args.tests:
        parser.error("--fresh-clone runs CI's command, which runs the whole suite")
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix="mirror-suite-runs-"))
    log_dir.mkdir(parents=True, exist_ok=True)

    runs: list[Run] = []
    for number in range(1, args.runs + 1):
        run = run_once(number, args.tests, fresh_clone=args.fresh_clone, busy_core=args.busy_core, log_dir=log_dir)
        runs.append(run)
        print(f"run {number}/{args.runs} ({run.mode}): {run.passed} passed, {len(run.failed)} failed, "
              f"{run.skipped} skipped, exit {run.returncode}, {run.seconds:.0f} s", flush=True)
        if args.stop_on_failure and (run.failed or run.returncode):
            break

    print(f"\n| run | mode | passed | failed | skipped | exit | time |\n|---|---|---:|---:|---:|---:|---:|")
    for run in runs:
        print(f"| {run.number} | {run.mode} | {run.passed} | {len(run.failed)} | {run.skipped} | {run.returncode} "
              f"| {run.seconds / 60:.1f} min |")
    failures = Counter(name for run in runs for name in run.failed)
    if failures:
        print(f"\n| test | failed |\n|---|---:|")
        for name, count in failures.most_common():
            print(f"| `{name}` | {count} of {len(runs)} |")
    else:
        print(f"\nno test failed in {len(runs)} runs")
    print(f"\nlogs and JUnit reports: {log_dir}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2))
    return 1 if failures or any(r.returncode for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
