"""One trial: state, the training step, and the loop that logs and checkpoints."""

from __future__ import annotations

from suite.train.state import TrainState, build_state
from suite.train.step import train_step
from suite.train.trial import run_trial

__all__ = ["TrainState", "build_state", "run_trial", "train_step"]
