"""Architecture registries and the seeded builders used by every trial."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry


class Network(nn.Module):
    """What generator and critic entries share: options, and a shape check at config time."""

    Options: ClassVar[type[Options]] = Options

    @staticmethod
    def check_shape(data_shape: tuple[int, ...]) -> None:
        """Raise ValueError when the network cannot be built for data of this shape
        (checked when the config is validated, before anything trains)."""

    @classmethod
    def size_key(cls, options: Any) -> Any:
        """What decides the network's size (parameters, activations) for given shapes, as
        plain JSON values: by default every option but ``init``. Validation builds one
        network per distinct key on the meta device (``footprint``); an entry whose options
        draw the architecture returns the draw, so that equal draws are built once."""
        return {k: v for k, v in options.model_dump(mode="json").items() if k != "init"}


class Generator(Network):
    """Latent codes (N, nz) -> samples of the data's shape.

    Built as ``entry(options, data_shape, nz)`` under the trial's init seed.
    """

    def forward(self, z: Tensor) -> Tensor:
        raise NotImplementedError


class Critic(Network):
    """Samples -> one unbounded score per sample (N,); GAN losses read it as a logit.

    Built as ``entry(options, data_shape)`` under the trial's init seed.
    """

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError


GENERATORS: Registry[type[Generator]] = Registry("generator", Generator)
CRITICS: Registry[type[Critic]] = Registry("critic", Critic)


def _build(registry: Registry[Any], options: Any, seed: int, **kwargs: Any) -> nn.Module:
    """Construct and initialise under a private RNG so the trial seed alone fixes the weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return registry.get(options.name)(options, **kwargs)


def build_generator(options: Any, data_shape: tuple[int, ...], nz: int, seed: int) -> nn.Module:
    return _build(GENERATORS, options, seed, data_shape=data_shape, nz=nz)


def build_critic(options: Any, data_shape: tuple[int, ...], seed: int) -> nn.Module:
    return _build(CRITICS, options, seed, data_shape=data_shape)
