"""Generators that do not learn: the fixed fake distributions of paper Fig. 2 and Example 1.

Fig. 2 trains a discriminator / critic to optimality between two fixed 1-D Gaussians
(WGAN-GP's toy value surfaces do the same with ``FIXED_GENERATOR``); Example 1 / Fig. 1
compares P0 = (0, Z) with P_theta = (theta, Z) as theta is swept (an ablation axis).
The generator update still runs; a parameter multiplied by zero keeps it well-formed
and inert.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import Tensor, nn

from wgan_suite.core.options import Options
from wgan_suite.trial.models.registry import GENERATORS, Generator


class FixedGaussianOptions(Options):
    mean: float = Field(4.0, description="mean of every coordinate (gaussians1d: fake_mean)")
    std: float = Field(0.5, gt=0, description="standard deviation (gaussians1d: std)")


@GENERATORS.register("fixed_gaussian")
class FixedGaussian(Generator):
    """x = mean + std * z[:, :d] for data of d coordinates (needs nz >= d)."""

    Options = FixedGaussianOptions

    @staticmethod
    def check_shape(shape: tuple[int, ...]) -> None:
        if len(shape) != 1:
            raise ValueError(f"a fixed Gaussian makes flat (low-dimensional) data, not {shape}")

    def __init__(self, options: FixedGaussianOptions, data_shape: tuple[int, ...], nz: int) -> None:
        super().__init__()
        if len(data_shape) != 1 or data_shape[0] > nz:
            raise ValueError(f"needs flat data of at most nz={nz} coordinates, got {data_shape}")
        self.mean, self.std, self.dim = options.mean, options.std, data_shape[0]
        self.inert = nn.Parameter(torch.zeros(()))

    def forward(self, z: Tensor) -> Tensor:
        return self.mean + self.std * z[:, : self.dim] + 0.0 * self.inert


class FixedLineOptions(Options):
    theta: float = Field(0.0, description="x coordinate of the line (paper Example 1)")


@GENERATORS.register("fixed_line")
class FixedLine(Generator):
    """P_theta of paper Example 1: (theta, Z) with Z ~ U[0, 1], for the data ``parallel_lines``.

    Z = Phi(z_0), the standard normal CDF of the first latent coordinate, is uniform.
    """

    Options = FixedLineOptions

    @staticmethod
    def check_shape(shape: tuple[int, ...]) -> None:
        if tuple(shape) != (2,):
            raise ValueError(f"a line in the plane makes 2-D points, not shape {shape}")

    def __init__(self, options: FixedLineOptions, data_shape: tuple[int, ...], nz: int) -> None:
        super().__init__()
        self.check_shape(data_shape)
        self.theta = options.theta
        self.inert = nn.Parameter(torch.zeros(()))

    def forward(self, z: Tensor) -> Tensor:
        u = torch.special.ndtr(z[:, 0])
        x = torch.full_like(u, self.theta)
        return torch.stack([x, u], 1) + 0.0 * self.inert
