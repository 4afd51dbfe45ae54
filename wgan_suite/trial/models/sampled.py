"""Randomly sampled DCGAN-like nets: WGAN-GP Sec. 5.1 (Tables 1, 2 and 5), scaled down.

WGAN-GP trains 200 architectures drawn at random from Table 1 with the standard GAN
and with WGAN-GP and counts which method trains which. Table 1 has one row per axis
*and per network* (nonlinearity, depth, batch norm, base filter count, each for G and
for D), so G and D are drawn independently. Here an architecture is an index ``arch``;
each choice comes from a private numpy Generator seeded by (arch, network, axis), so
``generator: {name: sampled, arch: 7}`` with ``critic: {name: sampled, arch: 7}`` is
architecture 7 on every machine, whatever the trial seed (which fixes only the weights).

Scaled to two CPU cores (16x16 grey images; 32x32 works with deeper ``depths``):

* ``depths``: conv layers per net, counting the 1x1 -> 4x4 projection in G and the
  4x4 -> score layer in D, as the DCGAN pyramid does. Table 1's {4, 8, 12, 20} at
  32x32 is the 4-layer pyramid plus {0, 4, 8, 16} 3x3 layers; the default
  (3, 4, 5, 7) is the 3-layer 16x16 pyramid plus {0, 1, 2, 4}.
* ``widths``: base filter count (DCGAN's ngf / ndf), Table 1's {32, 64, 128} / 4.
* ``nonlinearities``: Table 1's four, every one of them.
* batch norm in G and a normalisation in D (Table 1: "layer norm for WGAN-GP"),
  each drawn from {on, off}; ``norm_kind`` says which one D uses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import Field
from torch import Tensor, nn
from torch.nn import functional as F

from wgan_suite.core.options import Options
from wgan_suite.trial.models.as_matmul import HeadConv2d, ProjectionConvTranspose2d
from wgan_suite.trial.models.cpu_paths import OutputConvTranspose2d
from wgan_suite.trial.models.dcgan import image_geometry
from wgan_suite.trial.models.init import InitName, apply_init
from wgan_suite.trial.models.registry import CRITICS, GENERATORS, Critic, Generator, Network

Nonlinearity = Literal["relu", "leaky_relu", "softplus", "tanh"]
NormKind = Literal["batch", "layer"]
Role = Literal["generator", "critic"]
ROLES: dict[str, int] = {"generator": 0, "critic": 1}
AXES = ("depth", "nonlinearity", "norm", "width")  # the order fixes each axis's seed
# the options ``draw`` reads: ``size_key`` replaces them by what it drew
DRAW_READS = frozenset({"arch", "depths", "widths", "nonlinearities", "norm_kind"})


class SampledOptions(Options):
    arch: int = Field(ge=0, description="architecture index; every choice is drawn from it")
    depths: tuple[Annotated[int, Field(ge=3)], ...] = Field(
        (3, 4, 5, 7),
        min_length=1,
        description="conv layers per net (Table 1: 4, 8, 12, 20); at least the pyramid's "
        "log2(image_size) - 1, the rest are 3x3 stride-1 layers",
    )
    widths: tuple[Annotated[int, Field(gt=0)], ...] = Field(
        (8, 16, 32), min_length=1, description="base filter count (Table 1: 32, 64, 128)"
    )
    nonlinearities: tuple[Nonlinearity, ...] = Field(
        ("relu", "leaky_relu", "softplus", "tanh"),
        min_length=1,
        description="Table 1's units; softplus means softplus(2x + 2) / 2 - 1",
    )
    init: InitName = "dcgan"


class SampledCriticOptions(SampledOptions):
    norm_kind: NormKind = Field(
        "batch",
        description="the critic's drawn normalisation: batch (standard GAN) or layer "
        "(WGAN-GP, which replaces batch norm by layer norm: Sec. 4, Table 1)",
    )


@dataclass(frozen=True)
class Choices:
    """One network's draw from the Table 1 space."""

    depth: int
    nonlinearity: str
    normalized: bool
    norm_kind: str
    width: int

    @property
    def norm(self) -> str:
        """The normalisation built: "batch", "layer" or "none"."""
        return self.norm_kind if self.normalized else "none"

    def describe(self) -> str:
        short = {"batch": "BN", "layer": "LN"}[self.norm_kind]
        norm = short if self.normalized else f"no {short}"
        return f"depth {self.depth}, {self.nonlinearity}, {norm}, {self.width} filters"


def _pick(arch: int, role: Role, axis: str, values: tuple) -> object:
    """One uniform draw; its own stream per (arch, role, axis), so editing one axis's
    list (or G's lists) never changes what the other axes (or D) draw."""
    rng = np.random.default_rng([arch, ROLES[role], AXES.index(axis)])
    return values[int(rng.integers(len(values)))]


def draw(options: SampledOptions, role: Role) -> Choices:
    """The choices of architecture ``options.arch`` for one network, without building it."""
    a = options.arch
    return Choices(
        depth=_pick(a, role, "depth", options.depths),
        nonlinearity=_pick(a, role, "nonlinearity", options.nonlinearities),
        normalized=_pick(a, role, "norm", (True, False)),
        norm_kind=getattr(options, "norm_kind", "batch"),
        width=_pick(a, role, "width", options.widths),
    )


class ShiftedSoftplus(nn.Module):
    """softplus(2x + 2) / 2 - 1 (Table 1): a smooth ReLU-like unit bounded below by -1."""

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(2 * x + 2) / 2 - 1


def nonlinearity(name: str) -> nn.Module:
    """LeakyReLU slope 0.2 as in DCGAN and the WGAN-GP code."""
    units = {
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.2),
        "softplus": ShiftedSoftplus,
        "tanh": nn.Tanh,
    }
    return units[name]()


def norm_layers(norm: str, channels: int) -> list[nn.Module]:
    """Batch norm, or layer norm over (C, H, W) per sample as GroupNorm(1, C) (WGAN-GP's
    Layernorm in gan_64x64.py is this), or nothing."""
    if norm == "batch":
        return [nn.BatchNorm2d(channels)]
    if norm == "layer":
        return [nn.GroupNorm(1, channels)]
    return []


def extra_layers(depth: int, size: int) -> int:
    """3x3 stride-1 layers beyond the pyramid (log2(size) - 1 conv layers: 3 at 16x16)."""
    pyramid = size.bit_length() - 2
    if depth < pyramid:
        raise ValueError(
            f"depth {depth} is below the {pyramid} conv layers of the {size}x{size} "
            f"pyramid; use depths >= {pyramid} at this image size"
        )
    return depth - pyramid


def generator_layers(nz: int, channels: int, size: int, c: Choices) -> nn.Sequential:
    """DCGAN's G: transposed convs from a 4x4 seed (filters halving to ``width``), the
    extra 3x3 layers at size / 2, a Tanh output. No conv biases, as the authors' DCGAN."""

    def block(conv: nn.Module, out: int) -> list[nn.Module]:
        return [conv, *norm_layers(c.norm, out), nonlinearity(c.nonlinearity)]

    ch, res = c.width * size // 8, 4
    layers = block(ProjectionConvTranspose2d(nz, ch, 4), ch)
    while res < size // 2:
        layers += block(nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), ch // 2)
        ch, res = ch // 2, res * 2
    for _ in range(extra_layers(c.depth, size)):
        layers += block(nn.Conv2d(ch, ch, 3, 1, 1, bias=False), ch)
    layers += [OutputConvTranspose2d(ch, channels), nn.Tanh()]
    return nn.Sequential(*layers)


def critic_layers(channels: int, size: int, c: Choices) -> nn.Sequential:
    """DCGAN's D: strided convs doubling from ``width`` (no norm on the first), the extra
    3x3 layers at size / 2, one unbounded score (no sigmoid: the loss applies it)."""

    def block(conv: nn.Module, out: int, norm: str) -> list[nn.Module]:
        return [conv, *norm_layers(norm, out), nonlinearity(c.nonlinearity)]

    w, res = c.width, size // 2
    layers = block(nn.Conv2d(channels, w, 4, 2, 1, bias=False), w, "none")
    for _ in range(extra_layers(c.depth, size)):
        layers += block(nn.Conv2d(w, w, 3, 1, 1, bias=False), w, c.norm)
    while res > 4:
        layers += block(nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), 2 * w, c.norm)
        w, res = 2 * w, res // 2
    layers.append(HeadConv2d(w, 1, 4))
    return nn.Sequential(*layers)


class _Sampled(Network):
    check_shape = staticmethod(image_geometry)
    role: Role
    choices: Choices

    def _draw(self, options: SampledOptions) -> Choices:
        self.arch = options.arch
        self.choices = draw(options, self.role)
        return self.choices

    @classmethod
    def size_key(cls, options: SampledOptions) -> dict[str, object]:
        """The drawn choices in place of the options the draw reads (a subclass's own
        options stay in the key), without the unit: every unit is one parameter-free
        module whose output has its input's shape, so it changes no size."""
        drawn = asdict(draw(options, cls.role))
        del drawn["nonlinearity"]
        rest = {k: v for k, v in super().size_key(options).items() if k not in DRAW_READS}
        return rest | {"drawn": drawn}

    def describe(self) -> str:
        """E.g. "arch 7: depth 4, tanh, no BN, 16 filters" (also the first line of repr)."""
        return f"arch {self.arch}: {self.choices.describe()}"

    def extra_repr(self) -> str:
        return self.describe()


@GENERATORS.register("sampled")
class SampledGenerator(_Sampled, Generator):
    """G of architecture ``arch`` (WGAN-GP Sec. 5.1, Table 1): noise -> image in [-1, 1]."""

    Options = SampledOptions
    role = "generator"

    def __init__(self, options: SampledOptions, data_shape: tuple[int, ...], nz: int) -> None:
        super().__init__()
        channels, size = image_geometry(data_shape)
        self.nz = nz
        self.main = generator_layers(nz, channels, size, self._draw(options))
        apply_init(self, options.init)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


@CRITICS.register("sampled")
class SampledCritic(_Sampled, Critic):
    """D of architecture ``arch`` (WGAN-GP Sec. 5.1, Table 1): image -> one score each.

    Set ``norm_kind: layer`` for WGAN-GP: a batch-normalised critic makes the gradient
    penalty's per-sample gradients depend on the batch (WGAN-GP Sec. 4).
    """

    Options = SampledCriticOptions
    role = "critic"

    def __init__(self, options: SampledCriticOptions, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        channels, size = image_geometry(data_shape)
        self.main = critic_layers(channels, size, self._draw(options))
        apply_init(self, options.init)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x).view(x.shape[0])
