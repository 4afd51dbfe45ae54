"""Optimizers, configured separately for the generator and the critic."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import torch
from pydantic import Field

from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry


class Optimizer:
    """The contract of an optimizer entry: its options and how to build it for a net."""

    Options: ClassVar[type[Options]] = Options

    @staticmethod
    def build(options: Any, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
        raise NotImplementedError


OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer", Optimizer)


class RMSpropOptions(Options):
    lr: float = Field(5e-5, gt=0, le=10, description="paper default alpha = 0.00005 for both nets")
    alpha: float = Field(0.99, gt=0, lt=1, description="squared-gradient average decay")
    eps: float = Field(1e-8, gt=0)
    momentum: float = Field(0.0, ge=0, lt=1)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """The paper's choice (Sec. 3: momentum-free, stable for the non-stationary critic)."""

    Options = RMSpropOptions

    @staticmethod
    def build(options: RMSpropOptions, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
        return torch.optim.RMSprop(
            params, lr=options.lr, alpha=options.alpha, eps=options.eps, momentum=options.momentum
        )


class AdamOptions(Options):
    lr: float = Field(5e-5, gt=0, le=10)
    beta1: float = Field(0.5, ge=0, lt=1, description="authors' --adam: 0.5")
    beta2: float = Field(0.999, ge=0, lt=1)
    eps: float = Field(1e-8, gt=0)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Momentum-based: paper Sec. 3 reports WGAN becoming unstable with beta1 > 0."""

    Options = AdamOptions

    @staticmethod
    def build(options: AdamOptions, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            params, lr=options.lr, betas=(options.beta1, options.beta2), eps=options.eps
        )


class SGDOptions(Options):
    lr: float = Field(5e-5, gt=0, le=10)
    momentum: float = Field(0.9, ge=0, lt=1)
    nesterov: bool = False


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """SGD with (heavy-ball or Nesterov) momentum."""

    Options = SGDOptions

    @staticmethod
    def build(options: SGDOptions, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
        return torch.optim.SGD(
            params, lr=options.lr, momentum=options.momentum, nesterov=options.nesterov
        )


def build_optimizer(options: Any, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
    return OPTIMIZERS.get(options.name).build(options, params)
