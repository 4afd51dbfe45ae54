"""Mode coverage on mixtures of Gaussians (the toy sets of WGAN-GP's gan_toy.py).

A sample belongs to its nearest centre when it lies within ``n_std`` standard
deviations of it ("high quality"); a mode is covered when it holds at least
``min_share`` of the samples (the suite's thresholds: 3 std, 1 % of the samples).
"""

from __future__ import annotations

import torch
from torch import Tensor


def mode_assignment(samples: Tensor, centres: Tensor, std: float, n_std: float = 3.0) -> Tensor:
    """Index of the nearest centre for each sample, or -1 when it is farther than n_std * std."""
    dist = torch.cdist(samples.float(), centres.float().to(samples.device))
    nearest, idx = dist.min(dim=1)
    return torch.where(nearest <= n_std * std, idx, torch.full_like(idx, -1))


def mode_coverage(
    samples: Tensor, centres: Tensor, std: float, n_std: float = 3.0, min_share: float = 0.01
) -> dict[str, float]:
    """Modes covered, and the share of samples within n_std of some mode."""
    assign = mode_assignment(samples, centres, std, n_std)
    hits = assign[assign >= 0]
    counts = torch.bincount(hits, minlength=len(centres))
    covered = int((counts >= max(1, min_share * len(samples))).sum())
    return {
        "modes_covered": float(covered),
        "modes_total": float(len(centres)),
        "high_quality_frac": float(len(hits) / max(1, len(samples))),
    }
