"""What each result column means, declared once on the entry that writes it.

Metric entries (``suite.metrics``), loss entries (``suite.losses``) and Lipschitz
methods (``suite.lipschitz``, their ``stats``) carry a ``columns`` dict, column name ->
``Column``; the training record declares its own columns (``suite.train.trial.
RECORD_COLUMNS``: losses, the step's diagnostics, clocks) and collect those it adds
(``suite.analysis.collect_columns``: ``unstable``, ``updates``, smoothed estimates).
Analysis, claims and report read the direction, role and rank from here instead of
keeping lists of their own, so a new metric or a loss with a new estimate needs no edit
elsewhere; a claim may name only a declared column (``suite.claims.columns``).

A name holding the placeholder ``NN`` is a pattern: ``NN`` stands for an index of two
or more digits (``critic_grad_norm.LNN`` covers ``critic_grad_norm.L00``, ``.L12``).
Column names are otherwise lower case, so the placeholder cannot clash with them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

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


def _matches(pattern: str, name: str) -> bool:
    regex = re.escape(pattern).replace(PLACEHOLDER, r"\d{2,}")
    return re.fullmatch(regex, name) is not None


def _registries() -> tuple[Any, ...]:
    # imported here: the entries import this module to declare their columns
    from suite.lipschitz import LIPSCHITZ
    from suite.losses import LOSSES
    from suite.metrics import METRICS

    return METRICS, LOSSES, LIPSCHITZ


def _fixed() -> list[dict[str, Column]]:
    """The columns no registry entry writes: the training record's and collect's."""
    from suite.analysis import collect_columns
    from suite.train.trial import RECORD_COLUMNS

    return [RECORD_COLUMNS, collect_columns()]


def declared(registries: tuple[Any, ...] | None = None) -> dict[str, Column]:
    """Every declared column: metric, loss and Lipschitz entries, each by entry name,
    then the training record's and collect's (only the given registries' when given).

    A name declared by two entries must mean the same (e.g. a loss and its subclass).
    """
    tables = [
        registry.get(entry_name).columns
        for registry in registries or _registries()
        for entry_name in registry
    ]
    out: dict[str, Column] = {}
    for table in tables if registries else [*tables, *_fixed()]:
        for name, info in table.items():
            if name in out and out[name] != info:
                raise ValueError(f"column '{name}' is declared twice with different meanings")
            out[name] = info
    return out


def _lookup(name: str, table: dict[str, Column]) -> Column | None:
    if name in table:
        return table[name]
    return next((c for p, c in table.items() if is_pattern(p) and _matches(p, name)), None)


def column_info(name: str) -> Column | None:
    """The declaration of a result column (patterns included), or None if undeclared."""
    return _lookup(name, declared())


def undeclared(names: Iterable[str], table: dict[str, Column] | None = None) -> list[str]:
    """The ``names`` no entry declares (patterns count: ``critic_grad_norm.L03``)."""
    table = declared() if table is None else table
    return [n for n in names if _lookup(n, table) is None]


def closest(name: str, table: dict[str, Column] | None = None, n: int = 3) -> list[str]:
    """The declared names nearest ``name`` in spelling (for 'did you mean')."""
    return difflib.get_close_matches(name, list(declared() if table is None else table), n=n)


def _ordered(table: dict[str, Column]) -> tuple[str, ...]:
    """Ranked columns by rank, then the unranked ones in declaration order."""
    order = {name: i for i, name in enumerate(table)}
    return tuple(sorted(table, key=lambda n: (table[n].rank is None, table[n].rank or 0, order[n])))


def columns_with_role(role: str) -> tuple[str, ...]:
    """Names (patterns included) of the declared columns with this role, ranked first."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return _ordered({n: c for n, c in declared().items() if c.role == role})


def quality_columns() -> tuple[str, ...]:
    """The headline quality scores, by rank: a trial's quality is the first present.

    FID where measured, then the CPU proxy ``fd_classifier``, then the toy sets' exact
    W1, then KID. Read ``column_info(name).better`` rather than assuming lower is better.
    """
    return tuple(n for n in columns_with_role("quality") if declared()[n].rank is not None)


def estimate_columns() -> tuple[str, ...]:
    """The per-iteration distance estimates the loss entries log (``w_estimate``,
    ``js_estimate``), by rank; the ``w_estimate`` metric reports each as ``<name>_eval``."""
    from suite.losses import LOSSES

    return _ordered({n: c for n, c in declared((LOSSES,)).items() if c.role == "estimate"})
