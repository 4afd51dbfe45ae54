"""The metrics registry: what a trial can be scored with at its checkpoints.

A new metric is one file: a ``Metric`` subclass registered with ``@METRICS.register``.
Its ``columns`` say what each result column means (``wgan_suite.core.columns.Column``: the
description, which direction is better, the role), and analysis, claims and report read
them from there; nothing else needs an edit.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from wgan_suite.core.columns import Column
from wgan_suite.core.options import Options
from wgan_suite.core.registry import Registry


class MetricOptions(Options):
    at: str = Field(
        "all", pattern="^(all|final)$", description="every checkpoint, or the final one only"
    )


class Metric:
    """The contract of a metric entry (override what differs)."""

    Options: ClassVar[type[MetricOptions]] = MetricOptions
    columns: ClassVar[dict[str, Column]] = {}  # every column compute() may write

    @staticmethod
    def check(config: Any, options: Any) -> None:
        """Raise ValueError when the metric cannot score this trial (checked at config
        validation, before anything trains). Default: applies to every trial."""

    @staticmethod
    def compute(ctx: Any, options: Any) -> dict[str, Any]:
        """Columns for the checkpoint's record; ``ctx`` is a
        ``wgan_suite.trial.metrics.EvalContext``."""
        raise NotImplementedError


METRICS: Registry[type[Metric]] = Registry("metric", Metric)


class SampledOptions(MetricOptions):
    samples: int = Field(1000, ge=2, description="generated samples each score uses")
    real_samples: int | None = Field(
        None, ge=2, description="real samples for the reference statistics (None: = samples)"
    )

    @property
    def n_real(self) -> int:
        return self.real_samples or self.samples


def is_image(shape: tuple[int, ...]) -> bool:
    return len(shape) == 3
