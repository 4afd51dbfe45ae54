"""Behaviour on toy data: WGAN with weight clipping learns the 8-Gaussians mixture on CPU
(no mode collapse); W and JS estimates on the parallel lines of paper Example 1."""

from __future__ import annotations

import math

import pytest
import torch

from tests.conftest import toy_config
from wgan_suite.trial.config import load_trial_config
from wgan_suite.trial.data.toy import EightGaussians
from wgan_suite.trial.metrics.modes import mode_coverage
from wgan_suite.trial.train import run_trial
from wgan_suite.trial.train.state import build_state


@pytest.mark.slow
def test_wgan_clip_covers_the_8_gaussians(tmp_path):
    # gan_toy.py's nets (3 hidden ReLU layers, He init, batch 256), narrowed to 128 units
    # and with a larger step and clip range so that 5,000 generator iterations suffice on CPU.
    # At 2,000 the run had not settled: seed 0 covered 8 modes (3-std count) on one VM kind,
    # 7 with one thread and 3 with two on another (floating-point order), so the test
    # asserted one chaotic trajectory. At 5,000, seeds 0-2 all reach 8 of 8 by the dense
    # count (tests/test_metrics.py: fitted blob and uniform noise score 0 there), with
    # 27-30% of samples within 3 std: clipping's imprecision, which the 3-std count reads
    # as 5-7 modes.
    cfg = load_trial_config(
        {
            "seed": 0,
            "data": "8gaussians",
            "generator": {"name": "mlp", "width": 128, "init": "he"},
            "critic": {"name": "mlp", "width": 128, "init": "he"},
            "lipschitz": {"name": "clip", "c": 0.05},
            "g_optimizer": {"name": "rmsprop", "lr": 1e-3},
            "c_optimizer": {"name": "rmsprop", "lr": 1e-3},
            "nz": 2,
            "batch_size": 256,
            "iterations": 5000,
            "log_every": 500,
            "checkpoint_every": 5000,
            "device": "cpu",
        }
    )
    rows = list(run_trial(cfg, tmp_path))
    assert rows[-1]["status"] == "finished"
    state = build_state(cfg)
    state.generator.load_state_dict(
        torch.load(tmp_path / "checkpoint" / "state.pt", weights_only=True)["generator"]
    )
    z = torch.randn(2500, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        samples = state.generator(z)
    cov = mode_coverage(samples, EightGaussians.centres(cfg.data), std=0.02 / 1.414)
    assert cov["modes_dense"] == 8  # no mode collapse
    # and the samples lie at the modes, not between: 27-30% within 3 std on one VM kind,
    # 16% on the AMD EPYC one (2026-12-07, floating-point order); uniform noise over the
    # square puts well under 1% there, so 10% still tells clustering from spread
    assert cov["high_quality_frac"] > 0.1
    assert rows[-1]["w_estimate"] < rows[1]["w_estimate"]  # the W estimate falls as G improves


def _lines(loss: str, theta: float) -> dict:
    adam = {"name": "adam", "lr": 1e-3, "beta1": 0.5, "beta2": 0.9}
    return toy_config(
        loss=loss,
        data={"name": "parallel_lines"},
        generator={"name": "fixed_line", "theta": theta},
        critic={"name": "mlp", "width": 64, "init": "he"},
        c_optimizer=adam,
        batch_size=64,
        iterations=50,
        log_every=50,
        checkpoint_every=50,
        metrics=[{"name": "w_estimate", "batches": 5}],
    )


@pytest.mark.parametrize("theta", [0.0, 0.5, 1.0])
def test_parallel_lines_trained_critic_follows_theta_and_gan_reads_log_2(tmp_path, theta):
    """Paper Example 1 / Fig. 1: W(P0, P_theta) = |theta| while JS = log 2 for any
    theta != 0. After 50 x 5 critic steps the WGAN-GP critic's estimate is near |theta|,
    and the GAN discriminator's JS estimate sits at log 2 however small theta is."""
    wgan = list(run_trial(load_trial_config(_lines("wgan_gp", theta)), tmp_path / "w"))
    assert wgan[-1]["w_estimate_eval"] == pytest.approx(theta, abs=0.1)
    gan = list(run_trial(load_trial_config(_lines("gan_ns", theta)), tmp_path / "g"))
    assert gan[-1]["js_estimate_eval"] == pytest.approx(math.log(2) if theta else 0.0, abs=0.02)


def _learned_line(loss: str, lipschitz: dict, optimizer: dict) -> dict:
    return toy_config(
        loss=loss,
        lipschitz=lipschitz,
        data={"name": "parallel_lines"},
        generator={"name": "learned_line", "theta": 1.0},
        critic={"name": "mlp", "width": 64, "init": "he"},
        c_optimizer=optimizer,
        g_optimizer=optimizer,
        schedule={"name": "constant", "n_critic": 10},
        batch_size=256,
        iterations=150,
        log_every=150,
        checkpoint_every=150,
        metrics=[{"name": "toy_fit", "samples": 1000}],
    )


@pytest.mark.slow
def test_example_1_theta_learns_under_w_and_stalls_under_js(tmp_path):
    """W-01 on real training (ablation example1_learning, shortened): descent on the
    clipped critic's W estimate moves theta from 1 towards 0; the minimax discriminator,
    which separates the two lines, gives theta almost no gradient."""
    rmsprop = {"name": "rmsprop", "lr": 1e-3}
    adam = {"name": "adam", "lr": 1e-3, "beta1": 0.5}
    wgan = _learned_line("wgan", {"name": "clip", "c": 0.05}, rmsprop)
    gan = _learned_line("gan_minimax", {"name": "none"}, adam)
    w = [r for r in run_trial(load_trial_config(wgan), tmp_path / "w") if "w1" in r]
    j = [r for r in run_trial(load_trial_config(gan), tmp_path / "j") if "w1" in r]
    assert w[0]["w1"] == pytest.approx(1.0, abs=0.03) and j[0]["w1"] == pytest.approx(1.0, abs=0.03)
    assert w[-1]["w1"] < 0.85  # the pilot: 1.0 -> 0.76 after 100 iterations, 0.02 by 900
    assert j[-1]["w1"] > 0.95  # the pilot: 1.0 -> 0.994, and there it stays
