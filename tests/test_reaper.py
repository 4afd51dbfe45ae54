"""The watch that ends what a local Ray leaves behind (wgan_suite.harness.reaper), on real
processes: the marked ones end, also one that ignores SIGTERM, when the driver releases
them or dies by SIGKILL; unmarked ones and the driver itself live on.

The agents Ray 2.60 leaves after a ``kill -9`` of the driver are stood in for by processes
with ``ray`` in their command line and a file open in the session directory; the real
case is tests/test_tune.py's SIGKILL test (slow), which checks every process of the
killed run's Ray session is gone within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wgan_suite.harness import reaper

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")

# sleeps 60 s; ignores SIGTERM as Ray's hung agents do; argv[1]: a file to hold open
SLEEPER = textwrap.dedent(
    """
    import signal, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    held = open(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "-" else None
    print("ready", flush=True)
    time.sleep(60)
    """
)


def sleeper(*args: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", SLEEPER, *args], stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"ready\n"
    return p


def gone_within(procs: list[subprocess.Popen], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(p.poll() is not None for p in procs):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def session(tmp_path):
    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "agent.log"
    log.write_text("")
    return tmp_path, log


def test_release_ends_the_marked_processes_and_spares_the_rest(session):
    session_dir, log = session
    other = session_dir.parent / "elsewhere.log"
    other.write_text("")
    procs = []
    try:
        with reaper.watch() as send_session:
            assert os.environ[reaper.VARIABLE]
            token_child = sleeper("-")  # inherits the token, as Ray's GCS and raylet do
            send_session(str(session_dir))
        assert reaper.VARIABLE not in os.environ  # only while Ray starts
        agent = sleeper(str(log), "ray::DashboardAgent")  # no token: held log + "ray"
        not_ray = sleeper(str(log))  # holds the log, but is not a Ray process
        elsewhere = sleeper(str(other), "ray")  # a Ray process of another session
        bystander = sleeper("-")  # started after the block: no token
        procs = [token_child, agent, not_ray, elsewhere, bystander]
        reaper.release()
        assert gone_within([token_child, agent], 3 * reaper.GRACE_S)
        time.sleep(0.5)
        assert [p.poll() for p in (not_ray, elsewhere, bystander)] == [None] * 3
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_a_driver_killed_by_sigkill_leaves_nothing_of_its_ray(session):
    session_dir, log = session
    driver_code = textwrap.dedent(
        f"""
        import subprocess, sys, time
        from wgan_suite.harness import reaper
        with reaper.watch() as send_session:
            child = subprocess.Popen([sys.executable, "-c", {SLEEPER!r}, "-"],
                                     stdout=subprocess.DEVNULL)
            send_session({str(session_dir)!r})
        agent = subprocess.Popen([sys.executable, "-c", {SLEEPER!r}, {str(log)!r}, "ray::x"],
                                 stdout=subprocess.DEVNULL, start_new_session=True)
        print(child.pid, agent.pid, flush=True)
        time.sleep(60)
        """
    )
    driver = subprocess.Popen([sys.executable, "-c", driver_code], stdout=subprocess.PIPE)
    pids = [int(x) for x in driver.stdout.readline().split()]
    assert len(pids) == 2
    try:
        time.sleep(0.3)  # the children are up and hold their files
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 3 * reaper.GRACE_S
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            time.sleep(0.05)
        assert not any(alive(p) for p in pids)
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's zombie is init's to collect, not ours)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
