"""Training speed on this machine: the suite's trial step against the authors' loop, and
the levers left to pull (bf16 autocast, evaluation per checkpoint, the harness per trial).

    python benchmarks/train_speed.py                     # 16 px, width 16 (the cpu budget)
    python benchmarks/train_speed.py --size 32 --width 32 --repeats 7

1. Suite vs authors: ``wgan_suite.trial.train.step.train_step`` (the step every trial runs) against
   a faithful re-implementation of the loop of martinarjovsky/WassersteinGAN main.py
   (clamp at the top of each critic step, backward(one) / backward(mone) on the batch
   means, the generator step with the critic frozen, the 100-step warm-up), on the same
   nets, data and thread count, interleaved so load on the machine hits both alike.
   Prints generator iterations per second and the ratio suite / authors.
2. bf16 autocast (CPUs with avx512_bf16): the same step under torch.autocast.
3. Evaluation cost per checkpoint with the cpu budget's metrics.
4. The harness: wall time of a one-iteration trial through Ray Tune minus run_trial alone.
Every figure is the median of ``--repeats`` interleaved rounds.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from wgan_suite.trial.config import TrialConfig, load_trial_config
from wgan_suite.trial.metrics import EvalContext, evaluate
from wgan_suite.trial.train.state import TrainState, build_state
from wgan_suite.trial.train.step import train_step


def config(size: int, width: int, **extra) -> TrialConfig:
    return load_trial_config(
        {
            "seed": 0,
            "data": {"name": "fashion_mnist", "image_size": size, "channels": 1, "limit": 4096},
            "generator": {"name": "dcgan", "width": width},
            "critic": {"name": "dcgan", "width": width},
            "loss": "wgan",
            "lipschitz": {"name": "clip", "c": 0.01, "when": "before"},
            "schedule": {"name": "paper"},
            "iterations": 10,
            "device": "cpu",
            **extra,
        }
    )


class AuthorsLoop:
    """main.py's training loop (github.com/martinarjovsky/WassersteinGAN), step for step."""

    def __init__(self, state: TrainState) -> None:
        self.G, self.D = state.generator, state.critic
        self.optD, self.optG = state.c_optimizer, state.g_optimizer
        self.images = state.source.data  # uint8 on the device
        self.batch, self.nz, self.c = state.config.batch_size, state.config.nz, 0.01
        self.gen_iterations = 0
        self.one = torch.tensor(1.0)
        self.mone = -self.one
        self.order = torch.randperm(len(self.images))
        self.cursor = 0

    def next_batch(self) -> torch.Tensor:
        if self.cursor + self.batch > len(self.order):
            self.order, self.cursor = torch.randperm(len(self.images)), 0
        idx = self.order[self.cursor : self.cursor + self.batch]
        self.cursor += self.batch
        return self.images[idx].float() / 127.5 - 1  # transforms.Normalize((.5,), (.5,))

    def __call__(self) -> None:
        for p in self.D.parameters():
            p.requires_grad = True
        warm = self.gen_iterations < 25 or self.gen_iterations % 500 == 0
        for _ in range(100 if warm else 5):
            for p in self.D.parameters():
                p.data.clamp_(-self.c, self.c)
            self.D.zero_grad()
            real = self.next_batch()
            err_real = self.D(real).mean(0).view(1)
            err_real.backward(self.one.view(1))
            with torch.no_grad():
                fake = self.G(torch.randn(self.batch, self.nz, 1, 1))
            err_fake = self.D(fake).mean(0).view(1)
            err_fake.backward(self.mone.view(1))
            self.optD.step()
        for p in self.D.parameters():
            p.requires_grad = False
        self.G.zero_grad()
        fake = self.G(torch.randn(self.batch, self.nz, 1, 1))
        self.D(fake).mean(0).view(1).backward(self.one.view(1))
        self.optG.step()
        self.gen_iterations += 1


def per_iteration(step: Callable[[], None], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - start) / n


def bf16(state: TrainState) -> Callable[[], None]:
    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            train_step(state)

    return step


def warmed(cfg: TrialConfig) -> TrainState:
    """A state past the 25 warm-up iterations, so timings see the steady 5-step regime."""
    state = build_state(cfg)
    state.iteration = 26
    return state


def compare_steps(args: argparse.Namespace) -> None:
    cfg = config(args.size, args.width)
    suite_state, authors_state, bf16_state = warmed(cfg), warmed(cfg), warmed(cfg)
    authors = AuthorsLoop(authors_state)
    authors.gen_iterations = 26
    steps = {
        "suite": lambda: train_step(suite_state),
        "authors": authors,
        "suite_bf16": bf16(bf16_state),
    }
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():  # interleaved: load hits every variant alike
            times[name].append(per_iteration(step, args.iterations))
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, t in med.items():
        print(f"{name:11s} {1 / t:8.2f} generator iterations/s  ({t * 1000:.1f} ms/iteration)")
    print(f"ratio suite / authors (iterations/s): {med['authors'] / med['suite']:.2f}")
    print(f"bf16 autocast speed-up over fp32:     {med['suite'] / med['suite_bf16']:.2f}")


def eval_cost(args: argparse.Namespace) -> None:
    metrics = ["w_estimate", {"name": "fd_classifier", "samples": 1000}]
    state = build_state(config(args.size, args.width, metrics=metrics))
    ctx = EvalContext(state)
    evaluate(ctx, final=False)  # builds the classifier cache and the real features once
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        evaluate(ctx, final=False)
        times.append(time.perf_counter() - start)
    print(
        "evaluation per checkpoint (w_estimate + fd_classifier on 1,000 samples): "
        f"{statistics.median(times):.2f} s"
    )


def harness_overhead(args: argparse.Namespace) -> None:
    """Grids of 1 and of k one-iteration trials through Ray Tune, against run_trial alone:
    the start-up of a local Ray per grid, and the scheduling cost per trial."""
    from wgan_suite.harness.ablation import Resources, TrialSpec
    from wgan_suite.harness.tune import run_grid
    from wgan_suite.trial.train import run_trial

    cfg = config(args.size, args.width, iterations=1, checkpoint_every=1)
    k = 4

    def specs(first: int, n: int) -> list[TrialSpec]:
        made = []
        for seed in range(first, first + n):
            trial = cfg.model_copy(update={"seed": seed})
            made.append(TrialSpec("bench", 1, "smoke", {}, seed, trial, Resources()))
        return made

    def timed(run: Callable[..., object], *args: object) -> float:
        start = time.perf_counter()
        run(*args)
        return time.perf_counter() - start

    direct, one, many = [], [], []
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            root, seed = Path(tmp), 1000 * (i + 1)
            direct.append(timed(lambda path: list(run_trial(cfg, path)), root / "direct"))
            one.append(timed(run_grid, specs(seed, 1), root / "one"))
            many.append(timed(run_grid, specs(seed + 100, k), root / "many"))
    d, g1, gk = (statistics.median(x) for x in (direct, one, many))
    per_trial = (gk - g1) / (k - 1) - d
    print(
        f"harness: a local Ray grid costs {g1 - d:.1f} s to start and stop; each further trial "
        f"{per_trial:.2f} s on top of its own run ({d:.2f} s for a one-iteration trial)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--iterations", type=int, default=10, help="per timing")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--skip-harness", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} "
        f"thread(s); python {platform.python_version()}, torch {torch.__version__}; "
        f"{args.size} px, width {args.width}, batch 64, n_critic 5; median of {args.repeats}"
    )
    compare_steps(args)
    eval_cost(args)
    if not args.skip_harness:
        harness_overhead(args)


if __name__ == "__main__":
    main()
