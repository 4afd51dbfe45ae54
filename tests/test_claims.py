"""Claims: YAML validation, check kinds and verdict rules on hand-built results tables."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from suite.ablation import cells, discover, label, load_ablation
from suite.claims import (
    CHECKS,
    REDUCTIONS,
    ClaimError,
    evaluate_claim,
    evaluate_claims,
    load_claims,
    verdicts_frame,
)
from suite.claims.schema import parse_claim

REPO = Path(__file__).resolve().parents[1]
PENDING_ABLATIONS = {"fig2_gradients"}  # being added by the lead (WGAN Fig. 2)

# --------------------------------------------------------------------------- fixtures


def trial(tid, seed, axes, curves, status="finished", budget="quick", ablation="demo"):
    """One trial: ``curves`` maps column -> values per logged iteration (None: not logged).

    Every row is a checkpoint row unless ``at_checkpoint`` is given among the curves.
    """
    n = max(len(v) for v in curves.values()) if curves else 0
    ident = {"ablation": ablation, "budget": budget, "trial_id": tid, "seed": seed}
    ident |= {f"axis.{k}": v for k, v in axes.items()}
    rows = [
        {
            **ident,
            "status": status,
            "iteration": 100 * (i + 1),
            "at_checkpoint": True,
            **{k: v[i] for k, v in curves.items() if i < len(v)},
        }
        for i in range(n)
    ]
    return {**ident, "status": status}, rows


def tables(*made):
    trials = pd.DataFrame([t for t, _ in made])
    results = pd.DataFrame([r for _, rows in made for r in rows])
    return results, trials


def seeds(axes, finals, column="fd", prefix=None, **kw):
    """One trial per seed whose ``column`` curve ends at ``finals[seed]``."""
    prefix = prefix or "-".join(str(v) for v in axes.values())
    return [
        trial(f"{prefix}-{s}", s, axes, {column: [v * 3, v * 2, v]}, **kw)
        for s, v in enumerate(finals)
    ]


def claim(check, **over):
    raw = {
        "id": "T-01",
        "paper": "WGAN",
        "location": "Fig. 0",
        "statement": "a test statement",
        "published": "no number",
        "setting": "tests",
        "source_tag": "SEEN:S1",
        "ablation": "demo",
        "check": check,
        "tolerance": 0,
        **over,
    }
    return parse_claim(raw, "test.yaml", 0)


def threshold(op="<", value=10.0, metric="fd", where=None, reduce="final"):
    return {
        "kind": "threshold",
        "where": where or {"axis.loss": "wgan"},
        "value": {"reduce": reduce, "metric": metric},
        "op": op,
        "threshold": value,
    }


def judge(check, *made, **over):
    results, trials = tables(*made)
    return evaluate_claim(claim(check, **over), results, trials)


WGAN, GAN = {"loss": "wgan"}, {"loss": "gan_ns"}

# --------------------------------------------------------------------------- verdict rules


def test_clear_win_is_reproduced():
    v = judge(threshold("<", 10), *seeds(WGAN, [3.0, 3.2, 2.9]))
    assert v.verdict == "reproduced", v.reason
    assert v.measured == pytest.approx(3.0333, abs=1e-3)
    assert 2.9 - 1e-9 <= v.ci_low <= v.ci_high <= 3.2 + 1e-9
    assert v.n_seeds == 3 and v.threshold == 10 and v.budget == "quick"
    assert v.trial_ids == ("wgan-0", "wgan-1", "wgan-2")


def test_clear_loss_is_not_reproduced():
    v = judge(threshold("<", 10), *seeds(WGAN, [20.0, 21.0, 22.0]))
    assert v.verdict == "not_reproduced", v.reason


def test_ci_across_threshold_is_inconclusive():
    v = judge(threshold("<", 10), *seeds(WGAN, [5.0, 15.0, 8.0]))
    assert v.verdict == "inconclusive"
    assert "overlaps" in v.reason


def test_identical_seeds_give_zero_width_ci():
    v = judge(threshold(">=", 7, metric="modes"), *seeds(WGAN, [8, 8, 8], column="modes"))
    assert v.verdict == "reproduced"
    assert v.ci_low == v.ci_high == 8


def test_tolerance_moves_threshold_in_claims_favour():
    made = seeds(WGAN, [10.5, 10.6, 10.4])
    assert judge(threshold("<", 10), *made).verdict == "not_reproduced"
    v = judge(threshold("<", 10), *made, tolerance=1.0)
    assert v.verdict == "reproduced" and v.threshold == 11
    assert "tolerance 1" in v.check


def test_too_few_seeds_is_inconclusive():
    v = judge(threshold("<", 10), *seeds(WGAN, [3.0, 3.1]))
    assert v.verdict == "inconclusive"
    assert "only 2 usable seed(s), 3 needed" in v.reason
    assert judge(threshold("<", 10), *seeds(WGAN, [3.0, 3.1]), min_seeds=2).verdict == (
        "reproduced"
    )


@pytest.mark.parametrize("status", ["failed", "pending", "stopped", "running"])
def test_a_trial_not_done_makes_it_inconclusive(status):
    made = [*seeds(WGAN, [3.0, 3.1, 3.2]), trial("bad", 3, WGAN, {"fd": [1.0]}, status=status)]
    v = judge(threshold("<", 10), *made)
    assert v.verdict == "inconclusive"
    assert f"bad ({status})" in v.reason


def test_diverged_is_a_result():
    made = seeds(GAN, [50.0, 60.0, 70.0], status="diverged")
    check = threshold(">", 0.5, metric=None, where={"axis.loss": "gan_ns"}, reduce="diverged")
    v = judge(check, *made)
    assert v.verdict == "reproduced" and v.measured == 1.0
    assert judge(threshold(">", 40, where={"axis.loss": "gan_ns"}), *made).verdict == "reproduced"


def test_missing_rows_or_columns_are_inconclusive():
    made = seeds(WGAN, [3.0, 3.1, 3.2])
    no_match = judge(threshold(where={"axis.loss": "hinge"}), *made)
    assert no_match.verdict == "inconclusive" and "no trial matches" in no_match.reason
    no_axis = judge(threshold(where={"axis.generator": "dcgan"}), *made)
    assert no_axis.verdict == "inconclusive" and "axis.generator" in no_axis.reason
    no_metric = judge(threshold(metric="fid"), *made)
    assert no_metric.verdict == "inconclusive" and "no data for fid" in no_metric.reason
    other = judge(threshold(), *made, ablation="elsewhere")
    assert other.verdict == "inconclusive" and "python -m suite run elsewhere" in other.reason


def test_trial_without_rows_is_left_out_and_said():
    made = [*seeds(WGAN, [3.0, 3.1]), trial("empty", 2, WGAN, {})]
    v = judge(threshold("<", 10), *made)
    assert v.verdict == "inconclusive" and v.n_seeds == 2
    assert "1 trial(s) without final fd: empty (seed 2)" in v.reason


def test_metric_fallback_takes_first_column_with_data():
    made = seeds(WGAN, [3.0, 3.1, 3.2], column="fd_classifier")
    v = judge(threshold(metric=["fid", "fd_classifier"]), *made)
    assert v.verdict == "reproduced" and "final fd_classifier" in v.reason
    with_fid = [
        trial(f"t{s}", s, WGAN, {"fid": [30, 20, 20], "fd_classifier": [3, 2, 1]}) for s in range(3)
    ]
    v = judge(threshold(metric=["fid", "fd_classifier"]), *with_fid)
    assert v.verdict == "not_reproduced" and "final fid" in v.reason


# --------------------------------------------------------------------------- smoke / budget


def test_a_budget_below_the_claims_min_budget_is_inconclusive_but_shows_the_value():
    made = seeds(WGAN, [3.0, 3.1, 3.2], budget="quick")
    v = judge(threshold("<", 10), *made, min_budget="paper")
    assert v.verdict == "inconclusive" and "too small to decide" in v.reason
    assert v.measured == pytest.approx(3.1)
    assert judge(threshold("<", 10), *made).verdict == "reproduced"  # default: quick


def test_smoke_budget_is_never_evidence():
    v = judge(threshold("<", 10), *seeds(WGAN, [3.0, 3.1, 3.2], budget="smoke"))
    assert v.verdict == "inconclusive" and v.reason.startswith("smoke budget")
    assert v.measured is not None


def test_largest_budget_is_used_unless_one_is_asked_for():
    made = [
        *seeds(WGAN, [3.0, 3.1, 3.2], budget="quick", prefix="q"),
        *seeds(WGAN, [30.0, 31.0, 32.0], budget="paper", prefix="p"),
    ]
    results, trials = tables(*made)
    c = claim(threshold("<", 10))
    assert evaluate_claims(results, trials, [c])[0].verdict == "not_reproduced"
    quick = evaluate_claims(results, trials, [c], budget="quick")[0]
    assert quick.verdict == "reproduced" and quick.budget == "quick"


# --------------------------------------------------------------------------- check kinds


def compare(stat="ratio", op=">", margin=2.0):
    return {
        "kind": "compare",
        "a": {"axis.loss": "gan_ns"},
        "b": {"axis.loss": "wgan"},
        "value": {"reduce": "final", "metric": "fd"},
        "stat": stat,
        "op": op,
        "margin": margin,
    }


def test_compare_pairs_seeds():
    made = [*seeds(GAN, [30.0, 40.0, 50.0]), *seeds(WGAN, [10.0, 10.0, 10.0])]
    v = judge(compare("ratio", ">", 2.0), *made)
    assert v.verdict == "reproduced" and v.measured == pytest.approx(4.0)
    assert judge(compare("difference", ">", 50.0), *made).verdict == "not_reproduced"
    unpaired = [*seeds(GAN, [30.0, 40.0, 50.0]), *seeds(WGAN, [10.0, 10.0])]
    v = judge(compare(), *unpaired)
    assert v.verdict == "inconclusive" and "seed(s) [2] lack a partner" in v.reason


def test_order_needs_every_seed_in_order():
    check = {
        "kind": "order",
        "groups": [{"axis.loss": "wgan"}, {"axis.loss": "gan_ns"}, {"axis.loss": "hinge"}],
        "value": {"reduce": "final", "metric": "fd"},
    }
    hinge = {"loss": "hinge"}
    good = [*seeds(WGAN, [1, 1, 1]), *seeds(GAN, [2, 3, 2]), *seeds(hinge, [5, 5, 6])]
    assert judge(check, *good).verdict == "reproduced"
    bad = [*seeds(WGAN, [1, 1, 1]), *seeds(GAN, [9, 9, 9]), *seeds(hinge, [5, 5, 6])]
    assert judge(check, *bad).verdict == "not_reproduced"


def correlation(op=">=", value=0.8, abs_=False):
    return {
        "kind": "correlation",
        "where": {"axis.loss": "wgan"},
        "x": "w_eval",
        "y": ["fid", "fd_classifier"],
        "op": op,
        "threshold": value,
        "abs": abs_,
    }


def test_correlation_per_trial_over_checkpoints():
    w = [1.5, 1.0, 0.6, 0.4, 0.3]
    tracks = [trial(f"t{s}", s, WGAN, {"w_eval": w, "fd_classifier": w}) for s in range(3)]
    v = judge(correlation(), *tracks)
    assert v.verdict == "reproduced" and v.measured == pytest.approx(1.0)
    against = [trial(f"t{s}", s, WGAN, {"w_eval": w, "fd_classifier": w[::-1]}) for s in range(3)]
    assert judge(correlation(), *against).verdict == "not_reproduced"
    assert judge(correlation(">=", 0.8, abs_=True), *against).verdict == "reproduced"
    short = [trial(f"t{s}", s, WGAN, {"w_eval": w[:3], "fd_classifier": w[:3]}) for s in range(3)]
    v = judge(correlation(), *short)
    assert v.verdict == "inconclusive" and "no usable seed" in v.reason


def test_any_of_and_all_of_combine_verdicts():
    made = [*seeds(GAN, [30.0, 40.0, 50.0]), *seeds(WGAN, [10.0, 10.0, 10.0])]
    diverged = threshold(">", 0.5, metric=None, where={"axis.loss": "gan_ns"}, reduce="diverged")
    worse = compare("ratio", ">", 2.0)
    v = judge({"kind": "any_of", "checks": [diverged, worse]}, *made)
    assert v.verdict == "reproduced" and v.measured == pytest.approx(4.0)
    assert "[1] not_reproduced" in v.reason and "[2] reproduced" in v.reason
    assert " OR " in v.check
    assert judge({"kind": "all_of", "checks": [diverged, worse]}, *made).verdict == "not_reproduced"
    both_fail = {"kind": "any_of", "checks": [diverged, compare("ratio", ">", 9.0)]}
    assert judge(both_fail, *made).verdict == "not_reproduced"


def test_frac_below_reads_all_rows():
    made = [
        trial(f"t{s}", s, WGAN, {"cos": [0.9, -0.1, 0.5, -0.2], "at_checkpoint": [0, 0, 0, 1]})
        for s in range(3)
    ]
    check = threshold(">", 0.4, metric="cos", reduce="frac_below")
    v = judge(check, *made)
    assert v.verdict == "reproduced" and v.measured == pytest.approx(0.5)
    check["value"]["rows"] = "checkpoints"
    assert judge(check, *made).measured == pytest.approx(1.0)


def test_verdicts_frame_is_flat():
    results, trials = tables(*seeds(WGAN, [3.0, 3.1, 3.2]))
    frame = verdicts_frame(evaluate_claims(results, trials, [claim(threshold())]))
    assert list(frame["verdict"]) == ["reproduced"]
    assert frame.loc[0, "trial_ids"] == "wgan-0 wgan-1 wgan-2"
    assert verdicts_frame([]).columns.tolist() == frame.columns.tolist()


# --------------------------------------------------------------------------- bad claim files


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"check": {**threshold(), "kind": "treshold"}}, "Did you mean: threshold?"),
        ({"check": {**threshold(), "op": "=>"}}, "check.op: Input should be"),
        ({"check": {**threshold(), "limit": 3}}, "check.limit: unknown key; allowed: kind, where"),
        ({"check": {**threshold(), "value": {"reduce": "fnal", "metric": "fd"}}}, "final"),
        ({"check": {**threshold(), "value": {"reduce": "final"}}}, "needs a metric"),
        (
            {"check": {**threshold(), "value": {"reduce": "final", "metric": "fd", "lst": 1}}},
            "check.value.lst: unknown key; allowed: reduce, metric",
        ),
        (
            {"check": {"kind": "any_of", "checks": [threshold(), {"kind": "nope"}]}},
            "check.checks.1.kind: Unknown check kind 'nope'",
        ),
        ({"check": None}, "check: expected a mapping with 'kind'"),
        ({"source_tag": "MEMORY"}, "MEMORY values are never thresholds"),
        ({"paper": "DCGAN"}, "paper: Input should be 'WGAN', 'WGAN-GP' or 'SN-GAN'"),
        ({"colour": "red"}, "colour: unknown key; allowed: id, paper"),
    ],
)
def test_bad_claims_name_file_claim_key_and_allowed(change, message):
    change = dict(change)
    with pytest.raises(ClaimError) as err:
        claim(change.pop("check", threshold()), **change)
    text = str(err.value)
    assert text.startswith("test.yaml: claim T-01: ")
    assert message in text


def test_bad_files(tmp_path):
    bad_yaml = tmp_path / "a.yaml"
    bad_yaml.write_text("claims: [\n")
    with pytest.raises(ClaimError, match="YAML syntax error"):
        load_claims(bad_yaml)
    wrong_top = tmp_path / "b.yaml"
    wrong_top.write_text("- id: W-01\n")
    with pytest.raises(ClaimError, match="one top-level key 'claims"):
        load_claims(wrong_top)
    folder = tmp_path / "two"
    folder.mkdir()
    one = textwrap.dedent(
        """\
        claims:
          - {id: T-01, paper: WGAN, location: x, statement: x, published: x, setting: x,
             source_tag: "SEEN:S1", ablation: demo, tolerance: 0,
             check: {kind: threshold, where: {axis.loss: wgan},
                     value: {reduce: final, metric: fd}, op: "<", threshold: 1}}
        """
    )
    (folder / "x.yaml").write_text(one)
    (folder / "y.yaml").write_text(one)
    with pytest.raises(ClaimError, match="claim T-01: id already used in"):
        load_claims(folder)
    assert len(load_claims(folder / "x.yaml")) == 1


# --------------------------------------------------------------------------- shipped claims


def test_registries_hold_the_vocabulary():
    assert {"threshold", "compare", "order", "correlation", "any_of", "all_of"} <= set(CHECKS)
    assert {"final", "min", "max", "mean_last", "slope", "cv", "frac_below", "diverged"} <= set(
        REDUCTIONS
    )


def test_shipped_claims_read_existing_ablation_axes():
    claims = load_claims()
    ids = {c.id for c in claims}
    assert {"W-02", "W-03", "W-04", "W-06", "W-09", "W-10", "W-11", "W-12", "W-13"} <= ids
    assert {"G-01", "G-02", "G-03", "G-08", "S-01"} <= ids
    ablations = {p.stem: p for p in discover(REPO / "ablations")}
    for c in claims:
        assert c.check.describe()
        if c.ablation in PENDING_ABLATIONS and c.ablation not in ablations:
            continue
        assert c.ablation in ablations, f"{c.id}: no ablations/{c.ablation}.yaml"
        spec = load_ablation(ablations[c.ablation]).spec
        labels = {f"axis.{k}": set() for k in spec.axes}
        for cell in cells(spec):
            for k, v in cell.items():
                labels[f"axis.{k}"].add(label(v))
        for where in c.check.wheres():
            for key, value in where.items():
                assert key in labels, f"{c.id}: {key} is not an axis of {c.ablation}"
                for v in value if isinstance(value, list) else [value]:
                    assert str(v) in labels[key], f"{c.id}: {key}={v} not in {labels[key]}"


def test_shipped_claims_without_results_are_inconclusive():
    verdicts = evaluate_claims(pd.DataFrame(), pd.DataFrame())
    assert verdicts and all(v.verdict == "inconclusive" for v in verdicts)
    assert all(v.budget is None for v in verdicts)
