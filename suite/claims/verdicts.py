"""Claims x results table -> one verdict per claim, with the numbers and the reason.

Reads only the tidy tables (STYLE 20). Each claim is judged on its ablation's rows at one
budget: the one asked for, else the largest present (paper > quick > smoke). A smoke run
checks plumbing, so its verdicts are always inconclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Literal

import pandas as pd

from suite.claims.context import Context
from suite.claims.schema import Claim, load_claims
from suite.claims.stats import Outcome

BUDGETS = ("paper", "quick", "smoke")  # largest first


@dataclass(frozen=True)
class Verdict:
    """What the report shows per claim."""

    claim_id: str
    paper: str
    location: str
    statement: str
    published: str
    setting: str
    ablation: str
    check: str  # human-readable check
    verdict: Literal["reproduced", "not_reproduced", "inconclusive"]
    measured: float | None  # point estimate: mean over seeds
    ci_low: float | None  # bootstrap 95% CI over seeds
    ci_high: float | None
    threshold: float | None  # what the CI was compared with (tolerance applied)
    n_seeds: int
    reason: str  # why; for inconclusive: what is missing
    trial_ids: tuple[str, ...]  # the trials it read
    budget: str | None


def evaluate_claims(
    results: pd.DataFrame,
    trials: pd.DataFrame,
    claims: Sequence[Claim] | None = None,
    budget: str | None = None,
) -> list[Verdict]:
    """One verdict per claim (default: every claim in ``claims/``), in claim order."""
    claims = load_claims() if claims is None else claims
    return [evaluate_claim(c, results, trials, budget) for c in claims]


def evaluate_claim(
    claim: Claim, results: pd.DataFrame, trials: pd.DataFrame, budget: str | None = None
) -> Verdict:
    res, tri = _of_ablation(results, claim.ablation), _of_ablation(trials, claim.ablation)
    chosen = budget or _largest_budget(res, tri)
    if chosen is None:
        why = f"no rows for ablation '{claim.ablation}' (run: python -m suite run {claim.ablation})"
        return _verdict(claim, Outcome("inconclusive", why), None)
    res, tri = _of_budget(res, chosen), _of_budget(tri, chosen)
    if res.empty and tri.empty:
        why = f"no rows for ablation '{claim.ablation}' at budget '{chosen}'"
        return _verdict(claim, Outcome("inconclusive", why), chosen)
    ctx = Context(res, tri, tolerance=claim.tolerance, min_seeds=claim.min_seeds)
    outcome = claim.check.run(ctx)
    if chosen == "smoke":
        why = f"smoke budget: a plumbing run, not evidence; {outcome.reason}"
        outcome = replace(outcome, verdict="inconclusive", reason=why)
    elif chosen in BUDGETS and BUDGETS.index(chosen) > BUDGETS.index(claim.min_budget):
        why = (
            f"budget '{chosen}' too small to decide: the claim is about training to "
            f"convergence (needs '{claim.min_budget}'); measured so far: {outcome.reason}"
        )
        outcome = replace(outcome, verdict="inconclusive", reason=why)
    return _verdict(claim, outcome, chosen)


def describe_check(claim: Claim) -> str:
    text = claim.check.describe()
    return f"{text}; tolerance {claim.tolerance:g}" if claim.tolerance else text


def verdicts_frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """One row per verdict; ``trial_ids`` joined by spaces (no arrays in cells, STYLE 16)."""
    rows = [{**asdict(v), "trial_ids": " ".join(v.trial_ids)} for v in verdicts]
    return pd.DataFrame(rows, columns=[f.name for f in fields(Verdict)])


def _verdict(claim: Claim, o: Outcome, budget: str | None) -> Verdict:
    return Verdict(
        claim_id=claim.id,
        paper=claim.paper,
        location=claim.location,
        statement=claim.statement,
        published=claim.published,
        setting=claim.setting,
        ablation=claim.ablation,
        check=describe_check(claim),
        verdict=o.verdict,
        measured=o.measured,
        ci_low=o.ci_low,
        ci_high=o.ci_high,
        threshold=o.threshold,
        n_seeds=o.n_seeds,
        reason=o.reason,
        trial_ids=o.trial_ids,
        budget=budget,
    )


def _of_ablation(frame: pd.DataFrame, ablation: str) -> pd.DataFrame:
    if frame is None or frame.empty or "ablation" not in frame.columns:
        return pd.DataFrame()
    return frame[frame["ablation"] == ablation]


def _of_budget(frame: pd.DataFrame, budget: str) -> pd.DataFrame:
    if frame.empty or "budget" not in frame.columns:
        return frame
    return frame[frame["budget"] == budget]


def _largest_budget(*frames: pd.DataFrame) -> str | None:
    present = {b for f in frames if "budget" in f.columns for b in f["budget"].dropna()}
    ranked = [b for b in BUDGETS if b in present]
    return ranked[0] if ranked else (sorted(present)[0] if present else None)
