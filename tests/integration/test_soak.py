"""The chaos soak, short (issue 27): ``make soak`` runs 120 days on each executor; this runs a few on the
LocalExecutor through the same code, with every fault at a higher rate so that each round of CI meets
several: the warehouse must equal a clean run's by checksum, every channel must have every notice, and
the watchdog must be quiet after it and tell a silence later.

The metadata database is a copy of the migrated template on the test server (a migration costs half a
minute); the warehouse is on the soak's own Postgres, the one it crashes and restarts.
"""

from __future__ import annotations

import uuid

import psycopg

from include.soak import SoakSettings, run_soak
from tests.integration.conftest import metadata_database

RATES = (
    ("429 Retry-After", 0.06),
    ("429 bare", 0.06),
    ("503", 0.06),
    ("slow", 0.04),
    ("truncated", 0.06),
    ("401", 0.06),
)


def test_a_short_soak_ends_as_a_clean_run(postgres_server, airflow_metadata_template, tmp_path):
    meta = f"meta_soak_{uuid.uuid4().hex[:8]}"
    url = metadata_database(postgres_server, airflow_metadata_template, meta)
    settings = SoakSettings(
        tmp_path / "soak",
        days=4,
        executor="local",
        fault_rates=RATES,
        kill_every=2,  # the first task process seen is killed: the runs are over within a minute
        max_kills=1,
        seed=358,  # its first eight requests meet a 401, a slow and a cut answer, a 429 and a 503
        metadata_url=url,
        timeout=600,
        monthly_limit=60_000,
    )
    try:
        result = run_soak(settings)
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {meta} WITH (FORCE)")
    print(result.table())  # in the test's output: what this round met
    assert result.passed, result.table()
    assert result.kills >= 1, result.table()
    assert {k: result.restarts.get(k) for k in ("postgres", "redis", "scheduler")} == dict.fromkeys(
        ("postgres", "redis", "scheduler"), 1
    )
    assert sum(result.faults.values()) >= 1, result.table()
    assert min(result.notices.values()) >= 1, result.table()
