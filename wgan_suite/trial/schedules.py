"""Critic schedules: pure functions of the generator iteration."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry


class ConstantOptions(Options):
    n_critic: int = Field(5, ge=1, description="critic updates per generator update (paper: 5)")


class Schedule:
    """The contract of a critic schedule: critic updates per generator iteration, a pure
    function of the iteration."""

    Options: ClassVar[type[Options]] = ConstantOptions

    def __init__(self, options: Any) -> None:
        self.options = options

    def n_critic(self, gen_iter: int) -> int:
        raise NotImplementedError


SCHEDULES: Registry[type[Schedule]] = Registry("critic schedule", Schedule)


@SCHEDULES.register("constant")
class Constant(Schedule):
    """n_critic critic updates before every generator update (paper Algorithm 1)."""

    Options = ConstantOptions

    def n_critic(self, gen_iter: int) -> int:
        return self.options.n_critic


class PaperOptions(ConstantOptions):
    warmup_critic: int = Field(100, ge=1, description="critic updates in a warm-up iteration")
    warmup_iters: int = Field(25, ge=0, description="first generator iterations that warm up")
    warmup_every: int = Field(500, ge=1, description="and every this many generator iterations")


@SCHEDULES.register("paper")
class PaperWarmup(Constant):
    """Authors' main.py: 100 critic updates while gen_iterations < 25 or % 500 == 0, else 5.

    The README says the paper's text omits this; it is what produced the figures.
    """

    Options = PaperOptions

    def n_critic(self, gen_iter: int) -> int:
        o = self.options
        if gen_iter < o.warmup_iters or gen_iter % o.warmup_every == 0:
            return o.warmup_critic
        return o.n_critic
