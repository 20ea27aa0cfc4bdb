"""The layout is the design: queue_server's modules import each other without a circle, and the
domain (queue_server/*.py) imports neither the web shells nor the operations."""

from __future__ import annotations

import ast
from pathlib import Path

import queue_server

PACKAGE_ROOT = Path(queue_server.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every queue_server module this file imports, at the top or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base_name = ".".join(base + ([node.module] if node.module else []))
            else:
                base_name = node.module or ""
            found.add(base_name)
            found.update(f"{base_name}.{alias.name}" for alias in node.names)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE_ROOT.rglob("*.py") if "static" not in p.parts and "templates" not in p.parts]
    known = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, known) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_queue_server_imports_have_no_cycle():
    graph = import_graph()
    assert "queue_server.web.app" in graph and "queue_server.ops.cli" in graph
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph))


def test_the_cycle_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_domain_imports_neither_web_nor_ops():
    graph = import_graph()
    # __main__ is the command's entry point, not domain.
    upward = {(module, target) for module, targets in graph.items()
              if module.count(".") == 1 and module != "queue_server.__main__"
              for target in targets if target.startswith(("queue_server.web", "queue_server.ops"))}
    assert not upward, f"domain modules importing the shells: {sorted(upward)}"
