from __future__ import annotations

import pytest
import torch

from wgan_suite.core.options import resolve
from wgan_suite.trial.optim import OPTIMIZERS, build_optimizer
from wgan_suite.trial.schedules import SCHEDULES


def schedule(name, **options):
    return SCHEDULES.get(name)(resolve(SCHEDULES, {"name": name, **options}))


def test_paper_schedule_100_then_5_pattern():
    s = schedule("paper")
    got = [s.n_critic(i) for i in range(1501)]
    assert got[:25] == [100] * 25  # first 25 generator iterations
    assert got[25:500] == [5] * 475
    assert got[500] == got[1000] == got[1500] == 100  # every 500th
    assert sum(1 for n in got if n == 100) == 25 + 3
    assert got[501] == got[999] == 5


def test_constant_schedule():
    s = schedule("constant", n_critic=3)
    assert {s.n_critic(i) for i in range(1000)} == {3}


@pytest.mark.parametrize(
    ("name", "options", "cls", "check"),
    [
        ("rmsprop", {}, torch.optim.RMSprop, {"lr": 5e-5, "alpha": 0.99, "momentum": 0.0}),
        ("adam", {"beta1": 0.5}, torch.optim.Adam, {"lr": 5e-5, "betas": (0.5, 0.999)}),
        ("sgd", {"lr": 0.1}, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    ],
)
def test_optimizers(name, options, cls, check):
    p = torch.nn.Parameter(torch.zeros(3))
    opt = build_optimizer(resolve(OPTIMIZERS, {"name": name, **options}), [p])
    assert isinstance(opt, cls)
    for key, value in check.items():
        assert opt.param_groups[0][key] == value
