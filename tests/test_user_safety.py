"""What a user meets (issue 27): a refused command writes nothing, user-fixable failures
exit 2 in one line (full disk, unreadable tables, bad report directories, symlink loops,
models too big for any machine, a mistyped --runs), the launcher works in a fresh shell,
progress has a plan line and an ETA, the report's counts add up.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
from argparse import Namespace
from pathlib import Path

import pandas as pd
import pytest
import torch

from tests.test_ablation_validation import mutated
from tests.test_input_bounds import SECRET, rejected, write
from wgan_suite.cli import main
from wgan_suite.commands import _summary
from wgan_suite.core import files
from wgan_suite.core.statuses import TrialStatus
from wgan_suite.harness.ablation import load_ablation
from wgan_suite.harness.lock import runs_lock
from wgan_suite.harness.preflight import disk_full_reason, is_disk_full
from wgan_suite.harness.progress import Estimates, Progress, measured_durations, trial_label
from wgan_suite.trial.trial_status import write_status

ROOT = Path(__file__).resolve().parents[1]


def tree(root: Path) -> dict[str, tuple[int, int] | str]:
    """Every path under ``root`` with its size and mtime (directories too): a write,
    a new directory, a lock file or a touched file all show."""
    out: dict[str, tuple[int, int] | str] = {}
    for p in sorted(root.rglob("*")):
        key = str(p.relative_to(root))
        if p.is_symlink():
            out[key] = f"link to {os.readlink(p)}"
        else:
            out[key] = "dir" if p.is_dir() else (p.stat().st_size, p.stat().st_mtime_ns)
    return out


def _ablation(tmp_path: Path, **changes) -> Path:
    return write(tmp_path / "a.yaml", mutated(changes))


def _used_runs(tmp_path: Path) -> Path:
    """A runs directory with something in it (a refusal must not touch it either)."""
    runs = tmp_path / "runs"
    (runs / "ablations").mkdir(parents=True)
    (runs / "ablations" / "toy_validation--smoke.json").write_text('{"trials": []}')
    return runs


def _case_data_missing(tmp_path):
    data = mutated({"base/data": {"name": "image_folder", "root": str(tmp_path / "nope")}})
    data["base"]["generator"] = data["base"]["critic"] = {"name": "dcgan", "width": 8}
    data["base"]["nz"] = 8
    path = write(tmp_path / "f.yaml", data)
    return ["run", str(path), "--budget", "smoke", "--runs", str(tmp_path / "runs")], "root"


def _smoke_run(tmp_path) -> list[str]:
    """``run`` of a valid one-file ablation at the smoke budget into tmp_path/runs."""
    return ["run", str(_ablation(tmp_path)), "--budget", "smoke", "--runs", str(tmp_path / "runs")]


def _case_registration(tmp_path):
    return [*_smoke_run(tmp_path), "--registration", "NOPE"], "no such registration"


def _case_weights(tmp_path):
    return [*_smoke_run(tmp_path), "--inception-weights", str(tmp_path / "none.pt")], "no such file"


def _case_address(tmp_path):
    return [*_smoke_run(tmp_path), "--address", "127.0.0.1:9"], "no Ray cluster answers"


def _case_typo_runs(tmp_path):
    path = _ablation(tmp_path)
    return ["run", str(path), "--budget", "smoke", "--runs", str(tmp_path / "rusn")], "did you mean"


def _case_missing_parent(tmp_path):
    path = _ablation(tmp_path)
    runs = tmp_path / "no" / "such" / "runs"
    return ["run", str(path), "--budget", "smoke", "--runs", str(runs)], "--new-runs"


def _case_too_big(tmp_path):
    path = _ablation(tmp_path, **{"base/generator": {"name": "mlp", "width": 100_000_000}})
    return ["run", str(path), "--budget", "smoke", "--runs", str(tmp_path / "runs")], "GiB"


def _case_report_out_is_a_file(tmp_path):
    out = write(tmp_path / "out.html", "x")
    return ["report", str(tmp_path / "runs"), "--out", str(out)], "is a file"


def _case_report_out_under_a_file(tmp_path):
    out = write(tmp_path / "out.html", "x")
    return ["report", str(tmp_path / "runs"), "--out", str(out / "sub")], "not a directory"


def _case_garbled_table(tmp_path):
    runs = tmp_path / "runs"
    (runs / "results.parquet").write_bytes(b"PAR1 truncated")
    (runs / "trials.parquet").write_bytes(b"garbage")
    return ["report", str(runs), "--out", str(tmp_path / "out")], "not a readable table"


def _case_symlink_loop(tmp_path):
    os.symlink(tmp_path / "loop-b.yaml", tmp_path / "loop-a.yaml")
    os.symlink(tmp_path / "loop-a.yaml", tmp_path / "loop-b.yaml")
    return ["validate", str(tmp_path / "loop-a.yaml")], "symbolic link loop"


def _case_secret(tmp_path):
    path = write(tmp_path / "creds.yaml", f"aws_secret_access_key: {SECRET}\n")
    return ["validate", str(path)], "not an ablation file"


CASES = {
    "data missing": _case_data_missing,
    "registration refused": _case_registration,
    "inception weights missing": _case_weights,
    "no cluster at the address": _case_address,
    "mistyped --runs": _case_typo_runs,
    "--runs under a missing parent": _case_missing_parent,
    "model too big": _case_too_big,
    "report --out is a file": _case_report_out_is_a_file,
    "report --out under a file": _case_report_out_under_a_file,
    "garbled tables": _case_garbled_table,
    "symlink loop": _case_symlink_loop,
    "a secret file": _case_secret,
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refusal_exits_2_in_one_line_and_writes_nothing(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a stray relative write would land here and show
    _used_runs(tmp_path)
    argv, fragment = CASES[case](tmp_path)
    before = tree(tmp_path)
    start = time.monotonic()
    err = rejected(capsys, argv)
    assert fragment in err and SECRET not in err
    assert tree(tmp_path) == before
    assert time.monotonic() - start < 30  # refused before Ray starts


def test_a_busy_runs_directory_exits_3_and_writes_nothing(tmp_path, capsys):
    path = _ablation(tmp_path)
    runs = _used_runs(tmp_path)
    with runs_lock(runs, "test holder"):
        before = tree(tmp_path)
        code = main(["run", str(path), "--budget", "smoke", "--runs", str(runs)])
        assert code == 3 and "is in use by pid" in capsys.readouterr().err
        assert tree(tmp_path) == before


def test_not_enough_disk_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    path = _ablation(tmp_path)
    runs = _used_runs(tmp_path)
    free = shutil.disk_usage(tmp_path)._replace(free=50 * 2**20)
    monkeypatch.setattr("wgan_suite.harness.preflight.shutil.disk_usage", lambda _: free)
    before = tree(tmp_path)
    err = rejected(capsys, ["run", str(path), "--budget", "smoke", "--runs", str(runs)])
    assert "MB free" in err and "need about" in err and tree(tmp_path) == before


def test_report_dir_goes_into_the_runs_directory_named_not_the_cwd():
    """`report DIR` from elsewhere wrote ./runs/report of the current directory (hostile
    probe, issue 37): the report goes to DIR/report; --out wins; reproduce: RUNS/report."""
    from wgan_suite.cli import parser
    from wgan_suite.commands import report_dir

    args = parser().parse_args(["report", "/data/myruns"])
    assert report_dir(args) == Path("/data/myruns/report")
    args = parser().parse_args(["report", "reports/data", "/data/myruns"])
    assert report_dir(args) == Path("/data/myruns/report")
    args = parser().parse_args(["report", "/data/myruns", "--out", "/x"])
    assert report_dir(args) == Path("/x")
    args = parser().parse_args(["reproduce", "--runs", "/data/r2"])
    assert report_dir(args) == Path("/data/r2/report")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: mode bits say nothing")
def test_a_read_only_report_directory_is_refused(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    err = rejected(capsys, ["report", str(tmp_path), "--out", str(ro / "report")])
    assert "not writable" in err


# --------------------------------------------------------------------------- full disk


def test_torch_on_a_full_disk_is_recognised():
    """/dev/full answers every write with ENOSPC, as a full disk does: torch.save then
    says "unexpected pos", which must read as a full disk, not as a failed trial."""
    with pytest.raises(Exception) as caught:
        torch.save({"w": torch.zeros(100_000)}, "/dev/full")
    assert is_disk_full(caught.value, Path("/tmp"))
    with pytest.raises(OSError) as caught, open("/dev/full", "w") as full:
        full.write("x" * 100_000)
        full.flush()
    assert is_disk_full(caught.value, Path("/tmp"))
    assert not is_disk_full(ValueError("a real bug"), Path("/tmp"))


def test_a_full_disk_while_collecting_exits_2_naming_it(tmp_path, capsys, monkeypatch):
    runs = _used_runs(tmp_path)

    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(files, "_atomic", full)  # every atomic write, as on a full disk
    code = main(["collect", "--runs", str(runs)])
    err = capsys.readouterr().err
    assert code == 2 and "No space left on device" in err and "disk is full" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_trial_failed_on_a_full_disk_makes_run_exit_2(tmp_path, capsys):
    spec = load_ablation(_ablation(tmp_path)).trials("smoke")[0]
    runs = tmp_path / "runs"
    path = runs / "trials" / spec.dirname
    path.mkdir(parents=True)
    write_status(path, TrialStatus.FAILED, reason=disk_full_reason(path))
    args = Namespace(runs=runs, command="run")
    assert _summary(args, [spec]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("error: disk full while writing") and "run the same command" in err


def test_tune_losing_a_worker_to_a_full_disk_stops_the_grid(tmp_path):
    """Ray Tune's own writes (its checkpoints, results, error files) failing on a full
    disk reach the driver as a lost worker: the watch reads the error Tune wrote (or the
    free space) and stops the grid instead of retrying into the same disk."""
    from types import SimpleNamespace

    from wgan_suite.harness.tune import _full_disk_stopper, lost_to_full_disk

    runs = tmp_path / "runs"
    runs.mkdir()
    full, bug = tmp_path / "full.txt", tmp_path / "bug.txt"
    full.write_text("Failure # 1\nOSError: [Errno 28] No space left on device: 'x'\n")
    bug.write_text("Failure # 1\nValueError: a real bug\n")
    assert lost_to_full_disk(str(full), runs)
    assert not lost_to_full_disk(str(bug), runs)
    assert not lost_to_full_disk(None, runs)  # Tune could not write one: free space decides
    full_now = shutil.disk_usage(tmp_path)._replace(free=0)
    with pytest.MonkeyPatch.context() as mp:  # a disk nearly full when a real bug crashes
        mp.setattr("wgan_suite.harness.preflight.shutil.disk_usage", lambda _: full_now)
        assert not lost_to_full_disk(str(bug), runs)  # the error Tune wrote decides
        assert lost_to_full_disk(None, runs)  # none written: the free space decides
    assert not lost_to_full_disk(str(tmp_path / "gone.txt"), runs)

    stopper = _full_disk_stopper(runs)
    stopper.watch.on_trial_recover(0, [], SimpleNamespace(error_file=str(bug)))
    assert not stopper.stop_all()
    stopper.watch.on_trial_recover(0, [], SimpleNamespace(error_file=str(full)))
    assert stopper.stop_all() and stopper.reason == disk_full_reason(runs)


def test_tune_failing_to_save_its_state_on_a_full_disk_stops_the_grid(tmp_path):
    """Tune logs a failed save of its experiment state (a traceback) and goes on; on a
    full disk the filter drops the log and stops the grid with the one disk-full line."""
    import logging

    from wgan_suite.harness.tune import TUNE_STATE_LOGGER, _full_disk_stopper

    stopper = _full_disk_stopper(tmp_path)
    log = logging.getLogger(TUNE_STATE_LOGGER)

    def record(exc: BaseException) -> logging.LogRecord:
        return log.makeRecord(log.name, logging.ERROR, __file__, 1, "save failed", (),
                              (type(exc), exc, None))  # fmt: skip

    assert stopper.log_filter.filter(record(ValueError("a real bug")))  # shown as it was
    assert not stopper.stop_all()
    full = OSError(errno.ENOSPC, "Error writing bytes to file. No space left on device")
    assert not stopper.log_filter.filter(record(full))  # not shown: the stop says it
    assert stopper.stop_all() and stopper.reason == disk_full_reason(tmp_path)


def test_a_retry_says_how_many_remain():
    specs = load_ablation(ROOT / "ablations" / "parallel_lines.yaml").trials("smoke")[:1]
    lines: list[str] = []
    p = Progress(specs, slots=1, retries=3, say=lambda line, flush: lines.append(line))
    p.recovering(specs[0].trial_id, 1)
    assert "worker lost; retry 1 of 3 from its last checkpoint (2 left)" in lines[-1]
    p.recovering(specs[0].trial_id, 3)
    assert lines[-1].endswith("retry 3 of 3 from its last checkpoint (0 left)")
    p.recovering(specs[0].trial_id, 0)  # a preempted worker: Tune counts no failure
    assert "retry 1 of 3" in lines[-1]
    stopping = Progress(specs, slots=1, retries=3, stopping=lambda: True,
                        say=lambda line, flush: lines.append(line))  # fmt: skip
    before = len(lines)
    stopping.recovering(specs[0].trial_id, 1)  # the grid stops for a full disk: no retry
    assert len(lines) == before


# --------------------------------------------------------------------------- launcher


def test_the_launcher_works_in_a_fresh_shell(tmp_path):
    """./wgan-suite runs the checkout's .venv with no PATH or activation: a fake .venv
    whose python is this interpreter stands in for the one `nox -s setup` makes."""
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "wgan-suite", checkout / "wgan-suite")
    python = checkout / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    fresh = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(checkout / "wgan-suite"), "validate", "parallel_lines"],
        cwd=ROOT,
        env=fresh,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")
    shutil.rmtree(checkout / ".venv")
    missing = subprocess.run(
        [str(checkout / "wgan-suite"), "--help"], env=fresh, capture_output=True, text=True
    )
    assert missing.returncode == 2 and "nox -s setup" in missing.stderr


def test_hints_print_the_launcher():
    from wgan_suite.cli import parser
    from wgan_suite.core.locations import COMMAND

    assert COMMAND == "./wgan-suite" and (ROOT / "wgan-suite").stat().st_mode & stat.S_IXUSR
    assert parser().prog == COMMAND


# --------------------------------------------------------------------------- progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_trial_labels_carry_the_settings_that_tell_them_apart():
    specs = load_ablation(ROOT / "ablations" / "parallel_lines.yaml").trials("quick")
    labels = {trial_label(s) for s in specs}
    assert len(labels) == len(specs)  # three theta values no longer print alike
    assert any("generator.theta=0.5" in label and "s0" in label for label in labels)


def test_plan_line_and_eta_from_measured_times(tmp_path, monkeypatch):
    specs = load_ablation(ROOT / "ablations" / "parallel_lines.yaml").trials("quick")[:4]
    measured = [
        {
            "ablation": s.ablation,
            "budget": s.budget,
            "status": "finished",
            "wall_time": 42.0,
            **{f"axis.{k}": v for k, v in s.cell.items()},
        }
        for s in specs[:2]
    ]
    pd.DataFrame(measured).to_parquet(tmp_path / "trials.parquet")
    clock = Clock()
    monkeypatch.setattr("wgan_suite.harness.progress.time.monotonic", clock)
    lines: list[str] = []
    p = Progress(
        specs,
        slots=2,
        reused=3,
        estimates=Estimates(measured_durations(tmp_path)),
        say=lambda line, flush: lines.append(line),
    )
    # 4 trials of 42 s + 18 s start-up each (the cells not measured take the ablation's
    # median), 2 at a time: 2 minutes
    assert p.plan_line() == "plan: 4 trial(s) to train, 3 reused; 2 at a time; about 2:00"
    p.started(specs[0].trial_id)
    clock.now += 30
    p.ended(specs[0].trial_id, "ended")  # it took 30 s: the estimate of its cell follows
    assert lines[-1].startswith("[0:30 | done 1/4, running 0, pending 3 | ETA ")
    assert trial_label(specs[0]) in lines[-1]


def test_an_ablation_not_yet_timed_gets_a_rough_eta_from_its_budget(monkeypatch):
    """reproduce runs ablation after ablation: without a rough estimate for those not yet
    timed, its lines read 'ETA ?' until the last ablation's first trial has ended (686
    of 697 lines of a quick reproduce did)."""
    lines_ = load_ablation(ROOT / "ablations" / "parallel_lines.yaml").trials("quick")[:2]
    clip = load_ablation(ROOT / "ablations" / "clipping_c.yaml").trials("quick")[:2]
    paper = load_ablation(ROOT / "ablations" / "parallel_lines.yaml").trials("cpu")[:1]
    clock = Clock()
    monkeypatch.setattr("wgan_suite.harness.progress.time.monotonic", clock)
    lines: list[str] = []
    p = Progress([*lines_, *clip], slots=1, say=lambda line, flush: lines.append(line))
    assert p.plan_line().endswith("no estimate until one has ended")
    p.started(lines_[0].trial_id)
    assert "| ETA ?]" in lines[-1]  # nothing of the budget timed yet
    clock.now += 20
    p.ended(lines_[0].trial_id, "ended")
    # 1 parallel_lines trial left at 20 s, 2 clipping_c trials at the budget's 20 s: ~1:00
    assert "| ETA ~1:00]" in lines[-1]
    p.started(clip[0].trial_id)
    clock.now += 50
    p.ended(clip[0].trial_id, "ended")
    assert "| ETA 1:10]" in lines[-1]  # every ablation timed by its own trials: exact again
    # a budget is never timed by another's trials
    q = Progress([*lines_, *paper], slots=1, say=lambda line, flush: None)
    q.estimates.add(lines_[0], 20.0)
    assert q.remaining_s() is None


@pytest.mark.slow  # a real Ray run of 8 trials and a reproduce: 12 s of the fast lane
def test_a_run_shows_the_plan_eta_and_tensorboard_curves(tmp_path, capsys):
    path = _ablation(tmp_path)
    runs = tmp_path / "runs"
    assert main(["run", str(path), "--budget", "smoke", "--runs", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "plan: 8 trial(s) to train, 0 reused; 2 at a time" in out
    assert "| ETA " in out and "tensorboard --logdir" in out
    assert "8 trial(s): 8 finished" in out and "next: ./wgan-suite report --runs" in out
    events = list((runs / "tune").rglob("events.out.tfevents*"))
    assert len(events) == 8 and all(e.stat().st_size > 0 for e in events)
    tags = _scalar_tags(events[0])
    assert any(t.endswith("iteration") for t in tags), tags
    # each trial names the machine it timed on (issue: times without their machine)
    trials = pd.read_parquet(runs / "trials.parquet")
    assert (trials["hw.cpu_capability"] == torch.backends.cpu.get_cpu_capability()).all()
    assert trials["hw.cpu_flags"].notna().all() and trials["hw.blas"].notna().all()

    # reproduce on the same runs: every trial reused, the report beside the runs, and the
    # committed reports/ byte for byte as it was (it had rewritten 17 tracked pages)
    committed = ROOT / "reports"
    before = _digests(committed)
    assert main(["reproduce", str(path), "--budget", "smoke", "--runs", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "plan: nothing to train, 8 reused" in out and (runs / "report" / "index.html").is_file()
    assert _digests(committed) == before


def _digests(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def _scalar_tags(path: Path) -> set[str]:
    """The scalar tags of a TensorBoard event file (TFRecord framing, Event protos)."""
    from tensorboardX.proto.event_pb2 import Event

    data, tags, at = path.read_bytes(), set(), 0
    while at + 12 <= len(data):
        length = int.from_bytes(data[at : at + 8], "little")
        event = Event.FromString(data[at + 12 : at + 12 + length])
        tags |= {v.tag for v in event.summary.value}
        at += 12 + length + 4
    return tags


# --------------------------------------------------------------------------- report


def test_counts_add_up_and_only_budgets_run_are_columns():
    from wgan_suite.report.summary import counts_table, verdict_grid

    rows = [
        {"claim_id": "A", "ablation": "x", "verdict": "reproduced"},
        {"claim_id": "B", "ablation": "y", "verdict": "inconclusive"},  # y never ran
    ]
    verdicts = {"quick": {"A": "inconclusive"}, "cpu": {"A": "reproduced"}}
    grid = verdict_grid(rows, verdicts, {("x", "quick"), ("x", "cpu")}, ["smoke", "quick", "cpu"])
    assert list(grid.columns) == ["quick", "cpu"]  # smoke: no claim's ablation ran there
    counts = {r["verdict"]: r for r in counts_table(rows, grid)}
    assert counts["inconclusive"]["shown"] == 0 and counts["not run"]["ids"] == ["B"]
    assert counts["all claims"]["shown"] == 2 and counts["all claims"]["per_budget"] == [2, 2]


def test_panels_are_titled_with_every_paired_setting():
    from wgan_suite.report.sections import _one_facet

    res = pd.DataFrame(
        {"axis.loss": ["wgan", "gan"], "axis.lipschitz": ["clip(c=0.01)", "none"], "v": [1, 2]}
    )
    out, facet = _one_facet(res, ["axis.loss", "axis.lipschitz"])
    assert list(out[facet]) == ["loss=wgan, lipschitz=clip(c=0.01)", "loss=gan, lipschitz=none"]
    assert _one_facet(res, ["axis.loss"])[1] == "axis.loss"


def test_local_worker_names_only_a_live_running_trial_of_this_host():
    """What a stop that cannot wait for Ray kills (commands._stuck): the pid a trial's
    status names, only while it says running, on this host, in this session, and alive;
    never 0, -1 (every process the user owns), 1 or this process."""
    import platform

    from wgan_suite.trial.trial_status import local_worker

    sleep = [sys.executable, "-c", "import time; time.sleep(60)"]
    sleeper = subprocess.Popen(sleep)
    apart = subprocess.Popen(sleep, start_new_session=True)  # e.g. a pid reused since
    try:
        here = {"hostname": platform.node(), "pid": sleeper.pid}
        assert local_worker({"status": "running", "hardware": here}) == sleeper.pid
        assert local_worker({"status": "finished", "hardware": here}) is None
        elsewhere = {**here, "hostname": "another-host"}
        assert local_worker({"status": "running", "hardware": elsewhere}) is None
        for pid in (os.getpid(), apart.pid, 0, -1, 1, True, "7"):
            assert local_worker({"status": "running", "hardware": {**here, "pid": pid}}) is None
        assert local_worker({"status": "running"}) is None
    finally:
        for p in (sleeper, apart):
            p.kill()
            p.wait()
    assert local_worker({"status": "running", "hardware": here}) is None  # it has ended


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan", "inf", "99999"])
def test_a_bad_sigterm_deadline_is_refused_before_anything_is_written(
    tmp_path, monkeypatch, capsys, value
):
    monkeypatch.setenv("WGAN_SUITE_TERM_DEADLINE", value)
    runs = tmp_path / "runs"
    assert main(["run", "parallel_lines", "--budget", "smoke", "--runs", str(runs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: $WGAN_SUITE_TERM_DEADLINE=") and err.count("\n") == 1, err
    assert "(0, 3600]" in err and not runs.exists()
