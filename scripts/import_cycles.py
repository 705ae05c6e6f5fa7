"""List daicho's import cycles (strongly connected modules, imports inside functions included)
and every import made inside a function, so a cycle dodged by a lazy import shows.

    .venv/bin/python scripts/import_cycles.py [--lazy]

The walls themselves are import-linter's contracts (`make lint`, docs/architecture.md "Rooms")."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    adjacent = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in adjacent[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(adjacent):
        if module not in index:
            visit(module)
    return found


def _source_line(module: str, number: int) -> str:
    base = ROOT.joinpath(*module.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[number - 1] if 0 < number <= len(lines) else ""


def main() -> None:
    graph = grimp.build_graph("daicho", cache_dir=None)
    for component in _cycles(graph):
        members = set(component)
        print(f"cycle of {len(component)} modules:")
        for importer in component:
            for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
                for d in graph.get_import_details(importer=importer, imported=imported):
                    lazy = _source_line(importer, d["line_number"])[:1].isspace()
                    print(f"  {importer} -> {imported}  l.{d['line_number']}"
                          f"{'  (inside a function)' if lazy else ''}")
    if "--lazy" in sys.argv:
        print("imports inside functions:")
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                for d in graph.get_import_details(importer=importer, imported=imported):
                    line = _source_line(importer, d["line_number"])
                    if line[:1].isspace() and "TYPE_CHECKING" not in line:
                        print(f"  {importer} -> {imported}  l.{d['line_number']}")


if __name__ == "__main__":
    main()
