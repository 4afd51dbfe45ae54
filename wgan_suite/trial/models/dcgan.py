"""DCGAN generators and critics as in the authors' ``models/dcgan.py``.

Layer for layer the same as github martinarjovsky/WassersteinGAN (parameter counts
are tested against theirs). Two deliberate differences, both numerically neutral
for WGAN: the critic returns one score per sample (the losses take the batch mean,
which is what the authors' ``output.mean(0)`` computes), and image sizes are
checked up front (their loops only terminate for 16 * 2**k although the assert
says "multiple of 16"). The generator's first layer and the critic's last, convolutions
of or onto a single pixel, are computed as the matmuls they are (``as_matmul``), and the
generator's output layer takes PyTorch's own CPU path on AVX2 CPUs (``cpu_paths``): the
same parameters, the same function up to float rounding.
"""

from __future__ import annotations

from pydantic import Field
from torch import Tensor, nn

from wgan_suite.core.options import Options
from wgan_suite.trial.models.as_matmul import HeadConv2d, ProjectionConvTranspose2d
from wgan_suite.trial.models.cpu_paths import OutputConvTranspose2d
from wgan_suite.trial.models.init import InitName, apply_init
from wgan_suite.trial.models.registry import CRITICS, GENERATORS, Critic, Generator


class DCGANOptions(Options):
    width: int = Field(
        64, gt=0, description="ngf / ndf: filters of the widest (G) or first (D) layer"
    )
    n_extra_layers: int = Field(0, ge=0, description="3x3 conv layers at full resolution")
    init: InitName = "dcgan"


def image_geometry(data_shape: tuple[int, ...]) -> tuple[int, int]:
    """(channels, size) of a square image shape; raises if the pyramid cannot be built."""
    if len(data_shape) != 3 or data_shape[1] != data_shape[2]:
        raise ValueError(f"DCGAN nets need square images (C, S, S), got data shape {data_shape}")
    channels, size = data_shape[0], data_shape[1]
    if size < 16 or size & (size - 1):
        raise ValueError(f"DCGAN nets need image_size 16 * 2**k (16, 32, 64, ...), got {size}")
    return channels, size


def _generator_layers(
    nz: int, channels: int, size: int, width: int, n_extra: int, batchnorm: bool, constant: bool
) -> nn.Sequential:
    def block(layer: nn.Module, out: int) -> list[nn.Module]:
        return [layer, *([nn.BatchNorm2d(out)] if batchnorm else []), nn.ReLU(True)]

    # Width at 4x4 doubles once per upsampling (authors' ``cngf``), unless constant.
    cngf = width if constant else width * size // 8
    layers = block(ProjectionConvTranspose2d(nz, cngf, 4), cngf)
    csize = 4
    while csize < size // 2:
        out = cngf if constant else cngf // 2
        layers += block(nn.ConvTranspose2d(cngf, out, 4, 2, 1, bias=False), out)
        cngf, csize = out, csize * 2
    for _ in range(n_extra):
        layers += block(nn.Conv2d(cngf, cngf, 3, 1, 1, bias=False), cngf)
    layers += [OutputConvTranspose2d(cngf, channels), nn.Tanh()]
    return nn.Sequential(*layers)


class _Generator(Generator):
    check_shape = staticmethod(image_geometry)
    batchnorm = True
    constant = False

    def __init__(self, options: DCGANOptions, data_shape: tuple[int, ...], nz: int) -> None:
        super().__init__()
        channels, size = image_geometry(data_shape)
        self.nz = nz
        self.main = _generator_layers(
            nz, channels, size, options.width, options.n_extra_layers, self.batchnorm, self.constant
        )
        apply_init(self, options.init)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


@GENERATORS.register("dcgan")
class DCGANGenerator(_Generator):
    """Authors' DCGAN_G: transposed-conv pyramid, BatchNorm + ReLU, Tanh output."""

    Options = DCGANOptions


@GENERATORS.register("dcgan_nobn")
class DCGANGeneratorNoBN(_Generator):
    """Authors' DCGAN_G_nobn (their ``--noBN``): the same pyramid without BatchNorm.

    Filters still halve per layer, so this is *not* the paper's Fig. 6 generator;
    that one is ``dcgan_const``.
    """

    Options = DCGANOptions
    batchnorm = False


@GENERATORS.register("dcgan_const")
class DCGANGeneratorConstant(_Generator):
    """Paper Fig. 6: "without batch normalization and with a constant number of filters".

    The authors' code has no such generator; this keeps their 4x4 transposed-conv
    layout with ``width`` filters at every layer (width 64 at 64x64: 302,080 parameters,
    "a bit more than an order of magnitude" fewer than DCGAN's 3,576,704).
    """

    Options = DCGANOptions
    batchnorm = False
    constant = True


def _norm(kind: str | None, channels: int) -> list[nn.Module]:
    """BatchNorm (DCGAN), layer norm over (C, H, W) per sample (WGAN-GP's replacement for
    it: gan_64x64.py's Layernorm is GroupNorm with one group), or nothing."""
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    if kind == "layer":
        return [nn.GroupNorm(1, channels)]
    return []


class _Critic(Critic):
    check_shape = staticmethod(image_geometry)
    norm: str | None = "batch"

    def __init__(self, options: DCGANOptions, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        channels, size = image_geometry(data_shape)

        def block(layer: nn.Module, out: int, norm: str | None) -> list[nn.Module]:
            return [layer, *_norm(norm, out), nn.LeakyReLU(0.2, inplace=True)]

        width = options.width
        layers = block(nn.Conv2d(channels, width, 4, 2, 1, bias=False), width, None)
        for _ in range(options.n_extra_layers):
            layers += block(nn.Conv2d(width, width, 3, 1, 1, bias=False), width, self.norm)
        csize = size // 2
        while csize > 4:
            layers += block(nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), width * 2, self.norm)
            width, csize = width * 2, csize // 2
        layers.append(HeadConv2d(width, 1, 4))
        self.main = nn.Sequential(*layers)
        apply_init(self, options.init)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x).view(x.shape[0])


@CRITICS.register("dcgan")
class DCGANCritic(_Critic):
    """Authors' DCGAN_D: LeakyReLU 0.2, BatchNorm except on the first layer, no sigmoid."""

    Options = DCGANOptions


@CRITICS.register("dcgan_nobn")
class DCGANCriticNoBN(_Critic):
    """Authors' DCGAN_D_nobn (their ``--noBN`` never selects it: it keeps the BN critic)."""

    Options = DCGANOptions
    norm = None


@CRITICS.register("dcgan_ln")
class DCGANCriticLayerNorm(_Critic):
    """The DCGAN critic with layer normalisation instead of BatchNorm: WGAN-GP's critic
    for its architecture experiments (Sec. 4, "we recommend layer normalization as a
    drop-in replacement for batch normalization"; gan_64x64.py)."""

    Options = DCGANOptions
    norm = "layer"
