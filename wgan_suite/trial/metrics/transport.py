"""Theorem 3 on small problems: does the critic's gradient point along the optimal transport?

WGAN's Theorem 3: the generator's gradient is -E[grad_theta f(g_theta(z))] for the optimal
critic f, and an optimal f of the Kantorovich-Rubinstein dual has, at each generated point,
a unit gradient pointing to the real point it is transported to. On flat (2-D) data the
optimal coupling of two equal-size point clouds is an assignment, solved exactly
(scipy.optimize.linear_sum_assignment, the Hungarian algorithm, on Euclidean costs), so
the claim can be read directly:

* ``transport_cos``: mean cosine between the critic's gradient at each generated point and
  its exact transport displacement (1: every gradient points where OT moves the point).
  At iteration 0 the same number for the untrained critic is the control.
* ``descent_cos``: the same for the direction the generator descends (minus the gradient
  of its loss), the one that moves the samples.
* ``descent_rel``: the size of that gradient at the generated points relative to its size
  along their transport paths (points drawn uniformly on each segment to the target):
  about 1 for a critic with clean gradients everywhere, near 0 for a discriminator that
  saturates on the fake samples (the paper's remark on Fig. 2, here beyond 1-D).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from pydantic import Field
from torch import Tensor

from wgan_suite.core.columns import Column
from wgan_suite.core.seeding import torch_generator
from wgan_suite.trial.metrics.registry import METRICS, Metric, MetricOptions


class TransportOptions(MetricOptions):
    points: int = Field(256, ge=8, le=2048, description="points per cloud (exact assignment)")


def transport_targets(fake: Tensor, real: Tensor) -> Tensor:
    """The real point each generated point goes to under the exact optimal coupling."""
    # deferred: scipy.optimize takes ~0.7 s to import; `list` loads this module (the
    # metric registry) but never scores a trial
    from scipy.optimize import linear_sum_assignment

    cost = torch.cdist(fake.double(), real.double()).cpu().numpy()
    rows, cols = linear_sum_assignment(cost)
    target = torch.empty_like(fake)
    target[torch.as_tensor(rows)] = real[torch.as_tensor(cols)]
    return target


def _cosines(a: Tensor, b: Tensor) -> Tensor:
    norms = a.norm(dim=1) * b.norm(dim=1)
    ok = norms > 0
    return (a[ok] * b[ok]).sum(1) / norms[ok]


def _grad(fn, x: Tensor) -> Tensor:
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    return g


def transport_alignment(critic, generator_loss, fake: Tensor, real: Tensor, u: Tensor) -> dict:
    """The three columns for one pair of clouds; ``u`` in [0, 1] places the path points."""
    target = transport_targets(fake, real)
    move = target - fake
    critic_grad = _grad(critic, fake)
    descent = -_grad(lambda x: generator_loss(critic(x)), fake)
    along = -_grad(lambda x: generator_loss(critic(x)), fake + u[:, None] * move)
    path = float(along.norm(dim=1).mean())
    return {
        "transport_cos": float(_cosines(critic_grad, move).mean()),
        "descent_cos": float(_cosines(descent, move).mean()),
        "descent_rel": float(descent.norm(dim=1).mean()) / path if path > 0 else float("nan"),
    }


@METRICS.register("transport")
class Transport(Metric):
    Options = TransportOptions
    columns = {
        "transport_cos": Column(
            "mean cosine of the critic's gradient at generated points with their exact "
            "optimal-transport displacement (WGAN Theorem 3)",
            better="higher",
        ),
        "descent_cos": Column(
            "mean cosine of the generator's descent direction with the transport displacement",
            better="higher",
        ),
        "descent_rel": Column(
            "size of the generator loss's gradient at the generated points relative to "
            "along their transport paths (near 0: the discriminator saturates there)",
            better="higher",
        ),
    }

    @staticmethod
    def check(config, options) -> None:
        if len(config.data_shape) != 1:
            raise ValueError(f"needs low-dimensional data, got shape {config.data_shape}")

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        n = options.points
        stream = torch_generator(ctx.config.seed, "eval_transport_noise", ctx.device)
        fake, real = ctx.fake_batch(n, stream), ctx.real_batch(n)
        u = torch.rand(n, generator=stream, device=ctx.device)
        loss, critic = ctx.state.loss, ctx.state.critic

        def generator_loss(d_fake: Tensor) -> Tensor:
            return loss.generator(d_fake)["generator"] * len(d_fake)  # per sample, summed

        with torch.enable_grad():
            row = transport_alignment(critic, generator_loss, fake, real, u)
        return {k: (v if np.isfinite(v) else None) for k, v in row.items()}
