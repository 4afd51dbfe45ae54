"""What bfloat16 autocast buys per cell kind on this core (a measurement, not a verdict).

    python benchmarks/precision.py                 # every cell kind, 3 interleaved rounds
    python benchmarks/precision.py --cells mlp_gd,clip_mlp --repeats 5

Trials train in float32, as the authors' code does, unless an ablation sets
``precision: bfloat16`` (``TrialConfig.precision``; whether it may is what
``benchmarks/precision_study.py`` decides, on the same seeds). This script autocasts the
whole step (optimizer and clipping too, which autocast leaves in float32 anyway); the
suite autocasts only the forward passes. On a core with avx512_bf16 a
bfloat16 matmul runs several times faster than a float32 one, so the step of a cell whose
time is in matmuls (the MLP nets) could shrink by half; the 16 px convolutions gain little.
This script times one training step past the warm-up in float32 and under
``torch.autocast("cpu", dtype=torch.bfloat16)`` (matmuls and convolutions in bfloat16,
weights, optimizer and losses in float32), the two interleaved, median of ``--repeats``
rounds, one thread as under Ray; it prints the raw matmul rates too. It changes the
numbers (8 bits of significand in every product): issue 25 allows it only where a study
shows the verdict-relevant numbers unchanged (on clipping_c they were not: docs/speed.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe
from profile_cells import CELLS, PAST_WARMUP, cell_config, per_call

from wgan_suite.harness.ablation import load_ablation
from wgan_suite.trial.train import step as step_module
from wgan_suite.trial.train.state import build_state

ROOT = Path(__file__).resolve().parents[1]
# more cell kinds than profile_cells: the toy MLPs of clipping_c (cpu) and toy_modes (quick)
EXTRA = {"clip_mlp": ("clipping_c", "cpu"), "toy_mlp": ("toy_modes", "quick")}


def config(kind: str) -> Any:
    if kind in CELLS:
        return cell_config(kind)
    ablation, budget = EXTRA[kind]
    return load_ablation(ROOT / "ablations" / f"{ablation}.yaml").trials(budget)[0].config


def step_seconds(state: Any, n: int, bf16: bool) -> float:
    def step() -> None:
        state.iteration = PAST_WARMUP
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            step_module.train_step(state)

    return per_call(step, n)


def matmul_rate(shape: tuple[int, int, int], dtype: torch.dtype, n: int = 200) -> float:
    m, k, p = shape
    a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, p, dtype=dtype)
    a @ b
    return 2 * m * k * p / per_call(lambda: a @ b, n)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = [*CELLS, *EXTRA]
    p.add_argument("--cells", default=",".join(kinds), help=f"of {', '.join(kinds)}")
    p.add_argument("--iterations", type=int, default=5, help="generator iterations per timing")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    print(describe())
    for shape in ((64, 512, 512), (256, 128, 128), (1024, 1024, 1024)):
        f32, bf = (matmul_rate(shape, d) / 1e9 for d in (torch.float32, torch.bfloat16))
        print(f"matmul {shape}: float32 {f32:.0f} GFLOP/s, bfloat16 {bf:.0f} GFLOP/s")
    for kind in a.cells.split(","):
        state = build_state(config(kind))
        step_seconds(state, 2, False), step_seconds(state, 2, True)  # warm both paths
        f32, bf = [], []
        for _ in range(a.repeats):  # interleaved
            f32.append(step_seconds(state, a.iterations, False))
            bf.append(step_seconds(state, a.iterations, True))
        m32, mbf = statistics.median(f32), statistics.median(bf)
        print(
            f"{kind:9s} float32 {m32 * 1e3:7.1f} ms  bf16 autocast {mbf * 1e3:7.1f} ms per "
            f"generator iteration: {mbf / m32:.2f}x"
        )


if __name__ == "__main__":
    main()
