"""Streaming sources for image sets too big for memory (LSUN: about 3M bedrooms).

A DataLoader decodes images in worker processes; the main process only picks the
indices. Batch ``k`` of a trial is drawn from a generator seeded by (seed, k), so a
source resumed from ``state_dict`` (which stores ``k``) yields exactly the batches
the interrupted run would have, however far the workers had prefetched. The
authors shuffled epochs (DataLoader(shuffle=True), main.py); uniform draws with
replacement are what the in-memory sources do, so both kinds sample alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import torch
from PIL import Image
from pydantic import Field
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from wgan_suite.trial.data.base import ImageOptions, Source, TensorSource, to_float
from wgan_suite.trial.data.images import scale_center_crop

log = logging.getLogger("wgan_suite.trial.data")

MEMORY_LIMIT = 512 * 2**20  # in_memory=None loads a set whose uint8 tensor is smaller
LOAD_BATCH = 256  # images decoded per DataLoader batch when loading a set into memory


class StreamOptions(ImageOptions):
    in_memory: bool | None = Field(
        None, description=f"None: load into memory when the uint8 set is < {MEMORY_LIMIT} bytes"
    )
    workers: int = Field(2, ge=0, description="DataLoader decoding processes (0: in-process)")


class EncodedImages(Dataset):
    """Map-style set of encoded images; item ``i`` is uint8 (C, S, S), Scale + CenterCrop."""

    def __init__(self, size: int, channels: int) -> None:
        self.size = size
        self.channels = channels

    def open(self, index: int) -> Image.Image:
        raise NotImplementedError

    def name(self, index: int) -> str:
        return f"item {index}"

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Tensor:
        try:
            with self.open(index) as image:
                return scale_center_crop(image, self.size, self.channels)
        except (OSError, ValueError) as err:
            raise OSError(f"cannot decode {self.name(index)}: {err}") from err


def batch_indices(size: int, batch_size: int, seed: int, k: int) -> Tensor:
    """Indices of batch ``k``: uniform with replacement, from a generator seeded by (seed, k)."""
    mixed = np.random.SeedSequence((seed, k)).generate_state(1, dtype=np.uint64)[0]
    g = torch.Generator().manual_seed(int(mixed))
    return torch.randint(size, (batch_size,), generator=g)


class BatchIndexSampler:
    """An endless batch sampler starting at batch ``start``."""

    def __init__(self, size: int, batch_size: int, seed: int, start: int) -> None:
        self.size, self.batch_size, self.seed, self.start = size, batch_size, seed, start

    def __iter__(self) -> Iterator[list[int]]:
        k = self.start
        while True:
            yield batch_indices(self.size, self.batch_size, self.seed, k).tolist()
            k += 1


class StreamSource(Source):
    """Batches decoded by DataLoader workers; ``sample(n)`` needs n == batch_size.

    The iterator persists across calls (workers stay up); it is rebuilt after
    ``load_state_dict``. State: the seed and the number of batches handed out.
    """

    def __init__(
        self, dataset: Dataset, *, device, seed: int, batch_size: int, workers: int = 2
    ) -> None:
        super().__init__(device, seed)
        if len(dataset) == 0:
            raise ValueError("dataset is empty")
        if batch_size < 1:
            raise ValueError(f"a streaming source needs batch_size >= 1, got {batch_size}")
        self.dataset, self.seed, self.batch_size, self.workers = dataset, seed, batch_size, workers
        self.batches = 0
        self.shape = tuple(dataset[0].shape)
        self._iterator: Iterator[Tensor] | None = None

    def __len__(self) -> int:
        return len(self.dataset)

    def _loader(self) -> DataLoader:
        sampler = BatchIndexSampler(len(self.dataset), self.batch_size, self.seed, self.batches)
        return DataLoader(
            self.dataset,
            batch_sampler=sampler,
            num_workers=self.workers,
            pin_memory=self.device.type == "cuda",
        )

    def sample(self, n: int) -> Tensor:
        if n != self.batch_size:
            raise ValueError(
                f"a streaming source hands out batches of its batch_size ({self.batch_size}), "
                f"asked for {n}"
            )
        if self._iterator is None:
            self._iterator = iter(self._loader())
        batch = next(self._iterator)
        self.batches += 1
        return to_float(batch.to(self.device, non_blocking=True))

    def reseed(self, seed: int) -> None:
        self.seed, self.batches = seed, 0
        self.close()

    def close(self) -> None:
        """Stop the workers (a later ``sample`` starts them again)."""
        self._iterator = None

    def state_dict(self) -> dict[str, Tensor]:
        return {"seed": torch.tensor(self.seed), "batches": torch.tensor(self.batches)}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        self.seed, self.batches = int(state["seed"]), int(state["batches"])
        self.close()


def load_all(dataset: Dataset, workers: int) -> Tensor:
    """Decode every item in order into one uint8 tensor, ``workers`` processes at a time."""
    loader = DataLoader(dataset, batch_size=LOAD_BATCH, shuffle=False, num_workers=workers)
    return torch.cat(list(loader)) if len(dataset) else torch.empty(0, dtype=torch.uint8)


def decoded_source(
    dataset: EncodedImages, options: StreamOptions, *, device, seed: int, batch_size: int
) -> Source:
    """In memory (a TensorSource) or streamed, as ``options.in_memory`` says (None: by size)."""
    nbytes = len(dataset) * options.channels * options.image_size**2
    in_memory = options.in_memory if options.in_memory is not None else nbytes < MEMORY_LIMIT
    log.info(
        "%d images, %.1f MiB as uint8: %s",
        len(dataset),
        nbytes / 2**20,
        "loading into memory" if in_memory else "streaming",
    )
    if in_memory:
        return TensorSource(load_all(dataset, options.workers), device, seed)
    return StreamSource(
        dataset, device=device, seed=seed, batch_size=batch_size, workers=options.workers
    )
