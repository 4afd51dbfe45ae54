"""LSUN bedrooms from the lmdb database as released (the paper's main data set, Sec. 4.1).

``bedroom_train_lmdb/data.mdb`` maps keys to encoded images (webp in the release;
any format PIL reads works). About 3M images: the set streams by default. Images
get the authors' transform, Scale(64) + CenterCrop(64) (main.py, ``--dataset lsun``).

The key list takes one cursor pass to read; it is cached under the suite's data
home ($WGAN_SUITE_DATA or ~/.cache/wgan-suite), keyed by the database's path, size
and mtime, never in the working directory (torchvision's LSUN writes ``_cache_*``
there). Keys are held as one byte string plus offsets: a Python list of 3M bytes
objects would be copied page by page into every forked worker as refcounts change.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import os
from pathlib import Path
from typing import Literal

import lmdb
import numpy as np
from PIL import Image
from pydantic import Field
from torch.utils.data import get_worker_info

from wgan_suite.trial.data.base import DATASETS, Source
from wgan_suite.trial.data.images import data_home, find_root
from wgan_suite.trial.data.presence import DataMissing
from wgan_suite.trial.data.stream import EncodedImages, StreamOptions, decoded_source

log = logging.getLogger("wgan_suite.trial.data")

FOLDERS = {"train": "bedroom_train_lmdb", "test": "bedroom_val_lmdb"}
HINT = (
    "Download the LSUN bedroom lmdb (github.com/fyu/lsun: python3 download.py -c bedroom), "
    "unzip it and point root at bedroom_train_lmdb/ (or bedroom_val_lmdb/ for split "
    "'test') or at the folder holding it."
)


class Keys:
    """Keys packed into one buffer with offsets (cheap to fork and to save)."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob, self.offsets = blob, offsets

    @classmethod
    def pack(cls, keys: list[bytes]) -> Keys:
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum([len(k) for k in keys], out=offsets[1:])
        return cls(np.frombuffer(b"".join(keys), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes()

    def first(self, limit: int | None) -> Keys:
        if limit is None or limit >= len(self):
            return self
        return Keys(self.blob[: self.offsets[limit]], self.offsets[: limit + 1])


def open_env(path: Path) -> lmdb.Environment:
    # lock=False: read-only media and many readers; readahead=False: random access
    return lmdb.open(str(path), readonly=True, lock=False, readahead=False, meminit=False)


def read_keys(path: Path, limit: int | None = None) -> Keys:
    """Keys in lmdb order (sorted bytes, hence deterministic), one cursor pass."""
    with open_env(path) as env, env.begin() as txn:
        keys = list(itertools.islice(txn.cursor().iternext(keys=True, values=False), limit))
    return Keys.pack(keys)


def key_cache(path: Path) -> Path:
    stat = (path / "data.mdb").stat()
    ident = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    return data_home() / "lsun" / f"keys-{hashlib.sha1(ident).hexdigest()[:16]}.npz"


def cached_keys(path: Path, limit: int | None) -> Keys:
    """The full key list from the cache (written on first use), or ``limit`` keys read directly."""
    cache = key_cache(path)
    if cache.is_file():
        with np.load(cache) as f:
            return Keys(f["blob"], f["offsets"]).first(limit)
    if limit is not None:
        return read_keys(path, limit)
    keys = read_keys(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, blob=keys.blob, offsets=keys.offsets)
        os.replace(tmp, cache)
    except OSError as err:  # a read-only home only costs the next run a cursor pass
        log.warning("cannot cache the LSUN key list in %s: %s", cache, err)
    return keys


class LmdbImages(EncodedImages):
    """Images of an lmdb database.

    py-lmdb refuses to open an environment twice in one process, and a forked worker
    inherits its parent's open environments. So the main process never keeps one
    open (it opens one per read: only a shape probe, or workers=0), and each worker
    opens its own on first use and keeps it.
    """

    def __init__(self, path: Path, keys: Keys, size: int, channels: int) -> None:
        super().__init__(size, channels)
        self.path, self.keys = path, keys
        self._env: lmdb.Environment | None = None  # set in workers only

    def __len__(self) -> int:
        return len(self.keys)

    def name(self, index: int) -> str:
        return f"key {self.keys[index]!r} of {self.path}"

    def _get(self, key: bytes) -> bytes | None:
        if get_worker_info() is None:
            with open_env(self.path) as env, env.begin() as txn:
                return txn.get(key)
        if self._env is None:
            self._env = open_env(self.path)
        with self._env.begin() as txn:
            return txn.get(key)

    def open(self, index: int) -> Image.Image:
        value = self._get(self.keys[index])
        if value is None:
            raise ValueError("key not in the database")
        return Image.open(io.BytesIO(value))


def locate(root: str | None, split: str) -> Path:
    folder = FOLDERS[split]
    base = Path(root) if root is not None else data_home() / "lsun"
    return find_root([base, base / folder], ["data.mdb"], what="LSUN bedroom", hint=HINT)


class LsunOptions(StreamOptions):
    image_size: int = Field(64, ge=4, description="Scale (shorter side) + CenterCrop to this")
    channels: Literal[1, 3] = Field(3, description="3: RGB; 1: ITU-R 601 luminance")
    split: Literal["train", "test"] = Field("train", description="test: bedroom_val_lmdb")


@DATASETS.register("lsun_bedroom")
class LsunBedroom(Source):
    """Builds a StreamSource (or a TensorSource when small, e.g. with ``limit``)."""

    Options = LsunOptions

    @classmethod
    def build(cls, options, *, device, seed: int, batch_size: int) -> Source:
        path = locate(options.root, options.split)
        keys = cached_keys(path, options.limit)
        log.info("LSUN bedroom %s: %d images in %s", options.split, len(keys), path)
        dataset = LmdbImages(path, keys, options.image_size, options.channels)
        return decoded_source(dataset, options, device=device, seed=seed, batch_size=batch_size)

    @classmethod
    def check(cls, options, fetch: bool) -> None:
        """Presence only (LSUN is not downloaded automatically: 43 GB)."""
        try:
            locate(options.root, options.split)
        except FileNotFoundError:
            where = options.root or data_home() / "lsun"
            raise DataMissing(
                f"LSUN bedroom ({options.split}): no {FOLDERS[options.split]}/data.mdb in "
                f"{where}; fix: download it with github.com/fyu/lsun (python3 download.py -c "
                "bedroom) and unzip it there"
            ) from None
