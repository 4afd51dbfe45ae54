"""The check kinds that read numbers: threshold, compare, order, correlation.

Each reduces every selected trial to one value (``value:``, a ``Measure``), pairs trials
by seed, and hands per-seed numbers to ``stats.decide``. Combinators live in
``combinators.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import stats

from suite.claims.base import CHECKS, Check, Where, describe_where
from suite.claims.context import Context, Trial
from suite.claims.reductions import Measure, reduce_trial
from suite.claims.stats import Op, Outcome, decide


@dataclass(frozen=True)
class GroupValues:
    """Per-seed values of each selected group, and what the verdict should mention."""

    per_group: list[dict[int, float]]
    what: str  # the measure with the metric actually used, e.g. "final fd_classifier"
    trial_ids: tuple[str, ...]
    notes: list[str]

    def finish(self, outcome: Outcome) -> Outcome:
        reason = "; ".join([outcome.reason, *self.notes])
        return replace(outcome, reason=reason).with_trials(self.trial_ids)


def group_values(ctx: Context, wheres: list[Where], measure: Measure) -> GroupValues:
    """Select each group, resolve the metric once for all (groups compare one column)."""
    groups = [ctx.select(w) for w in wheres]
    every = [t for g in groups for t in g]
    metric = ctx.first_metric(measure.metrics, every, measure.rows) if measure.metrics else None

    def value(t: Trial) -> float | None:
        series = ctx.series(t.trial_id, metric, measure.rows) if metric else pd.Series(dtype=float)
        return reduce_trial(series, t.status, measure)

    what = measure.describe(metric)
    per_group, notes = [], []
    for g in groups:
        seeds, missing = ctx.by_seed(g, value, what)
        per_group.append(seeds)
        notes += missing
    return GroupValues(per_group, what, tuple(t.trial_id for t in every), notes)


@CHECKS.register("threshold")
class Threshold(Check):
    """One group's per-seed values against a number: ``final modes_covered >= 7``."""

    kind: Literal["threshold"]
    where: Where
    value: Measure
    op: Op
    threshold: float

    def describe(self) -> str:
        return (
            f"{self.value.describe()} of {describe_where(self.where)} {self.op} {self.threshold:g}"
        )

    def wheres(self) -> list[dict[str, Any]]:
        return [self.where]

    def evaluate(self, ctx: Context) -> Outcome:
        g = group_values(ctx, [self.where], self.value)
        out = decide(g.per_group[0], self.op, self.threshold, ctx.tolerance, ctx.min_seeds, g.what)
        return g.finish(out)


@CHECKS.register("compare")
class Compare(Check):
    """Group ``a`` vs group ``b`` paired by seed, as a difference or a ratio, vs a margin."""

    kind: Literal["compare"]
    a: Where
    b: Where
    value: Measure
    stat: Literal["difference", "ratio"] = "difference"
    op: Op
    margin: float = 0.0

    def describe(self) -> str:
        sign = "-" if self.stat == "difference" else "/"
        return (
            f"{self.value.describe()}: {describe_where(self.a)} {sign} {describe_where(self.b)} "
            f"{self.op} {self.margin:g} (paired by seed)"
        )

    def wheres(self) -> list[dict[str, Any]]:
        return [self.a, self.b]

    def evaluate(self, ctx: Context) -> Outcome:
        g = group_values(ctx, [self.a, self.b], self.value)
        a, b = g.per_group
        paired = {}
        for seed in sorted(a.keys() & b.keys()):
            v = a[seed] - b[seed] if self.stat == "difference" else _ratio(a[seed], b[seed])
            if v is not None:
                paired[seed] = v
        unpaired = sorted(a.keys() ^ b.keys())
        if unpaired:
            g.notes.append(f"seed(s) {unpaired} lack a partner and are left out")
        what = f"{self.stat} of {g.what}"
        out = decide(paired, self.op, self.margin, ctx.tolerance, ctx.min_seeds, what)
        return g.finish(out)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b != 0 and np.isfinite(a / b) else None


@CHECKS.register("order")
class Order(Check):
    """Group means in order, ``A < B < C``: per seed the smallest gap must exceed ``margin``."""

    kind: Literal["order"]
    groups: list[Where] = Field(min_length=2)
    value: Measure
    op: Literal["<", ">"] = "<"
    margin: float = 0.0

    def describe(self) -> str:
        chain = f" {self.op} ".join(describe_where(w) for w in self.groups)
        return f"{self.value.describe()}: {chain} (per seed, smallest gap > {self.margin:g})"

    def wheres(self) -> list[dict[str, Any]]:
        return list(self.groups)

    def evaluate(self, ctx: Context) -> Outcome:
        g = group_values(ctx, self.groups, self.value)
        sign = 1.0 if self.op == "<" else -1.0
        common = set.intersection(*(set(p) for p in g.per_group))
        gaps = {
            s: min(sign * (nxt[s] - prev[s]) for prev, nxt in pairwise(g.per_group))
            for s in sorted(common)
        }
        what = f"smallest ordered gap of {g.what}"
        out = decide(gaps, ">", self.margin, ctx.tolerance, ctx.min_seeds, what)
        return g.finish(out)


@CHECKS.register("correlation")
class Correlation(Check):
    """Per-trial rank correlation of two columns over its rows, averaged per seed (Fig. 3/4)."""

    kind: Literal["correlation"]
    where: Where
    x: str
    y: str | list[str]
    method: Literal["spearman", "pearson"] = "spearman"
    abs: bool = False
    op: Op
    threshold: float
    min_points: int = Field(4, ge=3, description="rows with both values a trial needs")

    def describe(self) -> str:
        y = self.y if isinstance(self.y, str) else "|".join(self.y)
        rho = f"{self.method}({self.x}, {y})"
        rho = f"|{rho}|" if self.abs else rho
        return (
            f"{rho} over checkpoints of {describe_where(self.where)} {self.op} {self.threshold:g}"
        )

    def wheres(self) -> list[dict[str, Any]]:
        return [self.where]

    def evaluate(self, ctx: Context) -> Outcome:
        trials = ctx.select(self.where)
        ys = [self.y] if isinstance(self.y, str) else self.y
        y = ctx.first_metric(ys, trials, "all")
        ctx.first_metric([self.x], trials, "all")
        what = f"{self.method}({self.x}, {y})"
        need = f"{self.min_points}+ non-constant checkpoints of both columns"
        per_seed, notes = ctx.by_seed(trials, lambda t: self._one(ctx, t, y), need)
        out = decide(per_seed, self.op, self.threshold, ctx.tolerance, ctx.min_seeds, what)
        g = GroupValues([per_seed], what, tuple(t.trial_id for t in trials), notes)
        return g.finish(out)

    def _one(self, ctx: Context, t: Trial, y: str) -> float | None:
        xs, ys = (_last_per_iteration(ctx.series(t.trial_id, c)) for c in (self.x, y))
        both = xs.to_frame("x").join(ys.to_frame("y"), how="inner")
        if len(both) < self.min_points or both["x"].nunique() < 2 or both["y"].nunique() < 2:
            return None
        fn = stats.spearmanr if self.method == "spearman" else stats.pearsonr
        r = float(fn(both["x"], both["y"])[0])
        return abs(r) if self.abs else r


def _last_per_iteration(s: pd.Series) -> pd.Series:
    return s[~s.index.duplicated(keep="last")]
