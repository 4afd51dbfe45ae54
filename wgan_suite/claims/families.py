"""Families of claims: the sets whose verdicts are corrected for multiplicity together.

A report that tests thirty claims at alpha 0.05 each will, by chance alone, show a
decisive verdict or two where nothing holds. The headline therefore counts verdicts
after Holm's step-down correction *within* a family: the questions a reader would
take as one body of evidence (the WGAN paper's claims that a CPU run can decide; its
successors'; the suite's own questions, which are not published claims). Claims that
only the GPU budget can decide form their own family and are shown as estimates until
such a run exists.
"""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    WGAN_CPU = "wgan-cpu"
    SUCCESSORS_CPU = "successors-cpu"
    EXTENSIONS = "extensions"
    GPU_ONLY = "gpu-only"


DESCRIPTION = {
    Family.WGAN_CPU: "the WGAN paper's claims, decidable on a CPU budget",
    Family.SUCCESSORS_CPU: "claims of WGAN's successors (WGAN-GP, SN-GAN), decidable on a CPU",
    Family.EXTENSIONS: "the suite's own questions (not published claims)",
    Family.GPU_ONLY: "claims only the paper budget (GPU) can decide: estimates until run",
}

ORDER = tuple(Family)  # the order the report lists them in
