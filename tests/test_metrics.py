"""Metrics on inputs with known answers, their registry contract, and that scoring never
changes training."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import toy_config
from wgan_suite.analysis.columns import column_info
from wgan_suite.analysis.summaries import aggregate_correlation, loss_quality_correlation, smooth
from wgan_suite.core.columns import Column
from wgan_suite.core.seeding import stream_seed
from wgan_suite.trial.config import ConfigError, load_trial_config
from wgan_suite.trial.data import DATASETS
from wgan_suite.trial.data.base import to_float, to_uint8
from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.metrics import METRICS, EvalContext, evaluate
from wgan_suite.trial.metrics.context import REFERENCE
from wgan_suite.trial.metrics.critic import CriticProfile
from wgan_suite.trial.metrics.gradients import grad_slope
from wgan_suite.trial.metrics.inception import real_name
from wgan_suite.trial.metrics.modes import half_separation, mode_coverage
from wgan_suite.trial.metrics.quality import frechet, mode_histogram_stats, precision_recall
from wgan_suite.trial.metrics.toy import exact_w1
from wgan_suite.trial.train import run_trial
from wgan_suite.trial.train.state import build_state


def test_every_metric_declares_options_columns_check_and_compute():
    for name in METRICS:
        entry = METRICS.get(name)
        assert entry.Options is not None and entry.columns, name
        assert all(isinstance(c, Column) for c in entry.columns.values()), name
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


def test_nearest_centre_count_tells_collapse_from_imprecision():
    """Clusters 5 std off every centre miss the 3-std count but are not collapse; samples
    piled on two modes are collapse by either count; a point beyond half the distance
    between centres belongs to no mode."""
    opts = DATASETS.get("8gaussians").Options()
    centres = DATASETS.get("8gaussians").centres(opts)
    std = opts.std / opts.scale
    off = (centres + torch.tensor([5 * std, 0.0])).repeat_interleave(10, 0)
    out = mode_coverage(off, centres, std)
    assert out["modes_covered"] == 0 and out["modes_nearest"] == 8
    collapsed = centres[:2].repeat_interleave(40, 0)
    out = mode_coverage(collapsed, centres, std)
    assert out["modes_covered"] == 2 and out["modes_nearest"] == 2
    origin = torch.zeros(10, 2)  # the circle's centre: farther than half a separation from all
    assert half_separation(centres) < float(centres.norm(dim=1).min())
    assert mode_coverage(origin, centres, std)["modes_nearest"] == 0


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
    state = SimpleNamespace(critic=critic, loss=LOSSES.get("wgan"))  # the score is D itself
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
    assert [[r[k] for k in keys] for r in a[1:]] == [[r[k] for k in keys] for r in b[1:]]
    ckpts = [r for r in b if r.get("at_checkpoint")]
    assert [r["iteration"] for r in ckpts] == [0, 3, 6]  # iteration 0: before any step
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
    initial, row = [r for r in run_trial(cfg, tmp_path) if r.get("at_checkpoint")]
    assert initial["iteration"] == 0 and "loss_critic" not in initial
    assert row["fd_classifier"] > 0 and row["fd_classifier_samples"] == 200
    assert 0 < row["diversity_ratio"] < 2 and 0 < row["classifier_accuracy"] <= 1
    assert 0 <= row["precision_classifier"] <= 1 and 0 <= row["recall_classifier"] <= 1
    # every score carries the hash of the classifier that made it (trained per machine)
    from wgan_suite.trial.metrics.classifier import classifier_for

    sha = classifier_for(cfg.data).sha256
    assert len(sha) == 64 and row["classifier_sha256"] == initial["classifier_sha256"] == sha


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
    # iteration 0 scored with the untrained critic: estimate lowest while quality is worst.
    # Kept, it alone would pull the "tracks" correlation from 1 to about 0.54.
    for row in rows:
        if row["iteration"] == 0 and row["axis.loss"] == "tracks":
            row.update(w_estimate_eval=-5.0, fd_classifier=1e6)
    per_trial = loss_quality_correlation(pd.DataFrame(rows))
    tracks = per_trial[per_trial["axis.loss"] == "tracks"]
    assert (tracks["spearman"] == 1.0).all() and (tracks["n_checkpoints"] == 11).all()
    assert (tracks["quality"] == "fd_classifier").all()
    assert (per_trial[per_trial["axis.loss"] == "inverse"]["spearman"] == -1.0).all()
    agg = aggregate_correlation(per_trial, ["axis.loss"]).set_index("axis.loss")
    assert agg.loc["tracks", "spearman"] == 1.0 and agg.loc["tracks", "n_seeds"] == 3
    # the interval over seeds is wgan_suite.analysis.stats' (one statistics module): equal seeds,
    # no width
    assert agg.loc["inverse", "spearman_lo"] == agg.loc["inverse", "spearman_hi"] == -1.0


def test_median_filter_removes_spikes_and_keeps_length():
    x = np.ones(50)
    x[[10, 30]] = 100.0
    out = smooth(x, kernel=5)
    assert len(out) == 50 and np.allclose(out, 1.0)
    assert np.allclose(smooth([3.0, 1.0, 2.0], kernel=11), [3.0, 2.0, 2.0])  # shrinks to n


def test_stacked_mnist_modes_are_counted_with_a_per_channel_digit_classifier(tmp_path):
    from wgan_suite.trial.data import build_source
    from wgan_suite.trial.metrics.classifier import classifier_for

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
    row = [r for r in run_trial(cfg, tmp_path) if r.get("at_checkpoint")][-1]
    assert 1 <= row["stacked_modes"] <= 300 and row["stacked_kl"] > 0
    assert row["classifier_sha256"] == classifier_for(cfg.data).sha256
    # on real Stacked MNIST the classifier recovers most of the true modes
    clf = classifier_for(cfg.data)
    images, modes = build_source(cfg.data, "cpu", seed=0, batch_size=0).sample_with_labels(400)
    assert clf.per_channel and float((clf.predict(images) == modes).float().mean()) > 0.5


def test_uint8_conversion_round_trips_every_level():
    levels = torch.arange(256, dtype=torch.uint8)
    assert torch.equal(to_uint8(to_float(levels)), levels)
    assert to_uint8(torch.tensor([-3.0, 2.0, 0.0])).tolist() == [0, 255, 128]


def _image_context(seed: int, **generator) -> EvalContext:
    cfg = load_trial_config(
        {
            "seed": seed,
            "data": {"name": "fashion_mnist", "image_size": 16, "limit": 300},
            "generator": {"name": "mlp", "width": 16, **generator},
            "critic": {"name": "mlp", "width": 16},
            "iterations": 1,
            "batch_size": 16,
            "device": "cpu",
        }
    )
    return EvalContext(build_state(cfg, torch.device("cpu")))


def test_every_image_metric_sees_generated_images_as_fid_does():
    """The MLP generator has no tanh: its raw output leaves [-1, 1]. Every image metric
    gets the FID input's uint8 round trip (clamped, 256 levels)."""
    ctx = _image_context(0)
    with torch.no_grad():
        ctx.state.generator.main[-1].weight.mul_(50)
    fake = ctx.fake(64)
    g = torch.Generator().manual_seed(stream_seed(0, "eval_noise"))
    with torch.no_grad():
        raw = ctx.state.generator(torch.randn(64, ctx.config.nz, generator=g))
    assert raw.abs().max() > 1.5  # the case at hand: out-of-range pixels
    assert fake.min() >= -1 and fake.max() <= 1
    assert torch.equal(to_float(to_uint8(fake)), fake)  # already on the 256 levels
    assert torch.equal(to_uint8(fake), to_uint8(raw))  # what FID's uint8 input holds


def test_the_reference_set_does_not_depend_on_the_trial_but_fresh_batches_do():
    a, b = _image_context(0), _image_context(1)
    assert torch.equal(a.real(100), b.real(100))
    a.new_checkpoint(), b.new_checkpoint()
    assert not torch.equal(a.real_batch(16), b.real_batch(16))
    toy = [EvalContext(build_state(load_trial_config(toy_config(seed=s)))) for s in (0, 1)]
    assert torch.equal(toy[0].real(300), toy[1].real(300))  # sampled, not indexed
    assert not torch.equal(toy[0].real_batch(32), toy[1].real_batch(32))
    assert REFERENCE in real_name(a.config.data, 100, "0" * 64)


def test_precision_recall_read_fidelity_and_coverage():
    real = torch.randn(300, 8, generator=torch.Generator().manual_seed(0))
    assert precision_recall(real.clone(), real) == (1.0, 1.0)
    collapsed = real[:1].repeat(300, 1)  # every sample one real point: faithful, no coverage
    precision, recall = precision_recall(collapsed, real)
    assert precision == 1.0 and recall < 0.05
    precision, recall = precision_recall(real + 10, real)  # off the manifold
    assert precision == 0.0 and recall == 0.0


def _lines_trial(theta: float, samples: int) -> dict:
    return toy_config(
        data={"name": "parallel_lines"},
        generator={"name": "fixed_line", "theta": theta},
        metrics=[{"name": "toy_fit", "samples": samples}],
        iterations=1,
        checkpoint_every=1,
    )


@pytest.mark.parametrize(("theta", "tol"), [(0.5, 1e-3), (-1.5, 1e-3), (0.0, 2.5e-2)])
def test_exact_w1_of_the_parallel_lines_trial_is_theta(tmp_path, theta, tol):
    """Paper Example 1: W(P0, P_theta) = |theta|. At theta = 0 the empirical W1 is the
    1-D W1 of two uniform samples, about 0.44 / sqrt(n) = 0.01 at n = 2,000."""
    rows = list(run_trial(load_trial_config(_lines_trial(theta, 2000)), tmp_path))
    for row in rows:  # iteration 0 and 1: the generator does not learn
        assert row["w1"] == pytest.approx(abs(theta), abs=tol)
        assert "modes_covered" not in row and "modes_total" not in row


_FASHION = {"name": "fashion_mnist", "image_size": 16, "limit": 300}


@pytest.mark.parametrize(
    "overrides",
    [
        {"metrics": ["w_estimate", "toy_fit", "critic_grads"]},
        {"data": "gaussians1d", "metrics": ["critic_profile"], "generator": "fixed_gaussian"},
        {"data": _FASHION, "metrics": [{"name": "fd_classifier", "samples": 100}]},
    ],
)
def test_every_column_a_metric_writes_is_declared(overrides):
    if overrides.get("data") == _FASHION:
        overrides = {**overrides, "generator": {"name": "dcgan", "width": 8}, "nz": 8}
        overrides.update(critic={"name": "dcgan", "width": 8}, batch_size=16)
    cfg = load_trial_config(toy_config(**overrides))
    row = evaluate(EvalContext(build_state(cfg, torch.device("cpu"))), final=True)
    assert row and all(column_info(k) is not None for k in row), row.keys()
