from __future__ import annotations

import pytest
import torch
from torch import nn

from wgan_suite.core.options import resolve
from wgan_suite.trial.lipschitz import LIPSCHITZ


def method(name, **options):
    o = resolve(LIPSCHITZ, {"name": name, **options})
    return LIPSCHITZ.get(name)(o)


def critic():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(10)
    return net


@pytest.mark.parametrize("c", [0.001, 0.01, 0.1])
def test_clip_bounds_every_parameter(c):
    net = critic()
    m = method("clip", c=c)
    m.prepare(net)
    m.after_step(net)
    assert all(p.abs().max() <= c for p in net.parameters())
    assert m.stats(net)["clip_frac_at_bound"] > 0.5


def test_clip_timing_switch():
    net = critic()
    before = method("clip", c=0.01, when="before")
    before.prepare(net)
    before.after_step(net)
    assert max(p.abs().max() for p in net.parameters()) > 0.01  # nothing at the wrong time
    before.before_step(net)
    assert max(p.abs().max() for p in net.parameters()) <= 0.01


def test_clip_bn_switch_leaves_batchnorm_affine_alone():
    net = critic()
    m = method("clip", c=0.01, clip_bn=False)
    m.prepare(net)
    m.after_step(net)
    assert net[1].weight.abs().max() > 0.01
    assert net[0].weight.abs().max() <= 0.01


def test_gradient_penalty_of_a_known_linear_critic():
    lin = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4.0]]))  # ||grad|| = 5 everywhere
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    pen = method("gradient_penalty", lam=10).penalty(lambda x: lin(x).view(-1), real, fake, g)
    assert pen.item() == pytest.approx(10 * (5 - 1) ** 2)
    one_sided = method("gradient_penalty", lam=1, one_sided=True)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.3, 0.4]]))  # ||grad|| = 0.5 < 1: no one-sided penalty
    assert one_sided.penalty(lambda x: lin(x).view(-1), real, fake, g).item() == 0
    pen.backward()
    assert lin.weight.grad is not None  # the penalty trains the critic


def test_spectral_norm_bounds_the_largest_singular_value():
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    method("spectral_norm", n_power_iterations=20).prepare(net)
    net.train()
    for _ in range(5):
        net(torch.randn(3, 4))
    sigma = torch.linalg.matrix_norm(net[0].weight, ord=2)
    assert sigma.item() == pytest.approx(1.0, abs=1e-3)


def test_none_is_a_no_op():
    net = critic()
    before = [p.clone() for p in net.parameters()]
    m = method("none")
    m.prepare(net)
    m.before_step(net)
    m.after_step(net)
    assert m.penalty(net, None, None, None) is None
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
