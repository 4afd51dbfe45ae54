"""Ends what a local Ray leaves behind when the driver that started it is gone.

A ``kill -9`` of ``run`` (or the kernel's OOM killer) takes the driver, and with it Ray's
GCS and raylet, which share its fate; but Ray's dashboard and runtime-env agents (Ray
2.60) see their raylet die, log that they exit, and then hang in their own shut-down as
children of init, for good (the hostile probe's kill9_resume case: two per killed run,
still there after the rerun).

So before it starts a local Ray the driver starts this script (``watch``), outside its
session so that the signals aimed at the run do not reach it. A process belongs to that
Ray (``marked``) when its starting environment holds a random token the driver keeps in
its own environment while ``ray.init`` runs (GCS, raylet, log monitor and every worker
inherit it), or when it is a Ray process (``ray`` in its command line) with a file open
in that Ray's session directory, which the driver sends down the pipe once ``ray.init``
has returned (the agents start with a fresh environment, which Ray's process titles
then overwrite in /proc, but they keep their logs open there). The script waits until
the pipe closes: the driver closes it after ``ray.shutdown()`` (``release``), and the
kernel closes it when the driver dies, however. It then asks every marked process to
stop (SIGTERM) and kills the ones still there ``GRACE_S`` seconds later. The driver
itself is never touched, nor another run, nor a cluster (``--address``: no local Ray is
started, so no watch).

Run as a script (``python reaper.py VARIABLE TOKEN``, the pipe on stdin) it imports
nothing from the suite, so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

VARIABLE = "WGAN_RAY_SESSION_TOKEN"  # not WGAN_SUITE_*: those are forwarded to cluster workers
GRACE_S = 2.0
SESSION = "session "  # the line the driver sends: "session /tmp/ray/session_..."


@dataclass(frozen=True)
class Marks:
    """What makes a process this run's Ray's."""

    env: bytes  # VARIABLE=token
    session: str | None  # the session directory, once the driver has sent it
    spare: frozenset[int]  # never touched: the driver and this process

    def match(self, proc: Path) -> bool:
        if int(proc.name) in self.spare:
            return False
        with contextlib.suppress(OSError):
            if self.env in (proc / "environ").read_bytes().split(b"\0"):
                return True
        if not self.session:
            return False
        with contextlib.suppress(OSError):
            if b"ray" not in (proc / "cmdline").read_bytes().lower():
                return False
            inside = self.session.rstrip("/") + "/"
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd).startswith(inside):
                        return True
        return False


def marked(marks: Marks) -> list[int]:
    """Pids of the processes ``marks`` matches (those gone or unreadable meanwhile skipped)."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and marks.match(p)]


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def reap(marks: Marks, grace_s: float = GRACE_S) -> list[int]:
    """SIGTERM every marked process, SIGKILL those left after ``grace_s``; the pids met."""
    met = marked(marks)
    _signal_all(met, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while (left := marked(marks)) and time.monotonic() < deadline:
        time.sleep(0.1)
    _signal_all(left, signal.SIGKILL)
    return met


def _no_session(session_dir: str) -> None:
    pass


_WRITE_ENDS: list[int] = []


@contextlib.contextmanager
def watch() -> Iterator[Callable[[str], None]]:
    """Start the watcher; the block starts Ray and calls what it yields with Ray's session
    directory (the token is in ``os.environ`` only within the block). Where there is no
    ``/proc`` (not Linux) or no process can start, the block runs without a watcher.
    ``release`` makes the watchers reap at once."""
    if not Path("/proc/self/environ").exists():
        yield _no_session
        return
    token = secrets.token_hex(16)
    read, write = os.pipe()  # not inheritable: no child of the driver holds it open
    try:
        subprocess.Popen(
            [sys.executable, "-S", "-I", __file__, VARIABLE, token],
            stdin=read,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C or a group SIGTERM to the run spares it
            env={k: v for k, v in os.environ.items() if k != VARIABLE},
        )
    except OSError:  # no process to spare: run without the watch rather than not at all
        os.close(read)
        os.close(write)
        yield _no_session
        return
    os.close(read)
    _WRITE_ENDS.append(write)  # closed by release() or by the kernel when the driver dies

    def session(session_dir: str) -> None:
        with contextlib.suppress(OSError):  # the watcher is gone: nothing to tell
            os.write(write, f"{SESSION}{session_dir}\n".encode())

    os.environ[VARIABLE] = token
    try:
        yield session
    finally:
        os.environ.pop(VARIABLE, None)


def release() -> None:
    """Tell every watcher this process started that its Ray is down: they reap now."""
    while _WRITE_ENDS:
        with contextlib.suppress(OSError):
            os.close(_WRITE_ENDS.pop())


def _main(variable: str, token: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    driver = os.getppid()  # read first: once the driver is gone, init adopts this process
    sent = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(0, 1 << 12):  # b"" once the driver closed it or died
            if len(sent) < 1 << 16:  # one short line is expected; never hold more
                sent += chunk
    lines = sent.decode(errors="replace").splitlines()
    sessions = [ln[len(SESSION) :] for ln in lines if ln.startswith(SESSION)]
    marks = Marks(
        env=f"{variable}={token}".encode(),
        session=sessions[-1] if sessions and sessions[-1].startswith("/") else None,
        spare=frozenset({driver, os.getpid()}),
    )
    reap(marks)


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
