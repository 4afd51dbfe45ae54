"""What subnormal floats cost a cpu-budget trial, cell kind by cell kind.

A value below 2**-126 (about 1.2e-38) is stored as a subnormal float, and x86 cores
compute on subnormals through a slow microcode path. In a WGAN trial they appear where
training leaves numbers to decay: RMSProp's running average of squared gradients of a
unit whose gradient is zero (a dead ReLU, a dead critic) shrinks by ``alpha`` = 0.99 per
step and passes 1e-38 within a few thousand steps. The fig3_control cell (MLP generator,
MLP critic at RMSProp 1e-2, whose critic dies by design) held 613,000 of them after 1,450
generator iterations, and its steps had slowed from 62 to about 100 ms.

For each cell kind this trains one trial from scratch twice at the same time, one process
per core (so that load falls on both alike): the reference, which keeps subnormals (the
suite before trials flushed them), and the trial as it runs now (``torch`` flushing
subnormals to zero, ``wgan_suite.trial.train.state.cpu_numerics``). It prints the time
per generator iteration over the second half of the run and how many parameter and
optimizer values were subnormal at the end. The paper schedule's warm-up (100 critic
steps for the first 25 generator iterations) is in the first half.

    python benchmarks/denormals.py                       # every cell kind, 1,500 iterations
    python benchmarks/denormals.py --cells mlp_gd --iterations 3000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SMALLEST_NORMAL = 1.1754944e-38  # float32


def child(kind: str, flush: bool, iterations: int) -> dict[str, object]:
    """Runs in the subprocess: one thread, as a trial under Ray."""
    import torch
    from profile_cells import cell_config

    from wgan_suite.trial.train import step as step_module
    from wgan_suite.trial.train.state import build_state

    torch.set_num_threads(1)
    state = build_state(cell_config(kind))
    torch.set_flush_denormal(flush)  # after build_state, which turns flushing on
    times = []
    while state.iteration < iterations:
        start = time.perf_counter()
        step_module.train_step(state)
        times.append(time.perf_counter() - start)
    values = [p for m in (state.critic, state.generator) for p in m.parameters()]
    for opt in (state.c_optimizer, state.g_optimizer):
        values += [v for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
    subnormal = sum(
        int(((v != 0) & (v.abs() < SMALLEST_NORMAL)).sum()) for v in values if v.is_floating_point()
    )
    second = times[len(times) // 2 :]
    return {
        "ms per iteration, second half": 1e3 * statistics.fmean(second),
        "ms per iteration, all": 1e3 * statistics.fmean(times),
        "subnormal values at the end": subnormal,
        "values": sum(v.numel() for v in values if v.is_floating_point()),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", default="dcgan,const,mlp_g,mlp_gd")
    p.add_argument("--iterations", type=int, default=1500)
    p.add_argument("--child", nargs=2, metavar=("CELL", "FLUSH"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.child[0], a.child[1] == "1", a.iterations)))
        return
    from machine import describe

    print(describe())
    for kind in a.cells.split(","):
        procs = {}
        for flush in (False, True):
            argv = [sys.executable, __file__, "--child", kind, str(int(flush))]
            argv += ["--iterations", str(a.iterations)]
            procs[flush] = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        got = {flush: json.loads(proc.communicate()[0]) for flush, proc in procs.items()}
        keep, flush = got[False], got[True]
        ratio = flush["ms per iteration, second half"] / keep["ms per iteration, second half"]
        print(f"\n== {kind}: {a.iterations} generator iterations from scratch, side by side")
        for label, row in (("keeps subnormals (before)", keep), ("flushes them (now)", flush)):
            print(
                f"   {label:26s} {row['ms per iteration, second half']:7.1f} ms/it (2nd half), "
                f"{row['ms per iteration, all']:7.1f} ms/it (all); subnormal values at the "
                f"end: {row['subnormal values at the end']:,} of {row['values']:,}"
            )
        print(f"   time now / before (2nd half): {ratio:.2f}x")


if __name__ == "__main__":
    main()
