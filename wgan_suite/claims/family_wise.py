"""Multiplicity: each verdict corrected within its family (Holm's step-down).

Each claim gets one two-sided decision p, ``min(1, 2 min(p for, p against))``: testing
both directions one-sided at alpha each would let up to 2 alpha of decisive verdicts be
wrong when the truth sits on the threshold. Within a family those p are Holm-adjusted
(``stats.holm_adjusted``). The confirmatory correction counts every claim of the family
and gives each claim that is not confirmatory (revised check, unregistered seeds, failed
premise, read below the claim's scale) p = 1, so nothing outside the
registered plan can lower another claim's bar.
Exploratory verdicts get the same correction over the family's exploratory p, shown as
such and never counted in the headline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

from wgan_suite.analysis.stats import Verdict, holm_adjusted

V = TypeVar("V")


def withheld(v: Any) -> bool:
    """A premise failed: the test's p is not a decision."""
    return bool(v.premise_failed)


def decision_p(v: Any) -> float:
    """Two-sided decision p of one verdict; 1 where it was withheld or nothing was tested."""
    if withheld(v) or v.p_value is None or v.p_against is None or not v.n:
        return 1.0
    return min(1.0, 2 * min(float(v.p_value), float(v.p_against)))


def direction(v: Any) -> str:
    """The verdict a significant decision p gives: the side of the smaller one-sided p."""
    if v.p_value is None or v.p_against is None:
        return Verdict.INCONCLUSIVE
    return Verdict.REPRODUCED if v.p_value <= v.p_against else Verdict.NOT_REPRODUCED


def _confirmatory_pool(verdicts: Sequence[Any], members: list[int]) -> tuple[list[int], int]:
    """The members Holm's confirmatory correction runs over, and its m: the claims a
    registration covers, with the registration's m (a registered claim the claims file no
    longer holds counts as p = 1, so deleting one cannot loosen the others' bound; a claim
    the registration left exploratory is not in the family it planned for). Without any
    registration, every member, as before."""
    registered = [i for i in members if getattr(verdicts[i], "registered_family_size", None)]
    if not registered:
        return members, len(members)
    m = max(verdicts[i].registered_family_size for i in registered)
    return registered, max(m, len(registered))


def with_family_holm(verdicts: Sequence[V]) -> list[V]:
    """Each verdict with ``p_decision``, ``p_holm``, ``holm_verdict`` and ``family_size``."""
    out = list(verdicts)
    families: dict[str, list[int]] = {}
    for i, v in enumerate(out):
        families.setdefault(v.family, []).append(i)
    for members in families.values():
        p = [decision_p(out[i]) for i in members]
        pool, m = _confirmatory_pool(out, members)
        in_pool = [decision_p(out[i]) if out[i].confirmatory else 1.0 for i in pool]
        confirmed = dict(
            zip(pool, holm_adjusted(in_pool + [1.0] * (m - len(pool)))[: len(pool)], strict=True)
        )
        explored = holm_adjusted(p)
        for k, i in enumerate(members):
            v = out[i]
            adjusted = confirmed[i] if v.confirmatory and i in confirmed else explored[k]
            decided = adjusted <= v.alpha and not withheld(v)
            out[i] = replace(
                v,
                p_decision=p[k],
                p_holm=adjusted,
                family_size=m if i in confirmed else len(members),
                holm_verdict=direction(v) if decided else Verdict.INCONCLUSIVE,
            )
    return out
