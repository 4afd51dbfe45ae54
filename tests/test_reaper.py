"""The watch that ends what a local Ray leaves behind (wgan_suite.harness.reaper), on real
processes: the marked ones end, also those that ignore SIGTERM, when the driver releases
them, when the block that starts Ray fails, or when the driver dies by SIGKILL; unmarked
ones and the driver itself live on, and the watcher itself ends.

Ray's agents are stood in for by processes titled ``ray::...`` with a file open in the
session directory, or started with a fresh environment by a process that carries the
token; the real case is tests/test_tune.py's SIGKILL test (slow), which checks that every
process of the killed run's Ray session is gone within seconds.
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

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

# ignores SIGTERM as Ray's hung agents do; argv[1]: a file to hold open ("-": none);
# argv[2] == "spawn": also starts a child with an empty environment and prints its pid
SLEEPER = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    held = open(sys.argv[1]) if sys.argv[1] != "-" else None
    child = None
    if sys.argv[2:] == ["spawn"]:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env={})
    print("ready", child.pid if child else "", flush=True)
    time.sleep(60)
    """
)


def sleeper(held: str = "-", title: str | None = None, *extra: str) -> subprocess.Popen:
    """A sleeping process; ``title``: its argv[0] (``ray::...`` as Ray titles its own)."""
    p = subprocess.Popen(
        [title or sys.executable, "-c", SLEEPER, held, *extra],
        executable=sys.executable,
        stdout=subprocess.PIPE,
    )
    p.ready = p.stdout.readline().split()  # type: ignore[attr-defined]
    assert p.ready[0] == b"ready"  # type: ignore[attr-defined]
    return p


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def alive(pid: int) -> bool:
    """Running, not a zombie (a zombie's parent has yet to collect it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def with_argument(word: str) -> list[int]:
    """Pids of the processes with ``word`` among their arguments."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if word.encode() in (proc / "cmdline").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def end(procs: list[subprocess.Popen], *pids: int) -> None:
    for p in procs:
        p.kill()
        p.wait()
        p.stdout.close()
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def session(tmp_path):
    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "agent.log"
    log.write_text("")
    return tmp_path, str(log)


def test_release_ends_the_marked_processes_and_spares_the_rest(session):
    session_dir, log = session
    other = session_dir.parent / "elsewhere.log"
    other.write_text("")
    early = sleeper(log, "ray::Early")  # a Ray process that started before the watcher
    procs = [early]
    try:
        with reaper.watch() as send_session:
            token = os.environ[reaper.VARIABLE]
            token_child = sleeper()  # inherits the token, as Ray's GCS and raylet do
            parent = sleeper("-", None, "spawn")  # its child: a fresh environment
            time.sleep(4 * reaper.POLL_S)  # the watcher looks for children meanwhile
            send_session(str(session_dir))
        assert reaper.VARIABLE not in os.environ  # only while Ray starts
        agent = sleeper(log, "ray::DashboardAgent")  # no token: titled, holds its log
        not_ray = sleeper(log)  # holds the log, but is not titled as Ray's
        elsewhere = sleeper(str(other), "ray::Other")  # another session's Ray process
        bystander = sleeper()  # started after the block: no token
        procs += [token_child, parent, agent, not_ray, elsewhere, bystander]
        fresh = int(parent.ready[1])
        [watcher] = with_argument(token)
        reaper.release()
        ours = [token_child.pid, parent.pid, fresh, agent.pid]
        assert gone_within(ours, 3 * reaper.GRACE_S), [p for p in ours if alive(p)]
        assert gone_within([watcher], 3 * reaper.GRACE_S)  # and the watcher ends
        assert [alive(p.pid) for p in (early, not_ray, elsewhere, bystander)] == [True] * 4
    finally:
        end(procs, *(int(p.ready[1]) for p in procs if len(p.ready) > 1))


def test_a_failed_start_reaps_at_once(session):
    procs = []
    with pytest.raises(RuntimeError, match="no Ray"), reaper.watch():
        procs.append(sleeper())
        raise RuntimeError("no Ray")
    try:
        assert gone_within([procs[0].pid], 3 * reaper.GRACE_S)
    finally:
        end(procs)


def test_a_driver_killed_by_sigkill_leaves_nothing_of_its_ray(session):
    session_dir, log = session
    driver_code = textwrap.dedent(
        f"""
        import subprocess, sys, time
        from wgan_suite.harness import reaper
        def start(*args):
            p = subprocess.Popen([args[0], "-c", {SLEEPER!r}, *args[1:]],
                                 executable=sys.executable, stdout=subprocess.PIPE)
            assert p.stdout.readline().startswith(b"ready")  # its file is open
            return p
        with reaper.watch() as send_session:
            child = start(sys.executable, "-")
            send_session({str(session_dir)!r})
        agent = start("ray::DashboardAgent", {log!r})
        print(child.pid, agent.pid, flush=True)
        time.sleep(60)
        """
    )
    driver = subprocess.Popen([sys.executable, "-c", driver_code], stdout=subprocess.PIPE)
    pids = [int(x) for x in driver.stdout.readline().split()]
    assert len(pids) == 2
    try:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        driver.stdout.close()
        assert gone_within(pids, 3 * reaper.GRACE_S)
    finally:
        end([], *pids)


def test_an_unknown_session_marks_nothing_by_its_files(session, monkeypatch):
    """A Ray that names no session directory: realpath("") is the working directory, so
    sending it would mark every Ray process holding a file there (a runs directory)."""
    session_dir, log = session
    monkeypatch.chdir(session_dir)
    with reaper.watch() as send_session:
        send_session(None)
        send_session("")
    holder = sleeper(log, "ray::Worker")  # titled, holds a file under the working directory
    try:
        reaper.release()
        time.sleep(reaper.GRACE_S + 1)  # past the watcher's whole reap
        assert alive(holder.pid)
    finally:
        end([holder])
