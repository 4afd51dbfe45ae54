"""A disk that fills during a real Ray run (issue 37 item 1).

A plugin (``$WGAN_SUITE_PLUGINS``, imported by the driver and every Ray worker) makes the
suite's writes under the runs directory fail with ENOSPC from the moment the first trial
has finished: the writes before succeed, the ones after meet a full disk, as when a small
filesystem fills up mid-run. The run must end promptly with exit 2 and one line naming
the disk, keep what finished, leave no process behind, and resume once space is back.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.test_tune import BUDGETS, ablation
from wgan_suite.core.env import PLUGINS, RAY_ENV

PLUGIN = '''
"""Test plugin: a disk that fills once the first trial of the run has finished."""
import contextlib, errno, json, os
from pathlib import Path
from wgan_suite.core import files

RUNS = Path(os.environ["FULL_DISK_RUNS"]).resolve()
MARKER = Path(os.environ["FULL_DISK_MARKER"])
_atomic, _append = files._atomic, files.append_jsonl


def _check(path):
    path = Path(path).resolve()
    if MARKER.exists() and RUNS in path.parents:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def atomic(path, write):
    _check(path)
    _atomic(path, write)
    if Path(path).name == "status.json":  # the first trial finished: the disk is full
        with contextlib.suppress(Exception):
            if json.loads(Path(path).read_text())["status"] == "finished":
                MARKER.touch()


def append_jsonl(path, row):
    _check(path)
    _append(path, row)


files._atomic, files.append_jsonl = atomic, append_jsonl
'''


def _ours(tag: str) -> list[int]:
    """Processes whose environment carries this run's tag (the driver's Ray included)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if tag.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
    return found


def _left(tag: str, within: float = 5.0) -> list[int]:
    """The run's processes still alive ``within`` seconds from now (none: at once). A run
    that has ended starts none, so the first empty look is the answer."""
    deadline = time.monotonic() + within
    while (found := _ours(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str, float]:
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"still running after {timeout:.0f} s: {(out + err)[-3000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err, time.monotonic() - start


@pytest.mark.slow
def test_a_disk_that_fills_during_a_run_stops_it_with_exit_2(tmp_path):
    path = ablation(tmp_path, "full", seeds=[0, 1, 2], grid={"loss": ["wgan", "gan_ns"]})
    runs, marker, plugins = tmp_path / "runs", tmp_path / "disk-is-full", tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "full_disk.py").write_text(PLUGIN)
    tag = f"FULL_DISK_TAG={uuid.uuid4().hex}"
    env = {**RAY_ENV, **os.environ, "PYTHONUNBUFFERED": "1", PLUGINS: str(plugins)}
    env |= {"FULL_DISK_RUNS": str(runs), "FULL_DISK_MARKER": str(marker)}
    env[tag.split("=")[0]] = tag.split("=")[1]
    cmd = [sys.executable, "-m", "wgan_suite", "run", str(path), "--budget", "smoke"]
    cmd += ["--runs", str(runs)]

    code, out, err, took = _run(cmd, env, timeout=300)
    said = out + err
    print(f"full disk: exit {code} in {took:.0f} s, {len(said.splitlines())} lines, "
          f"{said.count('Traceback')} tracebacks, {said.count('worker lost')} retries")  # fmt: skip
    assert marker.exists(), out[-2000:] + err[-2000:]  # the disk did fill mid-run
    assert code == 2, (code, out[-3000:], err[-3000:])
    assert "Traceback" not in out + err, err[-3000:]
    assert "worker lost" not in out, out[-3000:]
    errors = [line for line in err.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: disk full"), err[-3000:]
    assert str(runs) in errors[0]
    finished = {p.parent.name for p in runs.glob("trials/*/status.json")
                if '"status": "finished"' in p.read_text()}  # fmt: skip
    assert finished, out[-3000:]
    assert not _left(tag.split("=")[1]), "processes of the run left behind"

    marker.unlink()  # space is back (the plugin stays, with a marker it can never make)
    env["FULL_DISK_MARKER"] = str(tmp_path / "no-such-dir" / "never")  # cannot be made
    code, out, err, took = _run(cmd, env, timeout=300)
    print(f"rerun: exit {code} in {took:.0f} s")
    assert code == 0, (code, out[-3000:], err[-3000:])
    assert "6 trial(s): 6 finished" in out, out[-3000:]
    again = {p.parent.name for p in runs.glob("trials/*/status.json")
             if '"status": "finished"' in p.read_text()}  # fmt: skip
    assert finished <= again and len(again) == 6
    assert not _left(tag.split("=")[1])


def _mount_tmpfs(where: Path, size: str) -> bool:
    """A small filesystem of its own (root only; elsewhere the plugin case above stands in)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True)  # fmt: skip
    return done.returncode == 0


@pytest.mark.slow
def test_a_real_small_filesystem_that_fills_mid_run(tmp_path):
    """A 200 MB tmpfs as the runs directory, filled to the last byte (dd) once the first
    checkpoint is on it: every writer meets a real ENOSPC, Ray Tune's own (its experiment
    state, its result files) included. Before: a traceback from Tune's state save in 2 of
    3 runs of the hostile probe's case; after: one line, exit 2."""
    mnt = tmp_path / "mnt"
    if not _mount_tmpfs(mnt, "200m"):
        pytest.skip("mounting a tmpfs needs root")
    try:
        smoke = {"iterations": 400, "log_every": 40, "checkpoint_every": 100, "grid_size": 16}
        path = ablation(tmp_path, "fill", seeds=[0], grid={"loss": ["wgan", "gan_ns"]},
                        budgets={**BUDGETS, "smoke": smoke})  # fmt: skip
        runs = mnt / "runs"
        tag = f"{uuid.uuid4().hex}"
        env = {**RAY_ENV, **os.environ, "PYTHONUNBUFFERED": "1", "FILL_TAG": tag}
        cmd = [sys.executable, "-m", "wgan_suite", "run", str(path), "--budget", "smoke",
               "--runs", str(runs), "--new-runs"]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, start_new_session=True, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not list(runs.glob("trials/*/checkpoint*")) and time.monotonic() < deadline:
                assert proc.poll() is None, proc.stdout.read()[-3000:]
                time.sleep(0.2)
            subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/filler", "bs=1M", "count=400"],
                           capture_output=True)  # fmt: skip
            out, _ = proc.communicate(timeout=180)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        assert proc.returncode == 2, out[-3000:]
        assert "Traceback" not in out and "worker lost" not in out, out[-3000:]
        errors = [line for line in out.splitlines() if line.startswith("error")]
        assert len(errors) == 1 and errors[0].startswith("error: disk full"), out[-3000:]
        assert not _left(tag), "processes of the run left behind"
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
