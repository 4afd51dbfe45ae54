"""Which code produced a result, and reuse only of results of the current code (issue 11, item 2).

Before the fix the trial id hashed config, budget and a constant version: after an edit
of a loss ``run`` scheduled nothing and the tables mixed old and new semantics silently.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.test_ablation_validation import mutated
from wgan_suite.core import files, provenance
from wgan_suite.core.provenance import code_hash, code_identity, git_state, mixes_code
from wgan_suite.harness.ablation import load_ablation
from wgan_suite.harness.plan import SUPERSEDED, apply, make_plan, trial_dir
from wgan_suite.harness.results import collect, write_membership
from wgan_suite.trial.train import run_trial

OLD = "0" * 64  # the code hash of "an older version of the suite"


@pytest.fixture
def package(tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(provenance.PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__"))
    yield root
    code_hash.cache_clear()
    git_state.cache_clear()


def rehash(root: Path) -> str:
    code_hash.cache_clear()
    return code_hash(root)


CODE_EDIT = "\nEDITED = 1  # a change of code, not of a comment\n"


def test_code_hash_follows_training_code_not_the_report(package):
    """The training identity is computed from the imports (issue 26 item 2): editing the
    code of analysis, harness, claims, report or CLI never marks a trial stale; editing
    the training code, or a core module it imports, does."""
    base = rehash(package)
    assert base == code_hash(provenance.PACKAGE)  # a copy has the same identity
    for rel in (
        "analysis/stats.py",
        "analysis/summaries.py",
        "analysis/columns.py",
        "harness/results.py",
        "harness/tune.py",
        "harness/ablation.py",
        "claims/checks.py",
        "claims/__init__.py",
        "report/tables.py",
        "report/__init__.py",
        "cli.py",
        "__main__.py",
        "core/budgets.py",  # core, but the training code never imports it
    ):
        with open(package / rel, "a") as fh:
            fh.write(CODE_EDIT)
        assert rehash(package) == base, rel
    with open(package / "core" / "seeding.py", "a") as fh:  # imported by the training code
        fh.write(CODE_EDIT)
    imported = rehash(package)
    assert imported != base
    with open(package / "trial" / "losses.py", "a") as fh:
        fh.write(CODE_EDIT)
    changed = rehash(package)
    assert changed not in (base, imported)
    (package / "trial" / "metrics" / "new_metric.py").write_text("X = 1\n")  # a new file counts too
    assert rehash(package) not in (base, imported, changed)
    (package / "core" / "helper.py").write_text("Y = 2\n")  # not imported by training code
    grown = rehash(package)
    with open(package / "trial" / "metrics" / "new_metric.py", "a") as fh:
        fh.write("from wgan_suite.core.helper import Y\n")  # now it is
    assert rehash(package) != grown
    assert package / "core" / "helper.py" in provenance.hashed_files(package)


def test_the_hashed_files_are_the_training_code_and_its_imports():
    rel = {p.relative_to(provenance.PACKAGE).as_posix() for p in provenance.hashed_files()}
    trial = {
        p.relative_to(provenance.PACKAGE).as_posix()
        for p in (provenance.PACKAGE / "trial").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert trial <= rel
    # the layer rule keeps everything else the training code needs in core/
    assert {r.split("/")[0] for r in rel - trial} <= {"core", "__init__.py"}
    for upper in ("analysis/", "harness/", "claims/", "report/", "cli.py"):
        assert not any(r.startswith(upper) for r in rel), upper


def test_git_commit_and_dirty_flag(tmp_path, package):
    assert git_state(package) == (None, None)  # not in a checkout: the hash alone
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "pkg"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    git_state.cache_clear()
    assert git_state(package) == (head.strip(), False)
    (package / "trial" / "losses.py").write_text("# edited\n")
    git_state.cache_clear()
    assert git_state(package) == (head.strip(), True)
    (tmp_path / "runs").mkdir()  # untracked output beside the code does not make it dirty
    (package / "trial" / "losses.py").write_bytes(
        subprocess.run([*git, "show", "HEAD:pkg/trial/losses.py"], capture_output=True).stdout
    )
    git_state.cache_clear()
    assert git_state(package)[1] is False


def toy_trials(tmp_path: Path, runs: Path):
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(mutated({"grid": {"loss": ["wgan", "gan_ns"]}, "seeds": 1})))
    specs = load_ablation(path).trials("smoke")
    for spec in specs:
        list(run_trial(spec.config, trial_dir(runs, spec)))
    return specs


def mark_old(path: Path) -> None:
    saved = files.read_json(path / "config.json")
    files.write_json(path / "config.json", {**saved, "code": {**saved["code"], "code_hash": OLD}})


def test_trials_of_other_code_are_rerun_or_kept_and_marked(tmp_path):
    runs = tmp_path / "runs"
    specs = toy_trials(tmp_path, runs)
    current = code_hash()
    assert not make_plan(specs, runs, current).todo  # all finished with this code
    mark_old(trial_dir(runs, specs[0]))
    plan = make_plan(specs, runs, current)
    assert plan.todo == [specs[0]] and plan.supersede == [specs[0]]
    kept = make_plan(specs, runs, current, keep_stale=True)
    assert not kept.todo and kept.kept_stale == [specs[0]]

    write_membership(runs, specs)
    warnings: list[str] = []
    results, trials = collect(runs, warn=warnings.append)
    for table in (results, trials, pd.read_parquet(runs / "trials.parquet")):
        assert {"code_hash", "git_commit", "git_dirty"} <= set(table)
        assert mixes_code(table)
    assert set(trials.code_hash) == {OLD, current}
    assert any("mixes results of 2 code versions" in w for w in warnings)

    apply(plan, runs)  # the old trial is kept aside, its cell is free to train again
    assert not trial_dir(runs, specs[0]).exists()
    moved = list((runs / SUPERSEDED).iterdir())
    assert [m.name for m in moved] == [f"{specs[0].dirname}.{OLD[:12]}"]
    assert (moved[0] / "records.jsonl").exists()


def test_unfinished_trial_of_other_code_always_restarts(tmp_path):
    runs = tmp_path / "runs"
    specs = toy_trials(tmp_path, runs)
    path = trial_dir(runs, specs[1])
    files.write_jsonl(path / "records.jsonl", [])  # it had not finished (a checkpoint only)
    mark_old(path)
    plan = make_plan(specs, runs, code_hash(), keep_stale=True)
    assert plan.supersede == [specs[1]] and plan.todo == [specs[1]]
    with pytest.raises(ValueError, match="other code"):  # run_trial never mixes two versions
        list(run_trial(specs[1].config, path))


def test_table_of_one_code_version_does_not_mix():
    one = pd.DataFrame({"trial_id": ["a", "b"], **{k: [v, v] for k, v in code_identity().items()}})
    assert not mixes_code(one)
    legacy = pd.DataFrame({"trial_id": ["a", "b"], "code_hash": [None, "x"]})
    assert mixes_code(legacy)  # unknown code is its own version


def test_trials_that_never_started_ran_no_code():
    """A grid half run: its pending trials carry no code hash and are not another version."""
    code = code_identity()
    table = pd.DataFrame(
        {
            "trial_id": ["a", "b", "c"],
            "status": ["finished", "pending", "pending"],
            **{k: [v, None, None] for k, v in code.items()},
        }
    )
    assert not mixes_code(table)
    assert mixes_code(table.assign(status=["finished", "interrupted", "pending"]))


def test_comments_and_docstrings_do_not_change_the_code_hash(package):
    """issue 27: a comment-only edit of training code retrained everything."""
    base = rehash(package)
    path = package / "trial" / "losses.py"
    text = path.read_text()
    path.write_text(
        "# a new first comment\n" + text.replace('"""', '"""Reworded. ', 1) + "\n# end\n"
    )
    assert rehash(package) == base
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(("import ", "from ")))
    lines[first] += "  # the same code"
    path.write_text("\n".join(lines) + "\n")
    assert rehash(package) == base
    path.write_text(text + "\ndef added():\n    return 1\n")
    assert rehash(package) != base  # code is code
    path.write_text(text)
    assert rehash(package) == base


def test_a_finished_run_of_this_code_comes_back_from_superseded(tmp_path):
    """issue 27: code edited, then the edit undone, retrained everything again although
    the matching results sat in runs/superseded/."""
    runs = tmp_path / "runs"
    specs = toy_trials(tmp_path, runs)
    current = code_hash()
    path = trial_dir(runs, specs[0])
    records = (path / "records.jsonl").read_bytes()
    edited = "f" * 64  # the code while edited: every trial of the old code is set aside
    apply(make_plan(specs, runs, edited), runs)
    assert not path.exists()
    plan = make_plan(specs, runs, current)  # the edit undone
    assert not plan.todo and len(plan.restore) == len(specs) == 2
    assert {s.trial_id for s in plan.reused} == {s.trial_id for s in specs}
    assert "put back (not trained again)" in plan.summary()[0]
    apply(plan, runs)
    assert (path / "records.jsonl").read_bytes() == records
    assert not any((runs / SUPERSEDED).iterdir())
