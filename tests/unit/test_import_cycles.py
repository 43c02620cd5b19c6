"""No import cycle in the package: calls go one way (operators -> tasks -> the work -> rules).

Every import counts, also those inside functions (kept there to spare the DAG parse): a cycle through
them is still two modules that each need the other.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PACKAGE = "storyblok_traffic"


def modules() -> dict[str, Path]:
    found = {}
    for path in (PLUGINS / PACKAGE).rglob("*.py"):
        name = ".".join(path.relative_to(PLUGINS).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``path`` imports (``from a import b`` is ``a.b`` when that is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(PACKAGE):
            base = node.module or ""
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE)}
    return {name for name in found if name in known}


def test_the_package_has_no_import_cycle():
    known = modules()
    graph = {name: imports(path, known) - {name} for name, path in known.items()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_the_graph_sees_imports_inside_functions():
    # operators.pipeline imports jobs.daily only inside execute(): the graph must still see it
    known = modules()
    assert f"{PACKAGE}.jobs.daily" in imports(known[f"{PACKAGE}.operators.pipeline"], known)


def test_only_the_ui_and_the_plugin_entry_import_the_ui():
    """The dashboard reads what the rest of the package makes; nothing the pipeline runs imports it
    (the JSON webhook's bill comes from ``bill_document``, not from the dashboard's figures)."""
    known = modules()
    ui = f"{PACKAGE}.ui"
    outside = {
        name: sorted(m for m in imports(path, known) if m == ui or m.startswith(ui + "."))
        for name, path in known.items()
        if not (name == ui or name.startswith(ui + "."))
    }
    assert {name: found for name, found in outside.items() if found} == {}
