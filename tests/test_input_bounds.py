"""Hostile input: bounded, rejected in one line with exit 2, never echoed (issue 11, items 7-9).

Each case is a file or a flag a hostile tester tried; before the fix these exhausted
memory, hung, crashed with a traceback (exit 1) or printed a file's contents.
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import toy_config
from tests.test_ablation_validation import VALID, mutated
from wgan_suite.cli import main
from wgan_suite.harness.ablation import AblationError, load_ablation
from wgan_suite.trial.config import ConfigError, load_trial_config

SECRET = "s3cr3t-token-do-not-print"


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def rejected(capsys, argv: list[str]) -> str:
    """Run the CLI; it must exit 2 with exactly one line on stderr and nothing on stdout."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    return err


# --------------------------------------------------------------------------- item 7: sizes


def bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\nname: x\n"


def test_alias_bomb_is_rejected_without_expanding_it(tmp_path, capsys):
    path = write(tmp_path / "bomb.yaml", bomb())
    start = time.monotonic()
    err = rejected(capsys, ["validate", str(path)])
    assert "once aliases are expanded" in err
    assert time.monotonic() - start < 10  # it fails fast; a hang would hit the test timeout


def test_alias_bomb_inside_a_valid_ablation_is_not_echoed(tmp_path, capsys):
    text = yaml.safe_dump(VALID, sort_keys=False) + bomb().replace("name: x\n", "")
    err = rejected(capsys, ["validate", str(write(tmp_path / "b.yaml", text))])
    assert "lol" not in err


def test_huge_seed_count_is_refused_before_any_list_is_built(tmp_path, capsys):
    path = write(tmp_path / "s.yaml", mutated({"seeds": 100_000_000}))
    err = rejected(capsys, ["validate", str(path)])
    assert "seeds: a seed count must be 1 to 1000" in err


def test_grid_too_large_needs_max_trials(tmp_path, capsys):
    grid = {"c_optimizer.lr": [1e-5 * (i + 1) for i in range(40)], "loss": ["wgan", "gan_ns"]}
    path = write(tmp_path / "big.yaml", mutated({"grid": grid, "seeds": 20}))
    err = rejected(capsys, ["validate", str(path)])
    assert "expands to 1600 trials (80 cells x 20 seeds" in err and "--max-trials 1600" in err
    small = write(tmp_path / "ok.yaml", mutated({"grid": grid, "seeds": 2}))
    assert main(["validate", str(small), "--max-trials", "160"]) == 0


def test_oversized_and_deep_files_are_refused(tmp_path, capsys):
    big = write(tmp_path / "big.yaml", "name: x\n" + "# padding\n" * 200_000)
    assert "over 1048576 bytes" in rejected(capsys, ["validate", str(big)])
    deep = write(tmp_path / "deep.yaml", "a: " + "[" * 500 + "]" * 500 + "\n")
    assert "nested" in rejected(capsys, ["validate", str(deep)])


# --------------------------------------------------------------------------- item 8: input


def test_directory_on_the_command_line(tmp_path, capsys):
    err = rejected(capsys, ["run", str(tmp_path), "--runs", str(tmp_path / "runs")])
    assert "is a directory" in err
    assert not (tmp_path / "runs").exists()


def test_include_of_a_directory_or_binary_file(tmp_path, capsys):
    (tmp_path / "_base").mkdir()
    a = write(tmp_path / "a.yaml", {**mutated({}), "include": "_base"})
    assert "is a directory" in rejected(capsys, ["validate", str(a)])
    write(tmp_path / "blob.bin", bytes(range(256)) * 4)
    b = write(tmp_path / "b.yaml", {**mutated({}), "include": "blob.bin"})
    assert "binary file" in rejected(capsys, ["validate", str(b)])
    write(tmp_path / "latin.yaml", "name: caf\xe9\n".encode("latin-1"))
    c = write(tmp_path / "c.yaml", {**mutated({}), "include": "latin.yaml"})
    assert "not UTF-8" in rejected(capsys, ["validate", str(c)])


def test_include_outside_the_ablations_tree_is_refused_and_not_echoed(tmp_path, capsys):
    outside = write(tmp_path / "private" / "secret.yaml", f"token: {SECRET}\n")
    tree = tmp_path / "ablations"
    write(tree / "evil.yaml", {**mutated({}), "include": str(outside)})
    write(tree / "evil2.yaml", {**mutated({}), "include": "../private/secret.yaml"})
    for name in ("evil", "evil2"):
        err = rejected(capsys, ["validate", name, "--ablations-dir", str(tree)])
        assert "outside the ablations tree" in err and SECRET not in err


def test_include_of_a_non_yaml_file_does_not_dump_it(tmp_path, capsys):
    write(tmp_path / "notes.txt", "\n".join([f"line {i} {SECRET}" for i in range(50)]))
    path = write(tmp_path / "a.yaml", {**mutated({}), "include": "notes.txt"})
    err = rejected(capsys, ["validate", str(path)])
    assert "expected a mapping of ablation keys, got a str" in err and SECRET not in err


def test_explicit_file_may_include_beside_itself(tmp_path):
    shared = {k: VALID[k] for k in ("base", "budgets", "resources")}
    write(tmp_path / "elsewhere" / "_base" / "shared.yaml", shared)
    local = {k: VALID[k] for k in ("name", "version", "description", "paper", "seeds", "grid")}
    path = write(tmp_path / "elsewhere" / "x.yaml", {**local, "include": "_base/shared.yaml"})
    (tmp_path / "ablations").mkdir()  # a folder of one's own, without that base
    assert main(["validate", str(path), "--ablations-dir", str(tmp_path / "ablations")]) == 0


@pytest.mark.parametrize("address", ["nohost", "1.2.3.4:99999", "host:port", "http://x:1/"])
def test_malformed_address(tmp_path, capsys, address):
    path = write(tmp_path / "a.yaml", VALID)
    argv = ["run", str(path), "--budget", "smoke", "--runs", str(tmp_path / "runs")]
    err = rejected(capsys, [*argv, "--address", address])
    assert "expected HOST:PORT" in err and not (tmp_path / "runs").exists()


def test_unwritable_runs_directory(tmp_path, capsys):
    path = write(tmp_path / "a.yaml", VALID)
    a_file = write(tmp_path / "file", "x")
    for runs in (a_file, Path("/proc/wgan-suite-test/runs")):
        err = rejected(capsys, ["run", str(path), "--budget", "smoke", "--runs", str(runs)])
        assert str(runs) in err and "runs directory" in err
    if os.geteuid() != 0:  # root writes anywhere: the mode bits say nothing to it
        ro = tmp_path / "ro" / "runs"  # collect refuses a runs directory that is not there
        ro.mkdir(parents=True, mode=0o555)
        err = rejected(capsys, ["collect", "--runs", str(ro)])
        assert "writable" in err


# --------------------------------------------------------------------------- item 9: values


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"base/g_optimizer": {"name": "rmsprop", "lr": 1000.0}}, "lr: Input should be less"),
        ({"base/lipschitz": {"name": "clip", "c": float("inf")}}, "c: Input should be a finite"),
        ({"base/batch_size": 10**9}, "batch_size: Input should be less than or equal to 65536"),
        ({"base/nz": 10**6}, "nz: Input should be less than or equal to 4096"),
        ({"budgets/smoke/iterations": 10**10}, "iterations: Input should be less than or equal"),
        ({"seeds": [0, 2**40]}, "seeds must be distinct integers in 0..4294967295"),
        ({"base/nz": True}, "nz: expected a number, got true"),
        ({"base/g_optimizer": {"name": "rmsprop", "lr": True}}, "g_optimizer.lr: expected a"),
        ({"resources/cpu": True}, "resources.cpu: expected a number, got true"),
        ({"seeds": [True, 1]}, "seeds are integers, not true/false"),
        ({"seeds": 0}, "a seed count must be 1 to 1000"),
        ({"seeds": -3}, "a seed count must be 1 to 1000"),
        (
            {"base/critic/widht": 3},
            "widht: Extra inputs are not permitted; allowed: hidden_layers, init, name",
        ),
        ({"grdi": {}}, "allowed: base, budgets, description, exclude, grid, name"),
    ],
)
def test_values_out_of_bounds(tmp_path, change, fragment):
    path = write(tmp_path / "v.yaml", mutated(change))
    with pytest.raises(AblationError) as info:
        load_ablation(path)
    assert fragment in str(info.value)


def test_duplicate_yaml_keys(tmp_path):
    text = yaml.safe_dump(VALID, sort_keys=False) + "version: 2\n"
    with pytest.raises(AblationError, match=r"duplicate key 'version' \(first set on line 2\)"):
        load_ablation(write(tmp_path / "d.yaml", text))
    with pytest.raises(ConfigError, match="duplicate key 'nz'"):
        load_trial_config(write(tmp_path / "t.yaml", "nz: 2\nnz: 3\n"))


def test_a_value_yaml_cannot_build_is_one_line(tmp_path, capsys):
    """``2026-13-45`` reads as a date with month 13: PyYAML raised a bare ValueError, and
    validate printed a 40-line traceback with exit 1 (a helper's review)."""
    path = write(tmp_path / "date.yaml", "name: x\nversion: 2026-13-45\n")
    err = rejected(capsys, ["validate", str(path)])
    assert "line 2, column 10" in err and "month must be in 1..12" in err


def test_trial_config_bounds_without_an_ablation():
    with pytest.raises(ConfigError, match=r"lipschitz\.c: Input should be less than or equal"):
        load_trial_config(toy_config(lipschitz={"name": "clip", "c": 1e6}))


def test_base_value_every_budget_overrides_warns(tmp_path, capsys):
    data = copy.deepcopy(VALID)
    data["base"]["iterations"] = 5  # each budget sets its own
    path = write(tmp_path / "w.yaml", data)
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "base.iterations is overridden by every budget" in err
    assert "base.nz" not in err


def test_missing_image_folder_root_warns_in_validate_and_stops_run(tmp_path, capsys):
    data = mutated({"base/data": {"name": "image_folder", "root": str(tmp_path / "nope")}})
    data["base"]["generator"] = data["base"]["critic"] = {"name": "dcgan", "width": 8}
    data["base"]["nz"] = 8
    path = write(tmp_path / "f.yaml", data)
    assert main(["validate", str(path)]) == 0
    assert f"root {tmp_path / 'nope'} is not a directory" in capsys.readouterr().err
    runs = tmp_path / "runs"
    start = time.monotonic()
    err = rejected(capsys, ["run", str(path), "--budget", "smoke", "--runs", str(runs)])
    assert "image_folder: root" in err and time.monotonic() - start < 30
    assert not (runs / "trials").exists()


@pytest.mark.parametrize(
    "text",
    [
        f"aws_access_key_id: AKIAEXAMPLE\naws_secret_access_key: {SECRET}\n",  # a credentials file
        f'{{"user": "me", "token": "{SECRET}"}}',  # JSON is YAML
        f"root:x:0:0:{SECRET}:/root:/bin/bash\n",  # a password file: one string
        f"- {SECRET}\n- b\n",
    ],
)
def test_a_stray_file_is_refused_without_echoing_it(tmp_path, capsys, text):
    """issue 27: validate on a credentials or password file printed it in full."""
    err = rejected(capsys, ["validate", str(write(tmp_path / "stray.yaml", text))])
    assert SECRET not in err


def test_an_unknown_keys_value_is_never_shown(tmp_path, capsys):
    # a real ablation with one misspelled key: the key is named, its value is not
    path = write(tmp_path / "a.yaml", {**mutated({}), "pasword": SECRET})
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and "pasword" in err and SECRET not in err + out


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without GPU")
def test_a_run_refused_for_its_resources_writes_nothing(tmp_path, capsys):
    """issue 27: a GPU request on a CPU machine was refused after Ray started, having
    rewritten runs/ablations/*.json (the next collect lost finished trials)."""
    path = write(tmp_path / "gpu.yaml", mutated({"resources": {"cpu": 1, "gpu": 1}}))
    fresh = tmp_path / "fresh-runs"
    start = time.monotonic()
    err = rejected(capsys, ["run", str(path), "--budget", "smoke", "--runs", str(fresh)])
    assert "gpu: 1 per trial" in err and "0 GPU(s)" in err
    assert not fresh.exists()  # not even the lock or the directory
    assert time.monotonic() - start < 30  # refused before Ray starts
    used = tmp_path / "used-runs"
    (used / "ablations").mkdir(parents=True)
    (used / "ablations" / "gpu--smoke.json").write_text('{"trials": []}')
    before = _listing(used)
    rejected(capsys, ["run", str(path), "--budget", "smoke", "--runs", str(used)])
    assert _listing(used) == before


@pytest.mark.parametrize("value", ["-5", "0", "abc"])
def test_max_trials_must_be_a_positive_number(value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "parallel_lines", "--max-trials", value])
    assert exc.value.code == 2 and "--max-trials" in capsys.readouterr().err
