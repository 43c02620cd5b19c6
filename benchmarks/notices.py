"""What the channels get on ``make run``'s year (issue 37): the simulator's organisation (its default
settings, the plan Growth), the year up to 31 days ago loaded by the bulk DAG's work (quiet), then the
last 30 days through the daily DAG's tasks, its runs finishing in a shuffled order (seeded), to a Slack
webhook, a JSON webhook and an email server on this machine:

- **catch-up**: messages per channel, and the days they tell (each message's newest day), in the order
  they arrived: never a day older than one already told;
- **wrong token**: the same 30 days with a token Storyblok rejects, each run's failure told through the
  DAG's failure callback; then the token fixed and yesterday's run again: failure messages per channel
  (target: one opened, and one resolved after the fix).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from benchmarks.common import new_schema, postgres, report
from include.smtp_receiver import SmtpReceiver
from include.soak import daily_run
from include.storyblok_simulator import SimulatorSettings, StoryblokSimulator
from include.webhook_receiver import WebhookReceiver

DAYS = 30
SEED = 37


@contextmanager
def receivers() -> Iterator[tuple[WebhookReceiver, WebhookReceiver, SmtpReceiver]]:
    """The three channels' local servers, behind the connections the demo's channels name."""
    with ExitStack() as stack:
        slack, hook, smtp = WebhookReceiver().start(), WebhookReceiver().start(), SmtpReceiver().start()
        for server in (slack, hook, smtp):
            stack.callback(server.stop)
        os.environ["AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK"] = json.dumps({"conn_type": "http", "host": slack.url})
        os.environ["AIRFLOW_CONN_STORYBLOK_ALERTS_JSON"] = json.dumps({"conn_type": "http", "host": hook.url})
        extra = {"disable_tls": True, "disable_ssl": True, "from_email": "monitor@localhost", "retry_limit": 0}
        os.environ["AIRFLOW_CONN_SMTP_ALERTS"] = json.dumps(
            {"conn_type": "smtp", "host": smtp.host, "port": smtp.port, "extra": extra}
        )
        yield slack, hook, smtp


@contextmanager
def simulator(today: date) -> Iterator[StoryblokSimulator]:
    """``make run``'s organisation: the simulator's default settings, as of ``today``."""
    sim = StoryblokSimulator(SimulatorSettings(today=today)).start()
    try:
        yield sim
    finally:
        sim.stop()


def _config(schema: str) -> Any:
    from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig

    channels = (
        ChannelConfig(name="slack", type="slack", conn_id="storyblok_alerts_webhook"),
        ChannelConfig(name="json", type="webhook", conn_id="storyblok_alerts_json"),
        ChannelConfig(name="email", type="email", conn_id="smtp_alerts", to=("ops@localhost",)),
    )
    return MonitorConfig(warehouse_schema=schema, channels=channels, organisations=(OrgConfig(plan="growth"),))


def _history(config: Any, today: date) -> None:
    from storyblok_traffic.jobs.backfill import evaluate_range, load_range
    from storyblok_traffic.xcom import Range

    org = config.organisations[0]
    days = Range(date(today.year - (today.month == 1 and today.day <= DAYS), 1, 1), today - timedelta(days=DAYS + 1))
    load_range(days, org, config)
    evaluate_range(days, org, config)


def _daily(day: date, config: Any) -> str | None:
    """The daily DAG's tasks for ``day`` (the soak's reference run's); the DAG's failure callback when the
    fetch fails. Its failure's cause."""
    from storyblok_traffic.notifications.failure import CAUSE_KEY, FAILURE_KEY, FINGERPRINT_KEY, PipelineFailureNotifier
    from storyblok_traffic.operators.fetch import FetchFailed

    try:
        daily_run(config, day)
    except FetchFailed as failed:
        kept = {FAILURE_KEY: str(failed), CAUSE_KEY: failed.incident_cause, FINGERPRINT_KEY: failed.token_fingerprint}
        ti = SimpleNamespace(task_id="fetch_traffic", xcom_pull=lambda key: kept.get(key))
        from airflow.sdk import DAG

        context = {"dag": DAG("storyblok_traffic", schedule=None), "run_id": f"scheduled__{day}", "ti": ti}
        with suppress(Exception):  # the callback fails the run after telling: what it told is counted
            org = config.organisations[0].org
            PipelineFailureNotifier(channels=config.channels, warehouse=config.warehouse, org=org)(context)
        return failed.incident_cause
    return None


def _counts(slack: WebhookReceiver, hook: WebhookReceiver, smtp: SmtpReceiver) -> dict[str, int]:
    return {"slack": len(slack.messages), "json": len(hook.messages), "email": len(smtp.emails)}


def _catch_up(url: str, today: date) -> dict[str, Any]:
    with simulator(today) as sim, receivers() as (slack, hook, smtp):
        _connect(sim, sim.settings.token, url)
        config = _config(new_schema())
        _history(config, today)
        days = [today - timedelta(days=i) for i in range(1, DAYS + 1)]
        for day in random.Random(SEED).sample(days, len(days)):  # noqa: S311 (an order of runs, seeded)
            _daily(day, config)
        told = [max(a["day"] for a in m["alerts"]) for m in hook.messages if m.get("alerts")]
        in_order = all(day >= max(told[:i], default=day) for i, day in enumerate(told))
        return {"messages": _counts(slack, hook, smtp), "days_told": told, "in_order": in_order}


def _wrong_token(url: str, today: date) -> dict[str, Any]:
    with simulator(today) as sim, receivers() as (slack, hook, smtp):
        _connect(sim, sim.settings.token, url)
        config = _config(new_schema())
        _history(config, today)
        sim.settings.token = "rotated"  # noqa: S105 (the connection's token is refused from now on)
        days = [today - timedelta(days=i) for i in range(1, DAYS + 1)]
        order = random.Random(SEED).sample(days, len(days))  # noqa: S311 (an order of runs, seeded)
        causes = [_daily(day, config) for day in order]
        failed = _counts(slack, hook, smtp)
        _connect(sim, "rotated", url)  # the connection's Access token fixed
        _daily(today - timedelta(days=1), config)
        events = [m["event"] for m in hook.messages if str(m.get("event", "")).startswith("incident_")]
        return {
            "runs_failed": sum(1 for c in causes if c),
            "while_failing": failed,
            "after_the_fix": _counts(slack, hook, smtp),  # the incident's two, and the first usage notice
            "opened": events.count("incident_opened"),
            "resolved": events.count("incident_resolved"),
        }


def _connect(sim: StoryblokSimulator, token: str, url: str) -> None:
    os.environ["AIRFLOW_CONN_STORYBLOK_DEFAULT"] = json.dumps(
        {"conn_type": "storyblok", "host": sim.url, "password": token}
    )
    os.environ["AIRFLOW_CONN_STORYBLOK_WAREHOUSE"] = url.replace("postgresql://", "postgres://")


def main() -> None:
    today = datetime.now(UTC).date()
    with postgres() as url:
        catch_up = _catch_up(url, today)
        wrong = _wrong_token(url, today)
    report({"days": DAYS, "catch_up": catch_up, "wrong_token": wrong})


if __name__ == "__main__":
    main()
