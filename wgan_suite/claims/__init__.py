"""Published claims as data, judged automatically against the results table.

``claims/*.yaml`` states what the papers claim and how the suite tests it; this package
loads those files (``load_claims``) and turns the tidy tables into verdicts
(``evaluate_claims``, ``verdicts_frame``). Check kinds and per-trial reductions are
registries (``CHECKS``, ``REDUCTIONS``): a new kind is one decorated class or function.
"""

from __future__ import annotations

from wgan_suite.claims import checks, combinators  # noqa: F401  (register the check kinds)
from wgan_suite.claims.base import CHECKS, Check
from wgan_suite.claims.reductions import REDUCTIONS, Measure
from wgan_suite.claims.schema import CLAIMS_DIR, Claim, load_claims, load_claims_file
from wgan_suite.claims.selection import ClaimError
from wgan_suite.claims.verdicts import Verdict, evaluate_claim, evaluate_claims, verdicts_frame

__all__ = [
    "CHECKS",
    "CLAIMS_DIR",
    "REDUCTIONS",
    "Check",
    "Claim",
    "ClaimError",
    "Measure",
    "Verdict",
    "evaluate_claim",
    "evaluate_claims",
    "load_claims",
    "load_claims_file",
    "verdicts_frame",
]
