"""Claims files: ``claims/*.yaml`` -> validated, frozen ``Claim`` objects.

A claim is data: where the paper says it, what it says, which ablation's rows
test it, and a declarative check. Files are read with ``yaml.safe_load`` only; nothing
in them is executed. Every problem names file, claim id, key and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from wgan_suite.analysis import columns
from wgan_suite.analysis.stats import ALPHA
from wgan_suite.claims.base import Check, error_lines, parse_check
from wgan_suite.claims.families import Family
from wgan_suite.claims.premises import Premise, parse_premise
from wgan_suite.claims.scale import Scale
from wgan_suite.claims.selection import ClaimError
from wgan_suite.core import files
from wgan_suite.core.budgets import Budget, rank
from wgan_suite.core.errors import short
from wgan_suite.core.locations import claims_dir
from wgan_suite.core.options import Options
from wgan_suite.core.plugins import claims_dirs, load_plugins

CLAIMS_DIR = claims_dir()  # found like the ablations (wgan_suite.core.locations)


class Claim(Options):
    """One published, checkable statement, where it was published, and its test."""

    id: str = Field(pattern=r"^[A-Z]+-\d{2}[a-z]?$", description="e.g. W-02, G-03, W-09b")
    paper: Literal["WGAN", "WGAN-GP", "SN-GAN"]
    family: Family = Field(
        description="the family whose verdicts are Holm-corrected together "
        "(wgan_suite.claims.families): wgan-cpu, successors-cpu, extensions, gpu-only"
    )
    location: str = Field(min_length=1, description="figure / table / section")
    citation: str = Field(
        min_length=1,
        description="the paper (arXiv id), section / figure / equation, and the authors' code "
        "file where the setting comes from",
    )
    statement: str = Field(min_length=1, description="what the paper says, short")
    published: str = Field(min_length=1, description="the published value or direction")
    testable_as: str = Field(
        min_length=1,
        description="how the suite makes the statement testable, naming every number that "
        "is a suite choice rather than the paper's",
    )
    setting: str = Field(min_length=1, description="the setting the statement applies to")
    ablation: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="whose rows it reads")
    check: Check
    premises: tuple[Premise, ...] = Field(
        (),
        description="conditions on the runs without which the check is not the claim's "
        "test (the critic alive, both arms trained, the run at the claim's scale); one that "
        "fails makes the verdict 'inconclusive: premise failed'",
    )
    budgets: dict[Budget, str] = Field(
        min_length=1,
        description="the budgets whose runs can decide the claim, each with why; at any "
        "other budget the verdict is inconclusive and says which budget would decide it",
    )
    scale: Scale = Field(
        description="the scale the paper made the claim at: image size, width, iterations "
        "and the algorithm's settings, with the source (the rule: wgan_suite.claims.scale)"
    )
    tolerance: float = Field(0.0, ge=0, description="slack on the threshold, in the claim's favour")
    alpha: float = Field(ALPHA, gt=0, lt=0.5, description="one-sided significance level")
    note: str | None = Field(None, description="anything else a reader should know")

    @model_validator(mode="after")
    def _family_fits(self) -> Claim:
        cpu_budgets = {b for b in self.budgets if b != Budget.PAPER}
        if self.family == Family.GPU_ONLY and cpu_budgets:
            got = ", ".join(sorted(map(str, cpu_budgets)))
            raise ValueError(f"family gpu-only: the claim lists CPU budgets ({got})")
        if self.family != Family.GPU_ONLY and not cpu_budgets:
            raise ValueError(
                f"family {self.family}: only the paper budget decides this claim; use gpu-only"
            )
        return self

    @field_validator("budgets")
    @classmethod
    def _not_smoke(cls, v: dict[Budget, str]) -> dict[Budget, str]:
        if Budget.SMOKE in v:
            raise ValueError("smoke runs check plumbing and never decide a claim")
        empty = [str(b) for b, why in v.items() if not why.strip()]
        if empty:
            raise ValueError(f"say why budget(s) {', '.join(empty)} can decide the claim")
        return v

    def deciding_budgets(self) -> list[Budget]:
        """Cheapest first."""
        return sorted(self.budgets, key=rank)


def parse_claim(raw: Any, source: str, index: int) -> Claim:
    ident = raw.get("id") if isinstance(raw, dict) else None
    where = f"{source}: claim {ident or f'#{index + 1}'}"
    if not isinstance(raw, dict):
        raise ClaimError(f"{where}: expected a mapping of claim keys, got {short(raw)}")
    try:
        check = parse_check(raw.get("check"))
        premises = raw.get("premises", [])
        if not isinstance(premises, list | tuple):
            raise ClaimError(f"premises: expected a list of premises, got {short(premises)}")
        parsed = tuple(parse_premise(p, f"premises.{i}") for i, p in enumerate(premises))
    except ClaimError as err:
        raise ClaimError("\n".join(f"{where}: {line}" for line in str(err).splitlines())) from None
    try:
        return Claim.model_validate({**raw, "check": check, "premises": parsed})
    except ValidationError as err:
        lines = error_lines(err, "", Claim)
        raise ClaimError("\n".join(f"{where}: {line}" for line in lines)) from None


def named_columns(node: Any, loc: str = "") -> Iterator[tuple[str, str]]:
    """(key path, column) for every result column a claim names: the fields each model
    lists in ``column_fields`` (a measure's ``metric``, a correlation's ``x`` and ``y``,
    a premise's ``metric``), in the check, its parts and the premises."""
    if isinstance(node, BaseModel):
        named = getattr(type(node), "column_fields", ())
        for field in type(node).model_fields:
            value, at = getattr(node, field), f"{loc}.{field}".lstrip(".")
            if field in named:
                for name in [value] if isinstance(value, str) else value or ():
                    yield at, name
            else:
                yield from named_columns(value, at)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            yield from named_columns(item, f"{loc}.{i}")


def check_columns(claim: Claim, where: str, table: dict[str, columns.Column]) -> None:
    """Refuse a claim naming a column no metric, loss, Lipschitz method, training record
    or collect step declares (``wgan_suite.analysis.columns``): a misspelt metric would otherwise
    read
    'no data' (inconclusive) for ever instead of failing here."""
    for at, name in named_columns(claim):
        if columns.undeclared([name], table):
            close = columns.closest(name, table)
            hint = (
                f"did you mean: {', '.join(close)}?"
                if close
                else f"declared: {', '.join(sorted(table))}"
            )
            raise ClaimError(
                f"{where}: claim {claim.id}: {at}: unknown column {short(name)} (no metric, "
                f"loss or training record declares it; wgan_suite.analysis.columns); {hint}"
            )


def load_claims_file(path: Path) -> list[Claim]:
    """The claims of one file, each naming only declared columns (plugins' included)."""
    data = files.read_yaml(path, ClaimError)
    if not isinstance(data, dict) or set(data) != {"claims"}:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ClaimError(f"{path}: expected one top-level key 'claims: [...]', got {keys}")
    if not isinstance(data["claims"], list) or not data["claims"]:
        raise ClaimError(f"{path}: claims: expected a non-empty list of claims")
    claims = [parse_claim(raw, str(path), i) for i, raw in enumerate(data["claims"])]
    load_plugins()  # a plugin's metrics and losses declare columns its claims may name
    table = columns.declared()
    for claim in claims:
        check_columns(claim, str(path), table)
    return claims


def load_claims(path: str | Path | None = None) -> list[Claim]:
    """Claims of one file, or of every ``*.yaml`` in a folder; by default the shipped
    ``claims/`` and the ``claims/`` of every plugin folder ($WGAN_SUITE_PLUGINS)."""
    roots = [Path(path)] if path is not None else [CLAIMS_DIR, *claims_dirs()]
    files = [f for r in roots for f in (sorted(r.glob("*.yaml")) if r.is_dir() else [r])]
    if not files:
        raise ClaimError(f"{', '.join(map(str, roots))}: no claims files (*.yaml)")
    claims: list[Claim] = []
    origin: dict[str, Path] = {}
    for file in files:
        for claim in load_claims_file(file):
            if claim.id in origin:
                raise ClaimError(f"{file}: claim {claim.id}: id already used in {origin[claim.id]}")
            origin[claim.id] = file
            claims.append(claim)
    return claims
