"""The exact, distribution-free tools of wgan_suite.analysis.stats against independent oracles:
Mann-Whitney U by enumerating every relabelling, the Hodges-Lehmann intervals by brute
force, Holm's adjusted p-values against ``holm``, and the seed-planning bounds."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from wgan_suite.analysis import stats

# --------------------------------------------------------------------------- oracles


def mid_ranks(values):
    """Pooled mid-ranks, by hand: 1 + (number below) + (number of other equal) / 2."""
    return [1 + sum(w < v for w in values) + (sum(w == v for w in values) - 1) / 2 for v in values]


def enumerate_u(a, b):
    """Every one of the C(n1 + n2, n1) relabellings: (observed U of a, list of null Us)."""
    ranks = mid_ranks(list(a) + list(b))
    n1 = len(a)
    least = n1 * (n1 + 1) / 2
    observed = sum(ranks[:n1]) - least
    null = [
        sum(ranks[i] for i in idx) - least for idx in itertools.combinations(range(len(ranks)), n1)
    ]
    return observed, null


def exact_mw(a, b, alternative):
    observed, null = enumerate_u(a, b)
    if alternative == "greater":
        return sum(u >= observed - 1e-9 for u in null) / len(null)
    return sum(u <= observed + 1e-9 for u in null) / len(null)


def k_from_null(null, confidence=0.95):
    """Largest k with P(U <= k - 1) <= (1 - confidence) / 2, from an enumerated null of
    integer-valued statistics (no ties); 0 when even k = 1 is out of reach."""
    tail = (1 - confidence) / 2
    k = 0
    while sum(u <= k for u in null) / len(null) <= tail + 1e-12:
        k += 1
    return k


def signed_rank_null(n):
    """T+ over all 2^n sign patterns of the ranks 1..n."""
    patterns = itertools.product((0, 1), repeat=n)
    return [sum(r for r, s in zip(range(1, n + 1), signs, strict=True) if s) for signs in patterns]


# --------------------------------------------------------------------------- Mann-Whitney


def test_mann_whitney_fully_separated_is_one_over_the_labellings():
    r = stats.mann_whitney([6, 7, 8, 9, 10, 11], [0, 1, 2, 3, 4, 5], "greater")
    assert r.p == pytest.approx(1 / 924) and r.p_against == pytest.approx(1.0)
    assert (r.n, r.min_p, r.min_p_against) == (12, 1 / 924, 1 / 924)
    assert r.name == "one-sided exact Mann-Whitney U test (unpaired)"
    three = stats.mann_whitney([4, 5, 6], [1, 2, 3], "greater")
    assert three.p == pytest.approx(1 / 20) and three.min_p == pytest.approx(1 / 20)
    back = stats.mann_whitney([4, 5, 6], [1, 2, 3], "less")
    assert (back.p, back.p_against) == pytest.approx((1.0, 1 / 20))
    assert not stats.mann_whitney([3, 4], [1, 2], "greater").reaches(0.05)  # 1/6


def test_mann_whitney_p_plus_p_against_is_one_plus_the_observed_point_mass():
    a, b = [1.3, 4.2, 5.5, 2.8, 6.1], [0.4, 3.1, 2.2, 1.9]
    observed, null = enumerate_u(a, b)
    assert observed == 16  # a's ranks 2, 7, 8, 5, 9 sum to 31; less 15
    point = sum(u == observed for u in null) / len(null)
    r = stats.mann_whitney(a, b, "greater")
    assert r.p + r.p_against == pytest.approx(1 + point)
    assert r.p == pytest.approx(exact_mw(a, b, "greater"))
    assert r.p_against == pytest.approx(exact_mw(a, b, "less"))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1.3, 4.2, 5.5, 2.8, 6.1], [0.4, 3.1, 2.2, 1.9]),
        ([0.1, 0.9, 0.35], [0.2, 0.5, 0.8, 0.95, 0.05, 0.6]),
        ([10.0, 12.5, 9.1, 14.2, 11.7, 13.3, 8.4], [9.5, 7.2, 10.6, 8.8, 6.1, 11.1, 7.7]),
    ],
)
@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_mann_whitney_matches_scipy_exact_without_ties(a, b, alternative):
    other = "less" if alternative == "greater" else "greater"
    r = stats.mann_whitney(a, b, alternative)
    assert r.p == pytest.approx(
        sps.mannwhitneyu(a, b, alternative=alternative, method="exact").pvalue
    )
    assert r.p_against == pytest.approx(
        sps.mannwhitneyu(a, b, alternative=other, method="exact").pvalue
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1, 2, 2, 3, 5], [2, 2, 1, 0, 3]),
        ([0.5, 0.5, 0.5, 1.0], [0.5, 0.0, 0.0]),
        ([3, 3, 3], [3, 3, 1, 3]),
    ],
)
def test_mann_whitney_is_exact_with_ties(a, b):
    for alternative in ("greater", "less"):
        assert stats.mann_whitney(a, b, alternative).p == pytest.approx(exact_mw(a, b, alternative))


def test_mann_whitney_identical_groups_are_no_evidence_either_way():
    same = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    r = stats.mann_whitney(same, same, "greater")
    assert r.p >= 0.5 and r.p_against >= 0.5
    assert r.p == pytest.approx(r.p_against)  # symmetric
    flat = stats.mann_whitney([2.0] * 5, [2.0] * 5, "less")
    assert (flat.p, flat.p_against) == pytest.approx((1.0, 1.0))  # every relabelling ties
    assert stats.decide(r)[0] == "inconclusive"


def test_mann_whitney_shift():
    b = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    a = [v + 5 for v in b]
    above = stats.mann_whitney(a, b, "greater", shift=4)  # a - 4 = b + 1: every a above
    assert above.p == pytest.approx(1 / 924) and stats.decide(above)[0] == "reproduced"
    below = stats.mann_whitney(a, b, "greater", shift=6)  # a - 6 = b - 1: every a below
    assert below.p_against == pytest.approx(1 / 924)
    assert stats.decide(below)[0] == "not_reproduced"
    assert stats.mann_whitney(a, b, "less", shift=6).p == pytest.approx(1 / 924)


def test_mann_whitney_drops_non_finite_values_and_empty_groups():
    r = stats.mann_whitney([4, None, 5, float("nan"), 6], [1, float("inf"), 2, 3], "greater")
    assert r.n == 6 and r.p == pytest.approx(1 / 20)
    empty = stats.mann_whitney([], [1, 2, 3], "greater")
    assert empty == stats.TestResult(empty.name, 1, 1, 3, 1, 1)
    assert "Mann-Whitney" in empty.name
    assert stats.mann_whitney([float("nan")], [], "less").n == 0


def test_mann_whitney_beyond_the_exact_limit_is_a_fixed_seed_monte_carlo():
    """With ties and more than EXACT_LIMIT relabellings; without ties the exact null is
    scipy's at any size (12 vs 12 reaches 1 / C(24, 12))."""
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 8, 11).astype(float), rng.integers(0, 7, 11).astype(float)
    r = stats.mann_whitney(a, b, "greater")  # C(22, 11) = 705432 > 200_000, with ties
    assert "Monte Carlo" in r.name and "exact" not in r.name
    assert r.min_p == pytest.approx(1 / 100_000)  # a Monte Carlo p cannot go lower
    assert stats.mann_whitney(a, b, "greater") == r  # same data, same p
    x, y = rng.normal(0.3, 1, 12), rng.normal(0, 1, 12)  # no ties
    big = stats.mann_whitney(x, y, "greater")
    assert "exact" in big.name and big.min_p == pytest.approx(1 / math.comb(24, 12))
    assert big.p == pytest.approx(
        sps.mannwhitneyu(x, y, alternative="greater", method="exact").pvalue
    )


def test_mann_whitney_enumerates_up_to_the_exact_limit():
    a, b = np.arange(9) + 0.5, np.arange(9)  # C(18, 9) = 48620
    r = stats.mann_whitney(a, b, "greater")
    assert r.name == "one-sided exact Mann-Whitney U test (unpaired)"
    assert r.p == pytest.approx(
        sps.mannwhitneyu(a, b, alternative="greater", method="exact").pvalue
    )
    assert r.min_p == pytest.approx(1 / math.comb(18, 9))


# --------------------------------------------------------------------------- Hodges-Lehmann shift


def test_shift_interval_by_hand():
    # a - b = (10 + i) - j: 6 once, 7 twice, 8 three times, ..., 10 five times, ..., 14 once.
    # U over C(10, 5) = 252 labellings: counts 1, 1, 2, 3 for U = 0..3, so
    # P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) = 7/252: k = 3, [D(3), D(23)] = [7, 13].
    got = stats.shift_interval([10, 11, 12, 13, 14], [0, 1, 2, 3, 4])
    assert (got.estimate, got.low, got.high, got.n) == (10.0, 7.0, 13.0, 10)
    assert got.method == "Hodges-Lehmann shift, exact 95% CI (Moses)"
    assert got.text() == "10 [7, 13] (n=10)"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1.2, 3.4, 2.2, 5.0, 4.1], [0.5, 1.0, 2.9, 0.1, 1.7]),
        ([0.31, 0.52, 0.47, 0.60], [0.20, 0.44, 0.25, 0.33, 0.12, 0.38]),
        ([7.5, 9.25, 8.0, 6.5, 10.0, 8.75], [6.0, 7.0, 5.25, 8.5, 6.75, 4.5, 7.25]),
    ],
)
def test_shift_interval_is_the_kth_order_statistic_of_the_differences(a, b):
    diffs = sorted(x - y for x in a for y in b)
    _, null = enumerate_u(list(range(len(a))), list(range(len(a), len(a) + len(b))))
    k = k_from_null(null)
    assert k >= 1
    got = stats.shift_interval(a, b)
    assert got.estimate == pytest.approx(float(np.median(diffs)))
    assert (got.low, got.high) == pytest.approx((diffs[k - 1], diffs[-k]))
    assert got.low <= got.estimate <= got.high


def test_shift_interval_matches_the_mann_whitney_test():
    """Shifts just outside the interval are rejected by the two-sided test (each side at
    0.025); just inside, not: the interval is the test inverted."""
    a, b = [7.5, 9.25, 8.0, 6.5, 10.0, 8.75], [6.0, 7.0, 5.25, 8.5, 6.75, 4.5, 7.25]
    got = stats.shift_interval(a, b)
    eps = 1e-6
    assert stats.mann_whitney(a, b, "greater", shift=got.low - eps).p <= 0.025
    assert stats.mann_whitney(a, b, "greater", shift=got.low + eps).p > 0.025
    assert stats.mann_whitney(a, b, "less", shift=got.high + eps).p <= 0.025
    assert stats.mann_whitney(a, b, "less", shift=got.high - eps).p > 0.025


def test_shift_interval_too_few_values_and_edges():
    # 3 vs 3: the most extreme labelling has P = 1/20 > 0.025; 4 vs 4: 1/70 is enough.
    few = stats.shift_interval([4, 5, 6], [1, 2, 3])
    assert (few.estimate, few.low, few.high) == (3.0, None, None)
    assert few.method == "Hodges-Lehmann shift; too few values for an exact 95% interval"
    assert few.text() == "3 (n=6, Hodges-Lehmann shift; too few values for an exact 95% interval)"
    four = stats.shift_interval([5, 6, 7, 8], [1, 2, 3, 4])
    assert (four.low, four.high) == (1.0, 7.0)  # k = 1: 2/70 > 0.025
    # 1 vs 39: U is uniform on 0..39, so 1/40 per tail is exactly 0.025 and counts: k = 1
    edge = stats.shift_interval([100.0], [float(i) for i in range(39)])
    assert (edge.low, edge.high) == (62.0, 100.0)
    # 3 vs 3 at 90%: a tail of exactly 1/20 = 0.05 is enough (floats would lose it)
    ninety = stats.shift_interval([4, 5, 6], [1, 2, 3], confidence=0.9)
    assert (ninety.low, ninety.high) == (1.0, 5.0)
    assert stats.shift_interval([], [1.0]).estimate is None
    assert stats.shift_interval([1.0, float("nan")], [None]).n == 1
    wider = stats.shift_interval([10, 11, 12, 13, 14], [0, 1, 2, 3, 4], confidence=0.8)
    assert wider.method == "Hodges-Lehmann shift, exact 80% CI (Moses)"
    assert 7.0 < wider.low <= wider.high < 13.0


# --------------------------------------------------------------------------- pseudo-median


@pytest.mark.parametrize(
    "x",
    [
        [0.3, -0.1, 0.8, 1.2, 0.5, 0.05],
        [2.5, 1.1, 3.7, 0.4, 2.2, 4.9, 1.8, 3.1],
        [-1.4, 0.2, 0.9, -0.3, 1.6, 2.8, 0.7, -0.6, 1.1, 0.45],
    ],
)
def test_pseudo_median_interval_against_brute_force(x):
    walsh = sorted((x[i] + x[j]) / 2 for i in range(len(x)) for j in range(i, len(x)))
    k = k_from_null(signed_rank_null(len(x)))
    assert k == {6: 1, 8: 4, 10: 9}[len(x)]  # the tabulated two-sided 5% critical values + 1
    got = stats.pseudo_median_interval(x)
    assert got.estimate == pytest.approx(float(np.median(walsh)))
    assert (got.low, got.high) == pytest.approx((walsh[k - 1], walsh[-k]))
    assert got.low <= got.estimate <= got.high
    assert got.method == "Hodges-Lehmann pseudo-median, exact 95% CI (Walsh averages)"


def test_pseudo_median_interval_matches_the_signed_rank_test():
    x = [-1.4, 0.2, 0.9, -0.3, 1.6, 2.8, 0.7, -0.6, 1.1, 0.45]
    got = stats.pseudo_median_interval(x)
    eps = 1e-6

    def p(delta, alternative):
        return stats.signed_rank([v - delta for v in x], alternative).p

    assert p(got.low - eps, "greater") <= 0.025 < p(got.low + eps, "greater")
    assert p(got.high + eps, "less") <= 0.025 < p(got.high - eps, "less")


def test_pseudo_median_interval_needs_six_values_at_95():
    five = stats.pseudo_median_interval([1, 2, 3, 4, 5])
    assert (five.estimate, five.low, five.high, five.n) == (3.0, None, None, 5)
    assert "too few values for an exact 95% interval" in five.method
    six = stats.pseudo_median_interval([1, 2, 3, 4, 5, 6, float("nan")])
    assert (six.estimate, six.low, six.high, six.n) == (3.5, 1.0, 6.0, 6)
    assert stats.pseudo_median_interval([None, float("inf")]).estimate is None
    assert stats.pseudo_median_interval([1, 2, 3, 4, 5], confidence=0.9).low == 1.0  # 2/32


# --------------------------------------------------------------------------- Holm


def test_holm_adjusted_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1 -> 0.04, 0.09, 0.08 -> 0.09, 0.5
    assert stats.holm_adjusted([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert stats.holm_adjusted([0.6, 0.7, 0.02]) == pytest.approx([1.0, 1.0, 0.06])  # capped
    assert stats.holm_adjusted([]) == []


def test_holm_adjusted_is_monotone_and_consistent_with_holm():
    rng = np.random.default_rng(1)
    for _ in range(300):
        m = int(rng.integers(1, 12))
        pool = rng.uniform(0, 0.2, m) ** 2  # some small, some repeated below
        p = [float(v) for v in rng.choice(pool, m)]
        adjusted = stats.holm_adjusted(p)
        assert all(p_i <= a_i <= 1.0 for p_i, a_i in zip(p, adjusted, strict=True))
        order = sorted(range(m), key=lambda i: p[i])
        assert all(adjusted[i] <= adjusted[j] for i, j in itertools.pairwise(order))
        for alpha in (0.001, 0.01, 0.05, 0.2):
            keep = stats.holm(p, alpha)
            assert keep == [a <= alpha for a in adjusted]


# --------------------------------------------------------------------------- planning seeds


def test_min_p_bounds():
    assert stats.min_p_signed_rank(5) == 1 / 32
    assert stats.min_p_mann_whitney(6, 6) == pytest.approx(1 / 924)
    assert stats.min_p_mann_whitney(3, 10) == pytest.approx(1 / 286)
    assert stats.min_p_mann_whitney(0, 4) == 1.0
    assert stats.mann_whitney(range(10, 13), range(10), "greater").min_p == pytest.approx(
        stats.min_p_mann_whitney(3, 10)
    )


def test_seeds_to_reach():
    sr = stats.min_p_signed_rank

    def mw(n):
        return stats.min_p_mann_whitney(n, n)

    assert stats.seeds_to_reach(0.05, sr) == 5 == stats.seeds_needed()
    # 14 claims, Bonferroni: 0.05/14 = 0.00357; 2^-8 = 0.0039 is not enough, 2^-9 is
    assert stats.seeds_to_reach(0.05 / 14, sr) == 9
    assert stats.seeds_to_reach(0.01, sr) == 7
    # per arm: C(6, 3) = 20 reaches 0.05; C(10, 5) = 252 < 280 <= C(12, 6) = 924
    assert stats.seeds_to_reach(0.05, mw) == 3
    assert stats.seeds_to_reach(0.05 / 14, mw) == 6
    assert stats.seeds_to_reach(0.0, sr) is None
    assert stats.seeds_to_reach(1.0, sr) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [([2.0], [1.0, 2.0, 0.5]), ([1.0, 2.0, 2.0], [2.0]), ([1.0], [1.0]), ([3.0], [1.0])],
)
@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_mann_whitney_with_one_value_in_an_arm_is_exact_with_ties(a, b, alternative):
    """One seed in an arm (a budget that runs one seed per cell): scipy's permutation
    test refuses arms of one, and the report stopped with a traceback (issue 25's quick
    budget, 2026-12-07). The n1 + n2 relabellings are enumerated instead."""
    other = "less" if alternative == "greater" else "greater"
    r = stats.mann_whitney(a, b, alternative)
    assert r.p == pytest.approx(exact_mw(a, b, alternative))
    assert r.p_against == pytest.approx(exact_mw(a, b, other))
    assert r.min_p == pytest.approx(1 / (len(a) + len(b))) and not r.reaches(0.05)
