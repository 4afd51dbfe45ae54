"""Synthetic results tables that make a claim's check read reproduced, or not reproduced.

A check that cannot fail is a defect. Every check kind can build trials (``Synthetic``)
on which it must decide one way or the other; ``tables`` turns them into the two tidy
tables the claims engine reads, in the same columns ``wgan_suite.harness.results.collect`` writes.
The tests run this for every shipped claim, both ways.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from wgan_suite.analysis.stats import Op
from wgan_suite.claims.context import matches
from wgan_suite.claims.reductions import EXAMPLE_ITERATIONS, Measure
from wgan_suite.core.statuses import TrialStatus

SEEDS = tuple(range(8))  # enough for a Bonferroni-corrected refutation of up to ~10 parts
SECTION_KEYS = (
    "data",
    "generator",
    "critic",
    "loss",
    "lipschitz",
    "g_optimizer",
    "c_optimizer",
    "schedule",
)


@dataclass
class Synthetic:
    """One synthetic trial: its config (results-table columns), seed, status and curves."""

    config: dict[str, Any]  # e.g. {"config.loss.name": "wgan", "config.lipschitz.c": 0.01}
    seed: int
    status: str = TrialStatus.FINISHED
    series: dict[str, list[float]] = field(default_factory=dict)  # at EXAMPLE_ITERATIONS
    flags: dict[str, list[bool]] = field(default_factory=dict)  # boolean row columns

    @property
    def key(self) -> str:
        return json.dumps([sorted(self.config.items(), key=str), self.seed], default=str)


def merge(groups: Iterable[Sequence[Synthetic]], override: bool = True) -> list[Synthetic]:
    """One trial per (config, seed). With ``override`` a later curve of a column (and a
    later status) replaces an earlier one; without, the first stays."""
    out: dict[str, Synthetic] = {}
    for group in groups:
        for s in group:
            have = out.get(s.key)
            if have is None:
                out[s.key] = Synthetic(
                    dict(s.config), s.seed, s.status, dict(s.series), dict(s.flags)
                )
                continue
            for mine, theirs in ((have.series, s.series), (have.flags, s.flags)):
                for name, values in theirs.items():
                    if override or name not in mine:
                        mine[name] = values
            if override:
                have.status = s.status
    return list(out.values())


def column(key: str) -> str:
    """The results-table column of a config path (``loss`` -> ``config.loss.name``)."""
    return f"config.{key}.name" if key in SECTION_KEYS else f"config.{key}"


def concrete(where: dict[str, Any]) -> list[dict[str, Any]]:
    """A selection with lists of values (``generator: [dcgan, mlp]``) as single configs."""
    keys = list(where)
    options = [v if isinstance(v, list) else [v] for v in where.values()]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*options)]


class Universe:
    """The trials a synthetic table may hold. Default: every combination of the listed
    values x SEEDS. From an ablation: its expanded trials at a budget (config columns and
    a ``seed`` column), so the synthetic verdict uses the seeds the claim really has."""

    def __init__(self, trials: pd.DataFrame | None = None, seeds: Sequence[int] = SEEDS):
        self.trials = trials
        self.seeds = tuple(seeds)

    def select(self, where: dict[str, Any], vary: str | None = None) -> list[tuple[dict, int]]:
        """(config columns, seed) of every trial matching ``where``; ``vary``: a config
        path that must take several values (made up when the universe is the default)."""
        if self.trials is None:
            extra = [{vary: float(i + 1)} for i in range(5)] if vary else [{}]
            return [
                ({column(k): v for k, v in {**c, **e}.items()}, seed)
                for c in concrete(where)
                for e in extra
                for seed in self.seeds
            ]
        rows = self.trials[matches(self.trials, where)]
        configs = [c for c in rows.columns if c.startswith("config.")]
        return [
            ({c: r[c] for c in configs if pd.notna(r[c])}, int(r["seed"]))
            for r in rows[[*configs, "seed"]].to_dict("records")
        ]

    def seed_index(self, seed: int) -> int:
        """A small integer per seed, to jitter values (seeds differ a little)."""
        return sorted({*self.seeds, seed}).index(seed)


def tables(
    trials: Sequence[Synthetic], ablation: str, budget: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, trials) frames as ``wgan_suite.harness.results.collect`` would write them."""
    results, rows = [], []
    for t in trials:
        tid = hashlib.sha256(t.key.encode()).hexdigest()[:12]
        ident = {"ablation": ablation, "budget": budget, "trial_id": tid, "seed": t.seed}
        rows.append({**ident, **t.config, "status": t.status})
        n = max([len(v) for v in (*t.series.values(), *t.flags.values())], default=0)
        step = EXAMPLE_ITERATIONS[1] - EXAMPLE_ITERATIONS[0]
        for i in range(n):  # a longer curve (two arms' rows on one trial) goes on in step
            it = EXAMPLE_ITERATIONS[0] + step * i
            row = {**ident, **t.config, "status": t.status, "iteration": it}
            row.update(at_checkpoint=True, updates=10 * it)  # as if n_critic were 9
            row.update({k: v[i] for k, v in t.series.items() if i < len(v)})
            row.update({k: v[i] for k, v in t.flags.items() if i < len(v)})
            results.append(row)
    return pd.DataFrame(results), pd.DataFrame(rows)


# --------------------------------------------------------------------------- values


def side(op: Op | str, threshold: float, holds: bool, low: float, high: float) -> float:
    """A value clearly on the claimed side of ``threshold`` (``holds``) or clearly not,
    inside the value range [low, high]."""
    up = op in (">", ">=") if holds else op in ("<", "<=")
    if up:
        if math.isfinite(high):
            return (threshold + high) / 2
        return 2 * threshold if threshold > 0 else (threshold / 2 if threshold < 0 else 1.0)
    if math.isfinite(low):
        return (threshold + low) / 2
    return threshold / 2 if threshold > 0 else (2 * threshold if threshold < 0 else -1.0)


def jitter(value: float, i: int) -> float:
    """Seeds differ a little (a constant column is not what a run gives)."""
    return value * (1 + 0.002 * i) if value else 0.002 * i


def measure_trials(
    universe: Universe,
    where: dict[str, Any],
    m: Measure,
    target: Callable[[int], float],
    vary: str | None = None,
) -> list[Synthetic]:
    """Every trial ``where`` selects, its curve reducing (``m``) to ``target(seed index)``."""
    out = []
    name = m.metrics[0] if m.metrics else None
    for config, seed in universe.select(where, vary):
        values, status = m.reduction.example(target(universe.seed_index(seed)), m)
        s = Synthetic(config, seed, status)
        if name is not None and values:
            s.series[name] = list(values)
        if m.rows in ("unstable", "stable"):
            s.flags["unstable"] = [m.rows == "unstable"] * len(values)
        out.append(s)
    return out


def value_range(m: Measure) -> tuple[float, float]:
    low, high = m.reduction.value_range
    return (max(low, 0.0), high) if m.abs else (low, high)


def target_for(m: Measure, op: Op, threshold: float, holds: bool) -> Callable[[int], float]:
    """Per seed index: a value of ``m`` clearly on (or off) the claimed side."""
    if m.binary:
        one = float((op in (">", ">=")) == holds)
        return lambda i: one
    low, high = value_range(m)
    v = side(op, threshold, holds, low, high)
    return lambda i: min(high, max(low, jitter(v, i)))


# --------------------------------------------------------------------------- correlation


@cache
def _permutations(n: int) -> tuple[tuple[float, tuple[int, ...]], ...]:
    """Spearman correlation with 0..n-1 of every permutation of n ranks."""
    base = np.arange(n)
    out = []
    for perm in itertools.permutations(range(n)):
        rho = float(sps.spearmanr(base, perm).statistic)
        out.append((rho, perm))
    return tuple(out)


def ranks_with(rho: float, n: int = 7) -> list[float]:
    """Values at n points whose Spearman correlation with 0..n-1 is closest to ``rho``."""
    best = min(_permutations(n), key=lambda p: abs(p[0] - rho))
    return [float(v + 1) for v in best[1]]
