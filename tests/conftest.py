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
# The files that take minutes, longest first: handed to the test processes before the rest (``--dist
# loadfile`` hands files out in this order), so that none of them starts while the others sit idle at the end.
LONGEST = (
    "integration/ui/test_browser.py",
    "integration/dags/test_celery.py",
    "integration/dags/test_scheduler_backfill.py",
    "integration/test_soak.py",
    "integration/test_clean_install.py",
    "integration/dags/test_dag_run.py",
    "integration/dags/test_debug_logs.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its tier's marker (``pytest -m unit``), from the folder it lives in; the longest
    files come first."""
    for item in items:
        tier = next((t for t in TIERS if f"/tests/{t}/" in str(item.path)), None)
        if tier is None:
            raise pytest.UsageError(f"{item.nodeid}: every test lives in tests/unit or tests/integration")
        item.add_marker(tier)
    rank = {name: i for i, name in enumerate(LONGEST)}
    items.sort(key=lambda item: rank.get(item.path.relative_to(ROOT / "tests").as_posix(), len(LONGEST)))
