"""Lineage is the OpenLineage provider's to ask for: building the DAGs imports nothing of it."""

from __future__ import annotations

import os
import subprocess
import sys


def test_building_the_dags_imports_neither_the_providers_extractors_nor_the_openlineage_client():
    probe = (
        "import sys; from storyblok_traffic.dags import all_dags; all_dags(); "
        "print(sorted(m for m in sys.modules if m.startswith(('openlineage', 'airflow.providers.openlineage.'))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "STORYBLOK_TRAFFIC_CONFIG"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    # Airflow's own discovery reads each installed provider's get_provider_info; nothing else of it loads.
    assert out.stdout.strip().splitlines()[-1] in ("[]", "['airflow.providers.openlineage.get_provider_info']")
