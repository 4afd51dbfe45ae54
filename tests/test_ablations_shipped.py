"""Every shipped ablation parses, resolves at every budget, and its smoke trials train."""

from __future__ import annotations

from pathlib import Path

import pytest

from suite.ablation import REQUIRED_BUDGETS, discover, load_ablation
from suite.cli import PAPER_ABLATIONS
from suite.train import run_trial

ROOT = Path(__file__).resolve().parents[1] / "ablations"
SHIPPED = discover(ROOT)


def test_the_paper_ablations_are_shipped():
    assert {p.stem for p in SHIPPED} >= set(PAPER_ABLATIONS)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_ablation_resolves_and_smoke_trains(path, tmp_path):
    ab = load_ablation(path)
    assert ab.spec.name == path.stem
    assert len(ab.spec.seeds) >= 3  # claims need at least three seeds
    for budget in REQUIRED_BUDGETS:
        assert ab.trials(budget)
    seen = set()
    for spec in ab.trials("smoke"):  # one seed of every cell: each entry and option trains
        if spec.seed != ab.spec.seeds[0] or spec.trial_id in seen:
            continue
        seen.add(spec.trial_id)
        cfg = spec.config.model_copy(update={"iterations": 2})
        rows = list(run_trial(cfg, tmp_path / spec.dirname))
        assert rows[-1]["status"] in ("finished", "diverged"), rows[-1]
