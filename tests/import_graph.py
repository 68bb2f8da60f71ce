"""A static import graph of first-party packages, read with ``ast``: nothing is imported or run.

``import_graph(root, packages)`` maps every module of ``packages`` (found as ``.py`` files under
``root``) to the names it imports:

* ``import a.b`` and ``from a.b import c`` name ``a.b``; ``from a import b`` names ``a.b`` where
  ``a.b`` is a module of the graph, else ``a``; relative imports are resolved against the
  importing module's package; a name inside the graph resolves to the longest module it starts
  with (``from m import f`` names ``m``);
* imports anywhere in a file count, inside functions too (they run when called), except in the
  body of an ``if TYPE_CHECKING:`` block, which never runs;
* a name outside the packages (``torch``, ``streamlit.runtime``) is kept as written: a leaf.

Importing ``a.b.c`` also runs ``a/__init__.py`` and ``a/b/__init__.py``: ``reaching_path`` follows
those edges too. ``import_cycles`` counts only the imports written, and not one from a module to
its own packages, which Python has always started before the module: the usual layout of a
package (``a/__init__.py`` imports ``a.b``, which imports ``a``), not a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

Graph = dict[str, set[str]]


def package_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """``{module name: file}`` for every ``.py`` file of each package under ``root``."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node`` that can run (not under ``if TYPE_CHECKING:``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _import_nodes(child)


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """A first-party name as its longest module (``pkg.mod.func`` -> ``pkg.mod``); others as given."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return name


def module_imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The names ``module`` (the file ``path``) imports, resolved as the module docstring says."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {_resolve(alias.name, modules) for alias in node.names}
            continue
        if node.level:
            anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        else:
            base = node.module
        if base == "__future__":
            continue
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            found.add(submodule if submodule in modules else _resolve(base, modules))
    found.discard(module)
    return found


def import_graph(root: Path, packages: Iterable[str]) -> Graph:
    """``{module: names it imports}`` for every module of ``packages`` under ``root``."""
    modules = package_modules(root, packages)
    return {name: module_imports(name, path, modules) for name, path in modules.items()}


def _ancestors(name: str, graph: Graph) -> list[str]:
    parts = name.split(".")
    return [p for p in (".".join(parts[:end]) for end in range(1, len(parts))) if p in graph]


def reaching_path(graph: Graph, start: str, target: Callable[[str], bool]) -> list[str] | None:
    """The shortest chain of imports from ``start`` to a name ``target`` accepts (counting the
    packages each import runs first), or ``None`` if importing ``start`` never gets there."""
    came_from: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        name = queue.pop(0)
        if target(name):
            chain = [name]
            while came_from[chain[-1]] is not None:
                chain.append(came_from[chain[-1]])
            return chain[::-1]
        for nxt in sorted(graph.get(name, set())) + _ancestors(name, graph):
            if nxt not in came_from:
                came_from[nxt] = name
                queue.append(nxt)
    return None


def import_cycles(graph: Graph, within: Callable[[str], bool]) -> list[list[str]]:
    """The import cycles among the modules ``within`` accepts: one ``[a, b, ..., a]`` per group of
    modules that import each other (a strongly connected component), ``[]`` if there is none.
    Edges from a module to its own packages are left out (see the module docstring)."""
    nodes = sorted(name for name in graph if within(name))
    edges = {name: sorted(t for t in graph[name] if within(t) and t in graph
                          and not name.startswith(t + ".")) for name in nodes}
    reaches = {name: _closure(edges, name) for name in nodes}
    cycles, seen = [], set()
    for name in nodes:
        if name in seen or name not in reaches[name]:
            continue
        group = {other for other in reaches[name] if name in reaches[other]}
        seen |= group
        cycles.append(_cycle_through(edges, name, group))
    return cycles


def _closure(edges: dict[str, list[str]], start: str) -> set[str]:
    """The modules reachable from ``start`` in one or more steps."""
    found, queue = set(), list(edges[start])
    while queue:
        name = queue.pop()
        if name not in found:
            found.add(name)
            queue += edges[name]
    return found


def _cycle_through(edges: dict[str, list[str]], start: str, group: set[str]) -> list[str]:
    """The shortest path from ``start`` back to itself, within ``group``."""
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:
        name = queue.pop(0)
        for nxt in edges[name]:
            if nxt == start:
                chain = [name]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [*chain[::-1], start]
            if nxt in group and nxt not in came_from:
                came_from[nxt] = name
                queue.append(nxt)
    raise AssertionError(f"{start} is in no cycle")  # unreachable: group members reach start


def in_package(package: str) -> Callable[[str], bool]:
    """A test for ``package`` and its submodules."""
    return lambda name: name == package or name.startswith(package + ".")
