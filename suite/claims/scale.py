"""The scale a claim was made at, and what a verdict decided below it may say.

The paper's image claims were made on LSUN at 64 px with DCGAN width 64 and 100k+
generator iterations (WGAN Sec. 4); the cpu budget runs 16 px, width 16, 8,000
iterations. An effect that needs the paper's scale cannot show below it, so a
refutation there says little about the paper. Each claim states ``scale.made_at``;
a verdict whose trials ran below it carries a scale premise with this rule:

- "reproduced" below the claim's scale stands (the effect showed even there);
- "not reproduced" below it stands only as "not reproduced at <the run's scale>", and
  only when the claim's **scale ladder** (an ablation running its effect at two or more
  rungs, e.g. 16 px / width 16 and 32 px / width 32, same iterations, same seeds) shows
  the effect not growing toward the claim's scale; otherwise the verdict reads
  "inconclusive: below the claim's scale", with the ladder's trend.

"Not growing toward the claim's scale" is a registered test, not a look at a plot: per
seed, the ladder part's value is fitted by a line in log2(image size) across the rungs
and extrapolated to the claim's image size; a one-sample Wilcoxon signed-rank test then
asks whether the extrapolated values still miss the part's threshold (one-sided, at the
ladder's alpha, Bonferroni over the parts: one part that misses refutes an all-of claim).
Where the extrapolations clear every threshold the effect grows toward the claim's scale;
where neither test decides, the ladder cannot tell. A ladder whose rungs fail the claim's
premises (a generator that did not learn at one rung) cannot tell either.

The ladder test gates a refutation and never makes one: "not reproduced" still needs the
claim's own test to refute it at its family's corrected level, so the ladder's own alpha
adds no false refutations (an intersection of the two).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from suite.claims import outcome as out
from suite.claims.checks import group_values
from suite.claims.context import Context, config_column, matches
from suite.claims.premises import Premise
from suite.claims.reductions import Measure
from suite.claims.selection import Inconclusive, Where, describe_where
from suite.locations import COMMAND
from suite.options import Options
from suite.stats import ALPHA, Op, Verdict

# the scale dimensions: the trial config value each is read from, and how it reads
DIMENSIONS: dict[str, tuple[str, str]] = {
    "image_size": ("data.image_size", "{:,} px"),
    "width": ("critic.width", "width {:,}"),
    "iterations": ("iterations", "{:,} iterations"),
}

BELOW = "below the claim's scale"
LADDER_DIMS = ("image_size", "width")  # what a ladder's rungs vary, together


class ScalePoint(Options):
    """Where a claim was made (or a run ran): any of image size, width, iterations.

    A dimension left out is not compared (a toy claim has no image size)."""

    image_size: int | None = Field(None, ge=1, description="pixels per side")
    width: int | None = Field(
        None, ge=1, description="the critic's width: DCGAN filters of its first layer, MLP units"
    )
    iterations: int | None = Field(None, ge=1, description="generator iterations")

    def text(self) -> str:
        parts = [
            fmt.format(getattr(self, name))
            for name, (_, fmt) in DIMENSIONS.items()
            if getattr(self, name) is not None
        ]
        return " / ".join(parts) or "the paper's own setting (nothing scaled down)"


class LadderPart(Options):
    """One per-seed effect read on every rung: ``final stacked_modes of [loss=wgan] >= 800``.

    A number per seed (not a 0/1 reduction): a line through per-seed values is what the
    extrapolation needs; a claim tested as a rate states its continuous measure here
    (e.g. ``ratio_to_initial`` for "failed to learn")."""

    where: Where
    value: Measure
    op: Op
    threshold: float

    @field_validator("value")
    @classmethod
    def _number(cls, v: Measure) -> Measure:
        if v.binary:
            raise ValueError(
                f"reduction '{v.reduce}' is 0/1 per trial; a ladder extrapolates per-seed "
                "numbers: use a continuous measure (e.g. ratio_to_initial for 'failed')"
            )
        return v

    def describe(self) -> str:
        return (
            f"{self.value.describe()} of {describe_where(self.where)} {self.op} {self.threshold:g}"
        )


class Ladder(Options):
    """The ablation that runs the claim's effect at several rungs of scale."""

    ablation: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    parts: tuple[LadderPart, ...] = Field(min_length=1)
    alpha: float = Field(ALPHA, gt=0, lt=0.5, description="one-sided, Bonferroni over parts")


class Scale(Options):
    made_at: ScalePoint = Field(description="the scale the paper made the claim at")
    ladder: Ladder | None = Field(
        None, description="where a refutation below made_at is tested for growth with scale"
    )

    @model_validator(mode="after")
    def _ladder_has_a_target(self) -> Scale:
        if self.ladder is not None and not any(getattr(self.made_at, d) for d in LADDER_DIMS):
            raise ValueError(
                "ladder: a scale ladder extrapolates in image size and width; made_at states "
                "neither, so there is nothing to extrapolate to"
            )
        return self


# --------------------------------------------------------------------------- below


def shortfall(made_at: ScalePoint, trials: pd.DataFrame) -> list[str]:
    """Each dimension on which the trials read ran below ``made_at``: ``16 px < 64 px``."""
    return list(below_by_dimension(made_at, trials).values())


def below_by_dimension(made_at: ScalePoint, trials: pd.DataFrame) -> dict[str, str]:
    """Dimension -> ``16 px < 64 px`` where the trials ran below ``made_at``.

    The trials' largest value counts (a run is below only if all its trials are); a
    dimension the tables do not hold counts as below, since nothing shows it was reached.
    """
    below = {}
    for name, (key, fmt) in DIMENSIONS.items():
        wanted = getattr(made_at, name)
        if wanted is None:
            continue
        column = config_column(key, trials.columns) if trials is not None else None
        ran = pd.to_numeric(trials[column], errors="coerce").dropna() if column else pd.Series()
        if ran.empty:
            below[name] = f"{key} not in the tables (claim: {fmt.format(wanted)})"
        elif ran.max() < wanted:
            below[name] = f"{fmt.format(int(ran.max()))} < {fmt.format(wanted)}"
    return below


def run_scale(trials: pd.DataFrame) -> str:
    """``16 px / width 16``: what the trials read ran at (image size and width)."""
    parts = []
    for name in LADDER_DIMS:
        key, fmt = DIMENSIONS[name]
        column = config_column(key, trials.columns) if trials is not None else None
        if column:
            ran = pd.to_numeric(trials[column], errors="coerce").dropna()
            if not ran.empty:
                parts.append(fmt.format(int(ran.max())))
    return " / ".join(parts) or "the run's scale"


# --------------------------------------------------------------------------- ladder


State = Literal["no_growth", "growth", "undecided", "missing"]
# config values a ladder's rungs may differ in: the scale itself (the DCGAN generator's
# width follows the rung); everything else must be the same on every rung
RUNG_KEYS = ("data.image_size", "critic.width", "generator.width", "seed")


@dataclass(frozen=True)
class LadderReading:
    state: State
    text: str  # one line: rungs, per-part extrapolation, test, p
    points: tuple[dict, ...] = ()  # part, image_size, width, seed, value: the trend plot
    trial_ids: tuple[str, ...] = ()  # the rung trials its parts and premises read
    p_no_growth: float | None = None  # Bonferroni over parts: the extrapolation misses
    p_growth: float | None = None  # the largest part p: every extrapolation clears
    parts: tuple[dict, ...] = ()  # per part: label, op, threshold (what the plot draws)
    target: float | None = None  # the image size (px) the lines are read at

    def points_json(self) -> str:
        """The trend plot's data, self-describing so the report needs nothing else:
        ``{"target": 64, "parts": [{label, op, threshold}], "points": [...]}``."""
        if not self.points or not self.parts:
            return ""
        body = {"target": self.target, "parts": list(self.parts), "points": list(self.points)}
        return json.dumps(body, separators=(",", ":"))


@dataclass
class _Rung:
    image_size: int
    width: int
    ctx: Context
    ids: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.image_size} px / width {self.width}"


def _rungs(results: pd.DataFrame, trials: pd.DataFrame) -> list[_Rung]:
    size = config_column("data.image_size", trials.columns)
    width = config_column("critic.width", trials.columns)
    if size is None or width is None or "trial_id" not in trials:
        return []
    keys = trials[[size, width]].apply(pd.to_numeric, errors="coerce").dropna().astype(int)
    rungs = []
    for (s, w), idx in keys.groupby([size, width]).groups.items():
        ids = set(trials.loc[idx, "trial_id"].astype(str))
        res = (
            results[results["trial_id"].astype(str).isin(ids)] if "trial_id" in results else results
        )
        tri = trials[trials["trial_id"].astype(str).isin(ids)]
        rungs.append(_Rung(int(s), int(w), Context(res, tri), ids))
    return sorted(rungs, key=lambda r: (r.image_size, r.width))


def target_size(made_at: ScalePoint, rungs: list[_Rung]) -> tuple[float | None, str]:
    """The image size (px) at which the lines through the rungs are read, and why.

    The rungs scale image size and width together, so the claim lies as many doublings
    beyond the top rung as the larger of its image-size and width gaps (32 px / width 64
    beyond a 32 px / width 32 rung: one doubling, read at 64 px). None, with the reason,
    when the rungs do not scale a dimension the claim needs (width fixed across rungs)."""
    top = rungs[-1]
    gaps = []
    if made_at.image_size:
        gaps.append(math.log2(made_at.image_size / top.image_size))
    if made_at.width:
        if len({r.width / r.image_size for r in rungs}) != 1:
            return None, "the rungs do not scale width with image size"
        gaps.append(math.log2(made_at.width / top.width))
    return top.image_size * 2 ** max(0.0, max(gaps)), ""


def extrapolate(per_rung: dict[int, dict[int, float]], target: float) -> dict[int, float]:
    """Per seed, the least-squares line of value on log2(image size) through the rungs,
    read at ``target``: with two rungs, the line through both points. Only seeds on
    every rung (``read_ladder`` refuses a ladder whose rungs differ in seeds)."""
    sizes = sorted(per_rung)
    seeds = set.intersection(*(set(per_rung[s]) for s in sizes))
    x = np.log2(np.array(sizes, dtype=float))
    out_: dict[int, float] = {}
    for seed in sorted(seeds):
        y = np.array([per_rung[s][seed] for s in sizes], dtype=float)
        slope, intercept = np.polyfit(x, y, 1)
        out_[seed] = float(intercept + slope * math.log2(target))
    return out_


def _undecided(why: str, **kw) -> LadderReading:
    return LadderReading("undecided", f"ladder cannot be read: {why}", **kw)


def read_ladder(
    scale: Scale, premises: tuple[Premise, ...], results: pd.DataFrame, trials: pd.DataFrame
) -> LadderReading:
    """The ladder's verdict on growth toward ``scale.made_at``, from the ladder
    ablation's rows at one budget (``results``, ``trials``)."""
    ladder = scale.ladder
    if ladder is None:
        return LadderReading("missing", "no scale ladder declared for this claim")
    how = f"{COMMAND} run {ladder.ablation}"
    if trials is None or trials.empty:
        return LadderReading("missing", f"the ladder '{ladder.ablation}' has not run ({how})")
    rungs = _rungs(results, trials)
    sizes = [r.image_size for r in rungs]
    if len(rungs) < 2 or len(set(sizes)) != len(sizes):
        got = ", ".join(r.label for r in rungs) or "none"
        why = "fewer than two rungs" if len(rungs) < 2 else "two rungs share an image size"
        return LadderReading("missing", f"ladder '{ladder.ablation}': {why} ({got})")
    target, why_not = target_size(scale.made_at, rungs)
    if target is None:
        return LadderReading("missing", f"ladder '{ladder.ablation}': {why_not}")
    k = len(ladder.parts)
    parts = tuple(
        {"label": p.describe(), "op": p.op, "threshold": p.threshold} for p in ladder.parts
    )
    points: list[dict] = []
    ids: set[str] = set()
    results_ = []
    shape = {"parts": parts, "target": target}
    try:
        for i, part in enumerate(ladder.parts):
            per_rung, notes = {}, []
            for r in rungs:
                g = group_values(r.ctx, [part.where], [part.value])
                per_rung[r.image_size], notes = g.per_group[0], notes + g.notes
                ids |= set(g.trial_ids)
                points += [
                    {"part": i, "image_size": r.image_size, "width": r.width, "seed": s, "value": v}
                    for s, v in sorted(g.per_group[0].items())
                ]
            problem = _rung_problem(part, rungs, per_rung, notes)
            if problem:
                return _undecided(
                    problem, points=tuple(points), trial_ids=tuple(sorted(ids)), **shape
                )
            at = extrapolate(per_rung, target)
            what = f"{part.value.describe()} extrapolated to {target:g} px"
            o = out.values_vs(at, part.op, part.threshold, 0.0, what, ladder.alpha / k)
            results_.append((part, o))
    except Inconclusive as exc:
        return _undecided(exc.reason, points=tuple(points), trial_ids=tuple(sorted(ids)), **shape)
    failed, premise_ids = _premises_failing(premises, rungs)
    ids |= premise_ids
    tests = [o.test for _, o in results_]
    p_miss = min(1.0, k * min((t.p_against if t else 1.0) for t in tests))
    p_clear = max((t.p if t else 1.0) for t in tests)
    if failed:
        state: State = "undecided"
        verdict = f"cannot tell: premise failed at a rung ({failed})"
    elif p_miss <= ladder.alpha:
        state, verdict = (
            "no_growth",
            f"the effect does not grow enough to reach the claim by {target:g} px",
        )
    elif p_clear <= ladder.alpha:  # every part clears: intersection-union, no correction
        state, verdict = (
            "growth",
            f"the effect grows toward the claim's scale (reaches it by {target:g} px)",
        )
    else:
        state, verdict = (
            "undecided",
            "the ladder cannot tell whether the effect grows toward the claim's scale",
        )
    rung_text = " and ".join(r.label for r in rungs)
    length = _iterations(rungs)
    parts_text = "; ".join(f"{p.describe()}: {o.summary}" for p, o in results_)
    text = (
        f"ladder {ladder.ablation} ({rung_text}{length}): {verdict}; per seed, a line in "
        f"log2(image size) through the rungs, read at {target:g} px, one-sided signed-rank at "
        f"alpha {ladder.alpha:g} / {k}: p(misses) = {p_miss:.3g} (Bonferroni x{k}), "
        f"p(clears) = {p_clear:.3g}; " + parts_text
    )
    return LadderReading(
        state, text, tuple(points), tuple(sorted(ids)), p_miss, p_clear, parts, target
    )


def _rung_problem(
    part: LadderPart, rungs: list[_Rung], per_rung: dict[int, dict[int, float]], notes: list[str]
) -> str:
    """Why the part's rungs are not one experiment at several scales ("" when they are):
    seeds missing on a rung or values not finite (the test would silently run on fewer
    seeds), or the rungs' trials differing in anything but scale (iterations, settings)."""
    if notes:
        return "; ".join(notes)
    seeds = [set(v) for v in per_rung.values()]
    if set.union(*seeds) != set.intersection(*seeds):
        lacking = sorted(set.union(*seeds) - set.intersection(*seeds))
        return f"{part.describe()}: seed(s) {lacking} not on every rung"
    if not all(math.isfinite(v) for vals in per_rung.values() for v in vals.values()):
        return f"{part.describe()}: a value is not finite"
    seen: dict[str, set] = {}
    for r in rungs:
        frame = r.ctx.trials
        chosen = frame[matches(frame, part.where)]
        for column in chosen.columns:
            if column.startswith("config.") and not _scale_column(column):
                values = {str(v) for v in chosen[column].dropna()}
                if column in seen and values != seen[column]:
                    return f"{part.describe()}: rungs differ in {column.removeprefix('config.')}"
                seen.setdefault(column, values)
    return ""


def _scale_column(column: str) -> bool:
    return any(column.startswith(f"config.{k}") for k in RUNG_KEYS)


def _iterations(rungs: list[_Rung]) -> str:
    column = config_column("iterations", rungs[0].ctx.trials.columns)
    if column is None:
        return ""
    values = pd.to_numeric(rungs[0].ctx.trials[column], errors="coerce").dropna()
    return f", {int(values.max()):,} iterations each" if len(values) else ""


def _premises_failing(premises: tuple[Premise, ...], rungs: list[_Rung]) -> tuple[str, set[str]]:
    """The claim's premises read on each rung (those that select any ladder trial), and
    the trials they read."""
    failing, ids = [], set()
    for r in rungs:
        for p in premises:
            try:
                ids |= {t.trial_id for t in r.ctx.select(p.where)}
            except Inconclusive:
                continue  # the premise is about cells the ladder does not run
            result = p.read(r.ctx)
            if not result.held:
                failing.append(f"{r.label}: {result.text()}")
    return "; ".join(failing), ids


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class ScaleReading:
    below: tuple[str, ...]  # the dimensions the run fell short on ("" when at scale)
    run_at: str  # ``16 px / width 16``
    ladder: LadderReading | None  # read only for a refutation below the claim's scale
    withheld: bool = False  # set by the rule: a refutation below scale made inconclusive

    def text(self) -> str:
        if not self.below:
            return "at the claim's scale"
        return f"{BELOW}: " + "; ".join(self.below)


def apply(verdict: Verdict, reading: ScaleReading) -> tuple[Verdict, str, str] | None:
    """(verdict, reason head, summary head) after the scale rule; None: the verdict stands
    as it is (at the claim's scale, or not a refutation)."""
    if verdict != Verdict.NOT_REPRODUCED or not reading.below:
        return None
    ladder = reading.ladder
    if ladder is not None and ladder.state == "no_growth":
        short = (
            f"not reproduced at {reading.run_at} "
            "(the scale ladder shows no growth toward the claim's scale)"
        )
        return (
            verdict,
            f"not reproduced at {reading.run_at} ({reading.text()}; {ladder.text})",
            short,
        )
    why = ladder.text if ladder is not None else "no scale ladder is declared for this claim"
    short = f"inconclusive: {reading.text()}" + (
        f" ({ladder.state.replace('_', ' ')} on the ladder)" if ladder else ""
    )
    return Verdict.INCONCLUSIVE, f"inconclusive: {reading.text()}; {why}", short
