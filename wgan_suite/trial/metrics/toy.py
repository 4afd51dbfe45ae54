"""Fit of the 2-D toy distributions: modes covered, sample quality, exact W1.

Mode columns only for data with mode centres (the mixtures; not the 1-D Gaussians or
the parallel lines of paper Example 1, where exact W1 is |theta|).
Thresholds are the suite's: a sample is "high quality" within
3 standard deviations of a centre; a mode is covered with >= 1 % of the samples, counted
within 3 std (``modes_covered``) and by nearest centre (``modes_nearest``,
wgan_suite.trial.metrics.modes);
``modes_dense`` counts only modes with a cluster of their own (>= half a fair share of the
samples within 10 std, denser there than around), which a fit to no mode at all scores 0;
``modes_dense_rNN`` is the same count at NN std (01 .. 16), a coverage profile over the
radius, and ``modes_dense_auc`` its mean (wgan_suite.trial.metrics.modes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from wgan_suite.core.columns import Column
from wgan_suite.trial.data import DATASETS
from wgan_suite.trial.metrics.modes import mode_coverage
from wgan_suite.trial.metrics.registry import METRICS, Metric, SampledOptions


def exact_w1(a: torch.Tensor, b: torch.Tensor) -> float:
    """Earth mover's distance between two equal-weight point clouds (POT's exact solver)."""
    # deferred: POT imports scikit-learn and its Bregman solvers (~1 s); `validate` and
    # `list` load this module (the metric registry) but never score a trial
    import ot

    x, y = a.detach().double().cpu().numpy(), b.detach().double().cpu().numpy()
    cost = ot.dist(x.reshape(len(x), -1), y.reshape(len(y), -1), metric="euclidean")
    weights = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
    return float(ot.emd2(*weights, cost, numItermax=10_000_000))


def mode_std(options: Any) -> float:
    """Per-mode standard deviation in training units."""
    return options.std / options.scale


class ToyOptions(SampledOptions):
    samples: int = 2000


@METRICS.register("toy_fit")
class ToyFit(Metric):
    Options = ToyOptions
    columns = {
        "w1": Column(
            "exact W1 between generated and real samples (POT emd2)",
            better="lower",
            role="quality",
            rank=2,
        ),
        "modes_covered": Column(
            "mixture modes holding >= 1 % of samples within 3 std",
            better="higher",
            role="diversity",
        ),
        "modes_nearest": Column(
            "mixture modes holding >= 1 % of samples, each sample at its nearest centre"
            " within half the smallest distance between centres: off-centre clusters"
            " count, missing modes do not (collapse, not precision)",
            better="higher",
            role="diversity",
        ),
        "modes_dense": Column(
            "mixture modes whose disc of radius min(10 std, a quarter of the smallest"
            " distance between centres) holds >= 0.5 / K of the samples and >= 3/4 of"
            " those within twice that radius: off-centre clusters count, a diffuse fit"
            " (one Gaussian, uniform noise) does not (collapse vs no fit)",
            better="higher",
            role="diversity",
        ),
        "modes_dense_rNN": Column(
            "modes_dense's count at a radius of NN std (01 .. 16; capped at 0.8 x half the"
            " smallest distance between centres, the 2r disc counting only samples nearest"
            " the centre), a mode covered at one radius counting at every larger one:"
            " the coverage profile over the radius; modes_dense_r10 is modes_dense",
            better="higher",
            role="diversity",
        ),
        "modes_dense_auc": Column(
            "mean of modes_dense_r01 .. modes_dense_r16, in modes: the area under the"
            " coverage profile, falling gradually as the clusters widen (no cliff at"
            " one radius)",
            better="higher",
            role="diversity",
        ),
        "modes_total": Column("modes of the mixture", role="count"),
        "high_quality_frac": Column(
            "share of samples within 3 std of some mode", better="higher", role="quality"
        ),
        "toy_fit_samples": Column("generated samples W1 and the modes used", role="count"),
    }

    @staticmethod
    def check(config, options) -> None:
        if len(config.data_shape) != 1:
            raise ValueError(f"needs low-dimensional data, got shape {config.data_shape}")

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        fake = ctx.fake(options.samples)
        row = {"w1": exact_w1(fake, ctx.real(options.n_real)), "toy_fit_samples": options.samples}
        centres = DATASETS.get(ctx.config.data.name).centres(ctx.config.data)
        if centres is not None:
            row.update(mode_coverage(fake.cpu(), centres, mode_std(ctx.config.data)))
        return row
