"""What must be true of the runs before a check may be read as the claim's test.

A verdict is only worth what its premises are: a "flat W estimate" read from a dead
critic (every output 0) is not the paper's control, and "the GAN's MLP collapsed" read
from a generator that never left its initial state is failure to learn, not collapse.
Each claim lists its ``premises:``; each is a deterministic condition on every trial it
selects (not a statistical test: a premise is a precondition of the design). When one
fails the claim reads "inconclusive: premise failed (which)" whatever the check says,
and the check's numbers stay on the page for the reader.

A new kind is one decorated class: ``@PREMISES.register("name")`` on a ``Premise``.
Every kind can also make synthetic trials on which it holds (``synthesize``), so the
claims' both-ways tests run with their premises in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, ValidationError

from suite.claims import synthetic as syn
from suite.claims.base import error_lines
from suite.claims.context import Context, Trial
from suite.claims.reductions import EXAMPLE_ITERATIONS, after_start
from suite.claims.selection import ClaimError, Inconclusive, Where, describe_where
from suite.errors import short
from suite.options import Options
from suite.registry import Registry


@dataclass(frozen=True)
class PremiseResult:
    """One premise read on the tables: did it hold, and in which trials it did not."""

    name: str  # the premise's one-line description
    held: bool
    detail: str  # what was found (counts, failing trials), one line

    def text(self) -> str:
        return f"{self.name}: {'held' if self.held else 'FAILED'} ({self.detail})"


class Premise(Options):
    """A condition every selected trial must meet (``min_share`` of them, default all)."""

    column_fields: ClassVar[tuple[str, ...]] = ()  # fields naming result columns (as Check)

    kind: str
    where: Where
    min_share: float = Field(1.0, gt=0, le=1, description="share of trials that must meet it")

    def describe(self) -> str:
        raise NotImplementedError

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        """(met, why not) for one trial."""
        raise NotImplementedError

    def synthesize(self, universe: syn.Universe) -> list[syn.Synthetic]:
        """Trials on which this premise holds, for the columns the check leaves free."""
        return []

    def adapt(self, made: list[syn.Synthetic], universe: syn.Universe) -> list[syn.Synthetic]:
        """The check's synthetic trials (``made``) completed so that this premise holds:
        the check's own curves win, the premise fills the columns they lack."""
        return syn.merge([made, self.synthesize(universe)], override=False)

    def selected_keys(self, universe: syn.Universe) -> set[str]:
        return {syn.Synthetic(c, s).key for c, s in universe.select(self.where)}

    def read(self, ctx: Context) -> PremiseResult:
        try:
            trials = ctx.select(self.where)
        except Inconclusive as exc:
            return PremiseResult(self.describe(), False, f"cannot be read: {exc.reason}")
        failing = []
        for t in trials:
            met, why = self.holds_for(ctx, t)
            if not met:
                failing.append(f"{t.trial_id} (seed {t.seed}): {why}")
        share = 1 - len(failing) / len(trials)
        held = share >= self.min_share - 1e-12
        detail = f"{len(trials) - len(failing)} of {len(trials)} trials meet it"
        if failing:
            detail += "; not: " + "; ".join(failing[:4]) + ("; ..." if len(failing) > 4 else "")
        return PremiseResult(self.describe(), held, detail)

    def _share(self) -> str:
        return "" if self.min_share == 1 else f" (at least {self.min_share:.0%} of trials)"


PREMISES: Registry[type[Premise]] = Registry("premise kind", Premise)


def _metric_series(ctx: Context, t: Trial, metrics: list[str]):
    for m in metrics:
        s = ctx.series(t.trial_id, m)
        if not s.empty:
            return m, s[~s.index.duplicated(keep="last")]
    return None, None


@PREMISES.register("alive")
class Alive(Premise):
    """The critic is alive: its estimate still moves over the last ``tail`` of the run.

    A clipped critic whose weights all die outputs a constant (WGAN Sec. 3's vanishing
    gradients); a loss curve "flat" for that reason is not a loss that fails to track
    quality, it is no loss at all."""

    column_fields: ClassVar[tuple[str, ...]] = ("metric",)  # name declared columns (schema)

    kind: Literal["alive"]
    metric: str | list[str]
    tail: float = Field(0.5, gt=0, le=1, description="fraction of checkpoints, from the end")
    rtol: float = Field(
        1e-3,
        gt=0,
        lt=1,
        description="movement smaller than this fraction of the end's largest |value| is "
        "no movement (float noise on a dead critic's output)",
    )

    def describe(self) -> str:
        return (
            f"alive: {'|'.join(self.metrics)} of {describe_where(self.where)} not constant over "
            f"the last {self.tail:.0%} of checkpoints{self._share()}"
        )

    @property
    def metrics(self) -> list[str]:
        return [self.metric] if isinstance(self.metric, str) else list(self.metric)

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        """Alive: the tail moves (its range above rtol of the curve's scale) and so do its
        last two checkpoints, so a critic that died late, or is flat up to float noise,
        does not pass on the points before it died."""
        name, s = _metric_series(ctx, trial, self.metrics)
        if s is None:
            return False, f"no {'|'.join(self.metrics)} rows"
        s = after_start(s)
        tail = s.iloc[len(s) - max(2, int(np.ceil(self.tail * len(s)))) :]
        if len(tail) < 2:
            return False, f"{len(tail)} checkpoint(s) after iteration 0"
        scale = max(float(tail.abs().max()), 1e-30)  # the end's own size, not a spike's
        moved = float(tail.max() - tail.min()) > self.rtol * scale
        last = abs(float(tail.iloc[-1] - tail.iloc[-2])) > self.rtol * scale
        if not (moved and last):
            where = f"over its last {len(tail)} checkpoints" if not moved else "at its end"
            return False, f"{name} constant at {tail.iloc[-1]:.3g} {where}"
        return True, ""

    def adapt(self, made: list[syn.Synthetic], universe: syn.Universe) -> list[syn.Synthetic]:
        """Where the check wrote this curve with a flat end (a plateau), the end gets a
        small alternating wobble, as a live critic's batch noise has: +-1% in pairs, so
        the mean of any even-sized end and every crossing stay where the check put them."""
        keys = self.selected_keys(universe)
        for t in made:
            name = next((m for m in self.metrics if m in t.series), None)
            if t.key not in keys or name is None or len(t.series[name]) < 4:
                continue
            values = list(t.series[name])
            half = len(values) // 2
            for i in range(len(values) - half, len(values)):
                wobble = 0.01 * max(abs(values[i]), 1e-3)
                values[i] += wobble if (len(values) - i) % 2 else -wobble
            t.series[name] = values
        return super().adapt(made, universe)

    def synthesize(self, universe: syn.Universe) -> list[syn.Synthetic]:
        values = [1.0 + 0.1 * i for i in range(len(EXAMPLE_ITERATIONS))]
        return [
            syn.Synthetic(config, seed, series={self.metrics[0]: values})
            for config, seed in universe.select(self.where)
        ]


@PREMISES.register("trained")
class Trained(Premise):
    """The generator learned: its quality (lower is better) moved from initialisation.

    ``at: best`` asks that it learned at some point ("the GAN learned before it
    collapsed"); ``at: final`` that it ended better than it started. Better means the
    value at ``at`` is at most ``initial / factor``."""

    column_fields: ClassVar[tuple[str, ...]] = ("metric",)  # name declared columns (schema)

    kind: Literal["trained"]
    metric: str | list[str]
    factor: float = Field(2.0, gt=1, description="improvement over iteration 0 needed")
    at: Literal["best", "final"] = "best"
    better: Literal["lower", "higher"] = Field(
        "lower", description="lower: a distance such as FID or W1; higher: e.g. a mode count"
    )

    @property
    def metrics(self) -> list[str]:
        return [self.metric] if isinstance(self.metric, str) else list(self.metric)

    def describe(self) -> str:
        return (
            f"trained: {self.at} {'|'.join(self.metrics)} of {describe_where(self.where)} at "
            f"most 1/{self.factor:g} of its iteration-0 value{self._share()}"
        )

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        name, s = _metric_series(ctx, trial, self.metrics)
        if s is None or len(s) < 2:
            return False, f"fewer than 2 rows of {'|'.join(self.metrics)}"
        if self.better == "higher":  # the same rule on 1 / value
            s = 1.0 / s.where(s > 0)
            s = s.dropna()
            if len(s) < 2:
                return False, f"fewer than 2 positive rows of {name}"
        initial = float(s.iloc[0])
        reached = float(s.min() if self.at == "best" else s.iloc[-1])
        if not (initial > 0 and reached <= initial / self.factor):
            return False, f"{name} {initial:.3g} at start, {self.at} {reached:.3g}"
        return True, ""

    def adapt(self, made: list[syn.Synthetic], universe: syn.Universe) -> list[syn.Synthetic]:
        """Where the check wrote this quality curve, its iteration-0 value is raised well
        above the rest (an untrained generator scores worst): the checks read it after
        iteration 0, or as ``final``, so their verdict is unchanged."""
        keys = self.selected_keys(universe)
        for t in made:
            name = next((m for m in self.metrics if m in t.series), None)
            if t.key not in keys or name is None or not t.series[name]:
                continue
            values = list(t.series[name])
            if self.better == "lower":
                start = max(max(values), 1e-3) * self.factor * 2
            else:
                start = max(min(values), 1e-6) / (self.factor * 2)
            t.series[name] = [start, *values[1:]] if len(values) > 1 else [start, values[0]]
        return super().adapt(made, universe)

    def synthesize(self, universe: syn.Universe) -> list[syn.Synthetic]:
        n = len(EXAMPLE_ITERATIONS)
        values = [100.0 * (self.factor * 4) ** (-i / (n - 1)) for i in range(n)]
        if self.better == "higher":
            values = [1e4 / v for v in values]
        return [
            syn.Synthetic(config, seed, series={self.metrics[0]: values})
            for config, seed in universe.select(self.where)
        ]


@PREMISES.register("reached")
class Reached(Premise):
    """The run reached the claim's scale: every trial was configured for at least
    ``iterations`` generator iterations (a claim about 8,000 iterations is not read on a
    600-iteration run, whatever the budget is called)."""

    kind: Literal["reached"]
    iterations: int = Field(ge=1)

    def describe(self) -> str:
        return (
            f"reached: trials of {describe_where(self.where)} run for at least "
            f"{self.iterations:,} generator iterations{self._share()}"
        )

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        ran = ctx.config_value(trial.trial_id, "iterations")
        try:
            ran = int(ran)
        except (TypeError, ValueError):
            return False, "its configured iterations are not in the tables"
        if ran < self.iterations:
            return False, f"configured for {ran:,} iterations"
        return True, ""


def parse_premise(raw: Any, loc: str) -> Premise:
    kinds = ", ".join(PREMISES.names())
    if not isinstance(raw, dict) or "kind" not in raw:
        raise ClaimError(
            f"{loc}: expected a mapping with 'kind' (one of {kinds}), got {short(raw)}"
        )
    if raw["kind"] not in PREMISES:
        raise ClaimError(f"{loc}.kind: {PREMISES.unknown_message(raw['kind'])}")
    cls = PREMISES.get(raw["kind"])
    try:
        return cls.model_validate(raw)
    except ValidationError as err:
        raise ClaimError("\n".join(error_lines(err, loc, cls))) from None


def read_premises(premises: list[Premise], ctx: Context) -> list[PremiseResult]:
    return [p.read(ctx) for p in premises]


def failed_text(results: list[PremiseResult]) -> str | None:
    """``premise failed (alive: ...; trained: ...)`` or None when every premise held."""
    failed = [r for r in results if not r.held]
    if not failed:
        return None
    return "premise failed (" + "; ".join(r.text() for r in failed) + ")"
