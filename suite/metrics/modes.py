"""Mode coverage on mixtures of Gaussians (the toy sets of WGAN-GP's gan_toy.py).

A sample belongs to its nearest centre when it lies within ``n_std`` standard
deviations of it ("high quality"); a mode is covered when it holds at least
``min_share`` of the samples (the suite's thresholds: 3 std, 1 % of the samples).

That count mixes two failures: a generator that drops modes (collapse) and one whose
clusters sit a few std off every centre (imprecision) both score low. ``modes_nearest``
tells them apart: each sample goes to its nearest centre when it lies within half the
smallest distance between centres (the largest radius at which no sample can belong to
two modes), so an off-centre cluster still counts for its mode and a missing mode does not.
"""

from __future__ import annotations

import torch
from torch import Tensor


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


def mode_coverage(
    samples: Tensor, centres: Tensor, std: float, n_std: float = 3.0, min_share: float = 0.01
) -> dict[str, float]:
    """Modes covered (within n_std, and by nearest centre), and the share of samples
    within n_std of some mode."""
    assign = mode_assignment(samples, centres, n_std * std)
    nearest = mode_assignment(samples, centres, half_separation(centres))
    return {
        "modes_covered": float(_covered(assign, len(centres), min_share)),
        "modes_nearest": float(_covered(nearest, len(centres), min_share)),
        "modes_total": float(len(centres)),
        "high_quality_frac": float((assign >= 0).sum() / max(1, len(samples))),
    }
