"""Dataset registry and the sampling sources a trial draws real batches from.

A registry entry is a class with an ``Options`` model, a ``shape_of(options)``
classmethod (the per-sample shape, known without loading anything) and a
constructor ``entry(options, device=..., seed=..., batch_size=...)`` returning a
``Source``. Sources hand out float batches in [-1, 1] on the training device,
drawn with a ``torch.Generator`` seeded from the trial seed. Small datasets are a
uint8 tensor on the device sampled there (no DataLoader in the inner loop);
large ones stream (``suite.data.stream``).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field
from torch import Tensor

from suite.options import Options
from suite.registry import Registry

DATASETS: Registry[Any] = Registry("dataset")


class ImageOptions(Options):
    root: str | None = Field(None, description="directory with the dataset's files; None: look-up")
    image_size: int = Field(32, ge=4, description="images are resized to image_size x image_size")
    channels: Literal[1, 3] = Field(1, description="1: grey (luminance), 3: RGB (grey replicated)")
    split: Literal["train", "test"] = "train"
    limit: int | None = Field(None, gt=0, description="use only the first `limit` images")


class Source:
    """Draws batches of real samples; its RNG state travels with checkpoints."""

    shape: tuple[int, ...]

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
    return DATASETS.get(options.name)(options, device=device, seed=seed, batch_size=batch_size)


def data_shape(options: Any) -> tuple[int, ...]:
    return tuple(DATASETS.get(options.name).shape_of(options))
