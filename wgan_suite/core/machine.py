"""The machine facts that explain a timing: CPU model and the instruction sets PyTorch's
kernels use, torch's CPU capability, its BLAS and oneDNN builds, thread settings and the
environment variables that change them.

VM kinds with and without AVX-512 differ several-fold on the same grid, so every trial
records these with its wall time (``trial_status.provenance``) and every benchmark
prints them (``benchmarks/machine.py``): a reported time names its machine.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import torch

# The instruction sets that decide which kernels MKL, oneDNN and ATen pick.
FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")
# Variables that change threads or the kernels' code path (ISA caps, MKL's dispatch).
ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_ENABLE_INSTRUCTIONS",
    "MKL_CBWR",
    "MKL_DEBUG_CPU_TYPE",
    "DNNL_MAX_CPU_ISA",
    "ATEN_CPU_CAPABILITY",
)


def _cpuinfo_field(info: str, name: str) -> str:
    found = re.search(rf"^{name}\s*:\s*(.*)$", info, re.M)
    return found[1].strip() if found else "?"


@lru_cache(maxsize=1)
def _cpuinfo() -> str:
    path = Path("/proc/cpuinfo")
    return path.read_text(errors="replace") if path.exists() else ""


def bfloat16_in_hardware() -> bool | None:
    """Whether this x86 CPU has bfloat16 matmul instructions (``avx512_bf16`` or
    ``amx_bf16``): without them a bfloat16 step is emulated, several times slower than
    float32 (docs/speed.md). None where /proc/cpuinfo lists no x86 flags (another OS or
    architecture: unknown)."""
    flags = set(_cpuinfo_field(_cpuinfo(), "flags").split())
    if "sse2" not in flags:
        return None
    return bool(flags & {"avx512_bf16", "amx_bf16"})


@lru_cache(maxsize=1)
def cpu_facts() -> dict[str, str]:
    """Model, family/model numbers, logical CPUs and the flags in ``FLAGS`` it has."""
    info = _cpuinfo()
    flags = set(_cpuinfo_field(info, "flags").split())
    return {
        "cpu_model": _cpuinfo_field(info, "model name"),
        "cpu_family_model": f"{_cpuinfo_field(info, 'cpu family')}/{_cpuinfo_field(info, 'model')}",
        "cpu_count": str(os.cpu_count()),
        "cpu_flags": " ".join(f for f in FLAGS if f in flags) or "none of " + ", ".join(FLAGS),
    }


def torch_facts() -> dict[str, str]:
    """torch's CPU capability, its BLAS and oneDNN builds and thread counts (now)."""
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    onednn = re.search(r"(?:oneDNN|MKL-DNN) v(\d+\.\d+(?:\.\d+)?)", config)
    intra, inter = torch.get_num_threads(), torch.get_num_interop_threads()
    return {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "blas": blas[1] if blas else "?",
        "onednn": onednn[1] if onednn else "?",
        "threads": f"{intra} intra-op, {inter} inter-op",
    }


def environment() -> str:
    """The set variables of ``ENV`` as ``K=V, ...`` (``none set`` when none is)."""
    env = [f"{k}={os.environ[k]}" for k in ENV if k in os.environ]
    return ", ".join(env) or "none set"


def facts() -> dict[str, str]:
    """Everything above in one flat dict of strings (a trial's provenance, a benchmark)."""
    return {**cpu_facts(), **torch_facts(), "environment": environment()}
