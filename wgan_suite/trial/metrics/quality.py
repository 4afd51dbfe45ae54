"""Image quality and diversity in a small classifier's features (the CPU proxy), and
the Stacked MNIST mode count (1,000 modes, Metz et al. 2017 / VEEGAN).

Precision and recall (Kynkäänniemi et al. 2019, k-NN manifolds with k = 3) separate
what FID mixes: precision is the share of generated samples inside the real manifold
(fidelity), recall the share of real samples inside the generated one (coverage, low
under mode collapse). torch-fidelity computes them (``prc_features_to_metric``); the
proxy applies its function to the classifier's features.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from wgan_suite.core.columns import Column
from wgan_suite.trial.metrics.classifier import classifier_for, has_labels
from wgan_suite.trial.metrics.registry import METRICS, Metric, SampledOptions

DIVERSITY_PAIRS = 500  # samples whose pairwise distances estimate diversity
NEIGHBOURHOOD = 3  # k of the k-NN manifold (Kynkäänniemi et al. 2019; torch-fidelity's default)


def frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance of Gaussians fitted to two feature sets (torch-fidelity's formula)."""
    # deferred: torch_fidelity imports torchvision (~3.5 s), which `validate` and `list`
    # (they load the metric registry) never use
    from torch_fidelity import KEY_METRIC_FID
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

    sa, sb = (fid_features_to_statistics(x.detach().double().cpu()) for x in (a, b))
    return fid_statistics_to_metric(sa, sb, verbose=False)[KEY_METRIC_FID]


def precision_recall(fake: torch.Tensor, real: torch.Tensor, k: int = NEIGHBOURHOOD) -> tuple:
    """(precision, recall) of generated vs real features by torch-fidelity's k-NN estimate."""
    # deferred: torch_fidelity imports torchvision (~3.5 s); see frechet
    from torch_fidelity.metric_prc import (
        KEY_METRIC_PRECISION,
        KEY_METRIC_RECALL,
        prc_features_to_metric,
    )

    out = prc_features_to_metric(
        fake.detach().double().cpu(),
        real.detach().double().cpu(),
        prc_neighborhood=k,
        save_cpu_ram=True,
        verbose=False,
    )
    return out[KEY_METRIC_PRECISION], out[KEY_METRIC_RECALL]


def mean_pairwise(x: torch.Tensor) -> float:
    return float(torch.pdist(x[:DIVERSITY_PAIRS].double()).mean())


def _labelled(config) -> None:
    if not has_labels(config.data):
        raise ValueError(
            f"needs a labelled dataset (mnist, fashion_mnist, cifar10, stacked_mnist) to "
            f"train its classifier, got '{config.data.name}'"
        )


# The classifier is trained once per machine (wgan_suite.trial.metrics.classifier): its weights
# file's
# hash goes with every score made in its features, so scores from different networks, on
# different quality scales, can be told apart (trials table; a registration pins it).
CLASSIFIER_SHA = Column(
    "SHA-256 of the classifier's weights file whose features or predictions made the scores"
)


class ProxyOptions(SampledOptions):
    samples: int = 1000


@METRICS.register("fd_classifier")
class FDClassifier(Metric):
    Options = ProxyOptions
    columns = {
        "fd_classifier": Column(
            "Fréchet distance in a small classifier's features (CPU proxy, not FID)",
            better="lower",
            role="quality",
            rank=1,
        ),
        "diversity_ratio": Column(
            "mean pairwise feature distance, generated / real (<< 1: collapse)",
            better="higher",
            role="diversity",
        ),
        "precision_classifier": Column(
            "share of generated samples inside the real k-NN manifold (k = 3) in the "
            "classifier's features (Kynkäänniemi et al. 2019)",
            better="higher",
            role="quality",
        ),
        "recall_classifier": Column(
            "share of real samples inside the generated k-NN manifold (k = 3) in the "
            "classifier's features (low: modes dropped)",
            better="higher",
            role="diversity",
        ),
        "classifier_accuracy": Column("held-out accuracy of that classifier"),
        "fd_classifier_samples": Column("generated samples the proxy used", role="count"),
        "classifier_sha256": CLASSIFIER_SHA,
    }

    @staticmethod
    def check(config, options) -> None:
        _labelled(config)

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        clf = classifier_for(ctx.config.data)
        key = ("fd_classifier_real", options.n_real)
        if key not in ctx.memo:
            ctx.memo[key] = clf.features(ctx.real(options.n_real))
        real = ctx.memo[key]
        fake = clf.features(ctx.fake(options.samples))
        precision, recall = precision_recall(fake, real)
        return {
            "fd_classifier": frechet(fake, real),
            "diversity_ratio": mean_pairwise(fake) / mean_pairwise(real),
            "precision_classifier": precision,
            "recall_classifier": recall,
            "classifier_accuracy": clf.accuracy,
            "fd_classifier_samples": options.samples,
            "classifier_sha256": clf.sha256,
        }


class StackedOptions(SampledOptions):
    samples: int = 10000


@METRICS.register("stacked_modes")
class StackedModes(Metric):
    Options = StackedOptions
    columns = {
        "stacked_modes": Column(
            "Stacked MNIST modes (of 1,000) with at least one generated sample",
            better="higher",
            role="diversity",
        ),
        "stacked_kl": Column(
            "KL(generated mode histogram || uniform over 1,000 modes)",
            better="lower",
            role="diversity",
        ),
        "stacked_modes_samples": Column("generated samples classified", role="count"),
        "classifier_sha256": CLASSIFIER_SHA,
    }

    @staticmethod
    def check(config, options) -> None:
        if config.data.name != "stacked_mnist":
            raise ValueError(f"needs data 'stacked_mnist', got '{config.data.name}'")

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        clf = classifier_for(ctx.config.data)
        modes = clf.predict(ctx.fake(options.samples)).cpu()
        return {
            **mode_histogram_stats(modes, 1000),
            "stacked_modes_samples": options.samples,
            "classifier_sha256": clf.sha256,
        }


def mode_histogram_stats(modes: torch.Tensor, n_modes: int) -> dict[str, float]:
    """Modes hit, and KL divergence of the empirical mode distribution to uniform."""
    counts = torch.bincount(modes, minlength=n_modes).double()
    p = counts / counts.sum()
    nz = p > 0
    kl = float((p[nz] * (p[nz] * n_modes).log()).sum())
    return {"stacked_modes": float(nz.sum()), "stacked_kl": kl if math.isfinite(kl) else math.nan}
