"""``any_of`` / ``all_of``: claims with more than one way to hold, or more than one part;
``given``: a measure read only where a premise holds.

W-11 "the standard GAN failed to learn" holds if the GAN diverges *or* ends far worse
than WGAN; W-02 needs the discriminator's gradient to vanish *and* the critic's to stay
clean. Sub-checks are tested on their own and their p-values combined with the error
rate stated (``wgan_suite.analysis.stats.all_of`` / ``any_of``): every part of an ``all_of`` must be
significant (intersection-union), one refuted part refutes it (Bonferroni); one part of
an ``any_of`` suffices (Bonferroni), every part must be refuted to refute it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import islice, permutations
from typing import Any, ClassVar, Literal

from pydantic import Field

from wgan_suite.analysis.stats import ALPHA, TestResult, Verdict
from wgan_suite.claims import outcome as out
from wgan_suite.claims import synthetic as syn
from wgan_suite.claims.base import CHECKS, Check, parse_check
from wgan_suite.claims.context import Context
from wgan_suite.claims.outcome import Outcome
from wgan_suite.claims.selection import ClaimError
from wgan_suite.core.errors import short


class _Combinator(Check):
    checks: tuple[Check, ...] = Field(min_length=2)
    joiner: ClassVar[str] = ""  # shown between sub-checks
    mode: ClassVar[str] = ""

    @classmethod
    def parse(cls, raw: dict[str, Any], loc: str) -> Check:
        subs = raw.get("checks")
        if not isinstance(subs, list) or len(subs) < 2:
            raise ClaimError(
                f"{loc}.checks: expected a list of at least 2 checks, got {short(subs)}"
            )
        parsed = tuple(parse_check(sub, f"{loc}.checks.{i}") for i, sub in enumerate(subs))
        return super().parse({**raw, "checks": parsed}, loc)

    def describe(self) -> str:
        return f" {self.joiner} ".join(f"({c.describe()})" for c in self.checks)

    def wheres(self) -> list[dict[str, Any]]:
        return [w for c in self.checks for w in c.wheres()]

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        return out.combine([c.run(ctx, alpha) for c in self.checks], self.mode, alpha)


@CHECKS.register("any_of")
class AnyOf(_Combinator):
    """Reproduced if one part is (Bonferroni over the parts); refuted if every part is."""

    kind: Literal["any_of"]
    joiner: ClassVar[str] = "OR"
    mode: ClassVar[str] = "any_of"

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        """Holds: the first part holds, the others fail; else every part fails."""
        failing = [c.synthesize(False, universe) for c in self.checks]
        if not holds:
            return _merged_so_each_reads(self.checks, failing, Verdict.NOT_REPRODUCED)
        return syn.merge([*failing[1:], self.checks[0].synthesize(True, universe)])


@CHECKS.register("all_of")
class AllOf(_Combinator):
    """Reproduced if every part is (intersection-union); refuted if one part is
    (Bonferroni over the parts)."""

    kind: Literal["all_of"]
    joiner: ClassVar[str] = "AND"
    mode: ClassVar[str] = "all_of"

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        """Holds: every part holds; else the first part fails (its curves win) and the
        others hold where they do not touch the same columns."""
        holding = [c.synthesize(True, universe) for c in self.checks]
        if holds:
            return _merged_so_each_reads(self.checks, holding, Verdict.REPRODUCED)
        return syn.merge([self.checks[0].synthesize(False, universe), *holding[1:]], override=False)


def _merged_so_each_reads(
    checks: Sequence[Check], groups: Sequence[list[syn.Synthetic]], wanted: str
) -> list[syn.Synthetic]:
    """The parts' synthetic trials merged so that every part reads ``wanted``.

    Parts that write the same column of the same trial overwrite each other in merge
    order (e.g. ``final`` and ``change`` of one curve; W-05: a failure rate and a
    correlation on one quality curve), so whether the table worked used to depend on the
    order the parts are listed in. Try the orders, the listed one first, and keep the
    first on which every part reads ``wanted``; when none does, the listed order, and
    ``coverage.decidable`` reports the claim.
    """
    for order in islice(permutations(range(len(groups))), 24):
        merged = syn.merge([groups[i] for i in order])
        if _reads(checks, merged, wanted):
            return merged
    return syn.merge(groups)


def _reads(checks: Sequence[Check], trials: list[syn.Synthetic], wanted: str) -> bool:
    results, table = syn.tables(trials, "synthetic", "synthetic")
    ctx = Context(results, table)
    return all(c.run(ctx, ALPHA).verdict == wanted for c in checks)


@CHECKS.register("given")
class Given(Check):
    """A measure that can be read only where a premise holds.

    W-13 counts a mode as covered when 1 % of the samples lie within 3 std of its centre,
    the usual rule for 2-D mixtures; a generator whose clusters sit a little off the
    centres scores few modes without collapsing. ``premise`` (e.g. most samples within
    3 std of some mode) must be significant before ``check`` is read; otherwise the claim
    is inconclusive and the page says which premise failed, with both results.
    """

    kind: Literal["given"]
    premise: Check
    check: Check

    @classmethod
    def parse(cls, raw: dict[str, Any], loc: str) -> Check:
        parts = {}
        for key in ("premise", "check"):
            if key not in raw:
                raise ClaimError(f"{loc}.{key}: missing; 'given' needs a premise and a check")
            parts[key] = parse_check(raw[key], f"{loc}.{key}")
        return super().parse({**raw, **parts}, loc)

    def describe(self) -> str:
        return f"given ({self.premise.describe()}): ({self.check.describe()})"

    def wheres(self) -> list[dict[str, Any]]:
        return [*self.premise.wheres(), *self.check.wheres()]

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        premise, measure = self.premise.run(ctx, alpha), self.check.run(ctx, alpha)
        ids = [*premise.trial_ids, *measure.trial_ids]
        if premise.verdict == Verdict.REPRODUCED:
            reason = f"{measure.reason}; premise held: {premise.summary}"
            return replace(measure, reason=reason).with_trials(ids)
        head = (
            "inconclusive: the premise is not shown, so the measure cannot be read as the claim's"
        )
        # p 1 both ways at the measure's n: an all_of over this part then reads "not
        # significant" (not "no data"), and nothing is decided from the unread measure
        t = measure.test
        unread = t and TestResult(f"{t.name}, not read", 1.0, 1.0, t.n, t.min_p, t.min_p_against)
        return Outcome(
            Verdict.INCONCLUSIVE,
            f"{head}. Premise: {premise.reason}. Measure (not read): {measure.reason}",
            measure.measured,
            measure.threshold,
            unread,
            alpha=alpha,
            summary=f"{head}; premise: {premise.summary}; measure (not read): {measure.summary}",
        ).with_trials(ids)

    def synthesize(self, holds: bool, universe: syn.Universe) -> list[syn.Synthetic]:
        """The premise holds either way; the measure holds or fails."""
        return syn.merge(
            [self.premise.synthesize(True, universe), self.check.synthesize(holds, universe)]
        )
