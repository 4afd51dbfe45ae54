"""Claims against ablation files, before anything runs (``python -m wgan_suite validate``).

Every selection of a claim must pick at least one trial of its ablation at each budget
the claim says can decide it, and on those trials, with the seeds that budget has, data
for the claim must read reproduced and data against it not reproduced: a claim that can
never be decided (too few seeds for its test) or never fail is a defect.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from wgan_suite.analysis.stats import Verdict
from wgan_suite.claims.context import matches
from wgan_suite.claims.scale import shortfall
from wgan_suite.claims.schema import Claim
from wgan_suite.claims.selection import describe_where
from wgan_suite.claims.synthetic import Universe, tables
from wgan_suite.claims.verdicts import evaluate_claim
from wgan_suite.harness.ablation import Ablation
from wgan_suite.harness.results import flatten


def trial_configs(ablation: Ablation, budget: str) -> pd.DataFrame:
    """One row per trial: ``config.<path>`` columns, as in the results tables."""
    rows = [
        {"seed": t.seed, **{f"config.{k}": v for k, v in flatten(t.config.to_dict()).items()}}
        for t in ablation.trials(budget)
    ]
    return pd.DataFrame(rows)


def problems(claims: Sequence[Claim], ablation: Ablation) -> list[str]:
    """What keeps the claims of this ablation from ever being decided."""
    found: list[str] = []
    for claim in (c for c in claims if c.ablation == ablation.spec.name):
        for budget in claim.deciding_budgets():
            if budget not in ablation.spec.budgets:
                continue  # a budget the ablation does not define cannot be run
            frame = trial_configs(ablation, budget)
            for where in claim.check.wheres():
                if not matches(frame, where).any():
                    found.append(
                        f"claim {claim.id}: {describe_where(where)} selects no trial of "
                        f"{ablation.spec.name} at budget '{budget}'"
                    )
            if all(matches(frame, w).any() for w in claim.check.wheres()):
                found += decidable(claim, ablation, budget)
        missing = [b for b in claim.deciding_budgets() if b not in ablation.spec.budgets]
        if len(missing) == len(claim.budgets):
            found.append(
                f"claim {claim.id}: {ablation.spec.name} defines none of its budgets "
                f"({', '.join(missing)})"
            )
    return found


def example_tables(
    claim: Claim, holds: bool, ablation: Ablation | None = None, budget: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic tables on which ``claim`` must read reproduced (``holds``) or not: over
    ``ablation``'s real trials at ``budget`` (its seeds), else over made-up ones."""
    budget = budget or str(claim.deciding_budgets()[0])
    universe = Universe()
    if ablation is not None:
        frame = trial_configs(ablation, budget)
        universe = Universe(frame, ablation.seeds(budget))
    made = claim.check.synthesize(holds, universe)
    for premise in claim.premises:  # completed so that every premise holds
        made = premise.adapt(made, universe)
    return tables(made, claim.ablation, budget)


def refutable(claim: Claim, ablation: Ablation, budget: str) -> bool:
    """Whether a run of ``ablation`` at ``budget`` runs at the claim's scale
    (``wgan_suite.claims.scale``) at a budget that can decide the claim: only there can a
    confirmatory verdict go either way."""
    if budget not in claim.budgets:
        return False
    return not shortfall(claim.scale.made_at, trial_configs(ablation, budget))


def smallest_p(claim: Claim, ablation: Ablation, budget: str) -> tuple[float, float]:
    """The smallest p for and against the claim its design can give on this ablation's
    trials and seeds (read off the test on data for the claim)."""
    results, trials = example_tables(claim, True, ablation, budget)
    v = evaluate_claim(claim, results, trials, budget)
    return (
        v.min_p if v.min_p is not None else 1.0,
        v.min_p_against if v.min_p_against is not None else 1.0,
    )


def decidable(claim: Claim, ablation: Ablation, budget: str) -> list[str]:
    """Problems when the claim, on this ablation's trials and seeds at ``budget``, cannot
    read both reproduced and not reproduced (a check that cannot fail is a defect). The
    same both ways at and below the claim's scale: below it the verdict is qualified and
    exploratory, never turned one way (``wgan_suite.claims.scale``)."""
    found = []
    for holds, wanted in ((True, Verdict.REPRODUCED), (False, Verdict.NOT_REPRODUCED)):
        results, trials = example_tables(claim, holds, ablation, budget)
        v = evaluate_claim(claim, results, trials, budget)
        if v.verdict != wanted:
            found.append(
                f"claim {claim.id}: at budget '{budget}' data {'for' if holds else 'against'} "
                f"the claim reads {v.verdict}, not {wanted}: {v.summary}"
            )
    return found
