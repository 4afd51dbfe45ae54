"""Low-dimensional data: the WGAN-GP toy sets (gan_toy.py), the paper's 1-D Gaussians
(Fig. 2) and its parallel lines (Example 1).

Exact settings, from igul222/improved_wgan_training gan_toy.py: points are generated
in "raw" units and the batch divided by ``scale``.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field
from torch import Tensor

from wgan_suite.trial.data.base import DATASETS, Options, Source, TensorSource


class EightGaussiansOptions(Options):
    radius: float = Field(2.0, gt=0, description="centres on a circle of this radius")
    std: float = Field(0.02, gt=0, description="per-mode standard deviation before scaling")
    scale: float = Field(1.414, gt=0, description="the batch is divided by this")


class _FreshSource(Source):
    """A distribution sampled afresh for every batch."""

    def __init__(self, options, *, device, seed: int, batch_size: int = 0) -> None:
        super().__init__(device, seed)
        self.options = options
        self.shape = self.shape_of(options)


@DATASETS.register("8gaussians")
class EightGaussians(_FreshSource):
    """Eight Gaussians on a circle; a centre is chosen uniformly for each point."""

    Options = EightGaussiansOptions

    @classmethod
    def shape_of(cls, options) -> tuple[int, ...]:
        return (2,)

    @staticmethod
    def centres(options) -> Tensor:
        """Mode centres in the scaled (training) units."""
        angles = torch.arange(8, dtype=torch.float64) * (math.pi / 4)
        c = options.radius * torch.stack([torch.cos(angles), torch.sin(angles)], 1)
        return (c / options.scale).float()

    def sample(self, n: int) -> Tensor:
        o = self.options
        centres = self.centres(o).to(self.device) * o.scale
        pick = torch.randint(8, (n,), generator=self.generator, device=self.device)
        noise = torch.randn(n, 2, generator=self.generator, device=self.device) * o.std
        return (centres[pick] + noise) / o.scale


class TwentyFiveGaussiansOptions(Options):
    std: float = Field(0.05, gt=0)
    scale: float = Field(2.828, gt=0)
    points_per_mode: int = Field(4000, ge=1, description="gan_toy.py: 100,000 points in all")


@DATASETS.register("25gaussians")
class TwentyFiveGaussians(TensorSource):
    """A fixed set of points around the grid {-4, -2, 0, 2, 4}^2, made once from the seed."""

    Options = TwentyFiveGaussiansOptions

    def __init__(self, options, *, device, seed: int, batch_size: int = 0) -> None:
        g = torch.Generator().manual_seed(seed + 0x25)
        centres = self.centres(options) * options.scale
        pts = centres.repeat_interleave(options.points_per_mode, 0)
        pts = pts + torch.randn(pts.shape, generator=g) * options.std
        super().__init__(pts / options.scale, device, seed)

    @classmethod
    def shape_of(cls, options) -> tuple[int, ...]:
        return (2,)

    @staticmethod
    def centres(options) -> Tensor:
        grid = torch.arange(-2, 3, dtype=torch.float32) * 2
        return torch.cartesian_prod(grid, grid) / options.scale


class SwissRollOptions(Options):
    noise: float = Field(0.25, ge=0, description="sklearn make_swiss_roll noise")
    scale: float = Field(7.5, gt=0)


@DATASETS.register("swissroll")
class SwissRoll(_FreshSource):
    """sklearn.datasets.make_swiss_roll(noise=0.25), columns 0 and 2, divided by 7.5.

    Same formula as sklearn (t = 1.5 pi (1 + 2u); (t cos t, t sin t) + noise), drawn
    with the trial's torch generator instead of NumPy's global state.
    """

    Options = SwissRollOptions

    @classmethod
    def shape_of(cls, options) -> tuple[int, ...]:
        return (2,)

    def sample(self, n: int) -> Tensor:
        g, dev = self.generator, self.device
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=g, device=dev))
        pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1)
        pts = pts + self.options.noise * torch.randn(n, 2, generator=g, device=dev)
        return pts / self.options.scale


class Gaussians1DOptions(Options):
    real_mean: float = Field(0.0, description="the data distribution N(real_mean, std^2)")
    fake_mean: float = Field(4.0, description="the second Gaussian of Fig. 2 (a fixed generator)")
    std: float = Field(0.5, gt=0)


@DATASETS.register("gaussians1d")
class Gaussians1D(_FreshSource):
    """Paper Fig. 2: real N(real_mean, std) vs fake N(fake_mean, std) in one dimension."""

    Options = Gaussians1DOptions

    @classmethod
    def shape_of(cls, options) -> tuple[int, ...]:
        return (1,)

    def _draw(self, n: int, mean: float) -> Tensor:
        z = torch.randn(n, 1, generator=self.generator, device=self.device)
        return mean + self.options.std * z

    def sample(self, n: int) -> Tensor:
        return self._draw(n, self.options.real_mean)

    def sample_fake(self, n: int) -> Tensor:
        return self._draw(n, self.options.fake_mean)


@DATASETS.register("parallel_lines")
class ParallelLines(_FreshSource):
    """Paper Example 1 / Fig. 1: P0 is the segment (0, Z), Z ~ U[0, 1], in the plane.

    With the generator ``fixed_line`` (points (theta, Z)): W(P0, P_theta) = |theta|,
    JS = log 2 and KL = +inf for theta != 0; all three are 0 at theta = 0.
    """

    Options = Options

    @classmethod
    def shape_of(cls, options) -> tuple[int, ...]:
        return (2,)

    def sample(self, n: int) -> Tensor:
        z = torch.rand(n, generator=self.generator, device=self.device)
        return torch.stack([torch.zeros_like(z), z], 1)
