"""Files the metrics build once and reuse: Inception weights, classifiers, real statistics.

Builds are serialised by a file lock so that trials starting together on one machine
compute a cache entry once instead of racing; the entry itself is written atomically.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wgan_suite.core import env

cache_dir = env.cache_dir  # $WGAN_SUITE_CACHE, else ~/.cache/wgan-suite/metrics


def key_of(*parts: Any) -> str:
    """A short stable hash of JSON-able parts (options, sizes, weight hashes)."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def locked(path: Path):
    """An exclusive lock on ``path``.lock for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_once(path: Path, build: Callable[[Path], None]) -> Path:
    """Return ``path``, calling ``build(path)`` under the lock if it does not exist yet."""
    if path.exists():
        return path
    with locked(path):
        if not path.exists():
            build(path)
    return path
