"""Entries from outside the package: a new generator, loss, metric, ... in a file of its
own, registered like the shipped ones, with no other file touched.

``$WGAN_SUITE_PLUGINS`` lists, separated by ``:``, importable module names, ``.py``
files or folders. A folder's ``*.py`` files are imported in name order, and its
``claims/*.yaml`` join the shipped claims. The variable reaches every Ray worker, so
trials see the same entries as the driver. Loaded once, before the config schema is built
from the registries.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import cache
from pathlib import Path

from wgan_suite.core import env


class PluginError(ImportError):
    """A plugin that cannot be loaded; the message names it and the variable."""


def _import_file(path: Path) -> None:
    name = f"wgan_suite_plugin_{path.stem}_{abs(hash(path.resolve())) % 10**8}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"${env.PLUGINS}: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


@cache
def load_plugins() -> tuple[str, ...]:
    """Import every plugin once; returns what was loaded (for provenance)."""
    loaded = []
    for item in env.plugins():
        path = Path(item).expanduser()
        try:
            if path.is_dir():
                for file in sorted(path.glob("*.py")):
                    _import_file(file)
            elif path.suffix == ".py":
                if not path.is_file():
                    raise PluginError(f"${env.PLUGINS}: no such file: {path}")
                _import_file(path)
            else:
                importlib.import_module(item)
        except PluginError:
            raise
        except Exception as err:  # a plugin's own error: say which plugin
            raise PluginError(f"${env.PLUGINS}: loading {item} failed: {err}") from err
        loaded.append(item)
    return tuple(loaded)


def claims_dirs() -> list[Path]:
    """The ``claims/`` folders of plugin folders."""
    out = []
    for item in env.plugins():
        folder = Path(item).expanduser() / "claims"
        if folder.is_dir():
            out.append(folder)
    return out
