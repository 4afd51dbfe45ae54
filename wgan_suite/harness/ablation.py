"""Ablation files: YAML -> validated ablation -> expanded grid of resolved trials.

An ablation is one YAML file in ``ablations/``: ``base`` trial settings,
``grid`` axes whose product is taken, ``zip`` axes that vary together, ``exclude``
rules, ``seeds``, ``budgets`` (``smoke``, ``quick``, ``paper`` at least) and per-trial
``resources``. ``include`` pulls shared settings from other files (local keys win; a
file's own top-level ``seeds`` also replace the per-budget seeds it includes).
Everything is checked before anything runs; errors name file, key path, value and
what is allowed. Input is bounded: the file (``wgan_suite.core.safe_yaml``), the seeds
(``MAX_SEEDS``) and the trials an ablation expands to (``MAX_TRIALS``, raised with
``--max-trials``); includes stay inside the allowed roots (the ablations directory,
or the directory of a file named on the command line).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

import wgan_suite
from wgan_suite.core import files
from wgan_suite.core.budgets import MAX_TRIALS, REQUIRED, Budget
from wgan_suite.core.errors import InputError, short
from wgan_suite.core.locations import shipped_ablations
from wgan_suite.core.options import Options
from wgan_suite.harness.grid_checks import base_warnings, trial_count
from wgan_suite.trial.config import (
    SECTIONS,
    ConfigError,
    TrialConfig,
    default_lipschitz,
    format_errors,
    load_trial_config,
)

ABLATIONS_DIR = shipped_ablations()  # found like the claims (wgan_suite.core.locations)
MAX_SEEDS = 1_000  # per ablation
MAX_SEED = 2**32 - 1


class AblationError(InputError):
    """An ablation that cannot run; the message names file, key, value and what is allowed."""


class Resources(Options):
    cpu: float = Field(1.0, gt=0, description="CPU cores reserved per trial")
    gpu: float = Field(0.0, ge=0, le=1, description="GPU fraction per trial (0.25: 4 share a GPU)")


class Axes(Options):
    """The cells of an ablation: ``grid`` axes multiplied, ``zip`` groups varied together,
    ``exclude`` rules removing cells."""

    grid: dict[str, list[Any]] = Field(default_factory=dict)
    zip: list[dict[str, list[Any]]] = Field(default_factory=list)
    exclude: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("grid")
    @classmethod
    def _grid(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in v.items():
            if not values:
                raise ValueError(f"axis '{key}' has no values")
        return v

    @model_validator(mode="after")
    def _axes(self) -> Axes:
        if not self.grid and not self.zip:
            raise ValueError(
                "empty grid: give at least one axis in grid (key: [values, ...]) or zip"
            )
        for i, group in enumerate(self.zip):
            lengths = {len(vals) for vals in group.values()}
            if len(lengths) != 1 or 0 in lengths:
                raise ValueError(f"zip[{i}]: axes must have the same, non-zero number of values")
        axes = self.axes
        if "seed" in axes:
            raise ValueError("'seed' cannot be an axis; list the seeds under seeds: [0, 1, 2]")
        dupes = {a for a in axes if axes.count(a) > 1}
        if dupes:
            raise ValueError(f"axis {sorted(dupes)} appears more than once in grid/zip")
        for i, rule in enumerate(self.exclude):
            for key in rule:
                if not any(key == a or key.startswith(a + ".") for a in axes):
                    raise ValueError(
                        f"exclude[{i}]: '{key}' is not an axis; axes: {', '.join(axes)}"
                    )
        return self

    @property
    def axes(self) -> list[str]:
        return list(self.grid) + [k for group in self.zip for k in group]


class BudgetSpec(Options):
    """Trial-config overrides for one budget, plus optional seeds, resources and a note."""

    model_config = Options.model_config | {"extra": "allow"}
    resources: Resources | None = None
    seeds: list[int] | None = Field(
        None, max_length=MAX_SEEDS, description="this budget's seeds (default: seeds)"
    )
    note: str | None = Field(
        None,
        description="what this budget scales down from the paper, shown next to every "
        "verdict reached at it (e.g. '16 px Fashion-MNIST, not LSUN 64 px')",
    )
    axes: Axes | None = Field(
        None,
        description="this budget's own grid / zip / exclude, replacing the file's (e.g. the "
        "authors' step sizes at the paper budget, CPU-sized ones below it)",
    )

    _seed_count = field_validator("seeds", mode="before")(lambda cls, v: _seed_list(v))
    _unique_seeds = field_validator("seeds")(lambda cls, v: _distinct(v) if v else v)

    @property
    def overrides(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def _seed_list(v: Any) -> Any:
    """``seeds: 3`` means ``[0, 1, 2]``; checked before the list is built."""
    if isinstance(v, bool) or (isinstance(v, list) and any(isinstance(s, bool) for s in v)):
        raise ValueError("seeds are integers, not true/false")
    if isinstance(v, int):
        if not 1 <= v <= MAX_SEEDS:
            raise ValueError(f"a seed count must be 1 to {MAX_SEEDS} (seeds: 3 means 0, 1, 2)")
        return list(range(v))
    return v


def _distinct(v: list[int]) -> list[int]:
    if len(set(v)) != len(v) or min(v) < 0 or max(v) > MAX_SEED:
        raise ValueError(f"seeds must be distinct integers in 0..{MAX_SEED}, got {short(v)}")
    return v


class AblationFile(Axes):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="lower_snake_case id")
    version: int = Field(ge=1, description="bump when the ablation's meaning changes")
    description: str = Field(min_length=1)
    paper: str = Field(min_length=1, description="the figure / table / section it reproduces")
    base: dict[str, Any] = Field(default_factory=dict)
    seeds: list[int] = Field(min_length=1, max_length=MAX_SEEDS)
    budgets: dict[Budget, BudgetSpec]
    resources: Resources = Field(default_factory=Resources)
    reproduce: bool | list[Budget] = Field(
        False,
        description="part of `wgan-suite reproduce` (the paper's run): true for every "
        "budget it defines, or a list of budgets",
    )

    _seed_count = field_validator("seeds", mode="before")(lambda cls, v: _seed_list(v))
    _unique_seeds = field_validator("seeds")(lambda cls, v: _distinct(v))

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, v: dict[Budget, BudgetSpec]) -> dict[Budget, BudgetSpec]:
        missing = [str(b) for b in REQUIRED if b not in v]
        if missing:
            raise ValueError(
                f"missing budget(s) {', '.join(missing)}; every ablation defines "
                f"{', '.join(REQUIRED)} (and may define {', '.join(set(Budget) - set(REQUIRED))})"
            )
        return v

    def reproduced_at(self, budget: str) -> bool:
        if budget not in self.budgets:
            return False
        return self.reproduce if isinstance(self.reproduce, bool) else budget in self.reproduce

    def design(self, budget: str) -> Axes:
        """The cells at ``budget``: the budget's own axes, else the file's."""
        own = self.budgets[budget].axes if budget in self.budgets else None
        return own or self

    def seeds_at(self, budget: str) -> list[int]:
        """The seeds ``budget`` runs: the budget's own, else the file's."""
        b = self.budgets.get(budget)
        return list((b.seeds if b and b.seeds else None) or self.seeds)


@dataclass(frozen=True)
class TrialSpec:
    """One cell x seed of an ablation at one budget: what Ray Tune schedules."""

    ablation: str
    version: int
    budget: str
    cell: dict[str, str]  # axis -> readable value
    seed: int
    config: TrialConfig
    resources: Resources
    budget_note: str | None = None  # what the budget scales down (shown with verdicts)
    trial_id: str = field(init=False)

    def __post_init__(self) -> None:
        key = f"{self.config.hash()}|{self.budget}|{wgan_suite.__version__}"
        object.__setattr__(self, "trial_id", hashlib.sha256(key.encode()).hexdigest()[:12])

    @property
    def dirname(self) -> str:
        """``<data>-<G>-<D>-<loss>-<Lipschitz>-<optimizer>-s<seed>-<trial id>``.

        Read from the config, not from the ablation's cell labels: a trial shared by two
        ablations has one directory.
        """
        c = self.config
        names = [
            c.data.name,
            c.generator.name,
            c.critic.name,
            c.loss.name,
            c.lipschitz.name,
            c.c_optimizer.name,
        ]
        words = [w for i, w in enumerate(names) if w not in names[:i]] + [f"s{c.seed}"]
        desc = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(words))
        return f"{desc}-{self.trial_id}"


@dataclass(frozen=True)
class Ablation:
    path: Path
    spec: AblationFile
    max_trials: int = MAX_TRIALS  # per budget
    warnings: tuple[str, ...] = ()  # legal but probably unintended (``base_warnings``)
    seed_block: tuple[int, ...] | None = None  # replaces every budget's seeds when set
    _expanded: dict[str, list[TrialSpec]] = field(default_factory=dict, repr=False, compare=False)

    def trials(self, budget: str) -> list[TrialSpec]:
        """Expanded once per budget: loading already validated every trial."""
        if budget not in self._expanded:
            self._expanded[budget] = expand(self, budget)
        return self._expanded[budget]

    def seeds(self, budget: str) -> list[int]:
        if self.seed_block is not None:
            return list(self.seed_block)
        return self.spec.seeds_at(budget)

    def with_seeds(self, seeds: Sequence[int]) -> Ablation:
        """The same grid on another block of seeds (a registration's fresh seeds)."""
        return replace(self, seed_block=tuple(seeds), _expanded={})


# --------------------------------------------------------------------------- loading


def _read_yaml(path: Path) -> dict[str, Any]:
    data = files.read_yaml(path, AblationError)
    if not isinstance(data, dict):  # the type only: the file may be anything (an include)
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise AblationError(f"{path}: expected a mapping of ablation keys, got {got}")
    return data


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts merge key by key; anything else in ``top`` replaces ``base``."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _include_target(path: Path, inc: str, roots: tuple[Path, ...]) -> Path:
    """The file ``inc`` names, if it is a file inside one of ``roots`` (after symlinks)."""
    target = path.parent / inc
    resolved = target.resolve()
    if not any(resolved.is_relative_to(r) for r in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise AblationError(
            f"{path}: include: '{short(inc, 60)}' is outside the ablations tree ({allowed}); "
            "includes may only read files there"
        )
    if not target.exists():
        raise AblationError(f"{path}: include: '{inc}' not found (looked for {target})")
    return resolved


def _real(path: Path) -> Path:
    """``path.resolve()``; a symlink loop or an unreadable path is a bad input (exit 2)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as err:  # RuntimeError: pathlib's "Symlink loop"
        why = "a symbolic link loop" if "loop" in str(err).lower() else str(err)
        raise AblationError(f"{path}: cannot be read ({why}); name a YAML file") from None


def _resolve_includes(
    path: Path, roots: tuple[Path, ...], chain: tuple[Path, ...] = ()
) -> dict[str, Any]:
    path = _real(path)
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise AblationError(f"{chain[0]}: include cycle: {cycle}")
    data = _read_yaml(path)
    includes = data.pop("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise AblationError(
            f"{path}: include: expected a file name or a list of them, got {short(includes)}"
        )
    merged: dict[str, Any] = {}
    for inc in includes:
        target = _include_target(path, inc, roots)
        merged = deep_merge(merged, _resolve_includes(target, roots, (*chain, path)))
    if "seeds" in data:  # the nearer setting wins: the file's seeds over the budgets' it includes
        merged = _without_budget_seeds(merged)
    return deep_merge(merged, data)


def _without_budget_seeds(merged: dict[str, Any]) -> dict[str, Any]:
    """``merged`` with no budget's ``seeds``: a file that sets its own top-level seeds
    runs them at every budget, except where a budget in that same file sets its own."""
    budgets = merged.get("budgets")
    if not isinstance(budgets, dict):  # malformed: validation names it
        return merged
    kept = {
        name: {k: v for k, v in b.items() if k != "seeds"} if isinstance(b, dict) else b
        for name, b in budgets.items()
    }
    return {**merged, "budgets": kept}


def resolve_includes(path: str | Path, *, roots: tuple[Path, ...] | None = None) -> dict[str, Any]:
    """The file with its includes merged in (local keys win), unvalidated: what
    ``load_ablation`` validates. ``roots`` as there."""
    path = Path(path)
    roots = tuple(_real(r) for r in (roots or (_real(path).parent,)))
    return _resolve_includes(path, roots)


def load_ablation(
    path: str | Path,
    *,
    roots: tuple[Path, ...] | None = None,
    max_trials: int = MAX_TRIALS,
) -> Ablation:
    """Resolve includes and validate the file, then every trial of every budget.

    ``roots``: directories includes may read from (default: the file's own directory).
    """
    path = Path(path)
    raw = resolve_includes(path, roots=roots)
    if not set(raw) & set(AblationFile.model_fields):  # a stray file: say nothing of it
        expected = ", ".join(sorted(AblationFile.model_fields))
        raise AblationError(
            f"{path}: not an ablation file: none of its {len(raw)} top-level keys is an "
            f"ablation key ({expected})"
        )
    try:
        spec = AblationFile.model_validate(raw)
    except ValidationError as err:
        raise AblationError(format_errors(err, str(path), raw, AblationFile)) from None
    ablation = Ablation(path, spec, max_trials, tuple(base_warnings(spec, path)))
    for budget in spec.budgets:
        ablation.trials(budget)
    return ablation


def budget_seeds(name: str, budget: str, root: Path = ABLATIONS_DIR) -> list[int] | None:
    """The seeds an ablation's ``budget`` runs (as ``Ablation.seeds``), read from its file
    without expanding its trials; None when the file or the budget is missing or invalid."""
    try:
        path = find_ablation(name, root)
        stamp = path.stat().st_mtime_ns
    except (AblationError, OSError):
        return None
    found = _budget_seeds(path, stamp, budget)
    return None if found is None else list(found)


@functools.lru_cache(maxsize=256)
def _budget_seeds(path: Path, stamp: int, budget: str) -> tuple[int, ...] | None:
    try:
        spec = AblationFile.model_validate(_resolve_includes(path, (_real(path).parent,)))
    except (AblationError, ValidationError, InputError):
        return None
    return tuple(spec.seeds_at(budget)) if budget in spec.budgets else None


def find_ablation(name: str, root: Path = ABLATIONS_DIR) -> Path:
    """A path, or the name of a file in ``root`` (a user's own folder: ``--ablations-dir``,
    ``$WGAN_SUITE_ABLATIONS``), else of a shipped one."""
    if Path(name).is_dir():
        raise AblationError(
            f"{name}: is a directory; give ablation files (.yaml) or names of files in {root}/"
        )
    if Path(name).suffix in (".yaml", ".yml") or "/" in name:
        return Path(name)
    roots = list(dict.fromkeys([Path(root), ABLATIONS_DIR]))
    for folder in roots:
        candidate = folder / f"{name}.yaml"
        if candidate.exists():
            return candidate
    known = "; ".join(f"in {r}/: {', '.join(p.stem for p in discover(r))}" for r in roots)
    raise AblationError(f"Unknown ablation '{name}'. Available {known}")


def discover(root: Path = ABLATIONS_DIR) -> list[Path]:
    """Every ablation file; shared bases under ``_base/`` (or named ``_*``) are not ablations."""
    return sorted(p for p in root.glob("*.yaml") if not p.name.startswith("_"))


# --------------------------------------------------------------------------- expansion


def _layer(current: Any, value: Any, section: str) -> Any:
    """An axis value that names an entry is laid over the base section.

    ``{name: dcgan_nobn}`` over ``{name: dcgan, width: 16}`` keeps ``width: 16``;
    inherited keys that the chosen entry does not accept are dropped (``mlp`` has
    no ``n_extra_layers``); keys the axis value states itself are always kept.
    """
    if isinstance(value, str):
        value = {"name": value}
    if isinstance(current, str):
        current = {"name": current}
    if not isinstance(value, dict) or not isinstance(current, dict):
        return value
    registry = SECTIONS[section]
    name = value.get("name", current.get("name"))
    if name not in registry:
        return value  # let validation name the bad entry
    allowed = set(registry.get(name).Options.model_fields) | {"name"}
    inherited = {k: v for k, v in current.items() if k in allowed}
    return deep_merge(inherited, value)


def _set_path(tree: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    keys = path.split(".")
    if len(keys) == 1 and keys[0] in SECTIONS:
        return {**tree, keys[0]: _layer(tree.get(keys[0]), value, keys[0])}
    out = dict(tree)
    if keys[0] == "lipschitz" and out.get("lipschitz") is None:
        out["lipschitz"] = default_lipschitz(out)  # what ``lipschitz.c`` edits
    node = out
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key, {})
        if isinstance(child, str):
            child = {"name": child}
        elif not isinstance(child, dict) and child is not None:
            where = ".".join(keys[: depth + 1])
            raise AblationError(
                f"axis '{path}': '{where}' is {short(child)}, not a section to edit"
            )
        node[key] = child = dict(child or {})
        node = child
    node[keys[-1]] = value
    return out


def get_path(tree: Any, path: str, missing: Any = None) -> Any:
    """The value at a dotted ``path`` of a config tree (``lipschitz.c``); a component
    given by name alone (``loss: wgan``) answers ``<component>.name``; ``missing`` if
    absent (None unless given: then an absent key and a null value read alike)."""
    for key in path.split("."):
        if isinstance(tree, str) and key == "name":
            return tree
        if not isinstance(tree, dict) or key not in tree:
            return missing
        tree = tree[key]
    return tree


def _same(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, dict) and isinstance(wanted, str):
        return actual.get("name") == wanted
    return actual == wanted


def label(value: Any) -> str:
    """A short readable form of an axis value: ``dcgan(n_extra_layers=1)``, ``0.01``."""
    if isinstance(value, dict):
        rest = ",".join(f"{k}={label(v)}" for k, v in value.items() if k != "name")
        name = str(value.get("name", ""))
        return f"{name}({rest})" if rest else name
    return str(value)


def cells(spec: Axes) -> list[dict[str, Any]]:
    """The grid product times each zip group, minus excluded cells, in file order."""
    grid = [[(k, v) for v in vals] for k, vals in spec.grid.items()]
    zips = [
        list(zip(*[[(k, v) for v in vals] for k, vals in g.items()], strict=True)) for g in spec.zip
    ]
    out = []
    for combo in itertools.product(*grid, *zips):
        cell: dict[str, Any] = {}
        for part in combo:
            cell.update([part] if isinstance(part[0], str) else part)
        out.append(cell)
    return out


def _section_defaults() -> dict[str, Any]:
    """Default sections (``{"name": "rmsprop"}``...), so ``c_optimizer.lr`` has a base to edit."""
    return {
        k: f.default for k, f in TrialConfig.model_fields.items() if isinstance(f.default, dict)
    }


def expand(ablation: Ablation, budget: str) -> list[TrialSpec]:
    spec, path = ablation.spec, ablation.path
    if budget not in spec.budgets:
        raise AblationError(
            f"{path}: budget '{budget}' is not defined; defined: {', '.join(spec.budgets)}"
        )
    b = spec.budgets[budget]
    _check_size(spec.design(budget), ablation.seeds(budget), path, ablation.max_trials)
    base = deep_merge(_section_defaults(), deep_merge(spec.base, b.overrides))
    trials = []
    design = spec.design(budget)
    matched = [False] * len(design.exclude)
    for cell in cells(design):
        raw = base
        try:
            for key, value in cell.items():
                raw = _set_path(raw, key, value)
        except AblationError as err:
            raise AblationError(f"{path}: {err}") from None
        hits = [all(_same(get_path(raw, k), v) for k, v in r.items()) for r in design.exclude]
        matched = [m or h for m, h in zip(matched, hits, strict=True)]
        if any(hits):
            continue
        labels = {k: label(v) for k, v in cell.items()}
        for seed in ablation.seeds(budget):
            try:
                config = load_trial_config({**raw, "seed": seed}, source=str(path))
            except ConfigError as err:
                where = ", ".join(f"{k}={v}" for k, v in labels.items())
                raise AblationError(f"{err} [budget {budget}, cell {where}]") from None
            trials.append(
                TrialSpec(
                    spec.name,
                    spec.version,
                    budget,
                    labels,
                    seed,
                    config,
                    b.resources or spec.resources,
                    b.note,
                )
            )
    for i, (rule, hit) in enumerate(zip(design.exclude, matched, strict=True)):
        if not hit:  # a typo in a value would otherwise keep the cell it meant to remove
            what = ", ".join(f"{k}: {short(v)}" for k, v in rule.items())
            raise AblationError(
                f"{path}: exclude[{i}] ({what}) matches no cell at budget '{budget}'; "
                "its values must equal an axis value (`list` shows the cells)"
            )
    if not trials:
        raise AblationError(f"{path}: every cell is excluded; nothing to run")
    _check_distinct(trials, path)
    return trials


def _check_size(design: Axes, seeds: list[int], path: Path, limit: int) -> None:
    """Count before building: a grid of 10^9 cells must fail here, not exhaust memory."""
    cells_n = trial_count(design)
    n = cells_n * len(seeds)
    if n > limit:
        raise AblationError(
            f"{path}: the grid expands to {n} trials ({cells_n} cells x {len(seeds)} "
            f"seeds, before exclusions), over the limit of {limit} per ablation; "
            f"pass --max-trials {n} if that is intended"
        )


def _check_distinct(trials: list[TrialSpec], path: Path) -> None:
    """Two cells that resolve to the same trial are a typo in the grid, not a replicate."""
    seen: dict[str, TrialSpec] = {}
    for t in trials:
        if t.trial_id in seen:
            a, b = (", ".join(f"{k}={v}" for k, v in x.cell.items()) for x in (seen[t.trial_id], t))
            raise AblationError(
                f"{path}: cells ({a}) and ({b}) are the same trial; make the axis values differ"
            )
        seen[t.trial_id] = t
