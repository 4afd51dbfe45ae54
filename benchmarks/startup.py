"""How long the CLI takes to answer `--help`, an argument error, `validate` and `list`, as
whole processes (interpreter start and imports included), with the machine named.

    python benchmarks/startup.py                        # this checkout, 5 runs each
    python benchmarks/startup.py --before ../old-clone  # and another checkout, side by side

Each command runs ``--runs`` times after one unmeasured warm-up (the OS file cache, the
bytecode caches); the median wall time is printed with every run's time. ``--before
DIR`` runs the same commands from another checkout of the project (``PYTHONPATH=DIR``,
working directory DIR), taking turns with this one, so that a drifting machine load
falls on both alike. The target (issue 37): `--help`, argument errors, `validate` and
`list` in under 3 s; `validate` and `list` import torch (the config models), so their
floor is near torch's own import time, which is printed too (a whole process: its exit's
last garbage collection included, which `validate` and `list` skip with gc.freeze).
Run it on an otherwise idle machine: the load average is printed with the figures because
a loaded machine stretches every import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

ROOT = Path(__file__).resolve().parents[1]
ABLATION = "clipping_c"
COMMANDS = {
    "--help": ["-m", "wgan_suite", "--help"],
    "argument error": ["-m", "wgan_suite", "list", "--budget"],  # exit 2, no value
    f"validate {ABLATION}": ["-m", "wgan_suite", "validate", ABLATION],
    # the slowest shipped validate: 436 trials of sampled architectures, each sized
    "validate random_architectures": ["-m", "wgan_suite", "validate", "random_architectures"],
    f"list {ABLATION}": ["-m", "wgan_suite", "list", ABLATION, "--runs", "{runs}"],
    "import torch (floor)": ["-c", "import torch"],
}


def one_run(
    python: str, checkout: Path, args: list[str], runs: Path, warm_up: bool = False
) -> tuple[float, int]:
    """(wall seconds, exit code) of one process started from ``checkout``; the warm-up
    writes the bytecode caches even where PYTHONDONTWRITEBYTECODE is set (containers),
    as a user's first run does."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    if warm_up:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [python, *(a.format(runs=runs) for a in args)]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=checkout, env=env, capture_output=True)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--python", default=sys.executable, help="the interpreter (its venv)")
    p.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    p.add_argument("--only", action="append", default=None, help="a command label to time")
    a = p.parse_args()
    print(describe())
    print(f"{'load average':>16}: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    sides = {"this": ROOT} | ({"before": a.before.resolve()} if a.before else {})
    runs = Path(os.environ.get("TMPDIR", "/tmp")) / f"startup-bench-{os.getpid()}"  # empty
    for label, args in COMMANDS.items():
        if a.only and label not in a.only:
            continue
        times: dict[str, list[float]] = {side: [] for side in sides}
        codes: dict[str, set[int]] = {side: set() for side in sides}
        for checkout in sides.values():  # warm-up, not counted
            one_run(a.python, checkout, args, runs, warm_up=True)
        for _ in range(a.runs):
            for side, checkout in sides.items():  # taking turns
                wall, code = one_run(a.python, checkout, args, runs)
                times[side].append(wall)
                codes[side].add(code)
        for side in sides:
            each = ", ".join(f"{t:.2f}" for t in times[side])
            print(
                f"{label:>24} [{side}]: median {statistics.median(times[side]):.2f} s "
                f"(runs: {each}; exit {sorted(codes[side])})"
            )
    print(f"{'load average':>16}: {' '.join(f'{v:.2f}' for v in os.getloadavg())} (after)")


if __name__ == "__main__":
    main()
