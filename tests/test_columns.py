"""Column metadata declared once on the metric and loss entries (wgan_suite.analysis.columns)."""

from __future__ import annotations

import pandas as pd
import pytest

from wgan_suite.analysis.columns import (
    column_info,
    columns_with_role,
    declared,
    estimate_columns,
    quality_columns,
)
from wgan_suite.core.columns import Column, is_pattern
from wgan_suite.core.registry import Registry
from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.metrics import METRICS


def test_every_metric_and_loss_declares_its_columns_as_column_objects():
    for registry in (METRICS, LOSSES):
        for name in registry:
            columns = registry.get(name).columns
            assert all(isinstance(c, Column) for c in columns.values()), name
            for col in columns:  # lower case, so the NN placeholder cannot clash
                assert col == col.lower() or is_pattern(col), col


def test_lookups_read_the_declarations():
    assert quality_columns()[:2] == ("fid", "fd_classifier")
    assert column_info("fid").better == "lower" and column_info("recall").role == "diversity"
    assert column_info("critic_grad_norm.L07") is column_info("critic_grad_norm.L12")
    assert column_info("critic_grad_norm.L07").role == "diagnostic"
    assert column_info("critic_grad_norm.Lx") is None and column_info("no_such_column") is None
    assert estimate_columns() == ("w_estimate", "js_estimate")
    estimates = columns_with_role("estimate")
    assert {"w_estimate_eval", "js_estimate_eval", "w_estimate", "js_estimate"} <= set(estimates)
    assert "loss_generator_eval" not in estimates  # a loss, not a distance estimate
    assert {"precision", "precision_classifier"} <= set(columns_with_role("quality"))
    assert {"recall", "recall_classifier", "diversity_ratio"} <= set(columns_with_role("diversity"))
    with pytest.raises(ValueError, match="unknown role"):
        columns_with_role("qualty")


def test_a_column_declared_twice_must_mean_the_same():
    a, b = Registry("thing"), Registry("other")
    a.register("x")(type("X", (), {"columns": {"score": Column("one thing")}}))
    b.register("y")(type("Y", (), {"columns": {"score": Column("another thing")}}))
    with pytest.raises(ValueError, match="declared twice"):
        declared((a, b))
    with pytest.raises(ValueError, match="role"):
        Column("bad", role="qualityy")


@pytest.mark.parametrize("loss", ["wgan", "wgan_gp", "gan_ns"])
def test_every_column_a_training_record_holds_is_declared(tmp_path, loss):
    """Losses, the step's diagnostics (step_cos_critic), the clipping stats
    (clip_frac_at_bound) and the clocks: claims name them (W-09b, G-03), so they are
    declared like a metric's (wgan_suite.trial.train.trial.RECORD_COLUMNS, the Lipschitz
    entries)."""
    from tests.conftest import toy_config
    from wgan_suite.trial.config import load_trial_config
    from wgan_suite.trial.train import run_trial

    cfg = toy_config(iterations=3, loss=loss)
    rows = list(run_trial(load_trial_config(cfg), tmp_path))
    bookkeeping = {"status", "at_checkpoint", "checkpoint", "sample_grid", "reason"}
    keys = {k for r in rows for k in r} - bookkeeping
    assert {"loss_critic", "loss_generator", "step_cos_critic", "wall_time"} <= keys
    assert [k for k in sorted(keys) if column_info(k) is None] == []


def test_the_columns_collect_adds_are_declared():
    from wgan_suite.analysis.summaries import add_smoothed, add_updates, mark_instability

    frame = pd.DataFrame(
        {
            "ablation": "a",
            "trial_id": "t",
            "iteration": [0, 1, 2, 3],
            "images_seen": [0, 32, 64, 96],
            "config.batch_size": 32,
            "at_checkpoint": True,
            "w_estimate": [0.1, 0.2, 0.3, 0.4],
            "fd_classifier": [4.0, 3.0, 9.0, 2.0],
        }
    )
    added = set(mark_instability(add_updates(add_smoothed(frame)))) - set(frame)
    assert added == {"w_estimate_smooth", "updates", "unstable"}
    assert all(column_info(c) is not None for c in added)
    assert column_info("clip_frac_at_bound").role == "diagnostic"
