"""The bulk load runs without Airflow: its modules import none of it (Airflow alone costs ~100 MB)."""

from __future__ import annotations

import subprocess
import sys

LOAD_MODULES = (
    "storyblok_traffic.jobs.backfill",
    "storyblok_traffic.fetching",
    "storyblok_traffic.hooks.client",
    "storyblok_traffic.model",
    "storyblok_traffic.warehouse.writes",
    "storyblok_traffic.warehouse.rejects",
    "storyblok_traffic.warehouse.migrations",
)


def test_the_load_path_imports_no_airflow():
    probe = (
        f"import sys; import {', '.join(LOAD_MODULES)}; "
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] == 'airflow'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
