"""``any_of`` / ``all_of``: claims with more than one way to hold, or more than one part.

W-11 "the standard GAN failed to learn" holds if the GAN diverges *or* ends far worse
than WGAN; W-02 needs the discriminator's gradient to vanish *and* the critic's to stay
clean. Sub-checks are evaluated on their own; the combinator combines their verdicts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field

from suite.claims.base import CHECKS, Check, ClaimError, parse_check
from suite.claims.context import Context
from suite.claims.stats import Outcome


class _Combinator(Check):
    checks: tuple[Check, ...] = Field(min_length=2)
    joiner: ClassVar[str] = ""  # shown between sub-checks

    @classmethod
    def parse(cls, raw: dict[str, Any], loc: str) -> Check:
        subs = raw.get("checks")
        if not isinstance(subs, list) or len(subs) < 2:
            raise ClaimError(f"{loc}.checks: expected a list of at least 2 checks, got {subs!r}")
        parsed = tuple(parse_check(sub, f"{loc}.checks.{i}") for i, sub in enumerate(subs))
        return super().parse({**raw, "checks": parsed}, loc)

    def describe(self) -> str:
        return f" {self.joiner} ".join(f"({c.describe()})" for c in self.checks)

    def wheres(self) -> list[dict[str, Any]]:
        return [w for c in self.checks for w in c.wheres()]

    def evaluate(self, ctx: Context) -> Outcome:
        outcomes = [c.run(ctx) for c in self.checks]
        decider = self.decide([o.verdict for o in outcomes])
        reason = "; ".join(f"[{i + 1}] {o.verdict}: {o.reason}" for i, o in enumerate(outcomes))
        trial_ids = tuple(t for o in outcomes for t in o.trial_ids)
        chosen = outcomes[decider]
        return replace(chosen, reason=reason).with_trials(trial_ids)

    def decide(self, verdicts: list[str]) -> int:
        """Index of the sub-outcome that carries the combined verdict and its numbers."""
        raise NotImplementedError


@CHECKS.register("any_of")
class AnyOf(_Combinator):
    """Reproduced if one sub-check is; not reproduced only if every one is not."""

    kind: Literal["any_of"]
    joiner: ClassVar[str] = "OR"

    def decide(self, verdicts: list[str]) -> int:
        if "reproduced" in verdicts:
            return verdicts.index("reproduced")
        if all(v == "not_reproduced" for v in verdicts):
            return 0
        return verdicts.index("inconclusive")


@CHECKS.register("all_of")
class AllOf(_Combinator):
    """Reproduced if every sub-check is; not reproduced as soon as one is not."""

    kind: Literal["all_of"]
    joiner: ClassVar[str] = "AND"

    def decide(self, verdicts: list[str]) -> int:
        if "not_reproduced" in verdicts:
            return verdicts.index("not_reproduced")
        if all(v == "reproduced" for v in verdicts):
            return 0
        return verdicts.index("inconclusive")
