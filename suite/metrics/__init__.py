"""Metrics computed at checkpoints (one registry entry each) and the evaluation loop."""

from suite.metrics import critic, gradients, inception, quality, toy, transport  # noqa: F401
from suite.metrics.context import EvalContext, TrainingView
from suite.metrics.evaluate import check_metrics, evaluate
from suite.metrics.registry import METRICS

__all__ = ["METRICS", "EvalContext", "TrainingView", "check_metrics", "evaluate"]
