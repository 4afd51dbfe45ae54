"""One command at a time on a runs directory: ``run``, ``reproduce`` and ``collect`` lock it.

Two drivers on one ``runs/`` would train the same trials twice, interleave their
records and rewrite the tables under each other. The lock is ``flock`` on
``runs/.lock``: the kernel releases it when its holder exits, however it exits, so
the lock of a killed process is never "stale" (the next command simply gets it, and
says whose it was). Who holds it (pid, host, command, start time) is written next
to it in ``runs/.lock.json`` so that a refused command can name the holder.

``flock`` works across processes of one machine and, on Linux, over NFS (emulated
with POSIX locks); a runs directory on a file system without locks is not supported.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wgan_suite.core import files
from wgan_suite.core.errors import InputError, RunsBusy
from wgan_suite.core.layout import RunsDir

GRACE_S = 1.0  # a refused try is retried this long: `list` probes the lock for an instant


def _describe(info: dict[str, Any] | None) -> str:
    if not info:
        return "another process (it has not written its name yet)"
    since = datetime.fromtimestamp(info.get("started", 0), UTC).astimezone()
    return (
        f"pid {info.get('pid')} on host {info.get('host')} "
        f"({info.get('command')}, since {since:%Y-%m-%d %H:%M:%S %Z})"
    )


def read_info(runs: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(RunsDir(runs).lock_info.read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _open(runs: Path) -> int:
    """The lock file's descriptor; a runs directory we cannot write is invalid input."""
    try:
        runs.mkdir(parents=True, exist_ok=True)
        return os.open(RunsDir(runs).lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        why = err.strerror or str(err)
        if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            why += " (the runs directory must be writable)"
        raise InputError(f"runs directory {runs}: {why}") from None


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextlib.contextmanager
def runs_lock(
    runs: Path,
    command: str,
    *,
    wait: bool = False,
    poll_s: float = 0.5,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> Iterator[dict[str, Any]]:
    """Hold the lock of ``runs`` for the block; RunsBusy at once, or wait with ``wait``."""
    fd = _open(runs)
    try:
        deadline = time.monotonic() + GRACE_S
        told = False
        while not _try(fd):
            if not wait and time.monotonic() > deadline:
                raise RunsBusy(
                    f"{runs} is in use by {_describe(read_info(runs))}; wait for it to finish, "
                    "or pass --wait to start when it has"
                )
            if wait and not told:
                say(f"waiting for {runs}: in use by {_describe(read_info(runs))}")
                told = True
            time.sleep(poll_s)
        previous = read_info(runs)
        if previous and previous.get("pid") != os.getpid():
            say(f"note: took over the lock of {runs} from {_describe(previous)}, which has ended")
        info = {
            "pid": os.getpid(),
            "host": platform.node(),
            "command": command,
            "started": time.time(),
        }
        files.write_json(RunsDir(runs).lock_info, info)
        try:
            yield info
        finally:
            RunsDir(runs).lock_info.unlink(missing_ok=True)
    finally:
        os.close(fd)  # releases the flock


def holder(runs: Path) -> dict[str, Any] | None:
    """Who holds the lock of ``runs`` now (None: nobody), without waiting.

    Probing takes the lock for an instant; a command starting in that instant retries
    for ``GRACE_S`` before it gives up.
    """
    try:
        fd = os.open(RunsDir(runs).lock, os.O_RDWR)
    except OSError:
        return None
    try:
        if _try(fd):
            return None
        return read_info(runs) or {}
    finally:
        os.close(fd)
