"""The generator of paper Example 1 that learns: P_theta = (theta, Z), theta a parameter.

Example 1's point is what gradient descent does, not only the closed forms: the earth
mover distance |theta| has gradient sign(theta), so a generator trained on a critic's W
estimate moves theta to 0; JS is log 2 for every theta != 0, so a discriminator that
separates the two lines gives theta no gradient, and it stays where it started. The
fixed generator of Fig. 1 (``fixed_line``) holds theta; this one starts there and learns.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import Tensor, nn

from wgan_suite.core.options import Options
from wgan_suite.trial.models.registry import GENERATORS, Generator


class LearnedLineOptions(Options):
    theta: float = Field(1.0, description="initial x coordinate of the line (Example 1)")


@GENERATORS.register("learned_line")
class LearnedLine(Generator):
    """(theta, Z) with Z = Phi(z_0) ~ U[0, 1] and theta learned (one parameter)."""

    Options = LearnedLineOptions

    @staticmethod
    def check_shape(shape: tuple[int, ...]) -> None:
        if tuple(shape) != (2,):
            raise ValueError(f"a line in the plane makes 2-D points, not shape {shape}")

    def __init__(self, options: LearnedLineOptions, data_shape: tuple[int, ...], nz: int) -> None:
        super().__init__()
        self.check_shape(data_shape)
        self.theta = nn.Parameter(torch.tensor(float(options.theta)))

    def forward(self, z: Tensor) -> Tensor:
        u = torch.special.ndtr(z[:, 0])
        return torch.stack([self.theta.expand_as(u), u], 1)
