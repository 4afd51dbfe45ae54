"""Metrics on inputs with known answers, their registry contract, and that scoring never
changes training."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from suite.analysis import aggregate_correlation, loss_quality_correlation, smooth
from suite.config import ConfigError, load_trial_config
from suite.data import DATASETS
from suite.metrics import METRICS
from suite.metrics.critic import CriticProfile, grad_slope
from suite.metrics.modes import mode_coverage
from suite.metrics.quality import frechet, mode_histogram_stats
from suite.metrics.toy import exact_w1
from suite.train import run_trial
from tests.conftest import toy_config


def test_every_metric_declares_options_columns_check_and_compute():
    for name in METRICS:
        entry = METRICS.get(name)
        assert entry.Options is not None and entry.columns, name
        assert callable(entry.check) and callable(entry.compute), name


def test_mode_coverage_counts_hand_built_points():
    opts = DATASETS.get("8gaussians").Options()
    centres = DATASETS.get("8gaussians").centres(opts)
    std = opts.std / opts.scale
    near = centres[:6].repeat_interleave(10, 0) + std  # 6 modes, 10 points each, 1.4 std off
    far = torch.full((5, 2), 10.0)
    out = mode_coverage(torch.cat([near, far]), centres, std)
    assert out["modes_covered"] == 6 and out["modes_total"] == 8
    assert out["high_quality_frac"] == pytest.approx(60 / 65)
    # 4 std away is not "high quality" with the 3-std rule
    assert mode_coverage(centres + 4 * std, centres, std)["modes_covered"] == 0


@pytest.mark.parametrize("theta", [0.0, 0.3, 1.7])
def test_exact_w1_of_parallel_lines_is_the_shift(theta):
    """Paper Example 1: P0 = (0, Z), P_theta = (theta, Z): W = |theta|."""
    z = torch.rand(500, generator=torch.Generator().manual_seed(0))
    a = torch.stack([torch.zeros(500), z], 1)
    b = torch.stack([torch.full((500,), theta), z], 1)
    assert exact_w1(a, b) == pytest.approx(abs(theta), abs=1e-6)


def test_frechet_distance_is_zero_on_itself_and_the_squared_shift_when_translated():
    x = torch.randn(400, 8, generator=torch.Generator().manual_seed(1))
    assert frechet(x, x) == pytest.approx(0.0, abs=1e-6)
    shift = torch.zeros(8)
    shift[0] = 3.0
    assert frechet(x + shift, x) == pytest.approx(9.0, rel=1e-6)
    assert frechet(x * 1.5, x) > frechet(x * 1.1, x) > 0


def test_stacked_mode_histogram():
    uniform = mode_histogram_stats(torch.arange(1000).repeat(3), 1000)
    assert uniform == {"stacked_modes": 1000.0, "stacked_kl": pytest.approx(0.0, abs=1e-12)}
    one = mode_histogram_stats(torch.full((50,), 7), 1000)
    assert one["stacked_modes"] == 1 and one["stacked_kl"] == pytest.approx(math.log(1000))


def test_grad_slope_reads_explosion_and_vanishing():
    # layer 00 is the input side; exploding: the norm grows 10x per layer towards the input
    assert grad_slope([1e3, 1e2, 1e1, 1.0]) == pytest.approx(1.0)
    assert grad_slope([1e-6, 1e-4, 1e-2, 1.0]) == pytest.approx(-2.0)
    assert grad_slope([0.5, 0.5, 0.5]) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(grad_slope([0.0, 0.0, 0.0]))  # underflowed everywhere: unknown


def _profile(critic):
    data = DATASETS.get("gaussians1d").Options()
    cfg = SimpleNamespace(data=data, seed=0)
    state = SimpleNamespace(critic=critic, loss=None)
    ctx = SimpleNamespace(config=cfg, state=state, device="cpu")
    return CriticProfile.compute(ctx, CriticProfile.Options())


def test_critic_profile_separates_a_linear_critic_from_a_saturated_discriminator():
    linear = _profile(lambda x: -2.0 * x[:, 0])
    assert linear["grad_fake_rel"] == pytest.approx(1.0) and linear["grad_fake_cv"] < 1e-6
    # a near-optimal discriminator between N(0, .5) and N(4, .5): a sharp step at 2
    saturated = _profile(lambda x: torch.sigmoid(-40.0 * (x[:, 0] - 2.0)))
    assert saturated["grad_fake_rel"] < 1e-3


def test_metric_that_cannot_apply_fails_validation_naming_it():
    with pytest.raises(ConfigError, match="metric 'fid': needs image data"):
        load_trial_config(toy_config(metrics=["fid"]))
    with pytest.raises(ConfigError, match="needs a labelled dataset"):
        load_trial_config(toy_config(metrics=["fd_classifier"]))
    with pytest.raises(ConfigError, match="listed twice"):
        load_trial_config(toy_config(metrics=["toy_fit", "toy_fit"]))
    with pytest.raises(ConfigError, match=r"metrics\.0\.sampels"):
        load_trial_config(toy_config(metrics=[{"name": "toy_fit", "sampels": 10}]))


def test_scoring_at_checkpoints_does_not_change_training(tmp_path):
    plain = load_trial_config(toy_config())
    scored = load_trial_config(toy_config(metrics=["w_estimate", "toy_fit", "critic_grads"]))
    a = list(run_trial(plain, tmp_path / "a"))
    b = list(run_trial(scored, tmp_path / "b"))
    keys = ("loss_critic", "loss_generator", "w_estimate", "grad_norm_critic")
    assert [[r[k] for k in keys] for r in a] == [[r[k] for k in keys] for r in b]
    ckpts = [r for r in b if r.get("at_checkpoint")]
    assert [r["iteration"] for r in ckpts] == [3, 6]
    for r in ckpts:
        assert r["modes_total"] == 8 and 0 <= r["modes_covered"] <= 8
        assert r["w1"] > 0 and np.isfinite(r["critic_grad_slope"])
        assert r["w_estimate_eval"] == pytest.approx(r["w_estimate_eval"])
        assert r["sample_grid"].startswith("samples/iter_")
        assert "critic_grad_norm.L03" in r  # 3 hidden layers + output


def test_image_trial_scores_the_classifier_proxy(tmp_path):
    cfg = load_trial_config(
        {
            "data": {"name": "fashion_mnist", "image_size": 16, "limit": 600},
            "generator": {"name": "dcgan", "width": 8},
            "critic": {"name": "dcgan", "width": 8},
            "iterations": 2,
            "batch_size": 16,
            "checkpoint_every": 2,
            "device": "cpu",
            "metrics": [{"name": "fd_classifier", "samples": 200}, "w_estimate"],
        }
    )
    (row,) = [r for r in run_trial(cfg, tmp_path) if r.get("at_checkpoint")]
    assert row["fd_classifier"] > 0 and row["fd_classifier_samples"] == 200
    assert 0 < row["diversity_ratio"] < 2 and 0 < row["classifier_accuracy"] <= 1


def _curves(n, rho_sign, seed):
    rng = np.random.default_rng(seed)
    quality = np.linspace(100, 10, n) + rng.normal(0, 1, n)
    estimate = rho_sign * np.linspace(2, 0.2, n) + rng.normal(0, 0.01, n)
    return estimate, quality


def test_loss_quality_correlation_on_synthetic_curves_with_known_rank_order():
    rows = []
    for trial, sign in (("tracks", 1), ("inverse", -1)):
        for seed in range(3):
            est, qual = _curves(12, sign, seed)
            for i in range(12):
                rows.append(
                    {
                        "ablation": "a",
                        "trial_id": f"{trial}{seed}",
                        "seed": seed,
                        "axis.loss": trial,
                        "iteration": i,
                        "at_checkpoint": True,
                        "w_estimate_eval": est[i],
                        "fd_classifier": qual[i],
                    }
                )
    rows.append({"ablation": "a", "trial_id": "tracks0", "iteration": 99, "at_checkpoint": False})
    per_trial = loss_quality_correlation(pd.DataFrame(rows))
    tracks = per_trial[per_trial["axis.loss"] == "tracks"]
    assert (tracks["spearman"] == 1.0).all() and (tracks["n_checkpoints"] == 12).all()
    assert (tracks["spearman_lo"] > 0.8).all() and (tracks["quality"] == "fd_classifier").all()
    assert (per_trial[per_trial["axis.loss"] == "inverse"]["spearman"] == -1.0).all()
    agg = aggregate_correlation(per_trial, ["axis.loss"]).set_index("axis.loss")
    assert agg.loc["tracks", "spearman"] == 1.0 and agg.loc["tracks", "n_seeds"] == 3
    assert agg.loc["inverse", "spearman_hi"] == -1.0


def test_median_filter_removes_spikes_and_keeps_length():
    x = np.ones(50)
    x[[10, 30]] = 100.0
    out = smooth(x, kernel=5)
    assert len(out) == 50 and np.allclose(out, 1.0)
    assert np.allclose(smooth([3.0, 1.0, 2.0]), [3.0, 2.0, 2.0])  # kernel shrinks to n


def test_stacked_mnist_modes_are_counted_with_a_per_channel_digit_classifier(tmp_path):
    from suite.data import build_source
    from suite.metrics.classifier import classifier_for

    data = {"name": "stacked_mnist", "image_size": 16, "limit": 1000}
    cfg = load_trial_config(
        {
            "data": data,
            "generator": {"name": "dcgan", "width": 8},
            "critic": {"name": "dcgan", "width": 8},
            "iterations": 1,
            "batch_size": 16,
            "device": "cpu",
            "metrics": [{"name": "stacked_modes", "samples": 300}],
        }
    )
    (row,) = [r for r in run_trial(cfg, tmp_path) if r.get("at_checkpoint")]
    assert 1 <= row["stacked_modes"] <= 300 and row["stacked_kl"] > 0
    # on real Stacked MNIST the classifier recovers most of the true modes
    clf = classifier_for(cfg.data)
    images, modes = build_source(cfg.data, "cpu", seed=0, batch_size=0).sample_with_labels(400)
    assert clf.per_channel and float((clf.predict(images) == modes).float().mean()) > 0.5
