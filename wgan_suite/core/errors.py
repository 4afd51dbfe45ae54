"""Errors that mean "the input is wrong": the CLI prints their one line and exits 2."""

from __future__ import annotations


class InputError(ValueError):
    """Invalid input (a file, a flag, a directory, a cluster that cannot run the grid).

    The message is one line that names what is wrong and what is allowed; nothing has
    run and nothing has been written when it is raised.
    """


def short(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: error messages never echo unbounded input."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxdict, r.maxlevel = limit, limit, 6, 6, 3
    text = r.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
