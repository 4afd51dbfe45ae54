"""Atomic file writes: a crash leaves the old file or the new one, never half of one.

Reads are as strict as the writes are careful: a JSON-lines file is read whole or
rejected with the file and line (only a torn last line, the trace of a crash during
an append, is dropped, and the caller is told), and a checkpoint carries a checksum
of its tensors so that a truncated or altered one is named instead of resumed from.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from wgan_suite.core import safe_yaml


class CorruptFile(ValueError):
    """A file that exists but is not what it should be: names the file (and line)."""

    def __init__(self, path: str | Path, problem: str, line: int | None = None) -> None:
        self.path, self.problem, self.line = Path(path), problem, line
        where = f"{path}: line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: at import, before any
    thread)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp makes its file 0600; a file written whole gets the mode open() would give it
MODE = 0o666 & ~_umask()


def _atomic(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, MODE)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    _atomic(Path(path), lambda fh: fh.write(data))


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode())


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def torch_save(obj: Any, path: str | Path) -> None:
    _atomic(Path(path), lambda fh: torch.save(obj, fh))


def torch_load(path: str | Path, map_location: Any = "cpu") -> Any:
    """Checkpoints hold tensors and plain containers only: never unpickle code."""
    return torch.load(path, map_location=map_location, weights_only=True)


def append_jsonl(path: str | Path, row: dict[str, Any]) -> None:
    """One line per record, flushed at once: a crash can lose at most the line being written."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, sort_keys=True) + "\n")
        fh.flush()


def read_jsonl_checked(path: str | Path) -> tuple[list[dict[str, Any]], str | None]:
    """Every line of the file as a JSON object, and a note when a torn last line was dropped.

    A line is complete when it ends with a newline (``append_jsonl`` writes line and
    newline in one call, so a crash can only leave the last line without one). A
    complete line that is not a JSON object means the file was damaged, not torn:
    CorruptFile names the line, and nothing of the file is returned.
    """
    path = Path(path)
    if not path.exists():
        return [], None
    *lines, tail = path.read_bytes().split(b"\n")
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CorruptFile(path, f"not a JSON record ({_reason(err)})", number) from None
        if not isinstance(row, dict):
            raise CorruptFile(path, f"a JSON {type(row).__name__}, not a record", number)
        rows.append(row)
    note = None
    if tail:
        note = (
            f"{path}: line {len(lines) + 1} is incomplete ({len(tail)} bytes without a "
            "newline: a crash while it was appended); dropped"
        )
    return rows, note


def _reason(err: Exception) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"{err.msg} at column {err.colno}"
    return "not UTF-8 text"


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """``read_jsonl_checked`` that reports a dropped torn line as a warning."""
    rows, note = read_jsonl_checked(path)
    if note:
        warnings.warn(note, stacklevel=2)
    return rows


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def read_yaml(path: str | Path, error: type[Exception]) -> Any:
    """A small YAML file (see ``wgan_suite.core.safe_yaml``); any problem raises ``error`` naming
    it."""
    try:
        return safe_yaml.load(path)
    except safe_yaml.YamlInputError as exc:
        raise error(str(exc)) from None


# --------------------------------------------------------------------------- checkpoints

CHECKSUM_KEY = "sha256"


def tree_digest(tree: Any) -> str:
    """SHA-256 of a nested structure of tensors and plain values, independent of pickling.

    Dict keys are visited in sorted order; a tensor contributes its dtype, shape and
    bytes; anything else its ``repr``.
    """
    h = hashlib.sha256()

    def visit(node: Any) -> None:
        if isinstance(node, torch.Tensor):
            t = node.detach().cpu().contiguous()
            h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(node, dict):
            h.update(b"{")
            for key in sorted(node, key=repr):
                h.update(repr(key).encode() + b":")
                visit(node[key])
            h.update(b"}")
        elif isinstance(node, (list, tuple)):
            h.update(b"[")
            for item in node:
                visit(item)
            h.update(b"]")
        else:
            h.update(repr(node).encode() + b";")

    visit(tree)
    return h.hexdigest()


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """``torch.save`` of ``state`` plus the checksum of its content, written atomically.

    The file stays a plain ``torch.load``-able dict; the checksum is one more key.
    """
    torch_save({**state, CHECKSUM_KEY: tree_digest(state)}, path)


def load_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """A checkpoint whose checksum matches, or CorruptFile saying what is wrong with it."""
    try:
        state = torch_load(path, map_location=map_location)
    except Exception as err:  # truncated zip, garbage, a pickle of code: all unusable
        # torch's first sentence; the rest of its text (advice to unpickle code) is not ours
        first = (str(err).strip().splitlines() or [type(err).__name__])[0].split(". ")[0]
        raise CorruptFile(path, f"unreadable checkpoint ({first[:160]})") from None
    if not isinstance(state, dict) or CHECKSUM_KEY not in state:
        raise CorruptFile(path, "checkpoint without a checksum (not written by this suite)")
    expected = state.pop(CHECKSUM_KEY)
    if tree_digest(state) != expected:
        raise CorruptFile(path, "checkpoint content does not match its checksum (altered)")
    return state
