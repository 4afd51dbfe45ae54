"""Any folder of images (CelebA, LSUN exported to files, your own), like LSUN.

Every png / jpg / jpeg / webp / bmp file under ``root``, recursively, sorted by
relative path so every machine sees the same order. Images get the authors'
Scale + CenterCrop (main.py's ``--dataset folder``/``lsun`` branches); the default
size 64 is their ``--imageSize``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image
from pydantic import Field

from wgan_suite.trial.data.base import DATASETS, Source
from wgan_suite.trial.data.presence import DataMissing
from wgan_suite.trial.data.stream import EncodedImages, StreamOptions, decoded_source

EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


def list_images(root: Path) -> list[str]:
    """Relative posix paths of the image files under ``root``, sorted."""
    found = []
    for directory, _, files in os.walk(root, followlinks=True):
        for name in files:
            if name.lower().endswith(EXTENSIONS):
                found.append((Path(directory) / name).relative_to(root).as_posix())
    return sorted(found)


class FileImages(EncodedImages):
    """Image files; paths live in one numpy string array (cheap to fork into workers)."""

    def __init__(self, root: Path, paths: list[str], size: int, channels: int) -> None:
        super().__init__(size, channels)
        self.root, self.paths = root, np.array(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def name(self, index: int) -> str:
        return str(self.root / str(self.paths[index]))

    def open(self, index: int) -> Image.Image:
        return Image.open(self.name(index))


class FolderOptions(StreamOptions):
    root: str = Field(description="directory searched recursively for image files")
    image_size: int = Field(64, ge=4, description="Scale (shorter side) + CenterCrop to this")
    channels: Literal[1, 3] = Field(3, description="3: RGB; 1: ITU-R 601 luminance")
    split: Literal["train"] = Field(
        "train", description="a folder has no splits: point another entry's root at held-out data"
    )


@DATASETS.register("image_folder")
class ImageFolder(Source):
    """``build`` returns the Source: in memory when small, else streamed."""

    Options = FolderOptions

    @classmethod
    def build(cls, options, *, device, seed: int, batch_size: int) -> Source:
        root = Path(options.root).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"image_folder: root {root} is not a directory")
        paths = list_images(root)[: options.limit]
        if not paths:
            raise FileNotFoundError(
                f"image_folder: no image files ({', '.join(EXTENSIONS)}) under {root}"
            )
        dataset = FileImages(root, paths, options.image_size, options.channels)
        return decoded_source(dataset, options, device=device, seed=seed, batch_size=batch_size)

    @classmethod
    def check(cls, options, fetch: bool) -> None:
        """Presence only: the root exists and holds an image (stops at the first)."""
        root = Path(options.root).expanduser()
        if not root.is_dir():
            raise DataMissing(
                f"image_folder: root {root} is not a directory; fix: point root at the folder "
                "of images"
            )
        for _, _, files in os.walk(root, followlinks=True):
            if any(name.lower().endswith(EXTENSIONS) for name in files):
                return
        raise DataMissing(f"image_folder: no image files ({', '.join(EXTENSIONS)}) under {root}")
