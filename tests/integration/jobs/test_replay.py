"""Replay: the day tables rebuilt from the answers kept in raw_responses, with no API call, equal what
the fetches left; through the function, the console command and the bulk DAG's form."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, insert, select

from storyblok_traffic.config import MonitorConfig
from storyblok_traffic.jobs.daily import upsert_traffic
from storyblok_traffic.jobs.replay import replay
from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
from storyblok_traffic.warehouse.checksum import table_checksums
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import org_traffic_daily, raw_responses, space_traffic_daily
from tests.integration.test_cli import run

ORG = "storyblok_default"
FIRST, LAST = date(2026, 2, 24), date(2026, 3, 9)
DAY_TABLES = (org_traffic_daily, space_traffic_daily)


@pytest.fixture
def fetched(simulator, storyblok_conn, warehouse_conn, engine: Engine, schema: str) -> dict[str, str]:
    """A run a day with refetch, each on the day after its own (so bytes arrive late); the day tables' sums."""
    config = MonitorConfig(warehouse_schema=schema)
    day = FIRST
    while day <= LAST:
        simulator.settings.today = day + timedelta(days=1)
        fetch = StoryblokTrafficOperator(task_id="f", start_date_str=str(day), end_date_str=str(day), refetch_days=3)
        upsert_traffic(fetch.execute({}), config)
        day += timedelta(days=1)
    return day_sums(engine, schema)


def day_sums(engine: Engine, schema: str) -> dict[str, str]:
    with begin(engine, schema) as conn:
        sums = table_checksums(conn)
    return {t.name: sums[t.name] for t in DAY_TABLES}


def empty_day_tables(engine: Engine, schema: str) -> None:
    with begin(engine, schema) as conn:
        for table in DAY_TABLES:
            conn.execute(delete(table))


def test_replay_rebuilds_what_the_fetches_left_without_the_api(fetched, engine, schema, simulator):
    with begin(engine, schema) as conn:
        late = conn.scalar(
            select(org_traffic_daily.c.total_bytes).where(org_traffic_daily.c.day == LAST - timedelta(1))
        )
    assert late is not None  # its first answer had no bytes yet; a later one had them
    calls = len(simulator.calls())
    empty_day_tables(engine, schema)
    with begin(engine, schema) as conn:
        done = replay(conn, ORG, FIRST - timedelta(days=3), LAST)
    assert done.answers == (LAST - FIRST).days + 1
    assert day_sums(engine, schema) == fetched
    assert len(simulator.calls()) == calls


def test_a_newer_answer_wins_over_an_older_one(fetched, engine, schema):
    """Storyblok may revise a count: an older answer replayed must not win over the newer one."""
    with begin(engine, schema) as conn:
        latest = select(raw_responses).order_by(raw_responses.c.fetched_at.desc()).limit(1)
        newest = conn.execute(latest).mappings().one()
        older = dict(newest) | {"fetched_at": datetime(2020, 1, 1, tzinfo=UTC), "start_date": LAST, "end_date": LAST}
        older["payload"] = copy.deepcopy(newest["payload"])
        older["payload"]["cumulated_traffic"]["traffic"] = [
            row | {"api_requests": 1}
            for row in older["payload"]["cumulated_traffic"]["traffic"]
            if row["date"] == str(LAST)
        ]
        older["payload"]["traffic"] = [r for r in older["payload"]["traffic"] if r["date"] == str(LAST)]
        conn.execute(insert(raw_responses).values(older))
    empty_day_tables(engine, schema)
    with begin(engine, schema) as conn:
        replay(conn, ORG, FIRST - timedelta(days=3), LAST)
    assert day_sums(engine, schema) == fetched


def test_answers_of_another_endpoint_are_not_replayed_as_all_traffics(fetched, engine, schema):
    """An assets_traffic answer kept for the same days is not read as all_traffic's (it would not parse)."""
    with begin(engine, schema) as conn:
        assets = {"org": ORG, "start_date": LAST, "end_date": LAST, "group_by": "day", "endpoint": "assets_traffic"}
        conn.execute(insert(raw_responses).values(assets | {"fetched_at": datetime.now(UTC), "payload": []}))
    empty_day_tables(engine, schema)
    with begin(engine, schema) as conn:
        done = replay(conn, ORG, FIRST - timedelta(days=3), LAST)
    assert done.answers == (LAST - FIRST).days + 1
    assert day_sums(engine, schema) == fetched


def test_replay_writes_only_its_range(fetched, engine, schema):
    middle = (date(2026, 3, 1), date(2026, 3, 4))
    with begin(engine, schema) as conn:
        original = conn.execute(select(org_traffic_daily).where(org_traffic_daily.c.day.between(*middle))).all()
    empty_day_tables(engine, schema)
    with begin(engine, schema) as conn:
        replay(conn, ORG, *middle)
        assert sorted(conn.execute(select(org_traffic_daily)).all()) == sorted(original)
        days = set(conn.scalars(select(space_traffic_daily.c.day)))
    assert days == {middle[0] + timedelta(days=i) for i in range(4)}


def test_the_console_command(fetched, engine, schema, warehouse_url, capsys):
    empty_day_tables(engine, schema)
    args = ("--url", warehouse_url, "--schema", schema, "--org", ORG)
    done = run(capsys, "replay", *args, "--from", str(FIRST - timedelta(days=3)), "--to", str(LAST))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"replayed {(LAST - FIRST).days + 1} stored answers for {ORG}")
    assert day_sums(engine, schema) == fetched

    reversed_range = run(capsys, "replay", *args, "--from", str(LAST), "--to", str(FIRST))
    assert (reversed_range.returncode, reversed_range.stdout) == (1, "")
    assert f"--to {FIRST} is before --from {LAST}" in reversed_range.stderr
    nothing = run(capsys, "replay", *args, "--from", "2020-01-01", "--to", "2020-01-31")
    assert nothing.returncode == 1
    assert "no stored answers for storyblok_default cover 2020-01-01..2020-01-31" in nothing.stderr


def test_the_bulk_dag_replays_with_source_stored(fetched, engine, schema, simulator, airflow_db, tmp_path, monkeypatch):
    from tests.dag_loading import load_dags

    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    empty_day_tables(engine, schema)
    calls = len(simulator.calls())
    run = load_dags()["storyblok_traffic_backfill"].test(
        run_conf={"start_date": str(FIRST - timedelta(days=3)), "end_date": str(LAST), "source": "stored"}
    )
    assert str(run.state) == "success"
    assert len(simulator.calls()) == calls  # not one request
    assert day_sums(engine, schema) == fetched
