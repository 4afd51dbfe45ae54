"""``python -m suite report``: a self-contained HTML report from the results tables.

The report reads only the previous stages' files (STYLE 20): ``results.parquet`` and
``trials.parquet`` of one or more run directories, the sample PNGs in the trial
directories they name, and the claim verdicts. It writes ``index.html`` (metadata,
claims table, links) and one ``<ablation>.html`` per ablation; every figure and sample
grid is an embedded PNG, the CSS is inline, and nothing refers to the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from suite.report.pages import all_pages
from suite.report.render import render

__all__ = ["build_report", "read_runs", "report_from_runs"]


def build_report(
    results: pd.DataFrame,
    trials: pd.DataFrame,
    verdicts: Sequence[Any],
    out_dir: Path,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write the pages into ``out_dir`` and return the path of ``index.html``.

    ``verdicts`` are ``suite.claims.Verdict`` objects (or dicts with the same fields);
    ``meta`` adds (label, value) rows to the run metadata (e.g. the run directories).
    """
    out_dir = Path(out_dir)
    index, pages = all_pages(results, trials, list(verdicts), meta)
    nav = [(p["name"], p["file"]) for p in pages]
    for page in pages:
        render("ablation.html.j2", out_dir / page["file"], page=page, nav=nav)
    return render("index.html.j2", out_dir / "index.html", index=index, nav=nav)


def read_runs(runs: Sequence[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables of every run directory, concatenated; a row seen twice is kept once."""
    results, trials = [], []
    for run in map(Path, runs):
        for name, into in (("results", results), ("trials", trials)):
            path = run / f"{name}.parquet"
            if not path.is_file():
                raise FileNotFoundError(
                    f"{path} not found: run `python -m suite collect --runs {run}` first"
                )
            into.append(pd.read_parquet(path))
    res = pd.concat(results, ignore_index=True) if results else pd.DataFrame()
    tri = pd.concat(trials, ignore_index=True) if trials else pd.DataFrame()
    if len(res):
        res = res.drop_duplicates(["ablation", "trial_id", "iteration"], keep="last")
    if len(tri):
        tri = tri.drop_duplicates(["ablation", "trial_id"], keep="last")
    return res.reset_index(drop=True), tri.reset_index(drop=True)


def report_from_runs(runs: Sequence[Path], out_dir: Path = Path("reports")) -> Path:
    """Read the run directories, evaluate every claim, build the report."""
    from suite.claims import evaluate_claims, load_claims

    results, trials = read_runs(runs)
    verdicts = evaluate_claims(results, trials, load_claims())
    meta = {
        "runs": ", ".join(str(r) for r in runs),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return build_report(results, trials, verdicts, Path(out_dir), meta)
