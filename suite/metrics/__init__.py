"""Metrics computed at checkpoints (one registry entry each) and the evaluation loop."""

from suite.metrics import critic, gradients, inception, quality, toy  # noqa: F401  (register)
from suite.metrics.context import EvalContext, TrainingView
from suite.metrics.evaluate import check_metrics, evaluate
from suite.metrics.registry import METRICS

__all__ = ["METRICS", "EvalContext", "TrainingView", "check_metrics", "evaluate"]
