"""Where a cpu-budget trial's time goes, per cell kind, and how far each step is from
its compute floor (a profile and a roofline).

    python benchmarks/profile_cells.py                       # every cell kind, 3 rounds
    python benchmarks/profile_cells.py --cells mlp_gd --repeats 5

Cells are the shipped ablations' own configs at the ``cpu`` budget (WGAN, weight
clipping, RMSProp, the authors' schedule past its warm-up): ``dcgan`` (Fig. 5),
``const`` (the no-BN constant-filter generator of Fig. 6), ``mlp_g`` (MLP generator,
DCGAN critic, Fig. 7) and ``mlp_gd`` (MLP generator and MLP critic, the Fig. 3 control).
One thread, as a trial runs under Ray (one CPU per trial).

Per cell it prints:

1. Time per generator iteration, split into the critic steps' data draw, forward and
   backward, optimizer step and clipping, and the generator step; then what a trial
   adds per iteration on top: logging (the diagnostics of a logged step and its record,
   every ``log_every``), scoring and the checkpoint (every ``checkpoint_every``), and the
   warm-up's extra critic steps, all amortised over the trial's iterations. Ray's
   start-up per trial is measured by ``benchmarks/train_speed.py`` (harness).
2. The FLOPs of one generator iteration (``torch.utils.flop_counter``: matmuls and
   convolutions, forward and backward) and the achieved GFLOP/s.
3. Two floors: the **kernel floor** (the time the profiler sees inside the matmul and
   convolution kernels of the step: the rate this core reaches on exactly these shapes)
   and the **peak floor** (the FLOPs at this core's measured rate for a large square
   fp32 matmul). ``step / kernel floor`` is what overhead costs (elementwise ops, the
   optimizer, Python); ``kernel floor / peak floor`` is how much these shapes lose to
   their size.

Every figure is the median of ``--repeats`` rounds, the cells interleaved so that load on
the machine hits them alike. The machine facts come first (``benchmarks/machine.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, matmul_gflops

from wgan_suite.harness.ablation import load_ablation
from wgan_suite.trial.metrics import EvalContext, evaluate
from wgan_suite.trial.train import step as step_module
from wgan_suite.trial.train.state import TrainState, build_state, fixed_noise
from wgan_suite.trial.train.trial import _checkpoint, _record

ROOT = Path(__file__).resolve().parents[1]
# cell kind -> (ablation, the cell's axis values); WGAN rows of the cpu image grid
CELLS = {
    "dcgan": ("paper_stability", {"generator": "dcgan", "loss": "wgan"}),
    "const": ("paper_stability", {"generator": "dcgan_const", "loss": "wgan"}),
    "mlp_g": ("paper_stability", {"generator": "mlp(width=512)", "loss": "wgan"}),
    "mlp_gd": ("fig3_control", {}),
}
# Self time only, so a kernel called inside another is not counted twice; the transposed
# convolutions of the DCGAN generator run inside aten::_convolution itself on oneDNN builds.
KERNELS = (
    "aten::mm",
    "aten::addmm",
    "aten::bmm",
    "aten::mkldnn_convolution",
    "aten::_convolution",
)
KERNEL_PREFIXES = ("aten::convolution_backward", "aten::slow_conv", "aten::_slow_conv")
PAST_WARMUP = 30  # the paper schedule's 100-step warm-up is over (n_critic = 5)


def cell_config(kind: str) -> Any:
    ablation, want = CELLS[kind]
    specs = load_ablation(ROOT / "ablations" / f"{ablation}.yaml").trials("cpu")
    for spec in specs:
        if all(spec.cell.get(k) == v for k, v in want.items()):
            return spec.config
    raise SystemExit(f"no cpu trial of {ablation} with {want}; cells: {specs[0].cell}")


class Phases:
    """Wall time per phase of train_step, by wrapping what the step calls."""

    def __init__(self, state: TrainState) -> None:
        self.t: dict[str, float] = defaultdict(float)
        self.state = state
        src, lip, copt, gopt = state.source, state.lipschitz, state.c_optimizer, state.g_optimizer
        src.sample = self.wrap("critic: data", src.sample)
        lip.before_step = self.wrap("critic: clip", lip.before_step)
        lip.after_step = self.wrap("critic: clip", lip.after_step)
        copt.step = self.wrap("critic: optimizer", copt.step)
        copt.zero_grad = self.wrap("critic: optimizer", copt.zero_grad)
        gopt.step = self.wrap("generator: optimizer", gopt.step)
        gopt.zero_grad = self.wrap("generator: optimizer", gopt.zero_grad)

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.t[name] += time.perf_counter() - start

        return timed

    def run(self, n: int) -> dict[str, float]:
        """Seconds per generator iteration by phase over ``n`` steady iterations."""
        self.t.clear()
        critic, generator = step_module.critic_update, step_module.generator_update
        step_module.critic_update = self.wrap("critic step", critic)
        step_module.generator_update = self.wrap("generator step", generator)
        try:
            start = time.perf_counter()
            for _ in range(n):
                self.state.iteration = PAST_WARMUP
                step_module.train_step(self.state)
            total = time.perf_counter() - start
        finally:
            step_module.critic_update, step_module.generator_update = critic, generator
        t = {k: v / n for k, v in self.t.items()}
        inner = ("critic: data", "critic: clip", "critic: optimizer")
        t["critic: forward + backward"] = t.pop("critic step") - sum(t.get(k, 0) for k in inner)
        t["generator: forward + backward"] = t.pop("generator step") - t["generator: optimizer"]
        t["step"] = total / n
        return t


def per_call(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def trial_extras(state: TrainState, n: int) -> dict[str, float]:
    """Seconds per generator iteration a trial adds to the steady step, amortised."""
    cfg = state.config
    state.iteration = PAST_WARMUP
    plain = per_call(lambda: step_module.train_step(state), n)
    state.iteration = PAST_WARMUP
    logged = per_call(lambda: _record(state, step_module.train_step(state, True), 0.0), n)
    ctx = EvalContext(state)
    evaluate(ctx, final=False)  # the classifier and real features: once per trial
    scoring = per_call(lambda: evaluate(ctx, final=False), 3)
    z = fixed_noise(cfg, state.device)
    with tempfile.TemporaryDirectory() as tmp:
        save = per_call(lambda: _checkpoint(state, Path(tmp), z), 3)
    state.iteration = 0  # a warm-up iteration: 100 critic steps instead of 5
    warm = per_call(lambda: step_module.train_step(state), 2)
    warm_iterations = 25 + (cfg.iterations - 1) // 500  # the authors' schedule
    return {
        "logging": (logged - plain) / cfg.log_every,
        "scoring": scoring / cfg.checkpoint_every,
        "checkpoint + sample grid": save / cfg.checkpoint_every,
        "warm-up critic steps": (warm - plain) * warm_iterations / cfg.iterations,
    }


def flops_per_iteration(state: TrainState) -> int:
    state.iteration = PAST_WARMUP
    counter = FlopCounterMode(display=False)
    with counter:
        step_module.train_step(state)
    return counter.get_total_flops()


# What the ops above the kernel floor are, by family (the op profile's self time): an op
# belongs to the first family one of whose names it equals or starts with.
FAMILIES = {
    "BatchNorm, forward and backward": ("native_batch_norm", "batch_norm", "_batch_norm"),
    "activations and their gradients": ("leaky_relu", "relu", "tanh", "sigmoid", "threshold"),
    "optimizer and clipping (elementwise)": (
        "_foreach",
        "addcmul",
        "addcdiv",
        "sqrt",
        "clamp",
        "lerp",
    ),
    "copies, views, allocation, wrappers": (
        "copy_",
        "_to_copy",
        "to",
        "empty",
        "empty_strided",
        "zeros",
        "zeros_like",
        "ones_like",
        "fill_",
        "zero_",
        "clone",
        "contiguous",
        "view",
        "_unsafe_view",
        "reshape",
        "as_strided",
        "transpose",
        "permute",
        "t",
        "expand",
        "cat",
        "flatten",
        "unsqueeze",
        "squeeze",
        "detach",
        "select",
        "slice",
        "index",
        "resize_",
        "set_",
        "alias",
        "lift_fresh",
        "convolution",
        "_convolution",
        "conv2d",
        "conv_transpose2d",
        "linear",
        "matmul",
    ),
    "data and latent draws": ("randn", "normal_", "uniform_", "randint", "random_"),
    "losses, reductions, other arithmetic": ("mean", "sum", "neg", "sub", "div", "mul", "add"),
}


KERNEL_FAMILY = "kernels (matmul, convolution)"


def family(op: str) -> str:
    if op in KERNELS or op.startswith(KERNEL_PREFIXES):
        return KERNEL_FAMILY
    name = op.removeprefix("aten::")
    for fam, names in FAMILIES.items():
        if any(name == n or name.startswith((n + "_", n + ".")) for n in names):
            return fam
    return "other ops"


def op_families(state: TrainState, n: int, top: int) -> tuple[dict[str, float], list, float, float]:
    """Self time per iteration by op family, the ``top`` ops outside the kernels, the
    profiled wall time and the aten op calls per iteration. What no op accounts for
    (Python, the autograd engine's bookkeeping, the profiler's own cost) is the wall time
    less every op's self time."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(n):
            state.iteration = PAST_WARMUP
            step_module.train_step(state)
        wall = (time.perf_counter() - start) / n
    fams: dict[str, float] = defaultdict(float)
    ops = []
    calls = 0.0
    for e in prof.key_averages():
        if not e.key.startswith("aten::"):
            continue  # user-level ranges (optimizer.step#...) hold aten ops: no self time
        sec = e.self_cpu_time_total / 1e6 / n
        fams[family(e.key)] += sec
        calls += e.count / n
        if family(e.key) != KERNEL_FAMILY:
            ops.append((sec, e.key, e.count / n))
    fams["outside any op (Python, autograd engine, profiler)"] = wall - sum(fams.values())
    return dict(fams), sorted(ops, reverse=True)[:top], wall, calls


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", default=",".join(CELLS), help=f"of {', '.join(CELLS)}")
    p.add_argument("--iterations", type=int, default=20, help="generator iterations per timing")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--ops",
        type=int,
        default=0,
        metavar="N",
        help="also print what the time above the kernel floor is, by op family, and the N "
        "costliest ops outside the kernels (an op profile: its own cost inflates the step)",
    )
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    kinds = a.cells.split(",")
    print(describe())
    print(f"threads for the benchmark: {torch.get_num_threads()}")
    states = {k: build_state(cell_config(k)) for k in kinds}
    phases = {k: Phases(s) for k, s in states.items()}
    for k in kinds:  # warm the allocator, oneDNN's primitive caches and the data
        phases[k].run(3)
    rounds: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    op_rounds: dict[str, list] = {k: [] for k in kinds}
    peaks = []
    for _ in range(a.repeats):
        peaks.append(matmul_gflops() * 1e9)
        for k in kinds:  # interleaved
            row = phases[k].run(a.iterations)
            ops = op_families(states[k], max(3, a.iterations // 4), a.ops)  # one profile
            row["kernels"] = ops[0][KERNEL_FAMILY]  # the kernel floor
            rounds[k].append(row)
            op_rounds[k].append(ops)
    peak = statistics.median(peaks)
    print(f"large fp32 matmul (1024^3) on this core: {peak / 1e9:.0f} GFLOP/s\n")
    for k in kinds:
        cfg = states[k].config
        med = {key: statistics.median(r[key] for r in rounds[k]) for key in rounds[k][0]}
        extras = trial_extras(build_state(cfg), a.iterations)
        flops = flops_per_iteration(states[k])
        step, kernels = med.pop("step"), med.pop("kernels")
        nets = f"G {cfg.generator.name}, D {cfg.critic.name}"
        print(f"== {k}: {CELLS[k][0]} {CELLS[k][1] or ''} ({nets})")
        print(f"   step {step * 1e3:.1f} ms per generator iteration (batch {cfg.batch_size})")
        for name, sec in sorted(med.items()):
            print(f"     {name:30s} {sec * 1e3:7.2f} ms  {100 * sec / step:5.1f} %")
        other = step - sum(med.values())
        rest = "the rest (loss, bookkeeping)"
        print(f"     {rest:30s} {other * 1e3:7.2f} ms  {100 * other / step:5.1f} %")
        trial = step + sum(extras.values())
        print(f"   a trial adds per iteration ({cfg.iterations:,} iterations):")
        for name, sec in extras.items():
            print(f"     {name:30s} {sec * 1e3:7.2f} ms  {100 * sec / trial:5.1f} % of the trial")
        print(f"   trial without Ray start-up: about {trial * cfg.iterations:.0f} s")
        rate = flops / step
        print(f"   {flops / 1e9:.3f} GFLOP per iteration: {rate / 1e9:.1f} GFLOP/s achieved")
        print(
            f"   kernel floor {kernels * 1e3:.1f} ms ({flops / kernels / 1e9:.0f} GFLOP/s in the "
            f"kernels): step = {step / kernels:.2f}x kernel floor"
        )
        print(
            f"   peak floor {flops / peak * 1e3:.1f} ms: step = {step * peak / flops:.2f}x peak "
            f"floor, kernels = {kernels * peak / flops:.2f}x\n"
        )
        if a.ops:
            print_ops(op_rounds[k])


def print_ops(rounds: list) -> None:
    """The op profile's families and costliest ops, median over rounds."""
    wall = statistics.median(r[2] for r in rounds)
    fams = {f: statistics.median(r[0].get(f, 0.0) for r in rounds) for f in rounds[0][0]}
    calls = statistics.median(r[3] for r in rounds)
    print(
        f"   op profile: {wall * 1e3:.1f} ms per iteration profiled, {calls:,.0f} aten op calls; "
        "self time by family:"
    )
    for f, sec in sorted(fams.items(), key=lambda kv: -kv[1]):
        print(f"     {f:52s} {sec * 1e3:7.2f} ms  {100 * sec / wall:5.1f} %")
    top: dict[str, list] = defaultdict(list)
    for r in rounds:
        for sec, key, calls in r[1]:
            top[key].append((sec, calls))
    ranked = sorted(top.items(), key=lambda kv: -statistics.median(s for s, _ in kv[1]))
    print("   costliest ops outside the kernels (self time per iteration, calls per iteration):")
    for key, vals in ranked[: len(rounds[0][1])]:
        sec = statistics.median(s for s, _ in vals)
        calls = statistics.median(c for _, c in vals)
        print(f"     {key:52s} {sec * 1e3:7.2f} ms  {calls:5.0f} calls  {family(key)}")
    print()


if __name__ == "__main__":
    main()
