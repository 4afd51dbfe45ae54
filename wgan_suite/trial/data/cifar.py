"""CIFAR-10 from the python pickle batches as released (cifar-10-python.tar.gz).

The WGAN code's ``--dataset cifar10`` (main.py) and WGAN-GP's gan_cifar.py train on
the 50,000 training images. The pickles are read here, not by torchvision's CIFAR10
class, which md5-checks every file; torchvision is used only to download. Unpickling
is restricted to numpy arrays: a pickle can otherwise run arbitrary code.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from wgan_suite.core import env
from wgan_suite.trial.data.base import DATASETS, ImageOptions
from wgan_suite.trial.data.images import LabelledSource, data_home, find_root, to_uint8_nchw
from wgan_suite.trial.data.presence import DataMissing

log = logging.getLogger("wgan_suite.trial.data")

BATCH_DIR = "cifar-10-batches-py"
SPLITS = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
HINT = (
    "Get cifar-10-python.tar.gz from www.cs.toronto.edu/~kriz/cifar.html and extract it in "
    f"root (giving root/{BATCH_DIR}/), or set root: null on a machine with network access "
    "(torchvision downloads it)."
)

# What numpy arrays pickled by Python 2 (the release) or 3 need, and nothing else.
PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in PICKLE_GLOBALS:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: a CIFAR batch holds only numpy arrays, "
                "lists and bytes"
            )
        return super().find_class(module, name)


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file: uint8 images (N, 3, 32, 32) and labels (N,).

    b'data' rows are 3072 bytes: the R, G and B planes, each 32 x 32 row-major.
    """
    with open(path, "rb") as f:
        batch = _ArraysOnly(f, encoding="bytes").load()
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path}: expected a dict with b'data' and b'labels'")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: b'data' must be uint8 (N, 3072), got {data.dtype} {data.shape}")
    if len(labels) != len(data):
        raise ValueError(f"{path}: {len(data)} images but {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32), labels


def download() -> Path:
    if env.offline():
        raise RuntimeError("downloads are disabled ($WGAN_SUITE_OFFLINE is set)")
    # deferred: torchvision takes ~3.5 s to import; only a download needs it
    import torchvision.datasets as tvd

    tvd.CIFAR10(root=str(data_home()), train=True, download=True)
    return data_home() / BATCH_DIR


def locate(root: str | None, names: tuple[str, ...]) -> Path:
    """``root`` or ``root/cifar-10-batches-py``; with root None the cache, downloading to it."""
    if root is not None:
        return find_root([Path(root), Path(root) / BATCH_DIR], names, what="CIFAR-10", hint=HINT)
    cache = data_home() / BATCH_DIR
    try:
        return find_root([cache], names, what="CIFAR-10", hint=HINT)
    except FileNotFoundError as missing:
        try:
            return find_root([download()], names, what="CIFAR-10", hint=HINT)
        except Exception as err:  # no network, mirror down, ...
            raise FileNotFoundError(f"{missing}\nDownload into {cache} failed: {err}") from err


def load_cifar(root: str | None, split: str, limit: int | None):
    """(images uint8 (N, 3, 32, 32), labels, directory), reading only the batches needed."""
    directory = locate(root, SPLITS[split])
    log.info("CIFAR-10 %s: reading %s", split, directory)
    images, labels, have = [], [], 0
    for name in SPLITS[split]:
        if limit is not None and have >= limit:
            break
        x, y = read_batch(directory / name)
        keep = len(x) if limit is None else limit - have
        images.append(x[:keep])
        labels.append(y[:keep])
        have += len(images[-1])
    return np.concatenate(images), np.concatenate(labels), directory


class CifarOptions(ImageOptions):
    channels: Literal[1, 3] = Field(3, description="3: RGB as released; 1: ITU-R 601 luminance")


@DATASETS.register("cifar10")
class Cifar10(LabelledSource):
    """The 60,000 32 x 32 CIFAR-10 images (train 50,000, test 10,000); ``labels``: 10 classes."""

    Options = CifarOptions

    def __init__(self, options, *, device, seed: int, batch_size: int = 0) -> None:
        images, labels, directory = load_cifar(options.root, options.split, options.limit)
        data = to_uint8_nchw(images, options.image_size, options.channels)
        super().__init__(data, labels, device, seed, str(directory))

    @classmethod
    def check(cls, options, fetch: bool) -> None:
        """Presence only: with root null and ``fetch``, this downloads (as training would)."""
        names = SPLITS[options.split]
        try:
            if fetch:
                locate(options.root, names)
            else:
                base = Path(options.root) if options.root else data_home()
                find_root([base, base / BATCH_DIR], names, what="CIFAR-10", hint=HINT)
        except FileNotFoundError as err:
            where = options.root or data_home()
            fix = (
                f"python -c \"import torchvision.datasets as d; d.CIFAR10('{data_home()}', "
                'download=True)" (needs network)'
                if options.root is None
                else f"extract cifar-10-python.tar.gz into {where}"
            )
            failed = "; download failed" if "failed" in str(err) else ""
            raise DataMissing(
                f"CIFAR-10 ({options.split}) is not in {where} or {where}/{BATCH_DIR}{failed}; "
                f"fix: {fix}"
            ) from None
