"""The machine a timing was taken on, printed with every figure docs/speed.md quotes.

VM kinds differ by 1.4-2x or more on the same grid (with and without AVX-512), so a time
without its machine says little. The facts are the ones every trial records in its
provenance (``wgan_suite.core.machine``): CPU model and flags, torch's CPU capability, its
BLAS and oneDNN builds, thread settings and the environment variables that change them.
Two probes follow, measured when printed on one thread, so that two VM kinds can be set
side by side on what decides the suite's small nets: the clock the kernel reports, the
fixed cost of one small op (a one-element ``torch.add``: PyTorch's dispatcher and the
core's scalar speed, which the 16 px nets' small layers pay per call) and the throughput
of a large fp32 matmul (the core's vector units).
``python benchmarks/machine.py``.
"""

from __future__ import annotations

import platform
import re
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wgan_suite.core import machine


def clock_mhz() -> str:
    """The first core's clock as /proc/cpuinfo reports it (a VM may report its host's)."""
    path = Path("/proc/cpuinfo")
    found = re.search(r"^cpu MHz\s*:\s*([\d.]+)", path.read_text() if path.exists() else "", re.M)
    return f"{float(found[1]):.0f} MHz" if found else "?"


def small_op_us(calls: int = 2000, rounds: int = 5) -> float:
    """Median microseconds per call of a one-element add into a preallocated tensor (after
    one unmeasured round)."""
    a, b, out = torch.ones(1), torch.ones(1), torch.empty(1)
    times = []
    for _ in range(rounds + 1):
        start = time.perf_counter()
        for _ in range(calls):
            torch.add(a, b, out=out)
        times.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(times[1:])


def matmul_gflops(size: int = 1024, calls: int = 10, rounds: int = 3) -> float:
    """Median GFLOP/s of a large square fp32 matmul on the threads set."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            a @ b
        times.append((time.perf_counter() - start) / calls)
    return 2 * size**3 / statistics.median(times) / 1e9


def facts() -> dict[str, str]:
    return {"host": platform.node(), "python": platform.python_version(), **machine.facts()}


def probes() -> dict[str, str]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {
            "clock": clock_mhz(),
            "small op": f"{small_op_us():.2f} us per call (one thread)",
            "fp32 matmul": f"{matmul_gflops():.0f} GFLOP/s at 1024^3 (one thread)",
        }
    finally:
        torch.set_num_threads(threads)


def describe() -> str:
    return "\n".join(f"{k:>16}: {v}" for k, v in {**facts(), **probes()}.items())


if __name__ == "__main__":
    print(describe())
