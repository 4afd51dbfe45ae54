"""Generator and critic registries; importing this package registers every entry."""

from __future__ import annotations

from wgan_suite.trial.models import dcgan, fixed, line, mlp, sampled  # noqa: F401  (registers entries)
from wgan_suite.trial.models.registry import CRITICS, GENERATORS, build_critic, build_generator

__all__ = ["CRITICS", "GENERATORS", "build_critic", "build_generator"]
