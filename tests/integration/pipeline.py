"""What the daily DAG's tasks do, without a scheduler: the helpers the pipeline's integration tests share."""

from __future__ import annotations

import html
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from storyblok_traffic.config import ChannelConfig, MonitorConfig, OrgConfig
from storyblok_traffic.evaluation.result import Evaluation
from storyblok_traffic.jobs.daily import check_usage, notify_due, upsert_traffic
from storyblok_traffic.operators.pipeline import NOTIFY_TASK, branch_for
from storyblok_traffic.warehouse.engine import begin
from storyblok_traffic.warehouse.tables import metadata

SLACK = ChannelConfig(name="slack", type="slack", conn_id="storyblok_alerts_webhook")
EMAIL = ChannelConfig(name="email", type="email", conn_id="smtp_alerts", to=("ops@example.com",))
JSON = ChannelConfig(name="json", type="webhook", conn_id="storyblok_alerts_json")

TODAY = datetime.now(UTC).date()
FIRST, LAST = TODAY - timedelta(days=75), TODAY - timedelta(days=10)


def run(day: date, org: OrgConfig, config: MonitorConfig, today: date | None = None, **kw: bool) -> Evaluation:
    evaluation = check_usage(day, org, config, today=today or day, **kw)
    if branch_for(evaluation) == NOTIFY_TASK:
        notify_due(org, config)
    return evaluation


def daily_runs(org: OrgConfig, config: MonitorConfig, first: date = FIRST, last: date = LAST) -> None:
    """What the daily DAG's tasks do for each day, in date order (as depends_on_past makes a backfill do)."""
    from storyblok_traffic.operators.fetch import StoryblokTrafficOperator

    day = first
    while day <= last:
        fetch = StoryblokTrafficOperator(
            task_id="fetch_traffic", start_date_str=str(day), end_date_str=str(day), refetch_days=org.refetch_days
        )
        upserted = upsert_traffic(fetch.execute({}), config)
        if branch_for(check_usage(day, org, config, fetched_day=upserted.fetched_day)) == NOTIFY_TASK:
            notify_due(org, config)
        day += timedelta(days=1)


def comparable(engine, schema) -> dict[str, list[tuple]]:
    """Every table but raw responses, without the columns that record when work happened."""
    skip = {"fetched_at", "notified_at", "delivered_at", "checked_at", "watched_since"}
    out = {}
    with begin(engine, schema) as conn:
        for name, table in metadata.tables.items():
            if name == "raw_responses":
                continue
            columns = [c for c in table.columns if c.name not in skip]
            out[name] = sorted(tuple(row) for row in conn.execute(select(*columns)))
    return out


def received(receiver, json_receiver, smtp) -> dict[str, list[Any]]:
    """What each channel's local receiver got: the Slack and JSON webhooks' bodies, each email's subject
    and text (its HTML part, unwrapped)."""
    emails = [(m.subject, html.unescape(m.body.replace("<p>", "").replace("</p>", "")).strip()) for m in smtp.emails]
    return {"slack": list(receiver.messages), "json": list(json_receiver.messages), "email": emails}


def rendered_again_as_received(
    engine, schema: str, org: str, limit_meter: str, dashboard_url: str | None = None
) -> dict[str, list[Any]]:
    """Every message the channels got for ``org``, rendered again from the warehouse alone, in the shape
    each receiver keeps it (``received``)."""
    from storyblok_traffic.notifications.delivery import rendered_again
    from storyblok_traffic.notifications.senders import slack_payload

    with begin(engine, schema) as conn:
        again = rendered_again(conn, org, limit_meter, dashboard_url)
    rendered: dict[str, list[Any]] = {"slack": [], "json": [], "email": []}
    for channel, _, message in again:
        rendered[channel].append(
            {
                "slack": slack_payload(message),
                "json": {"subject": message.subject, "text": message.text, **message.data},
            }.get(channel, (message.subject, message.text))
        )
    rendered["json"] = json.loads(json.dumps(rendered["json"]))  # as the webhook's body carries it
    return rendered
