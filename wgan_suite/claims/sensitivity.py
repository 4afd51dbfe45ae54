"""How much a verdict owes to its threshold: the same check at 0.75x and 1.25x of it.

With few seeds a signed-rank p is 2^-n whenever every seed falls on one side of the
threshold, so the threshold, a suite choice, decides the verdict and the test only
counts seeds. The report shows the verdict with every ``threshold`` and ``margin`` of the
check scaled (a ratio's margin on the log scale), so a reader sees whether it tips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd
from pydantic import BaseModel

from wgan_suite.claims.schema import Claim
from wgan_suite.claims.verdicts import evaluate_claim

FACTORS = (0.75, 1.25)


def scaled(model: BaseModel, factor: float) -> BaseModel:
    """A copy of a check with every threshold and margin scaled by ``factor``."""
    update: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in ("threshold", "margin") and isinstance(value, int | float):
            ratio = getattr(model, "stat", None) == "ratio"
            update[name] = value**factor if ratio and value > 0 else value * factor
        elif isinstance(value, BaseModel) and not _is_measure(value):
            update[name] = scaled(value, factor)
        elif isinstance(value, tuple) and value and all(isinstance(v, BaseModel) for v in value):
            update[name] = tuple(scaled(v, factor) for v in value)
    return model.model_copy(update=update)


def _is_measure(value: BaseModel) -> bool:
    return not hasattr(value, "kind")  # a Measure (how a trial becomes a number), not a check


def sensitivity(claim: Claim, results: pd.DataFrame, trials: pd.DataFrame, budget: str) -> str:
    """``0.75x: reproduced; 1.25x: inconclusive`` on the same rows."""
    parts = []
    for f in FACTORS:
        other = claim.model_copy(update={"check": scaled(claim.check, f)})
        v = evaluate_claim(other, results, trials, budget)
        parts.append(f"{f:g}x: {str(v.verdict).replace('_', ' ')}")
    return "; ".join(parts)


def with_sensitivity(
    verdicts: Sequence[Any], claims: Sequence[Claim], results: pd.DataFrame, trials: pd.DataFrame
) -> list[Any]:
    """Each decided-or-tested verdict with its sensitivity, read on the trials it read"""
    by_id = {c.id: c for c in claims}
    out = []
    for v in verdicts:
        claim = by_id.get(v.claim_id)
        if claim is None or not v.budget or not v.trial_ids or v.p_value is None:
            out.append(v)
            continue
        ids = set(v.trial_ids)
        res = results[results["trial_id"].astype(str).isin(ids)] if len(results) else results
        tri = trials[trials["trial_id"].astype(str).isin(ids)] if len(trials) else trials
        out.append(replace(v, sensitivity=sensitivity(claim, res, tri, v.budget)))
    return out
