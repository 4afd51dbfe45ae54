"""The index page's data: run metadata (STYLE 17 provenance) and the claims table."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pandas as pd

from suite.report.tables import fmt, page_name, present, slug, status_counts

HARDWARE = ("hw.device", "hw.gpu_name", "hw.cpu", "hw.cpu_threads")
VERSIONS = ("hw.python", "hw.torch", "hw.ray", "hw.suite")
VERDICTS = ("reproduced", "not_reproduced", "inconclusive")


def _unique(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return sorted({str(v) for v in frame[column].dropna()})


def run_metadata(
    results: pd.DataFrame, trials: pd.DataFrame, meta: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """(label, value) rows: budgets, hardware, versions, wall time, statuses, samples."""
    unique = trials.drop_duplicates("trial_id")  # a trial shared by ablations ran once
    rows: list[tuple[str, str]] = [(str(k), str(v)) for k, v in (meta or {}).items()]
    budgets = unique["budget"].value_counts() if "budget" in unique else pd.Series(dtype=int)
    rows.append(("budget(s)", ", ".join(f"{b} ({n} trials)" for b, n in budgets.items()) or "—"))
    rows.append(("hardware", _hardware(unique)))
    for column in VERSIONS:
        rows.append((column.removeprefix("hw."), ", ".join(_unique(unique, column)) or "—"))
    rows.append(("trials by status", _counts(status_counts(unique)) if len(unique) else "none"))
    rows.extend(_wall_time(unique))
    sha = _unique(results, "inception_sha256")
    rows.append(("Inception weights SHA-256", ", ".join(sha) if sha else "not used at this budget"))
    rows.extend(_samples(results))
    return rows


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def _hardware(trials: pd.DataFrame) -> str:
    columns = [c for c in HARDWARE if c in trials.columns]
    if not columns or trials[columns].isna().all().all():
        return "not recorded"
    text = trials[columns].astype(object).where(trials[columns].notna(), "")
    groups = text.astype(str).value_counts(dropna=False)
    return "; ".join(
        " / ".join(v for v in key if v) + f" ({n} trials)" for key, n in groups.items()
    )


def _wall_time(trials: pd.DataFrame) -> list[tuple[str, str]]:
    times = trials["wall_time"].dropna().astype(float) if "wall_time" in trials else None
    if times is None or times.empty:
        return [("wall time", "not recorded")]
    return [
        ("total wall time (sum over trials)", f"{times.sum():.0f} s ({times.sum() / 3600:.2f} h)"),
        (
            "wall time per trial",
            f"median {fmt(times.median())} s, min {fmt(times.min())} s, max {fmt(times.max())} s",
        ),
    ]


def _samples(results: pd.DataFrame) -> list[tuple[str, str]]:
    """How many generated samples each quality score used (``<metric>_samples``)."""
    columns = sorted(c for c in results.columns if c.endswith("_samples") and present(results, c))
    if not columns:
        return [("samples per quality score", "no quality score at this budget")]
    return [
        (f"samples for {c.removesuffix('_samples')}", ", ".join(_unique_ints(results[c])))
        for c in columns
    ]


def _unique_ints(values: pd.Series) -> list[str]:
    return [fmt(int(v)) for v in sorted(values.dropna().unique())]


# ---------------------------------------------------------------- claims
def as_dict(verdict: Any) -> dict[str, Any]:
    """A Verdict (dataclass), a dict or any object with the Verdict fields."""
    if dataclasses.is_dataclass(verdict) and not isinstance(verdict, type):
        return dataclasses.asdict(verdict)
    return dict(verdict) if isinstance(verdict, dict) else dict(vars(verdict))


def claim_anchor(claim_id: str) -> str:
    return f"claim-{slug(claim_id)}"


VERDICT_DEFAULTS = {
    "paper": "",
    "location": "",
    "statement": "",
    "published": "",
    "setting": "",
    "ablation": "",
    "check": "",
    "measured": None,
    "ci_low": None,
    "ci_high": None,
    "threshold": None,
    "n_seeds": 0,
    "reason": "",
    "trial_ids": (),
    "budget": None,
}


def claim_rows(verdicts: Iterable[Any]) -> list[dict[str, Any]]:
    """The claims table: one row per verdict, with a link to its ablation's evidence."""
    rows = []
    for v in ({**VERDICT_DEFAULTS, **as_dict(v)} for v in verdicts):
        ablation = str(v.get("ablation") or "")
        rows.append(
            {
                **v,
                "anchor": claim_anchor(v["claim_id"]),
                "measured_text": _measured(v),
                "threshold_text": fmt(v.get("threshold")),
                "href": f"{page_name(ablation)}#{claim_anchor(v['claim_id'])}" if ablation else "",
                "trial_ids": tuple(v.get("trial_ids") or ()),
            }
        )
    return rows


def _measured(v: dict[str, Any]) -> str:
    if v.get("measured") is None:
        return "not measured"
    lo, hi = v.get("ci_low"), v.get("ci_high")
    ci = f" [{fmt(lo)}, {fmt(hi)}]" if lo is not None and hi is not None else ""
    return fmt(v["measured"]) + ci


def verdict_tally(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(r["verdict"] == k for r in rows) for k in VERDICTS}
