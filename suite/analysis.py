"""Per-trial summaries derived from the results table (never from trial directories).

* ``smooth``: the paper's curves are median-filtered (authors' README: kernel 101);
  the filter runs over a trial's logged records with 'nearest' edges.
* ``loss_quality_correlation``: the paper's "meaningful loss metric" made measurable:
  Spearman and Pearson correlation between the W (or JS) estimate and a quality score
  over a trial's checkpoints, with bootstrap 95% intervals, and aggregated per config.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import ndimage, stats

KERNEL = 101
ESTIMATES = ("w_estimate", "js_estimate")
QUALITY = ("fid", "fd_classifier")  # first present wins: FID where measured
TRIAL = ["ablation", "trial_id"]


def smooth(values: Sequence[float], kernel: int = KERNEL) -> np.ndarray:
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


def add_smoothed(results: pd.DataFrame, kernel: int = KERNEL) -> pd.DataFrame:
    """``<estimate>_smooth`` columns, filtered per trial in iteration order."""
    out = results.copy()
    if out.empty:
        return out
    for col in ESTIMATES:
        if col not in out:
            continue
        out[f"{col}_smooth"] = np.nan
        for _, idx in out.sort_values("iteration").groupby(TRIAL, sort=False).groups.items():
            out.loc[idx, f"{col}_smooth"] = smooth(out.loc[idx, col].to_numpy(float), kernel)
    return out


def first_present(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    """The first of ``names`` with data in ``frame`` (e.g. FID where measured, else the proxy)."""
    return next((n for n in names if n in frame and frame[n].notna().any()), None)


def correlation(x: np.ndarray, y: np.ndarray, method: str, seed: int = 0) -> tuple[float, ...]:
    """Point estimate and bootstrap 95% percentile interval over the paired points."""
    fn = {"spearman": stats.spearmanr, "pearson": stats.pearsonr}[method]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return (np.nan, np.nan, np.nan)
    point = float(fn(x, y).statistic)
    if len(x) < 4:
        return (point, np.nan, np.nan)

    def stat(a, b):
        return fn(a, b).statistic if np.ptp(a) > 0 and np.ptp(b) > 0 else np.nan

    res = stats.bootstrap(
        (x, y),
        stat,
        paired=True,
        vectorized=False,
        n_resamples=999,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return (point, float(res.confidence_interval.low), float(res.confidence_interval.high))


def loss_quality_correlation(results: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: correlation of the critic's estimate with quality at checkpoints.

    Positive Spearman with FID means the estimate falls as samples improve (paper Fig. 3).
    """
    if results.empty or "at_checkpoint" not in results:
        return pd.DataFrame()
    ckpt = results[results["at_checkpoint"].fillna(False).astype(bool)]
    ident = [c for c in ckpt.columns if c.startswith("axis.")] + ["seed", "budget", "status"]
    rows = []
    for (ablation, trial_id), g in ckpt.groupby(TRIAL, sort=False):
        est = first_present(g, [f"{e}_eval" for e in ESTIMATES])
        qual = first_present(g, QUALITY)
        row = {"ablation": ablation, "trial_id": trial_id, "estimate": est, "quality": qual}
        row.update({c: g[c].iloc[0] for c in ident if c in g})
        pair = g[[est, qual]].dropna() if est and qual else pd.DataFrame()
        row["n_checkpoints"] = len(pair)
        for method in ("spearman", "pearson"):
            x, y = (pair.iloc[:, i].to_numpy(float) for i in (0, 1)) if len(pair) else ([], [])
            point, lo, hi = correlation(np.asarray(x), np.asarray(y), method)
            row.update({method: point, f"{method}_lo": lo, f"{method}_hi": hi})
        rows.append(row)
    return pd.DataFrame(rows)


def aggregate_correlation(per_trial: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Mean Spearman/Pearson per config over seeds, with a bootstrap 95% interval."""
    rows = []
    for key, g in per_trial.groupby(list(by), dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for method in ("spearman", "pearson"):
            vals = g[method].dropna().to_numpy(float)
            row[method] = float(vals.mean()) if len(vals) else np.nan
            lo = hi = np.nan
            if len(vals) >= 2 and np.ptp(vals) > 0:
                ci = stats.bootstrap(
                    (vals,),
                    np.mean,
                    n_resamples=999,
                    method="percentile",
                    rng=np.random.default_rng(0),
                ).confidence_interval
                lo, hi = float(ci.low), float(ci.high)
            elif len(vals) >= 1:
                lo = hi = row[method]
            row.update({f"{method}_lo": lo, f"{method}_hi": hi, "n_seeds": len(vals)})
        rows.append(row)
    return pd.DataFrame(rows)
