"""YAML input with bounds: no file, alias or nesting can make loading exhaust memory.

``yaml.safe_load`` never runs code, but it happily builds a "billion laughs" document
(nine aliases of nine aliases ...: a few hundred bytes that expand to 10^9 nodes as
soon as anything walks them), reads any file it is pointed at (a directory, a binary,
``/dev/zero``) and silently keeps the last of two equal keys. Ablation and claim files
are small hand-written mappings, so this reader refuses anything that is not: a
regular UTF-8 text file of at most ``MAX_BYTES``, at most ``MAX_NODES`` nodes once
aliases are expanded, at most ``MAX_ALIASES`` alias uses, no duplicate keys. Errors
name the file and the line and never quote the file's contents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20  # 1 MiB: the largest shipped file is a few KiB
MAX_NODES = 100_000  # after alias expansion
MAX_ALIASES = 1_000
MAX_DEPTH = 100


class YamlInputError(ValueError):
    """A file that cannot be read as a small YAML document; the message names it."""


# libyaml's parser when PyYAML was built with it (the wheels are): the same safe
# constructor, parsed in C (the claims file took a quarter of a second in Python).
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc, valid-type]
    """SafeLoader that rejects duplicate keys in a mapping (YAML 1.2 forbids them)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = (key_node.tag, key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key '{_short(key_node.value)}' (first set on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A scalar PyYAML resolves but cannot build (``2026-13-45`` as a date, a huge
        exponent) raises a bare ValueError: named here with its position instead."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            if isinstance(exc, YamlInputError):
                raise
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"cannot read this value ({_short(str(exc), 60)}); quote it to make it a string",
                node.start_mark,
            ) from None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_size(root: yaml.Node, where: str) -> None:
    """Count nodes as a consumer would see them (aliases expanded), without expanding."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    aliases = 0

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal aliases
        key = id(node)
        if key in active:
            raise YamlInputError(f"{where}: an alias refers to a node that contains it")
        if key in sizes:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlInputError(f"{where}: more than {MAX_ALIASES} alias uses")
            return sizes[key]
        if depth > MAX_DEPTH:
            raise YamlInputError(f"{where}: nested deeper than {MAX_DEPTH} levels")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        if total > MAX_NODES:
            raise YamlInputError(
                f"{where}: more than {MAX_NODES} values once aliases are expanded "
                "(an alias bomb, or a file far larger than an ablation needs)"
            )
        sizes[key] = total
        return total

    size(root, 0)


def read_text_file(path: Path, what: str = "YAML file", max_bytes: int = MAX_BYTES) -> str:
    """A small regular UTF-8 text file, or YamlInputError saying why not (never its content)."""
    if path.is_dir():
        raise YamlInputError(f"{path}: is a directory, not a {what}")
    if not path.exists():
        raise YamlInputError(f"{path}: file not found")
    if not path.is_file():
        raise YamlInputError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise YamlInputError(f"{path}: cannot read: {err.strerror or err}") from None
    if len(data) > max_bytes:
        raise YamlInputError(f"{path}: over {max_bytes} bytes; a {what} is a small text file")
    if b"\0" in data:
        raise YamlInputError(f"{path}: binary file (NUL bytes), not a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise YamlInputError(f"{path}: line {line}: not UTF-8 text, not a {what}") from None


def loads(text: str, where: str) -> Any:
    """Parse one YAML document from ``text`` with the bounds above."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, where)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise YamlInputError(describe(exc, where)) from None
    except yaml.YAMLError as exc:
        raise YamlInputError(f"{where}: YAML syntax error: {_short(str(exc), 200)}") from None
    except RecursionError:
        raise YamlInputError(f"{where}: nested too deeply") from None
    finally:
        loader.dispose()


def describe(exc: yaml.MarkedYAMLError, where: str) -> str:
    """``file: YAML syntax error at line 3, column 7: <problem> (<context> on line 2, ...)``.

    Positions and PyYAML's description only: never a snippet of the file.
    """
    mark = exc.problem_mark or exc.context_mark
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    syntax = not isinstance(exc, yaml.constructor.ConstructorError)
    kind = "YAML syntax error" if syntax else "YAML error"
    problem = exc.problem or exc.context or "unreadable"
    context = ""
    if exc.problem and exc.context and exc.context_mark:
        cm = exc.context_mark
        context = f" ({exc.context} that starts on line {cm.line + 1}, column {cm.column + 1})"
    return f"{where}: {kind}{at}: {problem}{context}"


def load(path: str | Path, what: str = "YAML file") -> Any:
    path = Path(path)
    return loads(read_text_file(path, what), str(path))
