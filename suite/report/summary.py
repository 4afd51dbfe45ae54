"""The index's first screen: what the runs found, taken in at a glance.

A figure of verdicts (claims x budgets run), the counts per verdict, and for each claim
still undecided the smallest budget that would decide it, with why. The verdict a claim
shows in the tables is the one at the largest budget its ablation ran (``evaluate_claims``'
default); the figure adds what every smaller budget said, so a reader sees whether a
verdict held, appeared or flipped as the budget grew.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from suite.budgets import Budget, rank
from suite.report import plots
from suite.report.claims_table import VERDICTS, as_dict, verdict_tally
from suite.stats import ALPHA, Verdict, holm

SHORT = 140  # characters of a reason shown on the first screen; the rest is one click away


def budgets_run(*frames: pd.DataFrame) -> list[str]:
    """Budgets present in the tables, cheapest first (names the suite does not know last)."""
    found = {str(b) for f in frames if "budget" in f for b in f["budget"].dropna().unique()}
    known = sorted((b for b in found if b in Budget._value2member_map_), key=rank)
    return known + sorted(found - set(known))


def runs_present(*frames: pd.DataFrame) -> set[tuple[str, str]]:
    """(ablation, budget) pairs with at least one trial or row: where a verdict means something."""
    pairs: set[tuple[str, str]] = set()
    for f in frames:
        if {"ablation", "budget"} <= set(f.columns):
            both = f[["ablation", "budget"]].dropna().drop_duplicates()
            pairs |= {(str(a), str(b)) for a, b in both.itertuples(index=False)}
    return pairs


def by_claim(by_budget: Mapping[str, Sequence[Any]] | None, rows: list[dict]) -> dict:
    """budget -> claim id -> verdict; without per-budget verdicts, each claim's own budget."""
    if by_budget is None:
        out: dict[str, dict[str, str]] = {}
        for r in rows:
            if r["budget"]:
                out.setdefault(str(r["budget"]), {})[r["claim_id"]] = r["verdict"]
        return out
    return {
        str(b): {d["claim_id"]: d["verdict"] for d in map(as_dict, vs)}
        for b, vs in by_budget.items()
    }


def verdict_grid(
    rows: list[dict], verdicts: Mapping[str, Mapping[str, str]], runs: set, budgets: list[str]
) -> pd.DataFrame:
    """Claims (rows, table order) x budgets: the verdict, or None where the claim's
    ablation did not run at that budget (a blank cell, never a verdict of 'inconclusive')."""
    grid = {
        b: [
            verdicts.get(b, {}).get(r["claim_id"]) if (r["ablation"], b) in runs else None
            for r in rows
        ]
        for b in budgets
    }
    return pd.DataFrame(grid, index=[r["claim_id"] for r in rows], columns=budgets)


def _cells(grid: pd.DataFrame, row: int) -> list[str | None]:
    """One claim's verdicts per budget, None where not run (never NaN)."""
    return [v if isinstance(v, str) else None for v in grid.iloc[row]]


def counts_table(rows: list[dict], grid: pd.DataFrame) -> list[dict[str, Any]]:
    """Per verdict: the claims showing it (ids), and how many had it at each budget."""
    out = []
    for verdict in VERDICTS:
        ids = [r["claim_id"] for r in rows if r["verdict"] == verdict]
        per_budget = [int((grid[b] == verdict).sum()) for b in grid.columns]
        out.append({"verdict": verdict, "shown": len(ids), "ids": ids, "per_budget": per_budget})
    never = [str(c) for c in grid.index[grid.isna().all(axis=1)]]
    not_run = [int(grid[b].isna().sum()) for b in grid.columns]
    out.append({"verdict": "not run", "shown": len(never), "ids": never, "per_budget": not_run})
    return out


def short(text: str, limit: int = SHORT) -> str:
    """The first clause of a reason, cut at ``limit`` characters."""
    first = (text or "").split("; ")[0].strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def undecided(rows: list[dict]) -> list[dict[str, Any]]:
    """Each inconclusive claim: the smallest budget that would decide it (``next_budget``)
    and, in one line, why that budget can (the claim's own words); where no larger budget
    is listed, why the budgets that ran did not decide it. Where it stands now is in the
    figure; the full reason is one click away."""
    out = []
    for r in rows:
        if r["verdict"] != Verdict.INCONCLUSIVE:
            continue
        nxt = str(r.get("next_budget") or "")
        why = dict(r["deciding"]).get(nxt, "") if nxt else short(r["reason"])
        at = f"at {r['budget']}" if r["budget"] else "not run"
        out.append(
            {
                "claim_id": r["claim_id"],
                "anchor": r["anchor"],
                "next_budget": nxt,
                "why": why,
                "now": f"{at}: {r['reason']}",
            }
        )
    return out


def lead(rows: list[dict], grid: pd.DataFrame, budgets: list[str]) -> str:
    """One sentence: what was found, at which budgets, and how much was never run."""
    tally = verdict_tally(rows)
    never = int(grid.isna().all(axis=1).sum()) if len(grid.columns) else len(rows)
    run = ", ".join(budgets) or "none"
    return (
        f"Of {len(rows)} claims: {tally[Verdict.REPRODUCED]} reproduced, "
        f"{tally[Verdict.NOT_REPRODUCED]} not reproduced, "
        f"{tally[Verdict.INCONCLUSIVE]} inconclusive "
        f"({never} of them never run), each at the largest budget its ablation ran; "
        f"budgets run: {run}."
    )


def family_wise(rows: list[dict]) -> str:
    """How many decided verdicts survive Holm's correction across all claims tested: each
    claim is tested at its own alpha, so across ~30 claims a false verdict or two is what
    chance alone would give if no claim held."""
    decided = [r for r in rows if r["verdict"] in (Verdict.REPRODUCED, Verdict.NOT_REPRODUCED)]
    tested = [r for r in rows if r.get("p_value") is not None]
    if not decided or not tested:
        return ""
    p = [
        float(r["p_value"] if r["verdict"] != Verdict.NOT_REPRODUCED else r["p_against"])
        for r in tested
    ]
    alpha = min(float(r.get("alpha") or ALPHA) for r in tested)
    kept = {r["claim_id"] for r, k in zip(tested, holm(p, alpha), strict=True) if k}
    still = sum(r["claim_id"] in kept for r in decided)
    return (
        f"Each claim is tested at alpha {alpha:g}; with all {len(tested)} tested claims as one "
        f"family (Holm's correction), {still} of the {len(decided)} decided verdicts still hold."
    )


def build_summary(
    rows: list[dict],
    by_budget: Mapping[str, Sequence[Any]] | None,
    frames: Iterable[pd.DataFrame],
) -> dict[str, Any]:
    """Everything the first screen shows."""
    frames = list(frames)
    budgets = budgets_run(*frames)
    verdicts = by_claim(by_budget, rows)
    budgets += [b for b in verdicts if b not in budgets]  # verdicts for a budget not in tables
    grid = verdict_grid(rows, verdicts, runs_present(*frames), budgets)
    labels = [f"{r['claim_id']}  {short(r['location'], 26)}" for r in rows]
    figure = plots.verdict_heatmap(grid, labels) if len(rows) and budgets else None
    return {
        "lead": lead(rows, grid, budgets),
        "family_wise": family_wise(rows),
        "budgets": budgets,
        "figure": figure,
        "grid": [
            {"claim_id": r["claim_id"], "anchor": r["anchor"], "cells": _cells(grid, i)}
            for i, r in enumerate(rows)
        ],
        "counts": counts_table(rows, grid),
        "undecided": undecided(rows),
    }
