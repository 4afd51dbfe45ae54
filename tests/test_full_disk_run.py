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
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.test_tune import ablation
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
    time.sleep(5)
    assert not _ours(tag.split("=")[1]), "processes of the run left behind"

    marker.unlink()  # space is back (the plugin stays, with a marker it can never make)
    env["FULL_DISK_MARKER"] = str(tmp_path / "no-such-dir" / "never")  # cannot be made
    code, out, err, took = _run(cmd, env, timeout=300)
    print(f"rerun: exit {code} in {took:.0f} s")
    assert code == 0, (code, out[-3000:], err[-3000:])
    assert "6 trial(s): 6 finished" in out, out[-3000:]
    again = {p.parent.name for p in runs.glob("trials/*/status.json")
             if '"status": "finished"' in p.read_text()}  # fmt: skip
    assert finished <= again and len(again) == 6
    time.sleep(5)
    assert not _ours(tag.split("=")[1])
