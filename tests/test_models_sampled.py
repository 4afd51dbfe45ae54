"""The sampled architectures of WGAN-GP Sec. 5.1 (Table 1), scaled down: draws and nets."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import get_args

import pytest
import torch
from pydantic import ValidationError
from torch import nn

from wgan_suite.core.options import resolve
from wgan_suite.trial.config import ConfigError, load_trial_config
from wgan_suite.trial.models import CRITICS, GENERATORS, build_critic, build_generator
from wgan_suite.trial.models.sampled import Nonlinearity, ShiftedSoftplus, draw, nonlinearity

SHAPE = (1, 16, 16)
NZ = 8


def gen(arch, seed=0, shape=SHAPE, **options):
    return build_generator(
        resolve(GENERATORS, {"name": "sampled", "arch": arch, **options}), shape, NZ, seed
    )


def crit(arch, seed=0, shape=SHAPE, **options):
    return build_critic(resolve(CRITICS, {"name": "sampled", "arch": arch, **options}), shape, seed)


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_same_arch_same_choices_and_parameter_count():
    for build in (gen, crit):
        a, b = build(5, seed=0), build(5, seed=1)  # the trial seed fixes weights only
        assert a.choices == b.choices and n_params(a) == n_params(b)
        assert repr(a) == repr(b)


def test_draws_are_pinned():
    """The same index is the same architecture on every machine (and numpy version)."""
    o = resolve(GENERATORS, {"name": "sampled", "arch": 0})
    c = resolve(CRITICS, {"name": "sampled", "arch": 7, "norm_kind": "layer"})
    assert draw(o, "generator").describe() == "depth 7, tanh, BN, 32 filters"
    assert draw(c, "critic").describe() == "depth 7, relu, no LN, 16 filters"


def test_first_eight_archs_differ():
    archs = {(gen(k).choices, crit(k).choices) for k in range(8)}
    assert len(archs) >= 3


@pytest.mark.parametrize("role", ["generator", "critic"])
def test_every_choice_reachable_in_first_64_archs(role):
    registry = GENERATORS if role == "generator" else CRITICS
    opts = [resolve(registry, {"name": "sampled", "arch": k}) for k in range(64)]
    drawn = [draw(o, role) for o in opts]
    o = opts[0]
    assert {c.depth for c in drawn} == set(o.depths)
    assert {c.width for c in drawn} == set(o.widths)
    assert {c.nonlinearity for c in drawn} == set(o.nonlinearities)
    assert {c.norm for c in drawn} == {"batch", "none"}
    layer = [draw(o.model_copy(update={"norm_kind": "layer"}), role) for o in opts]
    if role == "critic":
        assert {c.norm for c in layer} == {"layer", "none"}


@pytest.mark.parametrize("arch", range(16))
def test_first_16_archs_forward_and_backward(arch):
    g, d = gen(arch), crit(arch, norm_kind="layer" if arch % 2 else "batch")
    x = g(torch.randn(2, NZ))
    assert x.shape == (2, *SHAPE) and x.abs().max() <= 1
    score = d(x)
    assert score.shape == (2,)
    score.sum().backward()
    assert all(p.grad is not None for p in [*g.parameters(), *d.parameters()])


def test_layer_norm_kind_never_builds_batchnorm():
    nets = [crit(k, norm_kind="layer") for k in range(32)]
    assert not any(isinstance(m, nn.BatchNorm2d) for d in nets for m in d.modules())
    norms = [m for d in nets for m in d.modules() if isinstance(m, nn.GroupNorm)]
    assert norms and all(m.num_groups == 1 for m in norms)


def test_choices_in_describe_and_repr():
    g = gen(3)
    c = g.choices
    assert g.describe().startswith("arch 3: depth ")
    assert g.describe() in repr(g)
    depth = sum(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in g.modules())
    assert depth == c.depth
    assert any(isinstance(m, nn.BatchNorm2d) for m in g.modules()) == (c.norm == "batch")
    assert sum(isinstance(m, nn.Conv2d) for m in crit(3).modules()) == crit(3).choices.depth


def test_axes_are_drawn_independently():
    """Changing one axis's list keeps the other draws (each axis has its own stream)."""
    a = draw(resolve(CRITICS, {"name": "sampled", "arch": 9}), "critic")
    b = draw(resolve(CRITICS, {"name": "sampled", "arch": 9, "widths": [64, 128]}), "critic")
    assert (a.depth, a.nonlinearity, a.normalized) == (b.depth, b.nonlinearity, b.normalized)


def test_shifted_softplus_is_table_1s_unit():
    x = torch.linspace(-30, 30, 61)
    y = ShiftedSoftplus()(x)
    assert torch.allclose(y, torch.nn.functional.softplus(2 * x + 2) / 2 - 1)
    assert abs(float(y[0]) + 1) < 1e-6 and abs(float(y[-1]) - 30) < 1e-6


def test_32px_needs_the_deeper_pyramid():
    assert gen(0, shape=(1, 32, 32), depths=[4, 6])(torch.randn(2, NZ)).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="depth 3 is below the 4 conv layers"):
        crit(0, shape=(1, 32, 32), depths=[3])


@pytest.mark.parametrize(
    "options",
    [{}, {"arch": -1}, {"arch": 0, "depths": [2]}, {"arch": 0, "nonlinearities": ["elu"]}],
)
def test_options_are_checked(options):
    with pytest.raises(ValidationError):
        resolve(GENERATORS, {"name": "sampled", **options})


def config(size=16):
    return {
        "data": {"name": "fashion_mnist", "image_size": size, "channels": 1},
        "generator": {"name": "sampled", "arch": 3},
        "critic": {"name": "sampled", "arch": 3},
        "iterations": 10,
    }


def test_config_validates_and_rejects_sizes_the_pyramid_cannot_build():
    cfg = load_trial_config(config())
    assert cfg.generator.arch == cfg.critic.arch == 3
    assert cfg.critic.norm_kind == "batch" and cfg.generator.depths == (3, 4, 5, 7)
    with pytest.raises(ConfigError, match="generator 'sampled' does not fit"):
        load_trial_config(config(size=24))


def test_validation_sizes_each_drawn_network_once_and_exactly():
    """The memory check at validation (``footprint``) builds one meta network per distinct
    draw (``size_key``), not per arch index, and its count is the real networks' count."""
    from wgan_suite.trial.models import footprint

    footprint._CACHE.clear()
    archs = range(40)
    for k in archs:
        raw = config() | {"nz": NZ, "generator": {"name": "sampled", "arch": k}}
        config_k = load_trial_config(raw | {"critic": {"name": "sampled", "arch": k}})
        assert footprint.parameter_count(config_k) == n_params(gen(k)) + n_params(crit(k))
    drawn = {(r, replace(draw(o, r), nonlinearity="-")) for k in archs for r, o in _options(k)}
    assert len(footprint._CACHE) == len(drawn) < 2 * len(archs)


def _options(arch):
    yield "generator", resolve(GENERATORS, {"name": "sampled", "arch": arch})
    yield "critic", resolve(CRITICS, {"name": "sampled", "arch": arch})


@pytest.mark.parametrize("name", get_args(Nonlinearity))
def test_no_unit_changes_a_size(name):
    """Why ``size_key`` leaves the unit out: each is one leaf module without parameters
    whose output has its input's shape (a unit with weights must join the key)."""
    unit = nonlinearity(name)
    x = torch.randn(2, 3, 4, 4)
    assert not list(unit.parameters()) and not list(unit.children())
    assert unit(x).shape == x.shape


def test_a_subclass_option_stays_in_the_size_key():
    """A plugin's subclass with an option of its own that may change sizes keeps that
    option in the key: only the options the draw reads are replaced by the draw."""
    from wgan_suite.trial.models.sampled import SampledGenerator, SampledOptions

    class WideOptions(SampledOptions):
        multiplier: int = 1

    class Wide(SampledGenerator):
        Options = WideOptions

    one, two = WideOptions(arch=3), WideOptions(arch=3, multiplier=2)
    assert Wide.size_key(one) != Wide.size_key(two)
    same_draw = [
        k for k in range(64) if draw(WideOptions(arch=k), "generator") == draw(one, "generator")
    ]
    assert len({json.dumps(Wide.size_key(WideOptions(arch=k))) for k in same_draw}) == 1
