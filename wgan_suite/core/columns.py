"""The meaning of a result column (``Column``), and the name patterns columns may use.

Entries that write columns (metrics, losses, Lipschitz methods, the training record)
declare them with this plain type; the catalogue that enumerates every declared column is
``wgan_suite.analysis.columns``.

A name holding the placeholder ``NN`` is a pattern: ``NN`` stands for an index of two
or more digits (``critic_grad_norm.LNN`` covers ``critic_grad_norm.L00``, ``.L12``).
Column names are otherwise lower case, so the placeholder cannot clash with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Better = Literal["lower", "higher"]
Role = Literal["quality", "diversity", "estimate", "diagnostic", "count"]
ROLES: tuple[str, ...] = ("quality", "diversity", "estimate", "diagnostic", "count")
PLACEHOLDER = "NN"


@dataclass(frozen=True)
class Column:
    """The meaning of one result column."""

    description: str  # one line for tables and the report
    better: Better | None = None  # which direction is an improvement; None: not a score
    role: Role = "diagnostic"  # quality, diversity, a distance estimate, a diagnostic, a count
    rank: int | None = None  # order among its role's headline columns (0 first); None: none

    def __post_init__(self) -> None:
        if self.better not in (None, "lower", "higher"):
            raise ValueError(f"better must be 'lower', 'higher' or None, got {self.better!r}")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {self.role!r}")


def is_pattern(name: str) -> bool:
    return PLACEHOLDER in name


def matches(pattern: str, name: str) -> bool:
    """Whether ``name`` is ``pattern`` (a pattern's ``NN``: an index of two or more digits)."""
    regex = re.escape(pattern).replace(PLACEHOLDER, r"\d{2,}")
    return re.fullmatch(regex, name) is not None
