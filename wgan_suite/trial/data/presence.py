"""Is the data a grid needs on this machine? Checked before the first trial starts.

Without this check a fresh machine schedules a hundred trials, and every trial that
needs a missing data set fails on its own, minutes apart. A registry entry may define
``check(options, fetch)``: it returns when the files are there (downloading them
first when ``fetch`` and the entry can) and raises ``DataMissing`` otherwise, with the
one command that fixes it. Entries without ``check`` (generated toy data) always pass.
The check runs where the driver runs: on a cluster, the nodes must see the same
paths (a shared file system), or the check is skipped with ``--no-data-check``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wgan_suite.core.errors import InputError
from wgan_suite.trial.data.base import DATASETS


class DataMissing(InputError):
    """A data set that is neither on this machine nor downloadable; says how to get it."""


def debian_like() -> bool:
    return Path("/etc/debian_version").exists()


def check_data(
    data_options: Iterable[Any], *, fetch: bool, explicit_roots_only: bool = False
) -> list[str]:
    """One line per data set that is missing (empty: all present); each once.

    ``explicit_roots_only``: check only data given by a ``root`` path (``validate``:
    a path that does not exist is a typo; data found by look-up may come later).
    """
    problems, seen = [], set()
    for options in data_options:
        key = json.dumps(options.model_dump(mode="json"), sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        if explicit_roots_only and getattr(options, "root", None) is None:
            continue
        try:
            DATASETS.get(options.name).check(options, fetch=fetch)
        except DataMissing as missing:
            problems.append(str(missing))
    return problems
