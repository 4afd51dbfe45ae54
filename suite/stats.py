"""The one statistics module: intervals over seeds, one-sided tests, and the decision rule.

Claims, analysis and the report all read their numbers from here, so the interval next
to a claim, in a stability table and in a correlation table is the same interval.

* Displayed uncertainty: a 95% interval of the mean over seeds: Student's t below
  ``SMALL_N`` values (a bootstrap of 3-9 values barely reaches past their range), else
  the BCa bootstrap (scipy), falling back to the percentile bootstrap when BCa is
  undefined. The interval says which it is.
* Decisions: one-sided tests at ``ALPHA`` in the claim's direction, exact where n is
  small: Wilcoxon signed-rank for one-sample and paired values, the binomial test for a
  rate against a number, Fisher's exact test for two rates.
* A verdict needs a test that *can* reach ``ALPHA`` at the n it has: with 3 seeds no
  one-sided signed-rank test goes below p = 1/8, so 3 seeds never decide anything.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

import numpy as np
from scipy import stats

ALPHA = 0.05  # one-sided, unless a claim says otherwise
CONFIDENCE = 0.95
N_RESAMPLES = 9999
BOOTSTRAP_SEED = 0  # fixed: the same table always gives the same intervals
SMALL_N = 10  # below this many values the interval is Student's t, not a bootstrap

Op = Literal["<", "<=", ">", ">="]
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
Direction = Literal["greater", "less"]


def direction(op: Op) -> Direction:
    """The alternative hypothesis a claim ``value op threshold`` asserts."""
    return "greater" if op in (">", ">=") else "less"


def opposite(d: Direction) -> Direction:
    return "less" if d == "greater" else "greater"


# --------------------------------------------------------------------------- intervals


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% interval; ``method`` says how it was made."""

    estimate: float | None
    low: float | None
    high: float | None
    n: int
    method: str

    def text(self, fmt=lambda v: f"{v:.3g}") -> str:
        if self.estimate is None:
            return "no value"
        if self.low is None or self.high is None:
            return f"{fmt(self.estimate)} (n={self.n}, {self.method})"
        return f"{fmt(self.estimate)} [{fmt(self.low)}, {fmt(self.high)}] (n={self.n})"


def finite(values: Iterable[float]) -> np.ndarray:
    x = np.asarray([float(v) for v in values if v is not None], dtype=float)
    return x[np.isfinite(x)]


def mean_interval(values: Iterable[float]) -> Interval:
    """Mean over seeds and its 95% interval (Student's t for few values, else BCa)."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return Interval(None, None, None, 0, "no values")
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, None, None, 1, "one value: no interval")
    if np.ptp(x) == 0:
        return Interval(mean, mean, mean, n, "all values equal")
    if n < SMALL_N:
        half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
        return Interval(mean, mean - half, mean + half, n, "Student t 95% CI of the mean")
    return bootstrap_interval(x)


def bootstrap_interval(x: np.ndarray) -> Interval:
    """BCa bootstrap 95% interval of the mean; percentile where BCa is undefined."""
    mean, n = float(x.mean()), len(x)
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BCa on tiny samples warns; NaN is checked below
            ci = stats.bootstrap(
                (x,),
                np.mean,
                n_resamples=N_RESAMPLES,
                confidence_level=CONFIDENCE,
                method=method,
                rng=np.random.default_rng(BOOTSTRAP_SEED),
            ).confidence_interval
        if np.isfinite(ci.low) and np.isfinite(ci.high):
            label = f"{method} bootstrap 95% CI of the mean"
            return Interval(mean, float(ci.low), float(ci.high), n, label)
    return Interval(mean, None, None, n, "bootstrap undefined")


def rate_interval(successes: int, n: int) -> Interval:
    """A proportion with its exact (Clopper-Pearson) 95% interval."""
    if n == 0:
        return Interval(None, None, None, 0, "no trials")
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=CONFIDENCE)
    return Interval(successes / n, float(ci.low), float(ci.high), n, "Clopper-Pearson 95% CI")


# --------------------------------------------------------------------------- tests


@dataclass(frozen=True)
class TestResult:
    """A one-sided test in the claimed direction and the same test against it."""

    name: str  # e.g. "one-sided Wilcoxon signed-rank test (exact)"
    p: float  # evidence for the claim: small when the claim holds
    p_against: float  # evidence against it: small when the opposite holds
    n: int  # sample size the test used (seeds, or trials for rates)
    min_p: float  # the smallest p this test can give at this n, for the claim
    min_p_against: float  # and against it

    def reaches(self, alpha: float) -> bool:
        """Can this test decide either way at this n?"""
        return min(self.min_p, self.min_p_against) <= alpha


def signed_rank(
    diffs: Sequence[float], alternative: Direction, ties_count: bool = False
) -> TestResult:
    """Wilcoxon signed-rank test of the differences' location against 0.

    ``diffs`` are (value - threshold) or (a - b) per seed. Exact zeros carry no sign and
    are dropped, unless ``ties_count``: for a non-strict claim (>=, <=) a value exactly at
    the threshold satisfies it, so it counts as the smallest difference on the claimed
    side (e.g. every seed covering exactly 23 of 25 modes supports ">= 23").
    Exact null distribution for small n (scipy), ties included.
    """
    d = finite(diffs)
    if ties_count and len(d[d != 0]):
        tiny = float(np.abs(d[d != 0]).min()) * 1e-6
    elif ties_count:
        tiny = 1e-12
    if ties_count:
        d = np.where(d == 0, tiny if alternative == "greater" else -tiny, d)
    d = d[d != 0]
    n = len(d)
    name = "one-sided Wilcoxon signed-rank test"
    if n == 0:
        return TestResult(name, 1.0, 1.0, 0, 1.0, 1.0)
    p = float(stats.wilcoxon(d, alternative=alternative).pvalue)
    q = float(stats.wilcoxon(d, alternative=opposite(alternative)).pvalue)
    return TestResult(name, p, q, n, 0.5**n, 0.5**n)


def binomial(successes: int, n: int, p0: float, alternative: Direction) -> TestResult:
    """Exact binomial test of a rate (e.g. diverged trials) against ``p0``."""
    name = f"one-sided exact binomial test against {p0:g}"
    if n == 0:
        return TestResult(name, 1.0, 1.0, 0, 1.0, 1.0)

    def pvalue(k: int, alt: Direction) -> float:
        return float(stats.binomtest(k, n, p0, alternative=alt).pvalue)

    best = {"greater": n, "less": 0}  # the most extreme count in each direction
    back = opposite(alternative)
    return TestResult(
        name,
        pvalue(successes, alternative),
        pvalue(successes, back),
        n,
        pvalue(best[alternative], alternative),
        pvalue(best[back], back),
    )


def fisher(k1: int, n1: int, k2: int, n2: int, alternative: Direction) -> TestResult:
    """Fisher's exact test: is rate 1 (k1 of n1) greater / less than rate 2 (k2 of n2)?"""
    name = "one-sided Fisher exact test"
    if n1 == 0 or n2 == 0:
        return TestResult(name, 1.0, 1.0, n1 + n2, 1.0, 1.0)
    table = [[k1, n1 - k1], [k2, n2 - k2]]
    p = float(stats.fisher_exact(table, alternative=alternative).pvalue)
    q = float(stats.fisher_exact(table, alternative=opposite(alternative)).pvalue)
    extreme = 1.0 / math.comb(n1 + n2, n1)  # all of group 1 one way, all of group 2 the other
    return TestResult(name, p, q, n1 + n2, extreme, extreme)


def mcnemar(only_a: int, only_b: int, alternative: Direction) -> TestResult:
    """Exact McNemar test for paired 0/1 outcomes: of the discordant pairs, are those
    with a = 1, b = 0 more ("greater": rate a > rate b) or fewer than half?"""
    result = binomial(only_a, only_a + only_b, 0.5, alternative)
    return replace(result, name="one-sided exact McNemar test (binomial on discordant pairs)")


# --------------------------------------------------------------------------- combining


def all_of(results: Sequence[TestResult]) -> TestResult:
    """Every part must hold: intersection-union test (each part at alpha, p = max);
    refuted when any part is refuted, Bonferroni over the parts."""
    k = len(results)
    return TestResult(
        f"all of {k} parts (intersection-union; Bonferroni x{k} against)",
        max(r.p for r in results),
        min(1.0, k * min(r.p_against for r in results)),
        max(r.n for r in results),
        max(r.min_p for r in results),
        min(1.0, k * min(r.min_p_against for r in results)),
    )


def any_of(results: Sequence[TestResult]) -> TestResult:
    """One part suffices: Bonferroni over the parts for the claim (p = k * min p);
    refuted only when every part is refuted (intersection-union, p = max)."""
    k = len(results)
    return TestResult(
        f"any of {k} parts (Bonferroni x{k}; intersection-union against)",
        min(1.0, k * min(r.p for r in results)),
        max(r.p_against for r in results),
        max(r.n for r in results),
        min(1.0, k * min(r.min_p for r in results)),
        max(r.min_p_against for r in results),
    )


# --------------------------------------------------------------------------- decision


class Verdict(StrEnum):
    """A claim's verdict, spelt once for the claims, the report and verdicts.csv."""

    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not_reproduced"
    INCONCLUSIVE = "inconclusive"


def decide(test: TestResult, alpha: float = ALPHA) -> tuple[Verdict, str]:
    """Reproduced when the one-sided test rejects "the claim is false" at ``alpha``; not
    reproduced when the test in the other direction rejects "the claim holds"."""
    if test.n == 0:
        return Verdict.INCONCLUSIVE, "no data to test"
    if not test.reaches(alpha):
        return Verdict.INCONCLUSIVE, (
            f"n = {test.n}: a {test.name} cannot go below "
            f"p = {min(test.min_p, test.min_p_against):.3g} (alpha {alpha:g}); "
            "more seeds are needed"
        )
    if test.p <= alpha:
        return Verdict.REPRODUCED, f"p = {test.p:.3g} <= {alpha:g}"
    if test.p_against <= alpha:
        return Verdict.NOT_REPRODUCED, f"against the claim p = {test.p_against:.3g} <= {alpha:g}"
    # A test may reach alpha in one direction only (a rate near 0 or 1, an all_of whose
    # Bonferroni refutation is out of reach): say so, or "not significant" hides that
    # more data could never have decided this way at this n.
    limits = [
        f"{side} the claim this test cannot go below p = {least:.3g} at n = {test.n}"
        for side, least in (("for", test.min_p), ("against", test.min_p_against))
        if least > alpha
    ]
    return Verdict.INCONCLUSIVE, "; ".join(
        [
            f"not significant either way (p = {test.p:.3g}; against: {test.p_against:.3g}; "
            f"alpha {alpha:g})",
            *limits,
        ]
    )


def holm(pvalues: Sequence[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down rejections at family-wise error ``alpha`` (in input order): which
    decisions still stand when every claim of the report counts as one family."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    keep = [False] * len(pvalues)
    for step, i in enumerate(order):
        if pvalues[i] > alpha / (len(pvalues) - step):
            break
        keep[i] = True
    return keep


def seeds_needed(alpha: float = ALPHA) -> int:
    """Smallest n at which a one-sided sign/signed-rank test can reach ``alpha``."""
    return math.ceil(math.log(alpha) / math.log(0.5))
