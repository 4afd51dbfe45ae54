"""The data of each page: the index and one page per ablation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from wgan_suite.core.locations import COMMAND
from wgan_suite.report import sections
from wgan_suite.report import tables as t
from wgan_suite.report.claims_table import claim_rows, verdict_tally
from wgan_suite.report.overview import code_rows, run_metadata
from wgan_suite.report.summary import budgets_run, build_summary

IDENTITY = ("ablation", "ablation_version", "budget", "trial_id", "seed", "status", "iteration")


def with_identity(frame: pd.DataFrame) -> pd.DataFrame:
    """An empty or partial table still has the identity columns the pages group by."""
    missing = [c for c in IDENTITY if c not in frame.columns]
    return frame.assign(**dict.fromkeys(missing, pd.NA)) if missing else frame


def ablation_names(trials: pd.DataFrame, claims: list[dict[str, Any]]) -> list[str]:
    """Ablations with trials (table order), then those only a claim names."""
    names = [str(n) for n in pd.unique(trials["ablation"].dropna())]
    return names + list(dict.fromkeys(c["ablation"] for c in claims if c["ablation"] not in names))


def _versions(trials: pd.DataFrame) -> str:
    return ", ".join(str(v) for v in pd.unique(trials["ablation_version"].dropna())) or "—"


def ablation_page(
    name: str, results: pd.DataFrame, trials: pd.DataFrame, claims: list[dict[str, Any]]
) -> dict[str, Any]:
    res = results[results["ablation"] == name]
    tri = trials[trials["ablation"] == name]
    budgets = budgets_run(tri)[::-1]  # the largest first: the one the verdicts read
    blocks = []
    for budget in budgets:
        suffix = f"-{t.slug(budget)}" if len(budgets) > 1 else ""
        tri_b = tri[tri["budget"] == budget]
        res_b = res[res["budget"] == budget]
        scope = sections.Scope(name, budget, suffix, res_b, t.trial_summary(res_b, tri_b))
        blocks.append(
            {
                "budget": budget,
                "suffix": suffix,
                "statuses": t.status_counts(tri_b),
                "n_trials": tri_b["trial_id"].nunique(),
                "n_cells": scope.summary["cell"].nunique(),
                "sections": sections.build(scope),
            }
        )
    mine = [c for c in claims if c["ablation"] == name]
    return {
        "name": name,
        "file": t.page_name(name),
        "versions": _versions(tri),
        "blocks": blocks,
        "claims": mine,
        "empty": None
        if budgets
        else f"not measured: the runs given hold no trials of {name} (run `{COMMAND} run {name}`)",
    }


def index_entry(page: dict[str, Any], trials: pd.DataFrame) -> dict[str, Any]:
    tri = trials[trials["ablation"] == page["name"]]
    return {
        "name": page["name"],
        "file": page["file"],
        "versions": page["versions"],
        "budgets": ", ".join(b["budget"] for b in page["blocks"]) or "—",
        "n_trials": tri["trial_id"].nunique(),
        "statuses": t.status_counts(tri) if len(tri) else {},
        "tally": verdict_tally(page["claims"]),
    }


def index_page(
    results: pd.DataFrame,
    trials: pd.DataFrame,
    claims: list[dict[str, Any]],
    pages: list[dict[str, Any]],
    meta: dict[str, Any] | None,
    by_budget: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    return {
        "summary": build_summary(claims, by_budget, (trials, results)),
        "code_warnings": code_rows(results, trials)[1],
        "metadata": run_metadata(results, trials, meta),
        "claims": claims,
        "tally": verdict_tally(claims),
        "ablations": [index_entry(p, trials) for p in pages],
    }


def trials_on_pages(trials: pd.DataFrame) -> dict[str, set[str]]:
    """Ablation -> the trial ids its page lists (claims link to those rows)."""
    if trials.empty:
        return {}
    ids = trials.dropna(subset=["ablation", "trial_id"]).groupby("ablation")["trial_id"]
    return {str(a): {str(i) for i in group} for a, group in ids}


def all_pages(
    results: pd.DataFrame,
    trials: pd.DataFrame,
    verdicts: list[Any],
    meta: dict[str, Any] | None,
    by_budget: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(index data, ablation pages) from the two tables and the verdicts."""
    results, trials = with_identity(results), with_identity(trials)
    claims = claim_rows(verdicts, trials_on_pages(trials))
    pages = [ablation_page(n, results, trials, claims) for n in ablation_names(trials, claims)]
    return index_page(results, trials, claims, pages, meta, by_budget), pages
