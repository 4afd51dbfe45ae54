from __future__ import annotations

import os

import pytest
import torch


def pytest_configure(config):
    """Nothing downloads in tests; metric caches (classifiers, converted Inception
    weights, real-image features) live in one directory per test session."""
    os.environ["WGAN_SUITE_OFFLINE"] = "1"
    if "WGAN_SUITE_CACHE" not in os.environ:
        import tempfile

        os.environ["WGAN_SUITE_CACHE"] = tempfile.mkdtemp(prefix="wgan-suite-test-cache-")


@pytest.fixture(autouse=True)
def _deterministic_threads():
    """Same thread count in every test: CPU reductions are then bit-reproducible."""
    torch.set_num_threads(2)
    yield


def toy_config(**overrides):
    """A small WGAN trial on 8 Gaussians; tests override what they study."""
    cfg = {
        "seed": 0,
        "data": {"name": "8gaussians"},
        "generator": {"name": "mlp", "width": 32, "init": "he"},
        "critic": {"name": "mlp", "width": 32, "init": "he"},
        "nz": 2,
        "batch_size": 32,
        "iterations": 6,
        "log_every": 2,
        "checkpoint_every": 3,
        "grid_size": 64,
        "device": "cpu",
    }
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray (2 CPUs) for the tests of a module that need one."""
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()


def records_without_timing(runs):
    """Every trial's records under ``runs``, minus what depends on the clock: what two
    runs of the same grid must agree on."""
    from wgan_suite.core import files

    timing = ("wall_time", "eval_seconds", "checkpoint")
    return {
        p.parent.name: [
            {k: v for k, v in r.items() if k not in timing} for r in files.read_jsonl(p)
        ]
        for p in sorted((runs / "trials").glob("*/records.jsonl"))
    }
