"""A registration is evidence of its own date and content only as git holds it (issue 36,
cases a, b, e): each case the referee tried on 031cc00 reads exploratory or is refused
now. (e), Holm's m from the registration, is in tests/test_scale.py.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from tests.test_protocol import (
    claim,
    registered_tables,
    registration_for,
    threshold,
)
from wgan_suite.claims.registration import (
    committed_state,
    exploratory_reasons,
    load_registration,
    write_registration,
)
from wgan_suite.cli import main
from wgan_suite.core.provenance import code_hash


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def committed_registration(root: Path):
    """A checkout holding claims/registrations/R1.yaml, committed."""
    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    folder = root / "claims" / "registrations"
    folder.mkdir(parents=True)
    path = write_registration(registration_for(c, trials), folder)
    git(root, "init", "-q")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "R1")
    return c, trials, path


def run_under(trials, reg, started="2999-01-01T00:00:00Z"):
    """The trials as `run --registration` records them: the registration's tag and a
    start time (after its commit by default)."""
    return trials.assign(
        **{"hw.registration": reg._tag, "hw.started": started, "hw.registrations": reg._tag},
        **{"hw.first_started": started},
    )


def test_a_committed_registration_reads_confirmatory(tmp_path):
    c, trials, path = committed_registration(tmp_path)
    reg = load_registration(path)
    assert committed_state(path) == ""
    assert exploratory_reasons(c, reg, "cpu", run_under(trials, reg), reg.analysis_hash) == []


def test_trials_must_record_the_registration_and_start_after_its_commit():
    """(g): on 031cc00 trials recorded no registration and nothing required them to
    start after it was made."""
    import tempfile

    root = Path(tempfile.mkdtemp())
    c, trials, path = committed_registration(root)
    reg = load_registration(path)
    why = exploratory_reasons(c, reg, "cpu", trials, reg.analysis_hash)
    assert f"trials that did not run under registration {reg._tag}" in why
    other = trials.assign(**{"hw.registration": "R1@0000000000000000", "hw.started": "2999"})
    assert f"trials that did not run under registration {reg._tag}" in exploratory_reasons(
        c, reg, "cpu", other, reg.analysis_hash
    )
    early = run_under(trials, reg, started="2000-01-01T00:00:00Z")
    assert "trials that started before registration R1 was committed" in exploratory_reasons(
        c, reg, "cpu", early, reg.analysis_hash
    )


def test_a_resumed_trial_keeps_its_first_start_and_every_registration(tmp_path):
    """(g), resumed (a referee's read of c0eaa30): every start rewrote ``hw.started`` and
    ``hw.registration``, so a trial begun before the commit, or under no registration,
    and resumed with ``run --registration R1`` read as run under R1 after its commit.
    ``carried_start`` keeps the first start and every tag; the reading uses them."""
    from wgan_suite.trial.trial_status import carried_start

    c, trials, path = committed_registration(tmp_path)
    reg = load_registration(path)
    late = {"started": "2999-01-01T00:00:00Z", "registration": reg._tag}
    fresh = carried_start(late, {"started": "2000-01-01T00:00:00Z"}, resumes=False)
    assert fresh == {"first_started": late["started"], "registrations": reg._tag}
    cases = {  # the status a resume found -> why the resumed trials are not confirmatory
        "begun before the commit": (
            {"started": "2000-01-01T00:00:00Z", "registration": reg._tag},
            "trials that started before registration R1 was committed",
        ),
        "begun under no registration": (
            {"started": "2998-01-01T00:00:00Z", "registration": None},
            f"trials that did not run under registration {reg._tag}",
        ),
        "begun under another file": (
            {"started": "2998-01-01T00:00:00Z", "registration": "R1@0000000000000000"},
            f"trials that did not run under registration {reg._tag}",
        ),
        "a status that says nothing (unreadable)": (
            None,
            "the trials' start times cannot be compared with the registration's commit",
        ),
    }
    for case, (before, reason) in cases.items():
        hw = {**late, **carried_start(late, before, resumes=True)}
        read = trials.assign(**{f"hw.{k}": v for k, v in hw.items()})
        assert reason in exploratory_reasons(c, reg, "cpu", read, reg.analysis_hash), case
        # read by the newest start alone, each would pass; a trial that does not record
        # its first start and every tag reads as neither
        newest = read.drop(columns=["hw.first_started", "hw.registrations"])
        assert exploratory_reasons(c, reg, "cpu", newest, reg.analysis_hash) == [
            f"trials that did not run under registration {reg._tag}",
            "the trials' start times cannot be compared with the registration's commit",
        ], case
    # resumed twice, every part under R1 after its commit: confirmatory
    once = {**late, **carried_start(late, None, resumes=False)}
    again = {**late, **carried_start(late, once, resumes=True)}
    assert again["first_started"] == late["started"] and again["registrations"] == reg._tag
    read = trials.assign(**{f"hw.{k}": v for k, v in again.items()})
    assert exploratory_reasons(c, reg, "cpu", read, reg.analysis_hash) == []


def test_run_refuses_a_registration_that_is_not_committed(tmp_path, monkeypatch, capsys):
    """Its trials could otherwise start before the commit that freezes it."""
    import wgan_suite.claims.registration as registration

    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    final = registration_for(c, trials).model_copy(update={"training_code_hash": code_hash()})
    write_registration(final, tmp_path)  # outside any git checkout
    monkeypatch.setattr(registration, "registrations_dir", lambda *a: tmp_path)
    monkeypatch.setattr("wgan_suite.commands.git_state", lambda: ("abc", False))  # clean
    runs = tmp_path / "runs"
    code = main(["run", "clipping_c", "--registration", "R1", "--runs", str(runs)])
    err = capsys.readouterr().err
    assert code == 2 and "commit it before its trials run" in err
    assert not runs.exists()


def test_a_newer_draft_never_hides_a_final_registration():
    """The next run's draft covering the same claim: the claim is still read on the final
    registration's trials (covering prefers the newest final one, then the newest draft)."""
    from wgan_suite.claims.registration import covering

    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    r1 = registration_for(c, trials)
    r2 = registration_for(c, trials, name="R2", block=(2000, 2001), final=False)
    assert covering([r1, r2], c.id) is r1
    assert covering([r2], c.id) is r2  # a draft alone still says what it registers
    r3 = registration_for(c, trials, name="R3", block=(3000, 3001))
    assert covering([r1, r2, r3], c.id) is r3 and covering([], c.id) is None


def test_run_refuses_what_would_read_exploratory(tmp_path, monkeypatch, capsys):
    """A draft may still be rewritten (its design is not fixed); trials of other training
    code, or from a tree they record as dirty (or not a checkout), would read exploratory:
    `run --registration` refuses each in one line before anything is written. A draft's
    verdicts are exploratory, the same registration final reads confirmatory."""
    import wgan_suite.claims.registration as registration

    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    monkeypatch.setattr(registration, "registrations_dir", lambda *a: tmp_path)
    runs = tmp_path / "runs"
    final = registration_for(c, trials).model_copy(update={"training_code_hash": code_hash()})
    clean = ("abc", False)
    cases = {  # what it says -> (the registration, the tree as git_state reads it)
        "is a draft; freeze it for its run": (final.model_copy(update={"final": False}), clean),
        "--seeds 1000-1005 --replace --final": (final.model_copy(update={"final": False}), clean),
        "the training code changed since it was frozen": (registration_for(c, trials), clean),
        "tracked files have uncommitted changes": (final, ("abc", True)),
        "not a git checkout": (final, (None, None)),
    }
    for said, (reg, tree) in cases.items():
        write_registration(reg, tmp_path)
        monkeypatch.setattr("wgan_suite.commands.git_state", lambda tree=tree: tree)
        code = main(["run", "clipping_c", "--registration", "R1", "--runs", str(runs)])
        err = capsys.readouterr().err
        assert code == 2 and said in err and err.count("\n") == 1, err
        assert not runs.exists()
    draft = registration_for(c, trials, final=False)  # its trials' code: "train-hash"
    why = exploratory_reasons(c, draft, "cpu", run_under(trials, draft), draft.analysis_hash)
    assert "registration R1 is a draft (preregister --final freezes it)" in why
    final = draft.model_copy(update={"final": True})
    assert exploratory_reasons(c, final, "cpu", run_under(trials, final), final.analysis_hash) == []


def test_a_hand_edited_registration_is_exploratory(tmp_path):
    """(a): one line of the committed registration edited in the working tree (its check
    hash), nothing committed: on 031cc00 the verdict read confirmatory again."""
    c, trials, path = committed_registration(tmp_path)
    text = path.read_text()
    old = load_registration(path).claims[c.id].check_hash
    path.write_text(text.replace(old, "f" * len(old)))
    reg = load_registration(path)
    why = exploratory_reasons(c, reg, "cpu", trials, reg.analysis_hash)
    assert "registration R1 differs from its committed version" in why


def test_an_uncommitted_registration_or_dirty_claims_are_exploratory(tmp_path):
    c, trials, path = committed_registration(tmp_path)
    (tmp_path / "claims" / "wgan.yaml").write_text("claims: []\n")  # untracked claims file
    reg = load_registration(path)
    assert "registration R1 was read beside uncommitted changes in claims/" in (
        exploratory_reasons(c, reg, "cpu", trials, reg.analysis_hash)
    )
    other = path.parent / "R2.yaml"
    other.write_bytes(path.read_bytes())
    assert committed_state(other) == "is not committed"


def test_a_registration_outside_git_cannot_vouch_for_itself(tmp_path):
    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    path = write_registration(registration_for(c, trials), tmp_path)
    assert committed_state(path).startswith("is not in a git checkout")


def test_replace_cannot_be_pointed_at_an_empty_tables_directory(tmp_path, capsys, monkeypatch):
    """(b): `preregister --replace --tables <empty dir>` passed on 031cc00 because the
    refusal looked only where --tables pointed; runs/ now always counts."""
    c = claim(threshold("<", 10.0))
    _, trials = registered_tables([1.0] * 6)
    folder = tmp_path / "regs"
    folder.mkdir()
    path = write_registration(registration_for(c, trials, final=False), folder)
    before = path.read_bytes()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    trials.to_parquet(tmp_path / "runs" / "trials.parquet")  # the registered trials exist
    (tmp_path / "empty").mkdir()
    code = main(
        [
            *("preregister", "--name", "R1", "--seeds", "1000-1005", "--replace"),
            *("--out", str(folder), "--tables", str(tmp_path / "empty")),
        ]
    )
    assert code == 2 and "cannot be rewritten" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_a_later_registration_never_hides_an_earlier_ones_result():
    """(d): with R2 added, R1's confirmatory 'not reproduced' disappeared on 031cc00 and
    the claim read 'reproduced, confirmatory, registration R2'. Both are shown now, each
    under its own Holm family."""
    import pandas as pd

    from wgan_suite.claims.verdicts import evaluate_claims

    c = claim(threshold("<", 10.0))
    r1_results, r1_trials = registered_tables([20.0] * 6, block=range(1000, 1006))  # against
    r2_results, r2_trials = registered_tables([1.0] * 6, block=range(2000, 2006))  # for
    r1 = registration_for(c, r1_trials, name="R1", block=tuple(range(1000, 1006)))
    r2 = registration_for(c, r2_trials, name="R2", block=tuple(range(2000, 2006)))
    r2 = r2.model_copy(update={"created": "2026-12-05T00:00:00Z"})
    results = pd.concat([r1_results, r2_results], ignore_index=True)
    trials = pd.concat([r1_trials, r2_trials], ignore_index=True)
    [v] = evaluate_claims(results, trials, [c], "cpu", [r1, r2])
    assert v.registration == "R2" and v.verdict == "reproduced" and v.confirmatory
    assert v.earlier.startswith("R1: not_reproduced, confirmatory"), v.earlier


def test_the_analysis_identity_follows_the_imports(tmp_path):
    """(c): on 031cc00 the constant that defines "unstable" for W-09/W-09b (WORSE in
    suite/analysis.py, applied at collect time) was in neither hash. The analysis files
    are now found by reading the imports from the claims, results and report entry points."""
    import shutil

    from wgan_suite.claims.registration import PACKAGE, analysis_files, analysis_hash

    names = {p.relative_to(PACKAGE).as_posix() for p in analysis_files()}
    assert {
        "analysis/summaries.py",
        "analysis/columns.py",
        "analysis/stats.py",
        "harness/results.py",
        "claims/verdicts.py",
    } <= names
    copy = tmp_path / "wgan_suite"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = analysis_hash(copy)
    source = copy / "analysis" / "columns.py"
    text = source.read_text()
    assert "\nWORSE = " in text
    source.write_text(text.replace("\nWORSE = ", "\nWORSE = 2.5 * ", 1))
    assert analysis_hash(copy) != before


def test_an_unrun_registered_claim_says_not_run_and_its_family_names_the_draft():
    """The report read 'read at budget None, registered at cpu' for a registered claim
    whose ablation had not run, and labelled Holm's m '(m 6, registered)' for a draft
    as for a frozen registration."""
    from wgan_suite.claims.verdicts import evaluate_claims
    from wgan_suite.report.claims_table import as_dict
    from wgan_suite.report.summary import family_table

    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0] * 6)
    for final in (False, True):
        reg = registration_for(c, trials, final=final)
        [unrun] = evaluate_claims(results.iloc[0:0], trials.iloc[0:0], [c], None, [reg])
        assert f"not run: no trial of {c.ablation} in the tables" in unrun.exploratory_why
        assert "budget None" not in unrun.exploratory_why
        [ran] = evaluate_claims(results, trials, [c], "cpu", [reg])
        assert "not run" not in ran.exploratory_why
        [family] = family_table([as_dict(ran)])
        assert family["registrations"] == {"R1": not final}
        assert family["registered_label"] == "registration R1" + ("" if final else ", a draft")
    [plain] = family_table([as_dict(replace(ran, registration=None, registered_family_size=None))])
    assert plain["registrations"] == {} and plain["registered_label"] == ""


def test_the_family_label_names_each_registration_with_its_own_state_and_is_never_hidden():
    """With two registrations the label read 'registration R1, R2, a draft' (which one?),
    and where Holm's m equalled the family's claim count it was not shown at all, a
    draft's state with it."""
    from wgan_suite.claims.verdicts import evaluate_claims
    from wgan_suite.report.claims_table import as_dict
    from wgan_suite.report.summary import family_table

    c = claim(threshold("<", 10.0))
    results, trials = registered_tables([1.0] * 6)
    rows = []
    for name, final in (("R2", True), ("R1", False)):
        reg = registration_for(c, trials, name=name, final=final)
        [v] = evaluate_claims(results, trials, [c], "cpu", [reg])
        rows.append(as_dict(replace(v, claim_id=f"{v.claim_id}-{name}")))
    m = max(int(r["registered_family_size"]) for r in rows)
    [family] = family_table(rows)
    assert family["registrations"] == {"R1": True, "R2": False}
    assert family["registered_label"] == "registrations R1 (a draft), R2"
    assert family["m"] == m
    [one] = family_table(rows[1:])  # m equals the claims here: the label is still there
    assert one["claims"] == one["m"] == 1 and one["registered_label"] == "registration R1, a draft"
