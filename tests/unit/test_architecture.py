"""The package floors and the absence of import cycles (docs/architecture.md).

Floors, bottom to top: ``speech`` and ``retrieval`` (import nothing of ours), ``scripts_gen``
(grounded writing; may use the floors below), ``coach`` (features and the composition
root), ``ui`` (web pages and REST API, on top). A module may import its own package and
lower floors only; ``coach`` reaches ``ui`` from the ``serve`` command alone.

The import graph is read from the source (``ast``): every import of our modules, at the
top of a file or inside a function, except those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("speech", "retrieval", "scripts_gen", "coach", "ui")
FLOOR = {"speech": 0, "retrieval": 0, "scripts_gen": 1, "coach": 2, "ui": 3}
#: the one place ``coach`` may import ``ui``: the command that starts the web server
COACH_TO_UI = {"coach.cli.server"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            mods[_module_name(path)] = path
    return mods


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Our modules that ``path`` imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def resolve(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] in PACKAGES:
                        found.add(resolve(alias.name) or alias.name)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    pkg = name if is_pkg else name.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        pkg = pkg.rpartition(".")[0]
                    base = f"{pkg}.{base}" if base else pkg
                if base.split(".")[0] not in PACKAGES:
                    continue
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in known else (resolve(base) or base))
            visit(child)

    visit(tree)
    found.discard(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(path, name, known) for name, path in mods.items()}


def _floor(module: str) -> int:
    return FLOOR[module.split(".")[0]]


def test_lower_floors_never_import_higher_ones(graph) -> None:
    bad = []
    for mod, deps in graph.items():
        top = mod.split(".")[0]
        for dep in deps:
            dep_top = dep.split(".")[0]
            if dep_top == top:
                continue
            if _floor(dep) > _floor(mod) and not (mod in COACH_TO_UI and dep_top == "ui"):
                bad.append(f"{mod} -> {dep}")
            elif _floor(dep) == _floor(mod):  # speech and retrieval are peers: neither uses the other
                bad.append(f"{mod} -> {dep}")
    assert not bad, "imports against the floors (docs/architecture.md):\n" + "\n".join(sorted(bad))


def test_ui_uses_the_services_not_the_floors(graph) -> None:
    bad = [f"{m} -> {d}" for m, deps in graph.items() if m.split(".")[0] == "ui"
           for d in deps if d.split(".")[0] in ("speech", "retrieval", "scripts_gen")]
    assert not bad, "ui/ reaches below coach:\n" + "\n".join(sorted(bad))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                strong(v)
    finally:
        sys.setrecursionlimit(limit)
    return out


def test_no_import_cycles_among_our_modules(graph) -> None:
    cycles = _cycles(graph)
    assert not cycles, "import cycles (break them: move the shared piece down or pass it in):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_coach_keeps_at_most_six_top_level_modules() -> None:
    flat = sorted(p.name for p in (REPO / "coach").glob("*.py"))
    assert len(flat) <= 6, flat
