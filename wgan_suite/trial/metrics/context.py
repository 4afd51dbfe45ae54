"""What a metric sees at a checkpoint: the trial's networks and its own random streams.

Evaluation must never change training: it draws real data from a second source
and latent codes from streams of its own (so a trial scores the same with or
without metrics up to that point, and resumes bit-identically), and the networks'
buffers (BatchNorm statistics) are restored afterwards.

Two kinds of real data, drawn differently:
* the reference set (``real``) behind cached statistics (FID's real features, the
  classifier's, exact W1's point cloud) comes from one fixed stream, the same for
  every trial, so a cache entry never depends on which trial computed it first;
* fresh batches (``real_batch``) for critic evaluations come from the trial's seed
  and the checkpoint's iteration, so they are the same after a resume.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import Tensor, nn

from wgan_suite.core.seeding import stream_seed, torch_generator
from wgan_suite.trial.data import build_source
from wgan_suite.trial.data.base import TensorSource, to_float, to_uint8
from wgan_suite.trial.metrics.registry import is_image

if TYPE_CHECKING:
    from wgan_suite.trial.losses import Loss

# The stream of the reference set; its name is part of every real-statistics cache key.
REFERENCE = "reference-v1"


class RunSettings(Protocol):
    """What metrics read of a trial's config (``wgan_suite.trial.config.TrialConfig``
    satisfies it). Named here rather than imported: the config module validates metrics
    through their registry, so importing it back would close a circle."""

    seed: int
    data: Any  # the dataset's options (one of wgan_suite.trial.data.DATASETS)
    nz: int
    batch_size: int
    metrics: list[Any]  # the metrics' options (one of METRICS each)

    @property
    def data_shape(self) -> tuple[int, ...]: ...


class TrainingView(Protocol):
    """What metrics may read of a trial's training state (``wgan_suite.trial.train.TrainState``
    satisfies it); read-only by contract: evaluation never changes training."""

    config: RunSettings
    device: torch.device
    generator: nn.Module
    critic: nn.Module
    loss: type[Loss]
    iteration: int


@contextmanager
def frozen_buffers(*modules: nn.Module):
    saved = [{k: v.clone() for k, v in m.named_buffers()} for m in modules]
    try:
        yield
    finally:
        for m, buffers in zip(modules, saved, strict=True):
            for k, v in m.named_buffers():
                v.copy_(buffers[k])


def quantized(x: Tensor) -> Tensor:
    """Images as every image metric sees them: clamped to [-1, 1] and rounded to the
    256 levels a saved image has (the FID input's uint8 round trip)."""
    return to_float(to_uint8(x))


class EvalContext:
    """Lazily built per trial, reused at every checkpoint (real data stays loaded)."""

    def __init__(self, state: TrainingView) -> None:
        self.state = state
        self.config = state.config
        self.device = state.device
        self._source = None
        self._real: dict[int, Tensor] = {}
        self._fake: dict[int, Tensor] = {}
        self.memo: dict[Any, Any] = {}  # per-trial values a metric reuses (real features)
        self.checkpoint_memo: dict[Any, Any] = {}  # values shared by metrics at one checkpoint

    @property
    def source(self):
        """The evaluation copy of the data, built from the reference seed (a data set that
        is made from its seed, like 25gaussians, is then the same for every trial)."""
        if self._source is None:
            self._source = build_source(
                self.config.data,
                device=self.device,
                seed=stream_seed(0, REFERENCE),
                batch_size=self.config.batch_size,
            )
            self._source.reseed(self.checkpoint_seed("eval_real"))
        return self._source

    def checkpoint_seed(self, name: str) -> int:
        """A seed for stream ``name`` at this checkpoint: trial seed and iteration."""
        return stream_seed(self.config.seed, f"{name}@{self.state.iteration}")

    def new_checkpoint(self) -> None:
        self._fake.clear()
        self.checkpoint_memo.clear()
        if self._source is not None:
            self._source.reseed(self.checkpoint_seed("eval_real"))

    def real(self, n: int) -> Tensor:
        """n reference samples in [-1, 1], the same for every trial of this data config;
        without replacement when the set is held in memory."""
        if n not in self._real:
            src = self.source
            if isinstance(src, TensorSource) and n <= len(src):
                g = torch_generator(0, f"{REFERENCE}_pick_{n}")
                idx = torch.randperm(len(src), generator=g)[:n].to(src.data.device)
                self._real[n] = to_float(src.data[idx])
            else:
                self._real[n] = _reference_draw(src, n, self.config.batch_size)
        return self._real[n]

    def real_batch(self, n: int) -> Tensor:
        """A fresh real batch (for critic evaluations averaged over batches)."""
        return self.source.sample(n)

    @torch.no_grad()
    def fake(self, n: int) -> Tensor:
        """n generated samples from fixed latent codes, made in training-size batches
        with the generator in train mode, as the sample grids are (authors' practice).
        Images are ``quantized``: every image metric scores what a saved image shows."""
        if n not in self._fake:
            g = torch_generator(self.config.seed, "eval_noise", "cpu")
            z = torch.randn(n, self.config.nz, generator=g).to(self.device)
            gen = self.state.generator
            with frozen_buffers(gen):
                x = torch.cat([gen(chunk) for chunk in z.split(self.config.batch_size)])
            self._fake[n] = quantized(x) if is_image(tuple(x.shape[1:])) else x
        return self._fake[n]

    def fake_batch(self, n: int, stream: torch.Generator) -> Tensor:
        """A generated batch as the critic sees it in training (not quantized)."""
        z = torch.randn(n, self.config.nz, generator=stream, device=self.device)
        with torch.no_grad():
            return self.state.generator(z)


def _reference_draw(src, n: int, batch: int) -> Tensor:
    """n samples of a sampled (not indexable) source from the reference stream, in whole
    batches (streaming sources hand out nothing else); the fresh-batch stream is restored."""
    saved = src.state_dict()
    src.reseed(stream_seed(0, f"{REFERENCE}_draw_{n}"))
    try:
        parts = [src.sample(batch) for _ in range(-(-n // batch))]
    finally:
        src.load_state_dict(saved)
    return torch.cat(parts)[:n]
