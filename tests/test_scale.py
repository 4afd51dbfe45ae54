"""The scale rule (suite.claims.scale): a refutation below the claim's scale stands only
where the claim's scale ladder shows the effect not growing toward that scale.

Read on the shipped claims W-06b, W-11 and W-13b over their real ablations' trials and
seeds (synthetic values): a flat ladder refutes at the run's scale, a growing one and
every degenerate ladder (not run, one rung, a rung whose generator did not learn,
seeds that disagree) read inconclusive, and a claim at its scale or reproduced below it
never consults the ladder.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from suite.ablation import load_ablation
from suite.claims import load_claims
from suite.claims.coverage import example_tables, refutable
from suite.claims.registration import exploratory_reasons
from suite.claims.scale import Ladder, Scale, ScalePoint, extrapolate, shortfall
from suite.claims.selection import ClaimError
from suite.claims.verdicts import evaluate_claim

REPO = Path(__file__).resolve().parents[1]
CLAIMS = {c.id: c for c in load_claims(REPO / "claims")}
SIZE, WIDTH = "config.data.image_size", "config.critic.width"


@cache
def ablation(name: str):
    return load_ablation(REPO / "ablations" / f"{name}.yaml")


def tables(claim_id: str, holds: bool = False):
    claim = CLAIMS[claim_id]
    return claim, *example_tables(claim, holds, ablation(claim.ablation), "cpu")


def ladder_rows(frame: pd.DataFrame, claim_id: str, size: int | None = None) -> pd.Series:
    name = CLAIMS[claim_id].scale.ladder.ablation
    hit = frame["ablation"] == name
    return hit & (frame[SIZE] == size) if size is not None else hit


def shift(results, claim_id, size, column, by, seeds=None):
    """Move one rung's ``column`` by ``by`` (in the rows of ``seeds``, default all)."""
    rows = ladder_rows(results, claim_id, size) & results[column].notna()
    if seeds is not None:
        rows &= results["seed"].isin(seeds)
    out = results.copy()
    out.loc[rows, column] = out.loc[rows, column] + by
    return out


# --------------------------------------------------------------------------- pieces


def test_shortfall_names_each_dimension_below_the_claim():
    made = ScalePoint(image_size=64, width=64, iterations=600_000)
    trials = pd.DataFrame({SIZE: [16, 16], WIDTH: [16, 16], "config.iterations": [8000, 8000]})
    assert shortfall(made, trials) == [
        "16 px < 64 px",
        "width 16 < width 64",
        "8,000 iterations < 600,000 iterations",
    ]
    at = pd.DataFrame({SIZE: [64], WIDTH: [64], "config.iterations": [600_000]})
    assert shortfall(made, at) == []
    # a dimension the tables lack counts as below: nothing shows it was reached
    assert shortfall(ScalePoint(width=512), pd.DataFrame({SIZE: [64]})) == [
        "critic.width not in the tables (claim: width 512)"
    ]
    assert shortfall(ScalePoint(), pd.DataFrame()) == []  # the paper's own setting


def test_the_ladder_reads_at_the_larger_gap_of_size_and_width():
    from suite.claims.scale import _Rung, target_size

    rungs = [_Rung(16, 16, None), _Rung(32, 32, None)]
    # W-13b: 32 px / width 64 is one width doubling beyond the 32 px / width 32 rung
    assert target_size(ScalePoint(image_size=32, width=64), rungs) == (64, "")
    assert target_size(ScalePoint(image_size=64, width=64), rungs) == (64, "")
    assert target_size(ScalePoint(image_size=16), rungs) == (32, "")  # never below the top
    fixed = [_Rung(16, 16, None), _Rung(32, 16, None)]
    assert target_size(ScalePoint(width=64), fixed)[0] is None  # width not scaled by rungs


def test_a_ladder_needs_a_size_or_width_to_reach():
    with pytest.raises(ValueError, match="nothing to extrapolate to"):
        Scale.model_validate(
            {"made_at": {"iterations": 100}, "ladder": CLAIMS["W-11"].scale.ladder.model_dump()}
        )


def test_extrapolation_is_the_line_in_log2_size():
    # 16 px -> 0.2, 32 px -> 0.4: one doubling more reads 0.6 at 64 px
    got = extrapolate({16: {0: 0.2, 1: 0.3}, 32: {0: 0.4, 1: 0.3}}, 64)
    assert got == pytest.approx({0: 0.6, 1: 0.3})
    three = extrapolate({8: {0: 1.0}, 16: {0: 2.0}, 32: {0: 3.0}}, 64)
    assert three == pytest.approx({0: 4.0})
    assert extrapolate({16: {0: 1.0}, 32: {1: 2.0}}, 64) == {}  # no seed on both rungs


def test_a_ladder_part_must_be_a_number_per_seed():
    with pytest.raises(ValueError, match="0/1 per trial"):
        Ladder.model_validate(
            {
                "ablation": "scale_ladder",
                "parts": [
                    {
                        "where": {"loss": "gan_ns"},
                        "value": {"reduce": "failed", "metric": "fd_classifier"},
                        "op": ">",
                        "threshold": 0.5,
                    }
                ],
            }
        )


def test_the_three_scale_limited_claims_have_ladders():
    for cid in ("W-06b", "W-11", "W-13b"):
        ladder = CLAIMS[cid].scale.ladder
        assert ladder is not None and (REPO / "ablations" / f"{ladder.ablation}.yaml").exists()
    assert CLAIMS["W-06b"].scale.made_at.image_size == 64


# --------------------------------------------------------------------------- both ways


@pytest.mark.parametrize("cid", ["W-06b", "W-11", "W-13b"])
def test_a_flat_ladder_refutes_at_the_runs_scale(cid):
    claim, results, trials = tables(cid)
    v = evaluate_claim(claim, results, trials, "cpu")
    assert v.verdict == "not_reproduced", v.reason
    assert v.ladder_state == "no_growth"
    assert v.summary.startswith("not reproduced at 16 px / width 16"), v.summary
    assert v.scale.startswith("below the claim's scale")
    assert v.ladder_trial_ids and set(v.ladder_trial_ids).isdisjoint(v.trial_ids)
    assert v.ladder_points  # the trend plot's data


@pytest.mark.parametrize(
    ("cid", "column", "by"),
    [
        ("W-06b", "js_estimate_eval", 2.0),  # the JS estimate rises toward log 2 with size
        ("W-13b", "stacked_modes", 900.0),  # modes reach the bar at 32 px
    ],
)
def test_a_growing_ladder_leaves_it_inconclusive(cid, column, by):
    claim, results, trials = tables(cid)
    results = shift(results, cid, 32, column, by)
    v = evaluate_claim(claim, results, trials, "cpu")
    assert v.verdict == "inconclusive", v.reason
    assert v.ladder_state == "growth", v.ladder
    assert v.summary.startswith("inconclusive: below the claim's scale"), v.summary
    assert v.p_against is not None and v.p_against <= claim.alpha  # the check did refute


def test_w11_ladder_reads_the_gan_failing_more_with_size():
    # the GAN's final / initial quality: flat at 16 and 32 px refutes; above 0.5 when
    # extrapolated to 64 px (the GAN fails at the paper's scale) it does not
    claim, results, trials = tables("W-11")
    ladder = ladder_rows(results, "W-11", 32) & results["iteration"].eq(results["iteration"].max())
    grown = results.copy()
    grown.loc[ladder & grown["fid"].notna(), "fid"] *= 12
    v = evaluate_claim(claim, grown, trials, "cpu")
    assert v.verdict == "inconclusive" and v.ladder_state == "growth", v.ladder


def test_seeds_that_disagree_leave_the_ladder_undecided():
    claim, results, trials = tables("W-06b")
    seeds = sorted(set(trials.loc[ladder_rows(trials, "W-06b"), "seed"]))
    results = shift(results, "W-06b", 32, "js_estimate_eval", 2.0, seeds=seeds[::2])
    v = evaluate_claim(claim, results, trials, "cpu")
    assert v.verdict == "inconclusive" and v.ladder_state == "undecided", v.ladder


def test_a_ladder_not_run_or_with_one_rung_cannot_refute():
    claim, results, trials = tables("W-06b")
    main_r, main_t = (f[~ladder_rows(f, "W-06b")] for f in (results, trials))
    v = evaluate_claim(claim, main_r, main_t, "cpu")
    assert v.verdict == "inconclusive" and v.ladder_state == "missing", v.reason
    assert "has not run" in v.ladder
    keep_r = ~ladder_rows(results, "W-06b", 32)
    keep_t = ~ladder_rows(trials, "W-06b", 32)
    v = evaluate_claim(claim, results[keep_r], trials[keep_t], "cpu")
    assert v.verdict == "inconclusive" and "fewer than two rungs" in v.ladder


def test_a_rung_whose_generator_did_not_learn_cannot_tell():
    # W-13b's premise: WGAN's generators learned (quality at best half the initial one)
    claim, results, trials = tables("W-13b")
    rows = ladder_rows(results, "W-13b", 32) & results["fid"].notna()
    flat = results.copy()
    flat.loc[rows, "fid"] = 500.0
    v = evaluate_claim(claim, flat, trials, "cpu")
    assert v.verdict == "inconclusive" and v.ladder_state == "undecided", v.ladder
    assert "premise failed at a rung" in v.ladder


def test_at_its_scale_or_reproduced_the_ladder_is_not_read():
    claim, results, trials = tables("W-06b")
    main = ~ladder_rows(trials, "W-06b")
    at_scale_t = trials.copy()
    at_scale_r = results.copy()
    for frame, rows in ((at_scale_t, main), (at_scale_r, ~ladder_rows(results, "W-06b"))):
        frame.loc[rows, SIZE] = 64
        frame.loc[rows, WIDTH] = 64
    v = evaluate_claim(claim, at_scale_r, at_scale_t, "cpu")
    assert v.verdict == "not_reproduced" and v.ladder_state == "" and v.scale.startswith("at")
    claim, results, trials = tables("W-06b", holds=True)
    v = evaluate_claim(claim, results, trials, "cpu")
    assert v.verdict == "reproduced" and v.ladder_state == ""
    assert v.scale.startswith("below the claim's scale")  # stated, and it stands


def test_below_scale_without_a_ladder_cannot_refute():
    # W-15: toy nets of 128 units and 4,000 iterations against gan_toy.py's 512 and 100k
    claim = CLAIMS["W-15"]
    found = ablation(claim.ablation)
    assert not refutable(claim, found, "cpu")
    results, trials = example_tables(claim, False, found, "cpu")
    v = evaluate_claim(claim, results, trials, "cpu")
    assert v.verdict == "inconclusive", v.reason
    assert "no scale ladder is declared" in v.reason and v.ladder_state == ""


def test_the_ladder_trials_are_part_of_the_registered_reading():
    from suite.claims.preregister import build_registration

    claim = CLAIMS["W-13b"]
    ablations = {n: ablation(n) for n in ("mode_collapse", "scale_ladder_modes")}
    reg = build_registration("T", [claim], "cpu", range(1000, 1016), ablations, "code")
    entry = reg.claims["W-13b"]
    assert entry.refutable and entry.ladder_trials
    # two parts: 2 x 2^-n <= 0.05 needs n = 6, plus the ladder's margin of 1
    assert reg.ablation_seeds["scale_ladder_modes"] == tuple(range(1000, 1007))
    assert set(entry.ladder_trials) <= set(reg.trials["scale_ladder_modes"])
    read = pd.DataFrame({"trial_id": list(entry.trials), "seed": 1000})
    ladder_read = pd.DataFrame({"trial_id": list(entry.ladder_trials)[:-1], "seed": 1000})
    why = exploratory_reasons(claim, reg, "cpu", read, reg.analysis_hash, ladder_read)
    assert any(w.startswith("scale ladder: 1 registered trial(s)") for w in why), why


def test_ladder_points_give_one_value_per_seed_and_rung():
    claim, results, trials = tables("W-13b")
    v = evaluate_claim(claim, results, trials, "cpu")
    body = json.loads(v.ladder_points)
    assert body["target"] == 64 and [p["threshold"] for p in body["parts"]] == [800, 800]
    points = pd.DataFrame(body["points"])
    assert set(points["image_size"]) == {16, 32} and set(points["part"]) == {0, 1}
    counts = points.groupby(["part", "image_size"])["seed"].nunique()
    assert np.all(counts == len(ablation("scale_ladder_modes").seeds("cpu")))


def test_unknown_scale_keys_are_refused():
    from suite.claims.schema import parse_claim

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
        "scale": {"made_at": {"pixels": 64}},
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


def test_the_report_draws_the_ladder_trend():
    from suite.report.claims_table import claim_rows

    claim, results, trials = tables("W-06b")
    results = shift(results, "W-06b", 32, "js_estimate_eval", 2.0)
    v = evaluate_claim(claim, results, trials, "cpu")
    [row] = claim_rows([v])
    assert row["ladder_plot"].startswith("data:image/png;base64,")
    assert row["made_at"] == "64 px / width 64" and "ladder scale_ladder" in row["ladder"]
    [none] = claim_rows([evaluate_claim(claim, *tables("W-06b", holds=True)[1:], "cpu")])
    assert none["ladder_plot"] == ""  # reproduced: the ladder was not consulted


def test_validate_refuses_a_ladder_with_one_rung(tmp_path):
    from suite.claims.coverage import problems

    text = (REPO / "ablations" / "scale_ladder_modes.yaml").read_text()
    flat = text.replace("data.image_size: [16, 32, 16, 32]", "data.image_size: [16, 16, 16, 16]")
    (tmp_path / "_base").mkdir()
    for f in (REPO / "ablations" / "_base").glob("*.yaml"):
        (tmp_path / "_base" / f.name).write_text(f.read_text())
    (tmp_path / "scale_ladder_modes.yaml").write_text(flat)
    found = problems([CLAIMS["W-13b"]], load_ablation(tmp_path / "scale_ladder_modes.yaml"))
    assert found and all("a ladder needs two or more" in f for f in found)
    assert problems([CLAIMS["W-13b"]], ablation("scale_ladder_modes")) == []


def test_a_withheld_refutation_is_not_decided_after_holm_either():
    from suite.claims.family_wise import with_family_holm

    claim = CLAIMS["W-15"]
    results, trials = example_tables(claim, False, ablation(claim.ablation), "cpu")
    [v] = with_family_holm([evaluate_claim(claim, results, trials, "cpu")])
    assert v.verdict == "inconclusive" and v.scale_withheld
    assert v.p_decision == 1.0 and v.holm_verdict == "inconclusive"


# --------------------------------------------------------------------------- degenerate ladders


def drop_seed_on_rung(frame, cid, size, seed):
    return frame[~(ladder_rows(frame, cid, size) & frame["seed"].eq(seed))]


def test_a_seed_missing_on_one_rung_leaves_it_undecided():
    claim, results, trials = tables("W-13b")
    seed = int(trials.loc[ladder_rows(trials, "W-13b"), "seed"].min())
    v = evaluate_claim(
        claim,
        drop_seed_on_rung(results, "W-13b", 32, seed),
        drop_seed_on_rung(trials, "W-13b", 32, seed),
        "cpu",
    )
    assert v.verdict == "inconclusive" and v.ladder_state == "undecided", v.ladder
    assert f"seed(s) [{seed}] not on every rung" in v.ladder


def test_a_value_lost_on_a_rung_leaves_it_undecided():
    claim, results, trials = tables("W-13b")
    seed = int(trials.loc[ladder_rows(trials, "W-13b"), "seed"].min())
    lost = results.copy()
    rows = ladder_rows(lost, "W-13b", 32) & lost["seed"].eq(seed) & lost["stacked_modes"].notna()
    lost.loc[rows, "stacked_modes"] = np.nan
    v = evaluate_claim(claim, lost, trials, "cpu")
    assert v.verdict == "inconclusive" and v.ladder_state == "undecided", v.ladder


def test_rungs_that_differ_in_more_than_scale_leave_it_undecided():
    claim, results, trials = tables("W-13b")
    longer = trials.copy()
    rows = ladder_rows(longer, "W-13b", 32)
    longer.loc[rows, "config.iterations"] = 8000
    v = evaluate_claim(claim, results, longer, "cpu")
    assert v.verdict == "inconclusive" and "rungs differ in iterations" in v.ladder, v.ladder


def test_a_shortfall_the_ladder_does_not_vary_is_not_resolved_by_it():
    # a claim made at 64 px / width 64 / 100k iterations: the ladder varies size and
    # width, not length, so a run below on iterations stays inconclusive
    claim = CLAIMS["W-06b"]
    made = claim.scale.made_at.model_copy(update={"iterations": 100_000})
    longer = claim.model_copy(update={"scale": claim.scale.model_copy(update={"made_at": made})})
    _, results, trials = tables("W-06b")
    v = evaluate_claim(longer, results, trials, "cpu")
    assert v.verdict == "inconclusive" and v.ladder_state == "missing"
    assert "the run is also below on 8,000 iterations < 100,000 iterations" in v.ladder


def test_the_ladder_reads_only_the_trials_of_its_parts():
    claim, results, trials = tables("W-11")
    more_r, more_t = tables("W-06b")[1:]  # the same ladder's other cells, present too
    results = pd.concat([results, more_r[ladder_rows(more_r, "W-06b")]], ignore_index=True)
    trials = pd.concat([trials, more_t[ladder_rows(more_t, "W-06b")]], ignore_index=True)
    v = evaluate_claim(claim, results, trials, "cpu")
    read = trials[trials["trial_id"].isin(v.ladder_trial_ids)]
    assert set(read["config.generator.name"]) == {"dcgan_const"}, v.ladder
    assert len(read) == 2 * len(ablation("scale_ladder").seeds("cpu"))


def test_sensitivity_reads_the_ladder_too():
    from suite.claims.sensitivity import with_sensitivity

    claim, results, trials = tables("W-13b")
    [v] = with_sensitivity(
        [evaluate_claim(claim, results, trials, "cpu")], [claim], results, trials
    )
    assert v.verdict == "not_reproduced"
    assert v.sensitivity == "0.75x: not reproduced; 1.25x: not reproduced", v.sensitivity


def test_a_failed_ladder_trial_reads_undecided_and_the_report_still_draws():
    from suite.claims.scale import read_ladder

    claim, results, trials = tables("W-13b")
    rows = ladder_rows(trials, "W-13b", 32)
    failed = trials.copy()
    failed.loc[rows[rows].index[0], "status"] = "failed"
    v = evaluate_claim(claim, results, failed, "cpu")
    assert v.verdict == "inconclusive" and v.ladder_state == "undecided"
    from suite.report.claims_table import claim_rows

    claim_rows([v])  # no crash on a ladder that could not be read
    lad = read_ladder(claim.scale, claim.premises, results.iloc[:0], trials.iloc[:0])
    assert lad.state == "missing" and lad.points_json() == ""


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
