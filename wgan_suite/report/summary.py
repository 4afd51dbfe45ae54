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

from wgan_suite.analysis.stats import ALPHA, Verdict
from wgan_suite.claims.families import DESCRIPTION as FAMILY_DESCRIPTION
from wgan_suite.claims.families import ORDER as FAMILY_ORDER
from wgan_suite.core.budgets import Budget, rank
from wgan_suite.report import plots
from wgan_suite.report.claims_table import VERDICTS, as_dict, verdict_tally

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
    frame = pd.DataFrame(grid, index=[r["claim_id"] for r in rows], columns=budgets)
    # a budget at which no claim's ablation ran (a smoke run of an ablation without
    # claims) would be an all-empty column: only budgets that decide something are shown
    return frame[[b for b in budgets if frame[b].notna().any()]]


def _cells(grid: pd.DataFrame, row: int) -> list[str | None]:
    """One claim's verdicts per budget, None where not run (never NaN)."""
    return [v if isinstance(v, str) else None for v in grid.iloc[row]]


def counts_table(rows: list[dict], grid: pd.DataFrame) -> list[dict[str, Any]]:
    """Per verdict: the claims showing it (ids), and how many had it at each budget."""
    never = [str(c) for c in grid.index[grid.isna().all(axis=1)]]
    out = []
    for verdict in VERDICTS:  # a claim never run is counted once: under "not run"
        ids = [
            r["claim_id"] for r in rows if r["verdict"] == verdict and r["claim_id"] not in never
        ]
        per_budget = [int((grid[b] == verdict).sum()) for b in grid.columns]
        out.append({"verdict": verdict, "shown": len(ids), "ids": ids, "per_budget": per_budget})
    not_run = [int(grid[b].isna().sum()) for b in grid.columns]
    out.append({"verdict": "not run", "shown": len(never), "ids": never, "per_budget": not_run})
    total = [sum(r["per_budget"][i] for r in out) for i in range(len(grid.columns))]
    out.append(
        {
            "verdict": "all claims",
            "shown": sum(r["shown"] for r in out),
            "ids": [],
            "per_budget": total,
        }
    )
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
        f"Per claim, unadjusted (one-sided tests at alpha each way; exploratory unless "
        f"registered): of {len(rows)} claims, {tally[Verdict.REPRODUCED]} reproduced, "
        f"{tally[Verdict.NOT_REPRODUCED]} not reproduced, "
        f"{tally[Verdict.INCONCLUSIVE]} inconclusive "
        f"({never} of them never run), each at the largest budget its ablation ran; "
        f"budgets run: {run}."
    )


def scope(rows: list[dict]) -> str:
    """One sentence: how many claims this run can confirm or refute (read at their scale,
    at a budget that can decide them) and how many it read below their scale, where either
    direction is exploratory (wgan_suite.claims.scale)."""
    at = sum(bool(r.get("refutable")) for r in rows)
    below = sum(bool(r.get("below_scale")) for r in rows)
    rest = len(rows) - at - below

    def were(n: int) -> str:
        return "was" if n == 1 else "were"

    their = "its" if below == 1 else "their"
    them = "it" if at == 1 else "them"
    return (
        f"Of {len(rows)} claim{'' if len(rows) == 1 else 's'}, {at} {were(at)} read at the "
        f"scale the paper made {them} at and "
        f"can be confirmed or refuted here; {below} {were(below)} read below {their} scale, "
        f"where 'reproduced' and 'not reproduced' alike are exploratory; {rest} {were(rest)} "
        "not tested at a budget that can decide "
        f"{'it' if rest == 1 else 'them'}."
    )


def family_table(rows: list[dict]) -> list[dict[str, Any]]:
    """Per family: its size (Holm's m), the confirmatory verdicts after Holm's correction
    within it, and the exploratory ones apart (never counted as findings)."""
    out = []
    for family in FAMILY_ORDER:
        members = [r for r in rows if r.get("family") == family]
        if not members:
            continue
        confirmed = [r for r in members if r.get("confirmatory")]
        # Holm's m: the registration's where one covers the family (family_wise), else all
        registered = [r for r in members if r.get("registered_family_size")]
        holm_m = max((int(r["registered_family_size"]) for r in registered), default=0)
        holm_m = holm_m or len(members)
        registrations: dict[str, bool] = {}  # name -> a draft
        for r in registered:
            name, draft = str(r["registration"]), bool(r.get("registration_draft"))
            registrations[name] = registrations.get(name, False) or draft
        explored = [r for r in members if not r.get("confirmatory")]
        out.append(
            {
                "family": str(family),
                "about": FAMILY_DESCRIPTION[family],
                "claims": len(members),
                "m": holm_m,
                # which registrations set m, and whether each is still a draft
                "registrations": registrations,
                "registered_label": _registrations_label(registrations),
                "bound": min(float(r.get("alpha") or ALPHA) for r in members) / holm_m,
                "confirmatory": {
                    v: [r["claim_id"] for r in confirmed if r["holm_verdict"] == v]
                    for v in VERDICTS
                },
                "exploratory": {
                    v: [r["claim_id"] for r in explored if r["verdict"] == v] for v in VERDICTS
                },
                "n_confirmatory": len(confirmed),
                "n_exploratory": len(explored),
            }
        )
    return out


def _registrations_label(drafts: dict[str, bool]) -> str:
    """'registration R1, a draft' for one; 'registrations R1 (a draft), R2' for several,
    each named with its own state; '' where no registration covers the family."""
    if len(drafts) == 1:
        [(name, draft)] = drafts.items()
        return f"registration {name}" + (", a draft" if draft else "")
    named = (f"{n} (a draft)" if d else n for n, d in sorted(drafts.items()))
    return f"registrations {', '.join(named)}" if drafts else ""


def headline(families: list[dict[str, Any]]) -> str:
    """The first sentence: confirmatory findings after Holm, exploratory ones apart."""
    conf = sum(f["n_confirmatory"] for f in families)
    rep = sum(len(f["confirmatory"][Verdict.REPRODUCED]) for f in families)
    notrep = sum(len(f["confirmatory"][Verdict.NOT_REPRODUCED]) for f in families)
    expl = sum(f["n_exploratory"] for f in families)
    return (
        f"Confirmatory verdicts (pre-registered checks on their registered seeds), after "
        f"Holm's correction within each family: {rep} reproduced, {notrep} not reproduced, "
        f"{conf - rep - notrep} inconclusive, of {conf}. Exploratory verdicts (not registered, "
        f"revised after their data, or read on other seeds): {expl}, shown with their "
        "unadjusted p and never counted as findings."
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
    budgets = list(grid.columns)
    labels = [f"{r['claim_id']}  {short(r['location'], 26)}" for r in rows]
    figure = plots.verdict_heatmap(grid, labels) if len(rows) and budgets else None
    families = family_table(rows)
    return {
        "scope": scope(rows) if rows else "",
        "headline": headline(families) if families else "",
        "families": families,
        "lead": lead(rows, grid, budgets),
        "budgets": budgets,
        "figure": figure,
        "grid": [
            {"claim_id": r["claim_id"], "anchor": r["anchor"], "cells": _cells(grid, i)}
            for i, r in enumerate(rows)
        ],
        "counts": counts_table(rows, grid),
        "undecided": undecided(rows),
    }
