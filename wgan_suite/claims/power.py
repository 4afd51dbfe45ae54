"""Seeds from a power analysis: how many a confirmatory claim needs to be decided.

A registered design that reaches its Holm bound only when every seed agrees is a design
that will mostly read "inconclusive". Each confirmatory claim's seeds are instead sized
so that its test, at the family's first Holm step, decides with probability at least
``TARGET`` (0.8) at the effect already seen in the exploratory runs, read at the
pessimistic end of its interval (the end nearer the threshold).

The effect is standardised by the seeds' spread: ``d = |end - threshold| / sd``, with
``sd`` recovered from the interval's half-width as for a t interval (``half * sqrt(n) /
t(0.975, n - 1)``; the suite's intervals are exact Hodges-Lehmann or bootstrap ones, so
this is an approximation, stated with every number). An interval that reaches the
threshold gives d = 0: no number of seeds is planned for an effect that may be nil.

Power is simulated under normal seeds with that d (``SIMS`` draws, fixed seed), against
the exact null of the claim's own test: the one-sample signed-rank test (threshold,
correlation and trend checks), the same per part for an all-of claim (every part must
decide: the product of the parts' powers, each part at the effect of the weakest), or
the Mann-Whitney test with n seeds per arm (comparisons). The decision p is two-sided,
``2 min(p for, p against)``, so the one-sided level is half the Holm bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import stats as sps

from wgan_suite.analysis.stats import _rank_sum_counts, _signed_rank_counts
from wgan_suite.claims.verdicts import evaluate_claim

TARGET = 0.8
SIMS = 4000
MAX_SEEDS = 40  # more than a budget's block would run: beyond it a claim is exploratory

Design = Literal["signed_rank", "mann_whitney", "binomial"]


@dataclass(frozen=True)
class Effect:
    """An effect seen in an exploratory run: estimate, interval, seeds, threshold."""

    estimate: float
    low: float
    high: float
    n: int
    threshold: float
    source: str  # where it was seen (budget, seeds, report)
    design: Design = "signed_rank"

    def d(self) -> float:
        """Standardised distance from the threshold at the pessimistic end of the interval
        (0 when the interval reaches the threshold; inf for an interval of width 0 that
        does not)."""
        if not all(map(math.isfinite, (self.low, self.high, self.threshold))) or self.n < 2:
            return 0.0
        end = self.pessimistic()
        if end == self.threshold:
            return 0.0
        half = (self.high - self.low) / 2
        if half <= 0:
            return math.inf
        arms = 2.0 if self.design == "mann_whitney" else 1.0  # a difference of two means
        sd = half * math.sqrt(self.n / arms) / float(sps.t.ppf(0.975, self.n - 1))
        return abs(end - self.threshold) / sd

    def pessimistic(self) -> float:
        """The end of the interval nearer the threshold; the threshold itself when the
        interval reaches it (no effect can be counted on, for a rate as for a mean)."""
        if self.low <= self.threshold <= self.high:
            return self.threshold
        return self.low if self.low > self.threshold else self.high

    def text(self) -> str:
        return (
            f"{self.estimate:.3g} [{self.low:.3g}, {self.high:.3g}] vs threshold "
            f"{self.threshold:.3g}, n {self.n} ({self.source}): d = {self.d():.2g}"
        )


@lru_cache(maxsize=256)
def _critical_signed_rank(n: int, level: float) -> int | None:
    """Smallest T+ whose exact upper tail is <= level (None: not reachable at n)."""
    counts = _signed_rank_counts(n)
    total, tail = 2**n, 0
    for t in range(len(counts) - 1, -1, -1):
        if (tail + counts[t]) / total > level:
            return t + 1 if t + 1 < len(counts) else None
        tail += counts[t]
    return 0


@lru_cache(maxsize=256)
def _critical_mann_whitney(n: int, level: float) -> int | None:
    counts = _rank_sum_counts(n, n)
    total, tail = math.comb(2 * n, n), 0
    for u in range(len(counts) - 1, -1, -1):
        if (tail + counts[u]) / total > level:
            return u + 1 if u + 1 < len(counts) else None
        tail += counts[u]
    return 0


def binomial_power(rate: float, p0: float, n: int, level: float) -> float:
    """Exact power of the one-sided binomial test of a rate beyond ``p0`` (the side
    ``rate`` lies on) with n trials whose true rate is ``rate``."""
    greater = rate >= p0
    for k in range(n + 1):  # the critical count: the first k whose tail is <= level
        kk = k if greater else n - k
        tail = sps.binom.sf(kk - 1, n, p0) if greater else sps.binom.cdf(kk, n, p0)
        if tail <= level:
            return float(sps.binom.sf(kk - 1, n, rate) if greater else sps.binom.cdf(kk, n, rate))
    return 0.0


@lru_cache(maxsize=4096)
def power(design: Design, d: float, n: int, level: float, parts: int = 1) -> float:
    """Probability that the claim's test decides (one-sided p <= ``level``) with ``n``
    seeds (per arm) when the seeds' effect is ``d`` sd beyond the threshold."""
    if math.isinf(d):
        reach = _critical_signed_rank(n, level) if design == "signed_rank" else None
        if design == "mann_whitney":
            reach = _critical_mann_whitney(n, level)
        return 1.0 if reach is not None else 0.0
    rng = np.random.default_rng(20261206 + n)
    if design == "signed_rank":
        c = _critical_signed_rank(n, level)
        if c is None:
            return 0.0
        x = rng.standard_normal((SIMS, n)) + d
        ranks = np.argsort(np.argsort(np.abs(x), axis=1), axis=1) + 1
        t = np.where(x > 0, ranks, 0).sum(axis=1)
        one = float(np.mean(t >= c))
    else:
        c = _critical_mann_whitney(n, level)
        if c is None:
            return 0.0
        a = rng.standard_normal((SIMS, n)) + d
        b = rng.standard_normal((SIMS, n))
        u = (a[:, :, None] > b[:, None, :]).sum(axis=(1, 2))
        one = float(np.mean(u >= c))
    return one**parts


def part_power(effect: Effect, n: int, level: float) -> float:
    """Power of one part's test at n seeds, at its pessimistic effect."""
    if effect.design == "binomial":
        return binomial_power(effect.pessimistic(), effect.threshold, n, level)
    return power(effect.design, effect.d(), n, level)


def claim_power(effects: list[Effect], n: int, level: float) -> float:
    """Power of a claim at n seeds: the product of its parts' powers (an all-of claim
    needs every part); 0 without any effect seen."""
    return float(np.prod([part_power(e, n, level) for e in effects])) if effects else 0.0


def plan(effects: list[Effect], level: float, target: float = TARGET) -> tuple[int | None, float]:
    """(fewest seeds at which the claim decides with probability >= ``target``, that
    power); (None, the power at MAX_SEEDS) when no n up to MAX_SEEDS reaches it."""
    last = 0.0
    for n in range(3, MAX_SEEDS + 1) if effects else ():
        last = claim_power(effects, n, level)
        if last >= target:
            return n, last
    return None, last


def design_of(test_name: str | None) -> tuple[Design | None, int]:
    """The claim's test, as its verdict names it -> (design, parts)."""
    name = (test_name or "").lower()
    parts = 1
    if name.startswith("all of "):
        try:
            parts = int(name.split()[2])
        except (IndexError, ValueError):
            parts = 1
    if "mann-whitney" in name or "tost" in name:
        return "mann_whitney", parts
    if "binomial" in name:
        return "binomial", parts
    if "signed-rank" in name or name.startswith("all of "):
        return "signed_rank", parts
    return None, parts


def claim_effects(claim, results, trials, budget: str, source: str) -> tuple[list[Effect], str]:
    """Each part's effect (an all-of claim part by part; one otherwise) as the claim's
    own check reads it on exploratory ``results``/``trials`` at ``budget``; with "" or
    the reason no effect could be read (not run, no test, a design this module does not
    simulate)."""
    checks = list(getattr(claim.check, "checks", ())) if claim.check.kind == "all_of" else []
    found = []
    for check in checks or [claim.check]:
        part = claim.model_copy(update={"check": check}) if checks else claim
        v = evaluate_claim(part, results, trials, budget)
        design, _ = design_of(v.test)
        if v.test is None or v.measured is None or v.threshold is None:
            return [], f"no effect read from {source}: {v.summary[:120]}"
        if design is None:
            return [], f"{v.test}: power not simulated for this test"
        low = v.ci_low if v.ci_low is not None else v.measured
        high = v.ci_high if v.ci_high is not None else v.measured
        found.append(
            Effect(
                float(v.measured),
                float(low),
                float(high),
                int(v.n),
                float(v.threshold),
                source,
                design,
            )
        )
    return found, ""
