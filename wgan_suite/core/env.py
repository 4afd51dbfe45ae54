"""The one place the suite reads its environment variables.

    WGAN_SUITE_OFFLINE             truthy (1, true, yes, on): never download anything
    WGAN_SUITE_DATA                where datasets are downloaded (default ~/.cache/wgan-suite)
    WGAN_SUITE_FASHION_MNIST       the Fashion-MNIST IDX directory looked in first (default
                                   /usr/share/datasets/fashion-mnist, Debian's package)
    WGAN_SUITE_CACHE               metric caches: classifiers, Inception weights and real
                                   features (default ~/.cache/wgan-suite/metrics)
    WGAN_SUITE_INCEPTION_WEIGHTS   a torch-fidelity InceptionV3 state dict for FID/KID/IS
    WGAN_SUITE_PLUGINS             extra entries: modules or .py files / folders, ":"-separated
    WGAN_SUITE_ABLATIONS           a user's own ablation folder, where names are looked up
                                   first (default: the shipped ones; --ablations-dir wins)
    WGAN_SUITE_TERM_DEADLINE       seconds a run waits after SIGTERM for Ray Tune's stop
                                   before it ends without it (default 20; under a scheduler,
                                   below its kill wait: Slurm's KillWait is 30 by default)

``RAY_ENV`` holds the Ray settings every run uses (the nox sessions read it too). Every
``WGAN_SUITE_*`` variable reaches the Ray workers, also on a cluster.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "WGAN_SUITE_"
OFFLINE = PREFIX + "OFFLINE"
DATA = PREFIX + "DATA"
FASHION_MNIST = PREFIX + "FASHION_MNIST"
CACHE = PREFIX + "CACHE"
INCEPTION_WEIGHTS = PREFIX + "INCEPTION_WEIGHTS"
PLUGINS = PREFIX + "PLUGINS"
ABLATIONS = PREFIX + "ABLATIONS"
TERM_DEADLINE = PREFIX + "TERM_DEADLINE"
TERM_DEADLINE_S = 20.0
# set by `run --registration R`: "R@<sha256 of its committed file>", recorded by each trial
REGISTRATION = PREFIX + "REGISTRATION"

RAY_ENV = {
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AIR_NEW_OUTPUT": "0",
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
    "RAY_TRAIN_ENABLE_V2_MIGRATION_WARNINGS": "0",
    "RAY_CHDIR_TO_TRIAL_DIR": "0",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "1",  # a 0-GPU trial must not see (and use) the GPU
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",  # the suite reads its own trial directories
    "PYTHONHASHSEED": "0",
}


def flag(name: str) -> bool:
    """A boolean variable: 1/true/yes/on (any case) is set; unset, empty, 0/false/no/off not."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"${name}={value!r}: use 1/true/yes/on or 0/false/no/off")


def offline() -> bool:
    return flag(OFFLINE)


def path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def data_home() -> Path:
    """Where datasets are downloaded and key lists cached."""
    return path(DATA, Path.home() / ".cache" / "wgan-suite")


def dataset_dirs(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A data set's system directories: ``$name`` alone when set, else ``default``."""
    value = os.environ.get(name)
    return (str(Path(value).expanduser()),) if value else default


def cache_dir() -> Path:
    """Metric caches (created on first use)."""
    out = path(CACHE, Path.home() / ".cache" / "wgan-suite" / "metrics")
    out.mkdir(parents=True, exist_ok=True)
    return out


def inception_weights() -> str | None:
    return os.environ.get(INCEPTION_WEIGHTS) or None


def registration() -> str | None:
    """The registration a run's trials run under (``name@sha256``), or None."""
    return os.environ.get(REGISTRATION) or None


def ablations() -> Path | None:
    """A user's own ablation folder, or None (the shipped ones)."""
    value = os.environ.get(ABLATIONS, "").strip()
    return Path(value).expanduser() if value else None


def plugins() -> list[str]:
    return [p for p in os.environ.get(PLUGINS, "").split(os.pathsep) if p.strip()]


def suite_variables() -> dict[str, str]:
    """Every WGAN_SUITE_* variable of this process (forwarded to Ray workers)."""
    return {k: v for k, v in os.environ.items() if k.startswith(PREFIX)}


def term_deadline() -> float:
    """Seconds after a SIGTERM before a run that cannot stop through Ray ends without it."""
    value = os.environ.get(TERM_DEADLINE, "").strip()
    if not value:
        return TERM_DEADLINE_S
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 3600:
        raise ValueError(f"${TERM_DEADLINE}={value[:40]!r}: seconds, a number in (0, 3600]")
    return seconds
