"""Errors the CLI answers with one line and an exit code, not a traceback: the input is
wrong (exit 2), a user-fixable OSError (exit 2), the runs directory is busy (exit 3). Here,
below every layer, so that the CLI maps them without importing the harness."""

from __future__ import annotations

import errno
import reprlib


class InputError(ValueError):
    """Invalid input (a file, a flag, a directory, a cluster that cannot run the grid).

    The message is one line that names what is wrong and what is allowed; nothing has
    run and nothing has been written when it is raised.
    """


def short(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: error messages never echo unbounded input."""
    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxdict, r.maxlevel = limit, limit, 6, 6, 3
    text = r.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RunsBusy(RuntimeError):
    """Another command holds the lock of a runs directory (``harness.lock``); the message
    names it. The CLI exits 3."""


# errno values of failures a user fixes (space, permissions, paths): exit 2, not a traceback
USER_FIXABLE = {
    errno.ENOSPC: "the disk is full: free space (or use --runs / --out on another disk) "
    "and run the same command again; finished trials are kept",
    errno.EDQUOT: "the disk quota is exhausted: free space and run the same command again",
    errno.EACCES: "permission denied: choose a directory you can write",
    errno.EPERM: "operation not permitted: choose a directory you can write",
    errno.EROFS: "read-only file system: choose a writable directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EISDIR: "is a directory: name a file",
    errno.ELOOP: "a symbolic link loop",
    errno.ENAMETOOLONG: "the path is too long",
}


def user_fixable(err: OSError) -> str | None:
    """One line for an OSError a user can fix (naming the file), else None (a bug)."""
    fix = USER_FIXABLE.get(err.errno)
    if fix is None:
        return None
    where = err.filename if err.filename is not None else "a file"
    return f"{where}: {err.strerror or err}; {fix}"
