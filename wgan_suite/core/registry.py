"""One generic registry, one instance per extension point.

A new architecture, loss, dataset, ... is one decorated function or class in the
file of its kind; nothing else changes. Unknown names fail with the allowed ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A registry lookup of a name that was never registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class Registry(Generic[T]):
    """Name -> entry map filled by decorators at import time.

    ``base``: the class every entry must subclass; its docstring and defaults are the
    extension point's contract (as lm-evaluation-harness's ``Registry(base_cls=...)``).
    """

    def __init__(self, kind: str, base: type | None = None) -> None:
        self.kind = kind
        self.base = base
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(entry: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            if self.base is not None and not (
                isinstance(entry, type) and issubclass(entry, self.base)
            ):
                raise TypeError(
                    f"{self.kind} '{name}' must be a subclass of {self.base.__qualname__} "
                    f"({self.base.__module__}), got {entry!r}"
                )
            self._entries[name] = entry
            return entry

        return add

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: object) -> str:
        close = difflib.get_close_matches(str(name), self.names(), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return f"Unknown {self.kind} '{name}'.{hint} Available: {', '.join(self.names())}"

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)
