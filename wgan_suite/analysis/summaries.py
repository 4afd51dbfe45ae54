"""Per-trial summaries derived from the results table (never from trial directories).

* ``add_smoothed``: the paper's curves are median-filtered over 101 generator iterations
  (authors' README, ``scipy.signal.medfilt(., 101)`` on a value per iteration); records
  are logged every ``log_every`` iterations, so the kernel in records is 101 / log_every.
  Variability claims read the raw estimate, never the smoothed one.
* ``add_updates``: network updates so far, to compare runs at equal compute.
* ``mark_instability``: the intervals between checkpoints where the quality score got
  more than 20% worse: "the loss blew up and samples got worse" (WGAN Sec. 3).
* ``loss_quality_correlation``: the paper's "meaningful loss metric" made measurable:
  Spearman and Pearson correlation between the W (or JS) estimate and a quality score
  over a trial's checkpoints, and ``aggregate_correlation`` over seeds
  (``wgan_suite.analysis.stats``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import ndimage, stats

from wgan_suite.analysis.columns import (
    KERNEL_ITERATIONS,
    WORSE,
    estimate_columns,
    quality_columns,
)
from wgan_suite.analysis.stats import mean_interval

TRIAL = ["ablation", "trial_id"]


def kernel_records(log_every: float | None) -> int:
    """The median filter's width in logged records: 101 iterations, rounded to odd."""
    if log_every is None or not np.isfinite(log_every) or log_every <= 0:
        log_every = 1
    k = max(1, round(KERNEL_ITERATIONS / float(log_every)))
    return k if k % 2 else k + 1


def smooth(values: Sequence[float], kernel: int) -> np.ndarray:
    """Median filter of width min(kernel, n rounded down to odd); NaNs stay NaN."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return x
    k = min(kernel, n if n % 2 else n - 1)
    ok = np.isfinite(x)
    out = np.full(n, np.nan)
    if ok.any():
        out[ok] = ndimage.median_filter(x[ok], size=max(1, k), mode="nearest")
    return out


def _trials(results: pd.DataFrame):
    """(index of the trial's rows in iteration order, its log_every) per trial."""
    ordered = results.sort_values("iteration", kind="stable")
    for _, idx in ordered.groupby(TRIAL, sort=False).groups.items():
        every = (
            results.loc[idx, "config.log_every"].dropna()
            if "config.log_every" in results
            else pd.Series(dtype=float)
        )
        yield idx, (float(every.iloc[0]) if len(every) else None)


def add_smoothed(results: pd.DataFrame) -> pd.DataFrame:
    """``<estimate>_smooth`` columns, filtered per trial over 101 generator iterations."""
    out = results.copy()
    if out.empty:
        return out
    present = [c for c in estimate_columns() if c in out]
    for col in present:
        out[f"{col}_smooth"] = np.nan
    for idx, every in _trials(out):
        for col in present:
            values = out.loc[idx, col].to_numpy(float)
            out.loc[idx, f"{col}_smooth"] = smooth(values, kernel_records(every))
    return out


def add_updates(results: pd.DataFrame) -> pd.DataFrame:
    """``updates``: critic steps + generator steps so far, a compute clock that does not
    depend on the machine (critic steps = real images seen / batch size)."""
    out = results.copy()
    if {"images_seen", "config.batch_size", "iteration"} <= set(out.columns):
        critic = pd.to_numeric(out["images_seen"], errors="coerce") / out["config.batch_size"]
        out["updates"] = out["iteration"] + critic
    return out


def first_present(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    """The first of ``names`` with data in ``frame`` (e.g. FID where measured, else the proxy)."""
    return next((n for n in names if n in frame and frame[n].notna().any()), None)


def quality_of(frame: pd.DataFrame) -> str | None:
    """The quality score claims and pages read: the first quality column with data."""
    return first_present(frame, quality_columns())


def mark_instability(results: pd.DataFrame) -> pd.DataFrame:
    """An ``unstable`` column: True on every row of a checkpoint interval whose quality
    score is more than 20% worse than at the checkpoint before (the first interval,
    from the untrained networks, is never unstable)."""
    out = results.copy()
    if out.empty or "at_checkpoint" not in out:
        return out
    quality = quality_of(out)
    out["unstable"] = False
    if quality is None:
        return out
    for idx, _ in _trials(out):
        rows = out.loc[idx]
        ckpt = rows[rows["at_checkpoint"].fillna(False).astype(bool) & rows[quality].notna()]
        q = ckpt[quality].to_numpy(float)
        its = ckpt["iteration"].to_numpy(float)
        for i in range(2, len(q)):
            if q[i - 1] > 0 and q[i] > (1 + WORSE) * q[i - 1]:
                inside = (rows["iteration"] > its[i - 1]) & (rows["iteration"] <= its[i])
                out.loc[rows.index[inside.to_numpy()], "unstable"] = True
    return out


def correlation(x: np.ndarray, y: np.ndarray, method: str) -> float:
    """Rank (Spearman) or linear (Pearson) correlation; NaN when either is constant."""
    fn = {"spearman": stats.spearmanr, "pearson": stats.pearsonr}[method]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan
    return float(fn(x, y).statistic)


def loss_quality_correlation(results: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: correlation of the critic's estimate with quality at checkpoints.

    Positive Spearman with FID means the estimate falls as samples improve (paper Fig. 3).
    Iteration 0 is left out: it is scored before the critic's first update, so its
    "estimate" is an untrained critic's output (near 0 while quality is at its worst):
    one such point among 21 otherwise perfectly ordered checkpoints caps Spearman at
    0.73. The claims' correlation check does the same (``skip_initial``).
    """
    if results.empty or "at_checkpoint" not in results:
        return pd.DataFrame()
    ckpt = results[results["at_checkpoint"].fillna(False).astype(bool)]
    ckpt = ckpt[pd.to_numeric(ckpt["iteration"], errors="coerce") > 0]
    ident = [c for c in ckpt.columns if c.startswith("axis.")] + ["seed", "budget", "status"]
    rows = []
    for (ablation, trial_id), g in ckpt.groupby(TRIAL, sort=False):
        est = first_present(g, [f"{e}_eval" for e in estimate_columns()])
        qual = quality_of(g)
        row = {"ablation": ablation, "trial_id": trial_id, "estimate": est, "quality": qual}
        row.update({c: g[c].iloc[0] for c in ident if c in g})
        pair = g[[est, qual]].dropna() if est and qual else pd.DataFrame()
        row["n_checkpoints"] = len(pair)
        for method in ("spearman", "pearson"):
            x, y = (pair.iloc[:, i].to_numpy(float) for i in (0, 1)) if len(pair) else ([], [])
            row[method] = correlation(np.asarray(x), np.asarray(y), method)
        rows.append(row)
    return pd.DataFrame(rows)


def aggregate_correlation(per_trial: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Mean Spearman/Pearson per config over seeds, with the suite's 95% interval."""
    rows = []
    for key, g in per_trial.groupby(list(by), dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for method in ("spearman", "pearson"):
            ci = mean_interval(g[method])
            row.update({method: ci.estimate, f"{method}_lo": ci.low, f"{method}_hi": ci.high})
            row["n_seeds"] = ci.n
        rows.append(row)
    return pd.DataFrame(rows)
