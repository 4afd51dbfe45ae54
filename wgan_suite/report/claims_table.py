"""The claims table: one row per verdict, as a referee reads it.

Visible: id, paper and location, the statement with its citation, what was published, the
results line (effect, interval, test, p, n), the verdict with its budget and, when that
budget scales the paper's setting down, a "scaled down: ..." label. Behind a click: how
the suite made the statement testable, the check, which budgets decide it and why, the
full reasoning and the trials it read. Every number comes from the verdict
(``wgan_suite.claims.Verdict``); nothing is recomputed here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from wgan_suite.analysis.stats import Verdict
from wgan_suite.core.budgets import Budget
from wgan_suite.report.tables import fmt, page_name, slug

VERDICTS = tuple(Verdict)
SCALED = "scaled down: "

# Every Verdict field, so a dict from an older or partial source still renders.
VERDICT_DEFAULTS: dict[str, Any] = {
    "paper": "",
    "location": "",
    "citation": "",
    "statement": "",
    "published": "",
    "testable_as": "",
    "claim_note": None,
    "setting": "",
    "ablation": "",
    "check": "",
    "verdict": Verdict.INCONCLUSIVE,
    "summary": "",
    "measured": None,
    "ci_low": None,
    "ci_high": None,
    "ci_method": None,
    "threshold": None,
    "test": None,
    "p_value": None,
    "p_against": None,
    "alpha": 0.05,
    "n": 0,
    "reason": "",
    "trial_ids": (),
    "budget": None,
    "budget_note": None,
    "decided_by": "",
    "next_budget": None,
    "family": "",
    "premises": "",
    "premise_failed": False,
    "min_p": None,
    "min_p_against": None,
    "check_hash": "",
    "registration": None,
    "confirmatory": False,
    "exploratory_why": "",
    "seeds": "",
    "p_decision": 1.0,
    "p_holm": 1.0,
    "family_size": 0,
    "holm_verdict": Verdict.INCONCLUSIVE,
    "sensitivity": "",
    "revisions": "",
    "seeds_needed": None,
    "made_at": "",
    "scale": "",
    "below_scale": False,
    "refutable": False,
    "earlier": "",
    "registered_family_size": None,
    "registration_draft": False,
}


def as_dict(verdict: Any) -> dict[str, Any]:
    """A Verdict (dataclass), a dict or any object with the Verdict fields."""
    if dataclasses.is_dataclass(verdict) and not isinstance(verdict, type):
        found = dataclasses.asdict(verdict)
    else:
        found = dict(verdict) if isinstance(verdict, Mapping) else dict(vars(verdict))
    return {**VERDICT_DEFAULTS, **found}


def claim_anchor(claim_id: str) -> str:
    return f"claim-{slug(claim_id)}"


def scaled_label(note: str | None) -> str:
    """``scaled down: 16 px Fashion-MNIST ...`` for a budget that scales the paper down
    (the note may already start with the words); "" when the budget has no note."""
    text = (note or "").strip()
    if not text:
        return ""
    return SCALED + text.removeprefix("scaled down:").strip()


_BUDGET_AT = re.compile(r"(?:^|;\s*)(" + "|".join(b.value for b in Budget) + r"):\s")


def deciding(decided_by: str | None) -> list[tuple[str, str]]:
    """``"cpu: why; paper: why"`` (Verdict.decided_by) -> [(budget, why), ...].

    Split only where a budget name starts a part, so a "why" may contain semicolons.
    """
    text = (decided_by or "").strip()
    starts = list(_BUDGET_AT.finditer(text))
    if not starts:
        return [("", text)] if text else []
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return [(m.group(1), text[m.end() : end].strip()) for m, end in zip(starts, ends, strict=True)]


def trial_links(v: dict[str, Any], present: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """(trial id, link to its row on the ablation page, or "" when that page lacks it)."""
    ablation = str(v.get("ablation") or "")
    have = present.get(ablation, set())
    return [
        (tid, f"{page_name(ablation)}#trial-{slug(tid)}" if tid in have else "")
        for tid in map(str, v.get("trial_ids") or ())
    ]


def claim_rows(
    verdicts: Iterable[Any], present: Mapping[str, set[str]] | None = None
) -> list[dict[str, Any]]:
    """One row per verdict, with links to its ablation's evidence and trials.

    ``present``: ablation -> the trial ids its page lists (for the trial links).
    """
    rows = []
    for v in map(as_dict, verdicts):
        ablation = str(v.get("ablation") or "")
        anchor = claim_anchor(v["claim_id"])
        rows.append(
            {
                **v,
                "anchor": anchor,
                "summary": v["summary"] or v["reason"] or "not measured",
                "scaled": scaled_label(v["budget_note"]) if v["budget"] else "",
                "deciding": deciding(v["decided_by"]),
                "threshold_text": fmt(v.get("threshold")),
                "href": f"{page_name(ablation)}#{anchor}" if ablation else "",
                "trial_ids": tuple(map(str, v.get("trial_ids") or ())),
                "trials": trial_links(v, present or {}),
                "premise_list": [p for p in str(v.get("premises") or "").split("; ") if p],
                "label": "confirmatory" if v.get("confirmatory") else "exploratory",
                "revision_list": [r for r in str(v.get("revisions") or "").split(" | ") if r],
            }
        )
    return rows


def verdict_tally(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    rows = list(rows)
    return {k: sum(r["verdict"] == k for r in rows) for k in VERDICTS}
