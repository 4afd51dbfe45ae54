"""The budgets a trial can run at: one vocabulary for ablations, claims and the report.

Ordered from cheapest to the paper's own schedule. An ablation defines its settings per
budget; a claim states which budgets can decide it and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Budget(StrEnum):
    SMOKE = "smoke"  # seconds: plumbing, never evidence
    QUICK = "quick"  # minutes on a laptop CPU: first signals
    CPU = "cpu"  # hours on a 2-core CPU: the paper's algorithm, scaled-down data and nets
    PAPER = "paper"  # the paper's data, nets and schedule (GPU)


ORDER = tuple(Budget)  # cheapest first
REQUIRED = (Budget.SMOKE, Budget.QUICK, Budget.PAPER)  # every ablation defines these
MAX_TRIALS = 1_000  # per ablation and budget, unless raised with --max-trials


def rank(budget: str) -> int:
    return ORDER.index(Budget(budget))


def largest(present: Iterable[str]) -> Budget | None:
    """The most expensive budget among ``present`` (unknown names are ignored)."""
    known = [Budget(b) for b in present if b in Budget._value2member_map_]
    return max(known, key=rank) if known else None
