"""FID, KID, precision/recall and IS through torch-fidelity, on generated samples vs
the dataset's images.

The generated set is a uint8 dataset made by the suite (train-mode generator, fixed
latent codes, grey images repeated to RGB); the real set is the trial-independent
reference subset (``EvalContext.real``) and its features are cached by torch-fidelity
under a name that hashes the data options, the reference stream, the number of images
and the weights' SHA-256, so they are computed once per (dataset, split, size, n,
weights) and shared by FID, KID and precision/recall. Every score carries the SHA-256
of the weights file and the sample counts it used.
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field
from torch.utils.data import Dataset

from wgan_suite.core.columns import Column
from wgan_suite.core.seeding import stream_seed
from wgan_suite.trial.data.base import to_uint8
from wgan_suite.trial.metrics.cache import cache_dir, key_of, locked
from wgan_suite.trial.metrics.context import REFERENCE
from wgan_suite.trial.metrics.inception_weights import WeightsUnavailable, resolve
from wgan_suite.trial.metrics.registry import METRICS, Metric, SampledOptions, is_image

KID_SUBSET = 1000  # torch-fidelity's default; smaller sets use all their samples
EXTRACTOR = "inception-v3-compat"  # torch-fidelity's TF-Inception port, for every metric here
SHARED = ("fid", "kid", "prc")  # metrics computed in one Inception pass on one sample set


class Images(Dataset):
    """uint8 RGB images for torch-fidelity, materialised only if it needs them
    (a cached real set is never loaded again)."""

    def __init__(self, n: int, make) -> None:
        self.n, self._make, self._x = n, make, None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> torch.Tensor:
        if self._x is None:
            x = to_uint8(self._make()).cpu()
            self._x = x.expand(-1, 3, -1, -1).contiguous() if x.shape[1] == 1 else x
        return self._x[i]


class InceptionOptions(SampledOptions):
    samples: int = 10000
    weights: str | None = Field(None, description="a torch-fidelity InceptionV3 state dict")
    batch_size: int = Field(100, ge=1, description="images per Inception forward pass")


def _check(config, options) -> None:
    if not is_image(config.data_shape):
        raise ValueError(f"needs image data, got shape {config.data_shape}")


def real_name(data: Any, n: int, sha256: str) -> str:
    """The cache name of a dataset's real features: data options, the reference stream
    they were drawn from (the same for every trial), count and weights."""
    key = key_of(data.model_dump(mode="json"), REFERENCE, n, sha256)
    return f"wgan-suite-real-{data.name}-{REFERENCE}-{key}"


def _fidelity():
    """torch-fidelity, imported on first use."""
    # deferred: torch_fidelity imports torchvision.models and torch._dynamo (~3.5 s); the
    # config loads this module (the metric registry) for `validate` and `list`, which never
    # score a sample
    import torch_fidelity

    return torch_fidelity


def score_images(
    fake: Dataset,
    real: Dataset,
    real_name: str,
    weights,
    *,
    cuda: bool,
    batch_size: int = 100,
    seed: int = 2020,
    **flags: Any,
) -> dict[str, Any]:
    """torch_fidelity.calculate_metrics on two uint8 image sets, the real one cached
    under ``real_name`` (the first caller computes its features, others wait)."""
    root = cache_dir() / "fidelity"
    kwargs = dict(
        input1=fake,
        input2=real,
        input2_cache_name=real_name,
        cache_root=str(root),
        cuda=cuda,
        batch_size=batch_size,
        feature_extractor=EXTRACTOR,
        feature_extractor_weights_path=str(weights.path),
        kid_subset_size=min(KID_SUBSET, len(fake), len(real)),
        isc_splits=min(10, len(fake)),
        rng_seed=seed,
        save_cpu_ram=True,
        verbose=False,
        **flags,
    )
    if root.exists() and any(root.glob(f"{real_name}-*")):
        return _fidelity().calculate_metrics(**kwargs)
    with locked(root / real_name):
        return _fidelity().calculate_metrics(**kwargs)


def fidelity(ctx, options, weights, **flags: Any) -> dict[str, Any]:
    """Scores of this checkpoint's generated samples against the dataset's images."""
    n_fake, n_real = options.samples, options.n_real
    return score_images(
        Images(n_fake, lambda: ctx.fake(n_fake)),
        Images(n_real, lambda: ctx.real(n_real)),
        real_name(ctx.config.data, n_real, weights.sha256),
        weights,
        cuda=ctx.device.type == "cuda",
        batch_size=options.batch_size,
        seed=stream_seed(ctx.config.seed, "fidelity") % 2**31,
        **flags,
    )


def _inception_pass(ctx) -> dict[str, Any]:
    """FID, KID and precision/recall from one pass over the same samples, for those of
    them the config asks for (their options are checked to agree)."""
    memo = ctx.checkpoint_memo
    if "inception_pass" not in memo:
        specs = {s.name: s for s in ctx.config.metrics if s.name in SHARED}
        options = next(iter(specs.values()))
        weights = resolve(options.weights, need_logits=False)
        k = specs["prc"].neighborhood if "prc" in specs else 3
        flags = {name: name in specs for name in SHARED}
        out = fidelity(ctx, options, weights, prc_neighborhood=k, **flags)
        row: dict[str, Any] = {"inception_sha256": weights.sha256}
        for name in specs:
            row.update(_COLUMNS_OF[name](out, options))
        memo["inception_pass"] = row
    return memo["inception_pass"]


def _fid_columns(out: dict[str, Any], options: Any) -> dict[str, Any]:
    return {
        "fid": out[_fidelity().KEY_METRIC_FID],
        "fid_samples": options.samples,
        "fid_real_samples": options.n_real,
    }


def _kid_columns(out: dict[str, Any], options: Any) -> dict[str, Any]:
    return {
        "kid": out[_fidelity().KEY_METRIC_KID_MEAN],
        "kid_std": out[_fidelity().KEY_METRIC_KID_STD],
        "kid_samples": options.samples,
        "kid_subset_size": min(KID_SUBSET, options.samples, options.n_real),
    }


def _prc_columns(out: dict[str, Any], options: Any) -> dict[str, Any]:
    return {
        "precision": out[_fidelity().KEY_METRIC_PRECISION],
        "recall": out[_fidelity().KEY_METRIC_RECALL],
        "f_score": out[_fidelity().KEY_METRIC_F_SCORE],
        "prc_samples": options.samples,
    }


_COLUMNS_OF = {"fid": _fid_columns, "kid": _kid_columns, "prc": _prc_columns}


def _shared_check(config, options) -> None:
    _check(config, options)
    specs = [s for s in config.metrics if s.name in SHARED]
    if len({(s.samples, s.n_real, s.weights, s.at) for s in specs}) > 1:
        names = ", ".join(s.name for s in specs)
        raise ValueError(f"{names} share one Inception pass: give them the same options")


def _shared_compute(ctx, options) -> dict[str, Any]:
    return _inception_pass(ctx)


SHA = Column("SHA-256 of the Inception weights file")


@METRICS.register("fid")
class FID(Metric):
    Options = InceptionOptions
    columns = {
        "fid": Column(
            "Fréchet Inception Distance (torch-fidelity)", better="lower", role="quality", rank=0
        ),
        "fid_samples": Column("generated samples FID used", role="count"),
        "fid_real_samples": Column("reference images FID used", role="count"),
        "inception_sha256": SHA,
    }
    check = staticmethod(_shared_check)
    compute = staticmethod(_shared_compute)


@METRICS.register("kid")
class KID(Metric):
    """Computed in FID's Inception pass when both are asked for."""

    Options = InceptionOptions
    columns = {
        "kid": Column(
            "Kernel Inception Distance (torch-fidelity), mean over subsets",
            better="lower",
            role="quality",
            rank=3,
        ),
        "kid_std": Column("its standard deviation over subsets"),
        "kid_samples": Column("generated samples KID used", role="count"),
        "kid_subset_size": Column("samples per KID subset", role="count"),
        "inception_sha256": SHA,
    }
    check = staticmethod(_shared_check)
    compute = staticmethod(_shared_compute)


class PrcOptions(InceptionOptions):
    neighborhood: int = Field(
        3, ge=1, description="k of the k-NN manifolds (Kynkäänniemi et al. 2019: 3)"
    )


@METRICS.register("prc")
class PrecisionRecall(Metric):
    """Improved precision and recall (Kynkäänniemi et al. 2019) by torch-fidelity, on the
    Inception pool features FID uses (torch-fidelity's default VGG16 is a download) and
    the same cached real features. Recall measures diversity without labels (LSUN)."""

    Options = PrcOptions
    columns = {
        "precision": Column(
            "share of generated samples inside the real k-NN manifold (Inception features)",
            better="higher",
            role="quality",
        ),
        "recall": Column(
            "share of real samples inside the generated k-NN manifold (low: modes dropped)",
            better="higher",
            role="diversity",
        ),
        "f_score": Column("harmonic mean of precision and recall", better="higher"),
        "prc_samples": Column("generated samples precision/recall used", role="count"),
        "inception_sha256": SHA,
    }

    @staticmethod
    def check(config, options) -> None:
        _shared_check(config, options)
        if min(options.samples, options.n_real) <= options.neighborhood:
            raise ValueError(
                f"needs more than neighborhood={options.neighborhood} samples on each side"
            )

    compute = staticmethod(_shared_compute)


@METRICS.register("is")
class InceptionScore(Metric):
    Options = InceptionOptions
    columns = {
        "is": Column(
            "Inception Score (torch-fidelity, 10 splits); needs the 1008-way logits",
            better="higher",
            role="quality",
        ),
        "is_std": Column("its standard deviation over splits"),
        "is_unavailable": Column("why IS was not computed (weights without the logits layer)"),
        "is_samples": Column("generated samples IS used", role="count"),
        "is_sha256": Column("SHA-256 of the Inception weights file IS used"),
    }
    check = staticmethod(_check)

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        try:
            weights = resolve(options.weights, need_logits=True)
        except WeightsUnavailable as exc:
            return {"is_unavailable": str(exc)}
        if not weights.has_logits:
            return {
                "is_unavailable": f"the Inception weights ({weights.origin}, sha256 "
                f"{weights.sha256[:12]}) have no 1008-way logits layer; IS needs "
                "torch-fidelity's own file (network, or --inception-weights PATH)"
            }
        out = fidelity(ctx, options, weights, isc=True)
        return {
            "is": out[_fidelity().KEY_METRIC_ISC_MEAN],
            "is_std": out[_fidelity().KEY_METRIC_ISC_STD],
            "is_samples": options.samples,
            "is_sha256": weights.sha256,
        }
