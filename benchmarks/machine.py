"""The machine a timing was taken on, printed with every figure docs/speed.md quotes.

VM kinds differ by 3.5-5x on the same grid (with and without AVX-512), so a time without
its machine says little. The facts are the ones every trial records in its provenance
(``wgan_suite.core.machine``): CPU model and flags, torch's CPU capability, its BLAS and oneDNN
builds, thread settings and the environment variables that change them.
``python benchmarks/machine.py``.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wgan_suite.core import machine


def facts() -> dict[str, str]:
    return {"host": platform.node(), "python": platform.python_version(), **machine.facts()}


def describe() -> str:
    return "\n".join(f"{k:>16}: {v}" for k, v in facts().items())


if __name__ == "__main__":
    print(describe())
