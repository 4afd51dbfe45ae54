"""Claims files: ``claims/*.yaml`` -> validated, frozen ``Claim`` objects.

A claim is data (STYLE 5): where the paper says it, what it says, which ablation's rows
test it, and a declarative check. Files are read with ``yaml.safe_load`` only; nothing
in them is executed. Every problem names file, claim id, key and what is allowed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from suite import io
from suite.claims.base import Check, ClaimError, error_lines, parse_check
from suite.options import Options

CLAIMS_DIR = Path(__file__).resolve().parents[2] / "claims"  # <repo>/claims, like ablations/
_TAG = re.compile(r"^(?:(?:SEEN|READ-OFF):S\d+(?:,S\d+)*|DERIVED)$")


class Claim(Options):
    """One published, checkable statement and the test the suite applies to it."""

    id: str = Field(pattern=r"^[A-Z]+-\d{2}[a-z]?$", description="e.g. W-02, G-03, W-09b")
    paper: Literal["WGAN", "WGAN-GP", "SN-GAN"]
    location: str = Field(min_length=1, description="figure / table / section")
    statement: str = Field(min_length=1, description="what the paper says, short")
    published: str = Field(min_length=1, description="value or direction; say when no number")
    setting: str = Field(min_length=1, description="the setting the statement applies to")
    source_tag: str = Field(description="claims.md tags, e.g. 'SEEN:S1; READ-OFF:S3'")
    ablation: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="whose rows it reads")
    check: Check
    tolerance: float = Field(ge=0, description="slack on the threshold, in the claim's favour")
    min_seeds: int = Field(3, ge=1, description="usable seeds needed for a verdict")
    min_budget: Literal["smoke", "quick", "paper"] = Field(
        "quick",
        description="the smallest budget whose runs can decide the claim (claims about "
        "converged image models need 'paper'); below it the verdict is inconclusive",
    )
    note: str | None = Field(None, description="e.g. which threshold is a suite choice")

    @field_validator("source_tag")
    @classmethod
    def _seen_only(cls, v: str) -> str:
        parts = [p.strip() for p in v.split(";")]
        bad = [p for p in parts if not _TAG.match(p)]
        if bad:
            raise ValueError(
                f"tag(s) {bad} not allowed: use SEEN:Sx, READ-OFF:Sx or DERIVED joined by '; ' "
                "(MEMORY values are never thresholds)"
            )
        return v


def parse_claim(raw: Any, source: str, index: int) -> Claim:
    ident = raw.get("id") if isinstance(raw, dict) else None
    where = f"{source}: claim {ident or f'#{index + 1}'}"
    if not isinstance(raw, dict):
        raise ClaimError(f"{where}: expected a mapping of claim keys, got {raw!r}")
    try:
        check = parse_check(raw.get("check"))
    except ClaimError as err:
        raise ClaimError("\n".join(f"{where}: {line}" for line in str(err).splitlines())) from None
    try:
        return Claim.model_validate({**raw, "check": check})
    except ValidationError as err:
        lines = error_lines(err, "", Claim)
        raise ClaimError("\n".join(f"{where}: {line}" for line in lines)) from None


def load_claims_file(path: Path) -> list[Claim]:
    data = io.read_yaml(path, ClaimError)
    if not isinstance(data, dict) or set(data) != {"claims"}:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ClaimError(f"{path}: expected one top-level key 'claims: [...]', got {keys}")
    if not isinstance(data["claims"], list) or not data["claims"]:
        raise ClaimError(f"{path}: claims: expected a non-empty list of claims")
    return [parse_claim(raw, str(path), i) for i, raw in enumerate(data["claims"])]


def load_claims(path: str | Path | None = None) -> list[Claim]:
    """Claims of one file, or of every ``*.yaml`` in a folder (default: the repo's ``claims/``)."""
    root = Path(path) if path is not None else CLAIMS_DIR
    files = sorted(root.glob("*.yaml")) if root.is_dir() else [root]
    if not files:
        raise ClaimError(f"{root}: no claims files (*.yaml)")
    claims: list[Claim] = []
    origin: dict[str, Path] = {}
    for file in files:
        for claim in load_claims_file(file):
            if claim.id in origin:
                raise ClaimError(f"{file}: claim {claim.id}: id already used in {origin[claim.id]}")
            origin[claim.id] = file
            claims.append(claim)
    return claims
