"""The package boundary and the size limits, read from the source (no import is executed).

`scaffolder` holds everything about a template and its variants, `smoke_tests` running,
judging and reporting: scaffolder never imports smoke_tests; no two modules import each other,
even through others or only for type checking; no module over 300 lines and no function over
50 (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scaffolder", "smoke_tests")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50


def _modules() -> dict[str, Path]:
    return {
        f"{package}.{path.stem}": path
        for package in PACKAGES
        for path in sorted((ROOT / package).glob("*.py"))
        if path.stem != "__init__"
    }


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `module` imports anywhere in it (functions and TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                base = ".".join([module.split(".", maxsplit=1)[0], *filter(None, [base])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name in known and name != module}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle (as a path that ends where it starts), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if child not in state and (found := visit(child)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_scaffolder_never_imports_smoke_tests() -> None:
    wrong = {
        f"{module} imports {', '.join(sorted(i for i in imported if i.startswith('smoke_tests')))}"
        for module, imported in _graph().items()
        if module.startswith("scaffolder.") and any(i.startswith("smoke_tests") for i in imported)
    }
    assert not wrong, sorted(wrong)


def test_the_graph_sees_imports() -> None:
    """The checks above are worth something only if the graph finds real edges."""
    graph = _graph()
    assert "scaffolder.errors" in graph["scaffolder.variants"]
    assert "scaffolder.variants" in graph["smoke_tests.cli"]


def test_no_module_over_300_lines() -> None:
    long = {
        f"{name}: {count} lines"
        for name, path in _modules().items()
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, sorted(long)


def test_no_function_over_50_lines() -> None:
    long = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name} (line {node.lineno}): {size} lines")
    assert not long, long
