"""Mode coverage on mixtures of Gaussians (the toy sets of WGAN-GP's gan_toy.py).

A sample belongs to its nearest centre when it lies within ``n_std`` standard
deviations of it ("high quality"); a mode is covered when it holds at least
``min_share`` of the samples (the suite's thresholds: 3 std, 1 % of the samples).
This 3-std count is the literature's measure (Unrolled GAN, VEEGAN, PacGAN).

That count mixes two failures: a generator that drops modes (collapse) and one whose
clusters sit a few std off every centre (imprecision) both score low. ``modes_nearest``
tells them apart: each sample goes to its nearest centre when it lies within half the
smallest distance between centres (the largest radius at which no sample can belong to
two modes), so an off-centre cluster still counts for its mode and a missing mode does not.
But it cannot tell collapse from no fit at all: a single Gaussian fitted to the data's
mean and covariance, or uniform noise over its bounding box, puts >= 1 % of the samples
in most such cells (8/8 and 22-25/25 modes).

``modes_dense`` counts a mode only where the samples form a cluster of their own near it.
With r = min(half the smallest separation / 2, 10 std) (10 std on both toy sets), mode k
is covered when

* the disc of radius r around it holds >= ``FAIR_SHARE`` / K of all samples (half its
  fair share: a diffuse fit spreads its mass over the whole plane, so few discs get that
  much), and
* that disc holds >= ``CORE_FRAC`` of the samples within 2r (a density locally flat over
  the 2r disc puts 1/4 there, its share of the area; 3/4 is a density 9x that of the
  ring r..2r around it: a cluster, not a slope of a broad distribution).

10 std lets a cluster a few std off its centre, or stretched a few std, still count
(imprecision is left to ``high_quality_frac`` and the 3-std count); keeping 2r within half
the separation means the ring holds no sample that is nearer to another centre. The
constants are fixed here, not set per data set; tests/test_mode_controls.py holds the
controls (real data, fitted Gaussian, uniform noise, collapse, imprecise clusters).
"""

from __future__ import annotations

import torch
from torch import Tensor

DENSE_STD = 10.0  # the disc's radius in std, unless half the half separation is smaller
FAIR_SHARE = 0.5  # the disc must hold this fraction of a mode's fair share, 1 / K
CORE_FRAC = 0.75  # and this share of the samples within twice its radius


def mode_assignment(samples: Tensor, centres: Tensor, radius: float) -> Tensor:
    """Index of the nearest centre for each sample, or -1 when it is farther than radius."""
    dist = torch.cdist(samples.float(), centres.float().to(samples.device))
    nearest, idx = dist.min(dim=1)
    return torch.where(nearest <= radius, idx, torch.full_like(idx, -1))


def half_separation(centres: Tensor) -> float:
    """Half the smallest distance between two centres."""
    dist = torch.cdist(centres.double(), centres.double())
    return float(dist[~torch.eye(len(centres), dtype=torch.bool)].min()) / 2


def _covered(assign: Tensor, n_modes: int, min_share: float) -> int:
    counts = torch.bincount(assign[assign >= 0], minlength=n_modes)
    return int((counts >= max(1, min_share * len(assign))).sum())


def dense_modes(samples: Tensor, centres: Tensor, std: float) -> int:
    """Modes whose disc of radius r holds >= FAIR_SHARE / K of the samples and
    >= CORE_FRAC of those within 2r (r = min(half separation / 2, DENSE_STD std))."""
    r = min(half_separation(centres) / 2, DENSE_STD * std)
    dist = torch.cdist(samples.double(), centres.double().to(samples.device))
    inner = (dist <= r).sum(0)
    within_2r = (dist <= 2 * r).sum(0)
    share = inner >= max(1.0, FAIR_SHARE * len(samples) / len(centres))
    return int((share & (inner >= CORE_FRAC * within_2r)).sum())


def mode_coverage(
    samples: Tensor, centres: Tensor, std: float, n_std: float = 3.0, min_share: float = 0.01
) -> dict[str, float]:
    """Modes covered (within n_std, by nearest centre, and as dense clusters), and the
    share of samples within n_std of some mode."""
    assign = mode_assignment(samples, centres, n_std * std)
    nearest = mode_assignment(samples, centres, half_separation(centres))
    return {
        "modes_covered": float(_covered(assign, len(centres), min_share)),
        "modes_nearest": float(_covered(nearest, len(centres), min_share)),
        "modes_dense": float(dense_modes(samples, centres, std)),
        "modes_total": float(len(centres)),
        "high_quality_frac": float((assign >= 0).sum() / max(1, len(samples))),
    }
