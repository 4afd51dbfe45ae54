"""From per-seed values to a verdict: a bootstrap CI over seeds against the claimed side.

Reproduced when the whole 95% CI of the mean over seeds lies on the claimed side of the
threshold, not reproduced when it lies wholly on the other side, inconclusive otherwise.
The tolerance moves the threshold in the claim's favour (a published 7.86 with tolerance
0.25 passes from 7.61 up).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from scipy import stats

Op = Literal["<", "<=", ">", ">="]
VerdictName = Literal["reproduced", "not_reproduced", "inconclusive"]
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
BOOTSTRAP_SEED = 0  # fixed: the same table always gives the same verdicts
N_RESAMPLES = 4999
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Outcome:
    """What one check found; the claim's verdict is built from it."""

    verdict: VerdictName
    reason: str
    measured: float | None = None  # mean over seeds
    ci_low: float | None = None
    ci_high: float | None = None
    threshold: float | None = None  # the threshold the CI was compared with (tolerance applied)
    n_seeds: int = 0
    trial_ids: tuple[str, ...] = field(default=())

    def with_trials(self, trial_ids: tuple[str, ...]) -> Outcome:
        return replace(self, trial_ids=tuple(sorted(set(trial_ids))))


def bootstrap_ci(values: np.ndarray) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean; identical values give the value itself."""
    if len(values) < 2 or np.ptp(values) == 0:
        return float(values.mean()), float(values.mean())
    res = stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=N_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    ci = res.confidence_interval
    return float(ci.low), float(ci.high)


def effective_threshold(op: Op, threshold: float, tolerance: float) -> float:
    return threshold - tolerance if op in (">", ">=") else threshold + tolerance


def decide(
    per_seed: dict[int, float],
    op: Op,
    threshold: float,
    tolerance: float,
    min_seeds: int,
    what: str,
) -> Outcome:
    """Compare the CI of the mean of ``per_seed`` with ``op threshold`` (``what`` names it)."""
    n = len(per_seed)
    limit = effective_threshold(op, threshold, tolerance)
    if n == 0:
        return Outcome("inconclusive", f"no usable seed for {what}", threshold=limit)
    values = np.array([per_seed[s] for s in sorted(per_seed)], dtype=float)
    lo, hi = bootstrap_ci(values)
    base = Outcome("inconclusive", "", float(values.mean()), lo, hi, limit, n)
    ci = f"{what}: mean {values.mean():.4g}, 95% CI [{lo:.4g}, {hi:.4g}] over {n} seed(s)"
    if n < min_seeds:
        return replace(base, reason=f"{ci}; only {n} usable seed(s), {min_seeds} needed")
    holds = OPS[op]
    if holds(lo, limit) and holds(hi, limit):
        return replace(base, verdict="reproduced", reason=f"{ci} lies {op} {limit:.4g}")
    if not holds(lo, limit) and not holds(hi, limit):
        return replace(base, verdict="not_reproduced", reason=f"{ci} lies outside {op} {limit:.4g}")
    return replace(base, reason=f"{ci} overlaps the threshold {limit:.4g}")
