"""A trial config fails at load with the key, the value and what is allowed."""

from __future__ import annotations

import pytest

from tests.conftest import toy_config
from wgan_suite.trial.config import ConfigError, load_trial_config


def error(**overrides) -> str:
    with pytest.raises(ConfigError) as info:
        load_trial_config(toy_config(**overrides), source="t.yaml")
    return str(info.value)


def test_defaults_are_the_papers():
    cfg = load_trial_config({"data": "fashion_mnist", "iterations": 1})
    assert (cfg.generator.name, cfg.critic.name, cfg.loss.name) == ("dcgan", "dcgan", "wgan")
    assert cfg.lipschitz.name == "clip" and cfg.lipschitz.c == 0.01
    assert cfg.c_optimizer.name == "rmsprop" and cfg.c_optimizer.lr == 5e-5
    assert cfg.g_optimizer.lr == 5e-5 and cfg.batch_size == 64 and cfg.nz == 100
    assert cfg.schedule.n_critic == 5


def test_lipschitz_default_follows_the_loss():
    assert load_trial_config(toy_config(loss="gan_ns")).lipschitz.name == "none"
    assert load_trial_config(toy_config(loss="wgan_gp")).lipschitz.lam == 10


def test_hash_is_stable_and_covers_defaults():
    a = load_trial_config(toy_config())
    b = load_trial_config(toy_config(lipschitz={"name": "clip", "c": 0.01}))
    c = load_trial_config(toy_config(lipschitz={"name": "clip", "c": 0.1}))
    assert a.hash() == b.hash() != c.hash()
    assert load_trial_config(a.to_dict()) == a  # the resolved form loads back


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"colour": 1}, "t.yaml: colour: Extra inputs are not permitted"),
        ({"batch_size": "big"}, "batch_size: Input should be a valid integer"),
        ({"batch_size": 0}, "batch_size: Input should be greater than or equal to 1 (got 0)"),
        (
            {"lipschitz": {"name": "clip", "c": -0.01}},
            "lipschitz.c: Input should be greater than 0",
        ),
        ({"loss": "wgan_gpp"}, "loss: Unknown loss 'wgan_gpp'. Did you mean: wgan_gp"),
        (
            {"generator": {"name": "resnet"}},
            "Available: dcgan, dcgan_const, dcgan_nobn, fixed_gaussian, fixed_line, "
            "learned_line, mlp, sampled",
        ),
        ({"data": {"name": "mnits"}}, "Unknown dataset 'mnits'. Did you mean: mnist"),
        ({"critic": {"name": "mlp", "widht": 3}}, "critic.widht: Extra inputs are not permitted"),
        (
            {"c_optimizer": {"name": "adam", "beta1": 1.5}},
            "c_optimizer.beta1: Input should be less than 1",
        ),
        (
            {"loss": "wgan_gp", "lipschitz": "clip"},
            "loss 'wgan_gp' needs lipschitz 'gradient_penalty'",
        ),
        ({"device": "tpu"}, "device: Input should be 'auto', 'cpu' or 'cuda' (got 'tpu')"),
        ({"generator": {"width": 3}}, "missing 'name' of the generator; allowed: dcgan"),
        ({"iterations": None}, "iterations: Input should be a valid integer"),
    ],
)
def test_bad_values_are_named(overrides, expected):
    assert expected in error(**overrides)


def test_missing_required_key():
    raw = toy_config()
    del raw["iterations"]
    with pytest.raises(ConfigError, match="iterations: Field required"):
        load_trial_config(raw)


def test_dcgan_on_points_is_rejected_at_load():
    assert "square images" in error(generator="dcgan")


def test_yaml_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: YAML syntax error"):
        load_trial_config(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_trial_config(bad)
    bad.write_text("!!python/object/apply:os.system ['echo hi']\n")  # never executed
    with pytest.raises(ConfigError, match="YAML"):
        load_trial_config(bad)


def test_device_is_not_part_of_the_trial_identity():
    """Under Ray the GPU share picks the device; a setting that cannot change what a trial
    computes must not change its hash (and its directory)."""
    cpu = load_trial_config(toy_config(device="cpu"))
    auto = load_trial_config(toy_config(device="auto"))
    assert cpu.hash() == auto.hash()
    assert load_trial_config(toy_config(nz=3)).hash() != cpu.hash()
