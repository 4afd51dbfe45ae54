"""What a hostile probe of the commands found (2026-12-08), each case as the user met it:
tracebacks where one line and exit 2 were promised, a typo that ran the shipped ablation
or made a new runs directory, a report that stopped on a run interrupted before its first
row, a SIGTERM after the training that ended the process unsaid (exit 143), files written
0600 whatever the umask, and `git status` taking the checkout's index lock; argparse's
usage block before its error line, and `list --show` of a path no trial has (exit 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_input_bounds import rejected
from wgan_suite.cli import main
from wgan_suite.commands import SignalsHeld
from wgan_suite.core import files
from wgan_suite.core.provenance import code_hash, git_output
from wgan_suite.harness.ablation import MAX_SEED, find_ablation, load_ablation
from wgan_suite.harness.plan import apply, make_plan
from wgan_suite.harness.results import collect, write_membership


def tree(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--seeds", "0-99999999999"], f"1 to 1000 distinct seeds from 0 to {MAX_SEED}"),
        (["--seeds", str(MAX_SEED + 1)], f"from 0 to {MAX_SEED}"),
        (["--seeds", "1,,2"], "expected FIRST-LAST or a comma list"),
        (["--seeds", "5000-5003", "--name", "../evil"], "--name: a registration's name"),
        (["--seeds", "5000-5003", "--name", ""], "--name: a registration's name"),
        (["--seeds", "5000-5003", "--name", "/tmp/abs"], "--name: a registration's name"),
        (["--seeds", "5000-5003", "--out", "{tmp}/a_file"], "is a file; name a directory"),
    ],
)
def test_preregister_refuses_bad_input_in_one_line(tmp_path, capsys, args, says):
    (tmp_path / "a_file").write_text("")
    argv = ["preregister", "--name", "RQ", "--out", str(tmp_path / "regs"), *args]
    before = tree(tmp_path)
    err = rejected(capsys, [a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert says in err
    assert tree(tmp_path) == before


def test_a_missing_ablations_folder_is_refused_not_replaced_by_the_shipped_one(
    tmp_path, capsys, monkeypatch
):
    """Before: a typo in --ablations-dir (or $WGAN_SUITE_ABLATIONS) validated, ran and
    preregistered the shipped file of the same name."""
    missing = tmp_path / "my_ablations"
    err = rejected(capsys, ["validate", "parallel_lines", "--ablations-dir", str(missing)])
    assert f"--ablations-dir {missing}: no such directory" in err
    (tmp_path / "a_file").write_text("")
    err = rejected(capsys, ["list", "parallel_lines", "--ablations-dir", str(tmp_path / "a_file")])
    assert "is a file" in err
    monkeypatch.setenv("WGAN_SUITE_ABLATIONS", str(missing))
    err = rejected(capsys, ["validate", "parallel_lines"])
    assert f"$WGAN_SUITE_ABLATIONS {missing}: no such directory" in err
    regs = tmp_path / "regs"
    rejected(capsys, ["preregister", "--name", "RQ", "--seeds", "5000-5003", "--out", str(regs)])
    assert not regs.exists() and not missing.exists()


def test_collect_and_list_refuse_a_runs_path_that_is_no_runs_directory(tmp_path, capsys):
    typo = tmp_path / "runs_typo"
    err = rejected(capsys, ["collect", "--runs", str(typo)])
    assert "no such directory" in err and not typo.exists()
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    assert "is a file" in rejected(capsys, ["collect", "--runs", str(a_file)])
    assert "is a file" in rejected(capsys, ["list", "parallel_lines", "--runs", str(a_file)])
    assert tree(tmp_path) == [a_file]


def test_registration_named_by_its_file(tmp_path, capsys):
    """``--registration R7.yaml`` is R7 (before: 'no such registration: .../R7.yaml.yaml');
    a file outside claims/registrations/ is refused, since a run's registration is the
    committed one."""
    runs = ["--budget", "smoke", "--runs", str(tmp_path / "runs"), "--new-runs"]
    err = rejected(capsys, ["run", "parallel_lines", "--registration", "R7.yaml", *runs])
    assert err.rstrip().endswith("registrations/R7.yaml") and ".yaml.yaml" not in err
    err = rejected(
        capsys, ["run", "parallel_lines", "--registration", str(tmp_path / "R7.yaml"), *runs]
    )
    assert "a registration runs from" in err
    assert tree(tmp_path) == []


def test_report_of_a_run_interrupted_before_its_first_row(tmp_path, capsys):
    """A run stopped while Ray started: its trials are planned (pending) and no trial has
    logged a row. Before: the report stopped with KeyError 'ablation' (exit 1) after
    writing its pages, without index.html."""
    runs = tmp_path / "runs"
    specs = load_ablation(find_ablation("parallel_lines")).trials("smoke")
    apply(make_plan(specs, runs, code_hash()), runs)  # what `run` does before Ray starts
    write_membership(runs, specs)
    results, trials = collect(runs)
    assert results.empty and len(trials) == len(specs)
    out = tmp_path / "report"
    assert main(["report", "--runs", str(runs), "--out", str(out)]) == 0
    assert (out / "index.html").is_file() and (out / "verdicts.csv").is_file()
    capsys.readouterr()


def test_signals_after_the_training_wait_for_the_tables():
    """SIGTERM and Ctrl-C while the tables are written are said afterwards, not obeyed at
    once (before: SIGTERM there ended the process with exit 143, no tables, nothing said);
    the handlers are put back as they were."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with SignalsHeld() as held:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # delivered to the main thread between bytecodes
        survived = True
    assert survived and held.received == ["SIGTERM", "Ctrl-C"]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_files_written_whole_get_the_mode_the_umask_gives(tmp_path):
    """mkstemp makes 0600 files: results and registrations were unreadable to a group."""
    mask = os.umask(0o022)
    os.umask(mask)
    path = tmp_path / "t.csv"
    files.write_text(path, "x\n")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask == files.MODE


def test_git_status_takes_no_index_lock(tmp_path):
    """`git status` refreshes a stale index and writes it under .git/index.lock: a
    user's own git command at that moment fails on the lock. The suite asks without it."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "f").write_text("a\n")
    git("add", "f")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x")
    index = tmp_path / ".git" / "index"
    stamp = index.stat().st_mtime_ns
    os.utime(tmp_path / "f", ns=(stamp + 10**9, stamp + 10**9))  # stat info now stale
    assert git_output(tmp_path, "status", "--porcelain") == ""
    assert index.stat().st_mtime_ns == stamp  # not rewritten, so not locked
    git("status", "--porcelain")  # git's own default refreshes it: the test can fail
    assert index.stat().st_mtime_ns != stamp


def test_report_refuses_runs_directories_named_both_ways(tmp_path, capsys):
    """Before: ``report A --runs B`` reported A and did not read B, exit 0."""
    a, b = tmp_path / "a", tmp_path / "b"
    err = rejected(capsys, ["report", str(a), "--runs", str(b), "--out", str(tmp_path / "r")])
    assert "named twice" in err and "report DIR [DIR ...]" in err
    assert tree(tmp_path) == []


def test_preregister_at_a_budget_no_claim_names_lists_those_that_do(tmp_path, capsys):
    regs = tmp_path / "regs"
    argv = ["preregister", "--name", "RQ", "--seeds", "5000-5003", "--out", str(regs)]
    err = rejected(capsys, [*argv, "--budget", "cpuu"])
    assert "--budget cpuu: no claim is decided there" in err and "cpu" in err.split("at ")[-1]
    assert not regs.exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "clipping_c", "--budgte", "smoke"], "unrecognized arguments: --budgte"),
        ([], "the following arguments are required: command"),
        (["lst"], "invalid choice: 'lst'"),
        (["run", "clipping_c", "--max-trials", "0"], "--max-trials: must be at least 1"),
    ],
)
def test_argument_errors_are_one_line(capsys, argv, says):
    """Before: argparse printed its usage block (three lines here) before the error."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and says in err, err
    assert "--help" in err and "usage:" not in err


def test_list_show_refuses_a_path_no_trial_has(tmp_path, capsys):
    """Before: every line showed 'bogus.path=-' and the command exited 0. A path that a
    trial has but leaves null (lipschitz.c of a gradient-penalty cell) still lists."""
    runs = tmp_path / "runs"
    argv = ["list", "clipping_c", "--budget", "smoke", "--runs", str(runs)]
    err = rejected(capsys, [*argv, "--show", "lipschitz.c,bogus.path"])
    assert "--show bogus.path: no listed trial has this config path" in err
    assert "lipschitz" in err.split("top-level keys: ")[1]
    assert not runs.exists()
    assert main([*argv, "--show", "lipschitz.c,critic.init,loss.name"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("lipschitz.c=0.01" in ln for ln in lines)
    assert any("lipschitz.c=- critic.init=he loss.name=wgan_gp" in ln for ln in lines)
