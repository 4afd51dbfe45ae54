"""Everything a training step reads and changes, built from a TrialConfig and a seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from wgan_suite.core.seeding import stream_seed, torch_generator
from wgan_suite.trial.config import TrialConfig
from wgan_suite.trial.data import Source, build_source
from wgan_suite.trial.lipschitz import LIPSCHITZ, LipschitzMethod
from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.models import build_critic, build_generator
from wgan_suite.trial.optim import build_optimizer
from wgan_suite.trial.schedules import SCHEDULES


@dataclass
class TrainState:
    config: TrialConfig
    device: torch.device
    generator: nn.Module
    critic: nn.Module
    g_optimizer: torch.optim.Optimizer
    c_optimizer: torch.optim.Optimizer
    lipschitz: LipschitzMethod
    loss: Any  # a LOSSES entry
    schedule: Any  # a SCHEDULES entry
    source: Source
    noise_rng: torch.Generator  # latent codes for training batches
    penalty_rng: torch.Generator  # interpolation weights of the gradient penalty
    iteration: int = 0  # generator iterations done
    images_seen: int = 0  # real samples drawn by the critic
    wall_time: float = 0.0  # seconds of training before the current process

    def state_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "c_optimizer": self.c_optimizer.state_dict(),
            "source": self.source.state_dict(),
            "noise_rng": self.noise_rng.get_state(),
            "penalty_rng": self.penalty_rng.get_state(),
            "iteration": self.iteration,
            "images_seen": self.images_seen,
            "wall_time": self.wall_time,
            "config_hash": self.config.hash(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["config_hash"] != self.config.hash():
            raise ValueError("checkpoint belongs to a different trial config; refusing to resume")
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.c_optimizer.load_state_dict(state["c_optimizer"])
        self.source.load_state_dict(state["source"])
        self.noise_rng.set_state(state["noise_rng"])
        self.penalty_rng.set_state(state["penalty_rng"])
        self.iteration = int(state["iteration"])
        self.images_seen = int(state["images_seen"])
        self.wall_time = float(state["wall_time"])


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config asks for device 'cuda' but no CUDA device is visible")
    return torch.device(name)


def cpu_numerics() -> None:
    """Subnormal floats (below 2**-126, about 1.2e-38) are flushed to zero on the CPU.

    x86 cores compute on subnormals through a slow microcode path, and a trial makes
    them: RMSProp's running average of squared gradients of a unit whose gradient is zero
    (a dead ReLU, a dead critic) decays by ``alpha`` per step and passes 1e-38 within a few
    thousand steps. The fig3_control cell held 613,000 of them after 1,450 generator
    iterations and its steps took about 100 ms instead of 62 (benchmarks/denormals.py).
    Flushing changes no value of 1.2e-38 or more; records of trials that never make a
    subnormal are bit for bit those of the reference (tests/test_trial.py). CUDA devices
    handle subnormals at full speed; the setting is the CPU's, and the calling thread's:
    a trial of ``cpu: 1`` (every shipped budget's) computes on it, while PyTorch's
    intra-op worker threads of a ``cpu: 2+`` trial keep subnormals (slower, not wrong). On
    a CPU without flush-to-zero (not x86 with SSE3) the call does nothing."""
    torch.set_flush_denormal(True)


def build_state(config: TrialConfig, device: torch.device | None = None) -> TrainState:
    cpu_numerics()
    device = device or resolve_device(config.device)
    seed, shape = config.seed, config.data_shape
    generator = build_generator(config.generator, shape, config.nz, stream_seed(seed, "init_g"))
    critic = build_critic(config.critic, shape, stream_seed(seed, "init_c"))
    lipschitz = LIPSCHITZ.get(config.lipschitz.name)(config.lipschitz)
    critic = lipschitz.prepare(critic)
    generator, critic = generator.to(device), critic.to(device)
    return TrainState(
        config=config,
        device=device,
        generator=generator,
        critic=critic,
        g_optimizer=build_optimizer(config.g_optimizer, generator.parameters()),
        c_optimizer=build_optimizer(config.c_optimizer, critic.parameters()),
        lipschitz=lipschitz,
        loss=LOSSES.get(config.loss.name),
        schedule=SCHEDULES.get(config.schedule.name)(config.schedule),
        source=build_source(
            config.data, device=device, seed=stream_seed(seed, "data"), batch_size=config.batch_size
        ),
        noise_rng=torch_generator(seed, "noise", device),
        penalty_rng=torch_generator(seed, "penalty", device),
    )


def fixed_noise(config: TrialConfig, device: torch.device) -> torch.Tensor:
    """The latent codes of every sample grid of a trial (same seed, same grid)."""
    g = torch_generator(config.seed, "fixed_noise")
    return torch.randn(config.grid_size, config.nz, generator=g).to(device)


@torch.no_grad()
def generate(generator: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Samples as the authors draw them (train mode, batch statistics), leaving the
    BatchNorm running statistics untouched so that sampling never changes a trial."""
    buffers = {k: v.clone() for k, v in generator.named_buffers()}
    try:
        return generator(z)
    finally:
        for k, v in generator.named_buffers():
            v.copy_(buffers[k])
