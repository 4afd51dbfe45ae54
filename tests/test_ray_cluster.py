"""A real Ray cluster: ``ray start --head`` and a worker node on loopback (issue 11).

A grid runs through ``--address``; the worker node is killed while a trial runs on
it; the grid must still complete, with the same records as a local run. The test
starts its own cluster (own port, own temp dir) and stops only the processes it
started: those of the two ``ray start`` sessions, found by session id, never a
global ``ray stop``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import records_without_timing
from tests.test_tune import ablation
from wgan_suite.core import files
from wgan_suite.core.env import RAY_ENV

pytestmark = pytest.mark.slow
RAY = Path(sys.executable).parent / "ray"
ENV = {**os.environ, **RAY_ENV, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONUNBUFFERED": "1"}
# a trial takes a few seconds on 1 CPU: long enough to be killed in the middle
BUDGETS = {
    "smoke": {"iterations": 400, "log_every": 10, "checkpoint_every": 50, "grid_size": 16},
    "quick": {"iterations": 1000},
    "paper": {"iterations": 10000},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_pids(sid: int) -> list[int]:
    """Every live (not zombie) process of a session: what one `ray start --block` spawned."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and os.getsid(int(entry.name)) == sid:
                pids.append(int(entry.name))
    return pids


def kill_session(sid: int, timeout_s: float = 20.0) -> list[int]:
    """SIGKILL the session's processes until none is left; returns any survivors."""
    deadline = time.monotonic() + timeout_s
    while (pids := session_pids(sid)) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    return session_pids(sid)


class Cluster:
    """A head node and one worker node, one CPU each, in their own temp dir and sessions."""

    def __init__(self, log_dir: Path) -> None:
        self.temp = Path(tempfile.mkdtemp(prefix="wgc-", dir="/tmp"))  # short: socket paths
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, *args: str) -> None:
        common = [
            "--num-cpus=1",
            "--num-gpus=0",
            f"--temp-dir={self.temp}",
            "--node-ip-address=127.0.0.1",
            f"--dashboard-agent-listen-port={free_port()}",
            "--disable-usage-stats",
            "--block",
        ]
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115  (closed by the process)
        self.procs[name] = subprocess.Popen(
            [str(RAY), "start", *args, *common],
            env=ENV,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: found and killed by session id
        )

    def start(self) -> None:
        self._start(
            "head",
            "--head",
            f"--port={self.port}",
            "--include-dashboard=false",
            f"--dashboard-port={free_port()}",
        )
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            assert time.monotonic() < deadline, "the head node did not come up"
            time.sleep(0.3)
        self._start("worker", f"--address={self.address}")
        self.wait_for_nodes(2)

    def wait_for_nodes(self, n: int) -> None:
        probe = (
            "import sys, ray; ray.init(address=sys.argv[1], logging_level=40); "
            "print(sum(x['Alive'] for x in ray.nodes()))"
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            out = subprocess.run(
                [sys.executable, "-c", probe, self.address], env=ENV, capture_output=True
            )
            if out.stdout.strip() == str(n).encode():
                return
            time.sleep(1)
        raise AssertionError(f"{n} nodes did not join")

    def kill(self, name: str) -> None:
        kill_session(self.procs[name].pid)
        self.procs[name].wait(timeout=30)

    def stop(self) -> None:
        left = {}
        for name, proc in self.procs.items():
            left[name] = kill_session(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", str(self.temp)], check=False)
        assert not any(left.values()), f"processes left behind: {left}"


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def trial_on(runs: Path, sid: int) -> Path | None:
    """A trial running in session ``sid`` (a node's processes) with a few records, if any."""
    for status in (runs / "trials").glob("*/status.json"):
        with contextlib.suppress(OSError, ValueError):
            st = files.read_json(status)
            pid = (st.get("hardware") or {}).get("pid")
            lines = (status.parent / "records.jsonl").read_bytes().count(b"\n")
            if st["status"] == "running" and pid and os.getsid(pid) == sid and lines >= 3:
                return status.parent
    return None


@pytest.mark.slow
def test_grid_survives_a_killed_worker_node(tmp_path, cluster):
    path = ablation(tmp_path, "cluster", seeds=[0, 1], grid={"loss": ["wgan"]}, budgets=BUDGETS)
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "wgan_suite", "run", str(path), "--budget", "smoke", "--runs"]
    driver = subprocess.Popen(
        [*cmd, str(runs), "--address", cluster.address],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        victim, deadline = None, time.monotonic() + 180
        while victim is None and time.monotonic() < deadline and driver.poll() is None:
            victim = trial_on(runs, cluster.procs["worker"].pid)
            time.sleep(0.1)
        assert victim is not None, "no trial ran on the worker node"
        cluster.kill("worker")  # the node and the trial on it, mid-trial
        out, _ = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0, out[-3000:]
    assert "worker lost; retry 1 of 3 from its last checkpoint (2 left)" in out
    assert "plan: 2 trial(s) to train, 0 reused" in out and "2 trial(s): 2 finished" in out

    local = tmp_path / "local"
    ref = subprocess.run(
        [*cmd, str(local)], cwd=tmp_path, env=ENV, capture_output=True, timeout=300
    )
    assert ref.returncode == 0, ref.stdout[-2000:]
    # nothing lost, nothing repeated, nothing different
    assert records_without_timing(runs) == records_without_timing(local)
