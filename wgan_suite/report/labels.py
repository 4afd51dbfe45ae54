"""Axis labels and table headers from the metric metadata declared on each metric entry.

``wgan_suite.analysis.columns.column_info(name)`` says what a result column means, which direction
is
better and its role. The report reads it instead of writing "(lower is better)" by hand
next to every metric. Until every entry declares its columns (and on tables holding a
column nobody declared) the lookup falls back to the bare column name with no direction:
a label that says nothing is better than one that guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from wgan_suite.analysis import columns


@dataclass(frozen=True)
class Meta:
    """What the report knows about one column."""

    name: str
    description: str  # "" when undeclared
    better: str | None  # "lower", "higher" or None (not a score, or undeclared)
    role: str | None  # quality / diversity / estimate / diagnostic / count, or None


@cache
def meta(name: str) -> Meta:
    """The declared metadata of ``name``, or an empty declaration when there is none."""
    lookup = getattr(columns, "column_info", None)
    try:
        info = lookup(name) if callable(lookup) else None
    except Exception:  # a registry that cannot be read must not take the report down
        info = None
    if info is None:
        return Meta(name, "", None, None)
    better = getattr(info, "better", None)
    return Meta(
        name,
        str(getattr(info, "description", "") or ""),
        better if better in ("lower", "higher") else None,
        getattr(info, "role", None),
    )


def label(name: str) -> str:
    """``fd_classifier (lower is better)``; the bare name when no direction is declared."""
    better = meta(name).better
    return f"{name} ({better} is better)" if better else name


def final_label(name: str) -> str:
    """``final fd_classifier (lower is better)``: the value at a trial's last checkpoint."""
    return f"final {label(name)}"


def describe(name: str) -> str:
    """The declared one-line description (for a ``title`` attribute), else the name."""
    return meta(name).description or name


def lower_is_better(name: str) -> bool:
    """Direction for computations (not labels): quality scores in this suite are distances
    (FID, the classifier proxy, W1) unless a declaration says otherwise."""
    return meta(name).better != "higher"
