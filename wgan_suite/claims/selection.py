"""What a check reads, and why it may not decide: trial selections by config value, and
the errors of claims. Shared by the check kinds (``base``) and their view of the tables
(``context``), which do not import each other.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from wgan_suite.core.errors import InputError

Scalar = str | int | float | bool


def _config_paths(v: dict[str, Any]) -> dict[str, Any]:
    if not v:
        raise ValueError("an empty selection; give config path: value, e.g. loss: wgan")
    for key, value in v.items():
        if key.startswith(("axis.", "config.")):
            raise ValueError(
                f"'{key}': select trials by their config values (e.g. loss: wgan, "
                "c_optimizer.name: adam, lipschitz.c: 0.01), not by table column names"
            )
        if isinstance(value, list) and not value:
            raise ValueError(f"'{key}': an empty list selects nothing")
    return v


# Trials by their resolved config: path -> value or values. A section name alone means its
# entry name (``loss: wgan`` is ``loss.name: wgan``); numbers compare as numbers.
Where = Annotated[dict[str, Scalar | list[Scalar]], AfterValidator(_config_paths)]


class ClaimError(InputError):
    """A claims file that cannot be used; each line names file, claim, key and what is allowed.

    An ``InputError``: the CLI prints it as ``error: ...`` and exits 2, no traceback."""


class Inconclusive(Exception):
    """Raised while evaluating when the data cannot decide (rows, columns, trials missing)."""

    def __init__(self, reason: str, trial_ids: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.trial_ids = trial_ids


def describe_where(where: Where) -> str:
    """``[loss=wgan, generator=dcgan_const]``."""
    parts = []
    for key, value in where.items():
        shown = "|".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}={shown}")
    return "[" + ", ".join(parts) + "]"
