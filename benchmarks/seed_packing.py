"""What packing several seeds of an MLP cell into one batched step would buy (issue 25's
first named lever, measured; a measurement, not a training path).

    python benchmarks/seed_packing.py                          # every cell, K = 2, 4, 8
    python benchmarks/seed_packing.py --cells n_critic --packs 4 --repeats 5

A trial trains one seed. K trials of the same cell (the same config up to its seed) do
the same matmuls on K sets of weights, one after another. Packed, their weights are
stacked along a new first axis and one step trains all K: ``torch.func.vmap`` over
``functional_call`` of the suite's own nets turns each linear layer into one batched
matmul, and one RMSProp over the stacked tensors is K RMSProps (it is elementwise); the
losses are summed over seeds, so each seed's weights get their own gradient. Every seed
keeps its own data stream, latent codes and initial weights (``build_state``).

Per cell and pack size K it prints the time per seed and generator iteration, sequential
(``train_step`` on each of the K states in turn, as K trials on one core would) against
packed (one step of the stacked nets), the two interleaved, median of ``--repeats``
rounds, one thread as under Ray; and how far the packed weights are from the sequential
ones after ``--check`` generator iterations from the same start: bit for bit, or the
largest absolute difference (a batched matmul may sum in another order than a plain one,
and a GAN's training amplifies a last-bit difference). ``--float64`` runs only that
comparison, with every tensor in float64: rounding then shrinks by nine orders of
magnitude, while a difference of the algorithm would not.

Cells are the shipped ablations' first trial at the budget given (WGAN with weight
clipping: the packed step implements that case only, with no diagnostics):
``n_critic``, ``clipping_c``, ``transport_2d`` (2-D toy MLPs of the registered
confirmatory run R1), ``toy_modes``, and ``fig3_control`` (the MLP generator and MLP critic
of the cpu image grid).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch.func import functional_call, stack_module_state, vmap

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe
from profile_cells import PAST_WARMUP, per_call

from wgan_suite.harness.ablation import load_ablation
from wgan_suite.trial.optim import build_optimizer
from wgan_suite.trial.train import step as step_module
from wgan_suite.trial.train.state import TrainState, build_state

ROOT = Path(__file__).resolve().parents[1]
CELLS = ("n_critic", "clipping_c", "transport_2d", "toy_modes", "fig3_control")


def cell_configs(ablation: str, budget: str, k: int) -> list[Any]:
    """The ablation's first WGAN-clip cell at ``budget``, as K configs of seeds 0..K-1."""
    for spec in load_ablation(ROOT / "ablations" / f"{ablation}.yaml").trials(budget):
        cfg = spec.config
        if cfg.loss.name == "wgan" and cfg.lipschitz.name == "clip":
            return [cfg.model_copy(update={"seed": s}) for s in range(k)]
    raise SystemExit(f"{ablation} has no WGAN weight-clipping trial at {budget}")


class Packed:
    """K states of one cell trained as one: stacked weights, one optimizer per net."""

    def __init__(self, states: list[TrainState]) -> None:
        self.states = states
        cfg = states[0].config
        self.n_critic = states[0].schedule.n_critic(PAST_WARMUP)
        self.c = states[0].lipschitz.options.c
        self.loss = states[0].loss
        self.gp, gb = stack_module_state([s.generator for s in states])
        self.dp, db = stack_module_state([s.critic for s in states])
        if gb or db:
            raise SystemExit("the packed step takes nets without buffers (no BatchNorm)")
        g_base = copy.deepcopy(states[0].generator).to("meta")
        d_base = copy.deepcopy(states[0].critic).to("meta")
        self.G = vmap(lambda p, z: functional_call(g_base, p, (z,)))
        self.D = vmap(lambda p, x: functional_call(d_base, p, (x,)))
        self.critic_loss = vmap(lambda r, f: self.loss.critic(r, f)["critic"])
        self.gen_loss = vmap(lambda f: self.loss.generator(f)["generator"])
        self.g_opt = build_optimizer(cfg.g_optimizer, list(self.gp.values()))
        self.c_opt = build_optimizer(cfg.c_optimizer, list(self.dp.values()))
        self.clip_before = states[0].lipschitz.options.when == "before"

    def _latent(self) -> torch.Tensor:
        n, nz = self.states[0].config.batch_size, self.states[0].config.nz
        return torch.stack([torch.randn(n, nz, generator=s.noise_rng) for s in self.states])

    @torch.no_grad()
    def _clip(self) -> None:
        for p in self.dp.values():
            p.clamp_(-self.c, self.c)

    def step(self) -> None:
        gp_fixed = {k: v.detach() for k, v in self.gp.items()}
        for _ in range(self.n_critic):
            real = torch.stack([s.source.sample(s.config.batch_size) for s in self.states])
            with torch.no_grad():
                fake = self.G(gp_fixed, self._latent())
            if self.clip_before:
                self._clip()
            loss = self.critic_loss(self.D(self.dp, real), self.D(self.dp, fake)).sum()
            self.c_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.c_opt.step()
            if not self.clip_before:
                self._clip()
        dp_fixed = {k: v.detach() for k, v in self.dp.items()}
        loss = self.gen_loss(self.D(dp_fixed, self.G(self.gp, self._latent()))).sum()
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()


def sequential_step(states: list[TrainState]) -> None:
    for s in states:
        s.iteration = PAST_WARMUP
        step_module.train_step(s)


def difference(states: list[TrainState], packed: Packed) -> float:
    """The largest |sequential - packed| over every weight of every seed."""
    worst = 0.0
    for i, s in enumerate(states):
        for net, stacked in ((s.generator, packed.gp), (s.critic, packed.dp)):
            for name, p in net.named_parameters():
                worst = max(worst, float((p.detach() - stacked[name][i].detach()).abs().max()))
    return worst


def all_float64() -> None:
    """The control of the comparison: nets, data, noise and losses in float64 (the step
    casts critic outputs with ``.float()``, and image data arrive through it too)."""
    torch.set_default_dtype(torch.float64)
    torch.Tensor.float = torch.Tensor.double  # type: ignore[method-assign]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", default=",".join(CELLS), help=f"of {', '.join(CELLS)}")
    p.add_argument("--budget", default="cpu")
    p.add_argument("--packs", default="2,4,8", help="pack sizes K")
    p.add_argument("--iterations", type=int, default=5, help="generator iterations per timing")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--check", type=int, default=20, help="iterations before the comparison")
    p.add_argument("--float64", action="store_true", help="the comparison alone, in float64")
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.float64:
        all_float64()
    print(describe())
    print(f"budget {a.budget}; ms per seed and generator iteration, median of {a.repeats}")
    for cell in a.cells.split(","):
        for k in (int(x) for x in a.packs.split(",")):
            configs = cell_configs(cell, a.budget, k)
            states = [build_state(c) for c in configs]
            packed = Packed([build_state(c) for c in configs])
            # the same start, the same streams: compare after a few iterations each way
            for _ in range(a.check):
                sequential_step(states)
                packed.step()
            diff = difference(states, packed)
            same = "bit for bit" if diff == 0 else f"max |diff| {diff:.2e}"
            if a.float64:
                print(f"{cell:>13} K={k}: float64, after {a.check} iterations: {same}")
                continue
            seq, pak = [], []
            for r in range(a.repeats):  # either goes first in every other round
                for fn, times in [(partial(sequential_step, states), seq), (packed.step, pak)][
                    :: 1 if r % 2 == 0 else -1
                ]:
                    times.append(per_call(fn, a.iterations) / k)
            s, q = statistics.median(seq) * 1e3, statistics.median(pak) * 1e3
            cfg = configs[0]
            print(
                f"{cell:>13} K={k}: sequential {s:7.2f} ms, packed {q:7.2f} ms, "
                f"ratio {q / s:.2f}x; n_critic {packed.n_critic}, batch {cfg.batch_size}; "
                f"after {a.check} iterations: {same}"
            )


if __name__ == "__main__":
    main()
