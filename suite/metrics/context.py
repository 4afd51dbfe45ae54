"""What a metric sees at a checkpoint: the trial's networks and its own random streams.

Evaluation must never change training: it draws real data from a second source
and latent codes from streams of its own (so a trial scores the same with or
without metrics up to that point, and resumes bit-identically), and the networks'
buffers (BatchNorm statistics) are restored afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

from suite.data import build_source
from suite.data.base import TensorSource
from suite.seeding import stream_seed, torch_generator


@contextmanager
def frozen_buffers(*modules: nn.Module):
    saved = [{k: v.clone() for k, v in m.named_buffers()} for m in modules]
    try:
        yield
    finally:
        for m, buffers in zip(modules, saved, strict=True):
            for k, v in m.named_buffers():
                v.copy_(buffers[k])


def to_uint8(x: Tensor) -> Tensor:
    """[-1, 1] floats -> uint8 images, the inverse of the loaders' x / 127.5 - 1."""
    return ((x.float() + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


class EvalContext:
    """Lazily built per trial, reused at every checkpoint (real data stays loaded)."""

    def __init__(self, state: Any) -> None:
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
        if self._source is None:
            seed = stream_seed(self.config.seed, "eval_real")
            self._source = build_source(
                self.config.data, device=self.device, seed=seed, batch_size=self.config.batch_size
            )
        return self._source

    def new_checkpoint(self) -> None:
        self._fake.clear()
        self.checkpoint_memo.clear()

    def real(self, n: int) -> Tensor:
        """n real samples in [-1, 1]; without replacement when the set is held in memory.

        The same n gives the same samples at every checkpoint of the trial.
        """
        if n not in self._real:
            src = self.source
            if isinstance(src, TensorSource) and n <= len(src):
                g = torch_generator(self.config.seed, f"eval_real_pick_{n}")
                idx = torch.randperm(len(src), generator=g)[:n].to(src.data.device)
                self._real[n] = _float(src.data[idx])
            else:
                self._real[n] = torch.cat(list(_chunks(src.sample, n, self.config.batch_size)))
        return self._real[n]

    def real_batch(self, n: int) -> Tensor:
        """A fresh real batch (for critic evaluations averaged over batches)."""
        return self.source.sample(n)

    @torch.no_grad()
    def fake(self, n: int) -> Tensor:
        """n generated samples from fixed latent codes, made in training-size batches
        with the generator in train mode, as the sample grids are (authors' practice)."""
        if n not in self._fake:
            g = torch_generator(self.config.seed, "eval_noise", "cpu")
            z = torch.randn(n, self.config.nz, generator=g).to(self.device)
            gen = self.state.generator
            with frozen_buffers(gen):
                parts = [gen(chunk) for chunk in z.split(self.config.batch_size)]
            self._fake[n] = torch.cat(parts)
        return self._fake[n]

    def fake_batch(self, n: int, stream: torch.Generator) -> Tensor:
        z = torch.randn(n, self.config.nz, generator=stream, device=self.device)
        with torch.no_grad():
            return self.state.generator(z)


def _float(x: Tensor) -> Tensor:
    return x.float() / 127.5 - 1 if x.dtype == torch.uint8 else x.float()


def _chunks(sample, n: int, size: int):
    done = 0
    while done < n:
        k = min(size, n - done)
        yield sample(k)
        done += k
