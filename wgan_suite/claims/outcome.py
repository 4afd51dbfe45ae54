"""What one check found: the effect, its interval, the test, p and n, and the verdict.

Every check ends in one of the builders below, so every verdict line reads the same way
(a results section): ``<effect>: mean 0.42 [0.31, 0.55] (BCa, n=5); one-sided Wilcoxon
signed-rank test, > 0.2: p = 0.031 -> reproduced``. The statistics live in
``wgan_suite.analysis.stats``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from wgan_suite.analysis import stats
from wgan_suite.analysis.stats import Interval, Op, TestResult, Verdict

WITHIN = "within"  # the equivalence "op" of compare: |log ratio| or |difference| <= margin


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reason: str  # the results-section line, then notes (sub-checks, missing trials)
    measured: Interval | None = None  # the effect and its 95% interval
    threshold: float | None = None  # what the effect was tested against (tolerance applied)
    test: TestResult | None = None
    alpha: float = stats.ALPHA
    trial_ids: tuple[str, ...] = field(default=())
    summary: str = ""  # the results-section line alone

    def __post_init__(self) -> None:
        if not self.summary:
            object.__setattr__(self, "summary", self.reason)

    def with_trials(self, trial_ids: Sequence[str]) -> Outcome:
        return replace(self, trial_ids=tuple(sorted(set(trial_ids))))

    def noted(self, notes: Sequence[str]) -> Outcome:
        return replace(self, reason="; ".join([self.reason, *notes])) if notes else self


def inconclusive(reason: str, trial_ids: Sequence[str] = ()) -> Outcome:
    return Outcome(Verdict.INCONCLUSIVE, reason).with_trials(trial_ids)


def _line(what: str, interval: Interval, test: TestResult, against: str, alpha: float) -> str:
    verdict, why = stats.decide(test, alpha)
    shown = interval.text()
    method = f" ({interval.method})" if interval.low is not None else ""
    return (
        f"{what}: {shown}{method}; {test.name}, {against}: p = {test.p:.3g} "
        f"(against: {test.p_against:.3g}), n = {test.n} -> {verdict.replace('_', ' ')}"
        + ("" if verdict != Verdict.INCONCLUSIVE else f" ({why})")
    )


def _finish(
    what: str, interval: Interval, test: TestResult, against: str, limit: float | None, alpha
) -> Outcome:
    verdict, _ = stats.decide(test, alpha)
    line = _line(what, interval, test, against, alpha)
    return Outcome(verdict, line, interval, limit, test, alpha, summary=line)


def effective(op: Op, threshold: float, tolerance: float) -> float:
    """The tolerance moves the threshold in the claim's favour."""
    return threshold - tolerance if op in (">", ">=") else threshold + tolerance


def values_vs(
    per_seed: dict[int, float],
    op: Op,
    threshold: float,
    tolerance: float,
    what: str,
    alpha,
    indifference: float = 0.0,
) -> Outcome:
    """Per-seed values against a number: one-sample Wilcoxon signed-rank test.

    ``indifference`` (a registered equivalence margin, in the value's units) widens the
    threshold into a band: the claim holds only where the values clear the band on its
    side, and is refuted only where they clear it on the other. A claim whose effect sits
    on its threshold then reads inconclusive instead of flipping with the seeds, and a
    wrong decisive verdict at the threshold is no longer a coin toss."""
    if not per_seed:
        return inconclusive(f"no usable seed for {what}")
    limit = effective(op, threshold, tolerance)
    x = np.array([per_seed[s] for s in sorted(per_seed)], dtype=float)
    side = stats.direction(op)
    ties = stats.at_threshold(op)  # a seed at the threshold: for >=, <=; against >, <
    test = stats.signed_rank(x - limit, side, ties)
    against = f"{op} {limit:.4g}"
    if indifference:
        step = indifference if side == "greater" else -indifference
        claim = stats.signed_rank(x - (limit + step), side, ties)
        refute = stats.signed_rank(x - (limit - step), side, ties)
        test = replace(
            test,
            name=f"{test.name} outside an indifference band of +-{indifference:g}",
            p=claim.p,
            p_against=refute.p_against,
            n=min(claim.n, refute.n),
        )
        band = f"[{limit - indifference:.4g}, {limit + indifference:.4g}]"
        against = f"{op} {limit:.4g} (indifference band {band})"
    interval = stats.pseudo_median_interval(x)  # the estimate and interval of this test
    return _finish(what, interval, test, against, limit, alpha)


def paired_vs(
    a: dict[int, float],
    b: dict[int, float],
    kind: str,
    op: Op | str,
    margin: float,
    tolerance: float,
    what: str,
    alpha: float,
) -> tuple[Outcome, list[str]]:
    """a vs b paired by seed, as a difference or a ratio, against a margin (or within it)."""
    seeds = sorted(a.keys() & b.keys())
    notes = []
    unpaired = sorted(a.keys() ^ b.keys())
    if unpaired:
        notes.append(f"seed(s) {unpaired} lack a partner and are left out")
    if kind == "ratio":
        no_ratio = [s for s in seeds if not (a[s] > 0 and b[s] > 0)]
        if no_ratio:  # a log-ratio needs two positive values; say which seeds lack them
            notes.append(f"seed(s) {no_ratio} have a value <= 0 and are left out of the ratio")
        seeds = [s for s in seeds if s not in no_ratio]
        effect = np.array([math.log(a[s] / b[s]) for s in seeds])
    else:
        effect = np.array([a[s] - b[s] for s in seeds])
    if len(seeds) == 0:
        return inconclusive(f"no seed has both values of {what}"), notes
    interval = stats.pseudo_median_interval(effect)  # the signed-rank test's own estimate
    if kind == "ratio":
        interval = _exp_interval(interval)
    if op == WITHIN:
        bound = margin + tolerance
        lo, hi = (-math.log(bound), math.log(bound)) if kind == "ratio" else (-bound, bound)
        test = equivalence(effect, lo, hi)
        against = f"within [{_show(lo, kind):.4g}, {_show(hi, kind):.4g}]"
        return _finish(what, interval, test, against, bound, alpha), notes
    limit = effective(op, margin, tolerance)
    if kind == "ratio" and limit <= 0:  # every ratio of positive values is above it
        why = f"ratio margin {margin:g} with tolerance {tolerance:g} leaves {limit:g}"
        return inconclusive(f"{what}: {why}; a ratio can only be tested against a bound > 0"), notes
    centre = math.log(limit) if kind == "ratio" else limit
    test = stats.signed_rank_vs(effect - centre, op)  # ties at the margin: stats' rule
    return _finish(what, interval, test, f"{op} {limit:.4g}", limit, alpha), notes


def unpaired_vs(
    a: dict[int, float],
    b: dict[int, float],
    kind: str,
    op: Op | str,
    margin: float,
    tolerance: float,
    what: str,
    alpha: float,
) -> tuple[Outcome, list[str]]:
    """Arm a vs arm b, each seed an independent replicate: the exact Mann-Whitney test
    of a shift (a difference, or a ratio on the log scale) against a margin, or within
    it (two one-sided tests), with the Hodges-Lehmann shift and its exact interval.

    Arms with different networks share only the data and noise streams of a seed, so
    pairing them gains little, and a signed-rank test over n pairs cannot go below 2^-n:
    6 vs 6 unpaired reaches 1/924, what a family-wise correction needs."""
    notes: list[str] = []
    x = np.array([a[s] for s in sorted(a)], dtype=float)
    y = np.array([b[s] for s in sorted(b)], dtype=float)
    if kind == "ratio":
        bad = int((x <= 0).sum() + (y <= 0).sum())
        if bad:
            notes.append(f"{bad} value(s) <= 0 left out of the ratio (log scale)")
        x, y = np.log(x[x > 0]), np.log(y[y > 0])
    if len(x) == 0 or len(y) == 0:
        return inconclusive(f"an arm has no value of {what}"), notes
    interval = stats.shift_interval(x, y)
    if kind == "ratio":
        interval = _exp_interval(interval)
    if op == WITHIN:
        bound = margin + tolerance
        lo, hi = (-math.log(bound), math.log(bound)) if kind == "ratio" else (-bound, bound)
        both = stats.all_of(
            [stats.mann_whitney(x, y, "greater", lo), stats.mann_whitney(x, y, "less", hi)]
        )
        test = replace(
            both,
            name="two one-sided exact Mann-Whitney U tests (TOST, unpaired; Bonferroni x2 against)",
            n=len(x) + len(y),
        )
        against = f"within [{_show(lo, kind):.4g}, {_show(hi, kind):.4g}]"
        return _finish(what, interval, test, against, bound, alpha), notes
    limit = effective(op, margin, tolerance)
    if kind == "ratio" and limit <= 0:
        why = f"ratio margin {margin:g} with tolerance {tolerance:g} leaves {limit:g}"
        return inconclusive(f"{what}: {why}; a ratio can only be tested against a bound > 0"), notes
    shift = math.log(limit) if kind == "ratio" else limit
    test = stats.mann_whitney(x, y, stats.direction(op), shift)
    return _finish(what, interval, test, f"{op} {limit:.4g}", limit, alpha), notes


def _exp_interval(i: Interval) -> Interval:
    def exp(v: float | None) -> float | None:
        return None if v is None else math.exp(v)

    method = i.method.replace("Hodges-Lehmann", "Hodges-Lehmann, as a ratio (exp of the log),")
    return Interval(exp(i.estimate), exp(i.low), exp(i.high), i.n, method)


def _show(v: float, kind: str) -> float:
    return math.exp(v) if kind == "ratio" else v


def equivalence(effect: np.ndarray, lo: float, hi: float) -> TestResult:
    """Two one-sided tests (TOST): inside [lo, hi] when both reject (intersection-union,
    p = max); outside when either direction's test rejects, Bonferroni over the two.

    The correction is needed: the two rejection regions are disjoint, so under "inside"
    at the boundary effect = lo the refutation errs with probability alpha (below lo)
    plus the chance of landing above hi, which approaches alpha when the margin is
    narrow against the seed-to-seed spread: up to 2 alpha without it. This is the
    suite's ``all_of`` of the two one-sided claims."""
    above_lo = stats.signed_rank_vs(effect - lo, ">=")  # "within" is non-strict: an
    below_hi = stats.signed_rank_vs(effect - hi, "<=")  # effect at a bound counts for it
    both = stats.all_of([above_lo, below_hi])
    return replace(
        both,
        name="two one-sided Wilcoxon signed-rank tests (TOST; Bonferroni x2 against)",
        n=min(above_lo.n, below_hi.n),
    )


def rate_vs(
    ones: int, n: int, op: Op, threshold: float, tolerance: float, what: str, alpha
) -> Outcome:
    """A rate (diverged, failed) against a number: exact binomial test."""
    if n == 0:
        return inconclusive(f"no usable trial for {what}")
    limit = min(1.0, max(0.0, effective(op, threshold, tolerance)))
    test = stats.binomial(ones, n, limit, stats.direction(op))
    interval = stats.rate_interval(ones, n)
    return _finish(f"rate of {what}", interval, test, f"{op} {limit:.4g}", limit, alpha)


def rates_vs(k1: int, n1: int, k2: int, n2: int, op: Op, what: str, alpha) -> Outcome:
    """Rate of group a vs rate of group b: Fisher's exact test."""
    if n1 == 0 or n2 == 0:
        return inconclusive(f"a group has no usable trial for {what}")
    test = stats.fisher(k1, n1, k2, n2, stats.direction(op))
    diff = k1 / n1 - k2 / n2
    interval = Interval(diff, None, None, n1 + n2, f"rates {k1}/{n1} vs {k2}/{n2}")
    return _finish(f"difference of rates of {what}", interval, test, f"a {op} b", 0.0, alpha)


def paired_rates_vs(
    a: dict[int, float], b: dict[int, float], op: Op, what: str, alpha: float
) -> Outcome:
    """0/1 outcomes of a and b paired by seed: exact McNemar test on the discordant pairs."""
    seeds = sorted(a.keys() & b.keys())
    if not seeds:
        return inconclusive(f"no seed has both values of {what}")
    only_a = sum(a[s] >= 0.5 > b[s] for s in seeds)  # a = 1, b = 0
    only_b = sum(b[s] >= 0.5 > a[s] for s in seeds)
    test = stats.mcnemar(only_a, only_b, stats.direction(op))
    diff = (sum(a[s] >= 0.5 for s in seeds) - sum(b[s] >= 0.5 for s in seeds)) / len(seeds)
    interval = Interval(diff, None, None, len(seeds), f"discordant pairs {only_a} vs {only_b}")
    return _finish(f"difference of rates of {what}", interval, test, f"a {op} b", 0.0, alpha)


def combine(outcomes: Sequence[Outcome], mode: str, alpha: float) -> Outcome:
    """all_of / any_of over sub-outcomes: their p-values combined
    (``wgan_suite.analysis.stats``)."""
    tests = [o.test or stats.TestResult("no data", 1.0, 1.0, 0, 1.0, 1.0) for o in outcomes]
    test = stats.all_of(tests) if mode == "all_of" else stats.any_of(tests)
    verdict, why = stats.decide(test, alpha)
    parts = "; ".join(f"[{i + 1}] {o.reason}" for i, o in enumerate(outcomes))
    head = f"{test.name}: p = {test.p:.3g} (against: {test.p_against:.3g}) -> " + (
        verdict.replace("_", " ") if verdict != Verdict.INCONCLUSIVE else f"inconclusive ({why})"
    )
    lead = _leading(outcomes, tests, mode)
    ids = [t for o in outcomes for t in o.trial_ids]
    which = "weakest part" if mode == "all_of" else "strongest part"
    summary = f"{head}; {which}: {lead.summary}"
    return Outcome(
        verdict, f"{head}. {parts}", lead.measured, lead.threshold, test, alpha, summary=summary
    ).with_trials(ids)


def _leading(outcomes: Sequence[Outcome], tests: Sequence[TestResult], mode: str) -> Outcome:
    """The part whose numbers stand for the whole: the weakest for all_of (largest p),
    the strongest for any_of (smallest p)."""
    pick = max if mode == "all_of" else min
    index = pick(range(len(tests)), key=lambda i: tests[i].p)
    return outcomes[index]
