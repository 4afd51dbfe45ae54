"""Runs through real Ray Tune after crashes, edits and with impossible requests (issue 11).

Each test names the item of issue 11 it keeps fixed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import records_without_timing
from tests.test_tune import BUDGETS, ablation, tables
from wgan_suite.cli import EXIT_BUSY, main
from wgan_suite.core import files
from wgan_suite.core.errors import InputError
from wgan_suite.harness.ablation import load_ablation
from wgan_suite.harness.plan import trial_dir
from wgan_suite.harness.tune import connect_check
from wgan_suite.trial.data.mnist import FashionMNIST, IdxSet
from wgan_suite.trial.train.trial import CHECKPOINT
from wgan_suite.trial.trial_status import read_status, write_status

pytestmark = pytest.mark.slow


SMOKE = {**BUDGETS, "smoke": {"iterations": 6, "log_every": 1, "checkpoint_every": 2}}


def grid(tmp_path: Path, name: str = "robust", **fields) -> Path:
    fields = {"seeds": [0], "grid": {"loss": ["wgan", "gan_ns"]}, "budgets": SMOKE, **fields}
    return ablation(tmp_path, name, **fields)


def run(path: Path, runs: Path, *extra: str) -> int:
    return main(["run", str(path), "--budget", "smoke", "--runs", str(runs), *extra])


def specs_of(path: Path):
    return load_ablation(path).trials("smoke")


# --------------------------------------------------------------------------- item 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_address_fails_in_seconds_naming_it(tmp_path, capsys):
    address = f"127.0.0.1:{free_port()}"
    start = time.monotonic()
    assert run(grid(tmp_path), tmp_path / "runs", "--address", address) == 2
    err = capsys.readouterr().err
    assert f"--address {address}: no Ray cluster answers" in err and err.count("\n") == 1
    assert time.monotonic() - start < 30
    assert not (tmp_path / "runs" / "trials").exists()


def test_open_port_that_is_not_ray_fails_within_the_timeout():
    """A TCP port that accepts and never answers: Ray would wait for it for minutes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"127.0.0.1:{server.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(InputError, match=f"--address {address}: no Ray handshake within 8 s"):
            connect_check(address, timeout_s=8)
        assert time.monotonic() - start < 30


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [({"cpu": 1000}, "cpu: 1000, gpu: 0 per trial"), ({"cpu": 1, "gpu": 1}, "gpu: 1 per trial")],
)
def test_resources_no_node_has_fail_in_seconds(tmp_path, ray_local, capsys, resources, fragment):
    path = grid(tmp_path, resources=resources)
    start = time.monotonic()
    assert run(path, tmp_path / "runs") == 2
    err = capsys.readouterr().err
    # a local run is refused before Ray or the runs directory (issue 27: refusals write
    # nothing); a cluster's nodes are checked once connected (check_resources)
    assert fragment in err and f"this machine has {os.cpu_count()} CPU(s)" in err
    assert time.monotonic() - start < 60
    assert not (tmp_path / "runs").exists()


def test_cluster_nodes_that_cannot_hold_a_trial_are_named(tmp_path, ray_local):
    """On a cluster (--address) the live nodes are what a trial must fit."""
    from wgan_suite.harness.tune import check_resources

    specs = specs_of(grid(tmp_path, resources={"cpu": 1000}))
    with pytest.raises(InputError, match=r"no node of the Ray cluster has that .*CPU 2"):
        check_resources(specs)


# --------------------------------------------------------------------------- item 10


def test_missing_data_fails_before_any_trial_with_the_fix(tmp_path, monkeypatch, capsys):
    nowhere = IdxSet("Fashion-MNIST", "FashionMNIST", (), "", "dataset-fashion-mnist")
    monkeypatch.setattr(FashionMNIST, "spec", nowhere)  # as on a fresh machine
    monkeypatch.setenv("WGAN_SUITE_DATA", str(tmp_path / "data"))
    images = {"name": "fashion_mnist", "image_size": 16, "channels": 1, "limit": 64}
    nets = {"name": "dcgan", "width": 8}
    base = {"data": images, "generator": nets, "critic": nets, "nz": 8, "batch_size": 8}
    path = grid(tmp_path, base={**base, "device": "cpu"})
    start = time.monotonic()
    assert run(path, tmp_path / "runs") == 2
    err = capsys.readouterr().err
    assert "Fashion-MNIST (train) is not on this machine" in err and "fix: " in err
    if Path("/etc/debian_version").exists():
        assert "fix: sudo apt-get install dataset-fashion-mnist" in err
    assert err.count("\n") == 1 and time.monotonic() - start < 30
    assert not (tmp_path / "runs" / "trials").exists()


# --------------------------------------------------------------------------- item 2


def test_edited_code_reruns_trials_or_keeps_them_marked(tmp_path, ray_local, capsys):
    path, runs = grid(tmp_path), tmp_path / "runs"
    assert run(path, runs) == 0
    clean = records_without_timing(runs)
    first = trial_dir(runs, specs_of(path)[0])

    def make_old():
        saved = files.read_json(first / "config.json")
        saved["code"]["code_hash"] = "0" * 64
        files.write_json(first / "config.json", saved)

    make_old()
    capsys.readouterr()
    assert run(path, runs) == 0
    out = capsys.readouterr().out
    assert "1 trial(s) ran other code" in out and "plan: 1 trial(s) to train, 1 reused" in out
    assert records_without_timing(runs) == clean and (runs / "superseded").is_dir()
    make_old()
    assert run(path, runs, "--keep-stale") == 0
    captured = capsys.readouterr()
    assert (
        "plan: nothing to train, 2 reused" in captured.out and "kept (--keep-stale)" in captured.out
    )
    assert "mixes results of 2 code versions" in captured.err
    _, trials = tables(runs)
    assert sorted(trials.code_hash.str[:4]) == sorted(["0000", trials.code_hash.iloc[1][:4]])


# --------------------------------------------------------------------------- items 3-5


def test_crash_leftovers_are_repaired_and_reported(tmp_path, ray_local, capsys):
    path, runs = grid(tmp_path, seeds=[0, 1]), tmp_path / "runs"
    assert run(path, runs) == 0
    clean = records_without_timing(runs)
    dirs = [trial_dir(runs, s) for s in specs_of(path)]

    # 5: killed after its final record, before its status: records prove it finished
    write_status(dirs[0], "running", iteration=None, wall_time=None)
    # 5: a garbled status.json
    (dirs[1] / "status.json").write_text('{"status": "fini')
    # 4: an interrupted trial whose latest checkpoint is damaged
    rows = files.read_jsonl(dirs[2] / "records.jsonl")
    files.write_jsonl(dirs[2] / "records.jsonl", [r for r in rows if r["iteration"] <= 5])
    write_status(dirs[2], "running")
    (dirs[2] / CHECKPOINT).write_bytes(b"\0" * 64)
    # 3: a finished trial whose first record is garbled
    data = (dirs[3] / "records.jsonl").read_bytes()
    (dirs[3] / "records.jsonl").write_bytes(b"\xff" + data[1:])

    assert main(["list", str(path), "--budget", "smoke", "--runs", str(runs)]) == 0
    listed = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()[2:]}
    ids = [s.trial_id for s in specs_of(path)]
    assert [listed[i] for i in ids] == ["finished", "finished", "interrupted", "corrupt"]

    assert main(["collect", "--runs", str(runs)]) == 0
    err = capsys.readouterr().err
    assert f"{dirs[3] / 'records.jsonl'}: line 1: not a JSON record" in err
    _, trials = tables(runs)
    corrupt = trials.set_index("trial_id").loc[ids[3]]
    assert corrupt.status == "corrupt" and "line 1" in corrupt.reason

    assert run(path, runs) == 0
    assert "plan: 2 trial(s) to train, 2 reused" in capsys.readouterr().out
    assert records_without_timing(runs) == clean  # nothing lost, nothing wrong
    status = read_status(dirs[0])
    assert status["status"] == "finished" and status["iteration"] == 6 and status["wall_time"]
    assert read_status(dirs[1])["status"] == "finished"
    warned = read_status(dirs[2])["warnings"]
    assert any(str(dirs[2] / CHECKPOINT) in w and "moved to" in w for w in warned)
    _, trials = tables(runs)
    assert set(trials.status) == {"finished"} and trials.warnings.notna().sum() >= 1


# --------------------------------------------------------------------------- item 1


def test_two_concurrent_runs_one_refused(tmp_path):
    path, runs = grid(tmp_path, seeds=[0, 1]), tmp_path / "runs"
    cmd = [sys.executable, "-m", "wgan_suite", "run", str(path), "--budget", "smoke"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [
        subprocess.Popen(
            [*cmd, "--runs", str(runs)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, EXIT_BUSY], outs
    refused = next(err for p, (_, err) in zip(procs, outs, strict=True) if p.returncode)
    assert "is in use by pid" in refused
    rows, trials = tables(runs)
    assert len(trials) == 4 and set(trials.status) == {"finished"}
    assert not rows.duplicated(["trial_id", "iteration"]).any()
    assert (rows.groupby("trial_id").iteration.max() == 6).all()
    # --wait: a third run waits for nothing here and schedules nothing
    again = subprocess.run([*cmd, "--runs", str(runs), "--wait"], env=env, capture_output=True)
    assert again.returncode == 0 and b"plan: nothing to train, 4 reused" in again.stdout
