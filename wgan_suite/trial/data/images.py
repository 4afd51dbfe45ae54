"""Shared helpers of the image datasets: uint8 conversion, resizing, file look-up.

Images are kept as uint8 (N, C, S, S) and mapped to [-1, 1] per batch
(``wgan_suite.trial.data.base.to_float``), a quarter of the memory of float32. Resizing is done
once at load time with antialiased bilinear filtering, which matches PIL's BILINEAR
``transforms.Scale`` used by the authors' main.py (martinarjovsky/WassersteinGAN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from wgan_suite.core import env
from wgan_suite.trial.data.base import TensorSource, to_float

RESIZE_CHUNK = 4096  # images resized at once: bounds the temporaries of the resize
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2 weights, as in PIL's convert("L")


data_home = env.data_home  # $WGAN_SUITE_DATA, else ~/.cache/wgan-suite


def as_nchw(images: np.ndarray | Tensor) -> Tensor:
    """A uint8 batch in NHW, NHWC or NCHW layout as a torch tensor in NCHW.

    4-D input is NCHW when dim 1 has 1 or 3 entries, else NHWC (dim 3 of 1, 3 or 4).
    """
    x = torch.as_tensor(images)
    if x.dtype != torch.uint8:
        raise TypeError(f"images must be uint8, got {x.dtype}")
    if x.ndim == 3:
        return x.unsqueeze(1)
    if x.ndim == 4 and x.shape[1] in (1, 3):
        return x
    if x.ndim == 4 and x.shape[3] in (1, 3, 4):
        return x[..., :3].permute(0, 3, 1, 2)
    raise ValueError(
        f"images must be NHW, NHWC or NCHW with 1 or 3 channels, got shape {tuple(x.shape)}"
    )


def luminance(x: Tensor) -> Tensor:
    """RGB uint8 (N, 3, H, W) -> grey uint8 (N, 1, H, W), ITU-R 601 weights, rounded."""
    w = torch.tensor(LUMA, dtype=torch.float32).view(1, 3, 1, 1)
    return (x.float() * w).sum(1, keepdim=True).round_().clamp_(0, 255).to(torch.uint8)


def resize_square(x: Tensor, size: int) -> Tensor:
    """Antialiased bilinear resize of a uint8 NCHW batch to size x size, in chunks."""
    if x.shape[-2:] == (size, size):
        return x.contiguous()
    # deferred: torchvision.transforms.v2 imports torchvision.models and torch._dynamo
    # (~3.5 s), which `validate` and `list` (they load this module with the config) never use
    from torchvision.transforms.v2 import functional as F

    out = torch.empty((len(x), x.shape[1], size, size), dtype=torch.uint8)
    for i in range(0, len(x), RESIZE_CHUNK):
        out[i : i + RESIZE_CHUNK] = F.resize(x[i : i + RESIZE_CHUNK], [size, size], antialias=True)
    return out


def to_uint8_nchw(images: np.ndarray | Tensor, size: int, channels: int) -> Tensor:
    """uint8 images in any of NHW / NHWC / NCHW -> uint8 tensor (N, channels, size, size).

    RGB -> grey uses ITU-R 601 luminance (before resizing, on a third of the data);
    grey -> RGB replicates the plane (after resizing).
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    x = as_nchw(images)
    if x.shape[1] == 3 and channels == 1:
        x = luminance(x)
    x = resize_square(x, size)
    if x.shape[1] == 1 and channels == 3:
        x = x.repeat(1, 3, 1, 1)
    return x


def scale_center_crop(image: Image.Image, size: int, channels: int) -> Tensor:
    """The authors' LSUN transform: Scale(size) (shorter side) then CenterCrop(size).

    Returns uint8 (channels, size, size); grey conversion is PIL's ITU-R 601 "L".
    """
    # deferred: torchvision.transforms.v2 takes ~3.5 s to import (see resize_square)
    from torchvision.transforms.v2 import functional as F

    image = image.convert("L" if channels == 1 else "RGB")
    image = F.resize(image, [size], interpolation=F.InterpolationMode.BILINEAR)
    image = F.center_crop(image, [size, size])
    return F.pil_to_tensor(image)


def present(directory: Path, name: str) -> Path | None:
    """``directory/name``, or its gzip'd / plain twin (``x.gz`` <-> ``x``), if it is a file."""
    twin = name[:-3] if name.endswith(".gz") else name + ".gz"
    for candidate in (directory / name, directory / twin):
        if candidate.is_file():
            return candidate
    return None


def _holds(directory: Path, name: str, gz_twins: bool) -> bool:
    return bool(present(directory, name)) if gz_twins else (directory / name).is_file()


def find_root(
    candidates: Iterable[Path | str | None],
    required: Sequence[str],
    *,
    what: str,
    hint: str,
    gz_twins: bool = False,
) -> Path:
    """The first candidate directory holding every ``required`` file.

    With ``gz_twins`` a file also counts when only its gzip'd or plain twin is there.
    Raises FileNotFoundError naming every directory tried, the files expected and
    ``hint`` (how to get them).
    """
    tried: list[Path] = []
    for c in candidates:
        if c is None or Path(c).expanduser() in tried:
            continue
        d = Path(c).expanduser()
        tried.append(d)
        if d.is_dir() and all(_holds(d, name, gz_twins) for name in required):
            return d
    places = "\n".join(f"  - {d}" for d in tried) or "  (none)"
    twins = " (gzip'd or not)" if gz_twins else ""
    raise FileNotFoundError(
        f"{what}: no directory holds the files {', '.join(required)}{twins}. "
        f"Tried:\n{places}\n{hint}"
    )


class LabelledSource(TensorSource):
    """An in-memory image set with class labels (mode-coverage metrics need them).

    ``sample_with_labels(n)`` consumes the generator exactly as ``sample(n)`` does.
    ``origin`` records where the images came from (provenance).
    """

    def __init__(
        self, data: Tensor, labels: Tensor | np.ndarray, device, seed: int, origin: str
    ) -> None:
        super().__init__(data, device, seed)
        if len(labels) != len(data):
            raise ValueError(f"{origin}: {len(data)} images but {len(labels)} labels")
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64).to(self.device)
        self.origin = origin

    def sample_with_labels(self, n: int) -> tuple[Tensor, Tensor]:
        idx = torch.randint(len(self.data), (n,), generator=self.generator, device=self.device)
        return to_float(self.data[idx]), self.labels[idx]
