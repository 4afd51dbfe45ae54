"""Per-trial reductions: one number per trial from its rows of the results table.

A claim compares seeds, so every check first turns each trial's curve into one value
(its final FID, the fraction of negative step cosines, whether it diverged, ...). Each
reduction is a registered function (STYLE 2); a new one is one decorated function here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from suite.options import Options
from suite.registry import Registry

# (values of the metric, non-null, ordered by iteration; the trial's status; the spec)
Reduction = Callable[[pd.Series, str, "Measure"], float | None]
REDUCTIONS: Registry[Reduction] = Registry("reduction")
NO_METRIC = ("diverged",)  # reductions that read the trial status only


class Measure(Options):
    """How one trial becomes one number: ``{reduce: final, metric: [fid, fd_classifier]}``."""

    reduce: str = Field(description="a registered reduction: final, min, max, mean, ...")
    metric: str | list[str] | None = Field(
        None, description="a column, or columns tried in order: the first with data is used"
    )
    rows: Literal["all", "checkpoints"] = Field("all", description="checkpoints: at_checkpoint")
    last: float = Field(1.0, gt=0, le=1, description="fraction of the curve kept, from its end")
    below: float = Field(0.0, description="frac_below: values under this count")
    abs: bool = Field(False, description="take |value| per trial (e.g. |slope|)")

    @field_validator("reduce")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in REDUCTIONS:
            raise ValueError(REDUCTIONS.unknown_message(v))
        return v

    @model_validator(mode="after")
    def _metric_given(self) -> Measure:
        if self.metric is None and self.reduce not in NO_METRIC:
            raise ValueError(f"reduction '{self.reduce}' needs a metric: column or [columns]")
        if isinstance(self.metric, list) and not self.metric:
            raise ValueError("metric: an empty list names no column")
        return self

    @property
    def metrics(self) -> tuple[str, ...]:
        if self.metric is None:
            return ()
        return (self.metric,) if isinstance(self.metric, str) else tuple(self.metric)

    def describe(self, metric: str | None = None) -> str:
        """``final fd`` / ``mean of last 50% of js_estimate`` / ``|final critic_grad_slope|``."""
        name = metric or "|".join(self.metrics)
        what = {
            "mean_last": f"mean of last {self.last:.0%} of {name}",
            "frac_below": f"fraction of {name} < {self.below:g}",
            "diverged": "diverged (1/0)",
        }.get(self.reduce, f"{self.reduce} {name}")
        if self.reduce in ("slope", "cv") and self.last < 1:
            what += f" over last {self.last:.0%}"
        if self.rows == "checkpoints":
            what += " at checkpoints"
        return f"|{what}|" if self.abs else what


def _tail(values: pd.Series, m: Measure) -> pd.Series:
    return values.iloc[len(values) - max(1, math.ceil(len(values) * m.last)) :]


def reduce_trial(values: pd.Series, status: str, m: Measure) -> float | None:
    """The trial's value, or None when it has no data for this measure."""
    if m.reduce not in NO_METRIC and values.empty:
        return None
    out = REDUCTIONS.get(m.reduce)(values, status, m)
    if out is None or not math.isfinite(out):
        return None
    return abs(out) if m.abs else float(out)


@REDUCTIONS.register("final")
def final(values: pd.Series, status: str, m: Measure) -> float:
    return float(values.iloc[-1])


@REDUCTIONS.register("min")
def minimum(values: pd.Series, status: str, m: Measure) -> float:
    return float(_tail(values, m).min())


@REDUCTIONS.register("max")
def maximum(values: pd.Series, status: str, m: Measure) -> float:
    return float(_tail(values, m).max())


@REDUCTIONS.register("mean")
def mean(values: pd.Series, status: str, m: Measure) -> float:
    return float(values.mean())


@REDUCTIONS.register("mean_last")
def mean_last(values: pd.Series, status: str, m: Measure) -> float:
    return float(_tail(values, m).mean())


@REDUCTIONS.register("slope")
def slope(values: pd.Series, status: str, m: Measure) -> float | None:
    """Least-squares slope per 1000 generator iterations (the index is the iteration)."""
    tail = _tail(values, m)
    if len(tail) < 2:
        return None
    x = np.asarray(tail.index, dtype=float) / 1000.0
    return float(np.polyfit(x, tail.to_numpy(dtype=float), 1)[0])


@REDUCTIONS.register("cv")
def cv(values: pd.Series, status: str, m: Measure) -> float | None:
    """Coefficient of variation: std / |mean| (a flat curve, W-05, has a small one)."""
    tail = _tail(values, m).to_numpy(dtype=float)
    centre = abs(tail.mean())
    return float(tail.std() / centre) if centre > 0 else None


@REDUCTIONS.register("frac_below")
def frac_below(values: pd.Series, status: str, m: Measure) -> float:
    return float((_tail(values, m) < m.below).mean())


@REDUCTIONS.register("diverged")
def diverged(values: pd.Series, status: str, m: Measure) -> float:
    """Divergence is a result (STYLE 14): 1 for a diverged trial, 0 for a finished one."""
    return 1.0 if status == "diverged" else 0.0
