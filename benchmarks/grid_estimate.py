"""What a budget's grid costs on this machine, estimated in minutes without running it.

    python benchmarks/grid_estimate.py --budget quick            # what `reproduce` runs
    python benchmarks/grid_estimate.py --budget cpu paper_stability fig3_control
    python benchmarks/grid_estimate.py --budget quick --bf16     # what-if: bfloat16 autocast

A grid's trials differ in seed more often than in anything that sets their cost, so each
distinct cell (a trial's config without its seed) is built once and timed on this core,
one thread, as a trial runs under Ray: its critic step and its generator step (median of
``--repeats`` rounds of ``--steps`` steps after a warm-up), a checkpoint's scoring, the
checkpoint itself, and what a trial pays once before its first step (the data, the nets,
iteration 0's scoring with the classifier and the real features). A trial's estimate is
then exact in its schedule: the critic step times the critic updates its schedule makes
over its iterations (the authors' warm-up included), plus the generator steps, plus one
scoring and checkpoint per ``checkpoint_every``. The trials are replayed on ``--slots``
(the driver's order: ablations as given, each trial on the first free slot), with Ray's
own cost per grid and per trial from ``docs/speed.md`` (11 s and 0.9 s).

What it leaves out: the logged steps' diagnostics and the growth of subnormals over a
long trial (flushed to zero since the 2026-12-07 change), and any load from other work:
run it on an otherwise idle machine. It prints the machine first, so that a budget
table can name the VM kind it holds for (``benchmarks/machine.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_time import hms, schedule
from machine import describe
from profile_cells import per_call

from wgan_suite.harness.ablation import discover, load_ablation
from wgan_suite.trial.metrics import EvalContext, evaluate
from wgan_suite.trial.train import step as step_module
from wgan_suite.trial.train.state import build_state, fixed_noise
from wgan_suite.trial.train.trial import _checkpoint

ROOT = Path(__file__).resolve().parents[1]
RAY_PER_GRID_S = 11.0  # start and stop a local Ray (docs/speed.md, benchmarks/train_speed.py)
RAY_PER_TRIAL_S = 0.9


def cost_key(config: Any) -> str:
    """What sets a trial's cost: its resolved config without the seed."""
    raw = config.to_dict()
    raw.pop("seed", None)
    return json.dumps(raw, sort_keys=True)


def time_cell(config: Any, steps: int, repeats: int, bf16: bool = False) -> dict[str, float]:
    """Seconds of this cell's parts on this core (see the module docstring); ``bf16``:
    the training steps under bfloat16 autocast (a what-if: shipped trials train in float32)."""
    start = time.perf_counter()
    state = build_state(config)
    ctx = EvalContext(state)
    evaluate(ctx, final=False)  # iteration 0: the classifier and the real features, once
    once = time.perf_counter() - start

    def critic() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            step_module.critic_update(state, False)

    def generator() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            step_module.generator_update(state)

    critic(), generator()  # the allocator and oneDNN's primitive caches
    rounds = [
        (per_call(critic, steps), per_call(generator, max(1, steps // 5))) for _ in range(repeats)
    ]
    scoring = per_call(lambda: evaluate(ctx, final=False), 2)
    z = fixed_noise(config, state.device)
    with tempfile.TemporaryDirectory() as tmp:
        save = per_call(lambda: _checkpoint(state, Path(tmp), z), 2)
    return {
        "once": once,
        "critic": statistics.median(r[0] for r in rounds),
        "generator": statistics.median(r[1] for r in rounds),
        "scoring": scoring,
        "checkpoint": save,
        "updates": sum(state.schedule.n_critic(i) for i in range(config.iterations)),
    }


def trial_parts(config: Any, t: dict[str, float]) -> dict[str, float]:
    """Seconds of one trial by part, along its schedule; it scores and saves every
    ``checkpoint_every`` iterations and at its last (``run_trial``)."""
    checkpoints = math.ceil(config.iterations / config.checkpoint_every)
    return {
        "start": t["once"],
        "critic": t["updates"] * t["critic"],
        "generator": config.iterations * t["generator"],
        "scoring+checkpoints": checkpoints * (t["scoring"] + t["checkpoint"]),
    }


def trial_seconds(config: Any, t: dict[str, float]) -> float:
    return sum(trial_parts(config, t).values())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ablations", nargs="*", help="default: those `reproduce` runs at --budget")
    p.add_argument("--budget", default="quick")
    p.add_argument("--slots", type=int, default=2, help="trials at a time (default: 2 cores)")
    p.add_argument("--steps", type=int, default=10, help="critic steps per timing round")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--bf16", action="store_true", help="what if the steps ran under bfloat16 autocast"
    )
    p.add_argument("--detail", type=int, default=5, help="cells to break down (the costliest)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    print(describe())
    paths = [ROOT / "ablations" / f"{n}.yaml" for n in a.ablations] or discover(ROOT / "ablations")
    ablations = [load_ablation(path) for path in paths]
    if not a.ablations:
        ablations = [x for x in ablations if x.spec.reproduced_at(a.budget)]
    ablations = [x for x in ablations if a.budget in x.spec.budgets]
    timed: dict[str, dict[str, float]] = {}
    order: list[float] = []
    by_ablation: dict[str, list[float]] = defaultdict(list)
    by_cell: dict[str, list[Any]] = defaultdict(list)  # cost key -> its trials' specs
    seen: set[str] = set()
    started = time.perf_counter()
    for ablation in ablations:
        for spec in ablation.trials(a.budget):
            if spec.trial_id in seen:  # shared with an ablation listed before
                continue
            seen.add(spec.trial_id)
            key = cost_key(spec.config)
            if key not in timed:
                timed[key] = time_cell(spec.config, a.steps, a.repeats, a.bf16)
            seconds = trial_seconds(spec.config, timed[key]) + RAY_PER_TRIAL_S
            order.append(seconds)
            by_ablation[ablation.spec.name].append(seconds)
            by_cell[key].append(spec)
    what = " with the steps under bfloat16 autocast (what-if)" if a.bf16 else ""
    print(
        f"budget {a.budget}{what}: {len(order)} trials, {len(timed)} distinct cells timed "
        f"in {time.perf_counter() - started:.0f} s\n"
    )
    width = max(len(n) for n in by_ablation)
    total = sum(order)
    for name, times in sorted(by_ablation.items(), key=lambda kv: -sum(kv[1])):
        share = 100 * sum(times) / total
        print(
            f"  {name:{width}s} {len(times):4d} trials {hms(sum(times)):>12s} of core time "
            f"({share:4.1f} %), median trial {statistics.median(times):6.1f} s"
        )
    costliest = sorted(
        by_cell, key=lambda k: -len(by_cell[k]) * trial_seconds(by_cell[k][0].config, timed[k])
    )
    if a.detail:
        print(f"\nthe {a.detail} costliest cells (seconds per trial):")
    for key in costliest[: a.detail]:
        spec, t = by_cell[key][0], timed[key]
        cfg = spec.config
        parts = trial_parts(cfg, t)
        per = sum(parts.values())
        shown = ", ".join(f"{k} {v:.1f}" for k, v in parts.items())
        cell = " ".join(f"{k}={v}" for k, v in spec.cell.items())
        print(
            f"  {spec.ablation} [{cell}] x{len(by_cell[key])}: {per:.1f} s = {shown}; "
            f"{t['updates']} critic steps of {t['critic'] * 1e3:.1f} ms, G {cfg.generator.name}, "
            f"D {cfg.critic.name}, {cfg.data.name}, batch {cfg.batch_size}"
        )
    wall = schedule(order, a.slots) + RAY_PER_GRID_S
    print(f"\nsum {hms(total)} of core time; on {a.slots} slots about {hms(wall)} of wall time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
