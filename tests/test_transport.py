"""Theorem 3's metric (wgan_suite.trial.metrics.transport) and Example 1's learning generator, on
hand-made critics and point clouds whose answers are known."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.metrics.transport import transport_alignment, transport_targets
from wgan_suite.trial.models.line import LearnedLine, LearnedLineOptions


def test_transport_targets_are_the_exact_optimal_assignment():
    g = torch.Generator().manual_seed(0)
    fake, real = torch.randn(6, 2, generator=g), torch.randn(6, 2, generator=g) + 1
    target = transport_targets(fake, real)
    best = min(
        itertools.permutations(range(6)),
        key=lambda p: float(sum((fake[i] - real[j]).norm() for i, j in enumerate(p))),
    )
    assert torch.equal(target, real[list(best)])


class Linear(nn.Module):
    def __init__(self, w, scale=1.0):
        super().__init__()
        self.w, self.scale = torch.tensor(w), scale

    def forward(self, x):
        return self.scale * (x @ self.w)


def test_a_critic_rising_along_the_transport_scores_one_and_its_opposite_minus_one():
    g = torch.Generator().manual_seed(1)
    fake = torch.randn(64, 2, generator=g)
    real = fake + torch.tensor([3.0, 0.0])  # every point moves right by 3: OT is the shift
    u = torch.rand(64, generator=g)
    wgan = LOSSES.get("wgan").generator
    loss = lambda d: wgan(d)["generator"] * len(d)  # noqa: E731
    up = transport_alignment(Linear([1.0, 0.0]), loss, fake, real, u)
    assert up["transport_cos"] == pytest.approx(1.0) and up["descent_cos"] == pytest.approx(1.0)
    assert up["descent_rel"] == pytest.approx(1.0)  # a linear critic: the same slope everywhere
    down = transport_alignment(Linear([-1.0, 0.0]), loss, fake, real, u)
    assert down["transport_cos"] == pytest.approx(-1.0)


def test_a_saturated_discriminator_gives_the_generated_points_almost_no_gradient():
    """Fig. 2's remark in 2-D: a steep logit that calls every generated point fake."""
    g = torch.Generator().manual_seed(2)
    fake = torch.randn(64, 2, generator=g) * 0.1
    real = fake + torch.tensor([4.0, 0.0])
    u = torch.rand(64, generator=g)
    minimax = LOSSES.get("gan_minimax").generator
    loss = lambda d: minimax(d)["generator"] * len(d)  # noqa: E731
    steep = Linear([1.0, 0.0], scale=20.0)  # logit -40 .. +40 between the clouds, 0 halfway
    shifted = lambda x: steep(x - torch.tensor([2.0, 0.0]))  # noqa: E731
    row = transport_alignment(shifted, loss, fake, real, u)
    assert row["transport_cos"] == pytest.approx(1.0)  # the direction is right ...
    assert row["descent_rel"] < 1e-3  # ... but at the fakes the gradient has vanished


def test_learned_line_starts_at_theta_and_learns_it():
    line = LearnedLine(LearnedLineOptions(theta=-0.7), (2,), 2)
    x = line(torch.randn(100, 2, generator=torch.Generator().manual_seed(0)))
    assert x.shape == (100, 2) and torch.allclose(x[:, 0], torch.full((100,), -0.7))
    assert float(x[:, 1].detach().min()) >= 0 and float(x[:, 1].detach().max()) <= 1
    x[:, 0].sum().backward()
    assert line.theta.grad == pytest.approx(100.0)  # theta moves with the loss's gradient
    with pytest.raises(ValueError, match="2-D points"):
        LearnedLine(LearnedLineOptions(), (1, 16, 16), 2)
