"""The training step: n_critic critic updates, then one generator update (Algorithm 1)."""

from __future__ import annotations

import contextlib

import torch
from torch import Tensor

from wgan_suite.trial.train.state import TrainState


def _latent(state: TrainState) -> Tensor:
    n, nz = state.config.batch_size, state.config.nz
    return torch.randn(n, nz, generator=state.noise_rng, device=state.device)


def _precision(state: TrainState) -> contextlib.AbstractContextManager:
    """The forward passes' precision (``TrialConfig.precision``): bfloat16 runs the matmuls
    and convolutions under autocast, while weights, optimizer state, the losses (critic
    outputs are cast back to float32) and the backward's accumulation stay float32;
    float32 adds nothing to the step."""
    if state.config.precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(state.device.type, dtype=torch.bfloat16)


def _flat_grad(params: list[Tensor]) -> Tensor:
    return torch.cat([p.grad.flatten() for p in params if p.grad is not None])


def critic_update(state: TrainState, diagnostics: bool) -> dict[str, Tensor]:
    """One critic step. With ``diagnostics``: gradient norm and the step/gradient cosine."""
    G, D, lip = state.generator, state.critic, state.lipschitz
    real = state.source.sample(state.config.batch_size)
    with _precision(state):
        with torch.no_grad():
            fake = G(_latent(state)).float()
        lip.before_step(D)
        terms = dict(state.loss.critic(D(real).float(), D(fake).float()))
        total = terms["critic"]
        penalty = lip.penalty(D, real, fake, state.penalty_rng)
    if penalty is not None:
        total = total + penalty.float()
        terms["penalty"] = penalty.detach().float()
    state.c_optimizer.zero_grad(set_to_none=True)
    total.backward()
    if diagnostics:
        params = [p for p in D.parameters() if p.grad is not None]
        grad = _flat_grad(params)
        before = torch.cat([p.detach().flatten() for p in params])
    state.c_optimizer.step()
    if diagnostics:
        # Paper Sec. 3: the cosine between the optimizer's step and the descent
        # direction turned negative exactly where Adam-trained WGANs blew up.
        step = torch.cat([p.detach().flatten() for p in params]) - before
        terms["grad_norm_critic"] = grad.norm()
        terms["step_cos_critic"] = torch.nn.functional.cosine_similarity(step, -grad, dim=0)
    lip.after_step(D)
    terms["critic"] = total.detach()
    return terms


def generator_update(state: TrainState) -> dict[str, Tensor]:
    G, D = state.generator, state.critic
    D.requires_grad_(False)
    try:
        with _precision(state):
            terms = state.loss.generator(D(G(_latent(state))).float())
        state.g_optimizer.zero_grad(set_to_none=True)
        terms["generator"].backward()
        state.g_optimizer.step()
    finally:
        D.requires_grad_(True)
    return {k: v.detach() for k, v in terms.items()}


def train_step(state: TrainState, diagnostics: bool = False) -> dict[str, Tensor]:
    """One generator iteration; returns the last critic step's terms and the generator's.

    Values stay on the device (no host sync); the loop converts them when it logs.
    """
    n_critic = state.schedule.n_critic(state.iteration)
    for i in range(n_critic):
        terms = critic_update(state, diagnostics and i == n_critic - 1)
    terms.update(generator_update(state))
    state.iteration += 1
    state.images_seen += n_critic * state.config.batch_size
    terms["n_critic"] = torch.tensor(n_critic)
    return terms
