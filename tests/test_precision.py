"""The training step's precision (``TrialConfig.precision``, issue 25): float32 is the
authors' step and every shipped trial's identity; bfloat16 (opt-in per ablation, after a
same-seed study: benchmarks/precision_study.py) runs the forward matmuls in bfloat16 and
keeps weights, optimizer, losses and scores in float32."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.conftest import toy_config
from tests.test_trial import strip_time
from wgan_suite.trial.config import ConfigError, load_trial_config
from wgan_suite.trial.train import run_trial
from wgan_suite.trial.train.state import build_state
from wgan_suite.trial.train.step import train_step

# toy_config()'s identity before the option existed (commit e849888): float32 trials keep it
TOY_HASH = "92028befd696dae7cadda3af6e17a83916edd199d40ce93940567510f317720d"


def test_float32_keeps_every_trial_identity_and_bfloat16_is_another_trial():
    assert load_trial_config(toy_config()).hash() == TOY_HASH
    assert load_trial_config(toy_config(precision="float32")).hash() == TOY_HASH
    other = load_trial_config(toy_config(precision="bfloat16"))
    assert other.hash() != TOY_HASH and other.to_dict()["precision"] == "bfloat16"


def test_an_unknown_precision_is_refused_naming_the_allowed_ones():
    with pytest.raises(ConfigError) as err:
        load_trial_config(toy_config(precision="float16"))
    assert "precision" in str(err.value) and "'float32' or 'bfloat16'" in str(err.value)


def test_a_method_that_must_train_in_float32_refuses_bfloat16():
    sn = {"name": "spectral_norm"}
    with pytest.raises(ConfigError) as err:
        load_trial_config(toy_config(precision="bfloat16", loss="wgan", lipschitz=sn))
    assert "precision: lipschitz 'spectral_norm' trains in float32 only" in str(err.value)
    load_trial_config(toy_config(precision="float32", loss="wgan", lipschitz=sn))


def _forward_dtypes(
    precision: str, loss: str = "wgan", device: str = "cpu"
) -> dict[str, set[torch.dtype]]:
    """The dtypes each network's Linear layers computed in during two generator
    iterations, and those of the parameters and optimizer state afterwards."""
    cfg = load_trial_config(toy_config(precision=precision, loss=loss, device=device))
    state = build_state(cfg)
    seen: dict[str, set[torch.dtype]] = {"generator": set(), "critic": set()}
    for role in seen:
        for m in getattr(state, role).modules():
            if isinstance(m, nn.Linear):
                m.register_forward_hook(lambda _m, _i, out, r=role: seen[r].add(out.dtype))
    terms = {}
    for _ in range(2):
        terms = train_step(state, diagnostics=True)
    seen["parameters"] = {
        p.dtype for net in (state.generator, state.critic) for p in net.parameters()
    }
    seen["optimizer"] = {
        v.dtype
        for opt in (state.g_optimizer, state.c_optimizer)
        for s in opt.state.values()
        for v in s.values()
        if torch.is_tensor(v) and v.is_floating_point()
    }
    seen["terms"] = {v.dtype for v in terms.values() if v.is_floating_point()}
    return seen


def test_float32_computes_everything_in_float32():
    seen = _forward_dtypes("float32")
    assert all(found == {torch.float32} for found in seen.values()), seen


@pytest.mark.parametrize("loss", ["wgan", "wgan_gp", "gan_minimax"])
def test_bfloat16_runs_the_forward_matmuls_in_bfloat16_and_keeps_the_rest_float32(loss):
    seen = _forward_dtypes("bfloat16", loss)
    assert seen["generator"] == {torch.bfloat16} and seen["critic"] == {torch.bfloat16}
    # master weights, RMSProp's averages, the losses and the logged terms stay float32
    assert seen["parameters"] == seen["optimizer"] == seen["terms"] == {torch.float32}


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("loss", ["wgan", "wgan_gp"])
def test_bfloat16_on_cuda_is_the_same_split(loss):
    """The autocast follows the trial's device: on a GPU the same ops run in bfloat16."""
    seen = _forward_dtypes("bfloat16", loss, device="cuda")
    assert seen["generator"] == {torch.bfloat16} and seen["critic"] == {torch.bfloat16}
    assert seen["parameters"] == seen["optimizer"] == seen["terms"] == {torch.float32}
    assert _forward_dtypes("float32", loss, device="cuda")["critic"] == {torch.float32}


@pytest.mark.parametrize("loss", ["wgan", "wgan_gp", "gan_minimax"])
def test_bfloat16_tracks_float32_over_the_first_steps(tmp_path, loss):
    """Same seed, same start: after one generator iteration (five critic steps) the
    losses agree within 5 % (measured: at most 1.6 %, the penalty 3 %). bfloat16 rounds
    each product's inputs to 8 significant bits (relative 2**-9, 0.2 %), through the
    nets' 2-4 layers and five optimizer steps; 5 % is that with margin, and a step that
    computed in the wrong place (a float32 loss on a bfloat16 critic trained off another
    batch, an overflow) is far outside it. Later the trajectories part, as any two
    trainings do: the study (benchmarks/precision_study.py) compares what claims read."""
    rows = {}
    for p in ("float32", "bfloat16"):
        cfg = load_trial_config(toy_config(loss=loss, precision=p, log_every=1))
        rows[p] = strip_time(run_trial(cfg, tmp_path / p))
    f32, bf = rows["float32"], rows["bfloat16"]
    assert [r["status"] for r in bf] == [r["status"] for r in f32]
    assert bf[-1]["status"] == "finished"
    assert bf[0] == f32[0]  # iteration 0: scored before any step, the same nets
    one = next(i for i, r in enumerate(f32) if r["iteration"] == 1)
    for key in ("loss_critic", "loss_generator"):
        assert bf[one][key] == pytest.approx(f32[one][key], rel=0.05), key
    for r in bf:
        assert all(math.isfinite(v) for v in r.values() if isinstance(v, float))


# --------------------------------------------------------------------------- the machine


def test_the_cpu_flags_say_whether_bfloat16_is_in_hardware(monkeypatch):
    from wgan_suite.core import machine

    for flags, native in (
        ("fpu sse sse2 avx2 avx512f avx512_bf16", True),
        ("fpu sse sse2 avx2 amx_bf16 amx_tile", True),
        ("fpu sse sse2 avx2 fma", False),  # the AMD EPYC VM kind without AVX-512
        ("", None),  # no x86 flags: another OS or architecture, unknown
    ):
        monkeypatch.setattr(machine, "_cpuinfo", lambda f=flags: f"flags\t\t: {f}\n")
        assert machine.bfloat16_in_hardware() is native, flags


def test_run_warns_before_training_bfloat16_on_a_cpu_without_it(tmp_path, capsys, monkeypatch):
    """The warning comes with the checks, before anything is written: here the disk
    check refuses the run right after it (exit 2), so nothing trains."""
    import shutil

    from tests.test_ablation_validation import mutated
    from tests.test_input_bounds import write
    from tests.test_user_safety import _used_runs, tree
    from wgan_suite.cli import main
    from wgan_suite.harness.ablation import load_ablation
    from wgan_suite.harness.preflight import precision_warning

    path = write(tmp_path / "a.yaml", mutated({"base/precision": "bfloat16"}))
    specs = load_ablation(path).trials("smoke")
    plain = load_ablation(write(tmp_path / "b.yaml", mutated({}))).trials("smoke")
    native = "wgan_suite.core.machine.bfloat16_in_hardware"
    for has, says in ((True, False), (None, False), (False, True)):  # None: unknown, quiet
        monkeypatch.setattr(native, lambda h=has: h)
        assert (precision_warning(specs) is not None) is says, has
        assert precision_warning(plain) is None  # float32 trials: never
    said = precision_warning(specs)  # this CPU has none (the last case)
    assert said.startswith(f"{len(specs)} trial(s) of this grid set precision: bfloat16")

    free = shutil.disk_usage(tmp_path)._replace(free=50 * 2**20)
    monkeypatch.setattr("wgan_suite.harness.preflight.shutil.disk_usage", lambda _: free)
    runs = _used_runs(tmp_path)
    before = tree(tmp_path)
    code = main(["run", str(path), "--budget", "smoke", "--runs", str(runs)])
    err = capsys.readouterr().err
    assert code == 2 and f"warning: {said}\n" in err and "MB free" in err
    assert tree(tmp_path) == before
