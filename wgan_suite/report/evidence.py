"""The evidence behind a report, kept beside it in ``<out>/data/``.

A report is only as good as the numbers under it, and ``runs/`` (checkpoints, gigabytes)
does not travel with the repository. So the report writes what it was built from: both
tables (``results.parquet``, ``trials.parquet``) and the sample grid of each cell's lowest
seed (the pictures the pages show, as the thumbnails they embed). ``python -m wgan_suite report
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

from wgan_suite.core import files
from wgan_suite.core.layout import ReportDir, RunsDir
from wgan_suite.report import tables as t
from wgan_suite.report.images import SAMPLE, sample_path, thumbnail_png

DATA = ReportDir.EVIDENCE  # laid out like a runs directory (RunsDir)

__all__ = ["DATA", "write_evidence"]


def shown_trials(results: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """Summary rows (``tables.trial_summary``, as the pages build them per ablation and
    budget) of each cell's lowest seed: the trials whose sample grids the pages show."""
    if trials.empty or results.empty:  # no trial has logged a row: no sample grid yet
        return pd.DataFrame(columns=["ablation", "trial_id", "trial_dir"])
    firsts = []
    for (name, budget), tri in trials.groupby(["ablation", "budget"], sort=False):
        res = results[(results["ablation"] == name) & (results["budget"] == budget)]
        summary = t.trial_summary(res, tri)  # sorted by cell, then seed
        firsts.append(summary.groupby("cell", sort=False).head(1))
    return pd.concat(firsts, ignore_index=True)


def _keep_picture(path: Path, dest: Path) -> None:
    try:
        data = thumbnail_png(path, SAMPLE)
    except OSError:  # unreadable: the pages say so; the bundle goes on without it
        return
    files.write_bytes(dest, data)


def write_evidence(results: pd.DataFrame, trials: pd.DataFrame, out_dir: Path) -> Path:
    """Write ``<out_dir>/data`` whole, replacing the previous bundle only once the new one
    is complete (a crash leaves the old one)."""
    target = ReportDir(out_dir).evidence
    staging = target.with_name(f".{DATA}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for _, trial in shown_trials(results, trials).iterrows():
            path, _ = sample_path(trial)
            if path is not None:
                inside = path.relative_to(str(trial["trial_dir"]))
                bundle = RunsDir(staging).trial(str(trial["trial_id"]))
                _keep_picture(path, bundle.path / inside)
        moved = trials.copy()
        if len(moved):
            moved["trial_dir"] = [str(RunsDir.trial_rel(str(i))) for i in moved["trial_id"]]
        for name, frame in ((RunsDir.RESULTS, results), (RunsDir.TRIALS, moved)):
            buf = io.BytesIO()
            frame.to_parquet(buf, index=False)
            files.write_bytes(RunsDir(staging).table(name), buf.getvalue())
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
