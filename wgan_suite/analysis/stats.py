"""The one statistics module: intervals over seeds, one-sided tests, and the decision rule.

Claims, analysis and the report all read their numbers from here, so the interval next
to a claim, in a stability table and in a correlation table is the same interval.

* Displayed uncertainty: a 95% interval of the mean over seeds: Student's t below
  ``SMALL_N`` values (a bootstrap of 3-9 values barely reaches past their range), else
  the BCa bootstrap (scipy), falling back to the percentile bootstrap when BCa is
  undefined. The interval says which it is. Next to a rank test, the Hodges-Lehmann
  estimate with its exact distribution-free interval (the one that test inverts).
* Decisions: one-sided tests at ``ALPHA`` in the claim's direction, exact where n is
  small: Wilcoxon signed-rank for one-sample and paired values, Mann-Whitney U for two
  unpaired groups, the binomial test for a rate against a number, Fisher's exact test
  for two rates. Holm's adjusted p-values when all claims count as one family.
* A verdict needs a test that *can* reach ``ALPHA`` at the n it has: with 3 seeds no
  one-sided signed-rank test goes below p = 1/8, so 3 seeds never decide anything.
* Ties at a threshold, one rule everywhere a value is tested against a number (the
  one-sample and paired signed-rank tests, each bound of an equivalence test): a value
  exactly at the threshold satisfies a non-strict claim (``>=``, ``<=``, "within"),
  whose negation is the strict opposite (``<``, ``>``); so for a non-strict claim it
  counts *for* the claim, and for a strict claim (``>``, ``<``) it satisfies the
  negation (``<=``, ``>=``) and counts *against* it. Either way it counts on that one
  side in both the test for the claim and the test against it (as the smallest
  difference there: ``at_threshold``, ``signed_rank_vs``), never on both sides and never
  dropped: every seed covering exactly 23 of 25 modes reproduces ">= 23" and refutes
  "> 23". (Ties *between* two unpaired groups are another thing: mid-ranks, no side.)
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from typing import Literal

import numpy as np
from scipy import stats

ALPHA = 0.05  # one-sided, unless a claim says otherwise
CONFIDENCE = 0.95
N_RESAMPLES = 9999
BOOTSTRAP_SEED = 0  # fixed: the same table always gives the same intervals
SMALL_N = 10  # below this many values the interval is Student's t, not a bootstrap
EXACT_LIMIT = 200_000  # up to this many relabellings a permutation test enumerates them all
MONTE_CARLO_RESAMPLES = 99_999  # beyond it: this many fixed-seed random relabellings

Op = Literal["<", "<=", ">", ">="]
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
Direction = Literal["greater", "less"]
Ties = Literal["drop", "for", "against"]  # where a difference of exactly 0 counts


def direction(op: Op) -> Direction:
    """The alternative hypothesis a claim ``value op threshold`` asserts."""
    return "greater" if op in (">", ">=") else "less"


def opposite(d: Direction) -> Direction:
    return "less" if d == "greater" else "greater"


def at_threshold(op: Op) -> Ties:
    """The tie rule (module docstring): a value exactly at the threshold counts for a
    non-strict claim (>=, <=) and against a strict one (>, <), in both directions' tests."""
    return "for" if op in (">=", "<=") else "against"


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


# --------------------------------------------------------------------------- rank intervals
#
# The exact intervals that match the rank tests: every shift inside the interval is one
# the two-sided rank test at 1 - confidence would not reject. The null counts assume no
# ties; with tied values the closed interval only covers more often (jittering the data
# apart can only move the counts away from the interval's ends).


def _rank_sum_counts(n1: int, n2: int) -> list[int]:
    """How many of the C(n1 + n2, n1) equally likely labellings give U = 0, 1, ..., n1 n2
    (no ties): the Gaussian binomial coefficient, built as a product of
    (1 - q^(n2 + i)) / (1 - q^i) in exact integers, so no tail is lost to rounding."""
    c = [1]
    for i in range(1, n1 + 1):
        step = n2 + i
        c += [0] * step
        for j in range(len(c) - 1, step - 1, -1):  # times (1 - q^step)
            c[j] -= c[j - step]
        for j in range(i, len(c)):  # divided by (1 - q^i): a running sum with stride i
            c[j] += c[j - i]
        del c[len(c) - i :]  # the division is exact: the top i coefficients are 0
    return c


def _signed_rank_counts(n: int) -> list[int]:
    """How many of the 2^n sign patterns give T+ = 0, 1, ..., n(n + 1)/2 (no ties)."""
    c = [1]
    for i in range(1, n + 1):  # times (1 + q^i)
        c += [0] * i
        for j in range(len(c) - 1, i - 1, -1):
            c[j] += c[j - i]
    return c


def _tail_budget(confidence: float) -> Fraction:
    """(1 - confidence) / 2 as an exact fraction: at 90% a tail of exactly 1/20 must
    count, and in floats (1 - 0.9) / 2 is 0.04999999999999999."""
    return (1 - Fraction(str(confidence))) / 2


def _order_k(counts: list[int], confidence: float) -> int:
    """The largest k with P(statistic <= k - 1) <= (1 - confidence) / 2 under the null;
    the interval is then the k-th smallest to the k-th largest candidate. 0: none."""
    budget = _tail_budget(confidence) * sum(counts)
    k = cum = 0
    for count in counts:
        cum += count
        if cum > budget:
            break
        k += 1
    return k


def _order_interval(
    candidates: np.ndarray, k: int, n: int, what: str, ci: str, confidence: float
) -> Interval:
    """The median of the candidates, from their k-th smallest to their k-th largest;
    ``what`` names the estimate and ``ci`` how its interval was made."""
    v = np.sort(candidates)
    estimate = float(np.median(v))
    level = f"{confidence:.0%}"
    if k == 0:
        return Interval(
            estimate, None, None, n, f"{what}; too few values for an exact {level} interval"
        )
    return Interval(estimate, float(v[k - 1]), float(v[-k]), n, f"{what}, exact {level} {ci}")


def shift_interval(
    a: Iterable[float], b: Iterable[float], confidence: float = CONFIDENCE
) -> Interval:
    """Hodges-Lehmann estimate of the shift a - b (the median of all differences
    a_i - b_j) with its exact distribution-free interval (Moses): the interval that
    matches the Mann-Whitney test, where a mean's interval would assume normal seeds."""
    x, y = finite(a), finite(b)
    n = len(x) + len(y)
    if len(x) == 0 or len(y) == 0:
        return Interval(None, None, None, n, "no values")
    k = _order_k(_rank_sum_counts(len(x), len(y)), confidence)
    diffs = (x[:, None] - y[None, :]).ravel()
    return _order_interval(diffs, k, n, "Hodges-Lehmann shift", "CI (Moses)", confidence)


def pseudo_median_interval(values: Iterable[float], confidence: float = CONFIDENCE) -> Interval:
    """One-sample Hodges-Lehmann estimate (the median of the Walsh averages
    (x_i + x_j) / 2, i <= j) with its exact interval (Tukey): the interval that matches
    the signed-rank test; at 95% it needs at least 6 values."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return Interval(None, None, None, 0, "no values")
    i, j = np.triu_indices(n)
    walsh = (x[i] + x[j]) / 2
    k = _order_k(_signed_rank_counts(n), confidence)
    what, ci = "Hodges-Lehmann pseudo-median", "CI (Walsh averages)"
    return _order_interval(walsh, k, n, what, ci, confidence)


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


def signed_rank(diffs: Sequence[float], alternative: Direction, ties: Ties = "drop") -> TestResult:
    """Wilcoxon signed-rank test of the differences' location against 0.

    ``diffs`` are (value - threshold) or (a - b) per seed. An exact zero (a value at the
    threshold) carries no sign: ``ties="drop"`` leaves it out; ``"for"`` counts it as the
    smallest difference on the claimed side (``alternative``), ``"against"`` as the
    smallest on the other side, in the test for the claim and in the test against it
    alike, so a tie is never on both sides. Claims against a threshold take ``ties`` from
    their operator (``at_threshold``, ``signed_rank_vs``). Exact null distribution for
    small n (scipy), ties included.
    """
    if ties not in ("drop", "for", "against"):
        raise ValueError(f"ties must be 'drop', 'for' or 'against', got {ties!r}")
    d = finite(diffs)
    if ties != "drop":
        nonzero = np.abs(d[d != 0])
        tiny = float(nonzero.min()) * 1e-6 if len(nonzero) else 1e-12
        claimed = tiny if alternative == "greater" else -tiny
        d = np.where(d == 0, claimed if ties == "for" else -claimed, d)
    d = d[d != 0]
    n = len(d)
    name = "one-sided Wilcoxon signed-rank test"
    if n == 0:
        return TestResult(name, 1.0, 1.0, 0, 1.0, 1.0)
    p = float(stats.wilcoxon(d, alternative=alternative).pvalue)
    q = float(stats.wilcoxon(d, alternative=opposite(alternative)).pvalue)
    return TestResult(name, p, q, n, 0.5**n, 0.5**n)


def signed_rank_vs(diffs: Sequence[float], op: Op) -> TestResult:
    """The signed-rank test of a claim ``value op threshold`` on (value - threshold) per
    seed: its direction and its ties at the threshold both from ``op`` (``at_threshold``)."""
    return signed_rank(diffs, direction(op), at_threshold(op))


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


def mann_whitney(
    a: Sequence[float], b: Sequence[float], alternative: Direction, shift: float = 0.0
) -> TestResult:
    """Mann-Whitney U (Wilcoxon rank-sum) test of two unpaired groups: is a - shift
    stochastically greater ("greater") or less than b?

    For two arms with their own seeds, where no pairing makes a signed-rank test valid.
    The null distribution is exact: without ties scipy's (any size), with ties the
    permutation distribution of U over all C(n1 + n2, n1) relabellings (enumerated here
    when an arm holds one value, which scipy's permutation test refuses), beyond
    ``EXACT_LIMIT`` relabellings a fixed-seed Monte Carlo one; the name says which.
    """
    x, y = finite(a) - shift, finite(b)
    n1, n2 = len(x), len(y)
    name = "one-sided exact Mann-Whitney U test (unpaired)"
    if n1 == 0 or n2 == 0:
        return TestResult(name, 1.0, 1.0, n1 + n2, 1.0, 1.0)
    # Relabelling moves values between the groups but not their pooled (mid-)ranks, so
    # rank once and permute the ranks: U = rank sum of a less its least possible value.
    ranks = stats.rankdata(np.concatenate([x, y]))

    def u_statistic(rx: np.ndarray, ry: np.ndarray, axis: int = -1) -> np.ndarray:
        return rx.sum(axis=axis) - n1 * (n1 + 1) / 2

    labellings = math.comb(n1 + n2, n1)
    least = 1.0 / labellings  # every a above every b
    if len(np.unique(ranks)) == n1 + n2:  # no ties: scipy's exact null, at any size, fast
        return TestResult(
            name,
            float(stats.mannwhitneyu(x, y, alternative=alternative, method="exact").pvalue),
            float(
                stats.mannwhitneyu(x, y, alternative=opposite(alternative), method="exact").pvalue
            ),
            n1 + n2,
            least,
            least,
        )
    if min(n1, n2) == 1:  # ties and one value in an arm: scipy's permutation test wants
        # two per arm, and there are only n1 + n2 relabellings (which value is the lone one)
        # a's rank sum, observed and under each relabelling (mid-ranks: exact in floats)
        u = ranks[:n1].sum()
        null = ranks if n1 == 1 else ranks.sum() - ranks
        greater, less = float(np.mean(null >= u)), float(np.mean(null <= u))
        p_for, p_against = (greater, less) if alternative == "greater" else (less, greater)
        return TestResult(name, p_for, p_against, n1 + n2, least, least)
    exact = labellings <= EXACT_LIMIT
    if not exact:
        name = (
            f"one-sided Mann-Whitney U test (unpaired; Monte Carlo, "
            f"{MONTE_CARLO_RESAMPLES} fixed-seed resamples)"
        )
        least = 1.0 / (MONTE_CARLO_RESAMPLES + 1)  # a Monte Carlo p never goes below this

    def pvalue(alt: Direction) -> float:
        return float(
            stats.permutation_test(
                (ranks[:n1], ranks[n1:]),
                u_statistic,
                permutation_type="independent",
                vectorized=True,
                n_resamples=math.inf if exact else MONTE_CARLO_RESAMPLES,
                batch=20_000,
                alternative=alt,
                rng=np.random.default_rng(BOOTSTRAP_SEED),
            ).pvalue
        )

    return TestResult(
        name, pvalue(alternative), pvalue(opposite(alternative)), n1 + n2, least, least
    )


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


def holm_adjusted(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (in input order): the smallest family-wise alpha
    at which ``holm`` would still keep each decision, so a reader can apply their own."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for step, i in enumerate(order):
        running = max(running, min(1.0, (m - step) * pvalues[i]))  # monotone step-down
        adjusted[i] = running
    return adjusted


def seeds_needed(alpha: float = ALPHA) -> int:
    """Smallest n at which a one-sided sign/signed-rank test can reach ``alpha``."""
    return math.ceil(math.log(alpha) / math.log(0.5))


def min_p_signed_rank(n: int) -> float:
    """The smallest one-sided signed-rank (or sign) p at n values: every sign the same."""
    return 0.5**n


def min_p_mann_whitney(n1: int, n2: int) -> float:
    """The smallest one-sided exact Mann-Whitney p at n1 vs n2 values: every a above
    every b, one labelling of C(n1 + n2, n1)."""
    return 1.0 / math.comb(n1 + n2, n1)


def seeds_to_reach(bound: float, min_p_at: Callable[[int], float]) -> int | None:
    """Smallest n (1..1000) at which a test can give p <= ``bound`` (e.g. alpha after a
    Bonferroni or Holm share), so a study can pre-register enough seeds; None if none.
    For Mann-Whitney pass ``lambda n: min_p_mann_whitney(n, n)`` (n seeds per arm)."""
    return next((n for n in range(1, 1001) if min_p_at(n) <= bound), None)
