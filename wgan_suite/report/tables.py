"""Data shaping for the report: cells, per-trial finals, means with 95% CIs, the tables.

Everything here reads the tidy tables of ``wgan_suite.harness.results`` (columns in
``contract/results_schema.md``) and returns plain frames or dicts for the templates.
No ablation is known by name: what a page shows follows from its columns.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wgan_suite.analysis.columns import columns_with_role
from wgan_suite.analysis.stats import mean_interval
from wgan_suite.analysis.summaries import loss_quality_correlation, quality_of
from wgan_suite.core.columns import is_pattern
from wgan_suite.trial.metrics import METRICS

# The toy panels' columns: what the toy_fit metric declares (wgan_suite.trial.metrics.toy).
TOY_METRICS = tuple(METRICS.get("toy_fit").columns)
TIMES = " \N{MULTIPLICATION SIGN} "  # joins row axes: "generator x critic"
LOSS_NAMES = {
    "wgan": "WGAN",
    "wgan_gp": "WGAN-GP",
    "gan_ns": "GAN (-log D)",
    "gan_minimax": "GAN (minimax)",
    "hinge": "hinge",
}


# ---------------------------------------------------------------- small helpers
def fmt(value: Any, digits: int = 3) -> str:
    """A number for a table cell: 3 significant digits, a dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.{digits}g}"


def slug(text: str) -> str:
    """A string usable as an HTML id or a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("_") or "x"


def page_name(ablation: str) -> str:
    name = slug(ablation)
    return f"{name}_ablation.html" if name == "index" else f"{name}.html"


def present(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and frame[column].notna().any()


def quality_metric(frame: pd.DataFrame) -> str | None:
    """The first quality column with data, by the metrics' declared rank: the claims' rule."""
    return quality_of(frame)


def numbers(values: Iterable[Any]) -> list[float]:
    """The finite numbers among ``values`` (missing and non-numeric cells dropped)."""
    x = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(float)
    return [float(v) for v in x[np.isfinite(x)]]


def mean_of(values: Iterable[Any]) -> float | None:
    """The mean over seeds, None when no seed has a value."""
    x = numbers(values)
    return float(np.mean(x)) if x else None


def interval_text(values: Iterable[Any]) -> str:
    """``11 [10, 12] (n=2)``: the mean over seeds and its 95% interval from
    wgan_suite.analysis.stats
    (Student t below 10 values, else BCa bootstrap). The report computes no interval of
    its own, so a cell here and the claim's verdict line agree."""
    interval = mean_interval(numbers(values))
    if interval.estimate is None:
        return "—"
    text = interval.text(fmt)
    return text + " (percentile)" if interval.method.startswith("percentile") else text


# ---------------------------------------------------------------- cells and trials
AXIS_ORDER = ("data", "generator", "critic", "loss", "lipschitz", "c_optimizer", "g_optimizer")


def axis_columns(frame: pd.DataFrame) -> list[str]:
    """The axis.* columns this ablation uses (others are NaN after concatenation).

    Well-known axes first (data, generator, ..., as the paper names a run), then the rest
    in table order: cell labels read ``data=8gaussians, loss=wgan``.
    """
    found = [c for c in frame.columns if c.startswith("axis.") and frame[c].notna().any()]
    known = [f"axis.{a}" for a in AXIS_ORDER if f"axis.{a}" in found]
    return known + [c for c in found if c not in known]


def varied_axes(frame: pd.DataFrame) -> list[str]:
    return [c for c in axis_columns(frame) if frame[c].nunique(dropna=True) > 1]


def determined_by(frame: pd.DataFrame, key: Sequence[str], column: str) -> bool:
    """True when each value of ``key`` comes with one value of ``column`` (a zip)."""
    if not key:
        return frame[column].nunique(dropna=False) <= 1
    return bool((frame.groupby(list(key), dropna=False)[column].nunique(dropna=False) <= 1).all())


def label_axes(frame: pd.DataFrame) -> list[str]:
    """The varied axes minus those zipped with an earlier one: short, still unique labels.

    In paper_stability the lipschitz and optimizer axes follow the loss (a zip), so a
    cell reads ``generator=dcgan, loss=wgan``; the trials table shows every axis.
    """
    keep: list[str] = []
    for axis in varied_axes(frame):
        if not keep or not determined_by(frame, keep, axis):
            keep.append(axis)
    return keep


def cell_label(row: pd.Series | dict[str, Any], axes: Sequence[str]) -> str:
    if not axes:
        return "all trials"
    return ", ".join(f"{a.removeprefix('axis.')}={row[a]}" for a in axes)


def _last(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per trial, the value at the last iteration where ``column`` is present."""
    rows = frame.loc[frame[column].notna(), ["trial_id", "iteration", column]]
    return rows.sort_values("iteration").groupby("trial_id")[column].last()


def final_columns() -> tuple[str, ...]:
    """Columns whose last value summarises a trial: every declared quality, diversity and
    count column (wgan_suite.analysis.columns), and the last sample grid."""
    roles = ("quality", "diversity", "count")
    declared = [c for r in roles for c in columns_with_role(r) if not is_pattern(c)]
    return (*dict.fromkeys(declared), "sample_grid")


def trial_summary(results: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """One row per trial of one ablation and budget: identity, cell, status, final metrics.

    Trials come from the trials table, so a trial with no records yet still has a row.
    """
    out = trials.drop_duplicates("trial_id").reset_index(drop=True).copy()
    short, axes = label_axes(out), varied_axes(out)
    out["cell"] = [cell_label(r, short) for _, r in out.iterrows()]
    out["cell_full"] = [cell_label(r, axes) for _, r in out.iterrows()]
    for column in final_columns():
        if present(results, column):
            out[f"final.{column}"] = out["trial_id"].map(_last(results, column))
    out["cell_order"] = out["cell"].map({c: i for i, c in enumerate(pd.unique(out["cell"]))})
    return out.sort_values(["cell_order", "seed"], kind="stable").reset_index(drop=True)


def status_counts(trials: pd.DataFrame) -> dict[str, int]:
    counts = trials.drop_duplicates("trial_id")["status"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def trial_rows(summary: pd.DataFrame) -> list[dict[str, Any]]:
    """The per-trial table: id, seed, cell, status, wall time, iterations, config hash."""
    rows = []
    for _, r in summary.iterrows():
        reason = r.get("reason")
        rows.append(
            {
                "trial_id": str(r["trial_id"]),
                "anchor": f"trial-{slug(r['trial_id'])}",
                "seed": fmt(r.get("seed")),
                "cell": r["cell_full"],
                "status": str(r.get("status")),
                "reason": "" if reason is None or pd.isna(reason) else str(reason),
                "wall_time": fmt(r.get("wall_time")),
                "iterations": fmt(r.get("iterations_done")),
                "config_hash": str(r.get("config_hash") or "—"),
            }
        )
    return rows


# ---------------------------------------------------------------- pivoted tables
@dataclasses.dataclass
class Layout:
    """Cells arranged as rows x columns; each entry of ``cells`` is (row, column, label)."""

    row_title: str  # the row axes, e.g. "generator x critic" (with a times sign)
    rows: list[str]  # row headers
    columns: list[tuple[str, str]]  # (header, small print: the axes zipped with it)
    cells: list[tuple[str, str, str]]  # (row header, column header, cell label)

    def at(self, row: str, column: str) -> str | None:
        """The cell label at (row, column), None for an empty grid position."""
        return next((label for r, c, label in self.cells if (r, c) == (row, column)), None)


def layout(summary: pd.DataFrame, row_axes: Sequence[str], col_axis: str | None) -> Layout:
    """Rows from ``row_axes``; columns from ``col_axis`` plus any axis not zipped with it."""
    axes = varied_axes(summary)
    row_axes = [a for a in row_axes if a in axes]
    rest = [a for a in axes if a not in row_axes]
    primary = [col_axis] if col_axis in rest else rest[:1]
    extra = [a for a in rest if a not in primary and not determined_by(summary, primary, a)]
    zipped = [a for a in rest if a not in primary + extra]
    col_key = primary + extra
    rows, cols, cells = [], [], []
    for label, group in summary.groupby("cell", sort=False):
        first = group.iloc[0]
        row = TIMES.join(str(first[a]) for a in row_axes) or "all"
        col = " · ".join(_col_name(a, first[a]) for a in col_key) or "all"
        small = ", ".join(str(first[a]) for a in zipped if a.endswith("lipschitz"))
        rows += [row] if row not in rows else []
        if col not in [c for c, _ in cols]:
            cols.append((col, small))
        cells.append((row, col, str(label)))
    title = TIMES.join(a.removeprefix("axis.") for a in row_axes)
    return Layout(title, rows, cols, cells)


def _col_name(axis: str, value: Any) -> str:
    return LOSS_NAMES.get(str(value), str(value)) if axis == "axis.loss" else str(value)


# the toy table's score columns (modes_total is its "of" column; sample counts are not shown)
TOY_TABLE = tuple(
    c
    for c, info in METRICS.get("toy_fit").columns.items()
    if info.role in ("quality", "diversity") and not is_pattern(c)
)


def toy_rows(summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Per cell: modes covered (of total), high-quality fraction, W1; mean [95% CI]."""
    rows = []
    for label, group in summary.groupby("cell", sort=False):
        total = group.get("final.modes_total", pd.Series(dtype=float)).dropna()
        row = {"cell": str(label), "seeds": len(group)}
        for metric in TOY_TABLE:
            column = f"final.{metric}"
            row[metric] = interval_text(group[column]) if column in group else "—"
        row["modes_total"] = fmt(total.iloc[0]) if len(total) else "—"
        rows.append(row)
    return rows


def c_sweep(summary: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """Per trial: the clipping c (NaN for cells without clipping) joined to the summary."""
    c = results.dropna(subset=["config.lipschitz.c"]).groupby("trial_id")["config.lipschitz.c"]
    out = summary.copy()
    out["c"] = out["trial_id"].map(c.first()).astype(float)
    return out


def layer_norms(results: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Long frame: cell, seed, layer index, critic gradient norm at the last checkpoint."""
    columns = sorted(c for c in results.columns if re.fullmatch(r"critic_grad_norm\.L\d+", c))
    rows = results.dropna(subset=columns, how="all")
    if not columns or rows.empty:
        return pd.DataFrame(columns=["cell", "seed", "layer", "norm"])
    last = rows.sort_values("iteration").groupby("trial_id").last()[columns]
    long = last.reset_index().melt(id_vars="trial_id", var_name="layer", value_name="norm")
    long["layer"] = long["layer"].str.extract(r"L(\d+)$", expand=False).astype(int)
    cells = summary.set_index("trial_id")[["cell", "seed", "cell_order"]]
    long = long.join(cells, on="trial_id").dropna(subset=["norm", "cell"])
    return long.sort_values(["cell_order", "layer"], kind="stable")


def negative_cos_rows(results: pd.DataFrame, summary: pd.DataFrame, axis: str) -> list[dict]:
    """Per value of ``axis``: the fraction of logged steps with step_cos_critic < 0."""
    frame = results.dropna(subset=["step_cos_critic"])
    per_trial = (frame["step_cos_critic"] < 0).groupby(frame["trial_id"]).mean()
    joined = summary.assign(neg=summary["trial_id"].map(per_trial))
    rows = []
    for value, group in joined.groupby(axis, sort=False):
        rows.append({"value": str(value), "neg": interval_text(group["neg"]), "trials": len(group)})
    return rows


def correlations(results: pd.DataFrame, summary: pd.DataFrame) -> tuple[list[dict], str]:
    """Spearman correlation of the loss estimate with quality over checkpoints, per cell.

    Per trial from ``wgan_suite.analysis.summaries.loss_quality_correlation``; the table shows the
    mean [95% CI] over seeds (wgan_suite.analysis.stats).
    """
    frame, source = loss_quality_correlation(results), "per trial: wgan_suite.analysis.summaries"
    if frame.empty or "spearman" not in frame:
        return [], source
    frame = frame.dropna(subset=["estimate", "quality"])
    frame = frame[frame["n_checkpoints"] > 0]
    cells = summary.set_index("trial_id")["cell"]
    frame = frame.assign(cell=frame["trial_id"].map(cells)).dropna(subset=["cell"])
    rows = []
    for (label, estimate, quality), group in frame.groupby(
        ["cell", "estimate", "quality"], sort=False
    ):
        rows.append(
            {
                "cell": label,
                "estimate": estimate,
                "quality": quality,
                "checkpoints": fmt(int(group["n_checkpoints"].median())),
                "spearman": interval_text(group["spearman"]),
                "per_seed": ", ".join(fmt(v, 2) for v in group["spearman"]),
            }
        )
    return rows, source
