"""How long a grid takes, from the trials' own wall times (not a test).

A grid that was interrupted, resumed or shared its cores has no honest end-to-end time;
each trial's ``wall_time`` (its own training time, summed over resumes) still says what
the grid costs. This script sums them per ablation and replays the schedule the driver
uses (trials in command-line order, each started on the first free slot), giving the
wall time the grid would take with ``--slots`` trials at a time and no harness overhead
(about 11 s to start Ray and 1 s per trial, docs/speed.md). A second replay gives every
trial its cell's median time over seeds: one run's figure that a trial slowed by other
work on the machine (or a lucky one) cannot move, the nearest to a median of runs that a
grid longer than a working session allows.

    python benchmarks/grid_time.py paper_stability loss_curves fig3_control mode_collapse
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import sys
from pathlib import Path

import pandas as pd

from wgan_suite.core.statuses import TrialStatus
from wgan_suite.harness.ablation import find_ablation, load_ablation


def schedule(times: list[float], slots: int) -> float:
    """Makespan of ``times`` run in order, each on the first slot to come free."""
    free = [0.0] * slots
    for t in times:
        heapq.heappush(free, heapq.heappop(free) + t)
    return max(free)


def hms(seconds: float) -> str:
    m = round(seconds / 60)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ablations", nargs="+")
    p.add_argument("--budget", default="cpu")
    p.add_argument("--runs", type=Path, default=Path("runs"))
    p.add_argument("--slots", type=int, default=2, help="trials at a time (default: 2 cores)")
    args = p.parse_args(argv)

    table = pd.read_parquet(args.runs / "trials.parquet")
    walls = table.drop_duplicates("trial_id").set_index("trial_id")
    finished = set(walls.index[walls["status"] == TrialStatus.FINISHED])
    order, robust, seen, missing = [], [], set(), []
    print(f"budget {args.budget}, {args.slots} at a time; trials' own wall times")
    for name in args.ablations:
        specs = load_ablation(find_ablation(name)).trials(args.budget)
        own = [s for s in specs if s.trial_id not in seen]
        seen.update(s.trial_id for s in own)
        done = [s for s in own if s.trial_id in finished]
        missing += [f"{name}:{s.trial_id}" for s in own if s.trial_id not in finished]
        times = [float(walls.at[s.trial_id, "wall_time"]) for s in done]
        keys = [tuple(sorted(s.cell.items())) for s in done]
        cells: dict[tuple, list[float]] = {}
        for key, t in zip(keys, times, strict=True):
            cells.setdefault(key, []).append(t)
        order += times
        robust += [statistics.median(cells[key]) for key in keys]
        total = sum(times)
        print(f"  {name:20s} {len(done):3d}/{len(own):3d} finished  {hms(total):>12s} of core time")
    wall = schedule(order, args.slots)
    print(f"sum {hms(sum(order))} of core time; replayed on {args.slots} slots: {hms(wall)}")
    print(f"with each cell's median trial time: {hms(schedule(robust, args.slots))}")
    if missing:
        print(
            f"{len(missing)} trial(s) not finished, not counted: {' '.join(missing[:8])}"
            + (" ..." if len(missing) > 8 else ""),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
