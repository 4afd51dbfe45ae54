"""Metrics computed at checkpoints (one registry entry each) and the evaluation loop."""

from wgan_suite.trial.metrics import critic, gradients, inception, quality, toy, transport  # noqa: F401
from wgan_suite.trial.metrics.context import EvalContext, TrainingView
from wgan_suite.trial.metrics.evaluate import check_metrics, evaluate
from wgan_suite.trial.metrics.registry import METRICS

__all__ = ["METRICS", "EvalContext", "TrainingView", "check_metrics", "evaluate"]
