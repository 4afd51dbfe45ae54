"""Ablation files: a valid one expands as documented; malformed ones fail before anything runs.

Every malformed file is a small mutation of ``VALID``; its ``AblationError`` must name the
file, the key path and the bad value (and the allowed values where there are some), and the
CLI must exit 2 without writing anything.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from wgan_suite.cli import main
from wgan_suite.harness.ablation import AblationError, load_ablation

VALID: dict[str, Any] = {
    "name": "toy_validation",
    "version": 1,
    "description": "WGAN vs non-saturating GAN on 8 Gaussians, two critic learning rates",
    "paper": "Sec. 4 (toy check)",
    "base": {
        "data": "8gaussians",
        "generator": {"name": "mlp", "width": 8, "init": "he"},
        "critic": {"name": "mlp", "width": 8, "init": "he"},
        "nz": 2,
        "batch_size": 8,
        "device": "cpu",
    },
    "grid": {"loss": ["wgan", "gan_ns"], "c_optimizer.lr": [5.0e-5, 1.0e-4]},
    "seeds": 2,
    "budgets": {
        "smoke": {"iterations": 2},
        "quick": {"iterations": 20},
        "paper": {"iterations": 200, "resources": {"cpu": 2}},
    },
    "resources": {"cpu": 1, "gpu": 0},
}
DEL = object()  # a change that deletes the key


def mutated(changes: dict[str, Any]) -> dict[str, Any]:
    """VALID with ``{"a/b/c": value}`` applied (``DEL`` removes the key)."""
    data = copy.deepcopy(VALID)
    for path, value in changes.items():
        *parents, last = path.split("/")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is DEL:
            del node[last]
        else:
            node[last] = value
    return data


def write(path: Path, data: dict[str, Any] | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path.resolve()  # include errors name the resolved path


def cells(path: Path, budget: str = "smoke") -> list[dict[str, str]]:
    return [t.cell for t in load_ablation(path).trials(budget) if t.seed == 0]


# --------------------------------------------------------------------------- valid files


def test_valid_file_expands_per_budget(root):
    path = write(root / "toy.yaml", VALID)
    a, b = load_ablation(path), load_ablation(path)
    iters = {"smoke": 2, "quick": 20, "paper": 200}
    ids = {}
    for budget, n in iters.items():
        trials = a.trials(budget)
        assert len(trials) == 2 * 2 * 2  # loss x lr x seeds
        assert {t.config.iterations for t in trials} == {n}
        assert {t.seed for t in trials} == {0, 1}
        ids[budget] = [t.trial_id for t in trials]
        assert len(set(ids[budget])) == len(trials)
        assert ids[budget] == [t.trial_id for t in b.trials(budget)]  # stable across loads
    assert not set(ids["smoke"]) & set(ids["quick"]) and not set(ids["quick"]) & set(ids["paper"])
    first = a.trials("smoke")[0]
    assert first.cell == {"loss": "wgan", "c_optimizer.lr": "5e-05"}
    assert first.config.lipschitz.name == "clip" and first.config.generator.width == 8
    assert a.trials("paper")[0].resources.cpu == 2 and first.resources.cpu == 1


def test_seed_count_means_range(root):
    ablation = load_ablation(write(root / "s.yaml", mutated({"seeds": 3})))
    assert ablation.spec.seeds == [0, 1, 2]
    assert sorted({t.seed for t in ablation.trials("quick")}) == [0, 1, 2]


def test_include_merges_base_and_local_keys_win(root):
    shared = {k: VALID[k] for k in ("base", "budgets", "resources")}
    shared = {**copy.deepcopy(shared), "grid": {"c_optimizer.lr": [5.0e-5, 1.0e-4]}}
    shared["base"]["batch_size"] = 64
    write(root / "_base" / "toy.yaml", shared)
    local = {k: VALID[k] for k in ("name", "version", "description", "paper", "seeds")}
    local |= {"include": "_base/toy.yaml", "base": {"batch_size": 8}, "grid": {"loss": ["wgan"]}}
    ablation = load_ablation(write(root / "inc.yaml", local))
    trials = ablation.trials("quick")
    assert len(trials) == 1 * 2 * 2  # included lr axis x local loss axis x seeds
    assert {t.config.batch_size for t in trials} == {8}  # local wins
    assert {t.config.generator.width for t in trials} == {8}  # from the base file
    assert {t.config.c_optimizer.lr for t in trials} == {5.0e-5, 1.0e-4}
    assert set(ablation.spec.axes) == {"loss", "c_optimizer.lr"}


def test_a_files_own_seeds_replace_every_budgets_seeds_from_its_includes(root):
    """The nearer setting wins: a file's top-level ``seeds`` replace the seeds its included
    base sets per budget, while a budget's ``seeds`` in the file itself win over both. (A
    base's ``quick: {seeds: 2}`` used to beat a file's own ``seeds: 5``.)"""
    shared = {k: copy.deepcopy(VALID[k]) for k in ("base", "budgets", "resources", "grid")}
    shared["seeds"] = 3
    shared["budgets"]["quick"]["seeds"] = 2
    shared["budgets"]["paper"]["seeds"] = 6
    write(root / "_base" / "toy.yaml", shared)
    local = {k: VALID[k] for k in ("name", "version", "description", "paper")}
    local["include"] = "_base/toy.yaml"
    inherited = load_ablation(write(root / "inherits.yaml", local))
    assert [inherited.seeds(b) for b in ("smoke", "quick", "paper")] == [
        [0, 1, 2],
        [0, 1],
        [0, 1, 2, 3, 4, 5],
    ]
    own = load_ablation(write(root / "own.yaml", {**local, "seeds": 5}))
    assert [own.seeds(b) for b in ("smoke", "quick", "paper")] == [list(range(5))] * 3
    budget_own = {**local, "seeds": 5, "budgets": {"paper": {"seeds": [7, 8]}}}
    mixed = load_ablation(write(root / "mixed.yaml", budget_own))
    assert [mixed.seeds(b) for b in ("smoke", "quick", "paper")] == [
        list(range(5)),
        list(range(5)),
        [7, 8],
    ]
    assert {t.seed for t in mixed.trials("quick")} == set(range(5))
    assert mixed.trials("paper")[0].config.iterations == 200  # the rest of the budget kept


def test_zip_pairs_values(root):
    zipped = [{"g_optimizer.lr": [1.0e-4, 2.0e-4], "schedule.n_critic": [5, 10]}]
    path = write(root / "z.yaml", mutated({"grid": {"loss": ["wgan", "gan_ns"]}, "zip": zipped}))
    trials = load_ablation(path).trials("smoke")
    pairs = {(t.config.g_optimizer.lr, t.config.schedule.n_critic) for t in trials}
    assert pairs == {(1.0e-4, 5), (2.0e-4, 10)}
    assert len(trials) == 2 * 2 * 2


def test_exclude_drops_matching_cells(root):
    rule = [{"loss": "gan_ns", "c_optimizer.lr": 1.0e-4}]
    got = cells(write(root / "e.yaml", mutated({"exclude": rule})))
    assert len(got) == 3 and {"loss": "gan_ns", "c_optimizer.lr": "0.0001"} not in got


@pytest.mark.parametrize(
    ("rule", "left"),
    [
        ({"generator.width": 16, "loss": "gan_ns"}, 3),
        ({"generator.name": "mlp", "loss": "gan_ns"}, 2),
        ({"generator": "mlp"}, None),  # a name matches the whole section: all cells go
    ],
)
def test_exclude_by_nested_key(root, rule, left):
    nets = [{"name": "mlp", "width": w, "init": "he"} for w in (8, 16)]
    data = mutated({"grid": {"loss": ["wgan", "gan_ns"], "generator": nets}, "exclude": [rule]})
    path = write(root / "n.yaml", data)
    if left is None:
        with pytest.raises(AblationError, match="every cell is excluded"):
            load_ablation(path)
    else:
        assert len(cells(path)) == left


# --------------------------------------------------------------------------- malformed files

# (id, change to VALID or raw YAML text, " | "-separated fragments the message must contain)
# fmt: off
MALFORMED = [
    ("unknown-top-level-key", {"grdi": {}}, "grdi: Extra inputs are not permitted; allowed"),
    ("unknown-base-key", {"base/foo": 1}, "foo: Extra inputs | [budget smoke"),
    ("version-type", {"version": "one"}, "version: Input should be a valid integer | 'one'"),
    ("batch-size-type", {"base/batch_size": "big"}, "batch_size: Input should be | (got 'big')"),
    ("generator-name", {"base/generator/name": "mlpp"}, "generator: Unknown generator 'mlpp'. "
     "Did you mean: mlp? Available: dcgan, dcgan_const, dcgan_nobn, fixed_gaussian, "
     "fixed_line, learned_line, mlp, sampled"),
    ("critic-name", {"base/critic/name": "dcgann"}, "critic: Unknown critic 'dcgann'. Did you "
     "mean: dcgan, dcgan_ln, dcgan_nobn? Available: dcgan, dcgan_ln, dcgan_nobn, mlp, sampled"),
    ("loss-name", {"grid/loss": ["wgan", "wgn"]}, "loss: Unknown loss 'wgn'. Did you mean: wgan"
     " | Available: gan_minimax, gan_ns, hinge, wgan, wgan_gp | cell loss=wgn"),
    ("dataset-name", {"base/data": "8gaussian"}, "data: Unknown dataset '8gaussian'. "
     "Did you mean: 8gaussians | Available: 25gaussians, 8gaussians, cifar10"),
    ("optimizer-name", {"base/c_optimizer": {"name": "rmsprp"}}, "c_optimizer: Unknown optimizer"
     " 'rmsprp'. Did you mean: rmsprop? Available: adam, rmsprop, sgd"),
    ("lipschitz-name", {"base/lipschitz": "clipp"}, "lipschitz: Unknown lipschitz method 'clipp'."
     " Did you mean: clip | Available: clip, gradient_penalty, none, spectral_norm"),
    ("schedule-name", {"base/schedule": "constnt"}, "schedule: Unknown critic schedule 'constnt'."
     " Did you mean: constant? Available: constant, paper"),
    ("empty-grid", {"grid": {}}, "empty grid: give at least one axis"),
    ("empty-axis", {"grid/loss": []}, "grid: axis 'loss' has no values"),
    ("axis-not-a-list", {"grid/loss": "wgan"}, "grid.loss: Input should be a valid list | 'wgan'"),
    ("negative-c-axis", {"base/lipschitz": "clip", "grid/lipschitz.c": [-0.01]},
     "lipschitz.c: Input should be greater than 0 (got -0.01) | cell loss=wgan"),
    ("negative-c-base", {"base/lipschitz": {"name": "clip", "c": -0.01}},
     "lipschitz.c: Input should be greater than 0 (got -0.01)"),
    ("gpu>1", {"resources/gpu": 1.5},
     "resources.gpu: Input should be less than or equal to 1 (got 1.5)"),
    ("cpu-0", {"resources/cpu": 0}, "resources.cpu: Input should be greater than 0 (got 0)"),
    ("budget-gpu>1", {"budgets/quick/resources": {"gpu": 2}},
     "budgets.quick.resources.gpu: | (got 2)"),
    ("missing-smoke", {"budgets/smoke": DEL},
     "budgets: missing budget(s) smoke; every ablation defines smoke, quick, paper"),
    ("budget-key-typo", {"budgets/quick/iteratoins": 20},
     "iteratoins: Extra inputs are not permitted | [budget quick"),
    ("iterations-0", {"budgets/smoke/iterations": 0},
     "iterations: Input should be greater than or equal to 1 (got 0) | [budget smoke"),
    ("budget-not-a-mapping", {"budgets/smoke": 5}, "budgets.smoke: | (got 5)"),
    ("include-cycle", {"include": "b.yaml"}, "include cycle: bad.yaml -> b.yaml -> bad.yaml"),
    ("include-missing", {"include": "_base/nope.yaml"}, "include: '_base/nope.yaml' not found"),
    ("include-not-a-name", {"include": 5}, "include: expected a file name | got 5"),
    ("yaml-syntax", "name: x\ngrid: [wgan, gan_ns\n", "YAML syntax error | line 2"),
    ("top-level-list", "- name: x\n- version: 1\n", "expected a mapping | got a list"),
    ("duplicate-seeds", {"seeds": [0, 0]}, "seeds: seeds must be distinct | [0, 0]"),
    ("zero-seeds", {"seeds": 0}, "seeds: a seed count must be 1 to 1000 (seeds: 3 means 0, 1, 2)"),
    ("zip-lengths", {"zip": [{"g_optimizer.lr": [1e-4, 2e-4], "schedule.n_critic": [5]}]},
     "zip[0]: axes must have the same, non-zero number of values"),
    ("zip-dup-axis", {"zip": [{"loss": ["hinge"]}]}, "axis ['loss'] appears more than once"),
    ("exclude-non-axis", {"exclude": [{"nz": 2}]},
     "exclude[0]: 'nz' is not an axis; axes: loss, c_optimizer.lr"),
    ("all-excluded", {"exclude": [{"loss": "wgan"}, {"loss": "gan_ns"}]}, "every cell is excluded"),
    ("exclude-matches-nothing", {"exclude": [{"loss": "gan_nss"}]},
     "exclude[0] (loss: 'gan_nss') matches no cell at budget 'smoke' | equal an axis value"),
    ("exclude-one-of-two-matches-nothing", {"exclude": [{"loss": "wgan"}, {"loss": "wgn"}]},
     "exclude[1] (loss: 'wgn') matches no cell"),
    ("wgan-gp-with-clip", {"grid/loss": ["wgan_gp"], "base/lipschitz": "clip"},
     "loss 'wgan_gp' needs lipschitz 'gradient_penalty', got 'clip' | cell loss=wgan_gp"),
    ("dcgan-on-toy", {"base/generator": "dcgan"}, "DCGAN nets need square | data shape (2,)"),
    ("missing-name", {"name": DEL}, "name: Field required"),
    ("missing-version", {"version": DEL}, "version: Field required"),
    ("bad-name", {"name": "Paper Stability"}, "name: String should match pattern | 'Paper Stab"),
]
KNOWN_BUGS = [  # found by review, fixed since: keep them fixed
    pytest.param({"grid/nz.width": [1]}, "axis 'nz.width': 'nz' is 2", id="axis-into-scalar"),
    pytest.param({"grid/seed": [1, 2]}, "'seed' cannot be an axis", id="seed-as-axis"),
    pytest.param({"grid/loss": ["wgan", {"name": "wgan"}]}, "are the same trial | loss=wgan",
                 id="duplicate-cells"),
    pytest.param({"base/critic": "dcgan"}, "critic 'dcgan' does not fit data",
                 id="shape-error-key-path"),
]
# fmt: on


@pytest.mark.parametrize(
    ("change", "fragments"), [pytest.param(c, f, id=i) for i, c, f in MALFORMED] + KNOWN_BUGS
)
def test_malformed_file_is_rejected_with_a_precise_message(root, change, fragments):
    write(root / "b.yaml", "include: bad.yaml\n")  # the other half of the include cycle
    path = write(root / "bad.yaml", change if isinstance(change, str) else mutated(change))
    with pytest.raises(AblationError) as info:
        load_ablation(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for fragment in fragments.split(" | "):
        assert fragment in message


def test_include_cycle_of_two_named_files(root):
    write(root / "a.yaml", {**mutated({}), "include": "b.yaml"})
    write(root / "b.yaml", "include: a.yaml\n")
    with pytest.raises(AblationError, match=r"include cycle: a\.yaml -> b\.yaml -> a\.yaml"):
        load_ablation(root / "a.yaml")


def test_unknown_name_without_a_close_match_lists_the_allowed_ones(root):
    path = write(root / "far.yaml", mutated({"base/generator": "transformer"}))
    with pytest.raises(AblationError) as info:
        load_ablation(path)
    assert "Did you mean" not in str(info.value)
    assert "Unknown generator 'transformer'. Available: dcgan, dcgan_const" in str(info.value)


def test_clip_c_axis_edits_the_loss_default_lipschitz(root):
    # ``lipschitz.c`` as an axis with loss wgan (default lipschitz: clip) edits clip's c,
    # as ``c_optimizer.lr`` edits the default optimizer.
    path = write(root / "c.yaml", mutated({"grid": {"lipschitz.c": [0.01, 0.1]}}))
    trials = load_ablation(path).trials("smoke")
    assert {(t.config.lipschitz.name, t.config.lipschitz.c) for t in trials} == {
        ("clip", 0.01),
        ("clip", 0.1),
    }


# --------------------------------------------------------------------------- CLI

CLI_CASES = {
    "unknown-loss": ({"grid/loss": ["wgan", "wgn"]}, "Unknown loss 'wgn'"),
    "missing-smoke": ({"budgets/smoke": DEL}, "missing budget(s) smoke"),
    "gpu>1": ({"resources/gpu": 1.5}, "resources.gpu"),
    "yaml-syntax": ("grid: [a\n", "YAML syntax error"),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_rejects_malformed_file_and_writes_nothing(root, case, capsys, monkeypatch):
    monkeypatch.chdir(root)
    change, fragment = CLI_CASES[case]
    bad = write(root / "bad.yaml", change if isinstance(change, str) else mutated(change))
    before = sorted(root.rglob("*"))
    runs = root / "runs"
    for argv in (
        ["validate", str(bad)],
        ["list", str(bad), "--budget", "smoke", "--runs", str(runs)],
        ["run", str(bad), "--budget", "smoke", "--runs", str(runs)],
        ["run", str(bad), "--budget", "smoke"],  # default runs/ in the cwd
    ):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(f"error: {bad}: ") and fragment in err
    assert not runs.exists()
    assert sorted(root.rglob("*")) == before


def test_cli_validate_and_list_a_valid_file(root, capsys, monkeypatch):
    monkeypatch.chdir(root)
    path = write(root / "toy.yaml", VALID)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert (
        out.strip()
        == f"ok {path} (version 1): trials per budget: smoke: 8, quick: 8, paper: 8; 0 claim(s)"
    )
    runs = root / "runs"
    assert main(["list", str(path), "--budget", "smoke", "--runs", str(runs)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = [x for x in lines if x.startswith("#")]
    rows = [x for x in lines if not x.startswith("#")]
    assert len(header) == 2 and "toy_validation v1 [smoke]" in header[0] and "8 trials" in header[1]
    ids = [t.trial_id for t in load_ablation(path).trials("smoke")]
    assert [r.split()[0] for r in rows] == ids
    assert all("pending" in r and "iterations=2" in r for r in rows)
    assert not runs.exists()


def test_a_trial_shared_by_two_ablations_has_one_directory(root):
    """Same resolved config through different axes: one id, one directory, trained once."""
    a = write(root / "a.yaml", mutated({"name": "a"}))
    b = write(
        root / "b.yaml",
        mutated(
            {
                "name": "b",
                "grid": {"c_optimizer": [{"name": "rmsprop", "lr": 5.0e-5}]},
                "base/loss": "wgan",
            }
        ),
    )
    dirs_a = {t.trial_id: t.dirname for t in load_ablation(a).trials("smoke")}
    dirs_b = {t.trial_id: t.dirname for t in load_ablation(b).trials("smoke")}
    assert dirs_b and set(dirs_b) <= set(dirs_a)
    assert all(dirs_a[k] == v for k, v in dirs_b.items())
    assert next(iter(dirs_b.values())).startswith("8gaussians-mlp-wgan-clip-rmsprop-s0-")
