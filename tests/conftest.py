"""Both tiers: Airflow's environment (set before any test imports Airflow, which reads it at import) and
the tier markers. ``tests/unit`` needs no service and no network; ``tests/integration`` has the fixtures
for a real Postgres, the Storyblok simulator, local receivers and Airflow itself.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="storyblok-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
    }
)
os.environ.pop("STORYBLOK_TRAFFIC_CONFIG", None)
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

TIERS = ("unit", "integration")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its tier's marker (``pytest -m unit``), from the folder it lives in."""
    for item in items:
        tier = next((t for t in TIERS if f"/tests/{t}/" in str(item.path)), None)
        if tier is None:
            raise pytest.UsageError(f"{item.nodeid}: every test lives in tests/unit or tests/integration")
        item.add_marker(tier)
