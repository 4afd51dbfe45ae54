from __future__ import annotations

import gzip
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from wgan_suite.core import env
from wgan_suite.trial.data.images import present
from wgan_suite.trial.data.mnist import FASHION, idx_names


def _installed_fashion() -> Path | None:
    """The Fashion-MNIST directory a user's look-up reads first ($WGAN_SUITE_FASHION_MNIST,
    else Debian's dataset-fashion-mnist), if it holds all four IDX files."""
    names = idx_names("train") + idx_names("test")
    for d in map(Path, FASHION.dirs()):
        if d.is_dir() and all(present(d, n) for n in names):
            return d
    return None


# Read before pytest_configure may point the variable at the synthetic set. Without the
# real files (macOS, Fedora, a container; or WGAN_SUITE_FASHION_MNIST=<an empty folder>
# to try it), tests read a small synthetic set in the same format and the few that check
# the real one skip, saying why.
REAL_FASHION = _installed_fashion()
real_fashion = pytest.mark.skipif(
    REAL_FASHION is None,
    reason=f"needs the real Fashion-MNIST (apt-get install dataset-fashion-mnist, or "
    f"${env.FASHION_MNIST}=DIR); not in {', '.join(FASHION.dirs())}",
)


def write_idx(path: Path, array: np.ndarray, code: int = 0x08, gz: bool = True) -> None:
    """``array`` as an IDX file: 00 00 <type> <ndim>, big-endian uint32 dims, then the data."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)


def synthetic_fashion(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 28 x 28 uint8 images, label i % 10: a bright 6 x 10 block whose place (2 rows
    of 5) is the class, jittered by a pixel or two, on faint noise; pixels span 0..255."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        dy, dx = rng.integers(-1, 2, 2)
        top, left = 3 + 12 * (k // 5) + dy, 1 + 5 * (k % 5) + dx
        images[i, max(top, 0) : top + 10, max(left, 0) : left + 6] = rng.integers(180, 256)
    images[:, 0, 0], images[:, 27, 27] = 0, 255
    return images, labels


def write_fashion(directory: Path, n_train: int = 1000, n_test: int = 200) -> Path:
    """The four files of dataset-fashion-mnist, gzip'd as Debian ships them, but small."""
    directory.mkdir(parents=True, exist_ok=True)
    for split, n, seed in (("train", n_train, 0), ("test", n_test, 1)):
        images, labels = synthetic_fashion(n, seed)
        image_name, label_name = idx_names(split)
        write_idx(directory / image_name, images)
        write_idx(directory / label_name, labels)
    return directory


def pytest_configure(config):
    """Nothing downloads in tests; metric caches (classifiers, converted Inception
    weights, real-image features) live in one directory per test session. Without the
    real Fashion-MNIST, $WGAN_SUITE_FASHION_MNIST points at a synthetic one (subprocesses
    and Ray workers inherit it)."""
    os.environ["WGAN_SUITE_OFFLINE"] = "1"
    if "WGAN_SUITE_CACHE" not in os.environ:
        os.environ["WGAN_SUITE_CACHE"] = tempfile.mkdtemp(prefix="wgan-suite-test-cache-")
    if REAL_FASHION is None:
        synthetic = Path(tempfile.mkdtemp(prefix="wgan-suite-test-fashion-"))
        os.environ[env.FASHION_MNIST] = str(write_fashion(synthetic))


def pytest_collection_modifyitems(config, items):
    """The slow tests first, each group in file order: under pytest-xdist (`nox -s tests`
    runs a worker per core) the workers start on the long ones and share the short ones
    at the end, instead of one worker finishing a tail of minutes-long tests alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _deterministic_threads():
    """One thread in every test, as in a trial of ``cpu: 1``: CPU reductions are then
    bit-reproducible, and the workers of `pytest -n auto` (one per core) do not contend
    for the cores. And subnormals flushed, as in a trial (trial.train.state.cpu_numerics),
    whatever test ran before."""
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    yield


def toy_config(**overrides):
    """A small WGAN trial on 8 Gaussians; tests override what they study."""
    cfg = {
        "seed": 0,
        "data": {"name": "8gaussians"},
        "generator": {"name": "mlp", "width": 32, "init": "he"},
        "critic": {"name": "mlp", "width": 32, "init": "he"},
        "nz": 2,
        "batch_size": 32,
        "iterations": 6,
        "log_every": 2,
        "checkpoint_every": 3,
        "grid_size": 64,
        "device": "cpu",
    }
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray (2 CPUs) for the tests of a module that need one."""
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()


def records_without_timing(runs):
    """Every trial's records under ``runs``, minus what depends on the clock: what two
    runs of the same grid must agree on."""
    from wgan_suite.core import files

    timing = ("wall_time", "eval_seconds", "checkpoint")
    return {
        p.parent.name: [
            {k: v for k, v in r.items() if k not in timing} for r in files.read_jsonl(p)
        ]
        for p in sorted((runs / "trials").glob("*/records.jsonl"))
    }
