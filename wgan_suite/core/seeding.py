"""Named random streams derived from the one trial seed.

Each stream is keyed by its name, so adding a stream never shifts the others.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch


def stream_seed(seed: int, name: str) -> int:
    seq = np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(name.encode()),))
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> 1)


def torch_generator(seed: int, name: str, device: torch.device | str = "cpu") -> torch.Generator:
    g = torch.Generator(device=torch.device(device))
    g.manual_seed(stream_seed(seed, name))
    return g
