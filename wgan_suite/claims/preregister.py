"""Writing a registration: what each claim's design can reach, and the trials it runs.

``wgan_suite.claims.registration`` holds the registration itself and reads verdicts against
it; this module builds one (``python -m wgan_suite preregister``): for every claim a budget
decides, the smallest p its design reaches with n seeds, read off the claim's own test
on synthetic tables (``wgan_suite.claims.coverage``) for the claim and against it, the seeds
it needs to reach its family's Holm bound both ways, and the trials it will read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from wgan_suite.analysis.stats import ALPHA
from wgan_suite.claims.context import matches
from wgan_suite.claims.coverage import smallest_p, trial_configs
from wgan_suite.claims.families import Family
from wgan_suite.claims.power import MAX_SEEDS, TARGET, Effect, claim_power, plan
from wgan_suite.claims.registration import (
    DECISION,
    MARGIN,
    RegisteredClaim,
    Registration,
    analysis_hash,
    check_hash,
)
from wgan_suite.claims.scale import shortfall
from wgan_suite.claims.schema import Claim
from wgan_suite.claims.selection import ClaimError
from wgan_suite.trial.metrics import METRICS
from wgan_suite.trial.metrics.classifier import cached_sha256, classifier_path


@dataclass(frozen=True)
class Design:
    """What one claim's design can reach with n seeds, as two-sided decision p."""

    min_p: float  # smallest decision p for the claim
    min_p_against: float  # and against it (an all_of's refutation pays Bonferroni)
    n: int

    def reaches(self, bound: float) -> bool:
        """Both ways: for the claim and against it."""
        return max(self.min_p, self.min_p_against) <= bound


def decision_min_p(one_sided: float | None) -> float:
    return min(1.0, 2 * (one_sided if one_sided is not None else 1.0))


def registered_claim(
    claim: Claim, family_size: int, alpha: float, design_at: Any, n: int
) -> RegisteredClaim:
    """``design_at(n) -> Design`` reads the design's smallest p at n seeds."""
    bound = alpha / family_size
    at_n = design_at(n)
    needed = None
    for m in (*range(2, 41), 60, 100):
        if design_at(m).reaches(bound):
            needed = m
            break
    return RegisteredClaim(
        family=claim.family,
        ablation=claim.ablation,
        check_hash=check_hash(claim),
        min_p=at_n.min_p,
        min_p_against=at_n.min_p_against,
        holm_bound=bound,
        reaches_bound=at_n.reaches(bound),
        seeds_needed=needed,
    )


def build_registration(
    name: str,
    claims: Sequence[Claim],
    budget: str,
    seeds: Sequence[int],
    ablations: dict[str, Any],
    training_code_hash: str,
    alpha: float = ALPHA,
    effects: Mapping[str, tuple[list[Effect], str]] | None = None,
) -> Registration:
    """Register as confirmatory every claim a ``budget`` run decides at the claim's scale
    (``wgan_suite.claims.scale``: only there can its verdict go either way); the claims the
    run reads below their scale are listed as exploratory, with why. GPU-only claims at a
    CPU budget are left out. ``ablations``: name -> Ablation.

    ``effects``: claim -> (its parts' effects seen in exploratory runs, or the reason
    none were): each confirmatory claim's seeds then come from a power analysis
    (``wgan_suite.claims.power``: power >= 0.8 at the family's first Holm step, at the
    pessimistic end of each effect's interval); a claim that cannot reach it within the
    seed block, or has no effect seen, is exploratory with that reason. Without
    ``effects`` the seeds are the fewest that make the bound reachable (plus MARGIN)."""
    decided = [c for c in claims if budget in c.budgets]
    if not decided:
        raise ClaimError(f"no claim is decided at budget '{budget}'")
    missing = sorted({c.ablation for c in decided} - set(ablations))
    if missing:
        raise ClaimError(f"ablation file(s) not found for the claims: {', '.join(missing)}")
    exploratory = {}
    for c in decided:
        below = shortfall(c.scale.made_at, trial_configs(ablations[c.ablation], budget))
        if below:
            exploratory[c.id] = "below its scale at " + budget + ": " + "; ".join(below)
    chosen = [c for c in decided if c.id not in exploratory]
    planned: dict[str, tuple[int, float, str]] = {}

    def level(claim: Claim) -> float:  # a two-sided decision p at Holm's first step
        return alpha / sizes[claim.family] / 2

    while effects is not None:  # dropping a claim shrinks m and loosens the others' bound
        sizes = {f: sum(c.family == f for c in chosen) for f in Family}
        dropped = False
        for c in chosen:
            parts, why = effects.get(c.id, ([], "no exploratory run of this claim"))
            n, pw = plan(parts, level(c))
            text = "; ".join(e.text() for e in parts)
            if n is not None and n <= len(seeds):
                planned[c.id] = (n, pw, text)
                continue
            dropped = True
            if not parts:
                exploratory[c.id] = f"no effect seen to size its seeds ({why})"
                continue
            short = (
                f"power {pw:.3f} < {TARGET} even with {MAX_SEEDS} seeds"
                if n is None
                else f"power {TARGET} needs {n} seeds; the block has {len(seeds)}"
            )
            exploratory[c.id] = (
                f"{short}, at Holm's first step ({level(c) * 2:.3g}) for the effect seen: {text}"
            )
        chosen = [c for c in chosen if c.id not in exploratory]
        if not dropped:
            break
    sizes = {f: sum(c.family == f for c in chosen) for f in Family}
    designs = {}
    for claim in chosen:
        ablation, memo = ablations[claim.ablation], {}

        def design_at(n: int, claim=claim, ablation=ablation, memo=memo) -> Design:
            if n not in memo:
                low, against = smallest_p(claim, ablation.with_seeds(range(n)), budget)
                memo[n] = Design(decision_min_p(low), decision_min_p(against), n)
            return memo[n]

        designs[claim.id] = design_at
    # first the seeds each claim needs, then each ablation runs the most its claims need
    # (plus MARGIN), and every claim is registered at the seeds its ablation runs
    needs = {
        c.id: registered_claim(c, sizes[c.family], alpha, designs[c.id], len(seeds)).seeds_needed
        for c in chosen
    }
    per_ablation: dict[str, tuple[int, ...]] = {}
    for name_ in sorted({c.ablation for c in chosen}):
        if effects is None:
            needed = [(needs[c.id] or len(seeds)) + MARGIN for c in chosen if c.ablation == name_]
        else:  # the power analysis' n, never below the n that makes the bound reachable
            needed = [
                max(planned[c.id][0], needs[c.id] or len(seeds))
                for c in chosen
                if c.ablation == name_
            ]
        per_ablation[name_] = tuple(seeds[: min(len(seeds), max(needed))])
    trials = {
        name_: tuple(sorted(t.trial_id for t in ablations[name_].with_seeds(s).trials(budget)))
        for name_, s in per_ablation.items()
    }
    entries = {}
    for claim in chosen:  # the registered trials each claim reads: every one must be read
        runs = per_ablation[claim.ablation]
        entry = registered_claim(claim, sizes[claim.family], alpha, designs[claim.id], len(runs))
        ablation = ablations[claim.ablation].with_seeds(runs)
        update: dict[str, Any] = {"trials": selected_trials(claim, ablation, budget)}
        if claim.id in planned:
            n, _, text = planned[claim.id]
            at_runs = claim_power(effects[claim.id][0], len(runs), level(claim))
            update |= {"power_seeds": n, "planned_power": round(at_runs, 3), "effect": text}
        entries[claim.id] = entry.model_copy(update=update)
    return Registration(
        registration=name,
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        budget=budget,
        alpha=alpha,
        seeds=tuple(seeds),
        decision=DECISION,
        training_code_hash=training_code_hash,
        analysis_hash=analysis_hash(),
        claims=entries,
        ablation_seeds=per_ablation,
        trials=trials,
        exploratory=exploratory,
    )


def selected_trials(claim: Claim, ablation: Any, budget: str) -> tuple[str, ...]:
    """Ids of the trials the claim's check selects on this ablation (all must be read)."""
    return trials_matching(claim.check.wheres(), ablation, budget)


def trials_matching(wheres: Iterable[Any], ablation: Any, budget: str) -> tuple[str, ...]:
    frame = trial_configs(ablation, budget)
    frame["trial_id"] = [t.trial_id for t in ablation.trials(budget)]
    hit = pd.Series(False, index=frame.index)
    for where in wheres:
        hit |= matches(frame, where)
    return tuple(sorted(frame.loc[hit, "trial_id"]))


def classifier_pin(reg: Registration, ablations: dict[str, Any]) -> tuple[str | None, str]:
    """(classifier_sha256 to record, one line saying what was recorded and why).

    The quality classifier is trained once per machine (``wgan_suite.trial.metrics.classifier``),
    so scores from two machines may not share a scale: the registration pins the
    classifiers its own trials score with, as this machine has them. None is recorded
    when no registered trial scores with one, or when one of them was never trained here
    (training it means loading the dataset and several minutes of CPU: not done by
    preregister; run a trial that scores with it, then register)."""
    datas = {}
    for name, seeds in reg.ablation_seeds.items():
        for t in ablations[name].with_seeds(seeds).trials(reg.budget):
            if any("classifier_sha256" in METRICS.get(m.name).columns for m in t.config.metrics):
                datas.setdefault(str(classifier_path(t.config.data)), t.config.data)
    if not datas:
        return None, "classifier_sha256: not pinned (no registered trial scores with one)"
    hashes = {path: cached_sha256(data) for path, data in datas.items()}
    absent = sorted(p for p, h in hashes.items() if h is None)
    if absent:
        return None, (
            "classifier_sha256: not pinned: the quality classifier is not trained on this "
            f"machine ({', '.join(absent)}); run a trial that scores with it, then register"
        )
    pinned = ",".join(sorted(set(hashes.values())))
    return pinned, f"classifier_sha256: {pinned} (this machine's quality classifier, pinned)"
