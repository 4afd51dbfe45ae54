"""Ends what a local Ray leaves behind when the driver that started it is gone (Linux).

A ``kill -9`` of ``run`` (or the kernel's OOM killer) takes the driver, and with it Ray's
GCS and raylet, which share its fate; but Ray's dashboard and runtime-env agents (Ray
2.60) see their raylet die, log that they exit, and then hang in their own shut-down as
children of init, for good (the hostile probe's kill9_resume case: two per killed run,
still there after the rerun).

So before it starts a local Ray the driver starts this script (``watch``), outside its
session so that the signals aimed at the run do not reach it. A process is that Ray's
(``Marks``) when it started after the watcher, under the same user, and

- its starting environment holds a random token that the driver keeps in its own
  environment only while ``ray.init`` runs (GCS and raylet inherit it); or
- it is a child of such a process, seen while ``ray.init`` runs (the agents: the raylet
  starts them with a fresh environment); or
- it is titled ``ray::`` (agents and workers) and holds a file open in that Ray's session
  directory, which the driver sends down the pipe once ``ray.init`` has returned.

The script waits until the pipe closes: the driver closes it after ``ray.shutdown()``
(``release``), or when ``ray.init`` fails, and the kernel closes it when the driver dies,
however. It then asks every marked process to stop (SIGTERM) and kills the ones still
there ``GRACE_S`` seconds later. The driver is never touched, nor the processes of
another run (their own token and session), nor a cluster (``--address``: no local Ray
is started, so no watch). Without ``/proc`` there is no watch.

Run as a script (``python reaper.py VARIABLE TOKEN DRIVER_PID``, the pipe on stdin) it
imports nothing from the suite, so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

VARIABLE = "WGAN_RAY_SESSION_TOKEN"  # not WGAN_SUITE_*: those are forwarded to cluster workers
GRACE_S = 2.0
POLL_S = 0.2  # how often the agents are looked for while ray.init runs
SESSION = "session "  # the line the driver sends: "session /tmp/ray/session_..."


def _stat(proc: Path) -> tuple[int, int]:
    """(parent pid, start time in clock ticks since boot) of ``/proc/PID``."""
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[19])


@dataclass
class Marks:
    """What makes a process this run's Ray's."""

    env: bytes  # VARIABLE=token
    since: int  # the watcher's own start time: a process started before is never ours
    spare: frozenset[int]  # never touched: the driver and the watcher
    session: str | None = None  # the session directory, once the driver has sent it
    adopted: set[tuple[int, int]] = field(default_factory=set)  # (pid, start) of children

    def _ours(self, proc: Path) -> tuple[int, int] | None:
        """(pid, start) when ``proc`` is a candidate: not spared, our user, started since."""
        pid = int(proc.name)
        if pid in self.spare or proc.stat().st_uid != os.getuid():
            return None
        _, start = _stat(proc)
        return (pid, start) if start >= self.since else None

    def _tokened(self, proc: Path) -> bool:
        return self.env in (proc / "environ").read_bytes().split(b"\0")

    def match(self, proc: Path) -> bool:
        with contextlib.suppress(OSError, ValueError, IndexError):  # gone, or unreadable
            if (key := self._ours(proc)) is None:
                return False
            if key in self.adopted or self._tokened(proc):
                return True
            if not self.session or not (proc / "cmdline").read_bytes().startswith(b"ray::"):
                return False
            inside = self.session.rstrip("/") + "/"
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd).startswith(inside):
                        return True
        return False

    def adopt(self) -> None:
        """Remember the children of the token's processes (the agents) as they start."""
        procs = [p for p in Path("/proc").iterdir() if p.name.isdigit()]
        parents = set()
        for p in procs:
            with contextlib.suppress(OSError, ValueError, IndexError):
                if self._ours(p) is not None and self._tokened(p):
                    parents.add(int(p.name))
        for p in procs:
            with contextlib.suppress(OSError, ValueError, IndexError):
                ppid, _ = _stat(p)
                if ppid in parents and (key := self._ours(p)) is not None:
                    self.adopted.add(key)


def marked(marks: Marks) -> list[int]:
    """Pids of the processes ``marks`` matches."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and marks.match(p)]


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def reap(marks: Marks, grace_s: float = GRACE_S) -> None:
    """SIGTERM every marked process, SIGKILL those left after ``grace_s``."""
    _signal_all(marked(marks), signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while (left := marked(marks)) and time.monotonic() < deadline:
        time.sleep(0.1)
    _signal_all(left, signal.SIGKILL)


def _no_session(session_dir: str | None) -> None:
    pass


_WRITE_ENDS: list[int] = []  # this process's pipes to its watchers


def _close_write_ends() -> None:
    while _WRITE_ENDS:
        with contextlib.suppress(OSError):
            os.close(_WRITE_ENDS.pop())


# a fork that does not exec (none in the suite) must not keep a watcher waiting
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_write_ends)


@contextlib.contextmanager
def watch() -> Iterator[Callable[[str | None], None]]:
    """Start a watcher; the block starts Ray and calls what it yields with Ray's session
    directory (the token is in ``os.environ`` only within the block). If the block
    raises, the watcher reaps at once. Without ``/proc`` (not Linux), or where no process
    can start, the block runs without a watcher. ``release`` makes every watcher reap."""
    if not Path("/proc/self/stat").exists():
        yield _no_session
        return
    token = secrets.token_hex(16)
    read, write = os.pipe()  # not inheritable: no child of the driver holds it open
    try:
        # the script forks and its first process exits at once: the watcher is not this
        # process's child (no zombie, nothing to wait for) and is in a session of its own
        # (a Ctrl-C or a group SIGTERM to the run spares it)
        subprocess.run(
            [sys.executable, "-S", "-I", __file__, VARIABLE, token, str(os.getpid())],
            stdin=read,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,
            env={k: v for k, v in os.environ.items() if k != VARIABLE},
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):  # run without the watch, not at all
        os.close(read)
        os.close(write)
        yield _no_session
        return
    os.close(read)
    _WRITE_ENDS.append(write)  # closed by release() or by the kernel when the driver dies

    def session(session_dir: str | None) -> None:
        if not session_dir:  # unknown: realpath("") would name the working directory
            return
        with contextlib.suppress(OSError):  # the watcher is gone: nothing to tell
            os.write(write, f"{SESSION}{os.path.realpath(session_dir)}\n".encode())

    os.environ[VARIABLE] = token
    try:
        yield session
    except BaseException:  # Ray did not start (or half did): reap what there is now
        if write in _WRITE_ENDS:
            _WRITE_ENDS.remove(write)
            os.close(write)
        raise
    finally:
        os.environ.pop(VARIABLE, None)


def release() -> None:
    """Tell every watcher this process started that its Ray is down: they reap now."""
    _close_write_ends()


def _main(variable: str, token: str, driver: int) -> None:
    if os.fork() > 0:  # the driver waits for this first process only
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _, since = _stat(Path("/proc/self"))
    spare = frozenset({driver, os.getpid()})
    marks = Marks(env=f"{variable}={token}".encode(), since=since, spare=spare)
    sent = b""
    with contextlib.suppress(OSError):
        while True:
            if SESSION.encode() not in sent:  # ray.init is running: look for the agents
                marks.adopt()
                if not select.select([0], [], [], POLL_S)[0]:
                    continue
            chunk = os.read(0, 1 << 12)
            if not chunk:  # the driver closed it, or died
                break
            if len(sent) < 1 << 16:  # one short line is expected; never hold more
                sent += chunk
    lines = sent.decode(errors="replace").splitlines()
    sessions = [ln[len(SESSION) :] for ln in lines if ln.startswith(SESSION)]
    marks.session = sessions[-1] if sessions and sessions[-1].startswith("/") else None
    reap(marks)


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
