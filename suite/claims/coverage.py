"""Claims against ablation files, before anything runs (``python -m suite validate``).

Every selection of a claim must pick at least one trial of its ablation at each budget
the claim says can decide it, and on those trials, with the seeds that budget has, data
for the claim must read reproduced and data against it not reproduced: a claim that can
never be decided (too few seeds for its test) or never fail is a defect.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import pandas as pd

from suite.ablation import Ablation, load_ablation
from suite.claims import synthetic as syn
from suite.claims.context import matches
from suite.claims.scale import BELOW, shortfall
from suite.claims.schema import Claim
from suite.claims.selection import describe_where
from suite.claims.synthetic import Universe, tables
from suite.results import flatten
from suite.stats import Verdict


def trial_configs(ablation: Ablation, budget: str) -> pd.DataFrame:
    """One row per trial: ``config.<path>`` columns, as in the results tables."""
    rows = [
        {"seed": t.seed, **{f"config.{k}": v for k, v in flatten(t.config.to_dict()).items()}}
        for t in ablation.trials(budget)
    ]
    return pd.DataFrame(rows)


def problems(claims: Sequence[Claim], ablation: Ablation) -> list[str]:
    """What keeps the claims of this ablation from ever being decided, and the claims
    whose scale ladder it is from reading their ladder."""
    found = ladder_problems(claims, ablation)
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
        defined = [b for b in claim.deciding_budgets() if b in ablation.spec.budgets]
        if defined and not any(refutable(claim, ablation, b) for b in defined):
            found.append(
                f"claim {claim.id}: below its scale ({claim.scale.made_at.text()}) at every "
                f"budget {ablation.spec.name} defines for it, with no scale ladder: it can "
                "never read 'not reproduced' (state the scale it was made at, or add a ladder)"
            )
        missing = [b for b in claim.deciding_budgets() if b not in ablation.spec.budgets]
        if len(missing) == len(claim.budgets):
            found.append(
                f"claim {claim.id}: {ablation.spec.name} defines none of its budgets "
                f"({', '.join(missing)})"
            )
    return found


def ladder_problems(claims: Sequence[Claim], ablation: Ablation) -> list[str]:
    """A ladder must select trials of every part at two or more image sizes."""
    found = []
    for claim in claims:
        ladder = claim.scale.ladder
        if ladder is None or ladder.ablation != ablation.spec.name:
            continue
        for budget in (b for b in claim.deciding_budgets() if b in ablation.spec.budgets):
            frame = trial_configs(ablation, budget)
            for part in ladder.parts:
                hit = frame[matches(frame, part.where)]
                sizes = set(hit.get("config.data.image_size", pd.Series(dtype=float)).dropna())
                if len(sizes) < 2:
                    found.append(
                        f"claim {claim.id}: ladder part {describe_where(part.where)} selects "
                        f"{len(hit)} trial(s) at {len(sizes)} image size(s) of "
                        f"{ablation.spec.name} at budget '{budget}'; a ladder needs two or more"
                    )
    return found


def example_tables(
    claim: Claim, holds: bool, ablation: Ablation | None = None, budget: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic tables on which ``claim`` must read reproduced (``holds``) or not: over
    ``ablation``'s real trials at ``budget`` (its seeds), else over made-up ones. A claim
    with a scale ladder gets its ladder's trials too, the effect the same at every rung
    (no growth: a refutation below the claim's scale stands on them)."""
    budget = budget or str(claim.deciding_budgets()[0])
    universe = Universe()
    if ablation is not None:
        frame = trial_configs(ablation, budget)
        universe = Universe(frame, ablation.seeds(budget))
    made = claim.check.synthesize(holds, universe)
    for premise in claim.premises:  # completed so that every premise holds
        made = premise.adapt(made, universe)
    results, trials = tables(made, claim.ablation, budget)
    ladder = ladder_of(claim, ablation)
    if ladder is None or budget not in ladder.spec.budgets:
        return results, trials
    more = ladder_tables(claim, holds, ladder, budget)
    return pd.concat([results, more[0]], ignore_index=True), pd.concat(
        [trials, more[1]], ignore_index=True
    )


def ladder_of(claim: Claim, ablation: Ablation | None) -> Ablation | None:
    """The claim's scale-ladder ablation, found beside its own ablation file."""
    ladder = claim.scale.ladder
    if ladder is None or ablation is None:
        return None
    path = ablation.path.parent / f"{ladder.ablation}.yaml"
    return _load(str(path.resolve()), path.stat().st_mtime_ns) if path.exists() else None


@lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int) -> Ablation:
    """Loaded once per file version: a registration reads the ladder for every n."""
    return load_ablation(path)


def ladder_tables(
    claim: Claim, holds: bool, ladder: Ablation, budget: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ladder's trials, each part's value on the claimed side (``holds``) or off it,
    the same at every rung, with the claim's premises held on them."""
    universe = Universe(trial_configs(ladder, budget), ladder.seeds(budget))
    made: list[syn.Synthetic] = []
    for part in claim.scale.ladder.parts:
        target = syn.target_for(part.value, part.op, part.threshold, holds)
        made = syn.merge([made, syn.measure_trials(universe, part.where, part.value, target)])
    for premise in claim.premises:
        made = premise.adapt(made, universe)
    return tables(made, ladder.spec.name, budget)


def refutable(claim: Claim, ablation: Ablation, budget: str) -> bool:
    """Whether a run of ``ablation`` at ``budget`` can refute the claim: it runs at the
    claim's scale, or the claim has a scale ladder (``suite.claims.scale``)."""
    below = shortfall(claim.scale.made_at, trial_configs(ablation, budget))
    return not below or ladder_of(claim, ablation) is not None


def smallest_p(claim: Claim, ablation: Ablation, budget: str) -> tuple[float, float]:
    """The smallest p for and against the claim its design can give on this ablation's
    trials and seeds (read off the test on data for the claim)."""
    from suite.claims.verdicts import evaluate_claim

    results, trials = example_tables(claim, True, ablation, budget)
    v = evaluate_claim(claim, results, trials, budget)
    return (
        v.min_p if v.min_p is not None else 1.0,
        v.min_p_against if v.min_p_against is not None else 1.0,
    )


def decidable(claim: Claim, ablation: Ablation, budget: str) -> list[str]:
    """Problems when the claim, on this ablation's trials and seeds at ``budget``, cannot
    read both reproduced and not reproduced (a check that cannot fail is a defect).
    Below the claim's scale without a ladder, data against must read "inconclusive:
    below the claim's scale" with the check itself refuting (``suite.claims.scale``)."""
    from suite.claims.verdicts import evaluate_claim

    found = []
    can_refute = refutable(claim, ablation, budget)
    for holds, wanted in ((True, Verdict.REPRODUCED), (False, Verdict.NOT_REPRODUCED)):
        results, trials = example_tables(claim, holds, ablation, budget)
        v = evaluate_claim(claim, results, trials, budget)
        if not holds and not can_refute:
            refuted = v.p_against is not None and v.p_against <= claim.alpha
            if v.verdict == Verdict.INCONCLUSIVE and BELOW in v.summary and refuted:
                continue
            wanted = Verdict.INCONCLUSIVE
        if v.verdict != wanted:
            found.append(
                f"claim {claim.id}: at budget '{budget}' data {'for' if holds else 'against'} "
                f"the claim reads {v.verdict}, not {wanted}: {v.summary}"
            )
    return found
