"""Where the shipped ablations and claims are: found the same way, never by the current
directory by accident.

In a checkout (or an editable install) they are the project's ``ablations/`` and
``claims/`` beside the ``wgan_suite`` package; a wheel installs them as data under
``<prefix>/share/wgan-suite/``. ``--ablations-dir`` (and a claims folder passed to the
report) override them; plugin folders (``$WGAN_SUITE_PLUGINS``) add claims of their own.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the wgan_suite package (this is core/)
SHARE = Path(sysconfig.get_path("data")) / "share" / "wgan-suite"


def project_root() -> Path:
    """The checkout holding this package, else the installed data folder."""
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "ablations").is_dir():
        return checkout
    return SHARE


def ablations_dir() -> Path:
    return project_root() / "ablations"


def claims_dir() -> Path:
    return project_root() / "claims"


# How a user types the suite's command: the launcher at the checkout's root runs it in the
# environment `nox -s reproduce` made (.venv), from any shell; hints and messages print it
# so that they work as printed. An installed wheel has the `wgan-suite` console script.
COMMAND = "./wgan-suite"
