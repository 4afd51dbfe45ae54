"""The sections of an ablation page, each built from the columns it needs.

A section builder returns ``None`` when the section does not apply to the ablation
(e.g. no clipping range is varied) and a section holding a "not measured at this
budget" note when it applies but its data is missing: a report never crashes on a
short run. Which sections apply is decided by columns, never by ablation names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wgan_suite.analysis.summaries import first_present
from wgan_suite.report import labels, plots
from wgan_suite.report import stability as st
from wgan_suite.report import tables as t
from wgan_suite.report.images import SAMPLE, THUMB, Picture, trial_picture


@dataclass
class Figure:
    uri: str  # data: URI of the PNG
    alt: str  # what it shows
    caption: str  # one line: what to look for


@dataclass
class Section:
    kind: str  # which template macro renders ``data``
    id: str  # HTML anchor
    title: str
    intro: str = ""  # what the section shows / the rule it applies
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "not measured at this budget: why"
    data: Any = None  # kind-specific table


@dataclass
class Scope:
    """One ablation at one budget: its result rows and one summary row per trial."""

    ablation: str
    budget: str
    suffix: str  # appended to anchors when a page holds several budgets
    results: pd.DataFrame
    summary: pd.DataFrame

    def trial_rows(self, labels: list[str]) -> pd.DataFrame:
        ids = self.summary.loc[self.summary["cell"].isin(labels), "trial_id"]
        return self.results[self.results["trial_id"].isin(ids)]

    def missing(self, why: str) -> str:
        return f"not measured at this budget ({self.budget}): {why}"


def _cells(scope: Scope) -> list[str]:
    return [str(c) for c in pd.unique(scope.summary["cell"])]


def _quality_note(scope: Scope) -> str:
    return scope.missing(
        "no fid, fd_classifier or w1 at any checkpoint yet (FID/KID run at the paper budget "
        "only; fd_classifier needs a finished checkpoint)"
    )


# ---------------------------------------------------------------- stability table
def stability(scope: Scope) -> Section | None:
    """Generator (x critic) rows, loss columns: a label per cell that means what it says,
    the final quality, and what the paper shows for that cell (Figs. 5-7)."""
    s = scope.summary
    if not {"axis.generator", "axis.loss"} <= set(t.axis_columns(s)):
        return None
    quality = t.quality_metric(scope.results)
    grid = t.layout(s, ["axis.generator", "axis.critic"], "axis.loss")
    cells = st.stability_rows(s, scope.results, quality)
    for entry in cells.values():
        entry["thumb"] = trial_picture(entry.pop("thumb_trial"), THUMB, "seed-0 samples")
    rule = st.rule_text(quality, st.diversity_rules(s))
    section = Section("stability", f"stability{scope.suffix}", "Stability (paper Sec. 4.3)", rule)
    section.data = {"layout": grid, "cells": cells, "source": st.paper_outcomes()["source"]}
    if quality is None:
        section.notes.append(_quality_note(scope))
    improving = [label for label, c in cells.items() if c["improving"]]
    if improving:
        section.notes.append(
            f"{len(improving)} of {len(cells)} cells were still improving at the last "
            f"checkpoint (quality better by more than {st.IMPROVING:.0%} over the last quarter "
            f"of the checkpoints): the {scope.budget} budget is too short for those methods' "
            "learning rates, and longer training may change their labels."
        )
    return section


# ---------------------------------------------------------------- loss curves
CURVES = {
    "w": (
        ("w_estimate_smooth", "w_estimate"),
        "W estimate vs generator iterations (paper Fig. 3)",
        "Look for: the W estimate moving with sample quality (twin axis): falling as the "
        "samples improve (Fig. 3, upper row), flat where training fails (lower row); and "
        "the seeds agreeing.",
        None,
    ),
    "js": (
        ("js_estimate_smooth", "js_estimate"),
        "JS estimate vs generator iterations (paper Fig. 4)",
        "Look for: the JS estimate sits near log 2 or jumps about, unrelated to sample quality.",
        math.log(2),
    ),
}


def curves(scope: Scope, which: str) -> Section | None:
    """One figure per cell: per-seed thin lines, the mean bold, quality on the twin axis."""
    columns, title, caption, reference = CURVES[which]
    if not any(t.present(scope.results, c) for c in columns):
        return None
    section = Section("figures", f"{which}-curves{scope.suffix}", title)
    quality = t.quality_metric(scope.results)
    for label in _cells(scope):
        cell = scope.trial_rows([label])
        estimate = first_present(cell, columns)
        if estimate is None:
            continue
        uri = plots.estimate_curves(cell, estimate, quality, label, reference)
        section.figures.append(Figure(uri, f"{estimate} for {label}", caption))
    if quality is None:
        section.notes.append(_quality_note(scope))
    return section


# ---------------------------------------------------------------- clipping range
def c_sweep(scope: Scope) -> Section | None:
    """Final quality vs c and per-layer critic gradient norms (WGAN-GP Fig. 1b)."""
    res = scope.results
    if not t.present(res, "config.lipschitz.c") or res["config.lipschitz.c"].nunique() < 2:
        return None
    section = Section("figures", f"c-sweep{scope.suffix}", "Clipping range c")
    sweep = t.c_sweep(scope.summary, res)
    metric = t.quality_metric(res)
    if metric and sweep[f"final.{metric}"].notna().any():
        caption = "Look for: an interior c that works; too large or too small a c hurts."
        uri = plots.c_sweep_plot(sweep, metric)
        section.figures.append(Figure(uri, f"final {metric} vs c", caption))
    else:
        section.notes.append(_quality_note(scope))
    norms = t.layer_norms(res, scope.summary)
    if len(norms):
        caption = (
            "Look for: norms growing (large c) or shrinking (small c) by orders of magnitude "
            "from the output back to the input; flat with the gradient penalty."
        )
        uri = plots.layer_norm_plot(norms)
        section.figures.append(Figure(uri, "critic gradient norm per layer", caption))
    else:
        section.notes.append(scope.missing("no critic_grad_norm.Lxx at any checkpoint"))
    return section


def _one_facet(res: pd.DataFrame, facets: list[str]) -> tuple[pd.DataFrame, str | None]:
    """One panel per combination of every facet axis, titled with all of them
    (``loss=wgan, lipschitz=clip(c=0.01)``): a title naming only the first of two paired
    settings would hide what the panel holds."""
    if not facets:
        return res, None
    if len(facets) == 1:
        return res, facets[0]
    title = (
        res[facets]
        .astype(str)
        .apply(
            lambda row: ", ".join(f"{a.removeprefix('axis.')}={v}" for a, v in row.items()), axis=1
        )
    )
    return res.assign(_panel=title), "_panel"


# ---------------------------------------------------------------- critic optimizer
def optimizers(scope: Scope) -> Section | None:
    """Applies when the critic optimizer varies while the loss is fixed (WGAN Sec. 3)."""
    s, res = scope.summary, scope.results
    if "axis.c_optimizer" not in t.varied_axes(s) or "axis.loss" in t.varied_axes(s):
        return None
    axis = "axis.c_optimizer"
    section = Section("optimizers", f"optimizers{scope.suffix}", "Critic optimizer")
    facets = [a for a in t.varied_axes(s) if not t.determined_by(s, [axis], a)]
    res, facet = _one_facet(res, facets)
    estimate = first_present(res, CURVES["w"][0])
    if estimate:
        caption = "Look for: steady curves with RMSprop; jumps or blow-ups with momentum/Adam."
        uri = plots.grouped_curves(res.dropna(subset=[estimate]), estimate, axis, facet)
        section.figures.append(Figure(uri, f"{estimate} per critic optimizer", caption))
    else:
        section.notes.append(scope.missing("no W estimate recorded"))
    if t.present(res, "step_cos_critic"):
        caption = "Look for: mass below 0 (steps against the gradient) with momentum."
        uri = plots.step_cos_plot(res.dropna(subset=["step_cos_critic"]), axis)
        section.figures.append(Figure(uri, "step/gradient cosine per critic optimizer", caption))
        section.data = t.negative_cos_rows(res, s, axis)
    else:
        section.notes.append(scope.missing("step_cos_critic was not logged"))
    return section


# ---------------------------------------------------------------- toy data
def toy(scope: Scope) -> Section | None:
    """Sample scatter of each cell (seed 0) and the mode/W1 table."""
    if not any(t.present(scope.results, m) for m in t.TOY_METRICS):
        return None
    s = scope.summary
    grid = t.layout(s, ["axis.data"], "axis.loss")
    pictures = {}
    for label, group in s.groupby("cell", sort=False):
        pictures[str(label)] = trial_picture(group.sort_values("seed").iloc[0], SAMPLE, label)
    intro = (
        "Samples of the lowest seed at its last checkpoint; table: mean [95% CI] over "
        "seeds (wgan_suite.analysis.stats)."
    )
    section = Section("toy", f"toy{scope.suffix}", "Toy mixtures: modes and W1", intro)
    metrics = t.TOY_TABLE
    headers = {m: {"text": labels.label(m), "title": labels.describe(m)} for m in metrics}
    section.data = {"layout": grid, "pictures": pictures, "rows": t.toy_rows(s), "headers": headers}
    return section


# ---------------------------------------------------------------- loss vs quality
def correlation(scope: Scope) -> Section | None:
    res = scope.results
    if not any(t.present(res, c) for c in ("w_estimate_eval", "js_estimate_eval")):
        return None
    rows, source = t.correlations(res, scope.summary)
    intro = (
        "Spearman correlation over checkpoints between the loss estimate and the quality "
        "score (both distances: positive when they fall together), leaving out iteration "
        "0, where the estimate is an untrained critic's output: Sec. 4.2 expects a "
        f"strong positive value for the W estimate and none for the JS estimate ({source}); "
        "mean [95% CI] over seeds (wgan_suite.analysis.stats)."
    )
    section = Section("correlation", f"correlation{scope.suffix}", "Loss vs quality", intro)
    section.data = rows
    if not rows:
        why = "no fid or fd_classifier at two or more checkpoints (toy data has only w1)"
        section.notes.append(scope.missing(why))
    return section


# ---------------------------------------------------------------- samples, trials
def samples(scope: Scope) -> Section:
    section = Section(
        "samples", f"samples{scope.suffix}", "Samples per cell", "Lowest seed, last checkpoint."
    )
    pictures: list[tuple[str, Picture]] = []
    for label, group in scope.summary.groupby("cell", sort=False):
        first = group.sort_values("seed").iloc[0]
        pictures.append((f"{label} (seed {first['seed']})", trial_picture(first, SAMPLE, label)))
    section.data = pictures
    return section


def trials(scope: Scope) -> Section:
    section = Section("trials", f"trials{scope.suffix}", "Trials")
    section.data = t.trial_rows(scope.summary)
    return section


def build(scope: Scope) -> list[Section]:
    """Every section that applies to this ablation at this budget, in page order."""
    toy_section = toy(scope)
    found = [
        stability(scope),
        toy_section,
        curves(scope, "w"),
        curves(scope, "js"),
        correlation(scope),
        c_sweep(scope),
        optimizers(scope),
        None if toy_section else samples(scope),  # the toy panels already show the samples
        trials(scope),
    ]
    return [s for s in found if s is not None]
