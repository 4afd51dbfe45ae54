"""Trial statuses and verdicts are spelt once, as enums (wgan_suite.core.statuses,
wgan_suite.analysis.stats):
no other module of the package writes them as string literals that could drift."""

from __future__ import annotations

import ast
from pathlib import Path

import wgan_suite
from wgan_suite.analysis.stats import Verdict
from wgan_suite.core.statuses import DONE, TrialStatus

ROOT = Path(wgan_suite.__file__).parent
HOMES = {TrialStatus: ROOT / "core" / "statuses.py", Verdict: ROOT / "analysis" / "stats.py"}
# Words that also name other things: reductions ("diverged", "failed"), a stability label
# ("diverged"), an unknown code hash ("unknown"), the folder damaged checkpoints go to
# ("corrupt").
OTHER_MEANINGS = {"diverged", "failed", "unknown", "corrupt"}


def _literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_statuses_and_verdicts_are_spelt_only_in_their_enums():
    words = {m.value: enum for enum in HOMES for m in enum}
    spelt = {}
    for path in ROOT.rglob("*.py"):
        for word in _literals(path) & set(words):
            if path != HOMES[words[word]] and word not in OTHER_MEANINGS:
                spelt.setdefault(word, []).append(str(path.relative_to(ROOT)))
    assert not spelt, f"spell these with the enums: {spelt}"


def test_enum_members_are_the_words_files_hold():
    assert TrialStatus("finished") is TrialStatus.FINISHED and "finished" in DONE
    assert f"{Verdict.NOT_REPRODUCED}" == "not_reproduced"
