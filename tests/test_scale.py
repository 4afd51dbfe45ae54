"""The scale rule (wgan_suite.claims.scale): one rule fixes every claim's scale, and below
it a verdict is read the same way in both directions: what the data say, qualified "at
16 px / width 16", exploratory, never confirmatory.

Read on the shipped claims over their real ablations' trials and seeds (synthetic
values). The scale ladder that used to gate refutations below scale is gone: a line
through two rungs read the wrong way on synthetic data (referee audit 2, N2), so a
below-scale result is only what it is.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from wgan_suite.claims import load_claims
from wgan_suite.claims.coverage import example_tables, refutable, trial_configs
from wgan_suite.claims.family_wise import with_family_holm
from wgan_suite.claims.scale import ScalePoint, shortfall
from wgan_suite.claims.selection import ClaimError
from wgan_suite.claims.verdicts import evaluate_claim, evaluate_claims
from wgan_suite.harness.ablation import load_ablation

REPO = Path(__file__).resolve().parents[1]
CLAIMS = {c.id: c for c in load_claims(REPO / "claims")}
SIZE, WIDTH = "config.data.image_size", "config.critic.width"
# why a claim states no axis at all: the words its source must use
NO_EXPERIMENT = re.compile(r"by hand|a remark|a theorem|not a published claim|states no")


@cache
def ablation(name: str):
    return load_ablation(REPO / "ablations" / f"{name}.yaml")


def tables(claim_id: str, holds: bool):
    claim = CLAIMS[claim_id]
    return claim, *example_tables(claim, holds, ablation(claim.ablation), "cpu")


# --------------------------------------------------------------------------- pieces


def test_shortfall_names_each_axis_below_the_claim():
    made = ScalePoint(image_size=64, width=64, iterations=600_000, source="test")
    trials = pd.DataFrame({SIZE: [16, 16], WIDTH: [16, 16], "config.iterations": [8000, 8000]})
    assert shortfall(made, trials) == [
        "16 px < 64 px",
        "width 16 < width 64",
        "8,000 iterations < 600,000 iterations",
    ]
    at = pd.DataFrame({SIZE: [64], WIDTH: [64], "config.iterations": [600_000]})
    assert shortfall(made, at) == []
    # an axis the tables lack counts as below: nothing shows it was reached
    assert shortfall(ScalePoint(width=512, source="test"), pd.DataFrame({SIZE: [64]})) == [
        "critic.width not in the tables (claim: width 512)"
    ]
    assert shortfall(ScalePoint(source="a remark"), pd.DataFrame()) == []  # nothing stated


def test_a_setting_the_paper_never_ran_is_below_scale():
    made = ScalePoint(
        settings={"c_optimizer.lr": 5.0e-5, "data.name": "lsun_bedroom"}, source="test"
    )
    same = pd.DataFrame({"config.c_optimizer.lr": [5e-05], "config.data.name": ["lsun_bedroom"]})
    assert shortfall(made, same) == []  # 5e-05 == 5.0e-5: compared as numbers
    other = same.assign(**{"config.c_optimizer.lr": [0.01]})
    assert shortfall(made, other) == ["c_optimizer.lr 0.01, not the paper's 5e-05"]
    # one trial off the paper's setting is enough: every trial read must match
    mixed = pd.concat([same, other], ignore_index=True)
    assert shortfall(made, mixed) == ["c_optimizer.lr 0.01, not the paper's 5e-05"]
    assert shortfall(made, same.drop(columns="config.data.name")) == [
        "data.name not in the tables (paper: lsun_bedroom)"
    ]


def test_settings_must_be_config_keys():
    with pytest.raises(ValueError, match="not a config key"):
        ScalePoint(settings={"config.lipschitz.c": 0.01}, source="test")


# --------------------------------------------------------------------------- the rule


def _runs_images(claim) -> bool:
    found = ablation(claim.ablation)
    return any(
        SIZE in (frame := trial_configs(found, b)) and frame[SIZE].notna().any()
        for b in found.spec.budgets
    )


@pytest.mark.parametrize("cid", sorted(CLAIMS))
def test_every_claim_states_its_scale_by_the_one_rule(cid):
    """Every claim cites where its scale comes from; a claim read on images states image
    size and width (and the length, where the paper gives one); a claim that states no
    axis says why (worked by hand, a remark, a theorem, no setting stated)."""
    made = CLAIMS[cid].scale.made_at
    assert len(made.source) > 10, cid
    if not made.stated():
        assert NO_EXPERIMENT.search(made.source), (cid, made.source)
        return
    if _runs_images(CLAIMS[cid]) or made.image_size:
        assert made.image_size and made.iterations, (cid, made.text())
        assert made.settings.get("data.name"), (cid, "an image claim names its dataset")
    if (
        re.search(r"Sec\. 4|Fig\. [3-8]|App\. E", CLAIMS[cid].location)
        and CLAIMS[cid].paper == "WGAN"
    ):
        # the WGAN paper's image experiments: LSUN 64 px, width 64, 100k+ iterations
        assert (made.image_size, made.width, made.iterations) == (64, 64, 100_000), cid
        assert made.settings.get("data.name") == "lsun_bedroom", cid


def test_which_claims_the_cpu_budget_can_refute():
    """At cpu, the claims the paper made without an experiment or on gan_toy.py's 512-unit
    critics with no length stated are at scale; every image claim is below its scale (and
    W-13, G-01, G-05, G-06, G-13: toy or small stand-ins for the paper's images or length)."""
    at = sorted(
        cid
        for cid, c in CLAIMS.items()
        if "cpu" in c.budgets and refutable(c, ablation(c.ablation), "cpu")
    )
    assert at == sorted(
        ["W-01", "W-01b", "W-02", "W-14", "W-14b", "W-16", "W-16b", "W-15", "W-15b", "G-02", "G-03"]
    )


# --------------------------------------------------------------------------- both ways


@pytest.mark.parametrize("cid", ["W-06b", "W-11", "W-13b", "W-05", "W-12b"])
def test_below_scale_both_directions_read_alike(cid):
    """The three claims that had a ladder and two that assert a failure: below scale the
    data for the claim read "reproduced at 16 px / width 16", the data against "not
    reproduced at 16 px / width 16", both exploratory; neither is turned or withheld."""
    for holds, wanted in ((True, "reproduced"), (False, "not_reproduced")):
        claim, results, trials = tables(cid, holds)
        v = evaluate_claim(claim, results, trials, "cpu")
        assert v.verdict == wanted, v.summary
        assert v.summary.startswith(f"{wanted.replace('_', ' ')} at 16 px / width ")
        assert "(exploratory: below the claim's scale: 16 px < 64 px" in v.summary
        assert v.below_scale and not v.refutable


def test_at_scale_both_directions_are_refutable():
    for holds, wanted in ((True, "reproduced"), (False, "not_reproduced")):
        claim, results, trials = tables("W-14", holds)
        v = evaluate_claim(claim, results, trials, "cpu")
        assert v.verdict == wanted and v.refutable and not v.below_scale
        assert v.scale == "at the claim's scale" and "exploratory" not in v.summary


def test_a_budget_that_cannot_decide_never_makes_a_claim_refutable():
    """W-01 states no size (worked by hand), so no run is below its scale; at ``smoke``,
    which cannot decide it, it is read (inconclusive) but not counted as refutable, by the
    verdict nor by the registration's coverage, and the report's scope sentence says so."""
    from wgan_suite.report.summary import scope

    claim = CLAIMS["W-01"]
    assert "smoke" not in claim.budgets
    results, trials = example_tables(claim, True, ablation(claim.ablation), "smoke")
    v = evaluate_claim(claim, results, trials, "smoke")
    assert v.verdict == "inconclusive" and "cannot decide this claim" in v.summary
    assert not v.below_scale and not v.refutable
    assert not refutable(claim, ablation(claim.ablation), "smoke")
    assert refutable(claim, ablation(claim.ablation), "cpu")
    assert scope([vars(v)]).startswith("Of 1 claim, 0 were read at the scale")
    assert scope([vars(v)]).endswith("1 was not tested at a budget that can decide it.")


def test_a_below_scale_verdict_is_never_confirmatory():
    """Registered and read on exactly its trials, a below-scale verdict stays exploratory
    in both directions (the registration lists it as exploratory, with why)."""
    from wgan_suite.claims.preregister import build_registration

    claims = [CLAIMS["W-14"], CLAIMS["W-06b"]]
    ablations = {n: ablation(n) for n in ("clipping_c", "loss_curves")}
    reg = build_registration("T", claims, "cpu", range(1000, 1013), ablations, "code")
    assert set(reg.claims) == {"W-14"} and set(reg.exploratory) == {"W-06b"}
    assert reg.exploratory["W-06b"].startswith("below its scale at cpu: 16 px < 64 px")
    assert reg.family_size("wgan-cpu") == 1  # Holm's m: the confirmatory claims only
    for holds in (True, False):
        claim, results, trials = tables("W-06b", holds)
        [v] = evaluate_claims(results, trials, [claim], "cpu", [reg])
        assert not v.confirmatory and v.registration is None
        assert "registration T: below its scale" in v.exploratory_why


def test_a_registered_claim_read_below_its_scale_is_exploratory():
    """The other path (a referee's read of c0eaa30: no test reached it): a claim registered
    as confirmatory, whose trials read ran below its scale (W-14's critics at width 128,
    not 512), is exploratory in either direction, saying so; at its scale, not for that."""
    from wgan_suite.claims.preregister import build_registration

    reg = build_registration(
        "T", [CLAIMS["W-14"]], "cpu", range(1000, 1013), {"clipping_c": ablation("clipping_c")},
        "code",
    )  # fmt: skip
    assert set(reg.claims) == {"W-14"}
    for holds in (True, False):
        claim, results, trials = tables("W-14", holds)
        [at] = evaluate_claims(results, trials, [claim], "cpu", [reg])
        assert at.registration == "T" and not at.below_scale
        assert "exploratory in either direction" not in at.exploratory_why
        narrow = trials.assign(**{WIDTH: 128})
        [v] = evaluate_claims(results, narrow, [claim], "cpu", [reg])
        assert v.registration == "T" and v.below_scale and not v.confirmatory
        assert "width 128 < width 512 (exploratory in either direction)" in v.exploratory_why


def test_holm_counts_the_registered_family_not_the_claims_file():
    """A registered claim deleted from the claims file still counts in Holm's m (as
    p = 1): deleting one cannot loosen the bound for the others (issue 36 e)."""
    claim, results, trials = tables("W-14", True)
    [v] = evaluate_claims(results, trials, [claim], "cpu")
    v = replace(v, confirmatory=True, p_value=0.004, p_against=1.0, family="wgan-cpu")
    [alone] = with_family_holm([replace(v, registered_family_size=None)])
    [counted] = with_family_holm([replace(v, registered_family_size=12)])
    assert alone.p_holm == pytest.approx(0.008) and alone.holm_verdict == "reproduced"
    assert counted.p_holm == pytest.approx(0.096) and counted.holm_verdict == "inconclusive"
    # the claims a registration left exploratory (below scale) are not in the family it
    # planned for: R1 registers 6 of wgan-cpu's 25, and its first Holm bound is 0.05 / 6
    others = [replace(v, claim_id=f"X-{i}", confirmatory=False) for i in range(19)]
    mine = replace(v, registered_family_size=6)
    [planned, *_] = with_family_holm([mine, *others])
    assert planned.p_holm == pytest.approx(0.048) and planned.family_size == 6  # not 20 x 0.008
    assert planned.holm_verdict == "reproduced"


def test_unknown_scale_keys_are_refused():
    from wgan_suite.claims.schema import parse_claim

    raw = {
        "id": "T-01",
        "paper": "WGAN",
        "family": "wgan-cpu",
        "location": "x",
        "citation": "x",
        "statement": "x",
        "published": "x",
        "testable_as": "x",
        "setting": "x",
        "ablation": "demo",
        "scale": {"made_at": {"pixels": 64, "source": "x"}},
        "budgets": {"cpu": "x"},
        "check": {
            "kind": "threshold",
            "where": {"loss": "wgan"},
            "value": {"reduce": "final", "metric": "fd"},
            "op": "<",
            "threshold": 1,
        },
    }
    with pytest.raises(ClaimError, match=r"scale\.made_at\.pixels: unknown key"):
        parse_claim(raw, "test.yaml", 0)


def test_the_committed_ladder_pilot_matches_its_checksums():
    import hashlib

    folder = REPO / "reports" / "pilots" / "scale_ladder-s99"
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == 2
    for line in lines:
        digest, name = line.split()
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    trials = pd.read_parquet(folder / "trials.parquet")
    assert set(trials["ablation"]) == {"scale_ladder", "scale_ladder_modes"}
    assert set(trials["seed"]) == {99} and set(trials["status"]) == {"finished"}
