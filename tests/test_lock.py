"""One command at a time on a runs directory (issue 11, item 1).

Before the fix two ``run`` processes on one runs/ both trained, duplicated rows,
dropped a final metrics row, and both exited 0.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from tests.test_ablation_validation import VALID
from wgan_suite.cli import EXIT_BUSY, main
from wgan_suite.core.layout import RunsDir
from wgan_suite.harness.lock import RunsBusy, holder, runs_lock

HOLD = """
import sys, time
from pathlib import Path
from wgan_suite.harness.lock import runs_lock
with runs_lock(Path(sys.argv[1]), "run"):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_second_command_fails_at_once_naming_the_holder(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(VALID))
    runs = tmp_path / "runs"
    with runs_lock(runs, "run") as info:
        start = time.monotonic()
        code = main(["run", str(path), "--budget", "smoke", "--runs", str(runs)])
        err = capsys.readouterr().err
        assert code == EXIT_BUSY and time.monotonic() - start < 10
        assert f"pid {os.getpid()} on host {platform.node()} (run, since" in err
        assert "--wait" in err and err.count("\n") == 1
        assert main(["collect", "--runs", str(runs)]) == EXIT_BUSY
        assert holder(runs)["pid"] == info["pid"]
    assert not (runs / "trials").exists() and not (runs / "ablations").exists()
    assert holder(runs) is None and not RunsDir(runs).lock_info.exists()


def test_wait_starts_when_the_holder_ends(tmp_path, capsys):
    runs = tmp_path / "runs"
    released = threading.Event()
    locked = threading.Event()

    def hold():
        with runs_lock(runs, "run"):
            locked.set()
            time.sleep(1.5)
            released.set()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(10)
    assert main(["collect", "--runs", str(runs), "--wait"]) == 0
    assert released.is_set()  # it ran only after the holder let go
    thread.join()
    assert "waiting for" in capsys.readouterr().err


def test_lock_of_a_killed_process_is_taken_over(tmp_path, capsys):
    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(runs)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"locked"
        assert holder(runs)["pid"] == proc.pid
        with pytest.raises(RunsBusy, match=f"in use by pid {proc.pid}"), runs_lock(runs, "x"):
            pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert RunsDir(runs).lock_info.exists()  # a kill -9 leaves the holder's note behind
    assert holder(runs) is None  # but not the lock: the kernel released it
    assert main(["collect", "--runs", str(runs)]) == 0
    assert f"took over the lock of {runs} from pid {proc.pid}" in capsys.readouterr().err
