"""The metrics registry: what a trial can be scored with at its checkpoints.

An entry is a class with an ``Options`` model, ``columns`` (result column ->
``suite.columns.Column``: what it means, which direction is better, its role; read by
analysis and report through ``suite.columns``), ``check(config, options)`` raising
ValueError when the metric cannot apply to a trial (checked when the config is
validated, before any training) and ``compute(ctx, options) -> dict`` returning
columns for the record.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from suite.options import Options
from suite.registry import Registry

METRICS: Registry[Any] = Registry("metric")


class MetricOptions(Options):
    at: str = Field(
        "all", pattern="^(all|final)$", description="every checkpoint, or the final one only"
    )


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
