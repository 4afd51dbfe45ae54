"""Checks of an ablation file that are about its shape, not its values.

Kept apart from ``wgan_suite.harness.ablation`` (which loads and expands) so that each stays
readable: how many trials a grid makes before it is built, and which ``base``
settings can never reach a trial.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def trial_count(design: Any) -> int:
    """Cells of a grid (``grid`` x ``zip``) before exclusions, computed without building it."""
    cells = math.prod(len(v) for v in design.grid.values())
    return cells * math.prod(len(next(iter(g.values()))) for g in design.zip)


def base_warnings(spec: Any, path: Path) -> list[str]:
    """Base values that every budget overrides: legal, but they never reach a trial."""
    dead = set(leaves(spec.base))
    for budget in spec.budgets.values():
        set_here = leaves(budget.overrides)
        dead = {k for k in dead if any(k == s or k.startswith(s + ".") for s in set_here)}
    return [
        f"{path}: base.{key} is overridden by every budget ({', '.join(spec.budgets)}); "
        "it has no effect"
        for key in sorted(dead)
    ]


def leaves(tree: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the non-mapping values of a nested mapping."""
    out = []
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.extend(leaves(value, f"{prefix}{key}."))
        else:
            out.append(f"{prefix}{key}")
    return out
