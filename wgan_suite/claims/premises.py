"""What must be true of the runs before a check may be read as the claim's test.

A verdict is only worth what its premises are: a "flat W estimate" read from a dead
critic (every output 0) is not the paper's control, and "the GAN's MLP collapsed" read
from a generator that never left its initial state is failure to learn, not collapse.
Each claim lists its ``premises:``; each is a deterministic condition on every trial it
selects (not a statistical test: a premise is a precondition of the design). When one
fails the claim reads "inconclusive: premise failed (which)" whatever the check says,
and the check's numbers stay on the page for the reader.

A new kind is one decorated class: ``@PREMISES.register("name")`` on a ``Premise``.
Every kind can also make synthetic trials on which it holds (``synthesize``), so the
claims' both-ways tests run with their premises in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, ValidationError

from wgan_suite.claims import synthetic as syn
from wgan_suite.claims.base import error_lines
from wgan_suite.claims.context import Context, Trial
from wgan_suite.claims.reductions import EXAMPLE_ITERATIONS, after_start
from wgan_suite.claims.selection import ClaimError, Inconclusive, Where, describe_where
from wgan_suite.core.errors import short
from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry


@dataclass(frozen=True)
class PremiseResult:
    """One premise read on the tables: did it hold, and in which trials it did not."""

    name: str  # the premise's one-line description
    held: bool
    detail: str  # what was found (counts, failing trials), one line

    def text(self) -> str:
        return f"{self.name}: {'held' if self.held else 'FAILED'} ({self.detail})"


class Premise(Options):
    """A condition every selected trial must meet (``min_share`` of them, default all)."""

    column_fields: ClassVar[tuple[str, ...]] = ()  # fields naming result columns (as Check)

    kind: str
    where: Where
    min_share: float = Field(1.0, gt=0, le=1, description="share of trials that must meet it")

    def describe(self) -> str:
        raise NotImplementedError

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        """(met, why not) for one trial."""
        raise NotImplementedError

    def synthesize(self, universe: syn.Universe) -> list[syn.Synthetic]:
        """Trials on which this premise holds, for the columns the check leaves free."""
        return []

    def adapt(self, made: list[syn.Synthetic], universe: syn.Universe) -> list[syn.Synthetic]:
        """The check's synthetic trials (``made``) completed so that this premise holds:
        the check's own curves win, the premise fills the columns they lack."""
        return syn.merge([made, self.synthesize(universe)], override=False)

    def selected_keys(self, universe: syn.Universe) -> set[str]:
        return {syn.Synthetic(c, s).key for c, s in universe.select(self.where)}

    def read(self, ctx: Context) -> PremiseResult:
        try:
            trials = ctx.select(self.where)
        except Inconclusive as exc:
            return PremiseResult(self.describe(), False, f"cannot be read: {exc.reason}")
        failing = []
        for t in trials:
            met, why = self.holds_for(ctx, t)
            if not met:
                failing.append(f"{t.trial_id} (seed {t.seed}): {why}")
        share = 1 - len(failing) / len(trials)
        held = share >= self.min_share - 1e-12
        detail = f"{len(trials) - len(failing)} of {len(trials)} trials meet it"
        if failing:
            detail += "; not: " + "; ".join(failing[:4]) + ("; ..." if len(failing) > 4 else "")
        return PremiseResult(self.describe(), held, detail)

    def _share(self) -> str:
        return "" if self.min_share == 1 else f" (at least {self.min_share:.0%} of trials)"


PREMISES: Registry[type[Premise]] = Registry("premise kind", Premise)


def _metric_series(ctx: Context, t: Trial, metrics: list[str]):
    for m in metrics:
        s = ctx.series(t.trial_id, m)
        if not s.empty:
            return m, s[~s.index.duplicated(keep="last")]
    return None, None


@PREMISES.register("alive")
class Alive(Premise):
    """The critic is alive: its estimate is above float noise and still moves, over the
    last ``tail`` of the run and at its very end.

    A clipped critic whose weights all die outputs a constant (WGAN Sec. 3's vanishing
    gradients); a loss curve "flat" for that reason is not a loss that fails to track
    quality, it is no loss at all. The paper's own control is the opposite case: a live
    critic whose estimate is flat at its level up to batch noise (0.1% to 1% from one
    checkpoint to the next). What tells them apart is float noise, not flatness: a dead
    critic's estimate is bit-constant, or constant up to float rounding, or float noise
    around 0; a live critic's moves by its batch noise at a level far above float noise."""

    column_fields: ClassVar[tuple[str, ...]] = ("metric",)  # name declared columns (schema)

    kind: Literal["alive"]
    metric: str | list[str]
    tail: float = Field(0.5, gt=0, le=1, description="fraction of checkpoints, from the end")
    rtol: float = Field(
        1e-5,
        gt=0,
        lt=1,
        description="movement at most this fraction of the tail's largest |value| is no "
        "movement: a dead or frozen critic repeats its estimate up to float32 rounding "
        "(<= ~1e-6 relative), a live one moves by its batch noise (>= ~1e-3 relative "
        "between checkpoints; the paper's flat control: 0.1%), so 1e-5 is a factor 10 "
        "and 100 from each",
    )
    atol: float = Field(
        1e-4,
        gt=0,
        description="a tail whose largest |value| is at most this is float noise: the W "
        "estimate of a live clipped critic in this suite is of order 1e-3..1e2 (the 16 px "
        "pilot's smallest: 0.01), a dead critic's constant output gives 0 up to float "
        "rounding (~1e-6)",
    )
    end: int = Field(
        3,
        ge=2,
        description="checkpoints at the end that must not all be equal (up to rtol): a "
        "critic that died late is caught once it has been dead for this many; a live "
        "one's batch noise makes them equal with probability ~3e-5 at 0.1% noise, ~3e-7 at 1%",
    )

    def describe(self) -> str:
        return (
            f"alive: {'|'.join(self.metrics)} of {describe_where(self.where)} above "
            f"{self.atol:g} and not constant over the last {self.tail:.0%} of checkpoints "
            f"nor over its last {self.end}{self._share()}"
        )

    @property
    def metrics(self) -> list[str]:
        return [self.metric] if isinstance(self.metric, str) else list(self.metric)

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        """Alive, after iteration 0 (the untrained critic), over the tail (the last
        ``tail`` of checkpoints, at least ``end``), with scale its largest |value|:

        - the tail moves: its range exceeds ``rtol`` x scale (not constant up to float
          rounding);
        - so does the end: the range of the last ``end`` checkpoints exceeds ``rtol`` x
          scale, so a critic that died late does not pass on the points before it died;
        - the scale exceeds ``atol``: an estimate at float noise around 0 is a dead
          critic's, however it jitters.

        A live critic flat at its level passes: its batch noise (0.1% of the level is
        100 x rtol) moves both ranges; no two checkpoints need differ by more."""
        name, s = _metric_series(ctx, trial, self.metrics)
        if s is None:
            return False, f"no {'|'.join(self.metrics)} rows"
        s = after_start(s)
        tail = s.iloc[len(s) - max(self.end, int(np.ceil(self.tail * len(s)))) :]
        if len(tail) < self.end:
            return False, f"{len(tail)} checkpoint(s) after iteration 0, fewer than {self.end}"
        scale = float(tail.abs().max())
        tol = self.rtol * scale
        end = tail.iloc[-self.end :]
        if not float(tail.max() - tail.min()) > tol:
            return (
                False,
                f"{name} constant at {tail.iloc[-1]:.3g} over its last {len(tail)} checkpoints",
            )
        if not float(end.max() - end.min()) > tol:
            return (
                False,
                f"{name} constant at {end.iloc[-1]:.3g} over its last {self.end} "
                "checkpoints (died late)",
            )
        if not scale > self.atol:
            return False, f"{name} at float noise: |value| at most {scale:.2g} <= {self.atol:g}"
        return True, ""

    def adapt(self, made: list[syn.Synthetic], universe: syn.Universe) -> list[syn.Synthetic]:
        """Where the check wrote this curve with a flat end (a plateau), the end gets a
        small alternating wobble, as a live critic's batch noise has: +-1% in pairs, so
        the mean of any even-sized end and every crossing stay where the check put them.
        The wobble is at least 2 x ``atol``, so a plateau at 0 is not read as float noise."""
        keys = self.selected_keys(universe)
        for t in made:
            name = next((m for m in self.metrics if m in t.series), None)
            if t.key not in keys or name is None or len(t.series[name]) < 4:
                continue
            values = list(t.series[name])
            half = len(values) // 2
            for i in range(len(values) - half, len(values)):
                wobble = max(0.01 * abs(values[i]), 2 * self.atol)
                values[i] += wobble if (len(values) - i) % 2 else -wobble
            t.series[name] = values
        return super().adapt(made, universe)

    def synthesize(self, universe: syn.Universe) -> list[syn.Synthetic]:
        values = [1.0 + 0.1 * i for i in range(len(EXAMPLE_ITERATIONS))]
        return [
            syn.Synthetic(config, seed, series={self.metrics[0]: values})
            for config, seed in universe.select(self.where)
        ]


@PREMISES.register("trained")
class Trained(Premise):
    """The generator learned: its quality moved from initialisation, on a summary that
    one noisy checkpoint cannot make.

    The reference is the iteration-0 value (the untrained generator's). The checkpoints
    after it are read as running medians of ``window`` consecutive ones (fewer when the
    run has fewer): ``at: best`` reads the best of them ("the GAN learned before it
    collapsed"), ``at: final`` the last one, the median of the last ``window``
    checkpoints ("it ended better than it started"). Learned means that summary is at
    most ``initial / factor`` (lower is better; ``better: higher`` applies the same
    rule to 1 / value). A flat run with one lucky checkpoint does not pass: every
    median of 3 that holds it holds two flat ones too."""

    column_fields: ClassVar[tuple[str, ...]] = ("metric",)  # name declared columns (schema)

    kind: Literal["trained"]
    metric: str | list[str]
    factor: float = Field(2.0, gt=1, description="improvement over iteration 0 needed")
    at: Literal["best", "final"] = "best"
    better: Literal["lower", "higher"] = Field(
        "lower", description="lower: a distance such as FID or W1; higher: e.g. a mode count"
    )
    window: int = Field(
        3,
        ge=1,
        description="consecutive checkpoints whose median is read (3: one outlying "
        "checkpoint, such as a noisy FID evaluation, never decides)",
    )

    @property
    def metrics(self) -> list[str]:
        return [self.metric] if isinstance(self.metric, str) else list(self.metric)

    def describe(self) -> str:
        return (
            f"trained: {self.at} median of {self.window} checkpoints of "
            f"{'|'.join(self.metrics)} of {describe_where(self.where)} at most "
            f"1/{self.factor:g} of its iteration-0 value{self._share()}"
        )

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        name, s = _metric_series(ctx, trial, self.metrics)
        if s is None or len(s) < 2:
            return False, f"fewer than 2 rows of {'|'.join(self.metrics)}"
        if self.better == "higher":  # the same rule on 1 / value
            s = 1.0 / s.where(s > 0)
            s = s.dropna()
            if len(s) < 2:
                return False, f"fewer than 2 positive rows of {name}"
        initial = float(s.iloc[0])
        after = s.iloc[1:].to_numpy(dtype=float)
        k = min(self.window, len(after))
        medians = np.median(np.lib.stride_tricks.sliding_window_view(after, k), axis=1)
        reached = float(medians.min() if self.at == "best" else medians[-1])
        if not (initial > 0 and reached <= initial / self.factor):
            return False, (
                f"{name} {initial:.3g} at start, {self.at} median of {k} checkpoints {reached:.3g}"
            )
        return True, ""

    def adapt(self, made: list[syn.Synthetic], universe: syn.Universe) -> list[syn.Synthetic]:
        """Where the check wrote this quality curve, its iteration-0 value is raised well
        above the rest (an untrained generator scores worst): the checks read it after
        iteration 0, or as ``final``, so their verdict is unchanged. Every checkpoint
        after it is then at most 1/(2 factor) of it, so every median is too."""
        keys = self.selected_keys(universe)
        for t in made:
            name = next((m for m in self.metrics if m in t.series), None)
            if t.key not in keys or name is None or not t.series[name]:
                continue
            values = list(t.series[name])
            if self.better == "lower":
                start = max(max(values), 1e-3) * self.factor * 2
            else:
                start = max(min(values), 1e-6) / (self.factor * 2)
            t.series[name] = [start, *values[1:]] if len(values) > 1 else [start, values[0]]
        return super().adapt(made, universe)

    def synthesize(self, universe: syn.Universe) -> list[syn.Synthetic]:
        n = len(EXAMPLE_ITERATIONS)
        values = [100.0 * (self.factor * 4) ** (-i / (n - 1)) for i in range(n)]
        if self.better == "higher":
            values = [1e4 / v for v in values]
        return [
            syn.Synthetic(config, seed, series={self.metrics[0]: values})
            for config, seed in universe.select(self.where)
        ]


@PREMISES.register("reached")
class Reached(Premise):
    """The run reached the claim's scale: every trial was configured for at least
    ``iterations`` generator iterations (a claim about 8,000 iterations is not read on a
    600-iteration run, whatever the budget is called)."""

    kind: Literal["reached"]
    iterations: int = Field(ge=1)

    def describe(self) -> str:
        return (
            f"reached: trials of {describe_where(self.where)} run for at least "
            f"{self.iterations:,} generator iterations{self._share()}"
        )

    def holds_for(self, ctx: Context, trial: Trial) -> tuple[bool, str]:
        ran = ctx.config_value(trial.trial_id, "iterations")
        try:
            ran = int(ran)
        except (TypeError, ValueError):
            return False, "its configured iterations are not in the tables"
        if ran < self.iterations:
            return False, f"configured for {ran:,} iterations"
        return True, ""


def parse_premise(raw: Any, loc: str) -> Premise:
    kinds = ", ".join(PREMISES.names())
    if not isinstance(raw, dict) or "kind" not in raw:
        raise ClaimError(
            f"{loc}: expected a mapping with 'kind' (one of {kinds}), got {short(raw)}"
        )
    if raw["kind"] not in PREMISES:
        raise ClaimError(f"{loc}.kind: {PREMISES.unknown_message(raw['kind'])}")
    cls = PREMISES.get(raw["kind"])
    try:
        return cls.model_validate(raw)
    except ValidationError as err:
        raise ClaimError("\n".join(error_lines(err, loc, cls))) from None


def read_premises(premises: list[Premise], ctx: Context) -> list[PremiseResult]:
    return [p.read(ctx) for p in premises]


def failed_text(results: list[PremiseResult]) -> str | None:
    """``premise failed (alive: ...; trained: ...)`` or None when every premise held."""
    failed = [r for r in results if not r.held]
    if not failed:
        return None
    return "premise failed (" + "; ".join(r.text() for r in failed) + ")"
