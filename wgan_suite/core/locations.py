"""Where the shipped ablations and claims are: found the same way, never by the current
directory by accident.

In a checkout (or an editable install of one) they are the project's top-level
``ablations/`` and ``claims/`` beside the ``wgan_suite`` package, where a user adds YAML. A
wheel carries the same two folders as package data, ``wgan_suite/shipped/ablations`` and
``wgan_suite/shipped/claims`` (``pyproject.toml`` maps them there), read through
``importlib.resources``: found wherever the package is imported from (a venv, any prefix,
``pip install --target DIR``). A user's own ablation folder is named by ``--ablations-dir``
or ``$WGAN_SUITE_ABLATIONS`` (the flag wins); a name not found there is looked up in the
shipped ones. Plugin folders (``$WGAN_SUITE_PLUGINS``) add claims of their own.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from wgan_suite.core import env

PACKAGE = Path(__file__).resolve().parents[1]  # the wgan_suite package (this is core/)
SHIPPED = "shipped"  # the package-data folder a wheel holds them in


def checkout() -> Path | None:
    """The project folder holding this package, when it is a checkout; else None."""
    root = PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "ablations").is_dir():
        return root
    return None


def shipped(name: str) -> Path:
    """The suite's own ``ablations`` or ``claims`` folder: the checkout's, else the
    installed package's data."""
    root = checkout()
    if root is not None:
        return root / name
    found = importlib.resources.files("wgan_suite") / SHIPPED / name
    if not isinstance(found, Path):  # a zipped package: wheels install unpacked
        raise RuntimeError(f"wgan_suite is not installed as files: cannot read {found}")
    return found


def shipped_ablations() -> Path:
    return shipped("ablations")


def ablations_dir() -> Path:
    """Where ablation names are looked up: ``$WGAN_SUITE_ABLATIONS``, else the shipped ones
    (``--ablations-dir`` overrides both)."""
    return env.ablations() or shipped_ablations()


def claims_dir() -> Path:
    return shipped("claims")


# How a user types the suite's command: the launcher at the checkout's root runs it in the
# environment `nox -s reproduce` made (.venv), from any shell; hints and messages print it
# so that they work as printed. An installed wheel has the `wgan-suite` console script.
COMMAND = "./wgan-suite"
