"""Score a trial at a checkpoint with the metrics its config asks for."""

from __future__ import annotations

from typing import Any

from wgan_suite.trial.metrics.context import EvalContext, frozen_buffers
from wgan_suite.trial.metrics.registry import METRICS


def evaluate(ctx: EvalContext, final: bool) -> dict[str, Any]:
    """Columns for the checkpoint's record; each metric's own column names."""
    state = ctx.state
    ctx.new_checkpoint()
    row: dict[str, Any] = {}
    with frozen_buffers(state.generator, state.critic):
        for spec in ctx.config.metrics:
            if spec.at == "final" and not final:
                continue
            row.update(METRICS.get(spec.name).compute(ctx, spec))
    return row


def check_metrics(config: Any) -> None:
    """Raise ValueError naming a metric that cannot apply to this trial."""
    seen = set()
    for spec in config.metrics:
        if spec.name in seen:
            raise ValueError(f"metric '{spec.name}' is listed twice")
        seen.add(spec.name)
        try:
            METRICS.get(spec.name).check(config, spec)
        except ValueError as exc:
            raise ValueError(f"metric '{spec.name}': {exc}") from None
