"""Dataset registry; importing this package registers every entry."""

from __future__ import annotations

from wgan_suite.trial.data import (  # noqa: F401  (registers entries)
    cifar,
    folder,
    lsun,
    mnist,
    toy,
)
from wgan_suite.trial.data.base import (
    DATASETS,
    ImageOptions,
    Source,
    TensorSource,
    build_source,
    data_shape,
)

__all__ = ["DATASETS", "ImageOptions", "Source", "TensorSource", "build_source", "data_shape"]
