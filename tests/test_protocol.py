"""The confirmatory protocol: registration, premises, families and Holm, sensitivity.

A verdict is confirmatory only when its check, the analysis code and the trials it read
match a registration written before those trials existed; a registration cannot be
rewritten once they exist; a failed premise turns any verdict into "inconclusive:
premise failed"; the headline counts confirmatory verdicts after Holm within a family.
Small hand-built tables as in test_claims.py.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from tests.test_claims import claim, seeds, tables, threshold, trial
from wgan_suite.claims import evaluate_claim, evaluate_claims
from wgan_suite.claims.family_wise import decision_p, with_family_holm
from wgan_suite.claims.registration import (
    RegisteredClaim,
    Registration,
    RegistrationRefused,
    analysis_hash,
    check_hash,
    check_new_block,
    load_registration,
    write_registration,
)
from wgan_suite.claims.revisions import load_revisions
from wgan_suite.claims.sensitivity import scaled, sensitivity
from wgan_suite.cli import main

WGAN = {"loss": "wgan"}
BLOCK = tuple(range(1000, 1006))
SIX = range(6)


def registered_tables(finals, block=BLOCK, **kw):
    """WGAN trials on the registered seeds, with code provenance as collect writes it."""
    made = [
        trial(f"w-{s}", s, WGAN, {"fd": [v * 3, v * 2, v]}, **kw)
        for s, v in zip(block, finals, strict=True)
    ]
    results, trials = tables(*made)
    return results, trials.assign(code_hash="train-hash", git_dirty=False)


def registration_for(c, trials, name="R1", block=BLOCK, final=True) -> Registration:
    entry = RegisteredClaim(
        family=c.family,
        ablation=c.ablation,
        check_hash=check_hash(c),
        min_p=2 / 64,
        min_p_against=2 / 64,
        holm_bound=0.05,
        reaches_bound=True,
        seeds_needed=6,
        trials=tuple(sorted(trials["trial_id"])),
    )
    return Registration(
        registration=name,
        created="2026-12-04T00:00:00Z",
        budget="cpu",
        alpha=0.05,
        seeds=block,
        decision="test",
        training_code_hash="train-hash",
        analysis_hash=analysis_hash(),
        claims={c.id: entry},
        ablation_seeds={c.ablation: block},
        trials={c.ablation: tuple(sorted(trials["trial_id"]))},
        final=final,
    )


# --------------------------------------------------------------------------- registration


def test_a_verdict_on_its_registered_trials_is_confirmatory():
    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    reg = registration_for(c, trials)
    (v,) = evaluate_claims(results, trials, [c], registrations=[reg])
    assert v.verdict == "reproduced" and v.confirmatory and v.registration == "R1"
    assert v.exploratory_why == "" and v.seeds == " ".join(map(str, BLOCK))


def test_editing_a_registered_check_makes_its_verdict_exploratory():
    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    reg = registration_for(c, trials)
    revised = claim(threshold("<", 12.0))  # the same claim, its threshold moved
    (v,) = evaluate_claims(results, trials, [revised], registrations=[reg])
    assert v.verdict == "reproduced" and not v.confirmatory
    assert "its check changed since registration R1" in v.exploratory_why
    # a premise added is a change of the check too
    premised = claim(
        threshold("<", 10.0),
        premises=[{"kind": "trained", "where": WGAN, "metric": "fd"}],
    )
    (v,) = evaluate_claims(results, trials, [premised], registrations=[reg])
    assert not v.confirmatory and "check changed" in v.exploratory_why


def test_other_seeds_other_code_or_a_dirty_tree_are_exploratory():
    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    reg = registration_for(c, trials)
    old, old_trials = tables(*seeds(WGAN, [1.0] * 6, prefix="old"))  # seeds 0-5: not registered
    (v,) = evaluate_claims(old, old_trials, [c], registrations=[reg])
    assert not v.confirmatory and "not registered" in v.exploratory_why
    (v,) = evaluate_claims(results, trials.assign(code_hash="other"), [c], registrations=[reg])
    assert not v.confirmatory and "training code other than the registered" in v.exploratory_why
    (v,) = evaluate_claims(results, trials.assign(git_dirty=True), [c], registrations=[reg])
    assert not v.confirmatory and "uncommitted changes" in v.exploratory_why
    short = trials[trials["seed"] != 1005]
    (v,) = evaluate_claims(results, short, [c], registrations=[reg])
    assert not v.confirmatory and "registered seed(s) [1005] not read" in v.exploratory_why
    (v,) = evaluate_claims(results, trials, [c], registrations=[])
    assert not v.confirmatory and v.exploratory_why == "no registration covers this claim"


def test_scores_from_another_quality_classifier_are_exploratory():
    """The classifier behind fd_classifier is trained once per machine: its hash goes
    with every score (records -> trials table), and a registration may pin it."""
    from wgan_suite.harness.results import _distinct

    mine, theirs = "a" * 64, "b" * 64
    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    reg = registration_for(c, trials).model_copy(update={"classifier_sha256": mine})
    (v,) = evaluate_claims(results, trials.assign(classifier_sha256=mine), [c], registrations=[reg])
    assert v.confirmatory and v.exploratory_why == ""
    (v,) = evaluate_claims(results, trials, [c], registrations=[reg])  # no classifier scores
    assert v.confirmatory
    other = trials.assign(classifier_sha256=theirs)
    (v,) = evaluate_claims(results, other, [c], registrations=[reg])
    assert v.verdict == "reproduced" and not v.confirmatory
    assert "quality classifier other than the registered one" in v.exploratory_why
    assert f"classifier sha256 {theirs[:12]}, registered {mine[:12]}" in v.exploratory_why
    # a trial scored on two machines' classifiers carries both hashes
    rows = [{"classifier_sha256": mine}, {"iteration": 1}, {"classifier_sha256": theirs}]
    assert _distinct(rows, "classifier_sha256") == f"{mine},{theirs}"
    assert _distinct([{"iteration": 1}], "classifier_sha256") is None
    mixed = trials.assign(classifier_sha256=[mine] * 5 + [f"{mine},{theirs}"])
    (v,) = evaluate_claims(results, mixed, [c], registrations=[reg])
    assert not v.confirmatory and "other than the registered one" in v.exploratory_why
    # unpinned (older registrations): scores from two classifiers are not one scale either
    unpinned = registration_for(c, trials)
    assert unpinned.classifier_sha256 is None
    (v,) = evaluate_claims(results, mixed, [c], registrations=[unpinned])
    assert not v.confirmatory and "2 different quality classifiers" in v.exploratory_why
    (v,) = evaluate_claims(results, other, [c], registrations=[unpinned])
    assert v.confirmatory


def test_a_nested_part_edited_or_provenance_missing_or_a_trial_dropped_is_exploratory():
    """The referee's probes: an all_of's part edited must change the hash; tables without
    code provenance are not clean; a registered trial left out of the tables (one arm's
    seed dropped while the other arm still has it) cannot be confirmatory."""
    both = {"kind": "all_of", "checks": [threshold("<", 10.0), threshold("<", 20.0)]}
    edited = {"kind": "all_of", "checks": [threshold("<", 10.0), threshold("<", 25.0)]}
    assert check_hash(claim(both)) != check_hash(claim(edited))
    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    reg = registration_for(c, trials)
    bare = trials.drop(columns=["code_hash", "git_dirty"])
    (v,) = evaluate_claims(results, bare, [c], registrations=[reg])
    assert not v.confirmatory and "no training-code hash" in v.exploratory_why
    assert "whether their tree was clean" in v.exploratory_why
    gan = {"loss": "gan_ns"}
    two = claim(
        {"kind": "all_of", "checks": [threshold("<", 10.0), threshold("<", 10.0, where=gan)]}
    )
    arms = [
        *[trial(f"w-{s}", s, WGAN, {"fd": [3.0, 2.0, 1.0]}) for s in BLOCK],
        *[trial(f"g-{s}", s, gan, {"fd": [3.0, 2.0, 1.0]}) for s in BLOCK],
    ]
    res2, tri2 = tables(*arms)
    tri2 = tri2.assign(code_hash="train-hash", git_dirty=False)
    reg2 = registration_for(two, tri2)
    (v,) = evaluate_claims(res2, tri2, [two], registrations=[reg2])
    assert v.confirmatory
    dropped = tri2[tri2["trial_id"] != "w-1003"]
    (v,) = evaluate_claims(res2, dropped, [two], registrations=[reg2])
    assert (
        not v.confirmatory and "1 registered trial(s) of this claim not read" in v.exploratory_why
    )


def test_the_registered_reading_leaves_other_seeds_out():
    """Old exploratory seeds in the same tables never enter the confirmatory verdict."""
    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    reg = registration_for(c, trials)
    old_res, old_tri = tables(*seeds(WGAN, [50.0] * 6, prefix="old"))
    both = pd.concat([results, old_res]), pd.concat([trials, old_tri])
    (v,) = evaluate_claims(*both, [c], registrations=[reg])
    assert v.confirmatory and v.verdict == "reproduced" and v.n == 6


def test_a_registration_cannot_be_rewritten_once_its_trials_exist(tmp_path):
    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    write_registration(registration_for(c, trials, final=False), tmp_path)  # a draft
    assert load_registration(tmp_path / "R1.yaml").trials["demo"]
    with pytest.raises(RegistrationRefused, match="not rewritten by accident"):
        check_new_block("R1", list(BLOCK), [], pd.DataFrame(), tmp_path)
    check_new_block("R1", list(BLOCK), [], pd.DataFrame(), tmp_path, replace=True)  # no trials
    with pytest.raises(RegistrationRefused, match="cannot be rewritten once its trials exist"):
        check_new_block("R1", list(BLOCK), [], trials, tmp_path, replace=True)
    # an uncollected trial directory counts too (its name ends with the trial id)
    with pytest.raises(RegistrationRefused, match="cannot be rewritten once its trials exist"):
        check_new_block("R1", list(BLOCK), [], pd.DataFrame(), tmp_path, True, ["lines-s0-w-1002"])
    # the ablation files' own seeds (the exploratory runs) are not fresh
    with pytest.raises(RegistrationRefused, match="must be fresh"):
        check_new_block("R3", [0, 1], [], pd.DataFrame(), tmp_path, used_elsewhere=range(6))
    # a new registration must take fresh seeds: not the old one's, not any in the tables
    old = load_registration(tmp_path / "R1.yaml")
    with pytest.raises(RegistrationRefused, match="must be fresh"):
        check_new_block("R2", [1003, 2000], [old], pd.DataFrame(), tmp_path)
    with pytest.raises(RegistrationRefused, match="must be fresh"):
        check_new_block("R2", [1, 2000], [], trials.assign(seed=1), tmp_path)
    check_new_block("R2", [2000, 2001], [old], trials, tmp_path)
    # once final (frozen for its run), never rewritten, even before any of its trials exists
    write_registration(registration_for(c, trials), tmp_path)
    with pytest.raises(RegistrationRefused, match=r"is final .* a new registration"):
        check_new_block("R1", list(BLOCK), [], pd.DataFrame(), tmp_path, replace=True)


@pytest.mark.slow
def test_preregister_final_writes_a_frozen_registration_never_rewritten(tmp_path, capsys):
    """The shipped claims registered with --final (about 10 s: the pilot's power analysis):
    the file says final, its header says how to run it, and --replace is then refused
    with exit 2, the file unchanged; without --final the same command drafts."""
    folder = tmp_path / "regs"
    args = ["preregister", "--name", "R7", "--seeds", "7000-7015", "--out", str(folder)]
    assert main([*args, "--final"]) == 0
    assert capsys.readouterr().out.startswith("registered 7 claims as confirmatory")
    path = folder / "R7.yaml"
    before = path.read_bytes()
    assert load_registration(path).final and b"# Final: run it with" in before
    assert main([*args, "--replace"]) == 2
    assert "R7.yaml is final (frozen for its run)" in capsys.readouterr().err
    assert path.read_bytes() == before and sorted(folder.iterdir()) == [path]
    assert main(["preregister", "--name", "R8", "--seeds", "8000-8015", "--out", str(folder)]) == 0
    assert capsys.readouterr().out.startswith("drafted 7 claims as confirmatory")
    assert not load_registration(folder / "R8.yaml").final


def test_preregister_refuses_a_rewrite_with_exit_2_and_writes_nothing(tmp_path, capsys):
    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    folder, runs = tmp_path / "regs", tmp_path / "runs"
    folder.mkdir()
    runs.mkdir()
    path = write_registration(registration_for(c, trials, final=False), folder)
    before = path.read_bytes()
    trials.to_parquet(runs / "trials.parquet")
    code = main(
        [
            *("preregister", "--name", "R1", "--seeds", "1000-1005", "--replace"),
            *("--out", str(folder), "--tables", str(runs)),
        ]
    )
    assert code == 2 and "cannot be rewritten" in capsys.readouterr().err
    code = main(["preregister", "--name", "R1", "--seeds", "1000-1005", "--out", str(folder)])
    assert code == 2 and "not rewritten by accident" in capsys.readouterr().err
    code = main(["preregister", "--name", "R9", "--seeds", "5000-5005", "--tables", "nowhere"])
    assert code == 2 and "--tables: no such directory: nowhere" in capsys.readouterr().err
    assert path.read_bytes() == before and sorted(folder.iterdir()) == [path]


def test_the_committed_registration_covers_every_cpu_claim_with_fresh_seeds():
    """Every claim a cpu run decides is in the registration: as confirmatory where the run
    is at its scale (refutable both ways), else as exploratory with the reason."""
    from wgan_suite.claims import load_claims
    from wgan_suite.claims.registration import load_registrations

    regs = load_registrations()
    assert regs, "claims/registrations/ holds the registration of the next confirmatory run"
    reg = regs[-1]
    cpu = {c.id for c in load_claims() if reg.budget in c.budgets}
    assert set(reg.claims) | set(reg.exploratory) == cpu
    assert not set(reg.claims) & set(reg.exploratory)
    # a confirmatory claim is refutable: its run, as the ablation files say it now (at the
    # registered seeds), is at the claim's scale, at a budget that decides it
    from tests.test_scale import CLAIMS
    from tests.test_scale import ablation as shipped
    from wgan_suite.claims.coverage import refutable

    for cid, e in reg.claims.items():
        run = shipped(e.ablation).with_seeds(reg.ablation_seeds[e.ablation])
        assert refutable(CLAIMS[cid], run, reg.budget), cid
    # exploratory: below its scale, or its test has no power at the effect the pilot saw
    assert all(
        why.startswith(("below its scale", "power ", "no effect seen"))
        for why in reg.exploratory.values()
    )
    assert all(e.planned_power >= 0.8 and e.effect for e in reg.claims.values())
    assert min(reg.seeds) >= 1000  # never used by the exploratory runs (0-9, 99)
    assert all(e.reaches_bound for e in reg.claims.values()), "every claim can reach Holm"
    for ablation, ids in reg.trials.items():
        assert set(reg.ablation_seeds[ablation]) <= set(reg.seeds) and ids


def unlogged_changes(claims, regs, log) -> list[str]:
    """Claims whose check differs from their registration with no revision naming the
    check's current hash."""
    missing = []
    for c in claims:
        reg = next((r for r in reversed(regs) if c.id in r.claims), None)
        now = check_hash(c)
        if reg is None or reg.claims[c.id].check_hash == now:
            continue
        if not any(r.check_hashes.get(c.id) == now for r in log):
            missing.append(c.id)
    return missing


def test_every_revised_check_has_a_logged_revision():
    """A check that differs from its registration must say why, in the revision log, by
    the hash of the check it changed to."""
    from wgan_suite.claims import load_claims
    from wgan_suite.claims.registration import load_registrations

    assert unlogged_changes(load_claims(), load_registrations(), load_revisions()) == []


def test_an_unlogged_threshold_edit_is_caught_even_with_a_same_day_entry():
    """Issue 36 (f): the old test compared dates, so an entry for the claim on the same
    day let any later edit through."""
    from wgan_suite.claims import load_claims
    from wgan_suite.claims.registration import load_registrations
    from wgan_suite.claims.revisions import Revision

    claims = {c.id: c for c in load_claims()}
    reg = load_registrations()[-1]
    cid = sorted(reg.claims)[0]
    edited = claims[cid].model_copy(
        update={"tolerance": claims[cid].tolerance + 0.01}
    )  # a threshold moved, no entry for it
    same_day = Revision(
        date=reg.created[:10],
        claims=(cid,),
        change="an earlier change",
        reason="x",
        data_seen=True,
        direction="neutral",
        verdict_before="x",
        verdict_after="x",
    )
    assert unlogged_changes([edited], [reg], [same_day]) == [cid]
    logged = same_day.model_copy(update={"check_hashes": {cid: check_hash(edited)}})
    assert unlogged_changes([edited], [reg], [logged]) == []


# --------------------------------------------------------------------------- premises


def curves(values_by_seed, column, config, prefix, **kw):
    return [trial(f"{prefix}-{s}", s, config, {column: v}, **kw) for s, v in values_by_seed.items()]


def test_a_dead_critic_makes_a_flat_loss_inconclusive():
    """W-05's control: a constant W estimate is not a loss that fails to track quality."""
    check = {
        "kind": "correlation",
        "where": WGAN,
        "x": "w_est",
        "y": "fd",
        "op": "<",
        "threshold": 0.8,
        "if_x_constant": 0.0,
    }
    alive = {"kind": "alive", "where": WGAN, "metric": "w_est"}
    quality = [5.0, 4.0, 4.5, 4.2, 4.4, 4.1]
    dead = [trial(f"d-{s}", s, WGAN, {"w_est": [1.0] + [0.0] * 5, "fd": quality}) for s in range(6)]
    plain = evaluate_claim(claim(check), *tables(*dead))
    assert plain.verdict == "reproduced"  # the degenerate pass the premise exists for
    v = evaluate_claim(claim(check, premises=[alive]), *tables(*dead))
    assert v.verdict == "inconclusive" and v.premise_failed
    assert v.summary.startswith("inconclusive: premise failed (alive")
    assert "w_est constant at 0" in v.reason
    for late in ([1.0, 0.5, 0.8, 0.0, 0.0, 0.0], [1.0, 0.5] + [0.2 + 1e-12 * i for i in range(4)]):
        died = [trial(f"e-{s}", s, WGAN, {"w_est": late, "fd": quality}) for s in range(6)]
        v = evaluate_claim(claim(check, premises=[alive]), *tables(*died))
        assert v.premise_failed, late  # died late, or flat up to float noise
    moving = [1.0, 0.3, 0.5, 0.2, 0.6, 0.4]
    live = [trial(f"l-{s}", s, WGAN, {"w_est": moving, "fd": quality}) for s in range(6)]
    v = evaluate_claim(claim(check, premises=[alive]), *tables(*live))
    assert not v.premise_failed and "alive" in v.premises and "held" in v.premises


def test_an_untrained_generator_makes_a_collapse_claim_inconclusive():
    """W-12b: few modes from a generator that never learned is not collapse."""
    gan, wgan = {"loss": "gan_ns"}, WGAN
    check = {
        "kind": "compare",
        "a": wgan,
        "b": gan,
        "value": {"reduce": "final", "metric": "modes"},
        "op": ">",
        "margin": 0,
    }
    trained = {"kind": "trained", "where": {"loss": ["wgan", "gan_ns"]}, "metric": "fd"}
    made = [
        *[
            trial(f"w-{s}", s, wgan, {"fd": [100, 30, 10], "modes": [1, 500, 900]})
            for s in range(6)
        ],
        *[trial(f"g-{s}", s, gan, {"fd": [100, 99, 98], "modes": [1, 2, 2]}) for s in range(6)],
    ]
    assert evaluate_claim(claim(check), *tables(*made)).verdict == "reproduced"
    v = evaluate_claim(claim(check, premises=[trained]), *tables(*made))
    assert v.verdict == "inconclusive" and "trained" in v.summary and "FAILED" in v.premises
    assert "6 of 12 trials meet it" in v.premises
    learned_then_collapsed = [
        *made[:6],
        *[trial(f"g-{s}", s, gan, {"fd": [100, 20, 60], "modes": [1, 40, 3]}) for s in range(6)],
    ]
    v = evaluate_claim(claim(check, premises=[trained]), *tables(*learned_then_collapsed))
    assert v.verdict == "reproduced" and not v.premise_failed


def test_trained_reads_a_score_where_higher_is_better():
    up = {"kind": "trained", "where": WGAN, "metric": "modes", "better": "higher"}
    grew = [trial(f"u-{s}", s, WGAN, {"modes": [1, 4, 8], "fd": [3, 2, 1]}) for s in SIX]
    fell = [trial(f"d-{s}", s, WGAN, {"modes": [8, 4, 1], "fd": [3, 2, 1]}) for s in SIX]
    c = claim(threshold("<", 10.0), premises=[up])
    assert evaluate_claim(c, *tables(*grew)).verdict == "reproduced"
    assert evaluate_claim(c, *tables(*fell)).premise_failed


def test_a_run_shorter_than_the_claim_is_inconclusive():
    reached = {"kind": "reached", "where": WGAN, "iterations": 8000}
    made = seeds({**WGAN, "iterations": 600}, [1.0] * 6)
    v = evaluate_claim(claim(threshold("<", 10.0), premises=[reached]), *tables(*made))
    assert v.verdict == "inconclusive" and "configured for 600 iterations" in v.reason
    made = seeds({**WGAN, "iterations": 8000}, [1.0] * 6)
    v = evaluate_claim(claim(threshold("<", 10.0), premises=[reached]), *tables(*made))
    assert v.verdict == "reproduced"


def test_an_unknown_premise_kind_names_the_allowed_ones():
    from wgan_suite.claims import ClaimError

    with pytest.raises(ClaimError, match=r"Unknown premise kind 'alvie'\. Did you mean: alive"):
        claim(threshold(), premises=[{"kind": "alvie", "where": WGAN, "metric": "x"}])


def test_an_indifference_band_keeps_a_threshold_effect_undecided():
    """W-06 at 0.46 against a bar of 0.5: with a band of +-0.1 neither side is shown."""
    check = {**threshold("<", 0.5, metric="rho"), "indifference": 0.1}
    at = seeds(WGAN, [0.46, 0.47, 0.45, 0.48, 0.44, 0.46], column="rho")
    assert evaluate_claim(claim(threshold("<", 0.5, metric="rho")), *tables(*at)).verdict == (
        "reproduced"
    )
    v = evaluate_claim(claim(check), *tables(*at))
    assert v.verdict == "inconclusive" and "indifference band [0.4, 0.6]" in v.summary
    low = seeds(WGAN, [0.30, 0.32, 0.29, 0.31, 0.33, 0.28], column="rho")
    assert evaluate_claim(claim(check), *tables(*low)).verdict == "reproduced"
    high = seeds(WGAN, [0.70, 0.72, 0.69, 0.71, 0.73, 0.68], column="rho")
    assert evaluate_claim(claim(check), *tables(*high)).verdict == "not_reproduced"


# --------------------------------------------------------------------------- families


def fake(cid, p, q, confirmatory=True, family="wgan-cpu", premise_failed=False):
    from wgan_suite.claims.verdicts import Verdict

    base = evaluate_claim(claim(threshold()), pd.DataFrame(), pd.DataFrame())
    return Verdict(
        **{
            **base.__dict__,
            "claim_id": cid,
            "p_value": p,
            "p_against": q,
            "n": 12,
            "family": family,
            "confirmatory": confirmatory,
            "premise_failed": premise_failed,
        }
    )


def test_holm_within_a_family_with_two_sided_decisions():
    vs = with_family_holm(
        [fake("A", 0.0002, 1.0), fake("B", 1.0, 0.004), fake("C", 0.3, 0.6), fake("D", 0.01, 1)]
    )
    by = {v.claim_id: v for v in vs}
    assert by["A"].p_decision == pytest.approx(0.0004) and by["A"].family_size == 4
    assert by["A"].p_holm == pytest.approx(0.0016) and by["A"].holm_verdict == "reproduced"
    assert by["B"].p_holm == pytest.approx(0.024) and by["B"].holm_verdict == "not_reproduced"
    # D alone would pass at 0.05 one-sided; two-sided and corrected it does not
    assert by["D"].p_holm == pytest.approx(0.04) and by["D"].holm_verdict == "reproduced"
    assert by["C"].holm_verdict == "inconclusive"


def test_exploratory_verdicts_cannot_lower_a_confirmatory_bar():
    vs = with_family_holm([fake("A", 0.0001, 1, confirmatory=False), fake("B", 0.01, 1)])
    by = {v.claim_id: v for v in vs}
    # B's confirmatory correction counts A as p = 1: B is first of 2, 2 x 0.02 = 0.04
    assert by["B"].p_holm == pytest.approx(0.04)
    assert by["A"].p_holm == pytest.approx(0.0004)  # its own exploratory correction


def test_a_failed_premise_counts_as_p_1_and_families_are_separate():
    failed = fake("A", 0.0001, 1, premise_failed=True)
    assert decision_p(failed) == 1.0
    vs = with_family_holm([failed, fake("B", 0.001, 1, family="successors-cpu")])
    assert vs[0].holm_verdict == "inconclusive" and vs[1].family_size == 1
    assert vs[1].p_holm == pytest.approx(0.002)


# --------------------------------------------------------------------------- sensitivity


def test_sensitivity_shows_where_the_threshold_decides():
    c = claim(threshold("<", 10.0))
    made = seeds(WGAN, [8.0, 8.5, 8.2, 8.8, 8.1, 8.3])  # all under 10, all over 7.5
    assert evaluate_claim(c, *tables(*made)).verdict == "reproduced"
    assert sensitivity(c, *tables(*made), "cpu") == "0.75x: not reproduced; 1.25x: reproduced"


def test_scaling_a_ratio_margin_is_on_the_log_scale():
    from wgan_suite.claims.base import parse_check

    check = parse_check(
        {
            "kind": "compare",
            "a": WGAN,
            "b": {"loss": "gan_ns"},
            "value": {"reduce": "final", "metric": "fd"},
            "stat": "ratio",
            "op": "within",
            "margin": 1.25,
        }
    )
    assert scaled(check, 2.0).margin == pytest.approx(1.5625)
    assert scaled(check, 2.0).value == check.value  # a measure is not a threshold


def test_a_pooled_correlation_ranks_models_not_checkpoints():
    """W-03c: across generators of one seed, a better model has the lower W estimate,
    even where inside each trial the two columns move apart."""
    a, b = {"loss": "wgan", "generator": "dcgan"}, {"loss": "wgan", "generator": "mlp"}
    made = []
    for s in SIX:  # within each trial w rises as fd falls (rho -1); trial b sits higher on both
        made.append(trial(f"a-{s}", s, a, {"w": [9, 1, 2, 3, 4], "fd": [9, 4, 3, 2, 1]}))
        made.append(trial(f"b-{s}", s, b, {"w": [9, 11, 12, 13, 14], "fd": [90, 14, 13, 12, 11]}))
    base = {"kind": "correlation", "where": WGAN, "x": "w", "y": "fd", "op": ">=", "threshold": 0.5}
    per_trial = evaluate_claim(claim(base), *tables(*made))
    pooled = evaluate_claim(claim({**base, "pooled": True}), *tables(*made))
    assert per_trial.verdict == "not_reproduced" and pooled.verdict == "reproduced"
    assert "pooled" in pooled.summary and pooled.n == 6
    # at every iteration b has the higher w and the higher fd: ranked at matched time too
    matched = evaluate_claim(claim({**base, "pooled": "matched_time"}), *tables(*made))
    assert matched.verdict == "reproduced" and matched.n == 6


GENERATORS = ("dcgan", "dcgan_const", "mlp")


def shipped(claim_id: str):
    """A claim's check as claims/wgan.yaml ships it, on the test helper's claim (no
    premises, no scale: the check alone decides)."""
    from wgan_suite.claims import load_claims

    (found,) = [c for c in load_claims() if c.id == claim_id]
    return claim(found.check.model_dump(mode="json", serialize_as_any=True))


def shipped_w03c():
    return shipped("W-03c")


def three_generators(backwards: bool) -> list:
    """Per seed three WGAN generators whose W estimate and quality (fd, lower is better)
    both fall over training, the within-run trend far larger than the gaps between the
    models. At the end W is 0.30 / 0.25 / 0.20 against fd 10 / 20 / 30 (``backwards``:
    the best model has the highest W, and so at every checkpoint) or 0.20 / 0.25 / 0.30."""
    made = []
    for s in SIX:
        for k, g in enumerate(GENERATORS):
            gap = (0.30 - 0.05 * k) if backwards else (0.20 + 0.05 * k)
            w = [5.0] + [gap + 0.2 * (6 - i) for i in range(1, 7)]
            fd = [500.0] + [10.0 * (k + 1) + 40.0 * (6 - i) for i in range(1, 7)]
            config = {"loss": "wgan", "generator": g}
            made.append(trial(f"{g}-{s}", s, config, {"w_estimate_eval": w, "fid": fd}))
    return made


def test_w03c_models_ranked_backwards_at_every_time_do_not_read_as_ranked():
    """Issue 36: pooled over checkpoints, the shared trend (W and fd falling together)
    gave Spearman ~0.95 to models whose W estimates rank them exactly backwards; W-03c
    compares the models at matched training time instead."""
    made = three_generators(backwards=True)
    check = shipped_w03c().check.model_dump(mode="json")
    assert check["pooled"] == "matched_time"
    v = evaluate_claim(shipped_w03c(), *tables(*made))
    assert v.verdict == "not_reproduced" and v.n == 6, v.summary
    assert "matched iterations" in v.summary
    pooled = evaluate_claim(claim({**check, "pooled": True}), *tables(*made))
    assert pooled.verdict == "reproduced"  # the old reading, still there for other claims


def test_w03c_models_ranked_right_at_every_time_read_as_ranked():
    v = evaluate_claim(shipped_w03c(), *tables(*three_generators(backwards=False)))
    assert v.verdict == "reproduced" and v.n == 6, v.summary


def test_matched_time_compares_only_iterations_every_model_has():
    """A checkpoint one model lacks is left out; a seed with too few shared ones too."""
    made = three_generators(backwards=False)
    results, trials = tables(*made)
    # seed 0's mlp lost all but its first two checkpoints: seed 0 has no usable iteration
    gone = (results["trial_id"] == "mlp-0") & (results["iteration"] > 100)
    v = evaluate_claim(shipped_w03c(), results[~gone], trials)
    assert v.n == 5 and "seed 0 (1 shared iteration(s)" in v.reason, v.reason


def optimizer_runs(shares: dict[tuple[str, str], float]) -> list:
    """Per seed one WGAN trial per (generator, critic optimizer), ten checkpoints of which
    the first ``share * 10`` are flagged unstable."""
    made = []
    for s in SIX:
        for (g, opt), share in shares.items():
            flags = [i < round(10 * share) for i in range(10)]
            config = {"loss": "wgan", "generator": g, "c_optimizer": opt}
            made.append(trial(f"{g}-{opt}-{s}", s, config, {"unstable": flags}))
    return made


def test_w09_is_decided_per_generator():
    """Issue 36: averaged over the two generators per seed, DCGAN's large Adam effect hid
    the constant-filter generator's opposite one; each generator must show it now."""
    mixed = {
        ("dcgan", "adam"): 0.6,
        ("dcgan", "rmsprop"): 0.1,
        ("dcgan_const", "adam"): 0.1,
        ("dcgan_const", "rmsprop"): 0.3,
    }
    v = evaluate_claim(shipped("W-09"), *tables(*optimizer_runs(mixed)))
    assert v.verdict == "not_reproduced", v.summary
    both = {**mixed, ("dcgan_const", "adam"): 0.5}
    assert evaluate_claim(shipped("W-09"), *tables(*optimizer_runs(both))).verdict == ("reproduced")


def test_w09b_is_decided_per_generator():
    """The negative-cosine share inside vs outside the instability intervals, per generator:
    one generator's effect does not stand for the other's opposite one."""
    made = []
    for s in SIX:
        for g, inside, outside in (("dcgan", 0.9, 0.1), ("dcgan_const", 0.2, 0.4)):
            flags = [True] * 5 + [False] * 5
            cos = [-1.0 if i < round(5 * inside) else 1.0 for i in range(5)]
            cos += [-1.0 if i < round(5 * outside) else 1.0 for i in range(5)]
            config = {"loss": "wgan", "generator": g, "c_optimizer": "adam"}
            made.append(trial(f"{g}-{s}", s, config, {"unstable": flags, "step_cos_critic": cos}))
    v = evaluate_claim(shipped("W-09b"), *tables(*made))
    assert v.verdict == "not_reproduced", v.summary


def architecture_runs(outcomes: dict[int, tuple[bool, bool]], archs: int = 6) -> list:
    """Per architecture and seed one WGAN-GP and one GAN trial; ``outcomes`` maps a seed to
    (WGAN-GP failed, GAN failed), the same for every architecture. A failed run's quality
    falls 100 -> 80 (above a fifth of its start), a trained one's 100 -> 10."""
    made = []
    for arch in range(archs):
        for s, fails in outcomes.items():
            for loss, failed in zip(("wgan_gp", "gan_ns"), fails, strict=True):
                curve = [100.0, 90.0, 80.0] if failed else [100.0, 50.0, 10.0]
                config = {"loss": loss, "generator.arch": arch, "critic.arch": arch}
                made.append(trial(f"{loss}-{arch}-{s}", s, config, {"fd_classifier": curve}))
    return made


def test_g05_compares_each_seed_with_the_threshold_before_counting():
    """Issue 36 (N8): G-05 averaged an architecture's 4 seeds into one success rate and
    thresholded it at 0.5. Here, on every architecture, GAN fails 2 of 4 seeds (a mean of
    0.5: 'failed') and WGAN-GP 1 of 4 (0.25: 'succeeded'), so averaged every architecture
    is a discordant pair for WGAN-GP (6 of 6, p 1/64: reproduced). Run by run, GAN failed
    alone in 2 seeds and WGAN-GP alone in 1: 12 discordant pairs against 6 (p 0.12)."""
    per_seed = {0: (False, True), 1: (False, True), 2: (True, False), 3: (False, False)}
    made = architecture_runs(per_seed)
    check = shipped("G-05").check.model_dump(mode="json")
    assert check["pair_by"] == ["generator.arch", "seed"]
    v = evaluate_claim(shipped("G-05"), *tables(*made))
    assert v.verdict == "inconclusive" and v.n == 18, v.summary  # the discordant pairs
    assert v.p_value == pytest.approx(0.1189, abs=1e-4)  # P(X >= 12 | 18, 1/2)
    assert "n=24, discordant pairs 6 vs 12" in v.summary  # WGAN-GP alone failed 6 times
    averaged = claim({**check, "pair_by": "generator.arch"})
    old = evaluate_claim(averaged, *tables(*made))  # the old reading is refused, not made
    assert old.verdict == "inconclusive" and "never averaged" in old.reason, old.reason
    assert old.test is None


def test_g05_reads_reproduced_when_every_run_agrees():
    """The same 24 pairs, GAN failing alone in 3 seeds of 4: 18 to 0."""
    made = architecture_runs({0: (False, True), 1: (False, True), 2: (False, True), 3: (1, 1)})
    v = evaluate_claim(shipped("G-05"), *tables(*made))
    assert v.verdict == "reproduced" and v.p_value == pytest.approx(0.5**18), v.summary
    against = architecture_runs({0: (True, False), 1: (True, False), 2: (False, False)})
    assert evaluate_claim(shipped("G-05"), *tables(*against)).verdict == "not_reproduced"


def test_budget_notes_state_the_seeds_their_budget_runs():
    """Issue 36 (N9): budget notes said '6 seeds' where R1 runs clipping_c (W-14, W-08,
    G-02) on 8. A note now writes ``{seeds}``, filled from the newest registration running
    the claim's ablation at that budget, else the ablation file's budget; no note carries
    a seed count as a literal."""
    import re

    from wgan_suite.claims import load_claims
    from wgan_suite.claims.registration import load_registrations
    from wgan_suite.claims.verdicts import SEEDS, budget_text, decided_by
    from wgan_suite.harness.ablation import budget_seeds

    regs = load_registrations()
    stated = 0
    for c in load_claims():
        for b, note in c.budgets.items():
            assert not re.search(r"\b\d+ seeds\b", note), (c.id, b, note)
            if SEEDS not in note:
                continue
            runs = [r for r in regs if r.budget == b and c.ablation in r.ablation_seeds]
            want = len(runs[-1].ablation_seeds[c.ablation]) if runs else None
            want = want or len(budget_seeds(c.ablation, b))
            (n,) = map(int, re.findall(r"(\d+) seeds", budget_text(c, b, regs)))
            assert n == want, (c.id, b, n, want)
            stated += 1
    assert stated >= 20
    w14 = next(c for c in load_claims() if c.id == "W-14")
    r1 = next(r for r in regs if r.registration == "R1")
    n = len(r1.ablation_seeds["clipping_c"])
    assert f"{n} seeds (registration R1)" in decided_by(w14, regs)
    assert f"{len(budget_seeds('clipping_c', 'cpu'))} seeds;" in decided_by(w14)  # unregistered


def test_preregister_pins_the_quality_classifier_this_machine_has(tmp_path, monkeypatch):
    """Issue 36: the registration's classifier_sha256 was never written. preregister now
    records the SHA-256 of the classifier the registered trials score with, as this
    machine has it (not trained by preregister: absent, it says so and pins nothing),
    and a verdict on scores from another classifier is then not confirmatory."""
    from wgan_suite.claims.preregister import classifier_pin
    from wgan_suite.claims.registration import load_registrations
    from wgan_suite.harness.ablation import find_ablation, load_ablation
    from wgan_suite.trial.metrics.classifier import classifier_path

    monkeypatch.setenv("WGAN_SUITE_CACHE", str(tmp_path / "cache"))
    r1 = next(r for r in load_registrations() if r.registration == "R1")
    ablations = {n: load_ablation(find_ablation(n)) for n in ("transport_2d", "optimizers")}
    toy = r1.model_copy(update={"ablation_seeds": {"transport_2d": (1000, 1001)}})
    assert classifier_pin(toy, ablations) == (
        None,
        "classifier_sha256: not pinned (no registered trial scores with one)",
    )
    images = r1.model_copy(update={"ablation_seeds": {"optimizers": (1000,)}})
    pinned, line = classifier_pin(images, ablations)
    assert pinned is None and "not trained on this machine" in line
    data = next(iter(ablations["optimizers"].with_seeds((1000,)).trials("cpu"))).config.data
    path = classifier_path(data)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this machine's classifier")
    mine = hashlib.sha256(b"this machine's classifier").hexdigest()
    assert classifier_pin(images, ablations) == (
        mine,
        f"classifier_sha256: {mine} (this machine's quality classifier, pinned)",
    )
    # the pin refuses confirmatory status to scores from another machine's classifier
    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    reg = registration_for(c, trials).model_copy(update={"classifier_sha256": pinned or mine})
    (v,) = evaluate_claims(results, trials.assign(classifier_sha256=mine), [c], registrations=[reg])
    assert v.confirmatory
    other = trials.assign(classifier_sha256="c" * 64)
    (v,) = evaluate_claims(results, other, [c], registrations=[reg])
    assert not v.confirmatory and "other than the registered one" in v.exploratory_why
    # two datasets' classifiers pinned together: each one's scores are read as registered
    both = reg.model_copy(update={"classifier_sha256": f"{mine},{'d' * 64}"})
    two = trials.assign(classifier_sha256=[mine] * 3 + ["d" * 64] * 3)
    (v,) = evaluate_claims(results, two, [c], registrations=[both])
    assert v.confirmatory, v.exploratory_why
