"""Routes and silences on ``make run``'s year (issue 38):

- **per week**: ``make run``'s organisation (its simulation, the plan Growth), every day of its
  year run live by the daily DAG's work (fetch, upsert, check, notify) at the time its scheduled run
  would start (the clock moved with ``time_machine``), once with the demo's
  routes (``include/devstack.py``) and once without (every notice to every channel): the messages each
  channel got per week. Routing is worth it when each channel gets fewer;
- **delivery**: the year's told notices all due at once, delivered to the three channels through 50
  routes and 10 silences that take none of them, against the same delivery with neither: the same
  messages, so the difference is what routes and silences cost (median of 5, alternated, each in a
  transaction rolled back). Target: within 1.2x.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

import time_machine

from benchmarks.common import new_schema, postgres, report
from include.demo import receivers as demo_receivers

REPEATS = 5


@contextmanager
def simulator(today: date) -> Iterator[Any]:
    """``make run``'s organisation (``include.demo``) begun ``today``, its data as of then."""
    from include.demo import DemoCalendar, simulation
    from include.storyblok_simulator import StoryblokSimulator

    sim = StoryblokSimulator(simulation(DemoCalendar(today))).start()  # its today: the moved clock's
    try:
        yield sim
    finally:
        sim.stop()


def _config(schema: str, today: date, routed: bool) -> Any:
    """The demo's configuration (``include/demo.py``) begun ``today``, its routes or none."""
    import yaml

    from include.demo import DemoCalendar
    from include.demo import settings as demo_settings
    from storyblok_traffic.config import MonitorConfig

    settings = yaml.safe_load(demo_settings("http://localhost:8080", DemoCalendar(today)))
    if not routed:
        settings.pop("routes")
    return MonitorConfig.from_dict({**settings, "warehouse_schema": schema})


def _counts(servers: dict[str, Any]) -> dict[str, int]:
    return {
        "slack": len(servers["slack"].messages),
        "email": len(servers["email"].emails),
        "pager": len(servers["pager"].of("pagerduty")),
    }


def _year(url: str, today: date, routed: bool) -> tuple[dict[str, Any], Any]:
    """Every day of the year up to yesterday fetched, stored and checked live, in date order, as if each
    were yesterday: messages per channel; and the configuration (its schema holds the year's notices)."""
    from storyblok_traffic.jobs.daily import check_usage, notify_due, upsert_traffic
    from storyblok_traffic.operators.fetch import StoryblokTrafficOperator
    from storyblok_traffic.operators.pipeline import NOTIFY_TASK, branch_for

    with simulator(today) as sim, demo_receivers(os.environ) as servers:
        _connect(sim, url)
        config = _config(new_schema(), today, routed)
        [org] = config.organisations
        first, last = date(today.year, 1, 1), today - timedelta(days=1)
        day = first
        while day <= last:
            # At the time its scheduled run starts: Storyblok's limits are stored as of the day they are read.
            with time_machine.travel(datetime.combine(day + timedelta(days=1), dt_time(0, 30), UTC), tick=True):
                fetch = StoryblokTrafficOperator(
                    task_id="fetch_traffic",
                    start_date_str=str(day),
                    end_date_str=str(day),
                    refetch_days=org.refetch_days,
                )
                upserted = upsert_traffic(fetch.execute({}), config)
                if branch_for(check_usage(day, org, config, fetched_day=upserted.fetched_day)) == NOTIFY_TASK:
                    notify_due(org, config)
            day += timedelta(days=1)
        weeks = ((last - first).days + 1) / 7
        counts = _counts(servers)
        per_week = {c: round(n / weeks, 2) for c, n in counts.items()}
        return {"messages": counts, "per_week": per_week, "weeks": round(weeks, 1)}, config


def _delivery_ms(url: str, today: date, year: Any) -> dict[str, Any]:
    """The year's notices (``year``'s schema) due at once, delivered through 50 routes that take none of
    them (each falls through to the organisation's channels) and 10 silences that hold none, against the
    same delivery without routes or silences: the same messages to the same channels (ms, median)."""
    from storyblok_traffic.notifications.delivery import deliver_pending
    from storyblok_traffic.rules import alert_state as st
    from storyblok_traffic.rules.routes import Route, Routing
    from storyblok_traffic.rules.silences import CLI, Silence
    from storyblok_traffic.warehouse import alerts, silences
    from storyblok_traffic.warehouse.engine import begin, engine_from_conn_id
    from storyblok_traffic.warehouse.tables import alert_deliveries
    from storyblok_traffic.warehouse.tables import silences as silence_table

    with simulator(today) as sim, demo_receivers(os.environ):
        _connect(sim, url)
        [org] = year.organisations
        schema, channels = year.warehouse_schema, year.channels
        default = tuple(c.name for c in channels)
        nowhere = tuple(Route(("pagerduty",), {"space": frozenset({str(900_000 + i)})}) for i in range(50))
        routed, plain = Routing(nowhere, default), Routing((), default)
        engine = engine_from_conn_id(year.warehouse_conn_id)
        now = datetime.now(UTC)
        with begin(engine, schema) as conn:
            due = [replace(a, status=st.PENDING) for a in alerts.history(conn, org.org) if a.notified_at]
            for i in range(10):  # silences of spaces the year never has: each checked, none holding a notice
                match = {"space": frozenset({str(900_000 + i)})}
                silences.add(conn, Silence("", org.org, match, now, now + timedelta(days=1), "x", "bench", CLI), now)

        def once(routing: Routing, with_silences: bool) -> float:
            with engine.connect() as raw:
                conn = raw.execution_options(schema_translate_map={None: schema})
                transaction = conn.begin()
                conn.execute(alert_deliveries.delete())  # every channel lacks every notice
                if not with_silences:
                    conn.execute(silence_table.delete())
                alerts.save(conn, due, today, before={})
                start = time.perf_counter()
                done = deliver_pending(conn, org, channels, routing)
                took = (time.perf_counter() - start) * 1000
                transaction.rollback()
            assert not done.failures, done.failures
            return took

        times: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(REPEATS):  # alternated: neither gets a warmer machine
            times["with"].append(once(routed, True))
            times["without"].append(once(plain, False))
        engine.dispose()
        medians = {k: round(statistics.median(v), 1) for k, v in times.items()}
        return {"notices": len(due), "routed_silenced_ms": medians["with"], "plain_ms": medians["without"]}


def _connect(sim: Any, url: str) -> None:
    os.environ["AIRFLOW_CONN_STORYBLOK_DEFAULT"] = json.dumps(
        {"conn_type": "storyblok", "host": sim.url, "password": sim.settings.token}
    )
    os.environ["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"] = url.replace("postgresql://", "postgres://")


def main() -> None:
    today = datetime.now(UTC).date()
    with postgres() as url:
        (routed, year), (plain, _) = _year(url, today, routed=True), _year(url, today, routed=False)
        delivery = _delivery_ms(url, today, year)
    report({"routed": routed, "plain": plain, "delivery": delivery})


if __name__ == "__main__":
    main()
