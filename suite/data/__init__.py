"""Dataset registry; importing this package registers every entry."""

from __future__ import annotations

from suite.data.base import DATASETS, ImageOptions, Source, TensorSource, build_source, data_shape
from suite.data import toy  # noqa: F401  (registers entries)
from suite.data import cifar, folder, lsun, mnist  # noqa: F401  (registers entries)

__all__ = ["DATASETS", "ImageOptions", "Source", "TensorSource", "build_source", "data_shape"]
