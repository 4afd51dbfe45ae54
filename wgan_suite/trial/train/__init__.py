"""One trial: state, the training step, and the loop that logs and checkpoints."""

from __future__ import annotations

from wgan_suite.trial.train.state import TrainState, build_state
from wgan_suite.trial.train.step import train_step
from wgan_suite.trial.train.trial import run_trial

__all__ = ["TrainState", "build_state", "run_trial", "train_step"]
