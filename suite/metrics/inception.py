"""FID, KID and IS through torch-fidelity, on generated samples vs the dataset's images.

The generated set is a uint8 dataset made by the suite (train-mode generator, fixed
latent codes, grey images repeated to RGB); the real set's features are cached by
torch-fidelity under a name that hashes the data options, the number of images and
the weights' SHA-256, so they are computed once per (dataset, split, size, n, weights).
Every score carries the SHA-256 of the weights file and the sample counts it used.
"""

from __future__ import annotations

from typing import Any

import torch
import torch_fidelity
from pydantic import Field
from torch.utils.data import Dataset

from suite.metrics.cache import cache_dir, key_of, locked
from suite.metrics.context import to_uint8
from suite.metrics.inception_weights import WeightsUnavailable, resolve
from suite.metrics.registry import METRICS, SampledOptions, is_image
from suite.seeding import stream_seed

KID_SUBSET = 1000  # torch-fidelity's default; smaller sets use all their samples


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
    """The cache name of a dataset's real features: data options, count and weights."""
    return f"wgan-suite-real-{data.name}-{key_of(data.model_dump(mode='json'), n, sha256)}"


def score_images(
    fake: Dataset,
    real: Dataset,
    real_name: str,
    weights,
    *,
    cuda: bool,
    batch_size: int = 100,
    seed: int = 2020,
    **flags: bool,
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
        feature_extractor_weights_path=str(weights.path),
        kid_subset_size=min(KID_SUBSET, len(fake), len(real)),
        isc_splits=min(10, len(fake)),
        rng_seed=seed,
        save_cpu_ram=True,
        verbose=False,
        **flags,
    )
    if root.exists() and any(root.glob(f"{real_name}-*")):
        return torch_fidelity.calculate_metrics(**kwargs)
    with locked(root / real_name):
        return torch_fidelity.calculate_metrics(**kwargs)


def fidelity(ctx, options, weights, **flags: bool) -> dict[str, Any]:
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


def _fid_kid(ctx) -> dict[str, Any]:
    """FID and KID from one pass when the config asks for both (same samples, weights)."""
    memo = ctx.checkpoint_memo
    if "fid_kid" not in memo:
        specs = {s.name: s for s in ctx.config.metrics if s.name in ("fid", "kid")}
        options = specs.get("fid") or specs["kid"]
        weights = resolve(options.weights, need_logits=False)
        out = fidelity(ctx, options, weights, fid="fid" in specs, kid="kid" in specs)
        row: dict[str, Any] = {"inception_sha256": weights.sha256}
        if "fid" in specs:
            row.update(
                fid=out[torch_fidelity.KEY_METRIC_FID],
                fid_samples=options.samples,
                fid_real_samples=options.n_real,
            )
        if "kid" in specs:
            row.update(
                kid=out[torch_fidelity.KEY_METRIC_KID_MEAN],
                kid_std=out[torch_fidelity.KEY_METRIC_KID_STD],
                kid_samples=options.samples,
                kid_subset_size=min(KID_SUBSET, options.samples, options.n_real),
            )
        memo["fid_kid"] = row
    return memo["fid_kid"]


def _fid_kid_check(config, options) -> None:
    _check(config, options)
    specs = [s for s in config.metrics if s.name in ("fid", "kid")]
    if len({(s.samples, s.n_real, s.weights, s.at) for s in specs}) > 1:
        raise ValueError("fid and kid share one Inception pass: give them the same options")


@METRICS.register("fid")
class FID:
    Options = InceptionOptions
    columns = {
        "fid": "Fréchet Inception Distance (torch-fidelity), lower is better",
        "fid_samples": "generated samples FID used",
        "inception_sha256": "SHA-256 of the Inception weights file",
    }
    check = staticmethod(_fid_kid_check)

    @staticmethod
    def compute(ctx, options) -> dict[str, Any]:
        return _fid_kid(ctx)


@METRICS.register("kid")
class KID(FID):
    """Computed in FID's Inception pass when both are asked for."""

    columns = {
        "kid": "Kernel Inception Distance (torch-fidelity), mean over subsets",
        "kid_std": "its standard deviation over subsets",
    }


@METRICS.register("is")
class InceptionScore:
    Options = InceptionOptions
    columns = {
        "is": "Inception Score (torch-fidelity, 10 splits), higher is better",
        "is_std": "its standard deviation over splits",
        "is_unavailable": "why IS was not computed (weights without the logits layer)",
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
            "is": out[torch_fidelity.KEY_METRIC_ISC_MEAN],
            "is_std": out[torch_fidelity.KEY_METRIC_ISC_STD],
            "is_samples": options.samples,
            "is_sha256": weights.sha256,
        }
