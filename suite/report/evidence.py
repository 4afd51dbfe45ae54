"""The evidence behind a report, kept beside it in ``<out>/data/``.

A report is only as good as the numbers under it, and ``runs/`` (checkpoints, gigabytes)
does not travel with the repository. So the report writes what it was built from: both
tables (``results.parquet``, ``trials.parquet``) and the sample grid of each cell's lowest
seed (the pictures the pages show, as the thumbnails they embed). ``python -m suite report
reports/data`` then rebuilds the same verdicts from the repository alone, and a revised
claim check can be read on the published evidence without training anything again.
Trial directories in the bundle's ``trials.parquet`` are relative to the bundle
(``read_runs`` resolves them).
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pandas as pd

from suite import files
from suite.report.images import SAMPLE, sample_path, thumbnail_png

DATA = "data"
TRIALS = "trials"  # the bundle's folder of per-trial sample grids

__all__ = ["DATA", "write_evidence"]


def shown_trials(trials: pd.DataFrame) -> set[tuple[str, str]]:
    """(ablation, trial_id) of each cell's lowest seed, per ablation and budget."""
    if trials.empty:
        return set()
    axes = sorted(c for c in trials.columns if c.startswith("axis."))
    keys = ["ablation", "budget", *axes]
    cells = trials.assign(**{a: trials[a].astype(str) for a in axes})
    first = cells.sort_values("seed").groupby(keys, dropna=False, sort=False).head(1)
    return set(zip(first["ablation"], first["trial_id"], strict=True))


def _last_grids(results: pd.DataFrame) -> dict[str, str]:
    if "sample_grid" not in results:
        return {}
    rows = results.dropna(subset=["sample_grid"]).sort_values("iteration")
    return rows.groupby("trial_id")["sample_grid"].last().to_dict()


def _keep_picture(path: Path, dest: Path) -> None:
    try:
        data = thumbnail_png(path, SAMPLE)
    except OSError:  # unreadable: the pages say so; the bundle goes on without it
        return
    files.write_bytes(dest, data)


def write_evidence(results: pd.DataFrame, trials: pd.DataFrame, out_dir: Path) -> Path:
    """Write ``<out_dir>/data`` whole, replacing the previous bundle only once the new one
    is complete (a crash leaves the old one)."""
    target = Path(out_dir) / DATA
    staging = target.with_name(f".{DATA}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        grids = _last_grids(results)
        shown = shown_trials(trials)
        moved = trials.copy()
        dirs = []
        for _, trial in trials.iterrows():
            rel = Path(TRIALS) / str(trial["trial_id"])
            if (trial["ablation"], trial["trial_id"]) in shown:
                path, _ = sample_path({**trial, "final.sample_grid": grids.get(trial["trial_id"])})
                if path is not None:
                    _keep_picture(path, staging / rel / path.relative_to(str(trial["trial_dir"])))
            dirs.append(str(rel))
        if len(moved):
            moved["trial_dir"] = dirs
        for name, frame in (("results", results), ("trials", moved)):
            buf = io.BytesIO()
            frame.to_parquet(buf, index=False)
            files.write_bytes(staging / f"{name}.parquet", buf.getvalue())
        old = target.with_name(f".{DATA}.{os.getpid()}.old")
        if target.exists():
            target.rename(old)
        try:
            staging.rename(target)
        except OSError:
            if old.exists():
                old.rename(target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
