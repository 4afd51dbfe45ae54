"""Architecture registries and the seeded builders used by every trial."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from suite.registry import Registry

GENERATORS: Registry[Any] = Registry("generator")
CRITICS: Registry[Any] = Registry("critic")


def _build(registry: Registry[Any], options: Any, seed: int, **kwargs: Any) -> nn.Module:
    """Construct and initialise under a private RNG so the trial seed alone fixes the weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return registry.get(options.name)(options, **kwargs)


def build_generator(options: Any, data_shape: tuple[int, ...], nz: int, seed: int) -> nn.Module:
    return _build(GENERATORS, options, seed, data_shape=data_shape, nz=nz)


def build_critic(options: Any, data_shape: tuple[int, ...], seed: int) -> nn.Module:
    return _build(CRITICS, options, seed, data_shape=data_shape)
