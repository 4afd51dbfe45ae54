"""Which code produced a result: a hash of the sources that can change it, plus git.

A trial's id hashes its config and budget, not the code: editing a loss must not
silently reuse results computed by the old loss, yet editing the report must not
rerun a hundred trials. So the *code hash* covers the training code, found rather than
listed: every module under ``wgan_suite/trial/`` and, transitively, every module of the
package those import (``import_closure``; the layer rule, tests/test_layers.py, keeps
them in ``core/``). The analysis, harness, claims, report and CLI code is never in it:
editing it changes which verdict is computed (the registration's analysis hash, recorded
with every verdict), never whether a trial is reused. Each file counts by its code, not
its comments or docstrings. It is the same in a git checkout and in an installed wheel.
In a checkout the git commit and whether tracked files differ from it (``git_dirty``)
are recorded too, as provenance: they name the code for people, the hash decides reuse.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import wgan_suite
from wgan_suite.core.statuses import TrialStatus

if TYPE_CHECKING:
    import pandas as pd

PACKAGE = Path(wgan_suite.__file__).resolve().parent
PACKAGE_NAME = wgan_suite.__name__  # what the package's own absolute imports start with
TRIAL_ROOTS = ("trial",)  # the training code: what runs inside a trial
COLUMNS = ("code_hash", "git_commit", "git_dirty")


def imported_files(path: Path, root: Path, package: str = PACKAGE_NAME) -> set[Path]:
    """The package's own modules ``path`` imports (absolute ``<package>.x`` imports,
    anywhere in the file: function-local ones included), as files under ``root`` (the
    package's folder, or a copy of it under any name)."""
    try:
        names = _imported_names(path.read_bytes())
    except (SyntaxError, ValueError):
        return set()  # counted by its bytes; it imports nothing that could run
    found = set()
    for name in names:
        if not name.startswith(f"{package}.") and name != package:
            continue
        parts = name.split(".")[1:]
        if not parts:  # `import <package>`: the package's __init__
            found.add(root / "__init__.py")
            continue
        rel = Path(*parts)
        for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
            if candidate.is_file():
                found.add(candidate)
        # a module's parent packages run their __init__ when it is imported
        for i in range(1, len(parts)):
            init = root.joinpath(*parts[:i], "__init__.py")
            if init.is_file():
                found.add(init)
    return found


@functools.lru_cache(maxsize=1024)
def _imported_names(source: bytes) -> frozenset[str]:
    """Every absolute module name a source imports, by its content (a report computes
    the analysis identity several times; parsing the package each time cost seconds)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return frozenset(names)


def import_closure(entries: Iterable[str], root: Path = PACKAGE) -> list[Path]:
    """The files under ``entries`` (folders or files relative to ``root``) and,
    transitively, every module of the package they import, in a fixed order."""
    todo: list[Path] = []
    for name in entries:
        path = root / name
        todo += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen or "__pycache__" in path.parts:
            continue
        seen.add(path)
        todo += sorted(imported_files(path, root) - seen)
    return sorted(seen)


def hashed_files(root: Path = PACKAGE) -> list[Path]:
    """The sources the code hash covers: the training code and what it imports."""
    return import_closure(TRIAL_ROOTS, root)


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
            # no optional locks: `git status` would otherwise take .git/index.lock for a
            # moment, and a user's own git command at that moment would fail on it
            ["git", "--no-optional-locks", "-C", str(root), *args],
            capture_output=True,
            text=text,
            timeout=10,
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
    # deferred: pandas takes ~1 s to import; every trial and command needs code_hash from
    # this module, only the tables (report, claims) need this
    import pandas as pd

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
