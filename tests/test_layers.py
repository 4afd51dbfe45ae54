"""The package is layered: a module imports only from its own layer or the ones below it,
at module level and inside functions alike, and no two modules import each other in a
circle (issue 26). The order is stated once, here (lowest first); the package's own
``__init__`` (the version) and ``__main__`` are outside the layers."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import wgan_suite

LAYERS = ("core", "trial", "analysis", "harness", "claims", "report", "commands", "cli")
PACKAGE = Path(wgan_suite.__file__).resolve().parent
NAME = "wgan_suite"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """The package's modules (or names in them) ``path`` imports, anywhere in the file
    (function-local and TYPE_CHECKING imports included), with their line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names = [f"{module}.{a.name}" for a in node.names]
            out += [(name, node.lineno) for name in names]
            # `from pkg import sub` depends on the submodule; the package itself only
            # where a name is defined in its __init__
            if not set(names) <= _modules():
                out.append((module, node.lineno))
    return [(name, line) for name, line in out if name == NAME or name.startswith(NAME + ".")]


def _layer(module: str) -> str | None:
    """A module's layer, or None outside the layers (``wgan_suite``, ``__main__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@functools.cache
def _modules() -> frozenset[str]:
    return frozenset(_module(p) for p in _files())


def _resolve(name: str, modules: set[str]) -> str | None:
    """The module an imported name lives in (``wgan_suite.core.files.atomic_write`` ->
    ``wgan_suite.core.files``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, dict[str, int]]:
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for path in _files():
        src = _module(path)
        edges = graph.setdefault(src, {})
        for name, line in _imports(path):
            dst = _resolve(name, modules)
            if dst and dst != src:
                edges.setdefault(dst, line)
    return graph


def test_every_package_folder_is_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= set(LAYERS), folders - set(LAYERS)
    assert (PACKAGE / "cli.py").is_file()


def test_no_import_runs_up_a_layer():
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    upward = []
    for src, edges in _graph().items():
        here = _layer(src)
        for dst, line in edges.items():
            there = _layer(dst)
            if here and there and rank[there] > rank[here]:
                upward.append(f"{src}:{line} imports {dst} ({here} -> {there})")
    assert not upward, "\n".join(upward)


def test_no_import_cycles_between_layers():
    """Two layers that import each other, whatever their order says (a layer missing from
    LAYERS, or a relative import, could otherwise hide one)."""
    layer_edges = {
        (_layer(a), _layer(b))
        for a, edges in _graph().items()
        for b in edges
        if _layer(a) and _layer(b) and _layer(a) != _layer(b)
    }
    assert not {(a, b) for a, b in layer_edges if (b, a) in layer_edges}


def test_no_import_cycles_between_modules():
    """No circle of modules (the 12-file circle config -> metrics -> columns -> losses was
    kept alive by function-local imports): a depth-first search over every import."""
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    circles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "\n".join(circles)


def test_the_check_sees_function_local_imports(tmp_path):
    """An upward import hidden in a function body is still read."""
    path = PACKAGE / "core" / "errors.py"
    tree = ast.parse("def f():\n    from wgan_suite.report import build\n")
    names = [
        f"{n.module}.{a.name}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for a in n.names
    ]
    assert names == ["wgan_suite.report.build"]
    assert _layer(_resolve("wgan_suite.report.build", _modules()) or "") == "report"
    assert _layer(_module(path)) == "core"
