"""One module owns the on-disk layout (issue 26 item 3): ``wgan_suite/core/layout.py``
spells every file name of a trial directory, of ``runs/`` and of a report, and no other
module of the package does.

The scan reads every module with ``ast`` and looks at its string constants (the pieces
of f-strings too), docstrings and comments aside:

* a name that cannot be mistaken for anything else (``records.jsonl``,
  ``checkpoint-previous``, ``superseded``, ``trials.parquet`` ...) may not appear in
  any string at all, not even a message;
* a plain word the layout also uses for a folder (``trials``, ``checkpoint``,
  ``samples``, ``report`` ...) may not be a path's part: an operand of ``/``, the
  argument of ``Path()``, ``joinpath``, ``glob``, or the value of a module's constant
  (as a record field, a column or a section name it stays an ordinary word).

Tests may still spell names: the second half pins them, so existing runs directories
stay readable.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import wgan_suite
from wgan_suite.core.layout import OWNED, ReportDir, RunsDir, TrialDir

PACKAGE = Path(wgan_suite.__file__).parent
LAYOUT = PACKAGE / "core" / "layout.py"

TABLES = {
    f"{t}{s}"
    for t in (RunsDir.RESULTS, RunsDir.TRIALS)
    for s in (RunsDir.TABLE_SUFFIX, RunsDir.CSV_SUFFIX)
}
# distinctive: a file name with an extension (not a bare suffix), a hyphenated folder,
# the superseded folder; searched inside every string
DISTINCT = {
    n for n in OWNED if "." in n.lstrip(".") or "-" in n or n == RunsDir.SUPERSEDED
} | TABLES
# plain words and bare suffixes: only as a part of a path; two of them also name other
# folders as a part of a path (the project's ``ablations/``, found by core.locations; a
# package's ``data/``), so they are left to review
AMBIGUOUS = {RunsDir.PLANS, ReportDir.EVIDENCE}
GENERIC = OWNED - DISTINCT - AMBIGUOUS
PATH_CALLS = {"Path", "PurePath", "PosixPath", "joinpath", "glob", "rglob"}


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _pieces(node: ast.AST) -> list[str]:
    """The literal text of a string constant or of an f-string's constant parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    return []


def _named_constants(tree: ast.Module) -> list[ast.AST]:
    """Strings a module names at its top (``TRIALS = "trials"``): a path part later."""
    return [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and node.value is not None
        and all(isinstance(t, ast.Name) and t.id.isupper() for t in _targets(node))
    ]


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _path_parts(tree: ast.Module) -> list[ast.AST]:
    """String nodes used as a part of a path, or kept in a module's constant."""
    found: list[ast.AST] = _named_constants(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            found += [node.left, node.right]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in PATH_CALLS:
                found += node.args
    return found


def _generic_in_path(text: str, generic: set[str]) -> str | None:
    for part in text.split("/"):
        if part in generic:
            return part
        if part.startswith(TrialDir.GRID_PREFIX) or part.endswith(RunsDir.TABLE_SUFFIX):
            return part
    return None


def spelt_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of every layout name a module's source spells."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    token = re.compile(
        "|".join(rf"(?<![\w.-]){re.escape(n)}(?![\w-]|\.\w)" for n in sorted(DISTINCT, key=len))
    )
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in docs or not isinstance(node, ast.Constant):
            continue
        for text in _pieces(node):
            hits += [(node.lineno, m.group(0)) for m in token.finditer(text)]
    constants = {id(n) for n in _named_constants(tree)}
    for node in _path_parts(tree):
        generic = GENERIC | AMBIGUOUS if id(node) in constants else GENERIC
        for text in _pieces(node):
            name = _generic_in_path(text, generic)
            if name is not None:
                hits.append((node.lineno, name))
    return sorted(set(hits))


def test_no_module_but_layout_spells_a_layout_name():
    spelt = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == LAYOUT:
            continue
        rel = path.relative_to(PACKAGE.parent)
        spelt += [f"{rel}:{line}: {name!r}" for line, name in spelt_names(path.read_text())]
    assert not spelt, "use wgan_suite.core.layout instead:\n" + "\n".join(spelt)


@pytest.mark.parametrize(
    "source",
    [
        'p = trial_dir / "records.jsonl"',
        'msg = f"{folder} holds no trials.parquet"',
        'p = runs / "trials" / name',
        'p = Path("checkpoint") / "x"',
        'found = d.glob("samples/iter_*.png")',
        'p = runs / f"{name}.parquet"',
        'p = runs / "superseded"',
        'p = out / "verdicts.csv"',
        'os.open(runs / ".lock", 0)',
        'msg = "see records.jsonl."',
        'TRIALS = "trials"',
        'MEMBERS = "ablations"',
        'LOCK_FILE: str = ".lock"',
    ],
)
def test_the_scan_finds_a_spelt_name(source):
    assert spelt_names(source), source


@pytest.mark.parametrize(
    "source",
    [
        '"""Writes records.jsonl and status.json."""',
        'row = {"checkpoint": 1, "trials": []}',
        'if "checkpoint" in row: pass',
        'Section("samples", f"samples{suffix}", "Samples")',
        'p = cache_dir() / "classifiers" / f"{name}.pt"',
        'open(path.with_name(path.name + ".lock"), "w")',
        "path = runs / RunsDir.SUPERSEDED",
        'render("index.html.j2", out)',
        'root / "ablations"',
    ],
)
def test_the_scan_leaves_ordinary_words(source):
    assert not spelt_names(source), source


def test_the_layout_keeps_the_names_runs_directories_have(tmp_path):
    trial = TrialDir(tmp_path)
    assert trial.config == tmp_path / "config.json"
    assert trial.records == tmp_path / "records.jsonl"
    assert trial.status == tmp_path / "status.json"
    assert trial.checkpoint_dir == tmp_path / "checkpoint"
    assert trial.checkpoint == tmp_path / "checkpoint" / "state.pt"
    assert trial.previous == tmp_path / "checkpoint-previous" / "state.pt"
    assert trial.checkpoints == (trial.checkpoint, trial.previous)
    assert trial.corrupt == tmp_path / "corrupt"
    assert str(TrialDir.grid_rel(1500)) == "samples/iter_0001500.png"
    assert trial.grid(0) == tmp_path / "samples" / "iter_0000000.png"

    runs = RunsDir(str(tmp_path))  # a str is taken as a path
    assert runs.path == tmp_path
    assert runs.trial("abc").path == tmp_path / "trials" / "abc"
    assert str(RunsDir.trial_rel("abc")) == "trials/abc"
    assert runs.plan("wgan_vs_gan", "smoke") == tmp_path / "ablations" / "wgan_vs_gan--smoke.json"
    assert runs.results == tmp_path / "results.parquet"
    assert runs.trials == tmp_path / "trials.parquet"
    assert runs.results_csv == tmp_path / "results.csv"
    assert runs.trials_csv == tmp_path / "trials.csv"
    assert runs.lock == tmp_path / ".lock"
    assert runs.lock_info == tmp_path / ".lock.json"
    assert runs.superseded == tmp_path / "superseded"
    assert runs.report == tmp_path / "report"
    assert runs.tune == tmp_path / "tune"
    assert set(RunsDir.marks()) == {"trials", "ablations", "results.parquet", ".lock"}

    report = ReportDir(tmp_path)
    assert report.index == tmp_path / "index.html"
    assert report.verdicts == tmp_path / "verdicts.csv"
    assert report.evidence == tmp_path / "data"


def test_listings_find_what_is_there(tmp_path):
    trial = TrialDir(tmp_path)
    for it in (10, 0, 5):
        trial.grid(it).parent.mkdir(exist_ok=True)
        trial.grid(it).write_bytes(b"")
    (trial.samples / "notes.txt").write_text("")
    assert trial.grids() == [trial.grid(0), trial.grid(5), trial.grid(10)]

    runs = RunsDir(tmp_path)
    for name in ("b", "a"):
        runs.plan(name, "smoke").parent.mkdir(exist_ok=True)
        runs.plan(name, "smoke").write_text("{}")
    (runs.plans / "README").write_text("")
    assert runs.plan_files() == [runs.plan("a", "smoke"), runs.plan("b", "smoke")]
