"""The check kinds that read numbers: threshold, compare, order, correlation, trend.

Each reduces every selected trial to one value (``value:``, a ``Measure``), pairs trials
by seed, and states its test: per-seed values against a number (one-sample Wilcoxon
signed-rank), two groups paired by seed (Wilcoxon on the differences or log-ratios, or
two one-sided tests for "within a factor"), rates (exact binomial / Fisher). The
numbers and p-values come from ``wgan_suite.analysis.stats`` through ``wgan_suite.claims.outcome``.
Combinators live in ``combinators.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from scipy import stats as sps

from wgan_suite.analysis.stats import Op
from wgan_suite.claims import outcome as out
from wgan_suite.claims import synthetic as syn
from wgan_suite.claims.base import CHECKS, Check
from wgan_suite.claims.context import Context, Trial
from wgan_suite.claims.outcome import WITHIN, Outcome
from wgan_suite.claims.reductions import AFTER_START, Measure, after_start, reduce_trial
from wgan_suite.claims.selection import Inconclusive, Where, describe_where


@dataclass(frozen=True)
class GroupValues:
    """Per-seed values of each selected group, and what the verdict should mention."""

    per_group: list[dict[int, float]]  # seed -> value (mean of the seed's trials)
    per_trial: list[list[float]]  # every trial's value: rates count trials, not seeds
    what: str  # the measure with the metric actually used, e.g. "final fd_classifier"
    trial_ids: tuple[str, ...]
    notes: list[str]
    by_trial: dict[str, float | None] = field(default_factory=dict)  # trial id -> its value

    def finish(self, result: Outcome) -> Outcome:
        return result.noted(self.notes).with_trials(self.trial_ids)


def group_values(
    ctx: Context,
    wheres: list[Where],
    measures: list[Measure],
    pair_by: str | tuple[str, ...] | None = None,
    one_each: bool = False,
) -> GroupValues:
    """Select each group and reduce its trials; a metric list resolves to one column for
    all groups that share the measure (groups compare one column)."""
    groups = [ctx.select(w) for w in wheres]
    every = [t for g in groups for t in g]
    resolved: dict[str, str | None] = {}  # a measure (as JSON) -> the column it reads
    for m in measures:
        key = m.model_dump_json()
        if key not in resolved:
            rows = "all" if m.rows in ("unstable", "stable") else m.rows
            resolved[key] = ctx.first_metric(m.metrics, every, rows) if m.metrics else None

    per_group, per_trial, notes, names = [], [], [], []
    by_trial: dict[str, float | None] = {}
    for g, m in zip(groups, measures, strict=True):
        metric = resolved[m.model_dump_json()]

        def value(t: Trial, m=m, metric=metric) -> float | None:
            if metric is None:
                return reduce_trial(pd.Series(dtype=float), t.status, m)
            series = ctx.series(t.trial_id, metric, m.rows, m.reduction.index)
            return reduce_trial(series, t.status, m)

        what = m.describe(metric)
        values = {t.trial_id: value(t) for t in g}
        by_trial |= values
        seeds, missing = ctx.by_seed(
            g, lambda t, v=values: v[t.trial_id], what, pair_by, one_each=one_each
        )
        per_group.append(seeds)
        per_trial.append([v for v in values.values() if v is not None])
        notes += missing
        names.append(what)
    what = names[0] if len(set(names)) == 1 else " vs ".join(dict.fromkeys(names))
    ids = tuple(t.trial_id for t in every)
    return GroupValues(per_group, per_trial, what, ids, notes, by_trial)


def _ones(values: list[float]) -> tuple[int, int]:
    """(trials that are 1, trials) of a 0/1 measure."""
    return sum(v >= 0.5 for v in values), len(values)


@CHECKS.register("threshold")
class Threshold(Check):
    """One group's per-seed values against a number: ``final modes_covered >= 7``."""

    kind: Literal["threshold"]
    where: Where
    value: Measure
    op: Op
    threshold: float
    indifference: float = Field(
        0.0,
        ge=0,
        description="an equivalence margin around the threshold, fixed in the registration: "
        "the claim must clear threshold +- indifference on its side, a refutation on the other",
    )

    def describe(self) -> str:
        test = "exact binomial test" if self.value.binary else "one-sample Wilcoxon signed-rank"
        return (
            f"{self.value.describe()} of {describe_where(self.where)} {self.op} "
            f"{self.threshold:g} ({test}, one-sided)"
        )

    def wheres(self) -> list[dict[str, Any]]:
        return [self.where]

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        g = group_values(ctx, [self.where], [self.value])
        if self.value.binary:
            ones, n = _ones(g.per_trial[0])
            result = out.rate_vs(ones, n, self.op, self.threshold, ctx.tolerance, g.what, alpha)
        else:
            values = g.per_group[0]
            result = out.values_vs(
                values, self.op, self.threshold, ctx.tolerance, g.what, alpha, self.indifference
            )
        return g.finish(result)

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        target = syn.target_for(self.value, self.op, self.threshold, holds)
        return syn.measure_trials(universe, self.where, self.value, target)


@CHECKS.register("compare")
class Compare(Check):
    """Group ``a`` vs group ``b`` paired by seed: a difference or a ratio against a margin,
    or ``op: within`` (equivalence: the ratio within [1/margin, margin], the difference
    within [-margin, margin]). ``value_b`` reads group b differently (default: ``value``)."""

    kind: Literal["compare"]
    a: Where
    b: Where
    value: Measure
    value_b: Measure | None = None
    stat: Literal["difference", "ratio"] = "difference"
    op: Literal["<", "<=", ">", ">=", "within"]
    margin: float = 0.0
    paired: bool = Field(
        False,
        description="pair a and b by seed (or by pair_by): the signed-rank test on the "
        "differences (values) or the exact McNemar test (rates); default unpaired: arms "
        "with their own seeds, the exact Mann-Whitney test (values) or Fisher's (rates)",
    )
    pair_by: str | tuple[str, ...] | None = Field(
        None,
        description="a config path to pair a and b by instead of the seed (generator.arch), "
        "or a list of them, where 'seed' names the seed ([generator.arch, seed]: one pair per "
        "architecture and seed). A rate (0/1 per trial) is paired trial by trial: an arm with "
        "several trials in one pair (an architecture run on several seeds, paired by the "
        "architecture alone) is refused, since averaging their 0/1 outcomes and thresholding "
        "the mean at 0.5 would decide the pair on a majority of seeds",
    )

    @model_validator(mode="after")
    def _sensible(self) -> Compare:
        if self.op == WITHIN and (self.margin <= 0 or (self.stat == "ratio" and self.margin <= 1)):
            raise ValueError("op 'within' needs margin > 0 (difference) or > 1 (ratio)")
        if self.measure_b.binary != self.value.binary:
            raise ValueError("value and value_b must both be rates (0/1) or both numbers")
        if self.value.binary and (self.op == WITHIN or self.stat == "ratio"):
            raise ValueError("rates (0/1 per trial) compare by difference with <, <=, >, >=")
        if self.pair_by and not self.paired:
            raise ValueError("pair_by pairs the groups: it needs paired: true")
        if isinstance(self.pair_by, tuple) and (
            not self.pair_by or len(set(self.pair_by)) < len(self.pair_by)
        ):
            raise ValueError("pair_by: a list of distinct config paths (and 'seed')")
        return self

    @property
    def vary(self) -> str | None:
        """The config path the synthetic tables vary to make pairs (not the seed)."""
        paths = (self.pair_by,) if isinstance(self.pair_by, str) else (self.pair_by or ())
        return next((p for p in paths if p != SEED), None)

    @property
    def measure_b(self) -> Measure:
        return self.value_b or self.value

    def describe(self) -> str:
        sign = "-" if self.stat == "difference" else "/"
        if self.value.binary and self.paired:
            test = f"exact McNemar test, paired by {_pair_text(self.pair_by)}, one-sided"
        elif self.value.binary:
            test = "Fisher exact test, one-sided"
        elif self.paired:
            by = _pair_text(self.pair_by)
            test = (
                f"two one-sided Wilcoxon signed-rank tests, paired by {by}"
                if self.op == WITHIN
                else f"Wilcoxon signed-rank, paired by {by}, one-sided"
            )
        elif self.op == WITHIN:
            test = "two one-sided exact Mann-Whitney U tests, unpaired"
        else:
            test = "exact Mann-Whitney U test, unpaired, one-sided"
        what = self.value.describe()
        if self.value_b is not None:
            what += f" vs {self.value_b.describe()}"
        rel = f"within {self.margin:g}" if self.op == WITHIN else f"{self.op} {self.margin:g}"
        return f"{what}: {describe_where(self.a)} {sign} {describe_where(self.b)} {rel} ({test})"

    def wheres(self) -> list[dict[str, Any]]:
        return [self.a, self.b]

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        one_each = self.value.binary and self.paired  # a 0/1 outcome is never averaged
        measures = [self.value, self.measure_b]
        g = group_values(ctx, [self.a, self.b], measures, self.pair_by, one_each)
        a, b = g.per_group
        what = f"{g.what} ({'a - b' if self.stat == 'difference' else 'a / b'})"
        if self.value.binary and self.paired:
            return g.finish(out.paired_rates_vs(a, b, self.op, g.what, alpha))
        if self.value.binary:
            (k1, n1), (k2, n2) = (_ones(v) for v in g.per_trial)
            return g.finish(out.rates_vs(k1, n1, k2, n2, self.op, g.what, alpha))
        compare = out.paired_vs if self.paired else out.unpaired_vs
        result, notes = compare(a, b, self.stat, self.op, self.margin, ctx.tolerance, what, alpha)
        return g.finish(result.noted(notes))

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        if self.value.binary:
            one = float((self.op in (">", ">=")) == holds)
            ta, tb = (lambda i: one), (lambda i: 1.0 - one)
        else:
            ta, tb = self._targets(holds)
        made_b = syn.measure_trials(universe, self.b, self.measure_b, tb, self.vary)
        made_a = syn.measure_trials(universe, self.a, self.value, ta, self.vary)
        return _rows_of_both(made_b, made_a)

    def _targets(self, holds: bool):
        """Per seed index: (value of a, value of b) with the effect on (or off) the claim."""
        low, high = syn.value_range(self.value)
        base = 10.0 if self.stat == "ratio" else (0.25 if math.isfinite(high) else 1.0)
        if self.op == WITHIN:
            effect = (1.0 if self.stat == "ratio" else 0.0) if holds else 2 * self.margin
        elif self.stat == "ratio":
            up = (self.op in (">", ">=")) == holds
            effect = 2 * self.margin if up else self.margin / 2
        else:
            effect = syn.side(self.op, self.margin, holds, low - base, high - base)

        def b(i: int) -> float:
            return syn.jitter(base, i)

        def a(i: int) -> float:
            if self.stat == "ratio":
                value = b(i) * syn.jitter(effect, i)
            else:
                value = b(i) + effect + 0.001 * i * (1 if effect >= 0 else -1)
            return min(high, max(low, value))

        return a, b


SEED = "seed"


def _pair_text(pair_by: str | tuple[str, ...] | None) -> str:
    if pair_by is None:
        return SEED
    return pair_by if isinstance(pair_by, str) else " and ".join(pair_by)


def _rows_of_both(made_b: list[syn.Synthetic], made_a: list[syn.Synthetic]) -> list:
    """Where both arms are the same trial read on different rows (``value`` on the
    unstable rows, ``value_b`` on the stable ones: W-09b), one trial holding b's rows and
    then a's, so that merging it with other parts' trials (all_of) keeps both; any other
    trial as each arm made it."""
    a_by_key = {t.key: t for t in made_a}
    both = {t.key for t in made_b if t.key in a_by_key and t.flags != a_by_key[t.key].flags}
    out = [t for t in made_b if t.key not in both]
    for b in made_b:
        if b.key in both:
            a = a_by_key[b.key]
            nb, na = (
                max(map(len, [*t.series.values(), *t.flags.values()]), default=0) for t in (b, a)
            )
            series = {
                k: [*b.series.get(k, [math.nan] * nb), *a.series.get(k, [math.nan] * na)]
                for k in {**b.series, **a.series}
            }
            flags = {k: [*b.flags[k], *a.flags[k]] for k in b.flags.keys() & a.flags.keys()}
            out.append(syn.Synthetic(dict(b.config), b.seed, a.status, series, flags))
    return out + [t for t in made_a if t.key not in both]


@CHECKS.register("order")
class Order(Check):
    """Group values in order, ``A < B < C``: every adjacent gap must exceed ``margin``
    (an exact unpaired Mann-Whitney test per gap; all of them, intersection-union)."""

    kind: Literal["order"]
    groups: list[Where] = Field(min_length=2)
    value: Measure
    op: Literal["<", ">"] = "<"
    margin: float = 0.0

    def describe(self) -> str:
        chain = f" {self.op} ".join(describe_where(w) for w in self.groups)
        return (
            f"{self.value.describe()}: {chain} (every adjacent gap > {self.margin:g}; "
            "exact Mann-Whitney U tests, unpaired, one-sided, all of them)"
        )

    def wheres(self) -> list[dict[str, Any]]:
        return list(self.groups)

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        g = group_values(ctx, self.groups, [self.value] * len(self.groups))
        parts, notes = [], []
        names = [describe_where(w) for w in self.groups]
        for i, (prev, nxt) in enumerate(pairwise(g.per_group)):
            hi, lo = (nxt, prev) if self.op == "<" else (prev, nxt)
            first, second = (names[i + 1], names[i]) if self.op == "<" else names[i : i + 2]
            what = f"{g.what}: {first} - {second}"
            result, more = out.unpaired_vs(
                hi, lo, "difference", ">", self.margin, ctx.tolerance, what, alpha
            )
            parts.append(result)
            notes += more
        return g.finish(out.combine(parts, "all_of", alpha).noted(notes))

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        sign = 1.0 if (self.op == "<") == holds else -1.0
        step = max(2 * abs(self.margin), 1.0)
        made = []
        for i, where in enumerate(self.groups):
            value = 10.0 + sign * step * i
            made += syn.measure_trials(universe, where, self.value, partial(syn.jitter, value))
        return made


def _spearman_or_pearson(method: str, x, y) -> float:
    fn = sps.spearmanr if method == "spearman" else sps.pearsonr
    return float(fn(x, y)[0])


def _rho_target(op: Op, threshold: float, holds: bool, absolute: bool) -> float:
    if absolute:
        small = (op in ("<", "<=")) == holds
        return 0.0 if small else 1.0
    return syn.side(op, threshold, holds, -1.0, 1.0)


@CHECKS.register("correlation")
class Correlation(Check):
    """Per-trial rank correlation of two columns over its rows, tested over seeds (Fig. 3/4)."""

    column_fields: ClassVar[tuple[str, ...]] = ("x", "y")  # name declared columns (schema)

    kind: Literal["correlation"]
    where: Where
    x: str
    y: str | list[str]
    method: Literal["spearman", "pearson"] = "spearman"
    abs: bool = False
    op: Op
    threshold: float
    indifference: float = Field(
        0.0,
        ge=0,
        description="an equivalence margin around the threshold, fixed in the registration: "
        "the claim must clear threshold +- indifference on its side, a refutation on the other",
    )
    min_points: int = Field(4, ge=3, description="rows with both values a trial needs")
    skip_initial: bool = Field(
        True,
        description="leave out iteration 0: it is scored before the first update, so a "
        "loss estimate there is the untrained critic's output, not an estimate of anything",
    )
    pooled: bool | Literal["matched_time"] = Field(
        False,
        description="true: one correlation per seed over the checkpoints of every selected "
        "trial together, instead of one per trial (a trend over training time shared by the "
        "trials drives it). matched_time: do the columns rank the models alike at the same "
        "training time? Per seed, at each checkpoint iteration every selected trial of the "
        "seed has (after iteration 0 when skip_initial), the correlation across the trials "
        "(models), averaged over those iterations: a trend within a run cannot move it",
    )
    if_x_constant: float | None = Field(
        None,
        description="the value a trial gets when x does not change over its checkpoints "
        "(a flat curve tracks nothing: rank correlation is undefined there); None leaves "
        "such a trial out",
    )

    def describe(self) -> str:
        y = self.y if isinstance(self.y, str) else "|".join(self.y)
        rho = f"{self.method}({self.x}, {y})"
        rho = f"|{rho}|" if self.abs else rho
        flat = (
            ""
            if self.if_x_constant is None
            else f"; a constant {self.x} counts as {self.if_x_constant:g}"
        )
        if self.pooled == "matched_time":
            return (
                f"{rho} across the trials of a seed at each checkpoint iteration they share"
                f"{self._after}, averaged over those iterations, of "
                f"{describe_where(self.where)} {self.op} {self.threshold:g} (one-sample "
                "Wilcoxon signed-rank over seeds, one-sided)"
            )
        over = "the checkpoints of all trials of a seed, pooled," if self.pooled else "checkpoints"
        return (
            f"{rho} over {over}{self._after} of {describe_where(self.where)} {self.op} "
            f"{self.threshold:g} (one-sample Wilcoxon signed-rank over seeds, one-sided{flat})"
        )

    def wheres(self) -> list[dict[str, Any]]:
        return [self.where]

    @property
    def _after(self) -> str:
        return AFTER_START if self.skip_initial else ""

    @property
    def ys(self) -> list[str]:
        return [self.y] if isinstance(self.y, str) else list(self.y)

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        trials = ctx.select(self.where)
        y = ctx.first_metric(self.ys, trials, "all")
        ctx.first_metric([self.x], trials, "all")
        what = f"{self.method}({self.x}, {y}){self._after}"
        need = f"{self.min_points}+ non-constant checkpoints of both columns"
        flat: list[str] = []
        if self.pooled == "matched_time":
            per_seed, notes = self._matched_time(ctx, trials, y)
            result = out.values_vs(
                per_seed,
                self.op,
                self.threshold,
                ctx.tolerance,
                f"{what} across models at matched iterations, mean over iterations",
                alpha,
                self.indifference,
            )
            return result.noted(notes).with_trials([t.trial_id for t in trials])
        if self.pooled:
            per_seed, notes = self._pooled(ctx, trials, y), []
            result = out.values_vs(
                per_seed,
                self.op,
                self.threshold,
                ctx.tolerance,
                f"pooled {what}",
                alpha,
                self.indifference,
            )
            return result.with_trials([t.trial_id for t in trials])
        per_seed, notes = ctx.by_seed(trials, lambda t: self._one(ctx, t, y, flat), need)
        if flat:
            notes.append(
                f"{len(flat)} trial(s) with {self.x} constant over the checkpoints{self._after}, "
                f"counted as {self.if_x_constant:g}: {', '.join(flat)}"
            )
        result = out.values_vs(
            per_seed, self.op, self.threshold, ctx.tolerance, what, alpha, self.indifference
        )
        return result.noted(notes).with_trials([t.trial_id for t in trials])

    def _points(self, ctx: Context, t: Trial, y: str) -> pd.DataFrame:
        xs, ys = (_last_per_iteration(ctx.series(t.trial_id, c)) for c in (self.x, y))
        both = xs.to_frame("x").join(ys.to_frame("y"), how="inner")
        return after_start(both) if self.skip_initial else both

    def _pooled(self, ctx: Context, trials: list[Trial], y: str) -> dict[int, float]:
        """Per seed: the rank correlation over every (trial, checkpoint) of that seed."""
        per_seed = {}
        for seed in sorted({t.seed for t in trials}):
            points = pd.concat([self._points(ctx, t, y) for t in trials if t.seed == seed])
            if len(points) >= self.min_points and points.nunique().min() >= 2:
                r = _spearman_or_pearson(self.method, points["x"], points["y"])
                per_seed[seed] = abs(r) if self.abs else r
        return per_seed

    def _matched_time(
        self, ctx: Context, trials: list[Trial], y: str
    ) -> tuple[dict[int, float], list[str]]:
        """Per seed: at each checkpoint iteration every selected trial of the seed has,
        the rank correlation of the columns across the trials (models), averaged over the
        iterations where both columns differ between the models. Both columns are compared
        between models at the same training time, so a trend that every run shares over
        its checkpoints (the W estimate and the quality score falling together) cannot
        make models that rank backwards read as ranked."""
        per_seed: dict[int, float] = {}
        left_out: list[str] = []
        for seed in sorted({t.seed for t in trials}):
            mine = [t for t in trials if t.seed == seed]
            if len(mine) < 2:
                left_out.append(f"seed {seed} ({len(mine)} model)")
                continue
            points = [self._points(ctx, t, y) for t in mine]
            xs = pd.concat([p["x"] for p in points], axis=1).dropna()
            ys = pd.concat([p["y"] for p in points], axis=1).dropna()
            shared = xs.index.intersection(ys.index)
            rhos = [
                _spearman_or_pearson(self.method, xs.loc[i].to_numpy(), ys.loc[i].to_numpy())
                for i in shared
                if xs.loc[i].nunique() >= 2 and ys.loc[i].nunique() >= 2
            ]
            if len(rhos) < self.min_points:
                left_out.append(f"seed {seed} ({len(rhos)} shared iteration(s) that rank)")
                continue
            r = float(np.mean(rhos))
            per_seed[seed] = abs(r) if self.abs else r
        notes = []
        if left_out:
            notes.append(
                f"{len(left_out)} seed(s) without {self.min_points}+ checkpoint iterations "
                f"shared by 2+ models with both columns differing between them: "
                + ", ".join(left_out)
            )
        return per_seed, notes

    def _one(self, ctx: Context, t: Trial, y: str, flat: list[str]) -> float | None:
        xs, ys = (_last_per_iteration(ctx.series(t.trial_id, c)) for c in (self.x, y))
        both = xs.to_frame("x").join(ys.to_frame("y"), how="inner")
        if self.skip_initial:
            both = after_start(both)
        if len(both) < self.min_points:
            return None
        if both["x"].nunique() < 2 and self.if_x_constant is not None:
            flat.append(f"{t.trial_id} (seed {t.seed})")
            return self.if_x_constant
        if both["x"].nunique() < 2 or both["y"].nunique() < 2:
            return None
        r = _spearman_or_pearson(self.method, both["x"], both["y"])
        return abs(r) if self.abs else r

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        if self.pooled == "matched_time":
            return _matched_time_curves(self, holds, universe)
        if self.pooled:
            return self._synthesize_pooled(holds, universe)
        ys = syn.ranks_with(_rho_target(self.op, self.threshold, holds, self.abs))
        xs = [float(i + 1) for i in range(len(ys))]
        if self.skip_initial:  # an untrained critic's x at iteration 0, against the trend
            xs, ys = [max(xs) + 1.0, *xs], [ys[0], *ys]
        return [
            syn.Synthetic(config, seed, series={self.x: xs, self.ys[0]: ys})
            for config, seed in universe.select(self.where)
        ]

    def _synthesize_pooled(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        return _pooled_curves(self, holds, universe)


def _pooled_curves(check: Correlation, holds: bool, universe: syn.Universe) -> list:
    """Each trial of a seed a block of its own: x rises from block to block, y with it
    (a positive pooled correlation) or against it (negative), whatever each trial does."""
    up = _rho_target(check.op, check.threshold, holds, check.abs) >= 0
    made, count = [], {}
    n = len(syn.EXAMPLE_ITERATIONS) - int(check.skip_initial)
    for config, seed in universe.select(check.where):
        j = count[seed] = count.get(seed, -1) + 1
        xs = [10.0 * j + i for i in range(n)]
        ys = [v if up else -v for v in xs]
        if check.skip_initial:  # an untrained critic's iteration 0, against the trend
            xs, ys = [xs[-1] + 5.0, *xs], [ys[0], *ys]
        made.append(syn.Synthetic(config, seed, series={check.x: xs, check.ys[0]: ys}))
    return made


def _matched_time_curves(check: Correlation, holds: bool, universe: syn.Universe) -> list:
    """Trial j of a seed: at every iteration y rises with j, x rises with j (a positive
    correlation across the models at matched time) or falls with it (negative). Over the
    checkpoints both columns move the other way (x and y apart where the models rank
    alike, together where they rank backwards), so a pooled reading decides the opposite:
    these tables tell the matched-time reading from the pooled one. All values positive
    and spaced wider than any premise's 1% wobble."""
    up = _rho_target(check.op, check.threshold, holds, check.abs) >= 0
    made, count = [], {}
    n = len(syn.EXAMPLE_ITERATIONS) - int(check.skip_initial)
    for config, seed in universe.select(check.where):
        j = count[seed] = count.get(seed, -1) + 1
        step = 5.0 if up else -5.0  # x's step from model to model
        ys = [20.0 * i + 5.0 * j + 10.0 for i in range(n)]
        xs = [(1000.0 - 20.0 * i if up else 100.0 + 20.0 * i) + step * j for i in range(n)]
        if check.skip_initial:  # an untrained critic's iteration 0: the models the other way
            xs, ys = [500.0 - step * j, *xs], [ys[0], *ys]
        made.append(syn.Synthetic(config, seed, series={check.x: xs, check.ys[0]: ys}))
    return made


def _as_number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _last_per_iteration(s: pd.Series) -> pd.Series:
    return s[~s.index.duplicated(keep="last")]


@CHECKS.register("trend")
class Trend(Check):
    """Across cells: per seed, the rank correlation of each cell's value with a config
    value (``x``: e.g. lipschitz.c, schedule.n_critic, generator.theta), tested over
    seeds. WGAN Fig. 1: the W estimate grows with |theta|; Sec. 3: with c."""

    kind: Literal["trend"]
    where: Where
    x: str = Field(description="a config path whose value differs between the cells")
    abs_x: bool = Field(False, description="correlate with |x| (e.g. |theta|)")
    value: Measure
    method: Literal["spearman", "pearson"] = "spearman"
    op: Op
    threshold: float
    indifference: float = Field(
        0.0,
        ge=0,
        description="an equivalence margin around the threshold, fixed in the registration: "
        "the claim must clear threshold +- indifference on its side, a refutation on the other",
    )

    def describe(self) -> str:
        x = f"|{self.x}|" if self.abs_x else self.x
        return (
            f"{self.method}({x}, {self.value.describe()}) across the cells of "
            f"{describe_where(self.where)} {self.op} {self.threshold:g} "
            "(per seed; one-sample Wilcoxon signed-rank over seeds, one-sided)"
        )

    def wheres(self) -> list[dict[str, Any]]:
        return [self.where]

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        trials = ctx.select(self.where)
        g = group_values(ctx, [self.where], [self.value])
        xs = {t.trial_id: _as_number(ctx.config_value(t.trial_id, self.x)) for t in trials}
        if any(v is None for v in xs.values()):
            raise Inconclusive(
                f"config value {self.x} missing or not a number for some selected trials"
            )
        per_seed: dict[int, float] = {}
        for seed in sorted({t.seed for t in trials}):
            points = []
            for t in (t for t in trials if t.seed == seed):
                # the value every other check reads: one metric for the group, the
                # reduction's own index (at_updates reads by updates), missing ones noted
                v = g.by_trial.get(t.trial_id)
                if v is not None:
                    x = xs[t.trial_id]
                    points.append((abs(x) if self.abs_x else x, v))
            if len({p[0] for p in points}) >= 3 and len({p[1] for p in points}) >= 2:
                per_seed[seed] = _spearman_or_pearson(self.method, *zip(*points, strict=True))
        what = f"{self.method}({self.x}, {g.what}) across cells"
        result = out.values_vs(
            per_seed, self.op, self.threshold, ctx.tolerance, what, alpha, self.indifference
        )
        return result.noted(g.notes).with_trials(g.trial_ids)

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        """Each cell's value a monotone function of its x: rising for a positive target
        correlation, falling for a negative one."""
        sign = 1.0 if _rho_target(self.op, self.threshold, holds, False) >= 0 else -1.0
        picked = universe.select(self.where, vary=self.x)
        key = syn.column(self.x)
        xs = sorted({abs(c[key]) if self.abs_x else c[key] for c, _ in picked})
        made = []
        for config, seed in picked:
            x = abs(config[key]) if self.abs_x else config[key]
            value = 100.0 + sign * (1 + xs.index(x))
            target = syn.jitter(value, universe.seed_index(seed))
            values, status = self.value.reduction.example(target, self.value)
            series = {self.value.metrics[0]: list(values)} if self.value.metrics else {}
            made.append(syn.Synthetic(config, seed, status, series))
        return made
