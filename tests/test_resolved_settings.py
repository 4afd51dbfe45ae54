"""What every shipped cell resolves to, pinned (issue: the warm-up that never ran).

Axis values override the base and the budget, so a budget's `schedule: paper` can be
silently lost under a zip that sets the schedule. This test pins, for every shipped
ablation, budget and cell, the resolved loss, Lipschitz method, schedule and optimizers
(`python -m wgan_suite list ABL --budget B --show ...` prints the same), and states the rules
the paper's runs must satisfy. After an intended change, regenerate the pin with
`WGAN_SUITE_PIN=write pytest tests/test_resolved_settings.py` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from wgan_suite.harness.ablation import discover, get_path, label, load_ablation

ROOT = Path(__file__).resolve().parents[1]
PIN = ROOT / "tests" / "golden" / "resolved.yaml"
SHOWN = ("loss", "lipschitz", "schedule", "c_optimizer", "g_optimizer")
IMAGES = ("fashion_mnist", "mnist", "stacked_mnist", "lsun_bedroom", "cifar10")
# Image ablations that reproduce WGAN-GP's own settings, not the WGAN paper's algorithm.
NOT_THE_WGAN_ALGORITHM = {"critic_overfit": "WGAN-GP's gan_mnist.py: 5 critic steps, no warm-up"}


def resolved() -> dict[str, dict[str, list[str]]]:
    """ablation -> budget -> one line per cell (its first seed)."""
    out: dict[str, dict[str, list[str]]] = {}
    for path in discover(ROOT / "ablations"):
        ab = load_ablation(path)
        for budget in ab.spec.budgets:
            lines = []
            for t in ab.trials(budget):
                if t.seed != ab.seeds(budget)[0]:
                    continue
                config = t.config.to_dict()
                shown = " ".join(f"{k}={label(get_path(config, k))}" for k in SHOWN)
                cell = ", ".join(f"{k}={v}" for k, v in t.cell.items())
                lines.append(f"[{cell}] {shown}")
            out.setdefault(ab.spec.name, {})[str(budget)] = lines
    return out


def test_resolved_settings_match_the_pin():
    now = resolved()
    if os.environ.get("WGAN_SUITE_PIN") == "write":
        PIN.write_text(yaml.safe_dump(now, sort_keys=True, width=200))
    pinned = yaml.safe_load(PIN.read_text())
    for ablation in sorted(set(now) | set(pinned)):
        assert now.get(ablation) == pinned.get(ablation), (
            f"{ablation}: resolved settings changed; if intended, regenerate {PIN.name} "
            "(see this file's docstring) and review the diff"
        )


def test_image_wgan_cells_run_the_authors_warm_up_at_the_deciding_budgets():
    """The authors' main.py trains the critic 100 steps for the first 25 and every 500th
    generator iteration; without it the loss rises until the critic is trained (Fig. 3)."""
    checked = 0
    for path in discover(ROOT / "ablations"):
        ab = load_ablation(path)
        if ab.spec.name in NOT_THE_WGAN_ALGORITHM:
            continue
        for budget in ("cpu", "paper"):
            if budget not in ab.spec.budgets:
                continue
            for t in ab.trials(budget):
                c = t.config
                if c.data.name in IMAGES and c.loss.name == "wgan" and c.lipschitz.name == "clip":
                    assert c.schedule.name == "paper", (ab.spec.name, budget, t.cell)
                    checked += 1
    assert checked > 50


def test_toy_paper_budget_uses_gan_toy_settings():
    """WGAN-GP's gan_toy.py: clip c = 0.01 with RMSProp 5e-5, penalty with Adam 1e-4."""
    ab = load_ablation(ROOT / "ablations" / "toy_modes.yaml")
    for t in ab.trials("paper"):
        c = t.config
        if c.lipschitz.name == "clip":
            assert (c.lipschitz.c, c.c_optimizer.name, c.c_optimizer.lr) == (0.01, "rmsprop", 5e-5)
        if c.c_optimizer.name == "adam":
            assert c.c_optimizer.lr == 1e-4
        assert c.critic.width == 512
