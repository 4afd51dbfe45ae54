"""One trial end to end: records, checkpoints, sample grids, exact resume, divergence."""

from __future__ import annotations

import math
import os

import pytest
import torch

from tests.conftest import toy_config
from wgan_suite.core import files
from wgan_suite.trial.config import load_trial_config
from wgan_suite.trial.train import run_trial

SHORT_GRADS = {"name": "critic_grads", "batches": 2}


def strip_time(rows):
    timing = ("wall_time", "eval_seconds", "checkpoint")
    return [{k: v for k, v in r.items() if k not in timing} for r in rows]


def test_toy_trial_writes_records_checkpoint_and_samples(tmp_path):
    cfg = load_trial_config(toy_config(iterations=7))
    rows = list(run_trial(cfg, tmp_path))
    # iteration 0 (untrained), log_every 2, checkpoints 3, 6, 7
    assert [r["iteration"] for r in rows] == [0, 2, 3, 4, 6, 7]
    assert rows[-1]["status"] == "finished" and all(r["status"] == "running" for r in rows[:-1])
    assert rows[2]["checkpoint"] == str(tmp_path / "checkpoint" / "state.pt")
    rows = rows[1:]
    for key in (
        "loss_critic",
        "w_estimate",
        "loss_generator",
        "grad_norm_critic",
        "step_cos_critic",
        "clip_frac_at_bound",
        "clip_max_abs_weight",
    ):
        assert key in rows[0]
    assert rows[0]["w_estimate"] == pytest.approx(-rows[0]["loss_critic"])
    assert rows[-1]["images_seen"] == 7 * 5 * 32
    assert strip_time(files.read_jsonl(tmp_path / "records.jsonl"))[1:] == strip_time(rows)
    assert files.read_json(tmp_path / "config.json")["config_hash"] == cfg.hash()
    assert sorted(os.listdir(tmp_path / "samples")) == [
        "iter_0000000.png",
        "iter_0000003.png",
        "iter_0000006.png",
        "iter_0000007.png",
    ]
    state = files.torch_load(tmp_path / "checkpoint" / "state.pt")
    assert state["iteration"] == 7 and state["config_hash"] == cfg.hash()


def test_same_seed_same_records_other_seed_differs(tmp_path):
    a = strip_time(run_trial(load_trial_config(toy_config()), tmp_path / "a"))
    b = strip_time(run_trial(load_trial_config(toy_config()), tmp_path / "b"))
    c = strip_time(run_trial(load_trial_config(toy_config(seed=1)), tmp_path / "c"))
    assert a == b
    assert a != c


def test_a_trial_flushes_subnormals_to_zero():
    """benchmarks/denormals.py: a subnormal costs a slow path on x86, and dead units make
    them by the hundred thousand; a trial's CPU arithmetic flushes them."""
    from wgan_suite.trial.train.state import build_state

    torch.set_flush_denormal(False)  # conftest turns it on again for the next test
    assert torch.tensor([1e-39]).mul(1.0).item() != 0.0  # the reference keeps it
    build_state(load_trial_config(toy_config()))
    assert torch.tensor([1e-39]).mul(1.0).item() == 0.0
    assert torch.tensor([2e-38]).mul(1.0).item() == pytest.approx(2e-38)  # normal: kept


def test_flushing_subnormals_leaves_a_trial_without_them_bit_for_bit(tmp_path, monkeypatch):
    """The reference path (subnormals kept) and the trial as it runs give the same records
    where no value falls below 2**-126: flushing replaces nothing else. (Where a trial
    does make subnormals, it replaces values below 1.2e-38 by 0.)"""
    from wgan_suite.trial.train import state as state_module

    cfg = load_trial_config(toy_config(iterations=60, checkpoint_every=30, log_every=10))
    now = strip_time(run_trial(cfg, tmp_path / "now"))
    monkeypatch.setattr(state_module, "cpu_numerics", lambda: torch.set_flush_denormal(False))
    reference = strip_time(run_trial(cfg, tmp_path / "reference"))  # conftest resets it
    assert now == reference and len(now) > 3


def test_gan_loss_logs_js_estimate(tmp_path):
    rows = list(run_trial(load_trial_config(toy_config(loss="gan_ns")), tmp_path))[1:]
    assert "js_estimate" in rows[0] and "w_estimate" not in rows[0]
    for r in rows:  # a lower bound on JS: negative while D is worse than chance
        assert r["js_estimate"] == pytest.approx(math.log(2) - r["loss_critic"] / 2, rel=1e-5)


def test_gradient_penalty_is_logged(tmp_path):
    rows = list(run_trial(load_trial_config(toy_config(loss="wgan_gp")), tmp_path))
    assert rows[1]["penalty"] > 0


def test_nan_ends_the_trial_as_diverged(tmp_path):
    huge = {"name": "sgd", "lr": 10.0, "momentum": 0.0}
    cfg = load_trial_config(
        toy_config(loss="gan_ns", c_optimizer=huge, g_optimizer=huge, iterations=50, log_every=1)
    )
    rows = list(run_trial(cfg, tmp_path))
    assert rows[-1]["status"] == "diverged"
    assert "non-finite" in rows[-1]["reason"]
    assert rows[-1]["iteration"] < 50


def test_resume_refuses_a_changed_config(tmp_path):
    list(run_trial(load_trial_config(toy_config()), tmp_path))
    with pytest.raises(ValueError, match="another config"):
        list(run_trial(load_trial_config(toy_config(seed=5)), tmp_path))


def test_run_trial_says_where_its_training_goes_on_from(tmp_path):
    """``on_start`` hears the iteration training goes on from: 0 for a fresh trial and for
    one whose damaged records make it restart from scratch although it has checkpoints,
    the checkpoint's for a resume, nothing for a finished trial (a registration reads a
    trial's first start from this: harness.tune, trial_status.carried_start)."""
    cfg = load_trial_config(toy_config(iterations=9, log_every=1, checkpoint_every=4))
    heard, calls, trial = [], iter(range(100)), tmp_path / "t"
    list(run_trial(cfg, trial, should_stop=lambda: next(calls) >= 5, on_start=heard.append))
    list(run_trial(cfg, trial, should_stop=lambda: True, on_start=heard.append))
    assert heard == [0, 4] and (trial / "checkpoint").exists()
    records = trial / "records.jsonl"
    records.write_bytes(b"#garbage" + records.read_bytes()[8:])
    list(run_trial(cfg, trial, on_start=heard.append, on_warning=lambda message: None))
    list(run_trial(cfg, trial, on_start=heard.append))  # finished: trains nothing
    assert heard == [0, 4, 0]


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])  # tests/test_precision.py
def test_toy_resume_after_interruption_gives_identical_records(tmp_path, precision):
    cfg = load_trial_config(
        toy_config(iterations=9, log_every=1, checkpoint_every=4, precision=precision)
    )
    full = strip_time(run_trial(cfg, tmp_path / "full"))
    calls = iter(range(100))
    first = list(run_trial(cfg, tmp_path / "cut", should_stop=lambda: next(calls) >= 5))
    assert first[-1]["status"] == "stopped" and first[-1]["iteration"] == 6
    resumed = strip_time(run_trial(cfg, tmp_path / "cut"))
    assert resumed[0]["iteration"] == 5  # back to the checkpoint at 4
    assert strip_time(files.read_jsonl(tmp_path / "cut" / "records.jsonl")) == full


def test_fashion_mnist_dcgan_trial_and_exact_resume(tmp_path):
    cfg = load_trial_config(
        {
            "seed": 3,
            "data": {"name": "fashion_mnist", "image_size": 32, "channels": 1, "limit": 256},
            "generator": {"name": "dcgan", "width": 16},
            "critic": {"name": "dcgan", "width": 16},
            "nz": 16,
            "batch_size": 16,
            "iterations": 4,
            "log_every": 1,
            "checkpoint_every": 2,
            "grid_size": 16,
            "device": "cpu",
        }
    )
    full = list(run_trial(cfg, tmp_path / "full"))
    assert [r["iteration"] for r in full] == [0, 1, 2, 3, 4]
    assert (tmp_path / "full" / "samples" / "iter_0000004.png").stat().st_size > 100
    first = list(run_trial(cfg, tmp_path / "cut", should_stop=lambda: True))
    assert [r["iteration"] for r in first] == [0, 1] and first[-1]["status"] == "stopped"
    list(run_trial(cfg.model_copy(), tmp_path / "cut", should_stop=iter([False, True]).__next__))
    # The checkpoint at 2 survives; 3 is redone after the restart.
    resumed = list(run_trial(cfg, tmp_path / "cut"))
    assert [r["iteration"] for r in resumed] == [3, 4]
    assert strip_time(files.read_jsonl(tmp_path / "cut" / "records.jsonl")) == strip_time(full)
    g = files.torch_load(tmp_path / "cut" / "checkpoint" / "state.pt")["generator"]
    h = files.torch_load(tmp_path / "full" / "checkpoint" / "state.pt")["generator"]
    assert all(torch.equal(g[k], h[k]) for k in h)


def test_iteration_0_is_scored_before_any_training_step(tmp_path):
    metrics = ["w_estimate", {"name": "toy_fit", "samples": 300}, SHORT_GRADS]
    rows = list(run_trial(load_trial_config(toy_config(metrics=metrics)), tmp_path))
    first = rows[0]
    assert first["iteration"] == 0 and first["images_seen"] == 0 and first["at_checkpoint"]
    assert not any(k.startswith("loss_") and k != "loss_generator_eval" for k in first)
    assert "w_estimate" not in first and "checkpoint" not in first
    assert {"w_estimate_eval", "w1", "critic_grad_slope"} <= first.keys()
    # He-initialised weights are not clipped yet: most of them lie beyond c = 0.01
    assert first["clip_frac_at_bound"] > 0.5 and first["clip_max_abs_weight"] > 0.01
    assert rows[1]["clip_max_abs_weight"] == pytest.approx(0.01)
    assert first["sample_grid"] == "samples/iter_0000000.png"
    assert (tmp_path / first["sample_grid"]).stat().st_size > 100


@pytest.mark.parametrize("stop_after", [1, 5])  # before the first checkpoint, and after it
def test_resume_with_metrics_gives_identical_records(tmp_path, stop_after):
    cfg = load_trial_config(
        toy_config(
            iterations=9,
            log_every=1,
            checkpoint_every=4,
            metrics=["w_estimate", SHORT_GRADS, {"name": "toy_fit", "samples": 300}],
        )
    )
    full = strip_time(run_trial(cfg, tmp_path / "full"))
    calls = iter(range(100))
    stop = lambda: next(calls) >= stop_after  # noqa: E731
    first = list(run_trial(cfg, tmp_path / "cut", should_stop=stop))
    assert first[-1]["status"] == "stopped" and first[0]["iteration"] == 0
    resumed = strip_time(run_trial(cfg, tmp_path / "cut"))
    assert resumed[0]["iteration"] == (1 if stop_after < 4 else 5)  # iteration 0 is not redone
    assert strip_time(files.read_jsonl(tmp_path / "cut" / "records.jsonl")) == full
