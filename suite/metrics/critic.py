"""The paper's own signals, measured on the critic at a checkpoint.

* ``w_estimate``: -critic loss (Fig. 3) or the JS estimate (Fig. 4) averaged over
  fresh batches, less noisy than the per-iteration record.
* ``critic_grads``: the norm of the critic loss's gradient for each layer's weights
  (WGAN-GP Fig. 1b: with clipping they explode or vanish along the depth).
* ``critic_profile``: the 1-D picture of paper Fig. 2: the gradient of the trained
  critic / discriminator over the fake data's support.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from pydantic import Field

from suite.metrics.registry import METRICS, MetricOptions
from suite.seeding import torch_generator


class BatchesOptions(MetricOptions):
    batches: int = Field(10, ge=1, description="fresh batches the value is averaged over")


def _critic_terms(ctx, stream: torch.Generator) -> dict[str, torch.Tensor]:
    n = ctx.config.batch_size
    real, fake = ctx.real_batch(n), ctx.fake_batch(n, stream)
    return ctx.state.loss.critic(ctx.state.critic(real), ctx.state.critic(fake))


@METRICS.register("w_estimate")
class WEstimate:
    Options = BatchesOptions
    columns = {
        "w_estimate_eval": "-critic loss averaged over fresh batches (WGAN-type losses)",
        "js_estimate_eval": "log 2 - L_D / 2 averaged over fresh batches (GAN losses)",
    }

    @staticmethod
    def check(config, options) -> None:
        return None

    @staticmethod
    @torch.no_grad()
    def compute(ctx, options) -> dict[str, Any]:
        stream = torch_generator(ctx.config.seed, "eval_critic_noise", ctx.device)
        sums: dict[str, float] = {}
        for _ in range(options.batches):
            for key, value in _critic_terms(ctx, stream).items():
                if key.endswith("_estimate"):
                    sums[key] = sums.get(key, 0.0) + float(value)
        return {f"{k}_eval": v / options.batches for k, v in sums.items()}


def layer_weights(critic: torch.nn.Module) -> list[torch.Tensor]:
    """The weight matrices / kernels of the critic, input side first."""
    return [p for _, p in critic.named_parameters() if p.ndim >= 2]


@METRICS.register("critic_grads")
class CriticGrads:
    Options = BatchesOptions
    columns = {
        "critic_grad_norm.LNN": "norm of d(critic loss)/d(weights of layer NN), 00 = input side",
        "critic_grad_slope": "log10 decades per layer from the output back to the input "
        "(> 0: gradients explode towards the input, < 0: vanish)",
    }

    @staticmethod
    def check(config, options) -> None:
        return None

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        params = layer_weights(ctx.state.critic)
        stream = torch_generator(ctx.config.seed, "eval_critic_noise", ctx.device)
        total = [torch.zeros((), device=ctx.device) for _ in params]
        for _ in range(options.batches):
            loss = _critic_terms(ctx, stream)["critic"]
            grads = torch.autograd.grad(loss, params, allow_unused=True)
            for i, g in enumerate(grads):
                if g is not None:
                    total[i] += g.norm()
        norms = [float(t) / options.batches for t in total]
        row: dict[str, Any] = {f"critic_grad_norm.L{i:02d}": v for i, v in enumerate(norms)}
        row["critic_grad_slope"] = grad_slope(norms)
        return row


def grad_slope(norms: list[float]) -> float:
    """Least-squares slope of log10(norm) against depth counted from the output."""
    if len(norms) < 2 or not any(v > 0 for v in norms):
        return float("nan")  # no gradient at all (underflow): no slope to read
    logs = [math.log10(v) if v > 0 else -45.0 for v in norms]  # float32 underflow floor
    depth_from_output = np.arange(len(logs))[::-1]
    return float(np.polyfit(depth_from_output, np.asarray(logs), 1)[0])


class ProfileOptions(MetricOptions):
    points: int = Field(2000, ge=10, description="fake samples the gradient is measured on")


@METRICS.register("critic_profile")
class CriticProfile:
    """Paper Fig. 2: the optimal discriminator saturates (its gradient vanishes on the
    fake data); the clipped WGAN critic is near-linear with clean gradients everywhere.
    For GAN losses D is the probability sigmoid(score), as plotted in the figure."""

    Options = ProfileOptions
    columns = {
        "grad_fake_rel": "mean |dD/dx| on the fake samples / max |dD/dx| between the two modes",
        "grad_fake_cv": "coefficient of variation of |dD/dx| on the fake samples",
    }

    @staticmethod
    def check(config, options) -> None:
        if config.data.name != "gaussians1d":
            raise ValueError(f"needs 1-D data 'gaussians1d', got '{config.data.name}'")

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        o, net = ctx.config.data, ctx.state.critic
        output = getattr(ctx.state.loss, "output", None)  # GAN: D = sigmoid(score)

        def D(x: torch.Tensor) -> torch.Tensor:
            return output(net(x)) if output is not None else net(x)

        g = torch_generator(ctx.config.seed, "eval_profile", "cpu")
        fake = o.fake_mean + o.std * torch.randn(options.points, 1, generator=g)
        lo, hi = sorted((o.real_mean, o.fake_mean))
        grid = torch.linspace(lo - 3 * o.std, hi + 3 * o.std, 1000).unsqueeze(1)

        def slope(x: torch.Tensor) -> torch.Tensor:
            x = x.to(ctx.device).requires_grad_(True)
            (grad,) = torch.autograd.grad(D(x).sum(), x)
            return grad.abs().flatten().detach().cpu()

        on_fake, on_grid = slope(fake), slope(grid)
        peak = float(on_grid.max())
        mean = float(on_fake.mean())
        return {
            "grad_fake_rel": mean / peak if peak > 0 else float("nan"),
            "grad_fake_cv": float(on_fake.std() / on_fake.mean()) if mean > 0 else float("nan"),
        }
