"""Every shipped ablation parses, resolves at every budget, and its smoke trials train."""

from __future__ import annotations

from pathlib import Path

import pytest

from wgan_suite.commands import reproducible
from wgan_suite.core.budgets import REQUIRED
from wgan_suite.harness.ablation import discover, load_ablation
from wgan_suite.trial.train import run_trial

ROOT = Path(__file__).resolve().parents[1] / "ablations"
SHIPPED = discover(ROOT)
PAPER = {"paper_stability", "loss_curves", "optimizers", "clipping_c", "toy_modes"}


def test_the_paper_ablations_are_part_of_reproduce():
    for budget in ("quick", "cpu", "paper"):
        chosen = {Path(p).stem for p in reproducible(ROOT, budget)}
        assert chosen >= PAPER, budget


def test_an_ablation_not_marked_for_a_budget_is_left_out_of_its_reproduce():
    assert "code_variants" not in {Path(p).stem for p in reproducible(ROOT, "cpu")}
    assert "code_variants" in {Path(p).stem for p in reproducible(ROOT, "paper")}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_ablation_resolves_at_every_budget(path):
    ab = load_ablation(path)
    assert ab.spec.name == path.stem
    for budget in {*REQUIRED, *ab.spec.budgets}:
        assert ab.trials(budget)


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_ablation_smoke_trains(path, tmp_path):
    ab = load_ablation(path)
    seen = set()
    first = ab.seeds("smoke")[0]
    for spec in ab.trials("smoke"):  # one seed of every cell: each entry and option trains
        if spec.seed != first or spec.trial_id in seen:
            continue
        seen.add(spec.trial_id)
        cfg = spec.config.model_copy(update={"iterations": 2})
        rows = list(run_trial(cfg, tmp_path / spec.dirname))
        assert rows[-1]["status"] in ("finished", "diverged"), rows[-1]
