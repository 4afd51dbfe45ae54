"""wgan_suite.analysis.stats against hand-computed numbers: exact one-sided tests, combining, the
decision rule and the displayed intervals."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from wgan_suite.analysis import stats
from wgan_suite.analysis.stats import TestResult as Result  # not collected as a test class


def exact_signed_rank(diffs, alternative):
    """An independent oracle: enumerate all 2^n sign flips of the mid-ranks of |d|."""
    d = [float(x) for x in diffs if x != 0]
    order = sorted(range(len(d)), key=lambda i: abs(d[i]))
    ranks = [0.0] * len(d)
    i = 0
    while i < len(order):  # mid-ranks for ties
        j = i
        while j + 1 < len(order) and abs(d[order[j + 1]]) == abs(d[order[i]]):
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    observed = sum(r for r, x in zip(ranks, d, strict=True) if x > 0)
    hits = 0
    for signs in itertools.product((0, 1), repeat=len(d)):
        t = sum(r for r, s in zip(ranks, signs, strict=True) if s)
        hits += t >= observed - 1e-9 if alternative == "greater" else t <= observed + 1e-9
    return hits / 2 ** len(d)


def result(p, p_against, n=6, min_p=None, min_p_against=None, name="a test"):
    return Result(
        name,
        p,
        p_against,
        n,
        0.5**n if min_p is None else min_p,
        0.5**n if min_p_against is None else min_p_against,
    )


# --------------------------------------------------------------------------- signed rank


def test_signed_rank_five_positive_differences_is_one_in_32():
    r = stats.signed_rank([1, 2, 3, 4, 5], "greater")
    assert r.p == pytest.approx(1 / 32)
    assert r.p_against == pytest.approx(1.0)
    assert (r.n, r.min_p, r.min_p_against) == (5, 1 / 32, 1 / 32)
    assert r.reaches(0.05) and not r.reaches(0.03)
    assert "Wilcoxon signed-rank" in r.name


def test_signed_rank_direction_and_p_against():
    r = stats.signed_rank([-1, -2, -3, -4, -5], "less")
    assert r.p == pytest.approx(1 / 32) and r.p_against == pytest.approx(1.0)
    # One negative difference, the smallest: T+ = 14; P(T+ >= 14) = P(T- <= 1) = 2/32.
    r = stats.signed_rank([-1, 2, 3, 4, 5], "greater")
    assert r.p == pytest.approx(2 / 32)
    assert r.p_against == pytest.approx(31 / 32)  # P(T+ <= 14) = 1 - P(T+ = 15)
    flipped = stats.signed_rank([-1, 2, 3, 4, 5], "less")
    assert (flipped.p, flipped.p_against) == pytest.approx((31 / 32, 2 / 32))


def test_signed_rank_drops_zeros_and_non_finite_values():
    r = stats.signed_rank([0, 0.0, 1, 2, float("nan"), 3, float("inf"), 4, 5, None], "greater")
    assert r.n == 5
    assert r.p == pytest.approx(1 / 32)
    empty = stats.signed_rank([0, 0, 0], "greater")
    assert (empty.n, empty.p, empty.p_against) == (0, 1.0, 1.0)
    assert stats.decide(empty) == ("inconclusive", "no data to test")


def test_signed_rank_with_ties_is_exact():
    # |d| = 1, 1, 2, 2, 3, 4: mid-ranks 1.5, 1.5, 3.5, 3.5, 5, 6; the -2 gives T+ = 17.5.
    # T+ >= 17.5 iff T- <= 3.5: {}, {1.5}, {1.5'}, {1.5, 1.5'}, {3.5}, {3.5'} -> 6 of 64.
    d = [1, 1, 2, -2, 3, 4]
    r = stats.signed_rank(d, "greater")
    assert r.p == pytest.approx(6 / 64)
    assert r.p_against == pytest.approx(60 / 64)  # T+ <= 17.5 iff T- >= 3.5: 64 - 4
    assert r.min_p == 0.5**6
    # all differences equal: still 1 / 2^n, not a normal approximation
    assert stats.signed_rank([0.3] * 6, "greater").p == pytest.approx(1 / 64)


@pytest.mark.parametrize(
    "d",
    [[1, 2, 3, -4, 5, 6, 7], [0.5, 1, 1, 2, -1], [2, 2, -2, 3, 3, 3, -1, 4], [-3, 1, 2, 2, 5]],
)
@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_signed_rank_matches_enumeration(d, alternative):
    r = stats.signed_rank(d, alternative)
    other = "less" if alternative == "greater" else "greater"
    assert r.p == pytest.approx(exact_signed_rank(d, alternative))
    assert r.p_against == pytest.approx(exact_signed_rank(d, other))


# --------------------------------------------------------------------------- rates


def test_binomial_exact_p_and_min_p_both_directions():
    r = stats.binomial(6, 6, 0.5, "greater")
    assert (r.p, r.p_against) == pytest.approx((1 / 64, 1.0))
    assert (r.min_p, r.min_p_against) == pytest.approx((1 / 64, 1 / 64))
    # P(X >= 3 | n = 10, p = 0.1), by hand
    tail = 1 - sum(math.comb(10, k) * 0.1**k * 0.9 ** (10 - k) for k in range(3))
    r = stats.binomial(3, 10, 0.1, "greater")
    assert r.p == pytest.approx(tail)
    assert r.p_against == pytest.approx(
        sum(math.comb(10, k) * 0.1**k * 0.9 ** (10 - k) for k in range(4))
    )
    # the most extreme counts: 10 of 10 for "greater" (0.1^10), 0 of 10 against (0.9^10)
    assert (r.min_p, r.min_p_against) == pytest.approx((0.1**10, 0.9**10))
    less = stats.binomial(0, 6, 0.2, "less")
    assert (less.p, less.p_against) == pytest.approx((0.8**6, 1.0))
    assert (less.min_p, less.min_p_against) == pytest.approx((0.8**6, 0.2**6))
    assert "against 0.2" in less.name


def test_binomial_without_trials_is_no_data():
    r = stats.binomial(0, 0, 0.5, "greater")
    assert (r.n, r.p, r.p_against) == (0, 1.0, 1.0)


def test_fisher_five_of_five_vs_none_of_five():
    r = stats.fisher(5, 5, 0, 5, "greater")
    assert r.p == pytest.approx(1 / 252)
    assert r.p_against == pytest.approx(1.0)
    assert r.n == 10 and r.min_p == pytest.approx(1 / 252) and r.min_p_against == r.min_p
    back = stats.fisher(5, 5, 0, 5, "less")
    assert (back.p, back.p_against) == pytest.approx((1.0, 1 / 252))


def test_fisher_hypergeometric_tail_and_unequal_groups():
    # 3/5 vs 1/5: 4 ones; P(X >= 3) = [C(4,3)C(6,2) + C(4,4)C(6,1)] / C(10,5) = 66/252
    r = stats.fisher(3, 5, 1, 5, "greater")
    assert r.p == pytest.approx(66 / 252)
    assert r.p_against == pytest.approx(1 - 6 / 252)
    assert stats.fisher(3, 3, 0, 10, "greater").min_p == pytest.approx(1 / math.comb(13, 3))
    assert stats.fisher(3, 3, 0, 10, "greater").p == pytest.approx(1 / math.comb(13, 3))


def test_mcnemar_is_binomial_on_discordant_pairs():
    r = stats.mcnemar(6, 0, "greater")
    assert "McNemar" in r.name
    assert (r.p, r.p_against, r.n, r.min_p) == pytest.approx((1 / 64, 1.0, 6, 1 / 64))
    r = stats.mcnemar(1, 5, "greater")  # 1 of 6 discordant pairs favours a
    assert r.p == pytest.approx(63 / 64) and r.p_against == pytest.approx(7 / 64)
    three = stats.mcnemar(0, 3, "less")
    assert three.p == pytest.approx(1 / 8) and not three.reaches(0.05)
    assert stats.mcnemar(0, 0, "less").n == 0


# --------------------------------------------------------------------------- combining


def test_all_of_is_intersection_union_for_and_bonferroni_against():
    parts = [result(0.01, 0.9), result(0.03, 0.2, min_p=0.02, min_p_against=0.04)]
    r = stats.all_of(parts)
    assert r.p == pytest.approx(0.03)  # every part must hold: the largest p
    assert r.p_against == pytest.approx(0.4)  # one refuted part refutes: 2 x smallest
    assert r.min_p == pytest.approx(0.02) and r.min_p_against == pytest.approx(2 * 0.5**6)
    assert r.n == 6 and "intersection-union" in r.name and "Bonferroni x2" in r.name
    assert stats.all_of([result(0.9, 0.4), result(0.9, 0.3)]).p_against == pytest.approx(0.6)
    assert stats.all_of([result(0.9, 0.7), result(0.9, 0.6)]).p_against == 1.0  # capped


def test_any_of_is_bonferroni_for_and_max_against():
    parts = [result(0.01, 0.9), result(0.03, 0.2), result(0.5, 0.01)]
    r = stats.any_of(parts)
    assert r.p == pytest.approx(0.03)  # 3 x smallest
    assert r.p_against == pytest.approx(0.9)  # every part must be refuted
    assert r.min_p == pytest.approx(3 * 0.5**6)
    assert stats.any_of([result(0.6, 0.9), result(0.7, 0.9)]).p == 1.0  # capped


def test_bonferroni_keeps_a_part_that_alone_would_decide_from_deciding():
    borderline = result(0.03125, 0.03125)  # alone: significant at 0.05
    assert stats.decide(stats.any_of([borderline, result(0.9, 0.9)]))[0] == "inconclusive"
    assert stats.decide(stats.all_of([borderline, result(0.9, 0.9)]))[0] == "inconclusive"
    assert stats.decide(stats.all_of([result(0.01, 0.9), result(0.9, 0.02)]))[0] == (
        "not_reproduced"
    )


# --------------------------------------------------------------------------- decide


def test_decide_reproduced_and_not_reproduced():
    assert stats.decide(stats.signed_rank([1, 2, 3, 4, 5], "greater")) == (
        "reproduced",
        "p = 0.0312 <= 0.05",
    )
    verdict, why = stats.decide(stats.signed_rank([1, 2, 3, 4, 5], "less"))
    assert verdict == "not_reproduced" and why == "against the claim p = 0.0312 <= 0.05"
    assert stats.decide(result(0.02, 0.99, n=8), alpha=0.01)[0] == "inconclusive"
    assert stats.decide(result(0.01, 0.99, n=8), alpha=0.01)[0] == "reproduced"  # p <= alpha


def test_decide_three_seeds_cannot_decide():
    test = stats.signed_rank([1, 2, 3], "greater")
    assert test.p == pytest.approx(1 / 8)
    verdict, why = stats.decide(test)
    assert verdict == "inconclusive"
    assert why.startswith("n = 3: a one-sided Wilcoxon signed-rank test cannot go below p = 0.125")
    assert "more seeds are needed" in why
    # four seeds neither: 1/16 > 0.05; five can (seeds_needed)
    assert stats.decide(stats.signed_rank([1, 2, 3, 4], "less"))[0] == "inconclusive"


def test_decide_not_significant_either_way():
    verdict, why = stats.decide(stats.signed_rank([1, -2, 3, -4, 5, -6], "greater"))
    assert verdict == "inconclusive"
    assert why.startswith("not significant either way (p = ")


def test_decide_when_a_refutation_cannot_reach_alpha():
    # "rate > 0.1" over 6 trials: 0 of 6 has p = 0.9^6 = 0.53 against the claim at best,
    # so the data can never refute it; the reason must say so.
    test = stats.binomial(0, 6, 0.1, "greater")
    assert test.min_p_against == pytest.approx(0.9**6) and test.min_p == pytest.approx(1e-6)
    assert test.reaches(0.05)  # it can still be reproduced
    verdict, why = stats.decide(test)
    assert verdict == "inconclusive"
    assert "against the claim this test cannot go below p = 0.531 at n = 6" in why
    # a significant result for the claim is still a valid level-alpha rejection
    assert stats.decide(stats.binomial(3, 6, 0.1, "greater"))[0] == "reproduced"


def test_decide_when_the_claim_cannot_reach_alpha():
    # "rate < 0.2" over 6 trials: even 0 of 6 gives p = 0.8^6 = 0.26 for the claim
    test = stats.binomial(0, 6, 0.2, "less")
    verdict, why = stats.decide(test)
    assert verdict == "inconclusive"
    assert "for the claim this test cannot go below p = 0.262 at n = 6" in why
    assert stats.decide(stats.binomial(4, 6, 0.2, "less"))[0] == "not_reproduced"


def test_seeds_needed():
    assert stats.seeds_needed() == 5
    assert stats.seeds_needed(0.125) == 3
    assert stats.seeds_needed(0.01) == 7
    assert 0.5 ** stats.seeds_needed() <= stats.ALPHA < 0.5 ** (stats.seeds_needed() - 1)


def test_direction_and_opposite():
    assert [stats.direction(op) for op in ("<", "<=", ">", ">=")] == [
        "less",
        "less",
        "greater",
        "greater",
    ]
    assert stats.opposite("less") == "greater" and stats.opposite("greater") == "less"


# --------------------------------------------------------------------------- intervals


def test_mean_interval_is_student_t_for_few_values():
    """Below SMALL_N values a bootstrap barely reaches past the values' own range (with 3
    seeds its interval is [min, max]); Student's t is the honest interval there."""
    x = [1.0, 2.0, 4.0]
    got = stats.mean_interval(x)
    half = sps.t.ppf(0.975, 2) * np.std(x, ddof=1) / np.sqrt(3)
    assert got.method == "Student t 95% CI of the mean"
    assert (got.low, got.high) == pytest.approx((np.mean(x) - half, np.mean(x) + half))
    assert got.low < min(x) and got.high > max(x)


def test_mean_interval_is_bca():
    x = [1.0] * 6 + [1.5, 2.0, 3.0, 10.0]  # skewed: BCa and percentile differ
    got = stats.mean_interval(x)
    assert got.estimate == pytest.approx(np.mean(x)) and got.n == 10
    assert got.method == "BCa bootstrap 95% CI of the mean"

    def boot(method):
        rng = np.random.default_rng(stats.BOOTSTRAP_SEED)
        res = sps.bootstrap(
            (np.array(x),), np.mean, n_resamples=stats.N_RESAMPLES, method=method, rng=rng
        )
        return res.confidence_interval

    bca, pct = boot("BCa"), boot("percentile")
    assert (got.low, got.high) == pytest.approx((bca.low, bca.high))
    assert (got.low, got.high) != pytest.approx((pct.low, pct.high))
    assert min(x) <= got.low < got.estimate < got.high <= max(x)
    assert stats.mean_interval(x) == got  # fixed bootstrap seed: same table, same interval
    assert got.text() == f"{got.estimate:.3g} [{got.low:.3g}, {got.high:.3g}] (n=10)"


def test_mean_interval_falls_back_to_percentile_when_bca_is_undefined(monkeypatch):
    real = sps.bootstrap

    def no_bca(*args, method="BCa", **kwargs):
        res = real(*args, method=method, **kwargs)
        if method == "BCa":
            ci = type(res.confidence_interval)(float("nan"), float("nan"))
            return type("Res", (), {"confidence_interval": ci})()
        return res

    monkeypatch.setattr(stats.stats, "bootstrap", no_bca)
    got = stats.mean_interval([1.0, 2.0, 4.0, 8.0] * 3)
    assert got.method == "percentile bootstrap 95% CI of the mean"
    assert 1.0 <= got.low < got.high <= 8.0


def test_mean_interval_edge_cases():
    equal = stats.mean_interval([2.0, 2.0, 2.0])
    assert (equal.estimate, equal.low, equal.high, equal.method) == (
        2.0,
        2.0,
        2.0,
        "all values equal",
    )
    one = stats.mean_interval([7.0])
    assert (one.estimate, one.low, one.high, one.n) == (7.0, None, None, 1)
    assert one.text() == "7 (n=1, one value: no interval)"
    none = stats.mean_interval([float("nan"), None])
    assert (none.estimate, none.n, none.text()) == (None, 0, "no value")
    with_nan = stats.mean_interval([1.0, float("nan"), 2.0, None, 3.0, float("-inf")])
    assert with_nan.n == 3 and with_nan.estimate == pytest.approx(2.0)
    assert with_nan == stats.mean_interval([1.0, 2.0, 3.0])


def test_rate_interval_is_clopper_pearson():
    zero = stats.rate_interval(0, 5)
    assert (zero.estimate, zero.low) == (0.0, 0.0)
    assert zero.high == pytest.approx(1 - 0.025 ** (1 / 5))  # 0.5218
    full = stats.rate_interval(5, 5)
    assert full.low == pytest.approx(0.025 ** (1 / 5)) and full.high == 1.0
    two = stats.rate_interval(2, 6)
    assert two.estimate == pytest.approx(1 / 3)
    assert two.low == pytest.approx(sps.beta.ppf(0.025, 2, 5))
    assert two.high == pytest.approx(sps.beta.ppf(0.975, 3, 4))
    assert two.method == "Clopper-Pearson 95% CI"
    assert stats.rate_interval(0, 0).estimate is None


def test_ties_at_the_threshold_count_for_a_non_strict_claim():
    """ ">= 23 modes" holds for seeds at exactly 23: with ties="for" they are the smallest
    differences on the claimed side instead of being dropped (no data to test)."""
    at = stats.signed_rank([0.0] * 6, "greater", ties="for")
    assert at.n == 6 and at.p == pytest.approx(1 / 64)
    dropped = stats.signed_rank([0.0] * 6, "greater")
    assert dropped.n == 0
    mixed = stats.signed_rank([0.0, 0.0, -1.0, 2.0, 3.0, 4.0], "less", ties="for")
    assert mixed.n == 6 and mixed.p_against < 0.5  # ties lean to the claim (less), not past it
    with pytest.raises(ValueError, match="ties"):
        stats.signed_rank([0.0], "greater", ties="both")


@pytest.mark.parametrize("n", [6, 10, 25])
def test_a_tie_at_the_threshold_counts_on_one_side_only(n):
    """The module's tie rule: every seed exactly at 23 reproduces ">= 23" (and "<= 23")
    and never also refutes it; it refutes "> 23" (and "< 23") and never also supports it.
    The same seeds, the same rule, in the test for the claim and the test against it."""
    from wgan_suite.claims.outcome import values_vs

    seeds = {s: 23.0 for s in range(n)}
    for op in (">=", "<="):
        test = stats.signed_rank_vs([0.0] * n, op)
        assert test.p <= stats.ALPHA and test.p_against > 0.5  # never both small
        assert n > 10 or test.p == pytest.approx(0.5**n)  # exact at few seeds
        out = values_vs(seeds, op, 23, 0.0, "modes", stats.ALPHA)
        assert out.verdict == stats.Verdict.REPRODUCED and out.test.p_against > stats.ALPHA
    for op in (">", "<"):
        test = stats.signed_rank_vs([0.0] * n, op)
        assert test.p > 0.5 and test.p_against <= stats.ALPHA
        assert n > 10 or test.p_against == pytest.approx(0.5**n)
        out = values_vs(seeds, op, 23, 0.0, "modes", stats.ALPHA)
        assert out.verdict == stats.Verdict.NOT_REPRODUCED and out.test.p > stats.ALPHA
    assert stats.at_threshold(">=") == stats.at_threshold("<=") == "for"
    assert stats.at_threshold(">") == stats.at_threshold("<") == "against"


def test_ties_follow_the_rule_with_other_seeds_and_in_paired_and_equivalence_tests():
    """Mixed seeds: a tie is the smallest difference on its one side; for >= it can only
    help the claim, for > only hurt it, and never both. Paired differences and the
    equivalence bounds (within: non-strict) read ties by the same rule."""
    from wgan_suite.claims.outcome import equivalence, paired_vs

    d = [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, -0.5]
    ge, gt = stats.signed_rank_vs(d, ">="), stats.signed_rank_vs(d, ">")
    dropped = stats.signed_rank(d, "greater")
    assert ge.n == gt.n == 7 and dropped.n == 4
    assert ge.p < gt.p and ge.p_against > gt.p_against  # the ties moved to opposite sides
    assert not (ge.p <= stats.ALPHA and ge.p_against <= stats.ALPHA)
    a = {s: 1.0 for s in range(8)}
    b = {s: 1.0 for s in range(8)}  # a - b exactly 0 for every seed
    at_least, _ = paired_vs(a, b, "difference", ">=", 0.0, 0.0, "a - b", stats.ALPHA)
    more, _ = paired_vs(a, b, "difference", ">", 0.0, 0.0, "a - b", stats.ALPHA)
    assert at_least.verdict == stats.Verdict.REPRODUCED
    assert more.verdict == stats.Verdict.NOT_REPRODUCED
    on_bound = equivalence(np.full(8, 0.5), -0.5, 0.5)  # every effect exactly at hi
    assert on_bound.p == pytest.approx(0.5**8) and on_bound.p_against == 1.0


def test_holm_keeps_the_decisions_that_survive_the_family():
    assert stats.holm([0.01, 0.04, 0.03, 0.5], 0.05) == [True, False, False, False]
    assert stats.holm([0.001, 0.01, 0.02], 0.05) == [True, True, True]
    assert stats.holm([], 0.05) == []
