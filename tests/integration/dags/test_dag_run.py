"""A whole DAG run (``dag.test``) against the simulator, a real Postgres and a local webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from include.incident_receiver import IncidentReceiver
from include.storyblok_simulator import ASSETS_TRAFFIC, Fault, SimulatorSettings

# Alerts go out only for days within the lookback (2 days here; 1 by default), so this test lives in the present.
TODAY = datetime.now(UTC).date()
DAY = TODAY - timedelta(days=2)


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    # A limit this small is crossed by one day of traffic: 50 % of the year, 80 and 100 % of the month.
    return SimulatorSettings(today=TODAY, monthly_limit=1_500)


@pytest.fixture
def pager(monkeypatch, tmp_path) -> Iterator[IncidentReceiver]:
    """A PagerDuty Events API on this machine (over TLS: its client takes https:// only)."""
    receiver = IncidentReceiver(tls=tmp_path).start()
    conn = {"conn_type": "pagerduty_events", "host": receiver.url, "password": "k"}
    monkeypatch.setenv("AIRFLOW_CONN_PD_EVENTS", json.dumps(conn | {"extra": {"ca_bundle": str(receiver.ca_file)}}))
    yield receiver
    receiver.stop()


@pytest.fixture
def traffic_dag(airflow_db, storyblok_conn, warehouse_conn, receiver, pager, schema, monkeypatch, tmp_path):
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"warehouse_schema: {schema}\nstart_date: 2026-01-01\n"
        "channels:\n  - {name: slack, type: slack, conn_id: storyblok_alerts_webhook}\n"
        "  - {name: pager, type: pagerduty, conn_id: pd_events}\n"
        "organisations:\n  - conn_id: storyblok_default\n    alert_lookback_days: 2\n"
    )
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    from tests.dag_loading import load_dags

    return load_dags()["storyblok_traffic"]


def _run(dag, day: date):
    # A run's data interval is the day before its logical date's boundary: ask for the day after.
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return dag.test(logical_date=logical)


def _on_or_by(day: date, period_start_month: int) -> str:
    """'on' when the crossing day opens its period (nothing before it is missing), else 'by'."""
    return "on" if day == date(day.year, period_start_month, 1) else "by"


def _asset_extras(run) -> list[dict]:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(AssetEvent.extra).where(
            AssetEvent.source_dag_id == run.dag_id, AssetEvent.source_run_id == run.run_id
        )
        return list(session.scalars(query))


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_one_day_lands_rows_and_notifies_once_across_two_runs(traffic_dag, engine: Engine, schema, receiver, simulator):
    first = _run(traffic_dag, DAY)
    assert str(first.state) == "success", _states(first)
    assert _states(first)["send_notices"] == "success"
    assert _states(first)["usage_within_limits"] == "skipped"
    assert _states(first)["load_assets"] == "success"
    [extra] = _asset_extras(first)  # the Assets view shows the figures on the event
    assert extra["newest_day"] == str(DAY)
    assert {"year_percent", "month_percent"} <= set(extra)
    assert extra["month_percent"] > 100  # one day's traffic is over this tiny plan

    with engine.connect() as conn:
        org = conn.execute(text(f'SELECT day, api_requests FROM "{schema}".org_traffic_daily')).all()
        spaces = conn.execute(text(f'SELECT count(*) FROM "{schema}".space_traffic_daily')).scalar()
        alerts = conn.execute(
            text(f"SELECT period, threshold_pct, status FROM \"{schema}\".usage_alerts WHERE kind = 'actual'")
        ).all()
        disagree = conn.execute(text(f"SELECT status FROM \"{schema}\".usage_alerts WHERE kind = 'disagree'")).all()
    fetched = [DAY - timedelta(days=i) for i in (3, 2, 1, 0)]  # the day and refetch_days (3) before it
    expected = {d: sum(r for _, r, _ in simulator.model.day_rows(d)) for d in fetched}
    assert sorted(org) == sorted(expected.items())
    with engine.connect() as conn:
        files: dict[date, int] = dict(
            conn.execute(text(f'SELECT day, sum(total_bytes) FROM "{schema}".asset_traffic_daily GROUP BY day')).all()
        )
    assert files == {d: sum(a["total_bytes"] for a in simulator.model.assets_traffic(d, d)) for d in fetched}
    assert spaces == sum(len(simulator.model.day_rows(d)) for d in fetched)
    used = sum(n for d, n in expected.items() if d.year == DAY.year)
    yearly = [t for t in (50, 75, 90, 100) if used * 100 >= 18_000 * t]  # 1,500 a month, 18,000 a year
    assert sorted((p, float(t), s) for p, t, s in alerts) == [("month", 80.0, "sent"), ("month", 100.0, "sent")] + [
        ("year", t, "sent") for t in yearly
    ]

    second = _run(traffic_dag, DAY)
    assert str(second.state) == "success", _states(second)
    assert _states(second)["usage_within_limits"] == "success"
    assert _states(second)["send_notices"] == "skipped"

    assert len(receiver.messages) == 1
    message = receiver.texts()[0]
    assert message.startswith("Storyblok traffic: storyblok_default has used")
    # The first day stored already crosses every threshold named; the days before it are not stored,
    # so the crossing is told as "by" that day.
    first_of_year = min(d for d in fetched if d.year == DAY.year)
    first_of_month = min(d for d in fetched if d.month == DAY.month)
    assert f"Crossed the {yearly[-1]:g}% threshold {_on_or_by(first_of_year, 1)} {first_of_year}" in message
    assert f"Crossed the 100% threshold {_on_or_by(first_of_month, first_of_month.month)} {first_of_month}" in message
    # Storyblok's year figure (fetched today) is judged on its last whole day, yesterday, only: this run's
    # day is two days back, so nothing is reconciled (a check in another order would judge otherwise).
    assert disagree == []
    assert "figures disagree" not in message
    assert simulator.settings.token not in message


def test_a_failed_run_opens_an_incident_told_once_on_every_channel(traffic_dag, simulator, receiver, pager):
    """And through whole DAG runs, the PagerDuty channel (issue 38): the failed run triggers the
    pipeline's incident, the next run that completes resolves it with the same dedup_key; its usage
    notices trigger incidents of their own, one per alert row."""
    token, simulator.settings.token = simulator.settings.token, "rotated"  # 401: no retry helps
    run = _run(traffic_dag, DAY - timedelta(days=1))
    assert str(run.state) == "failed", _states(run)
    assert _states(run)["fetch_traffic"] == "failed"
    [text] = receiver.texts()
    # dag.test runs the DAG's callback without XCom: the task's error and cause cannot be read there
    assert text.startswith("Storyblok traffic: storyblok_default is failing: a task failed\n"), text
    assert f"run {run.run_id} failed at task fetch_traffic on " in text

    simulator.settings.token = token  # fixed: the next run completes
    assert str(_run(traffic_dag, DAY).state) == "success"
    events = pager.of("pagerduty")
    pipeline = [e for e in events if "/pipeline/" in e["dedup_key"]]
    assert [e["event_action"] for e in pipeline] == ["trigger", "resolve"]
    assert pipeline[0]["dedup_key"] == pipeline[1]["dedup_key"]
    assert pipeline[0]["dedup_key"].startswith("storyblok-traffic/storyblok_default/pipeline/")
    assert pipeline[0]["payload"]["summary"].startswith("Storyblok traffic: storyblok_default is failing")
    usage = [e for e in events if "/pipeline/" not in e["dedup_key"]]
    assert usage
    assert {e["event_action"] for e in usage} == {"trigger"}
    assert len({e["dedup_key"] for e in usage}) == len(usage)  # one incident per alert row
    assert pager.refused == []


def test_a_failed_file_load_leaves_the_check_and_its_notice_running(traffic_dag, simulator, receiver, engine, schema):
    simulator.faults.append(Fault(status=200, body={"assets": "none"}, path=ASSETS_TRAFFIC))  # invalid: no retry
    run = _run(traffic_dag, DAY)
    states = _states(run)
    assert (states["load_assets"], states["check_usage"], states["send_notices"]) == ("failed", "success", "success")
    assert str(run.state) == "failed"  # the failed load is told as the pipeline's incident
    texts = receiver.texts()
    assert any(t.startswith("Storyblok traffic: storyblok_default has used") for t in texts)
    assert any("is failing" in t and "load_assets" in t for t in texts)
    with engine.connect() as conn:
        kept = conn.execute(text(f'SELECT endpoint FROM "{schema}".rejected_responses')).scalars().all()
        still_open = conn.execute(
            text(f'SELECT count(*) FROM "{schema}".pipeline_incidents WHERE resolved_at IS NULL')
        ).scalar()
    assert kept == ["assets_traffic"]
    assert still_open == 1  # the check ran, but with the day's files missing it does not call the pipeline well


def test_the_token_never_leaks(traffic_dag, simulator, receiver, engine, schema, caplog, capfd):
    """A good run (with a notice) and a failed one (401), at debug level: the token is nowhere."""
    import json
    import logging

    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact
    from airflow.utils.session import create_session

    token = simulator.settings.token
    caplog.set_level(logging.DEBUG)
    assert str(_run(traffic_dag, DAY).state) == "success"
    simulator.settings.token = "rotated"  # the connection's token is now refused: the run fails
    assert str(_run(traffic_dag, DAY - timedelta(days=1)).state) == "failed"

    out, err = capfd.readouterr()
    with create_session() as session:
        xcom = [str(x.value) for x in session.query(XComModel).all()]
        rendered = [json.dumps(r.rendered_fields, default=str) for r in session.query(RenderedTaskInstanceFields).all()]
    with engine.connect() as conn:
        tables = [
            str(conn.exec_driver_sql(f'SELECT * FROM "{schema}".{name}').all())
            for name in (
                "org_traffic_daily",
                "space_traffic_daily",
                "usage_snapshots",
                "usage_alerts",
                "raw_responses",
                "rejected_responses",
                "pipeline_incidents",  # the failure's incident: its error and the token's fingerprint
            )
        ]
    places = {
        "task output and logs": out + err,
        "log records": caplog.text,
        "XCom": "\n".join(xcom),
        "rendered template fields": "\n".join(rendered),
        "notifications": json.dumps(receiver.messages),
        "warehouse, raw responses included": "\n".join(tables),
    }
    assert all(places.values()), [k for k, v in places.items() if not v]  # every place was really searched
    assert "401" in places["log records"] + places["task output and logs"]  # the failure was logged
    assert len(receiver.messages) == 2  # the alert and the incident's opening
    for where, found in places.items():
        assert token not in found, where
    assert token not in str(redact(f"Authorization: {token}"))  # registered with the secrets masker


@pytest.fixture
def dml_role(engine, schema, warehouse_url, monkeypatch) -> Iterator[str]:
    """The warehouse connection as a role that may read and write the schema's rows, and nothing else."""
    from sqlalchemy.engine import make_url

    from storyblok_traffic.warehouse.migrations import migrate

    migrate(engine, schema)  # by the owner, as `storyblok-traffic db migrate` would
    role = f"dml_{schema}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    url = make_url(warehouse_url).set(drivername="postgres", username=role)
    monkeypatch.setenv("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", url.render_as_string(hide_password=False))
    yield role
    with engine.begin() as conn:
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))


def test_a_role_with_only_dml_rights_runs_the_daily_dag(traffic_dag, dml_role, engine, schema, receiver):
    import psycopg
    from sqlalchemy.engine import make_url

    run = _run(traffic_dag, DAY + timedelta(days=1))
    assert str(run.state) == "success", _states(run)
    with engine.connect() as conn:
        assert conn.execute(text(f'SELECT count(*) FROM "{schema}".org_traffic_daily')).scalar() == 4
    assert len(receiver.messages) == 1
    # The role really cannot change the schema: no task of the run could have migrated it.
    url = make_url(str(engine.url)).set(drivername="postgresql", username=dml_role).render_as_string(False)
    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f'CREATE TABLE "{schema}".probe (x int)')


def test_a_run_before_the_start_date_stalls_no_later_check(traffic_dag, schema, engine, receiver):
    # What `airflow dags test` runs, in this process (each command imports all of Airflow again): a run
    # before start_date has no task instances at all, and the next run is not held by it.
    _run(traffic_dag, TODAY - timedelta(days=400))
    later = _run(traffic_dag, TODAY - timedelta(days=1))
    assert str(later.state) == "success", _states(later)
    with engine.connect() as conn:
        checked = conn.execute(text(f'SELECT day FROM "{schema}".checked_days')).scalars().all()
    # Its check ran and recorded the day, and the days its fetch asked again (refetch_days: 3), stored and
    # never checked before: a check takes those first, in date order.
    assert sorted(checked) == [TODAY - timedelta(days=d) for d in (4, 3, 2, 1)]


def test_the_weekly_digest_dag_tells_the_week_once(traffic_dag, receiver, history):
    """The digest DAG of the same configuration (its channels: the organisation's but the pager), run for
    the week of the day stored, twice: the week is told once."""
    from storyblok_traffic.rules.weeks import week_of
    from tests.dag_loading import load_dags

    history.meters("storyblok_default", {DAY: (1_000, 10**9)})
    history.limit("storyblok_default", DAY, 1_500)
    digest = load_dags()["storyblok_traffic_digest"]
    week = week_of(DAY)
    runs = [
        digest.test(logical_date=datetime.now(UTC) - timedelta(minutes=m), run_conf={"week": week.label})
        for m in (2, 1)
    ]
    assert [str(run.state) for run in runs] == ["success", "success"], [_states(run) for run in runs]
    [told] = receiver.texts()
    assert told.startswith(f"Storyblok weekly digest for storyblok_default: {week.label}, {week.span()}")
    assert [run.get_task_instance("send_digest").xcom_pull() for run in runs] == [
        {"week": week.label, "sent": ["slack"], "had": []},
        {"week": week.label, "sent": [], "had": ["slack"]},
    ]
