"""A warehouse as a release leaves it, for the upgrade test of the next one (tests/integration/warehouse).

Runs the package's jobs against the simulator and a local webhook receiver into a fresh schema (a
quiet backfill of January and February, then the daily check of each day of March up to the 9th,
with notices sent), and writes every table, as Postgres's own COPY text, into one JSON file::

    python -m include.warehouse_snapshot tests/data/warehouse-0.1.0.json [--postgres URL]

Run it with a release's code, before a revision of the next one changes the schema: the file is then
that release's warehouse, and ``test_upgrade`` migrates it with the newer package and keeps every row.
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from include.storyblok_simulator import Fault, SimulatorSettings, StoryblokSimulator
from include.webhook_receiver import WebhookReceiver

TODAY = date(2026, 3, 10)
BACKFILL = (date(2026, 1, 1), date(2026, 2, 28))
DAILY = (date(2026, 3, 1), date(2026, 3, 9))
# What COPY writes depends on these: set the same when the snapshot is read back.
SESSION = ("SET TIME ZONE 'UTC'", "SET DateStyle TO ISO, YMD", "SET extra_float_digits TO 3")


def tables(conn: psycopg.Connection[Any], schema: str) -> dict[str, dict[str, Any]]:
    """Every table of ``schema``: its columns and its rows as COPY text, lines sorted (order is not kept)."""
    for statement in SESSION:
        conn.execute(statement)
    names = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name", (schema,)
    ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for (name,) in names:
        columns = [
            c
            for (c,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "ORDER BY ordinal_position",
                (schema, name),
            )
        ]
        out[name] = {"columns": columns, "rows": copy_out(conn, schema, name, columns)}
    return out


def copy_out(conn: psycopg.Connection[Any], schema: str, table: str, columns: list[str]) -> list[str]:
    listed = ", ".join(f'"{c}"' for c in columns)
    data = bytearray()
    with conn.cursor().copy(f'COPY "{schema}"."{table}" ({listed}) TO STDOUT') as copy:
        for block in copy:
            data += block
    return sorted(data.decode().splitlines())


def make(postgres: str, out: Path) -> None:
    from storyblok_traffic import __version__
    from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig
    from storyblok_traffic.jobs.backfill import evaluate_range, load_range
    from storyblok_traffic.warehouse.engine import engine_from_conn_id
    from storyblok_traffic.warehouse.migrations import HEAD, migrate
    from storyblok_traffic.xcom import Range

    schema = f"snapshot_{uuid.uuid4().hex[:8]}"
    # A small plan: the year's and the month's thresholds are crossed in these weeks.
    spike = (1, TODAY - timedelta(days=6), TODAY - timedelta(days=4))
    sim = StoryblokSimulator(SimulatorSettings(today=TODAY, monthly_limit=150_000, spikes=(spike,))).start()
    receiver = WebhookReceiver().start()
    os.environ["AIRFLOW_CONN_STORYBLOK_DEFAULT"] = json.dumps(
        {"conn_type": "storyblok", "host": sim.url, "password": sim.settings.token}
    )
    os.environ["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"] = postgres.replace("postgresql://", "postgres://")
    os.environ["AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK"] = json.dumps({"conn_type": "http", "host": receiver.url})
    slack = ChannelConfig(name="slack", type="slack", conn_id="storyblok_alerts_webhook")
    config = MonitorConfig(warehouse_schema=schema, channels=(slack,))
    org = OrgConfig()
    try:
        migrate(engine_from_conn_id(config.warehouse.conn_id), schema)
        backfill = Range(*BACKFILL)
        load_range(backfill, org, config)
        evaluate_range(backfill, org, config)
        _daily(sim, org, config)
        with psycopg.connect(postgres) as conn:
            rows = tables(conn, schema)
        out.write_text(json.dumps({"package": __version__, "revision": HEAD, "tables": rows}, indent=1) + "\n")
        counts = {name: len(t["rows"]) for name, t in rows.items()}
        print(f"{out}: revision {HEAD}, {counts}, {len(receiver.messages)} notices sent")
    finally:
        sim.stop()
        receiver.stop()
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _daily(sim: StoryblokSimulator, org: Any, config: Any) -> None:
    """What the daily DAG's tasks do for each day of ``DAILY``, each checked on the day after it; the
    first day's first answer is invalid (kept in rejected_responses, then fetched again)."""
    from airflow.sdk.exceptions import AirflowFailException

    from storyblok_traffic.jobs.daily import check_usage, notify_due, upsert_traffic
    from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
    from storyblok_traffic.operators.pipeline import NOTIFY_TASK, branch_for

    sim.faults.append(Fault(status=200, body={"traffic": []}))
    day = DAILY[0]
    while day <= DAILY[1]:
        fetch = StoryblokTrafficOperator(
            task_id="fetch_traffic", start_date_str=str(day), end_date_str=str(day), warehouse=config.warehouse
        )
        try:
            fetched = fetch.execute({})
        except AirflowFailException:  # the invalid answer: a retry of the task fetches it again
            fetched = fetch.execute({})
        upserted = upsert_traffic(fetched, config)
        today = day + timedelta(days=1)
        if branch_for(check_usage(day, org, config, today=today, fetched_day=upserted.fetched_day)) == NOTIFY_TASK:
            notify_due(org, config)
        day += timedelta(days=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    make(args.postgres, args.out)


if __name__ == "__main__":
    main()
