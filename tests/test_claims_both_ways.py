"""Every shipped claim can be decided both ways, on its ablation's real trials and seeds.

A check that cannot fail is a defect: for each claim in ``claims/wgan.yaml`` and each
budget in its ``budgets`` that its ablation defines, synthetic data for the claim must
read "reproduced" and data against it "not reproduced" (``wgan_suite.claims.coverage``).
Ablations still being written are skipped with the reason, never silently. The last
tests show that the synthetic tables cannot make a broken claim pass by accident.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from wgan_suite.claims import load_claims
from wgan_suite.claims.combinators import _Combinator
from wgan_suite.claims.context import matches
from wgan_suite.claims.coverage import (
    decidable,
    example_tables,
    problems,
    refutable,
    trial_configs,
)
from wgan_suite.claims.schema import Claim, parse_claim
from wgan_suite.claims.verdicts import evaluate_claim
from wgan_suite.harness.ablation import Ablation, load_ablation

REPO = Path(__file__).resolve().parents[1]
CLAIMS = load_claims(REPO / "claims")


@cache
def ablation(name: str) -> Ablation | None:
    path = REPO / "ablations" / f"{name}.yaml"
    return load_ablation(path) if path.exists() else None


def ablation_at(claim: Claim, budget: str) -> Ablation:
    """The claim's ablation, or a skip that says why it cannot be tested yet."""
    found = ablation(claim.ablation)
    if found is None:
        pytest.skip(
            f"{claim.id}: ablations/{claim.ablation}.yaml does not exist yet (being written); "
            "its claims are tested once it lands"
        )
    if budget not in found.spec.budgets:
        pytest.skip(f"{claim.id}: ablation {claim.ablation} defines no budget '{budget}'")
    return found


CASES = [pytest.param(c, str(b), id=f"{c.id}-{b}") for c in CLAIMS for b in c.deciding_budgets()]
PARTS = [
    pytest.param(c, i, str(b), id=f"{c.id}-part{i + 1}-{b}")
    for c in CLAIMS
    if isinstance(c.check, _Combinator)
    for i in range(len(c.check.checks))
    for b in c.deciding_budgets()
]


def read_both_ways(claim: Claim, found: Ablation, budget: str) -> None:
    """Data for the claim read reproduced and data against it not reproduced, at and
    below the claim's scale alike; below it both are qualified "at <the run's scale>
    (exploratory: below the claim's scale ...)" (wgan_suite.claims.scale)."""
    seeds = set(found.seeds(budget))
    at_scale = refutable(claim, found, budget)
    for holds, wanted in ((True, "reproduced"), (False, "not_reproduced")):
        results, trials = example_tables(claim, holds, found, budget)
        v = evaluate_claim(claim, results, trials, budget)
        assert v.verdict == wanted, f"data {'for' if holds else 'against'}: {v.reason}"
        assert v.below_scale == (not at_scale) and v.refutable == at_scale
        if not at_scale:
            assert "(exploratory: below the claim's scale" in v.summary, v.summary
        assert (v.p_value if holds else v.p_against) <= claim.alpha
        assert v.budget == budget
        assert v.next_budget is None
        read = trials[trials["trial_id"].isin(v.trial_ids)]
        assert set(read["seed"]) == seeds, "the verdict must use the ablation's seeds"


def test_every_claims_file_claim_is_tested():
    assert len(CASES) >= len(CLAIMS) >= 25
    assert all(c.budgets for c in CLAIMS)


@pytest.mark.parametrize(("claim", "budget"), CASES)
def test_claim_reads_both_ways(claim, budget):
    found = ablation_at(claim, budget)
    frame = trial_configs(found, budget)
    for where in claim.check.wheres():
        assert matches(frame, where).any(), f"{where} selects no trial of {claim.ablation}"
    read_both_ways(claim, found, budget)


@pytest.mark.parametrize(("claim", "index", "budget"), PARTS)
def test_every_part_of_a_combined_claim_can_fail(claim, index, budget):
    """all_of is refuted through its first part in the synthetic tables; each part on
    its own must be decidable too, or that part is a check that cannot fail."""
    found = ablation_at(claim, budget)
    part = claim.model_copy(update={"check": claim.check.checks[index]})
    read_both_ways(part, found, budget)


@pytest.mark.parametrize("claim", [pytest.param(c, id=c.id) for c in CLAIMS])
def test_synthetic_tables_depend_on_holds(claim):
    """The generator is not vacuous: flipping ``holds`` changes the table it makes."""
    budget = str(claim.deciding_budgets()[-1])
    found = ablation_at(claim, budget)
    r_for, t_for = example_tables(claim, True, found, budget)
    r_against, t_against = example_tables(claim, False, found, budget)
    assert not t_for.empty
    assert set(t_for["trial_id"]) == set(t_against["trial_id"])  # the same trials...
    same = r_for.equals(r_against) and t_for["status"].equals(t_against["status"])
    assert not same  # ...with different values


COMBINED = [pytest.param(c, id=c.id) for c in CLAIMS if isinstance(c.check, _Combinator)]


@pytest.mark.parametrize("claim", COMBINED)
def test_the_order_of_the_parts_does_not_matter(claim):
    """all_of / any_of are symmetric in their parts, so must be the synthetic tables:
    parts that write one column of one trial (W-05) must not depend on which
    part is listed first."""
    budget = str(claim.deciding_budgets()[0])
    found = ablation_at(claim, budget)
    parts = tuple(reversed(claim.check.checks))
    reversed_ = claim.model_copy(update={"check": claim.check.model_copy(update={"checks": parts})})
    assert decidable(reversed_, found, budget) == []


def test_any_of_parts_sharing_a_curve_can_all_fail():
    # failing "change > 0.3" leaves a final of 0.15, which makes "final < 1" hold unless
    # the generator lets the first part's curve win
    parts = [
        {
            "kind": "threshold",
            "where": {"loss": "wgan", "generator": "dcgan"},
            "value": {"reduce": reduce, "metric": "fd"},
            "op": op,
            "threshold": value,
        }
        for reduce, op, value in (("final", "<", 1.0), ("change", ">", 0.3))
    ]
    claim = broken({"kind": "any_of", "checks": parts}, "paper_stability")
    assert decidable(claim, needs("paper_stability"), "cpu") == []


# --------------------------------------------------------------------------- broken claims


def broken(check, ablation_name, budgets=None) -> Claim:
    raw = {
        "id": "X-01",
        "paper": "WGAN",
        "family": "wgan-cpu",
        "location": "x",
        "citation": "x",
        "statement": "a deliberately broken claim",
        "published": "x",
        "testable_as": "x",
        "setting": "x",
        "ablation": ablation_name,
        "scale": {"made_at": {"source": "a test claim: no paper setting"}},
        "budgets": budgets or {"cpu": "tests"},
        "check": check,
    }
    return parse_claim(raw, "broken.yaml", 0)


def needs(name: str) -> Ablation:
    found = ablation(name)
    if found is None:
        pytest.skip(f"ablations/{name}.yaml is missing")
    return found


def test_a_threshold_no_value_can_cross_is_reported():
    # a fraction is never above 1: data "for" the claim cannot be made
    check = {
        "kind": "threshold",
        "where": {"loss": "wgan", "generator": "dcgan"},
        "value": {"reduce": "frac_below", "metric": "fd", "below": 0},
        "op": ">",
        "threshold": 1.0,
    }
    found = problems([broken(check, "paper_stability")], needs("paper_stability"))
    assert len(found) == 1
    # every value at most 1: the claim's "for" data sit at the threshold, which a strict
    # claim's tie rule counts against it (wgan_suite/analysis/stats.py), so they read not reproduced
    assert "data for the claim reads not_reproduced, not reproduced" in found[0]


def test_a_compare_of_a_group_with_itself_is_reported():
    check = {
        "kind": "compare",
        "a": {"loss": "wgan"},
        "b": {"loss": "wgan"},
        "value": {"reduce": "final", "metric": "fd"},
        "stat": "difference",
        "op": ">",
    }
    found = decidable(broken(check, "paper_stability"), needs("paper_stability"), "cpu")
    assert len(found) == 2  # neither way: every difference is 0
    assert all("reads inconclusive" in line for line in found)


def test_a_rate_claim_with_too_few_trials_is_reported():
    diverged = {"kind": "threshold", "where": {"critic": "mlp"}, "value": {"reduce": "diverged"}}
    ablation_ = needs("fig3_control")
    quick = broken({**diverged, "op": ">", "threshold": 0.5}, "fig3_control", {"quick": "t"})
    [line, *_] = decidable(quick, ablation_, "quick")  # quick's 1 seed: p >= 1/2
    assert "cannot go below p = 0.5" in line
    # 6 trials: "rate < 0.2" can never be reproduced (0 of 6: p = 0.8^6 = 0.26) ...
    near_zero = broken({**diverged, "op": "<", "threshold": 0.2}, "fig3_control")
    [line] = decidable(near_zero, ablation_, "cpu")
    assert "data for the claim reads inconclusive" in line
    assert "for the claim this test cannot go below p = 0.262" in line
    # ... and "rate > 0" never refuted (under rate 0 no trial can diverge)
    above_zero = broken({**diverged, "op": ">", "threshold": 0.0}, "fig3_control")
    [line] = decidable(above_zero, ablation_, "cpu")
    assert "data against the claim reads inconclusive" in line


def test_a_trend_whose_x_does_not_vary_is_reported():
    check = {
        "kind": "trend",
        "where": {"lipschitz.c": 0.01},
        "x": "lipschitz.c",
        "value": {"reduce": "final", "metric": "w_estimate_eval"},
        "op": ">=",
        "threshold": 0.9,
    }
    found = problems([broken(check, "clipping_c")], needs("clipping_c"))
    assert len(found) == 2 and all("no usable seed" in line for line in found)


def test_a_selection_of_no_trial_is_reported():
    check = {
        "kind": "threshold",
        "where": {"loss": "hinge"},
        "value": {"reduce": "final", "metric": "fd"},
        "op": "<",
        "threshold": 1.0,
    }
    found = problems([broken(check, "fig3_control")], needs("fig3_control"))
    assert found == ["claim X-01: [loss=hinge] selects no trial of fig3_control at budget 'cpu'"]


def test_a_sound_claim_has_no_problems():
    check = {
        "kind": "compare",
        "a": {"loss": "gan_ns", "generator": "dcgan_const"},
        "b": {"loss": "wgan", "generator": "dcgan_const"},
        "value": {"reduce": "diverged"},
        "stat": "difference",
        "op": ">",
    }
    assert problems([broken(check, "paper_stability")], needs("paper_stability")) == []


@pytest.mark.parametrize("claim", [pytest.param(c, id=c.id) for c in CLAIMS])
def test_every_claim_reads_the_quick_budgets_few_seeds_without_error(claim):
    """quick runs 1 seed of the image cells and 2 of the toys (issue 25): every shipped
    claim must give a verdict there, undecided or not, never a traceback, also where every
    score ties (a one-value arm with ties stopped the report of the first such run)."""
    ablation_ = needs(claim.ablation)
    for holds in (True, False):
        results, trials = example_tables(claim, holds, ablation_, "quick")
        scores = [c for c in results.select_dtypes("float").columns if c != "iteration"]
        for table in (results, results.assign(**dict.fromkeys(scores, 1.0))):
            v = evaluate_claim(claim, table, trials, "quick")
            assert v.verdict in ("reproduced", "not_reproduced", "inconclusive"), v.verdict
