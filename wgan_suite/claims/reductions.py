"""Per-trial reductions: one number per trial from its rows of the results table.

A claim compares seeds, so every check first turns each trial's curve into one value
(its final FID, the fraction of negative step cosines, whether it diverged, ...). Each
reduction is a registered ``Reduction`` that also knows how to *make* a curve
with a given value (``example``), so every claim can be tested on synthetic tables in
both directions. ``binary`` reductions (0/1 per trial) are tested as rates.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry
from wgan_suite.core.statuses import TrialStatus

EXAMPLE_ITERATIONS = tuple(range(0, 1000, 100))  # where synthetic curves are logged


class Measure(Options):
    """How one trial becomes one number: ``{reduce: final, metric: [fid, fd_classifier]}``."""

    column_fields: ClassVar[tuple[str, ...]] = ("metric",)  # name declared columns (schema)

    reduce: str = Field(description="a registered reduction: final, initial, change, slope, ...")
    metric: str | list[str] | None = Field(
        None, description="a column, or columns tried in order: the first with data is used"
    )
    rows: Literal["all", "checkpoints", "unstable", "stable"] = Field(
        "all",
        description="checkpoints: scored rows only; unstable / stable: rows inside / outside "
        "the instability windows of wgan_suite.analysis.summaries.mark_instability",
    )
    last: float = Field(1.0, gt=0, le=1, description="fraction of the curve kept, from its end")
    below: float = Field(0.0, description="frac_below: values under this count")
    abs: bool = Field(False, description="take |value| per trial (e.g. |slope|)")
    bound: float = Field(0.5, gt=0, description="failed: final above bound x initial")
    fraction: float = Field(
        0.9, gt=0, lt=1, description="time_to_plateau: the share of the way to the plateau"
    )
    at: float | None = Field(None, ge=0, description="at_updates: read where updates reach this")
    skip_initial: bool = Field(
        False,
        description="leave out iteration 0, scored before the first update: a critic-based "
        "value there is the untrained critic's, not a result of training",
    )

    @field_validator("reduce")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in REDUCTIONS:
            raise ValueError(REDUCTIONS.unknown_message(v))
        return v

    @model_validator(mode="after")
    def _metric_given(self) -> Measure:
        needs = REDUCTIONS.get(self.reduce).needs_metric
        if self.metric is None and needs:
            raise ValueError(f"reduction '{self.reduce}' needs a metric: column or [columns]")
        if isinstance(self.metric, list) and not self.metric:
            raise ValueError("metric: an empty list names no column")
        if self.reduce == "at_updates" and self.at is None:
            raise ValueError("reduction 'at_updates' needs at: <number of updates>")
        if self.skip_initial and self.reduction.reads_initial:
            allowed = sorted(k for k in REDUCTIONS if not REDUCTIONS.get(k).reads_initial)
            raise ValueError(
                f"skip_initial: reduction '{self.reduce}' compares with iteration 0, so it "
                f"cannot leave it out; allowed with: {', '.join(allowed)}"
            )
        return self

    @property
    def reduction(self) -> type[Reduction]:
        return REDUCTIONS.get(self.reduce)

    @property
    def binary(self) -> bool:
        return self.reduction.binary

    @property
    def metrics(self) -> tuple[str, ...]:
        if self.metric is None:
            return ()
        return (self.metric,) if isinstance(self.metric, str) else tuple(self.metric)

    def describe(self, metric: str | None = None) -> str:
        """``final fd`` / ``mean of last 50% of js_estimate`` / ``|final critic_grad_slope|``."""
        name = metric or "|".join(self.metrics)
        what = self.reduction.describe(self, name)
        if self.rows != "all":
            what += f" ({self.rows} rows)"
        if self.skip_initial:
            what += AFTER_START
        return f"|{what}|" if self.abs else what


class Reduction:
    """One trial's rows of a column -> one number; ``example`` makes rows with a value."""

    binary: ClassVar[bool] = False  # 0/1 per trial: tested as a rate
    needs_metric: ClassVar[bool] = True
    reads_initial: ClassVar[bool] = False  # compares with iteration 0 (no skip_initial)
    value_range: ClassVar[tuple[float, float]] = (-math.inf, math.inf)
    index: ClassVar[str] = "iteration"  # what the values are indexed by (a results column)

    @staticmethod
    def reduce(values: pd.Series, status: str, m: Measure) -> float | None:
        raise NotImplementedError

    @staticmethod
    def example(target: float, m: Measure) -> tuple[list[float], str]:
        """(values at EXAMPLE_ITERATIONS, trial status) whose reduction is ``target``."""
        return [target] * len(EXAMPLE_ITERATIONS), TrialStatus.FINISHED

    @staticmethod
    def describe(m: Measure, name: str) -> str:
        return name


REDUCTIONS: Registry[type[Reduction]] = Registry("reduction")


def _kept(n: int, m: Measure) -> int:
    """How many of n rows ``last`` keeps (at least one)."""
    return max(1, math.ceil(n * m.last))


def _seen(m: Measure) -> int:
    """How many of the EXAMPLE_ITERATIONS rows the reduction reads (not iteration 0 when
    ``skip_initial``): what an example curve is sized to."""
    return len(EXAMPLE_ITERATIONS) - int(m.skip_initial)


AFTER_START = " after iteration 0"  # what skip_initial adds to a description


def after_start(values: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Rows indexed past iteration (or update) 0: what training produced, not the
    untrained networks' values (``skip_initial``)."""
    return values[np.asarray(values.index, dtype=float) > 0]


def _tail(values: pd.Series, m: Measure) -> pd.Series:
    return values.iloc[len(values) - _kept(len(values), m) :]


def reduce_trial(values: pd.Series, status: str, m: Measure) -> float | None:
    """The trial's value, or None when it has no data for this measure."""
    if m.skip_initial:  # first: a trial scored only at iteration 0 has nothing after it
        values = after_start(values)
    if (
        m.reduction.needs_metric
        and values.empty
        and not (m.binary and status == TrialStatus.DIVERGED)
    ):
        return None
    out = m.reduction.reduce(values, status, m)
    if out is None or not math.isfinite(out):
        return None
    return abs(out) if m.abs else float(out)


def _named(prefix: str):
    return staticmethod(lambda m, name: f"{prefix} {name}")


@REDUCTIONS.register("final")
class Final(Reduction):
    """The value at the last scored iteration."""

    describe = _named("final")

    @staticmethod
    def reduce(values, status, m):
        return float(values.iloc[-1])


PLATEAU = 0.2  # time_to_plateau: the plateau is the mean of the curve's last 20%


@REDUCTIONS.register("time_to_plateau")
class TimeToPlateau(Reduction):
    """The iteration at which the curve first gets ``fraction`` of the way from its first
    value to its plateau (the mean of its last 20%), interpolated between checkpoints:
    how long a critic takes to approach its optimum, on its own scale (WGAN Sec. 3: with a
    large clipping range it can take long for any weight to reach its limit)."""

    reads_initial = True
    value_range = (1e-3, math.inf)  # progress is 0 at the first row: never reached there
    describe = staticmethod(
        lambda m, name: f"iterations to {m.fraction:.0%} of the way to the plateau of {name}"
    )

    @staticmethod
    def reduce(values, status, m):
        if len(values) < 3:
            return None
        v = values.to_numpy(dtype=float)
        it = np.asarray(values.index, dtype=float)
        plateau = float(v[len(v) - max(1, math.ceil(PLATEAU * len(v))) :].mean())
        rise = plateau - v[0]
        if rise == 0:
            return None  # never moved: no approach to time
        progress = (v - v[0]) / rise
        hit = int(np.argmax(progress >= m.fraction))
        if progress[hit] < m.fraction:
            return None
        before, after = progress[hit - 1], progress[hit]
        share = (m.fraction - before) / (after - before)
        return float(it[hit - 1] + share * (it[hit] - it[hit - 1]))

    @staticmethod
    def example(target, m):
        """0, then one step whose interpolated crossing of ``fraction`` is at ``target``,
        then the plateau 1 (targets inside the first 80% of EXAMPLE_ITERATIONS)."""
        its = EXAMPLE_ITERATIONS
        t = min(max(float(target), 1e-3), its[int(len(its) * (1 - PLATEAU)) - 1])
        k = next(i for i, it in enumerate(its) if it >= t)
        step = m.fraction * (its[k] - its[k - 1]) / (t - its[k - 1])
        values = [0.0] * k + [step] + [1.0] * (len(its) - k - 1)
        return values, TrialStatus.FINISHED


@REDUCTIONS.register("initial")
class Initial(Reduction):
    """The value at the first logged row (iteration 0: the untrained networks)."""

    reads_initial = True
    describe = _named("initial")

    @staticmethod
    def reduce(values, status, m):
        return float(values.iloc[0])


@REDUCTIONS.register("change")
class Change(Reduction):
    """Final minus initial: what training did, never the state at initialisation."""

    describe = staticmethod(lambda m, name: f"change of {name} from its first row to its last")

    @staticmethod
    def reduce(values, status, m):
        return float(values.iloc[-1] - values.iloc[0]) if len(values) > 1 else None

    @staticmethod
    def example(target, m):
        half = len(EXAMPLE_ITERATIONS) // 2
        return [0.0] * half + [target] * (len(EXAMPLE_ITERATIONS) - half), TrialStatus.FINISHED


@REDUCTIONS.register("min")
class Minimum(Reduction):
    describe = staticmethod(lambda m, name: f"min of {name}")

    @staticmethod
    def reduce(values, status, m):
        return float(_tail(values, m).min())


@REDUCTIONS.register("max")
class Maximum(Reduction):
    describe = staticmethod(lambda m, name: f"max of {name}")

    @staticmethod
    def reduce(values, status, m):
        return float(_tail(values, m).max())


@REDUCTIONS.register("mean")
class Mean(Reduction):
    describe = staticmethod(lambda m, name: f"mean of {name}")

    @staticmethod
    def reduce(values, status, m):
        return float(values.mean())


@REDUCTIONS.register("mean_last")
class MeanLast(Reduction):
    describe = staticmethod(lambda m, name: f"mean of last {m.last:.0%} of {name}")

    @staticmethod
    def reduce(values, status, m):
        return float(_tail(values, m).mean())


@REDUCTIONS.register("slope")
class Slope(Reduction):
    """Least-squares slope per 1000 generator iterations (the index is the iteration)."""

    describe = staticmethod(
        lambda m, name: (
            f"slope of {name} per 1k iterations"
            + (f" over last {m.last:.0%}" if m.last < 1 else "")
        )
    )

    @staticmethod
    def reduce(values, status, m):
        tail = _tail(values, m)
        if len(tail) < 2:
            return None
        x = np.asarray(tail.index, dtype=float) / 1000.0
        return float(np.polyfit(x, tail.to_numpy(dtype=float), 1)[0])

    @staticmethod
    def example(target, m):
        return [target * it / 1000.0 for it in EXAMPLE_ITERATIONS], TrialStatus.FINISHED


@REDUCTIONS.register("cv")
class CoefficientOfVariation(Reduction):
    """std / |mean| of the curve (a flat curve, WGAN Fig. 3 lower row, has a small one)."""

    value_range = (0.0, math.inf)

    describe = staticmethod(
        lambda m, name: (
            f"coefficient of variation of {name}"
            + (f" over last {m.last:.0%}" if m.last < 1 else "")
        )
    )

    @staticmethod
    def reduce(values, status, m):
        tail = _tail(values, m).to_numpy(dtype=float)
        centre = abs(tail.mean())
        return float(tail.std() / centre) if centre > 0 else None

    @staticmethod
    def example(target, m):
        """Mean 1 and std |target| over the rows ``last`` keeps (an odd count gets one
        row at the mean), so the curve reduces to ``target`` whatever ``last`` is."""
        n, kept = len(EXAMPLE_ITERATIONS), _kept(_seen(m), m)
        signs = np.array([1.0 if i % 2 else -1.0 for i in range(kept)])
        if kept % 2:
            signs[-1] = 0.0
        scale = abs(target) / signs.std() if signs.std() > 0 else 0.0
        return [1.0] * (n - kept) + [1.0 + scale * s for s in signs], TrialStatus.FINISHED


@REDUCTIONS.register("frac_below")
class FracBelow(Reduction):
    value_range = (0.0, 1.0)
    describe = staticmethod(lambda m, name: f"fraction of {name} < {m.below:g}")

    @staticmethod
    def reduce(values, status, m):
        return float((_tail(values, m) < m.below).mean())

    @staticmethod
    def example(target, m):
        """The below-``below`` rows inside the part of the curve ``last`` keeps."""
        n, kept = len(EXAMPLE_ITERATIONS), _kept(_seen(m), m)
        k = min(kept, max(0, round(target * kept)))
        above = [m.below + 1.0]
        return above * (n - kept) + [m.below - 1.0] * k + above * (kept - k), TrialStatus.FINISHED


@REDUCTIONS.register("diverged")
class Diverged(Reduction):
    """Divergence is a result: 1 for a diverged trial, 0 for a finished one."""

    binary = True
    needs_metric = False
    value_range = (0.0, 1.0)
    describe = staticmethod(lambda m, name: "diverged (1/0)")

    @staticmethod
    def reduce(values, status, m):
        return 1.0 if status == TrialStatus.DIVERGED else 0.0

    @staticmethod
    def example(target, m):
        return [], TrialStatus.DIVERGED if target >= 0.5 else TrialStatus.FINISHED


@REDUCTIONS.register("failed")
class Failed(Reduction):
    """1 when the trial did not learn: it diverged, or its final value is still above
    ``bound`` times its value at iteration 0 (a quality score, lower is better, that did
    not at least halve by default); else 0."""

    binary = True
    reads_initial = True
    value_range = (0.0, 1.0)
    describe = staticmethod(
        lambda m, name: f"failed to learn (diverged, or final {name} > {m.bound:g} x initial)"
    )

    @staticmethod
    def reduce(values, status, m):
        if status == TrialStatus.DIVERGED:
            return 1.0
        if len(values) < 2 or values.iloc[0] <= 0:
            return None
        return float(values.iloc[-1] > m.bound * values.iloc[0])

    @staticmethod
    def example(target, m):
        final = 2 * m.bound if target >= 0.5 else m.bound / 4
        return [1.0] * (len(EXAMPLE_ITERATIONS) - 1) + [final], TrialStatus.FINISHED


@REDUCTIONS.register("ratio_to_initial")
class RatioToInitial(Reduction):
    """Final value / value at iteration 0: how far training moved a score (0.05: a
    quality score 20 times better than the untrained networks')."""

    reads_initial = True
    value_range = (0.0, math.inf)
    describe = staticmethod(lambda m, name: f"final / initial {name}")

    @staticmethod
    def reduce(values, status, m):
        if len(values) < 2 or values.iloc[0] <= 0:
            return None
        return float(values.iloc[-1] / values.iloc[0])

    @staticmethod
    def example(target, m):
        return [1.0] * (len(EXAMPLE_ITERATIONS) - 1) + [target], TrialStatus.FINISHED


@REDUCTIONS.register("at_updates")
class AtUpdates(Reduction):
    """The value at the first row where the trial has made ``at`` network updates (critic
    steps + generator steps, the results column ``updates``): trials compared at equal
    compute, whatever their n_critic."""

    index = "updates"
    describe = staticmethod(lambda m, name: f"{name} after {m.at:g} updates")

    @staticmethod
    def reduce(values, status, m):
        reached = values[np.asarray(values.index, dtype=float) >= m.at]
        return float(reached.iloc[0]) if len(reached) else None

    @staticmethod
    def example(target, m):
        return [target] * len(EXAMPLE_ITERATIONS), TrialStatus.FINISHED
