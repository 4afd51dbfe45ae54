"""Claims x results table -> one verdict per claim, with the effect, interval, test, p, n.

Reads only the tidy tables. Each claim is judged on its ablation's rows at one
budget: the one asked for, else the largest present. A budget the claim does not list as
deciding it (smoke never does) gives "inconclusive", still showing what was measured,
and names the smallest budget that would decide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace

import pandas as pd

from wgan_suite.analysis.stats import Verdict as VerdictName
from wgan_suite.claims.context import Context
from wgan_suite.claims.family_wise import with_family_holm
from wgan_suite.claims.outcome import Outcome, inconclusive
from wgan_suite.claims.premises import failed_text, read_premises
from wgan_suite.claims.registration import (
    Registration,
    analysis_hash,
    check_hash,
    covering,
    exploratory_reasons,
    registered_exploratory,
)
from wgan_suite.claims.revisions import load_revisions, of_claim
from wgan_suite.claims.scale import ScaleReading, apply, below_by_dimension, run_scale
from wgan_suite.claims.schema import Claim, load_claims
from wgan_suite.core.budgets import Budget, largest, rank
from wgan_suite.core.locations import COMMAND
from wgan_suite.harness.ablation import budget_seeds


@dataclass(frozen=True)
class Verdict:
    """What the report shows per claim."""

    claim_id: str
    paper: str
    location: str
    citation: str
    statement: str
    published: str
    testable_as: str
    claim_note: str | None  # the claim's own caveat (claims/*.yaml ``note``)
    setting: str
    ablation: str
    check: str  # human-readable check, naming its test
    verdict: VerdictName
    summary: str  # one results-section line: effect, interval, test, p, n, verdict
    measured: float | None  # the effect's point estimate (mean over seeds, or a rate)
    ci_low: float | None
    ci_high: float | None
    ci_method: str | None  # how the interval was made (BCa bootstrap, Clopper-Pearson, ...)
    threshold: float | None  # what the effect was tested against (tolerance applied)
    test: str | None  # the test's name
    p_value: float | None  # for the claim
    p_against: float | None  # against the claim
    alpha: float
    n: int  # seeds (or trials, for rates) the test used
    reason: str  # the whole reasoning: sub-checks, notes, why inconclusive
    trial_ids: tuple[str, ...]  # the trials it read
    budget: str | None
    budget_note: str | None  # what the budget scales down (e.g. "16 px Fashion-MNIST, not LSUN")
    decided_by: str  # the budgets that can decide it, each with why
    next_budget: str | None  # for an undecided claim: the smallest budget that would decide it
    family: str = ""  # wgan_suite.claims.families: verdicts Holm-corrected together
    premises: str = ""  # each premise and whether it held, "; "-joined
    premise_failed: bool = False
    min_p: float | None = None  # the smallest p the test can give at this n, for the claim
    min_p_against: float | None = None  # and against it
    check_hash: str = ""  # wgan_suite.claims.registration.check_hash
    registration: str | None = None  # the registration covering the claim
    confirmatory: bool = False  # every hash and seed matches the registration
    exploratory_why: str = ""  # why not confirmatory ("" when it is)
    seeds: str = ""  # the seeds read, space-joined
    p_decision: float = 1.0  # two-sided decision p (wgan_suite.claims.family_wise)
    p_holm: float = 1.0  # Holm-adjusted within the family (confirmatory: others count as 1)
    family_size: int = 0  # claims in the family (Holm's m)
    holm_verdict: str = VerdictName.INCONCLUSIVE  # the verdict after the family's correction
    sensitivity: str = ""  # the verdict at 0.75x and 1.25x the threshold (sensitivity.py)
    revisions: str = ""  # the claim's logged revisions (claims/revisions/log.yaml), " | "-joined
    seeds_needed: int | None = None  # seeds the registered design needs to reach Holm's bound
    made_at: str = ""  # the scale the paper made the claim at (wgan_suite.claims.scale)
    scale: str = ""  # "at the claim's scale" or "below the claim's scale: 16 px < 64 px; ..."
    below_scale: bool = False  # read below the claim's scale: exploratory in both directions
    refutable: bool = False  # at the claim's scale: a confirmatory reading could go either way
    registered_family_size: int | None = None  # Holm's m as registered (not as the file holds)
    registration_draft: bool = False  # the covering registration is not frozen (--final)
    # what other registrations concluded (wgan_suite.claims.verdicts.earlier_readings)
    earlier: str = ""


def evaluate_claims(
    results: pd.DataFrame,
    trials: pd.DataFrame,
    claims: Sequence[Claim] | None = None,
    budget: str | None = None,
    registrations: Sequence[Registration] = (),
) -> list[Verdict]:
    """One verdict per claim (default: every claim in ``claims/``), in claim order,
    each labelled confirmatory or exploratory against ``registrations`` and corrected
    for multiplicity within its family (``wgan_suite.claims.family_wise``)."""
    claims = load_claims() if claims is None else claims
    current = analysis_hash()
    log = load_revisions()
    out = [
        replace(
            evaluate_registered(c, results, trials, budget, registrations, current),
            revisions=" | ".join(r.text() for r in of_claim(log, c.id)),
            decided_by=decided_by(c, registrations),
        )
        for c in claims
    ]
    out = with_family_holm(out)
    earlier = earlier_readings(claims, results, trials, budget, registrations, current, out)
    return [replace(v, earlier=earlier.get(v.claim_id, "")) for v in out]


def earlier_readings(
    claims: Sequence[Claim],
    results: pd.DataFrame,
    trials: pd.DataFrame,
    budget: str | None,
    registrations: Sequence[Registration],
    current: str,
    shown: Sequence[Verdict],
) -> dict[str, str]:
    """claim -> what every registration other than the one shown concluded about it,
    each under its own Holm family (``R1: not_reproduced, confirmatory, Holm p 0.004``):
    a later registration never hides an earlier one's result."""
    used = {v.claim_id: v.registration for v in shown}
    found: dict[str, list[str]] = {}
    for reg in registrations:
        mine = [c for c in claims if c.id in reg.claims and used.get(c.id) != reg.registration]
        if not mine:
            continue
        everyone = [c for c in claims if c.id in reg.claims]  # its own family, whole
        read = with_family_holm(
            [evaluate_registered(c, results, trials, budget, [reg], current) for c in everyone]
        )
        for v in read:
            if any(c.id == v.claim_id for c in mine):
                label = "confirmatory" if v.confirmatory else "exploratory"
                found.setdefault(v.claim_id, []).append(
                    f"{reg.registration}: {v.holm_verdict if v.confirmatory else v.verdict}, "
                    f"{label}, Holm p {v.p_holm:.3g}"
                )
    return {k: "; ".join(v) for k, v in found.items()}


def evaluate_registered(
    claim: Claim,
    results: pd.DataFrame,
    trials: pd.DataFrame,
    budget: str | None,
    registrations: Sequence[Registration],
    current_analysis: str,
) -> Verdict:
    """On the registered trials when the tables hold any (the confirmatory reading),
    else on every trial; labelled with why it is not confirmatory."""
    reg = covering(registrations, claim.id)
    registered = set(reg.trials.get(claim.ablation, ())) if reg else set()
    res, tri = results, trials
    if registered and budget in (None, reg.budget) and _has_any(trials, registered):
        res, tri = _only(results, registered), _only(trials, registered)
        budget = reg.budget
    v = evaluate_claim(claim, res, tri, budget)
    read = _only(tri, set(v.trial_ids))
    why = exploratory_reasons(claim, reg, v.budget, read, current_analysis)
    left_out = registered_exploratory(registrations, claim.id) if reg is None else ""
    if left_out:
        why = [left_out]
    if v.below_scale:
        why.append(f"read {v.scale} (exploratory in either direction)")
    return replace(
        v,
        registration=reg.registration if reg else None,
        seeds_needed=reg.claims[claim.id].seeds_needed if reg else None,
        registered_family_size=reg.family_size(claim.family) if reg else None,
        registration_draft=bool(reg and not reg.final),
        confirmatory=not why,
        exploratory_why="; ".join(why),
    )


def _has_any(frame: pd.DataFrame, ids: set[str]) -> bool:
    return "trial_id" in frame and bool(frame["trial_id"].astype(str).isin(ids).any())


def _only(frame: pd.DataFrame, ids: set[str]) -> pd.DataFrame:
    if frame is None or frame.empty or "trial_id" not in frame:
        return frame
    return frame[frame["trial_id"].astype(str).isin(ids)]


def evaluate_claim(
    claim: Claim, results: pd.DataFrame, trials: pd.DataFrame, budget: str | None = None
) -> Verdict:
    res, tri = _of_ablation(results, claim.ablation), _of_ablation(trials, claim.ablation)
    chosen = budget or _largest_budget(res, tri)
    if chosen is None:
        why = f"no rows for ablation '{claim.ablation}' (run: {COMMAND} run {claim.ablation})"
        return _verdict(claim, inconclusive(why), None, None)
    res, tri = _of_budget(res, chosen), _of_budget(tri, chosen)
    if res.empty and tri.empty:
        why = f"no rows for ablation '{claim.ablation}' at budget '{chosen}'"
        return _verdict(claim, inconclusive(why), chosen, None)
    ctx = Context(res, tri, tolerance=claim.tolerance)
    outcome = claim.check.run(ctx, claim.alpha)
    premises = read_premises(list(claim.premises), ctx)
    failed = failed_text(premises)
    premise_failed = failed is not None and outcome.test is not None  # else: no data
    if premise_failed:  # the check's own reason (no data) stands when it tested nothing
        outcome = replace(
            outcome,
            verdict=VerdictName.INCONCLUSIVE,
            reason=f"inconclusive: {failed}; the check read (not a verdict): {outcome.reason}",
            summary=f"inconclusive: {failed}; the check read: {outcome.summary}",
        )
    if chosen not in claim.budgets:
        deciding = ", ".join(str(b) for b in claim.deciding_budgets())
        why = f"budget '{chosen}' cannot decide this claim (decided at: {deciding})"
        outcome = replace(
            outcome,
            verdict=VerdictName.INCONCLUSIVE,
            reason=f"{why}; measured at '{chosen}': {outcome.reason}",
            summary=f"{why}; measured: {outcome.summary}",
        )
    read = _only(tri, set(outcome.trial_ids))
    outcome, scale = _scale_rule(claim, outcome, read)
    verdict = _verdict(claim, outcome, chosen, _budget_note(tri))
    seeds = sorted({int(s) for s in read["seed"].dropna()}) if "seed" in read else []
    return replace(
        verdict,
        premises="; ".join(p.text() for p in premises),
        premise_failed=premise_failed,
        seeds=" ".join(map(str, seeds)),
        made_at=claim.scale.made_at.text(),
        scale=scale.text() if outcome.test is not None else "",
        below_scale=scale.is_below,
        # confirmed or refuted only where the budget can decide the claim and the run is at
        # its scale: a claim that states no size is never below it, even at ``smoke``
        refutable=outcome.test is not None and not scale.is_below and chosen in claim.budgets,
    )


def _scale_rule(claim: Claim, outcome: Outcome, read: pd.DataFrame) -> tuple[Outcome, ScaleReading]:
    """The verdict qualified by the scale it was read at (``wgan_suite.claims.scale``): below
    the claim's scale both directions keep what the data say, read "at 16 px / width 16"
    and exploratory."""
    below = below_by_dimension(claim.scale.made_at, read) if outcome.test is not None else {}
    reading = ScaleReading(tuple(below.values()), run_scale(read))
    head = apply(outcome.verdict, reading)
    if head is None:
        return outcome, reading
    return replace(
        outcome,
        reason=f"{head}; the check read: {outcome.reason}",
        summary=f"{head}; the check read: {outcome.summary}",
    ), reading


SEEDS = "{seeds}"  # in a claim's budget note: the seeds that budget runs, generated


def seeds_run(
    claim: Claim, budget: str, registrations: Sequence[Registration] = ()
) -> tuple[int, str] | None:
    """How many seeds ``budget`` runs the claim's ablation on, and from where: the newest
    registration at that budget running the ablation (its power-sized block), else the
    ablation file's budget; None when neither says."""
    for reg in reversed(list(registrations)):
        if reg.budget == budget and claim.ablation in reg.ablation_seeds:
            return len(reg.ablation_seeds[claim.ablation]), f"registration {reg.registration}"
    found = budget_seeds(claim.ablation, budget)
    return None if found is None else (len(found), "")


def budget_text(claim: Claim, budget: str, registrations: Sequence[Registration] = ()) -> str:
    """A claim's budget note with ``{seeds}`` written out from ``seeds_run``: a seed
    count is never a literal that a registration's power analysis can leave behind."""
    note = claim.budgets[budget]
    if SEEDS not in note:
        return note
    found = seeds_run(claim, budget, registrations)
    if found is None:
        return note.replace(SEEDS, "the budget's seeds")
    n, source = found
    return note.replace(SEEDS, f"{n} seeds" + (f" ({source})" if source else ""))


def decided_by(claim: Claim, registrations: Sequence[Registration] = ()) -> str:
    """The budgets that decide the claim, each with why (seed counts generated)."""
    return "; ".join(
        f"{b}: {budget_text(claim, b, registrations)}" for b in claim.deciding_budgets()
    )


def next_budget(claim: Claim, verdict: str, budget: str | None) -> str | None:
    """The smallest budget that would decide an undecided claim (None once decided)."""
    if verdict != VerdictName.INCONCLUSIVE:
        return None
    deciding = claim.deciding_budgets()
    if budget is None or budget not in Budget._value2member_map_:
        return str(deciding[0])
    later = [b for b in deciding if rank(b) >= rank(budget)]
    return str(later[0]) if later else None


def describe_check(claim: Claim) -> str:
    text = claim.check.describe()
    extra = [f"alpha {claim.alpha:g} one-sided"]
    if claim.tolerance:
        extra.append(f"tolerance {claim.tolerance:g}")
    return f"{text}; {', '.join(extra)}"


def verdicts_frame(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """One row per verdict; ``trial_ids`` joined by spaces (no arrays in cells)."""
    rows = [
        {
            **asdict(v),
            "trial_ids": " ".join(v.trial_ids),
        }
        for v in verdicts
    ]
    return pd.DataFrame(rows, columns=[f.name for f in fields(Verdict)])


def _verdict(claim: Claim, o: Outcome, budget: str | None, note: str | None) -> Verdict:
    m, t = o.measured, o.test
    return Verdict(
        claim_id=claim.id,
        paper=claim.paper,
        location=claim.location,
        citation=claim.citation,
        statement=claim.statement,
        published=claim.published,
        testable_as=claim.testable_as,
        claim_note=claim.note,
        setting=claim.setting,
        ablation=claim.ablation,
        check=describe_check(claim),
        verdict=o.verdict,
        summary=o.summary,
        measured=m.estimate if m else None,
        ci_low=m.low if m else None,
        ci_high=m.high if m else None,
        ci_method=m.method if m else None,
        threshold=o.threshold,
        test=t.name if t else None,
        p_value=t.p if t else None,
        p_against=t.p_against if t else None,
        alpha=claim.alpha,
        n=t.n if t else 0,
        reason=o.reason,
        trial_ids=o.trial_ids,
        budget=budget,
        budget_note=note,
        decided_by=decided_by(claim),
        next_budget=next_budget(claim, o.verdict, budget),
        family=str(claim.family),
        min_p=t.min_p if t else None,
        min_p_against=t.min_p_against if t else None,
        check_hash=check_hash(claim),
    )


def _budget_note(trials: pd.DataFrame) -> str | None:
    if "budget_note" not in trials.columns:
        return None
    notes = trials["budget_note"].dropna().astype(str).unique()
    return "; ".join(notes) if len(notes) else None


def _of_ablation(frame: pd.DataFrame, ablation: str) -> pd.DataFrame:
    if frame is None or frame.empty or "ablation" not in frame.columns:
        return pd.DataFrame()
    return frame[frame["ablation"] == ablation]


def _of_budget(frame: pd.DataFrame, budget: str) -> pd.DataFrame:
    if frame.empty or "budget" not in frame.columns:
        return frame
    return frame[frame["budget"] == budget]


def _largest_budget(*frames: pd.DataFrame) -> str | None:
    present = {b for f in frames if "budget" in f.columns for b in f["budget"].dropna()}
    chosen = largest(present)
    return str(chosen) if chosen else (sorted(present)[0] if present else None)
