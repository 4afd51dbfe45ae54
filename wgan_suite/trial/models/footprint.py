"""How big a trial's networks are, known before anything is allocated.

The generator and the critic are built on PyTorch's ``meta`` device (shapes, no memory)
and run once on a meta batch: their parameter count and the activations of one step
give a memory estimate at validation time. A typo of three zeros in a width or a batch
size is then refused with the estimate, instead of failing every trial on a
many-gigabyte allocation (or swapping the machine for an hour).
"""

from __future__ import annotations

import json
import math
from typing import Any

import torch
from torch import nn

from wgan_suite.trial.models.init import InitName
from wgan_suite.trial.models.registry import CRITICS, GENERATORS

BYTES = 4  # float32
MAX_TRIAL_GIB = 16.0  # the paper's largest setting (64 px, width 64, batch 64) needs < 1 GiB
PAPER_BATCH_ELEMENTS = 64 * 3 * 64 * 64


def _uninitialised(options: Any) -> Any:
    """The entry's options with PyTorch's default initialisation: a meta tensor holds no
    values to initialise, and torch's ``normal_`` on one imports TorchDynamo (about 1.6 s
    of every ``validate``). Sizes do not depend on the initialisation."""
    field = getattr(type(options), "model_fields", {}).get("init")
    if field is None or field.annotation is not InitName:  # a plugin's own kind of init
        return options
    return options.model_copy(update={"init": "default"})


def _meta_nets(config: Any) -> tuple[nn.Module, nn.Module]:
    shape = config.data_shape
    gen, crit = _uninitialised(config.generator), _uninitialised(config.critic)
    with torch.device("meta"):
        g = GENERATORS.get(gen.name)(gen, data_shape=shape, nz=config.nz)
        d = CRITICS.get(crit.name)(crit, data_shape=shape)
    return g, d


def _activations(net: nn.Module, x: torch.Tensor) -> tuple[int, torch.Tensor]:
    """Elements of every leaf module's output in one forward pass (kept for backward)."""
    total = 0

    def hook(_module, _inputs, output) -> None:
        nonlocal total
        if isinstance(output, torch.Tensor):
            total += output.numel()

    leaves = [m for m in net.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with torch.no_grad():
            out = net(x)
    finally:
        for h in handles:
            h.remove()
    return total, out


_CACHE: dict[str, tuple[int, int]] = {}


def _footprint(config: Any, activations: bool) -> tuple[int, int]:
    """(parameters, activation elements per sample), cached by what decides them."""
    raw = config.to_dict()
    nets = {k: {o: v for o, v in raw[k].items() if o != "init"} for k in ("generator", "critic")}
    key = json.dumps([config.data_shape, config.nz, nets, activations], sort_keys=True)
    if key not in _CACHE:
        g, d = _meta_nets(config)
        params = sum(p.numel() for p in (*g.parameters(), *d.parameters()))
        per_sample = 0
        try:  # two samples (BatchNorm needs more than one); activations scale with the batch
            if activations:
                act_g, fake = _activations(g, torch.empty(2, config.nz, device="meta"))
                act_d, _ = _activations(d, fake)
                per_sample = (act_g + 2 * act_d) // 2  # the critic sees a real and a fake batch
        except Exception:  # an entry that cannot run on meta tensors: parameters only
            pass
        _CACHE[key] = (params, per_sample)
    return _CACHE[key]


def _large_batch(config: Any) -> bool:
    """Larger input than the paper's own (64 images of 3 x 64 x 64): only then are the
    activations traced (a meta forward pass costs as much as the build, and at or below
    the paper's inputs a typo shows in the parameter count)."""
    return config.batch_size * math.prod(config.data_shape) > PAPER_BATCH_ELEMENTS


def parameter_count(config: Any) -> int:
    """Parameters of the generator and the critic together."""
    return _footprint(config, False)[0]


def estimate_bytes(config: Any) -> int:
    """Training memory, over-estimated: weights, gradients and two optimizer moments per
    parameter, and every activation twice (its value and its gradient)."""
    params, per_sample = _footprint(config, _large_batch(config))
    return BYTES * (4 * params + 2 * per_sample * config.batch_size)


def check_footprint(config: Any) -> None:
    """ValueError naming the estimate and the sizes that drive it, above MAX_TRIAL_GIB."""
    gib = estimate_bytes(config) / 2**30
    if gib > MAX_TRIAL_GIB:
        params = parameter_count(config)
        raise ValueError(
            f"this trial would need about {gib:,.0f} GiB ({params:,} parameters, batch_size "
            f"{config.batch_size}, data shape {config.data_shape}); the suite allows "
            f"{MAX_TRIAL_GIB:g} GiB per trial: lower generator/critic width or batch_size"
        )
