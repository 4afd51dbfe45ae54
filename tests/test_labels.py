"""Run lengths that texts state match the trials (referee: W-15 was shown with "4,000
generator iterations", inherited from ablations/_base/toy.yaml, while n_critic runs 1,500).

Every count of iterations or updates in an ablation's description and budget notes, and in
a claim's ``budgets`` texts, ``testable_as`` and ``setting``, is read from the text and
compared with the resolved trial configs (``wgan_suite.harness.labels``). Iterations must equal a
trial's ``iterations`` at that budget; updates (critic + generator steps, computed from the
schedule) must be reached by every trial, and equal the claim's ``at_updates`` where the
sentence names the claim.

Exempt (someone else's number): a count whose sentence or ';'-clause says ``paper``,
``pilot``, another ablation's name or, in a text tied to one budget, another budget's name;
a count outside parentheses is read without the parentheses ("nets (the paper: 64 px),
8,000 generator iterations" checks the 8,000). Not lengths, never read: "per 1k
iterations", "every 500 iterations", "the first 300 iterations", "at iteration 1,500".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from wgan_suite.claims import load_claims
from wgan_suite.harness import labels
from wgan_suite.harness.ablation import discover, load_ablation

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = discover(ROOT / "ablations")

# Mismatches in claims/wgan.yaml allowed to stay (none: a label that disagrees is fixed).
KNOWN_IN_CLAIMS: set[str] = set()  # none may stay: a label that disagrees with its runs


@pytest.fixture(scope="module")
def ablations():
    return {p.stem: load_ablation(p) for p in SHIPPED}


@pytest.fixture(scope="module")
def claims():
    return {c.id: c for c in load_claims(ROOT / "claims")}


def relabel(ab, description=None, **notes):
    """A copy of ``ab`` with other texts and the same settings."""
    budgets = {
        b: s.model_copy(update={"note": notes[b]}) if b in notes else s
        for b, s in ab.spec.budgets.items()
    }
    update = {"budgets": budgets} | ({"description": description} if description else {})
    return replace(ab, spec=ab.spec.model_copy(update=update), _expanded={})


@pytest.mark.parametrize("name", [p.stem for p in SHIPPED])
def test_ablation_texts_state_what_the_trials_run(name, ablations, claims):
    assert labels.ablation_mismatches(ablations[name], ablations, claims) == []


def test_claim_texts_state_what_their_ablation_runs(ablations, claims):
    found = set()
    for claim in claims.values():
        if claim.ablation in ablations:
            found |= set(labels.claim_mismatches(claim, ablations[claim.ablation], ablations))
    assert found == KNOWN_IN_CLAIMS


def test_a_note_with_the_wrong_length_is_reported(ablations):
    ab = relabel(ablations["n_critic"], cpu="toy nets, 4,000 generator iterations")
    assert labels.ablation_mismatches(ab) == [
        "n_critic: budgets.cpu.note: '4,000 generator iterations', "
        "but the trials run 1,500 iterations"
    ]


def test_updates_must_be_reached_and_be_what_the_named_claim_reads(ablations, claims):
    ab = relabel(
        ablations["n_critic"],
        description="Claim W-15b reads W1 where every trial has made 2,000 updates.",
        cpu="every trial makes 9,000 updates",  # n_critic = 1 makes 2 x 1,500
    )
    assert labels.ablation_mismatches(ab, claims=claims) == [
        "n_critic: description: '2,000 updates', but claim W-15b reads at 3,000",
        "n_critic: budgets.cpu.note: '9,000 updates', but a trial ends after 3,000 updates",
    ]


def test_updates_count_critic_and_generator_steps(ablations):
    """n_critic = 1 at 1,500 iterations and n_critic = 5 at 500 both make 3,000 (W-15b)."""
    by_n = {t.config.schedule.n_critic: t.config for t in ablations["n_critic"].trials("cpu")}
    assert labels.updates(by_n[1]) == 3_000
    assert labels.updates(by_n[5].model_copy(update={"iterations": 500})) == 3_000
    warm = ablations["paper_stability"].trials("smoke")[0].config  # 100 critic steps, first 25
    assert warm.schedule.name == "paper"
    assert labels.updates(warm.model_copy(update={"iterations": 30})) == 30 + 25 * 100 + 5 * 5


def test_the_forms_of_a_count_are_read():
    text = "1,500 iterations, 1500 generator iterations, 100k iterations, 1.5k and 2e4 updates."
    assert [(c.value, c.kind) for c in labels.counts(text)] == [
        (1500, "iterations"),
        (1500, "iterations"),
        (100_000, "iterations"),
        (20_000, "updates"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "8,000 generator iterations (the paper's curves: 600k iterations)",
        "8,000 generator iterations; the paper trains 600k iterations",
        "8,000 generator iterations (a pilot: 2,000 iterations)",
        "8,000 generator iterations (at quick: 600 iterations)",
        "8,000 generator iterations; in the cpu run of clipping_c, 200 iterations",
        "8,000 generator iterations, scored every 250 iterations, slope per 1k iterations",
        "8,000 generator iterations, most of the fall in the first 2,000 iterations",
    ],
)
def test_numbers_marked_as_someone_elses_are_exempt(text):
    assert [c.value for c in labels.counts(text, ["clipping_c", "quick"])] == [8000]


def test_a_marker_in_parentheses_does_not_exempt_the_count_outside_them():
    text = "16 px nets (the paper: LSUN 64 px), 4,000 generator iterations"
    assert [c.value for c in labels.counts(text)] == [4000]
