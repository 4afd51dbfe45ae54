"""The check vocabulary's spine: the ``Check`` base class, its registry and its parser.

A claim's ``check:`` is a mapping with a ``kind``; the kind names a registered ``Check``
class that validates the rest. A new kind is one decorated class; the
parser, the evaluator and the report never learn kind names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ValidationError

from wgan_suite.claims.outcome import Outcome, inconclusive
from wgan_suite.claims.selection import ClaimError, Inconclusive
from wgan_suite.core.errors import short
from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry

if TYPE_CHECKING:
    from wgan_suite.claims.context import Context
    from wgan_suite.claims.synthetic import Synthetic, Universe


class Check(Options):
    """A declarative test on the results table; subclasses set ``kind`` and register."""

    # fields whose value names a result column (a name or a list of names): a loaded
    # claims file may name only declared columns (wgan_suite.claims.schema.named_columns)
    column_fields: ClassVar[tuple[str, ...]] = ()

    kind: str

    def describe(self) -> str:
        """One human-readable line for the report."""
        raise NotImplementedError

    def evaluate(self, ctx: Context, alpha: float) -> Outcome:
        raise NotImplementedError

    def wheres(self) -> list[dict[str, Any]]:
        """Every trial selection the check reads (for validation against the ablation)."""
        return []

    def synthesize(self, holds: bool, universe: Universe) -> list[Synthetic]:
        """Trials whose rows make this check read reproduced (``holds``) or not reproduced.

        Every check kind can make its own counter-example, so every shipped claim is
        tested both ways (a check that cannot fail is a defect).
        """
        raise NotImplementedError

    def run(self, ctx: Context, alpha: float) -> Outcome:
        """``evaluate``, with missing data turned into an inconclusive outcome."""
        try:
            return self.evaluate(ctx, alpha)
        except Inconclusive as exc:
            return inconclusive(exc.reason, exc.trial_ids)

    @classmethod
    def parse(cls, raw: dict[str, Any], loc: str) -> Check:
        try:
            return cls.model_validate(raw)
        except ValidationError as err:
            raise ClaimError("\n".join(error_lines(err, loc, cls))) from None


CHECKS: Registry[type[Check]] = Registry("check kind")


def parse_check(raw: Any, loc: str = "check") -> Check:
    """A raw ``check:`` mapping -> the registered Check it names (raises ClaimError)."""
    kinds = ", ".join(CHECKS.names())
    if not isinstance(raw, dict):
        got = "nothing" if raw is None else repr(raw)
        raise ClaimError(f"{loc}: expected a mapping with 'kind' (one of {kinds}), got {got}")
    if "kind" not in raw:
        raise ClaimError(f"{loc}.kind: missing; allowed: {kinds}")
    if raw["kind"] not in CHECKS:
        raise ClaimError(f"{loc}.kind: {CHECKS.unknown_message(raw['kind'])}")
    return CHECKS.get(raw["kind"]).parse(raw, loc)


def error_lines(err: ValidationError, loc: str, model: type[BaseModel]) -> list[str]:
    """``check.value.reduce: Unknown reduction 'fnal'. Did you mean: final? ...``"""
    lines = []
    for e in err.errors():
        path = ".".join(p for p in [loc, *(str(p) for p in e["loc"])] if p) or "<claim>"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            allowed = _fields_at(model, e["loc"][:-1])
            msg = f"unknown key; allowed: {', '.join(allowed)}"
        got = (
            "" if e["type"] in ("missing", "extra_forbidden") else f" (got {short(e.get('input'))})"
        )
        lines.append(f"{path}: {msg}{got}")
    return lines


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a nested model at ``loc`` accepts (``value`` -> Measure's fields)."""
    for part in loc:
        field = model.model_fields.get(str(part))
        inner = field.annotation if field else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            break
        model = inner
    return list(model.model_fields)
