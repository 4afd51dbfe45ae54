"""``python -m wgan_suite report``: a self-contained HTML report from the results tables.

The report reads only the previous stages' files: ``results.parquet`` and
``trials.parquet`` of one or more run directories, the sample PNGs in the trial
directories they name, and the claim verdicts. It writes ``index.html`` (a first screen
with a figure of verdicts per claim and budget, the counts and what would decide the
rest; the claims table; run metadata) and one ``<ablation>.html`` per ablation; every
figure and sample grid is an embedded PNG, the CSS is inline, nothing refers to the
network. Beside them, ``data/`` holds the evidence the pages were built from
(``wgan_suite.report.evidence``), which this command reads back like a runs directory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow

from wgan_suite.claims import evaluate_claims, load_claims
from wgan_suite.claims.registration import analysis_hash, load_registrations
from wgan_suite.claims.sensitivity import with_sensitivity
from wgan_suite.core import files
from wgan_suite.core.errors import InputError
from wgan_suite.core.layout import ReportDir, RunsDir
from wgan_suite.core.locations import COMMAND
from wgan_suite.core.provenance import git_state
from wgan_suite.report.evidence import write_evidence
from wgan_suite.report.pages import all_pages
from wgan_suite.report.render import render
from wgan_suite.report.summary import budgets_run

__all__ = ["build_report", "read_runs", "report_from_runs"]


def build_report(
    results: pd.DataFrame,
    trials: pd.DataFrame,
    verdicts: Sequence[Any],
    out_dir: Path,
    meta: dict[str, Any] | None = None,
    by_budget: Mapping[str, Sequence[Any]] | None = None,
) -> Path:
    """Write the pages into ``out_dir`` and return the path of ``index.html``.

    ``verdicts``: one ``wgan_suite.claims.Verdict`` (or a dict with its fields) per claim, the
    verdict the tables show. ``by_budget``: budget -> the verdicts evaluated at that
    budget, for the first screen's claims x budgets figure (without it, each claim
    appears at its own verdict's budget only). ``meta`` adds (label, value) rows to the
    run metadata (e.g. the run directories).
    """
    out_dir = Path(out_dir)
    index, pages = all_pages(results, trials, list(verdicts), meta, by_budget)
    nav = [(p["name"], p["file"]) for p in pages]
    for page in pages:
        render("ablation.html.j2", out_dir / page["file"], page=page, nav=nav)
    table = verdict_table(verdicts, by_budget)
    files.write_text(ReportDir(out_dir).verdicts, table.to_csv(index=False))
    write_evidence(results, trials, out_dir)
    return render("index.html.j2", ReportDir(out_dir).index, index=index, nav=nav)


VERDICT_COLUMNS = (
    "claim_id", "family", "location", "statement", "ablation", "budget", "verdict",
    "confirmatory", "holm_verdict", "measured", "ci_low", "ci_high", "ci_method", "test",
    "p_value", "p_against", "p_decision", "p_holm", "family_size", "min_p", "min_p_against",
    "seeds_needed", "n", "seeds", "premises", "premise_failed", "sensitivity", "registration",
    "exploratory_why", "check_hash", "budget_note", "made_at", "scale", "below_scale",
    "refutable", "earlier", "summary",
)  # fmt: skip
# Which code computed the verdicts (the same for every row of one report).
CODE_COLUMNS = ("analysis_hash", "code_commit", "dirty")


def verdict_table(
    verdicts: Sequence[Any], by_budget: Mapping[str, Sequence[Any]] | None = None
) -> pd.DataFrame:
    """One row per claim and budget run (``shown``: the verdict the tables show), for
    readers who want the numbers without the HTML (``reports/verdicts.csv``)."""

    def fields(v: Any) -> Mapping[str, Any]:
        return v if isinstance(v, Mapping) else vars(v)

    def key(v: Any) -> tuple[Any, Any]:
        return fields(v).get("claim_id"), fields(v).get("budget")

    def row(v: Any, shown: bool) -> dict[str, Any]:
        return {**{c: fields(v).get(c) for c in VERDICT_COLUMNS}, "shown": shown}

    shown = {key(v) for v in verdicts}
    rows = {key(v): row(v, key(v) in shown) for vs in (by_budget or {}).values() for v in vs}
    for v in verdicts:  # a claim run at no budget still gets its (inconclusive) row
        rows[key(v)] = row(v, True)  # the shown verdict (its registered reading) wins
    commit, dirty = git_state()
    code = {"analysis_hash": analysis_hash(), "code_commit": commit, "dirty": dirty}
    frame = pd.DataFrame(list(rows.values()), columns=[*VERDICT_COLUMNS, "shown"])
    return frame.assign(**code)


def _read_table(path: Path, run: Path) -> pd.DataFrame:
    """One table; a missing, truncated or garbled file is bad input naming the fix."""
    rebuild = f"`{COMMAND} collect --runs {run}` rebuilds it from the trial directories"
    if not path.is_file():
        raise InputError(
            f"{path} not found: {run} is neither a runs directory with its tables ({rebuild}) "
            f"nor a report's evidence (the {ReportDir.EVIDENCE}/ folder `{COMMAND} report` writes)"
        )
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, pyarrow.ArrowException) as err:
        why = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise InputError(f"{path}: not a readable table ({why}); {rebuild}") from None


def read_runs(runs: Sequence[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables of every run directory (or evidence bundle, ``reports/data``),
    concatenated. A trial found in several is taken whole from the last one named, so a
    rerun listed after the bundle it updates replaces the old rows instead of mixing with
    them. Relative trial directories (``collect`` and the bundle write them so) are read
    relative to their source, so a runs directory or a bundle can be moved."""
    results, trials = [], []
    for order, run in enumerate(map(Path, runs)):
        for name, into in ((RunsDir.RESULTS, results), (RunsDir.TRIALS, trials)):
            path = RunsDir(run).table(name)
            frame = _read_table(path, run).assign(_source=order)
            if name == RunsDir.TRIALS and "trial_dir" in frame:
                frame["trial_dir"] = [_under(run, d) for d in frame["trial_dir"]]
            into.append(frame)
    res = pd.concat(results, ignore_index=True) if results else pd.DataFrame()
    tri = pd.concat(trials, ignore_index=True) if trials else pd.DataFrame()
    if len(tri):
        key = ["ablation", "trial_id"]
        latest = tri.groupby(key)["_source"].transform("max")
        tri = tri[tri["_source"] == latest].drop_duplicates(key, keep="last")
        if len(res):
            kept = tri.set_index(key)["_source"].to_dict()
            rows = res[key].itertuples(index=False, name=None)
            source = pd.Series([kept.get(k) for k in rows], index=res.index, dtype=float)
            res = res[(source == res["_source"]) | source.isna()]
    if len(res):
        res = res.drop_duplicates(["ablation", "trial_id", "iteration"], keep="last")
    return (
        res.drop(columns="_source", errors="ignore").reset_index(drop=True),
        tri.drop(columns="_source", errors="ignore").reset_index(drop=True),
    )


def _under(run: Path, trial_dir: object) -> object:
    if trial_dir is None or pd.isna(trial_dir) or Path(str(trial_dir)).is_absolute():
        return trial_dir
    return str(run / str(trial_dir))


def report_from_runs(
    runs: Sequence[Path],
    out_dir: Path = Path("reports"),
    claims: Sequence[Any] | None = None,
    registrations: Sequence[Any] | None = None,
) -> Path:
    """Read the run directories, evaluate every claim, build the report.

    Each claim is evaluated at every budget present in the tables (the figure of
    verdicts per budget) and once at its default, the largest budget its ablation ran
    (the verdict the tables show). ``claims``: default every file in ``claims/``.
    """
    results, trials = read_runs(runs)
    claims = load_claims() if claims is None else claims
    registrations = load_registrations() if registrations is None else registrations
    verdicts = evaluate_claims(results, trials, claims, registrations=registrations)
    verdicts = with_sensitivity(verdicts, claims, results, trials)
    by_budget = {
        b: evaluate_claims(results, trials, claims, budget=b, registrations=registrations)
        for b in budgets_run(trials, results)
    }
    meta = {
        "runs": ", ".join(str(r) for r in runs),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return build_report(results, trials, verdicts, Path(out_dir), meta, by_budget)
