"""The scale a claim was made at, and what a verdict read below it may say.

**The rule** (one rule, every claim): ``scale.made_at`` states the experiment the paper
drew the claim from, on each axis the paper (or the authors' code it names) gives for that
experiment, with ``source`` citing where:

1. ``image_size`` and ``width`` for an experiment on images (WGAN Sec. 4: LSUN bedrooms
   at 64 px, DCGAN width 64; WGAN-GP per section);
2. ``iterations``: the length of the paper's run, or a lower bound its figures show it
   reached (WGAN Fig. 3 runs to 600k generator iterations; the toy code, gan_toy.py,
   100k); a claim about the first steps of training still states the run it was drawn
   from;
3. ``settings``: the algorithm's settings a run could change, as config keys with the
   paper's values (the critic's learning rate, the clipping constant c, the dataset);
   a run whose trials differ from any of them ran a setting the paper never ran.

A claim the paper makes with no experiment behind it (an example or a theorem worked
by hand, a remark) states no axis: ``made_at: {source: "..."}`` says why, and any run
tests it. ``tests/test_scale.py`` checks the rule against every claim.

A run is **at the claim's scale** when its trials reach every stated size (largest
value >= the paper's) and match every stated setting; otherwise it is **below** it.
Below its scale a verdict is read the same way in both directions: it stays what the
data say ("reproduced" or "not reproduced"), qualified "at 16 px / width 16", and is
exploratory: it is never confirmatory, whichever way the data lean
(``wgan_suite.claims.registration``). Small, short runs make some effects easier to see
(a failure to learn) and others harder (an effect that needs capacity), so neither
direction below scale says what the paper's scale would show. Only a claim whose
registered run is at its scale, at a budget that can decide it, is *refutable* there,
and only those are registered as confirmatory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from pydantic import Field, field_validator

from wgan_suite.analysis.stats import Verdict
from wgan_suite.claims.context import config_column
from wgan_suite.core.options import Options

# the size dimensions: the trial config value each is read from, and how it reads
DIMENSIONS: dict[str, tuple[str, str]] = {
    "image_size": ("data.image_size", "{:,} px"),
    "width": ("critic.width", "width {:,}"),
    "iterations": ("iterations", "{:,} iterations"),
}

BELOW = "below the claim's scale"
SIZE_DIMS = ("image_size", "width")  # what "at 16 px / width 16" names

Setting = bool | int | float | str


class ScalePoint(Options):
    """Where the paper made a claim: sizes reached and settings run (see the module)."""

    source: str = Field(
        min_length=3,
        description="where the paper (or the authors' code) states this experiment's scale, "
        "or why it states none",
    )
    image_size: int | None = Field(None, ge=1, description="pixels per side")
    width: int | None = Field(
        None, ge=1, description="the critic's width: DCGAN filters of its first layer, MLP units"
    )
    iterations: int | None = Field(None, ge=1, description="generator iterations")
    settings: dict[str, Setting] = Field(
        default_factory=dict,
        description="config key -> the paper's value (e.g. c_optimizer.lr: 5.0e-5, "
        "lipschitz.c: 0.01, data.name: lsun_bedroom); a trial with another value ran a "
        "setting the paper never ran",
    )

    @field_validator("settings")
    @classmethod
    def _keys(cls, v: dict[str, Setting]) -> dict[str, Setting]:
        bad = [k for k in v if not k or k.startswith(("config.", ".")) or " " in k]
        if bad:
            raise ValueError(f"settings: {bad[0]!r} is not a config key (e.g. 'lipschitz.c')")
        return v

    def stated(self) -> bool:
        """Whether the paper gave any axis for this claim (else: no experiment behind it)."""
        return any(getattr(self, d) is not None for d in DIMENSIONS) or bool(self.settings)

    def text(self) -> str:
        parts = [
            fmt.format(getattr(self, name))
            for name, (_, fmt) in DIMENSIONS.items()
            if getattr(self, name) is not None
        ]
        parts += [f"{k} {v:g}" if _number(v) else f"{k} {v}" for k, v in self.settings.items()]
        return " / ".join(parts) or "no scale stated (the claim has no experiment behind it)"


class Scale(Options):
    made_at: ScalePoint = Field(description="the scale the paper made the claim at")


# --------------------------------------------------------------------------- below


def _number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _same(ran: object, paper: Setting) -> bool:
    """A config value equals the paper's: numerically (relative 1e-9) where both are
    numbers, else as text (``True`` and ``'True'`` alike, as tables store them)."""
    if _number(paper):
        try:
            return math.isclose(float(ran), float(paper), rel_tol=1e-9, abs_tol=0.0)
        except (TypeError, ValueError):
            return False
    return str(ran).lower() == str(paper).lower()


def shortfall(made_at: ScalePoint, trials: pd.DataFrame) -> list[str]:
    """Each axis on which the trials fall short of ``made_at``: ``16 px < 64 px``."""
    return list(below_by_dimension(made_at, trials).values())


def below_by_dimension(made_at: ScalePoint, trials: pd.DataFrame) -> dict[str, str]:
    """Axis -> ``16 px < 64 px`` (or ``lipschitz.c 0.05, not the paper's 0.01``) where
    the trials ran below ``made_at``.

    For sizes the trials' largest value counts (a run is below only if all its trials
    are); a setting must match in every trial read; an axis the tables do not hold
    counts as below, since nothing shows it was reached."""
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
    for key, paper in made_at.settings.items():
        column = config_column(key, trials.columns) if trials is not None else None
        values = trials[column].dropna().unique() if column else []
        if not len(values):
            below[key] = f"{key} not in the tables (paper: {paper})"
            continue
        other = sorted({str(v) for v in values if not _same(v, paper)})
        if other:
            below[key] = f"{key} {', '.join(other)}, not the paper's {paper}"
    return below


def run_scale(trials: pd.DataFrame) -> str:
    """``16 px / width 16``: what the trials read ran at (image size and width)."""
    parts = []
    for name in SIZE_DIMS:
        key, fmt = DIMENSIONS[name]
        column = config_column(key, trials.columns) if trials is not None else None
        if column:
            ran = pd.to_numeric(trials[column], errors="coerce").dropna()
            if not ran.empty:
                parts.append(fmt.format(int(ran.max())))
    return " / ".join(parts) or "the run's setting"


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class ScaleReading:
    below: tuple[str, ...]  # the axes the run fell short on (empty when at scale)
    run_at: str  # ``16 px / width 16``

    @property
    def is_below(self) -> bool:
        return bool(self.below)

    def text(self) -> str:
        if not self.below:
            return "at the claim's scale"
        return f"{BELOW}: " + "; ".join(self.below)


def apply(verdict: Verdict, reading: ScaleReading) -> str | None:
    """The words that lead a decisive verdict read below the claim's scale, the same for
    both directions: ``not reproduced at 16 px / width 16 (exploratory: below the
    claim's scale: ...)``; None when the verdict needs no qualifier (at the claim's
    scale, or nothing decided)."""
    if verdict == Verdict.INCONCLUSIVE or not reading.below:
        return None
    said = str(verdict).replace("_", " ")
    return f"{said} at {reading.run_at} (exploratory: {reading.text()})"
