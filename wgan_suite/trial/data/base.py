"""Dataset registry and the sampling sources a trial draws real batches from.

A registry entry is a ``Source`` subclass (the contract, defaults included): an
``Options`` model, ``shape_of(options)`` (the per-sample shape, known without loading
anything), ``build(options, device=..., seed=..., batch_size=...)`` returning the
``Source`` a trial draws from (by default the entry itself; large sets return a
streaming source), ``check(options, fetch)`` (is the data on this machine?) and, for
mixtures, ``centres(options)``. Sources hand out float batches in [-1, 1] on the training device,
drawn with a ``torch.Generator`` seeded from the trial seed. Small datasets are a
uint8 tensor on the device sampled there (no DataLoader in the inner loop);
large ones stream (``wgan_suite.trial.data.stream``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor

from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry


class ImageOptions(Options):
    root: str | None = Field(None, description="directory with the dataset's files; None: look-up")
    image_size: int = Field(32, ge=4, description="images are resized to image_size x image_size")
    channels: Literal[1, 3] = Field(1, description="1: grey (luminance), 3: RGB (grey replicated)")
    split: Literal["train", "test"] = "train"
    limit: int | None = Field(None, gt=0, description="use only the first `limit` images")

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)


class Source:
    """Draws batches of real samples; its RNG state travels with checkpoints.

    Also the contract of a dataset entry (the classmethods below, with their defaults).
    """

    Options: ClassVar[type[Options]] = Options
    shape: tuple[int, ...]

    @classmethod
    def build(cls, options: Any, *, device: torch.device | str, seed: int, batch_size: int):
        """The source a trial draws from; by default the entry itself."""
        return cls(options, device=device, seed=seed, batch_size=batch_size)

    @classmethod
    def shape_of(cls, options: Any) -> tuple[int, ...]:
        """The per-sample shape, known without loading anything; by default the options'
        own ``shape`` (image options: channels, size, size)."""
        return tuple(options.shape)

    @classmethod
    def check(cls, options: Any, fetch: bool) -> None:
        """Raise ``wgan_suite.trial.data.presence.DataMissing`` (with the fix) when the data is not
        on
        this machine and cannot be fetched; default: nothing to check (generated data)."""

    @staticmethod
    def centres(options: Any) -> Tensor | None:
        """Mode centres of a mixture (in training units), for mode coverage; None: none."""
        return None

    def __init__(self, device: torch.device | str, seed: int) -> None:
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)

    def sample(self, n: int) -> Tensor:
        raise NotImplementedError

    def reseed(self, seed: int) -> None:
        """Restart the draws from ``seed`` (evaluation draws depend on where, not on history)."""
        self.generator.manual_seed(seed)

    def state_dict(self) -> dict[str, Tensor]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        self.generator.set_state(state["generator"])


DATASETS: Registry[type[Source]] = Registry("dataset", Source)


class TensorSource(Source):
    """A dataset held on the device; batches are drawn uniformly with replacement.

    uint8 images (N, C, H, W) are mapped to [-1, 1] on the fly (x / 127.5 - 1, the
    authors' Normalize(0.5, 0.5)); float data is returned as is.
    """

    def __init__(self, data: Tensor, device: torch.device | str, seed: int) -> None:
        super().__init__(device, seed)
        if len(data) == 0:
            raise ValueError("dataset is empty")
        self.data = data.to(self.device)
        self.shape = tuple(data.shape[1:])

    def __len__(self) -> int:
        return len(self.data)

    def sample(self, n: int) -> Tensor:
        idx = torch.randint(len(self.data), (n,), generator=self.generator, device=self.device)
        return to_float(self.data[idx])


def to_float(batch: Tensor) -> Tensor:
    """uint8 in [0, 255] -> float32 in [-1, 1]; float data passes through.

    The authors' Normalize(0.5, 0.5) of ToTensor's x / 255; ``to_uint8`` is its inverse.
    """
    if batch.dtype == torch.uint8:
        return batch.float().div_(127.5).sub_(1.0)
    return batch.float()


def to_uint8(x: Tensor) -> Tensor:
    """Floats in [-1, 1] -> uint8 in [0, 255], rounded, out-of-range values clamped.

    The inverse of ``to_float`` (``to_uint8(to_float(u)) == u`` for every uint8 u): the
    one conversion that saved images, sample grids and every image metric go through.
    """
    return ((x.float() + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


def build_source(options: Any, device: torch.device | str, seed: int, batch_size: int) -> Source:
    return DATASETS.get(options.name).build(
        options, device=device, seed=seed, batch_size=batch_size
    )


def data_shape(options: Any) -> tuple[int, ...]:
    return tuple(DATASETS.get(options.name).shape_of(options))
