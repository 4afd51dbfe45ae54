"""The catalogue of every result column: what each means, declared once on the entry
that writes it.

Metric entries (``wgan_suite.trial.metrics``), loss entries (``wgan_suite.trial.losses``)
and Lipschitz methods (``wgan_suite.trial.lipschitz``, their ``stats``) carry a ``columns``
dict, column name -> ``Column`` (``wgan_suite.core.columns``); the training record declares
its own columns (``wgan_suite.trial.train.trial.RECORD_COLUMNS``: losses, the step's
diagnostics, clocks) and collect those it adds (``collect_columns`` below: ``unstable``,
``updates``, smoothed estimates). Analysis, claims and report read the direction, role and
rank from here instead of keeping lists of their own, so a new metric or a loss with a new
estimate needs no edit elsewhere; a claim may name only a declared column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from wgan_suite.core.columns import ROLES, Column, is_pattern, matches
from wgan_suite.trial.lipschitz import LIPSCHITZ
from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.metrics import METRICS
from wgan_suite.trial.train.trial import RECORD_COLUMNS

KERNEL_ITERATIONS = 101  # the authors' median filter, in generator iterations
WORSE = 0.2  # a checkpoint whose quality score is 20% worse than the one before: unstable


def _registries() -> tuple[Any, ...]:
    return METRICS, LOSSES, LIPSCHITZ


def collect_columns() -> dict[str, Column]:
    """The columns collect adds to the results table (``wgan_suite.harness.results.collect``;
    ``wgan_suite.analysis.summaries`` computes them), declared like a metric's so that
    claims may name them."""
    smoothed = {
        f"{e}_smooth": Column(f"{e} median-filtered over {KERNEL_ITERATIONS} generator iterations")
        for e in estimate_columns()
    }
    return {
        **smoothed,
        "updates": Column("critic + generator updates so far (add_updates)"),
        "unstable": Column(
            f"True on the rows of a checkpoint interval whose quality score got more than "
            f"{WORSE:.0%} worse (mark_instability), else False"
        ),
    }


def _fixed() -> list[dict[str, Column]]:
    """The columns no registry entry writes: the training record's and collect's."""
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
    return next((c for p, c in table.items() if is_pattern(p) and matches(p, name)), None)


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
    return _ordered({n: c for n, c in declared((LOSSES,)).items() if c.role == "estimate"})
