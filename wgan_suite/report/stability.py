"""The stability table (WGAN Sec. 4.3, Figs. 5-7): one label per cell that means what it says.

* diverged: a seed's loss went non-finite (divergence is a result);
* not trained: the generator has not learnt: most seeds' quality score did not at least
  halve from iteration 0. The same rule, and the same code, as the claims' ``failed``
  reduction (``wgan_suite.claims.reductions``), so the table and the verdicts cannot disagree
  on what "failed to learn" means;
* collapsed: a mode count (Stacked MNIST), where the data has one, below its rule; on
  data without one, every indirect diversity measure present below its rule;
* diversity unclear: the measures that decide disagree (recall falls for noisy,
  off-manifold samples as much as for missing modes, and a spread ratio can be high for
  saturated repeats), so the table calls the cell neither collapsed nor diverse;
* trained: it learnt and its samples are diverse.

Next to each cell: what the paper shows for that generator and method (data in
``paper_outcomes.yaml``), and a warning when the cell's quality was still improving at
the end of the run, i.e. the budget is too short for that method's learning rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from wgan_suite.claims.reductions import Measure, reduce_trial
from wgan_suite.core import files
from wgan_suite.core.statuses import TrialStatus
from wgan_suite.report import labels
from wgan_suite.report.tables import fmt, interval_text, mean_of

SCORED = (TrialStatus.FINISHED, TrialStatus.STOPPED)  # their final checkpoint is a result
UNCLEAR = "diversity unclear"
UNDECIDED = ("no result", "unmeasured", UNCLEAR)  # labels that neither agree nor differ
IMPROVING = 0.10  # quality still improved by more than this over the last quarter
PAPER_OUTCOMES = Path(__file__).with_name("paper_outcomes.yaml")


@dataclass(frozen=True)
class Rule:
    """Collapsed when the cell's mean final ``column`` is below ``below``."""

    column: str
    below: float
    why: str  # what the threshold means, for the page
    direct: bool = False  # counts modes itself: where present it decides alone

    def text(self) -> str:
        return f"mean final {self.column} < {self.below:g} ({self.why})"


# Suite choices, printed on the page. A diverse generator has a ratio near 1 and recall
# well above 0; a collapsed one covers a fraction of the real data.
DIVERSITY_RULES = (
    Rule("diversity_ratio", 0.5, "samples half as spread out as real images"),
    Rule("recall_classifier", 0.2, "under a fifth of real images near a sample"),
    Rule("recall", 0.2, "under a fifth of real images near a sample"),
    Rule("stacked_modes", 500, "under half of the 1,000 Stacked MNIST modes", direct=True),
)


def diversity_rules(summary: pd.DataFrame) -> list[Rule]:
    """The rules whose column has a final value in this table."""
    return [
        r
        for r in DIVERSITY_RULES
        if f"final.{r.column}" in summary and summary[f"final.{r.column}"].notna().any()
    ]


# ---------------------------------------------------------------- learnt or not
def failed_to_learn(results: pd.DataFrame, quality: str | None) -> dict[str, float | None]:
    """Per trial: the claims' ``failed`` reduction on its scored rows (1 failed, 0 learnt,
    None when it has no iteration-0 score to compare with)."""
    if quality is None or quality not in results or not labels.lower_is_better(quality):
        return {}
    measure = Measure(reduce="failed", metric=quality, rows="checkpoints")
    rows = results.dropna(subset=[quality])
    if "at_checkpoint" in rows:
        rows = rows[rows["at_checkpoint"].fillna(False).astype(bool)]
    out: dict[str, float | None] = {}
    for trial_id, own in rows.sort_values("iteration").groupby("trial_id"):
        status = str(own["status"].iloc[-1]) if "status" in own else ""
        series = pd.Series(own[quality].to_numpy(float), index=own["iteration"].to_numpy(float))
        starts_at_zero = len(series) and series.index[0] == 0
        out[str(trial_id)] = reduce_trial(series, status, measure) if starts_at_zero else None
    return out


def still_improving(rows: pd.DataFrame, quality: str | None) -> bool:
    """True when the cell's mean quality improved by more than 10% over the last quarter
    of its checkpoints (at least four): longer training may change the cell's label."""
    if quality is None or quality not in rows:
        return False
    scored = rows.dropna(subset=[quality])
    curve = scored.groupby("iteration")[quality].mean().sort_index()
    if len(curve) < 4:
        return False
    start = float(curve.iloc[math.floor(0.75 * (len(curve) - 1))])
    end = float(curve.iloc[-1])
    if start == 0 or not (math.isfinite(start) and math.isfinite(end)):
        return False
    gain = (start - end) if labels.lower_is_better(quality) else (end - start)
    return gain / abs(start) > IMPROVING


# ---------------------------------------------------------------- the label
Reading = list[tuple[Rule, float]]


def diversity_reading(cell: pd.DataFrame, rules: list[Rule]) -> tuple[Reading, Reading]:
    """(below, at or above their rule): the deciding diversity measures' means over the
    cell's scored seeds (a mode count, where present, decides alone)."""
    done = cell[cell["status"].isin(SCORED)]
    means = [(r, mean_of(done[f"final.{r.column}"])) for r in rules]
    means = [(r, m) for r, m in means if m is not None]
    means = [(r, m) for r, m in means if r.direct] or means
    return [(r, m) for r, m in means if m < r.below], [(r, m) for r, m in means if m >= r.below]


def lacks_diversity(cell: pd.DataFrame, rules: list[Rule]) -> bool:
    """Every deciding diversity measure is below its rule."""
    low, high = diversity_reading(cell, rules)
    return bool(low) and not high


def cell_status(cell: pd.DataFrame, rules: list[Rule], quality: str | None) -> tuple[str, str]:
    """(label, why) for one cell's trials (summary rows; ``failed`` from failed_to_learn)."""
    n = len(cell)
    diverged = int((cell["status"] == TrialStatus.DIVERGED).sum())
    if diverged:
        return "diverged", f"{diverged} of {n} seeds diverged"
    done = cell[cell["status"].isin(SCORED)]
    if done.empty:
        return "no result", "no seed finished"
    low, high = diversity_reading(cell, rules)
    why = "; ".join(f"{r.column} {fmt(m)} < {r.below:g}" for r, m in low)
    failed = done["failed"].dropna() if "failed" in done else pd.Series(dtype=float)
    if len(failed) and failed.mean() > 0.5:
        # first: an untrained generator's samples lack diversity too (grey, or one image),
        # and calling that "collapsed" would blame training for what it never did
        also = f" ({why}: the samples also lack diversity)" if low and not high else ""
        return "not trained", (
            f"{int(failed.sum())} of {len(failed)} seeds: final {quality} above half its "
            f"iteration-0 value{also}"
        )
    if low:
        if not high:
            return "collapsed", why
        return UNCLEAR, why + " but " + "; ".join(
            f"{r.column} {fmt(m)} >= {r.below:g}" for r, m in high
        )
    if len(failed):
        return "trained", f"{int(len(failed) - failed.sum())} of {len(failed)} seeds learnt"
    return "unmeasured", "no iteration-0 quality score: whether it learnt cannot be told"


# ---------------------------------------------------------------- the paper's cells
@cache
def paper_outcomes() -> dict[str, Any]:
    """``paper_outcomes.yaml``: generator entry -> figure, words per loss entry."""
    data = files.read_yaml(PAPER_OUTCOMES, ValueError) or {}
    return {"source": data.get("source", ""), "generators": data.get("generators") or {}}


def paper_outcome(generator: str | None, loss: str | None) -> dict[str, str] | None:
    """What the paper shows for this generator and loss, or None when it shows no such run."""
    entry = paper_outcomes()["generators"].get(str(generator))
    words = (entry or {}).get("losses", {}).get(str(loss))
    if not words:
        return None
    return {"figure": str(entry["figure"]), "what": str(entry.get("what", "")), **words}


def entry_name(row: pd.Series, section: str) -> str | None:
    """The registry entry a trial used: ``config.<section>.name``, else the axis label's
    name (``mlp(width=512)`` -> ``mlp``)."""
    for column in (f"config.{section}.name", f"config.{section}"):
        value = row.get(column)
        if value is not None and not pd.isna(value):
            return str(value)
    value = row.get(f"axis.{section}")
    if value is None or pd.isna(value):
        return None
    return str(value).split("(", 1)[0]


# ---------------------------------------------------------------- the table
def stability_rows(
    summary: pd.DataFrame, results: pd.DataFrame, quality: str | None
) -> dict[str, dict[str, Any]]:
    """Per cell: label and why, final quality mean [95% CI], the paper's outcome,
    whether it was still improving, and the lowest seed's trial (for the thumbnail)."""
    failed = failed_to_learn(results, quality)
    summary = summary.assign(failed=summary["trial_id"].astype(str).map(failed))
    rules = diversity_rules(summary)
    out = {}
    for label, group in summary.groupby("cell", sort=False):
        first = group.sort_values("seed").iloc[0]
        status, why = cell_status(group, rules, quality)
        rows = results[results["trial_id"].isin(group["trial_id"])]
        paper = paper_outcome(entry_name(first, "generator"), entry_name(first, "loss"))
        out[str(label)] = {
            "quality": interval_text(group[f"final.{quality}"]) if quality else "—",
            "status": status,
            "why": why,
            "paper": paper,
            # an untrained generator whose samples also lack diversity cannot be told
            # from a collapsed one: neither agreeing nor differing with "collapsed"
            "agrees": agreement(
                paper, status, ("collapsed",) if lacks_diversity(group, rules) else ()
            ),
            "improving": still_improving(rows, quality),
            "seeds": len(group),
            "thumb_trial": first,
        }
    return out


def agreement(
    paper: dict[str, str] | None, status: str, unclear: tuple[str, ...] = ()
) -> bool | None:
    """Whether the cell's label matches the paper's; None when either says nothing, or
    when the paper's outcome is one the cell's scores cannot rule in or out (``unclear``)."""
    if paper is None or status in UNDECIDED or paper["outcome"] in unclear:
        return None
    return paper["outcome"] == status


def rule_text(quality: str | None, rules: list[Rule]) -> str:
    """The labelling rule as printed above the table."""
    q = labels.final_label(quality) if quality else "final quality"
    direct = "; ".join(r.text() for r in rules if r.direct)
    indirect = "; ".join(r.text() for r in rules if not r.direct)
    diversity = " or, without it, ".join(
        part
        for part in (
            direct and f"the mode count: {direct}",
            indirect and f"every one of: {indirect}",
        )
        if part
    ) or ("cannot be told: no diversity score at this budget")
    return (
        f"Cells: {q}, mean [95% CI] over seeds. Labels, first that applies: "
        "diverged (a seed diverged); no result (no seed finished); "
        f"not trained (most seeds' final {quality or 'quality'} above half its iteration-0 "
        "value: the claims' 'failed' rule); "
        f"collapsed ({diversity}); diversity unclear (the deciding measures disagree: "
        "some below their rule, some not); trained (learnt, diverse); "
        "unmeasured (no iteration-0 score). The paper's outcome for each cell is quoted "
        "from its figure captions; 'cannot tell' where the label cannot be compared."
    )
