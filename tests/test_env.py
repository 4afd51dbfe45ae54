"""One reading of the environment: WGAN_SUITE_OFFLINE=0 means online everywhere."""

from __future__ import annotations

import pytest

from wgan_suite.core import env
from wgan_suite.trial.data import mnist
from wgan_suite.trial.metrics import inception_weights


@pytest.mark.parametrize(
    ("value", "offline"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("false", False), ("", False)],
)
def test_offline_flag_means_the_same_to_every_reader(monkeypatch, value, offline):
    monkeypatch.setenv(env.OFFLINE, value)
    assert env.offline() is offline
    assert inception_weights.offline() is offline  # the Inception loader reads the same
    if offline:
        with pytest.raises(RuntimeError, match="downloads are disabled"):
            mnist.download(mnist.MNIST_SET)


def test_a_garbled_flag_is_an_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv(env.OFFLINE, "maybe")
    with pytest.raises(ValueError, match="WGAN_SUITE_OFFLINE='maybe'"):
        env.offline()


def test_paths_default_under_the_home_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(env.DATA, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert env.data_home() == tmp_path / ".cache" / "wgan-suite"
    monkeypatch.setenv(env.CACHE, str(tmp_path / "c"))
    assert env.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_every_suite_variable_reaches_ray_workers(monkeypatch):
    monkeypatch.setenv(env.CACHE, "/somewhere")
    assert env.suite_variables()[env.CACHE] == "/somewhere"
