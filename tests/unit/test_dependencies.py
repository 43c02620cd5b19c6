"""The distribution declares exactly what its code imports (issue 25): nothing missing, nothing unused.

Every import of the package (``plugins/storyblok_traffic``) and of the DAG files that call it
(``dags/``: a user's DAG folder needs no more than the package declares) is read, mapped to the
distribution that provides it (``airflow.providers.X`` to ``apache-airflow-providers-X``,
``airflow.providers.common.X`` to ``apache-airflow-providers-common-X``, the rest of
``airflow`` to ``apache-airflow``), and compared with ``pyproject.toml``'s dependencies and extras.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "plugins" / "storyblok_traffic", ROOT / "dags")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_distributions() -> dict[str, set[str]]:
    """Distribution -> the package's modules that import it (the standard library and itself left out)."""
    providers = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in (p for source in SOURCES for p in source.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("__future__", "storyblok_traffic"):
                    continue
                if top == "airflow":
                    parts = name.split(".")
                    # the common providers are named with their second part: apache-airflow-providers-common-compat
                    provider = "-".join(parts[2:4]) if parts[2:3] == ["common"] else "-".join(parts[2:3])
                    dist = f"apache-airflow-providers-{provider}" if parts[1:2] == ["providers"] else "apache-airflow"
                else:
                    dist = providers[top][0]
                found.setdefault(_normal(dist), set()).add(str(path.relative_to(ROOT)))
    return found


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_normal(re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]) for r in requirements}


def test_every_import_is_declared_and_every_declared_distribution_is_imported():
    imports = imported_distributions()
    missing = {dist: sorted(where)[:3] for dist, where in imports.items() if dist not in declared()}
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"
    unused = declared() - set(imports)
    assert unused == set(), f"declared in pyproject.toml but imported by no module: {sorted(unused)}"
