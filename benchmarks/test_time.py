"""How long the README's test commands take on this machine, with the machine named.

    python benchmarks/test_time.py                 # the fast lane, 3 runs
    python benchmarks/test_time.py --full --runs 1 # the whole suite too
    python benchmarks/test_time.py --serial        # in one process, without pytest-xdist

Each lane runs as `nox -s tests` runs it: with the pytest-xdist options of noxfile.py's
``XDIST`` (one worker per core), unless ``--serial``.

Prints the machine facts (``benchmarks/machine.py``), then per lane the number of tests
and the pytest wall time of every run with their median: the test times in docs/speed.md
come from here, one line per VM kind. Run it in the environment ``nox -s tests`` made
(``.nox/tests/bin/python benchmarks/test_time.py``) on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

ROOT = Path(__file__).resolve().parents[1]
LANES = {"fast lane": ["-m", "not slow"], "whole suite": []}


def xdist_options() -> list[str]:
    """noxfile.py's ``XDIST`` (read, not imported: nox need not be installed here)."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == [
            "XDIST"
        ]:
            return list(ast.literal_eval(node.value))
    raise SystemExit("noxfile.py has no XDIST")


def one_run(args: list[str]) -> tuple[float, str]:
    """(wall seconds, pytest's summary line) of one quiet pytest run."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    summary = next(
        (ln for ln in reversed(done.stdout.splitlines()) if re.search(r"\d+ passed", ln)), ""
    )
    if done.returncode != 0:
        raise SystemExit(f"pytest failed ({done.returncode}): {summary or done.stdout[-500:]}")
    return wall, summary.strip("= ")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--full", action="store_true", help="time the whole suite too")
    p.add_argument("--serial", action="store_true", help="one process, without pytest-xdist")
    a = p.parse_args()
    print(describe())
    parallel = [] if a.serial else xdist_options()
    print(f"pytest options: {' '.join(parallel) or '(serial)'}")
    for lane, args in LANES.items():
        if lane == "whole suite" and not a.full:
            continue
        times, summary = [], ""
        for _ in range(a.runs):
            wall, summary = one_run([*parallel, *args])
            times.append(wall)
        each = ", ".join(f"{t:.0f}" for t in times)
        print(f"{lane}: {summary}; median {statistics.median(times):.0f} s (runs: {each} s)")


if __name__ == "__main__":
    main()
