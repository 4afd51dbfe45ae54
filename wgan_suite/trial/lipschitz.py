"""Lipschitz methods for the critic: its own axis, applied by the training step.

An entry is built once per trial; ``prepare`` may rewrite the critic (spectral
norm) before the optimizer sees its parameters, and the step calls
``before_step`` / ``penalty`` / ``after_step`` around every critic update.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from wgan_suite.core.columns import Column
from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry


class LipschitzMethod:
    """The contract of a Lipschitz method: hooks the training step calls around every
    critic update (defaults: do nothing)."""

    Options: ClassVar[type[Options]] = Options
    # every column stats() may write (wgan_suite.analysis.columns)
    columns: ClassVar[dict[str, Column]] = {}
    # why the method must train in float32 (TrialConfig.precision refuses bfloat16), or None
    float32_only: ClassVar[str | None] = None

    def __init__(self, options: Any) -> None:
        self.options = options

    def prepare(self, critic: nn.Module) -> nn.Module:
        return critic

    def before_step(self, critic: nn.Module) -> None:
        """Called before each critic update."""

    def after_step(self, critic: nn.Module) -> None:
        """Called after each critic update."""

    def penalty(
        self, critic: nn.Module, real: Tensor, fake: Tensor, generator: torch.Generator
    ) -> Tensor | None:
        return None

    def stats(self, critic: nn.Module) -> dict[str, float]:
        """Columns for every record, each declared in ``columns``."""
        return {}


LIPSCHITZ: Registry[type[LipschitzMethod]] = Registry("lipschitz method", LipschitzMethod)


@LIPSCHITZ.register("none")
class NoConstraint(LipschitzMethod):
    """Unconstrained critic: the standard GAN discriminator."""


class ClipOptions(Options):
    c: float = Field(0.01, gt=0, le=10, description="weights clamped to [-c, c] (paper: 0.01)")
    when: Literal["after", "before"] = Field(
        "after", description="after each critic step (paper Alg. 1) or before it (authors' main.py)"
    )
    clip_bn: bool = Field(True, description="clip BatchNorm gamma/beta too (authors' code: yes)")


@LIPSCHITZ.register("clip")
class WeightClipping(LipschitzMethod):
    """Weight clipping to [-c, c] (paper Sec. 3, Algorithm 1 line 7)."""

    Options = ClipOptions
    columns = {
        "clip_frac_at_bound": Column(
            "share of the critic's clipped weights within 1% of the bound c (WGAN-GP Fig. 1b)",
            role="diagnostic",
        ),
        "clip_max_abs_weight": Column("the largest |weight| of the clipped critic"),
    }

    def prepare(self, critic: nn.Module) -> nn.Module:
        self.params = [
            p
            for m in critic.modules()
            if self.options.clip_bn or not isinstance(m, _BatchNorm)
            for p in m.parameters(recurse=False)
        ]
        return critic

    @torch.no_grad()
    def _clip(self) -> None:
        c = self.options.c
        for p in self.params:
            p.clamp_(-c, c)

    def before_step(self, critic: nn.Module) -> None:
        if self.options.when == "before":
            self._clip()

    def after_step(self, critic: nn.Module) -> None:
        if self.options.when == "after":
            self._clip()

    @torch.no_grad()
    def stats(self, critic: nn.Module) -> dict[str, float]:
        """Share of clipped weights at the bound (WGAN-GP Fig. 1b) and the largest |w|."""
        flat = torch.cat([p.detach().abs().flatten() for p in self.params])
        return {
            "clip_frac_at_bound": float((flat >= 0.99 * self.options.c).float().mean()),
            "clip_max_abs_weight": float(flat.max()),
        }


class PenaltyOptions(Options):
    lam: float = Field(10.0, ge=0, description="penalty weight lambda (WGAN-GP paper: 10)")
    one_sided: bool = Field(False, description="max(0, ||grad|| - 1)^2 (WGAN-GP App. C)")


@LIPSCHITZ.register("gradient_penalty")
class GradientPenalty(LipschitzMethod):
    """lambda * E (||grad_xhat D(xhat)|| - 1)^2 at xhat = eps x + (1 - eps) G(z) (WGAN-GP Eq. 3)."""

    Options = PenaltyOptions

    def penalty(
        self, critic: nn.Module, real: Tensor, fake: Tensor, generator: torch.Generator
    ) -> Tensor:
        eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
        eps = torch.rand(eps_shape, generator=generator, device=real.device, dtype=real.dtype)
        xhat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(xhat).sum(), xhat, create_graph=True)
        gap = grad.flatten(1).norm(dim=1) - 1
        if self.options.one_sided:
            gap = gap.clamp(min=0)
        return self.options.lam * gap.pow(2).mean()


class SpectralOptions(Options):
    n_power_iterations: int = Field(1, ge=1)


@LIPSCHITZ.register("spectral_norm")
class SpectralNorm(LipschitzMethod):
    """Spectral normalisation of every conv/linear weight (Miyato et al. 2018)."""

    Options = SpectralOptions
    float32_only = (
        "its power iteration runs inside the forward pass, and CUDA's autocast computes "
        "its matrix-vector products (and the persistent u, v it keeps) in bfloat16"
    )

    def prepare(self, critic: nn.Module) -> nn.Module:
        for m in list(critic.modules()):
            if isinstance(m, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
                nn.utils.parametrizations.spectral_norm(
                    m, n_power_iterations=self.options.n_power_iterations
                )
        return critic
