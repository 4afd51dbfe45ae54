"""Which code produced a result: a hash of the sources that can change it, plus git.

A trial's id hashes its config and budget, not the code: editing a loss must not
silently reuse results computed by the old loss, yet editing the report must not
rerun a hundred trials. So the *code hash* covers every ``.py`` file of the package
that runs in a trial or decides what one computes, and leaves out the stages that
only read the tables (``wgan_suite/report/``, ``wgan_suite/claims/``, the CLI) and the driver's
bookkeeping (``EXCLUDED`` below), and reads each file's code, not its comments or
docstrings. It is the same in a git checkout and in an installed wheel. In a checkout
the git commit and whether tracked files differ from it (``git_dirty``) are recorded
too, as provenance: they name the code for people, the hash decides reuse.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

import wgan_suite
from wgan_suite.core.statuses import TrialStatus

PACKAGE = Path(wgan_suite.__file__).resolve().parent
# Paths relative to the package; a trailing "/" excludes a folder. None of these runs
# inside a trial or changes what a trial computes.
EXCLUDED = (
    "report/",
    "claims/",
    "cli.py",
    "harness/results.py",  # the tables are rebuilt from the trial directories by every collect
    "analysis/summaries.py",  # summaries of the tables, recomputed by every collect
    "analysis/columns.py",  # the catalogue of columns (and collect's: WORSE), read after trials
    "harness/lock.py",
    "core/provenance.py",
    "harness/plan.py",
    "harness/grid_checks.py",  # counts and warnings about a file, before any trial
    "core/errors.py",
    "core/machine.py",  # records the CPU a trial ran on; computes nothing of it
    "core/safe_yaml.py",  # what it parses differently shows in the resolved config (the trial id)
    "trial/data/presence.py",  # whether files exist, before any trial
    "harness/labels.py",  # checks texts against configs; trains nothing
)
COLUMNS = ("code_hash", "git_commit", "git_dirty")


def _excluded(rel: str) -> bool:
    return any(rel.startswith(e) if e.endswith("/") else rel == e for e in EXCLUDED)


def hashed_files(root: Path = PACKAGE) -> list[Path]:
    """The sources the code hash covers, in a fixed order."""
    files = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" not in rel and not _excluded(rel):
            files.append(path)
    return files


@functools.lru_cache(maxsize=4)
def code_hash(root: Path = PACKAGE) -> str:
    """SHA-256 over the relative path and the code of every hashed source file.

    The code is the file's syntax tree without docstrings (comments are not in it): a
    comment or docstring edit changes no trial, so it retrains none; a file that does not
    parse counts by its bytes."""
    h = hashlib.sha256()
    for path in hashed_files(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(source_identity(path.read_bytes()) + b"\0")
    return h.hexdigest()


def source_identity(source: bytes) -> bytes:
    """What of a Python source decides what it computes: ``ast.dump`` of its tree with
    every docstring removed (no line numbers, no comments)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source
    scopes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        body = getattr(node, "body", None) if isinstance(node, scopes) else None
        if body and _is_docstring(body[0]):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False).encode()


def _is_docstring(statement: ast.stmt) -> bool:
    value = getattr(statement, "value", None)
    return (
        isinstance(statement, ast.Expr)
        and isinstance(value, ast.Constant)
        and (isinstance(value.value, str))
    )


def git_output(root: Path, *args: str, text: bool = True) -> str | bytes | None:
    """What ``git -C root ARGS`` prints (bytes with ``text=False``: a blob compared
    byte for byte); None where git is missing or the command fails."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=text, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


@functools.lru_cache(maxsize=4)
def git_state(root: Path = PACKAGE) -> tuple[str | None, bool | None]:
    """(commit, dirty) when the package is tracked in a git checkout, else (None, None).

    The package's own ``__init__.py`` must be tracked there: an installed copy inside
    some unrelated repository (a venv in a checkout) is not that repository's code.
    """
    if git_output(root, "ls-files", "--error-unmatch", "__init__.py") is None:
        return None, None
    commit = git_output(root, "rev-parse", "HEAD")
    status = git_output(root, "status", "--porcelain", "--untracked-files=no")
    if commit is None or status is None:
        return None, None
    return commit.strip(), bool(status.strip())


def code_identity() -> dict[str, Any]:
    """What a trial records about the code it ran (the keys are the table's columns)."""
    commit, dirty = git_state()
    return {"code_hash": code_hash(), "git_commit": commit, "git_dirty": dirty}


def code_versions(table: pd.DataFrame) -> pd.DataFrame:
    """One row per code hash in a results or trials table: its git commit(s) and trial count.

    A missing hash (a trial from before the suite recorded it) counts as its own
    version, ``unknown``; a trial that never started ran no code and is not counted.
    """
    if "status" in table:
        table = table[table["status"] != TrialStatus.PENDING]
    if "trial_id" not in table or table.empty or not any(c in table for c in COLUMNS):
        return pd.DataFrame(columns=["code_hash", "git_commit", "git_dirty", "trials"])
    cols = [c for c in COLUMNS if c in table]
    frame = table.drop_duplicates("trial_id")[["trial_id", *cols]].copy()
    for col in COLUMNS:
        if col not in frame:
            frame[col] = None
    frame["code_hash"] = frame["code_hash"].fillna("unknown")
    grouped = frame.groupby("code_hash", dropna=False)
    return pd.DataFrame(
        {
            "git_commit": grouped["git_commit"].agg(lambda s: ",".join(sorted(set(s.dropna())))),
            "git_dirty": grouped["git_dirty"].agg(lambda s: bool(s.fillna(False).any())),
            "trials": grouped["trial_id"].nunique(),
        }
    ).reset_index()


def mixes_code(table: pd.DataFrame) -> bool:
    """True when the rows of ``table`` were produced by more than one version of the code."""
    return len(code_versions(table)) > 1


def describe_mix(table: pd.DataFrame) -> str | None:
    """A one-line warning for a table that mixes code versions, else None."""
    versions = code_versions(table)
    if len(versions) <= 1:
        return None
    parts = [
        f"{r.code_hash[:12]} ({r.trials} trials"
        + (f", git {r.git_commit[:10]}{'+dirty' if r.git_dirty else ''}" if r.git_commit else "")
        + ")"
        for r in versions.itertuples()
    ]
    return f"the table mixes results of {len(versions)} code versions: " + "; ".join(parts)
