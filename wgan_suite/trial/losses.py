"""Adversarial losses as pure functions of critic outputs.

Each entry maps per-sample critic scores to named terms; nothing here calls
``backward`` and the Lipschitz method (clip, penalty, spectral norm) is a separate
axis (``wgan_suite.trial.lipschitz``). GAN losses read the critic score as a logit, so the
same network serves as WGAN critic and as JS-GAN discriminator.

``columns`` declares the distance estimate a loss logs among its critic terms (role
``estimate``, ``wgan_suite.analysis.columns``): the training records and the ``w_estimate`` metric
take their estimate columns from it, so a new loss with a new estimate needs no edit
elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from wgan_suite.core.columns import Column
from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry

LOG2 = math.log(2.0)


class Loss:
    """The contract of a loss entry: two pure functions of per-sample critic scores."""

    Options: ClassVar[type[Options]] = Options
    default_lipschitz: ClassVar[str] = "none"  # the Lipschitz method when a config names none
    requires_lipschitz: ClassVar[str | None] = None  # a method the loss cannot work without
    columns: ClassVar[dict[str, Column]] = {}  # the estimate(s) its critic terms log
    # what the score means as a function of x, for plots of D (paper Fig. 2): None = itself
    output: ClassVar[Callable[[Tensor], Tensor] | None] = None

    @staticmethod
    def critic(d_real: Tensor, d_fake: Tensor) -> dict[str, Tensor]:
        """Named terms; ``critic`` is minimised by the critic's optimizer."""
        raise NotImplementedError

    @staticmethod
    def generator(d_fake: Tensor) -> dict[str, Tensor]:
        """Named terms; ``generator`` is minimised by the generator's optimizer."""
        raise NotImplementedError


LOSSES: Registry[type[Loss]] = Registry("loss", Loss)


@LOSSES.register("wgan")
class WGAN(Loss):
    """Critic maximises E f(x) - E f(G z) (paper Eq. 3); W estimate = -critic loss (Fig. 3)."""

    default_lipschitz = "clip"
    columns = {
        "w_estimate": Column(
            "E f(x) - E f(G z) of the critic, the W estimate of Fig. 3 (up to the scale "
            "set by the Lipschitz constraint)",
            role="estimate",
            rank=0,
        )
    }

    @staticmethod
    def critic(d_real: Tensor, d_fake: Tensor) -> dict[str, Tensor]:
        w = d_real.mean() - d_fake.mean()
        return {"critic": -w, "w_estimate": w.detach()}

    @staticmethod
    def generator(d_fake: Tensor) -> dict[str, Tensor]:
        return {"generator": -d_fake.mean()}


@LOSSES.register("wgan_gp")
class WGANGP(WGAN):
    """WGAN-GP (Gulrajani et al. 2017): the WGAN loss; the penalty is ``gradient_penalty``."""

    default_lipschitz = "gradient_penalty"
    requires_lipschitz = "gradient_penalty"


def _discriminator(d_real: Tensor, d_fake: Tensor) -> dict[str, Tensor]:
    """BCE with logits; L_D = -(E log D(x) + E log(1 - D(G z))) = 2 log 2 - 2 JS at the optimum.

    ``js_estimate`` is the paper's Fig. 4 quantity 1/2 L(D, g) + log 2 = log 2 - L_D / 2.
    """
    loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    return {"critic": loss, "js_estimate": (LOG2 - loss / 2).detach()}


@LOSSES.register("gan_minimax")
class GANMinimax(Loss):
    """Goodfellow et al.'s minimax game: G minimises E log(1 - D(G z)) (saturates)."""

    default_lipschitz = "none"
    columns = {
        "js_estimate": Column(
            "log 2 - L_D / 2, the JS estimate of Fig. 4 (a lower bound while D is not optimal)",
            role="estimate",
            rank=1,
        )
    }
    critic = staticmethod(_discriminator)
    # what the network's score means as a function of x: D(x) = sigmoid(score) (Fig. 2)
    output = staticmethod(torch.sigmoid)

    @staticmethod
    def generator(d_fake: Tensor) -> dict[str, Tensor]:
        return {"generator": -F.softplus(d_fake).mean()}


@LOSSES.register("gan_ns")
class GANNonSaturating(GANMinimax):
    """The DCGAN practice and the paper's baseline: G minimises -E log D(G z)."""

    @staticmethod
    def generator(d_fake: Tensor) -> dict[str, Tensor]:
        return {"generator": F.softplus(-d_fake).mean()}


@LOSSES.register("hinge")
class Hinge(Loss):
    """Hinge loss (SN-GAN Eq. 17): E relu(1 - D(x)) + E relu(1 + D(G z)); G: -E D(G z)."""

    default_lipschitz = "spectral_norm"
    columns: dict[str, Column] = {}  # no distance estimate

    @staticmethod
    def critic(d_real: Tensor, d_fake: Tensor) -> dict[str, Tensor]:
        return {"critic": F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()}

    @staticmethod
    def generator(d_fake: Tensor) -> dict[str, Tensor]:
        return {"generator": -d_fake.mean()}
