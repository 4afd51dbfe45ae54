"""The resolved trial config: one frozen, validated object per training run.

Every section that names a registry entry (``data``, ``generator``, ``critic``,
``loss``, ``lipschitz``, ``g_optimizer``, ``c_optimizer``, ``schedule``, each of
``metrics``) is validated against that entry's own ``Options``, so unknown keys, wrong types,
out-of-range values and unknown names fail at load, naming key, value and what
is allowed (an unknown key lists the allowed ones). Sizes have upper bounds: a typo
of three zeros must fail at load, not allocate for an hour. YAML is read with
``yaml.safe_load`` only, through ``wgan_suite.core.safe_yaml``'s bounds.
"""

from __future__ import annotations

import hashlib
import json
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError, model_validator

import wgan_suite.trial.data as data
import wgan_suite.trial.models as models
from wgan_suite.core import safe_yaml
from wgan_suite.core.errors import short
from wgan_suite.core.options import Options, component_type
from wgan_suite.core.plugins import load_plugins
from wgan_suite.trial.lipschitz import LIPSCHITZ
from wgan_suite.trial.losses import LOSSES
from wgan_suite.trial.metrics import METRICS, check_metrics
from wgan_suite.trial.models.footprint import check_footprint
from wgan_suite.trial.optim import OPTIMIZERS
from wgan_suite.trial.schedules import SCHEDULES

load_plugins()  # plugin entries join the registries before the schema is built from them

DataSpec = component_type(data.DATASETS)
GeneratorSpec = component_type(models.GENERATORS)
CriticSpec = component_type(models.CRITICS)
LossSpec = component_type(LOSSES)
LipschitzSpec = component_type(LIPSCHITZ)
OptimizerSpec = component_type(OPTIMIZERS)
ScheduleSpec = component_type(SCHEDULES)
MetricSpec = component_type(METRICS)

# Config sections that name a registry entry, and the registry they name.
SECTIONS = {
    "data": data.DATASETS,
    "generator": models.GENERATORS,
    "critic": models.CRITICS,
    "loss": LOSSES,
    "lipschitz": LIPSCHITZ,
    "g_optimizer": OPTIMIZERS,
    "c_optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
}


def default_lipschitz(raw: dict[str, Any]) -> str | None:
    """The Lipschitz method a raw config's loss implies when none is given."""
    loss = raw.get("loss", "wgan")
    name = loss.get("name") if isinstance(loss, dict) else loss
    return LOSSES.get(name).default_lipschitz if isinstance(name, str) and name in LOSSES else None


class TrialConfig(Options):
    """Everything that determines one training run; its hash is the trial's identity."""

    seed: int = Field(
        0, ge=0, le=2**32 - 1, description="every random stream of the trial derives from it"
    )
    data: DataSpec
    generator: GeneratorSpec = Field({"name": "dcgan"}, validate_default=True)
    critic: CriticSpec = Field({"name": "dcgan"}, validate_default=True)
    loss: LossSpec = Field({"name": "wgan"}, validate_default=True)
    lipschitz: LipschitzSpec | None = Field(None, description="None: the loss's default")
    g_optimizer: OptimizerSpec = Field({"name": "rmsprop"}, validate_default=True)
    c_optimizer: OptimizerSpec = Field({"name": "rmsprop"}, validate_default=True)
    schedule: ScheduleSpec = Field({"name": "constant"}, validate_default=True)
    nz: int = Field(100, ge=1, le=4096, description="latent dimension (authors: 100)")
    batch_size: int = Field(
        64, ge=1, le=65536, description="m in Algorithm 1, for real and fake batches"
    )
    iterations: int = Field(ge=1, le=10_000_000, description="generator iterations to train")
    log_every: int = Field(10, ge=1, le=10_000_000, description="iterations between records")
    checkpoint_every: int = Field(
        500, ge=1, le=10_000_000, description="generator iterations between checkpoints"
    )
    grid_size: int = Field(64, ge=1, le=10_000, description="fixed-noise samples per sample grid")
    metrics: list[MetricSpec] = Field(
        default_factory=list,
        description="scores computed at every checkpoint (wgan_suite.trial.metrics)",
    )
    precision: Literal["float32", "bfloat16"] = Field(
        "float32",
        description="the training step's matmuls and convolutions: float32 (the authors') or "
        "bfloat16 under torch.autocast (weights, optimizer, losses and every score stay "
        "float32). bfloat16 roughly halves an MLP cell's step on a CPU with avx512_bf16 or "
        "amx_bf16 and is several times slower on one without; it changes the numbers, so an "
        "ablation opts in only after a same-seed study (benchmarks/precision_study.py)",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="where a direct run_trial call trains; under Ray the trial's GPU share "
        "decides. Not part of the trial's identity (the hash): it does not change what the "
        "trial computes",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_lipschitz(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("lipschitz") is None:
            default = default_lipschitz(values)
            if default is not None:
                values = {**values, "lipschitz": default}
        return values

    @model_validator(mode="after")
    def _compatible(self) -> TrialConfig:
        required = LOSSES.get(self.loss.name).requires_lipschitz
        if required and self.lipschitz.name != required:
            raise ValueError(
                f"loss '{self.loss.name}' needs lipschitz '{required}', got '{self.lipschitz.name}'"
            )
        why = LIPSCHITZ.get(self.lipschitz.name).float32_only
        if why and self.precision != "float32":
            raise ValueError(
                f"precision: lipschitz '{self.lipschitz.name}' trains in float32 only ({why}); "
                f"got '{self.precision}'"
            )
        shape = self.data_shape
        for role, section, registry in (
            ("generator", self.generator, models.GENERATORS),
            ("critic", self.critic, models.CRITICS),
        ):
            name = section.name
            try:
                registry.get(name).check_shape(shape)
            except ValueError as exc:
                msg = f"{role} '{name}' does not fit data '{self.data.name}': {exc}"
                raise ValueError(msg) from None
        check_metrics(self)
        check_footprint(self)
        return self

    @property
    def data_shape(self) -> tuple[int, ...]:
        return data.data_shape(self.data)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the resolved config (defaults filled in), without
        ``device``: a setting is in the identity only if it changes what a trial computes.
        ``precision`` joins it only when not float32, so the trials that predate the option
        keep their identities."""
        plain = {"device"} | ({"precision"} if self.precision == "float32" else set())
        identity = self.model_dump(mode="json", exclude=plain)
        blob = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


class ConfigError(ValueError):
    """A config that failed validation; the message lists every problem."""


def format_errors(
    err: ValidationError, source: str = "config", raw: Any = None, model: Any = None
) -> str:
    """One line per problem: ``source: key.path: message (got value)``.

    The value is shortened (``errors.short``): a message never echoes unbounded input,
    and never the value of a key the suite does not know.
    An unknown key also lists the keys allowed there when ``model`` (the validated
    class) is given.
    """
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in _key_path(e["loc"], raw)) or "<root>"
        got = e.get("input")
        # A whole-file check would print the whole file: the message says enough there; an
        # unknown key's value is nothing the suite asked for (a secret in a stray file)
        quiet = e["type"] in ("missing", "extra_forbidden") or not e["loc"]
        shown = "" if quiet else f" (got {short(got)})"
        msg = e["msg"].removeprefix("Value error, ")
        key, _, rest = msg.partition(": ")
        if isinstance(got, dict) and key in got and rest:  # a model check about one key
            loc, msg, shown = (f"{loc}.{key}" if e["loc"] else key), rest, ""
        allowed = _allowed_keys(model, e["loc"][:-1]) if e["type"] == "extra_forbidden" else None
        tail = f"; allowed: {', '.join(allowed)}" if allowed else ""
        lines.append(f"{source}: {loc}: {msg}{shown}{tail}")
    return "\n".join(lines)


def _unwrap(tp: Any, tag: Any = None) -> Any:
    """Strip Annotated/Optional; pick a tagged union's variant by ``tag`` (its ``name``)."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            options = [a for a in get_args(tp) if a is not type(None)]
            named = [a for a in options if _name_literal(a) == tag] if tag is not None else []
            if named:
                return named[0], True
            if len(options) != 1:
                return tp, False
            tp = options[0]
        else:
            return tp, False


def _name_literal(tp: Any) -> Any:
    field = getattr(tp, "model_fields", {}).get("name")
    args = get_args(field.annotation) if field is not None else ()
    return args[0] if len(args) == 1 else None


def _allowed_keys(model: Any, loc: tuple[Any, ...]) -> list[str] | None:
    """The field names of the model found by following ``loc`` from ``model``."""
    node = model
    for part in loc:
        node, consumed = _unwrap(node, part)
        if consumed:
            continue
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(str(part))
            if field is None:
                return None
            node = field.annotation
        elif get_origin(node) in (list, tuple, dict):
            node = get_args(node)[-1]
        else:
            return None
    node, _ = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return sorted(node.model_fields)
    return None


def _key_path(loc: tuple[Any, ...], raw: Any) -> list[Any]:
    """Drop the union tags pydantic adds: ``c_optimizer.adam.beta1`` -> ``c_optimizer.beta1``."""
    path, node = [], raw
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("name") == part:
            continue
        if isinstance(node, str) and part == node:  # shorthand section: ``loss: wgan``
            continue
        path.append(part)
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return path


def load_trial_config(raw: dict[str, Any] | str | Path, source: str | None = None) -> TrialConfig:
    """Validate a mapping (or a YAML file) into a TrialConfig, raising ConfigError."""
    if isinstance(raw, (str, Path)):
        source = source or str(raw)
        try:
            raw = safe_yaml.load(raw, "trial config")
        except safe_yaml.YamlInputError as exc:
            raise ConfigError(str(exc)) from None
    if not isinstance(raw, dict):
        got = f"a {type(raw).__name__}"
        raise ConfigError(f"{source or 'config'}: expected a mapping of settings, got {got}")
    try:
        return TrialConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source or "config", raw, TrialConfig)) from None
