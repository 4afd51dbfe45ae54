"""The critic-side metrics: activation gradients (WGAN-GP Fig. 1b), the W / JS estimate
and generator loss on fresh batches (paper Figs. 3, 4, 8), the train / held-out critic
gap (WGAN-GP Fig. 5b)."""

from __future__ import annotations

import math
from itertools import pairwise
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from wgan_suite.core.columns import Column
from wgan_suite.core.options import resolve
from wgan_suite.trial.config import ConfigError, load_trial_config
from wgan_suite.trial.data.base import to_uint8
from wgan_suite.trial.lipschitz import LIPSCHITZ
from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.metrics.context import EvalContext
from wgan_suite.trial.metrics.critic import CriticGap, WEstimate
from wgan_suite.trial.metrics.gradients import activation_grad_norms, grad_slope
from wgan_suite.trial.models import build_critic
from wgan_suite.trial.models.registry import CRITICS
from wgan_suite.trial.train.state import build_state


def _mlp(widths: list[int], seed: int) -> nn.Sequential:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = [m for a, b in pairwise(widths) for m in (nn.Linear(a, b), nn.ReLU())]
    return nn.Sequential(*layers[:-1])


@torch.no_grad()
def _by_hand(net: nn.Sequential, real: torch.Tensor, fake: torch.Tensor) -> list[float]:
    """Backpropagation written out for a Linear/ReLU stack and the WGAN critic loss
    -(mean f(real) - mean f(fake)): dL/df = -1/n on real, +1/n on fake."""
    linears = [m for m in net if isinstance(m, nn.Linear)]
    squares = [0.0] * len(linears)
    for x, sign in ((real, -1.0), (fake, 1.0)):
        pre, a = [], x.double()
        for i, lin in enumerate(linears):
            h = a @ lin.weight.double().T + lin.bias.double()
            pre.append(h)
            a = h.clamp(min=0) if i < len(linears) - 1 else h
        g = torch.full((len(x), 1), sign / len(x), dtype=torch.float64)
        for i in reversed(range(len(linears))):
            squares[i] += float(g.pow(2).sum())
            if i:
                g = (g @ linears[i].weight.double()) * (pre[i - 1] > 0)
    return [math.sqrt(s) for s in squares]


def test_activation_gradient_norms_equal_backpropagation_by_hand():
    net = _mlp([3, 5, 4, 1], seed=0)
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g) + 1
    critic = nn.Sequential(net, nn.Flatten(0))  # one score per sample
    ours = activation_grad_norms(critic, LOSSES.get("wgan"), real, fake)
    theirs = _by_hand(net, real, fake)
    assert len(ours) == 3 and ours == pytest.approx(theirs, rel=1e-12)
    assert ours[-1] == pytest.approx(math.sqrt(12) / 6)  # the output layer: 12 entries of 1/6
    assert net[0].weight.grad is None  # the trial's critic is never touched


def _clipped_deep_critic(c: float) -> nn.Module:
    """WGAN-GP Fig. 1b's setting: a 12-hidden-layer ReLU MLP critic whose weights a long
    clipped run has pushed to the bound (drawn from N(0, 1), then clipped at c)."""
    options = resolve(CRITICS, {"name": "mlp", "width": 128, "hidden_layers": 12})
    critic = build_critic(options, (2,), seed=0)
    with torch.no_grad():
        for p in critic.parameters():
            p.normal_(generator=torch.Generator().manual_seed(p.numel()))
    clip = LIPSCHITZ.get("clip")(resolve(LIPSCHITZ, {"name": "clip", "c": c}))
    clip.prepare(critic)
    clip.after_step(critic)
    return critic


@pytest.mark.parametrize(("c", "low", "high"), [(0.001, -3.0, -1.0), (0.5, 0.2, 1.5)])
def test_clipped_deep_critic_gradients_vanish_at_small_c_and_explode_at_large_c(c, low, high):
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g) + 2
    norms = activation_grad_norms(_clipped_deep_critic(c), LOSSES.get("wgan"), real, fake)
    slope = grad_slope(norms)
    assert len(norms) == 13 and all(v > 0 for v in norms)  # float64: nothing underflows
    assert math.isfinite(slope) and low < slope < high  # decades per layer


def test_grad_slope_counts_an_exact_zero_as_vanished_not_unknown():
    assert grad_slope([0.0, 1e-3, 1.0]) < -100
    assert math.isnan(grad_slope([0.0, 0.0]))


def _constant_ctx(loss_name: str, score: float, loss=None) -> SimpleNamespace:
    """A context whose critic scores every sample ``score``."""

    def critic(x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x),), score)

    config = SimpleNamespace(seed=0, batch_size=4, nz=2)
    state = SimpleNamespace(critic=critic, loss=loss or LOSSES.get(loss_name))
    return SimpleNamespace(
        config=config,
        device="cpu",
        state=state,
        real_batch=lambda n: torch.zeros(n, 2),
        fake_batch=lambda n, stream: torch.ones(n, 2),
    )


def test_w_estimate_reports_the_generator_loss_on_the_same_batches():
    s = 0.7
    options = WEstimate.Options(batches=3)
    gan = WEstimate.compute(_constant_ctx("gan_ns", s), options)
    assert gan["loss_generator_eval"] == pytest.approx(F.softplus(torch.tensor(-s)).item())
    js = math.log(2) - (F.softplus(torch.tensor(-s)) + F.softplus(torch.tensor(s))).item() / 2
    assert gan["js_estimate_eval"] == pytest.approx(js) and "w_estimate_eval" not in gan
    wgan = WEstimate.compute(_constant_ctx("wgan", s), options)
    assert wgan == pytest.approx({"w_estimate_eval": 0.0, "loss_generator_eval": -s})
    assert WEstimate.compute(_constant_ctx("hinge", s), options).keys() == {"loss_generator_eval"}


def test_a_new_loss_brings_its_estimate_column_without_touching_the_metric():
    class KL:
        columns = {"kl_estimate": Column("a made-up estimate", role="estimate")}

        @staticmethod
        def critic(d_real, d_fake):
            return {"critic": d_fake.mean(), "kl_estimate": d_real.mean() + 1}

        @staticmethod
        def generator(d_fake):
            return {"generator": d_fake.mean()}

    row = WEstimate.compute(_constant_ctx("", 2.0, loss=KL), WEstimate.Options(batches=2))
    assert row == {"kl_estimate_eval": 3.0, "loss_generator_eval": 2.0}


def _mnist_config(heldout: dict, **data) -> dict:
    return {
        "data": {"name": "mnist", "image_size": 16, "limit": 1000, **data},
        "generator": {"name": "dcgan", "width": 8},
        "critic": {"name": "dcgan", "width": 8},
        "iterations": 1,
        "batch_size": 16,
        "device": "cpu",
        "metrics": [{"name": "critic_gap", "batches": 2, "heldout": heldout}],
    }


def test_critic_gap_options_are_checked_when_the_config_loads():
    with pytest.raises(ConfigError, match="needs heldout"):
        load_trial_config(_mnist_config({}))
    with pytest.raises(ConfigError, match="share images"):
        load_trial_config(_mnist_config({"start": 500, "limit": 1000}))
    with pytest.raises(ConfigError, match=r"(?s)heldout.*stat.*not permitted"):
        load_trial_config(_mnist_config({"stat": 4000}))
    load_trial_config(_mnist_config({"start": 4000, "limit": 1000}))
    load_trial_config(_mnist_config({"start": 0, "limit": 1000}, start=1000))


class _Memoriser(nn.Module):
    """A critic that has memorised its training images: 1 on them, 0 elsewhere."""

    def __init__(self, images: torch.Tensor) -> None:
        super().__init__()
        self.seen = {bytes(x.flatten().tolist()) for x in images}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        keys = [bytes(u.flatten().tolist()) for u in to_uint8(x)]
        return torch.tensor([1.0 if k in self.seen else 0.0 for k in keys])


@pytest.mark.filterwarnings("ignore:MNIST files not found")
def test_critic_gap_separates_training_images_from_held_out_ones():
    cfg = load_trial_config(_mnist_config({"start": 4000, "limit": 1000}))
    state = build_state(cfg, torch.device("cpu"))
    state.critic = _Memoriser(state.source.data)
    ctx = EvalContext(state)
    row = CriticGap.compute(ctx, cfg.metrics[0])
    # W estimate = E f(real) - E f(fake): 1 - 0 on training digits, 0 - 0 on held-out ones
    assert row == {"w_estimate_train": 1.0, "w_estimate_heldout": 0.0, "critic_gap": 1.0}
