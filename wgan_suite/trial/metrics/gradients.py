"""Exploding and vanishing critic gradients (WGAN-GP Sec. 3.2, Fig. 1b).

The figure plots, for successive layers of a deep clipped critic, the norm of the
gradient of the critic's loss with respect to that layer's **activations**. Norms of
weight gradients would not show it: a weight gradient is the product of the layer's
input activation (which shrinks or grows with c going forward) and the gradient at its
output (which shrinks or grows with c going backward), and the two cancel.

The activations are the outputs of the weight layers (Linear, Conv2d, ConvTranspose2d),
caught by forward hooks on a float64 copy of the critic: float32 would underflow to
zero where gradients vanish by tens of decades (c = 0.001), and the copy leaves the
trial's critic untouched.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from wgan_suite.core.columns import Column
from wgan_suite.core.seeding import torch_generator
from wgan_suite.trial.metrics.critic import BatchesOptions
from wgan_suite.trial.metrics.registry import METRICS, Metric

WEIGHT_LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
ZERO_FLOOR = math.log10(np.finfo(np.float64).tiny)  # log10 of a norm that is exactly zero


def activation_grad_norms(critic: nn.Module, loss: Any, real: Tensor, fake: Tensor) -> list[float]:
    """||d(critic loss) / d(output of weight layer l)|| for each layer, input side first.

    ``loss`` is a LOSSES entry; the critic is called on ``real`` and on ``fake`` as in
    training, and a layer's norm covers both calls (the loss depends on both). Layers
    are ordered by their first call, so the order is the forward pass's.
    """
    net = copy.deepcopy(critic).double()
    net.requires_grad_(True)
    order: list[nn.Module] = []
    outputs: dict[nn.Module, list[Tensor]] = {}

    def catch(module: nn.Module, _inputs: Any, output: Tensor) -> None:
        if module not in outputs:
            order.append(module)
            outputs[module] = []
        outputs[module].append(output)

    hooks = [m.register_forward_hook(catch) for m in net.modules() if isinstance(m, WEIGHT_LAYERS)]
    try:
        value = loss.critic(net(real.double()), net(fake.double()))["critic"]
    finally:
        for h in hooks:
            h.remove()
    caught = [t for m in order for t in outputs[m]]
    grads = torch.autograd.grad(value, caught, allow_unused=True)
    norms, i = [], 0
    for m in order:
        parts = grads[i : i + len(outputs[m])]
        i += len(outputs[m])
        squares = [float(g.pow(2).sum()) for g in parts if g is not None]
        norms.append(math.sqrt(sum(squares)))
    return norms


def grad_slope(norms: list[float]) -> float:
    """Least-squares slope of log10(norm) against depth counted from the output, in
    decades per layer: > 0 the gradient grows towards the input (explodes), < 0 vanishes.

    A norm of exactly zero (a dead ReLU layer cuts every path) counts as float64's
    smallest normal number, i.e. as vanished; with no gradient at all there is no slope.
    """
    if len(norms) < 2 or not any(v > 0 for v in norms):
        return float("nan")
    logs = [math.log10(v) if v > 0 else ZERO_FLOOR for v in norms]
    depth_from_output = np.arange(len(logs))[::-1]
    return float(np.polyfit(depth_from_output, np.asarray(logs), 1)[0])


@METRICS.register("critic_grads")
class CriticGrads(Metric):
    """WGAN-GP Fig. 1b, measured on fresh batches at every checkpoint."""

    Options = BatchesOptions
    columns = {
        "critic_grad_norm.LNN": Column(
            "norm of d(critic loss)/d(activations of weight layer NN), 00 = first layer's "
            "output, mean over fresh batches (WGAN-GP Fig. 1b)",
        ),
        "critic_grad_slope": Column(
            "least-squares slope of log10 of those norms against depth from the output, in "
            "decades per layer (> 0: explode towards the input, < 0: vanish)",
        ),
    }

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        stream = torch_generator(ctx.config.seed, "eval_critic_noise", ctx.device)
        n, total = ctx.config.batch_size, None
        for _ in range(options.batches):
            real, fake = ctx.real_batch(n), ctx.fake_batch(n, stream)
            norms = np.asarray(activation_grad_norms(ctx.state.critic, ctx.state.loss, real, fake))
            total = norms if total is None else total + norms
        mean = [float(v) for v in total / options.batches]
        row: dict[str, Any] = {f"critic_grad_norm.L{i:02d}": v for i, v in enumerate(mean)}
        row["critic_grad_slope"] = grad_slope(mean)
        return row
