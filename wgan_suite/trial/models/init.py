"""Weight initialisations named in configs."""

from __future__ import annotations

from typing import Literal

from torch import nn

InitName = Literal["dcgan", "default", "he", "small"]
SMALL_STD = 0.002  # "small": inside a clipping range of 0.01 by five standard deviations


def dcgan_init(module: nn.Module) -> None:
    """The authors' ``weights_init``: conv weights N(0, 0.02), BN gamma N(1, 0.02), beta 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def he_init(module: nn.Module) -> None:
    """He-normal weights, zero biases on every linear/conv layer (the WGAN-GP toy code)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def small_init(module: nn.Module) -> None:
    """Weights N(0, 0.002^2), zero biases: a critic that starts inside the clipping range,
    so that what piles weights at +-c (WGAN-GP Fig. 1b) is training, not the first clip."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, SMALL_STD)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


INITS = {"dcgan": dcgan_init, "he": he_init, "small": small_init, "default": lambda m: None}


def apply_init(module: nn.Module, name: InitName) -> None:
    """``default`` keeps PyTorch's layer init (what the authors' MLPs get)."""
    INITS[name](module)
