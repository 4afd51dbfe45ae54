"""Loss values on hand-computed inputs."""

from __future__ import annotations

import math

import pytest
import torch

from wgan_suite.trial.losses import LOSSES

REAL = torch.tensor([1.0, 3.0])  # mean 2
FAKE = torch.tensor([-1.0, 0.0])  # mean -0.5
sp = lambda x: math.log1p(math.exp(x))  # noqa: E731  softplus


def test_wgan():
    c = LOSSES.get("wgan").critic(REAL, FAKE)
    assert c["critic"].item() == pytest.approx(-2.5)
    assert c["w_estimate"].item() == pytest.approx(2.5)  # -critic loss, as the paper plots
    assert LOSSES.get("wgan").generator(FAKE)["generator"].item() == pytest.approx(0.5)


def test_wgan_gp_is_the_wgan_loss_and_needs_the_penalty():
    gp = LOSSES.get("wgan_gp")
    assert gp.critic(REAL, FAKE)["critic"].item() == pytest.approx(-2.5)
    assert gp.requires_lipschitz == "gradient_penalty"


def test_gan_discriminator_and_js_estimate():
    expected = (sp(-1) + sp(-3)) / 2 + (sp(-1) + sp(0)) / 2  # BCE(real, 1) + BCE(fake, 0)
    for name in ("gan_minimax", "gan_ns"):
        c = LOSSES.get(name).critic(REAL, FAKE)
        assert c["critic"].item() == pytest.approx(expected, rel=1e-6)
        assert c["js_estimate"].item() == pytest.approx(math.log(2) - expected / 2, rel=1e-6)


def test_js_estimate_is_log2_for_a_perfect_discriminator_and_0_for_a_blind_one():
    big = torch.full((4,), 50.0)
    assert LOSSES.get("gan_ns").critic(big, -big)["js_estimate"].item() == pytest.approx(
        math.log(2)
    )
    zero = torch.zeros(4)
    assert LOSSES.get("gan_ns").critic(zero, zero)["js_estimate"].item() == pytest.approx(
        0, abs=1e-7
    )


def test_generator_losses():
    # minimax: E log(1 - D(G z)) = -E softplus(d); non-saturating: -E log D(G z) = E softplus(-d)
    mm = LOSSES.get("gan_minimax").generator(FAKE)["generator"].item()
    ns = LOSSES.get("gan_ns").generator(FAKE)["generator"].item()
    assert mm == pytest.approx(-(sp(-1) + sp(0)) / 2, rel=1e-6)
    assert ns == pytest.approx((sp(1) + sp(0)) / 2, rel=1e-6)


def test_minimax_generator_gradient_saturates_where_ns_does_not():
    d = torch.tensor([-10.0], requires_grad=True)  # the discriminator is sure the sample is fake
    LOSSES.get("gan_minimax").generator(d)["generator"].backward()
    g_mm = d.grad.abs().item()
    d.grad = None
    LOSSES.get("gan_ns").generator(d)["generator"].backward()
    assert g_mm < 1e-4 < d.grad.abs().item()


def test_hinge():
    c = LOSSES.get("hinge").critic(REAL, FAKE)["critic"].item()
    assert c == pytest.approx((0 + 0) / 2 + (0 + 1) / 2)
    assert LOSSES.get("hinge").generator(FAKE)["generator"].item() == pytest.approx(0.5)
