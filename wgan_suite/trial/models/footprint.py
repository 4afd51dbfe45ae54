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


def _meta_net(entry: Any, options: Any, **shape: Any) -> nn.Module:
    with torch.device("meta"):
        return entry(_uninitialised(options), **shape)


def _activations(net: nn.Module, x: torch.Tensor) -> int:
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
            net(x)
    finally:
        for h in handles:
            h.remove()
    return total


_CACHE: dict[str, tuple[int, int]] = {}


def _network(
    registry: Any, options: Any, x: torch.Tensor, activations: bool, **shape: Any
) -> tuple[int, int]:
    """(parameters, activation elements per sample) of one network fed ``x`` (a meta batch
    of two: BatchNorm needs more than one), cached by what decides them: the entry's
    ``size_key`` and the shapes. Sampled architectures repeat: random_architectures' 424
    drawn pairs are fewer than 100 distinct networks."""
    entry = registry.get(options.name)
    key = json.dumps(
        [registry.kind, options.name, entry.size_key(options), shape, activations],
        sort_keys=True,
    )
    if key not in _CACHE:
        net = _meta_net(entry, options, **shape)
        per_sample = 0
        try:
            if activations:  # activations scale with the batch
                per_sample = _activations(net, x) // len(x)
        except Exception:  # an entry that cannot run on meta tensors: parameters only
            pass
        _CACHE[key] = (sum(p.numel() for p in net.parameters()), per_sample)
    return _CACHE[key]


def _footprint(config: Any, activations: bool) -> tuple[int, int]:
    """(parameters, activation elements per sample) of the generator and the critic; the
    critic sees a real and a fake batch, so its activations count twice."""
    shape, nz = config.data_shape, config.nz
    with torch.device("meta"):
        z, x = torch.empty(2, nz), torch.empty(2, *shape)
    g = _network(GENERATORS, config.generator, z, activations, data_shape=shape, nz=nz)
    d = _network(CRITICS, config.critic, x, activations, data_shape=shape)
    return g[0] + d[0], g[1] + 2 * d[1]


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
