"""Typed options for registry entries, and the tagged unions configs are built from.

Every registry entry carries an ``Options`` model (frozen, unknown keys forbidden).
A config section such as ``critic: {name: dcgan, width: 64}`` is validated against
the ``Options`` of the entry its ``name`` selects, so a new entry brings its own
validated settings without touching the config module.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    create_model,
    model_validator,
)

from wgan_suite.core.errors import short
from wgan_suite.core.registry import Registry


class Options(BaseModel):
    """Base for every settings model: frozen, strict about unknown keys.

    Numbers are finite (``c: .inf`` is not a clipping range) and never booleans:
    YAML's ``true`` would otherwise become 1 (``lr: true`` is a typo, not 1.0).
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, protected_namespaces=(), allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, bool) and isinstance(key, str) and _numeric(cls, key):
                    raise ValueError(f"{key}: expected a number, got {str(value).lower()}")
        return data


def _numeric(model: type[BaseModel], name: str) -> bool:
    """Whether a field takes numbers only (int, float, their Optional, int Literals)."""
    field = model.model_fields.get(name)
    args = {field.annotation} if field is not None else set()
    if field is not None and get_origin(field.annotation) in (Union, types.UnionType):
        args = set(get_args(field.annotation)) - {type(None)}
    if all(get_origin(a) is Literal for a in args) and args:
        values = [v for a in args for v in get_args(a)]
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    return bool(args) and args <= {int, float}


def _named(registry: Registry[Any]):
    """Accept ``"wgan"`` as ``{"name": "wgan"}`` and reject unknown names early."""

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            value = {"name": value}
        if isinstance(value, dict):
            name = value.get("name")
            if name is None:
                raise ValueError(
                    f"missing 'name' of the {registry.kind}; allowed: {', '.join(registry.names())}"
                )
            if name not in registry:
                raise ValueError(registry.unknown_message(name))
        elif isinstance(value, BaseModel):
            return value
        else:
            raise ValueError(
                f"expected a {registry.kind} name or a mapping with 'name', got {short(value)}"
            )
        return value

    return convert


def component_type(registry: Registry[Any]) -> Any:
    """A pydantic type: the union of every entry's Options, tagged by ``name``."""
    variants = []
    for name in registry.names():
        base = registry.get(name).Options
        variants.append(
            create_model(
                f"{registry.kind.title().replace(' ', '')}_{name}",
                __base__=base,
                name=(Literal[name], Field(description=f"{registry.kind} entry")),
            )
        )
    union = variants[0] if len(variants) == 1 else Union[tuple(variants)]  # noqa: UP007
    return Annotated[
        Annotated[union, Field(discriminator="name")] if len(variants) > 1 else union,
        BeforeValidator(_named(registry)),
    ]


def resolve(registry: Registry[Any], value: Any) -> Any:
    """Validate one section (``"wgan"`` or ``{"name": ..., **options}``) outside a full config."""
    return TypeAdapter(component_type(registry)).validate_python(value)
