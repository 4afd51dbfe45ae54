"""The revision log: every change to a check after data were seen, with its direction.

A check revised after its data were seen is a forking path: the revised verdict is
exploratory until fresh seeds confirm it. The log (``claims/revisions/log.yaml``) says,
per revision, which claims it touched, what changed and why, whether data had been seen,
and the verdict before and after on the same data, so a reader can see which way each
revision moved the verdict. The report shows a claim's revisions beside it; a test
checks that every claim whose check differs from its registration has a logged revision
naming the check's current hash (a date on the same day is not enough).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field

from wgan_suite.claims.schema import CLAIMS_DIR
from wgan_suite.claims.selection import ClaimError
from wgan_suite.core import files
from wgan_suite.core.options import Options

LOG = Path("revisions") / "log.yaml"


class Revision(Options):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    claims: tuple[str, ...] = Field(min_length=1)
    commit: str | None = Field(None, description="the commit that made it, when known")
    change: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    data_seen: bool = Field(description="were the data that decide the claim seen before?")
    direction: Literal["toward the claim", "against the claim", "neutral", "withholds"]
    verdict_before: str = Field(min_length=1)
    verdict_after: str = Field(min_length=1, description="on the same data, where known")
    check_hashes: dict[str, str] = Field(
        default_factory=dict,
        description="claim -> the hash of its check after this revision "
        "(wgan_suite.claims.registration.check_hash): what ties the entry to the change",
    )

    def text(self) -> str:
        seen = "after its data were seen" if self.data_seen else "before its data existed"
        at = f" ({self.commit})" if self.commit else ""
        return (
            f"{self.date}{at}, {seen}: {self.change}. Why: {self.reason}. Verdict "
            f"{self.verdict_before} -> {self.verdict_after} ({self.direction})"
        )


def load_revisions(path: Path | None = None) -> list[Revision]:
    path = CLAIMS_DIR / LOG if path is None else Path(path)
    if not path.is_file():
        return []
    data = files.read_yaml(path, ClaimError)
    if not isinstance(data, dict) or not isinstance(data.get("revisions"), list):
        raise ClaimError(f"{path}: expected one top-level key 'revisions: [...]'")
    out = []
    for i, raw in enumerate(data["revisions"]):
        try:
            out.append(Revision.model_validate(raw))
        except Exception as err:
            first = str(err).splitlines()[:3]
            raise ClaimError(f"{path}: revision #{i + 1}: {' '.join(first)}") from None
    return out


def of_claim(revisions: Sequence[Revision], claim_id: str) -> list[Revision]:
    return [r for r in revisions if claim_id in r.claims]
