"""The organisation ``make run`` and ``make demo`` monitor, and the week they run live.

Its contract began on a day of the month a few days before the demo first ran, so the daily DAG's
days (``DemoCalendar``) close a billing month whose bandwidth passed its limit (paged, then resolved
when the month is over) and go on into the new month. One space runs away over the month's end (its
spike told by email, then its end); another, whose migration the team announced by a silence made
through the dashboard before those days ran, runs away in the last two (held by the silence).
``benchmarks/routed_year.py`` replays the same organisation's year.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from include.incident_receiver import IncidentReceiver
from include.smtp_receiver import SmtpReceiver
from include.storyblok_simulator import SimulatorSettings, space_id
from include.webhook_receiver import WebhookReceiver

# On Growth: 1,000,000 requests a month (about its traffic: the month's thresholds are crossed, the limit
# is not) and 400 GB of bandwidth, which its asset-heavy spaces (0.35 to 1.1 MB served per API request)
# pass late in the month.
MONTHLY_LIMIT = 1_000_000
BYTES_PER_REQUEST = (350_000, 1_100_000)
# The largest space's launch film serves 95% of its files' bytes: the file behind the bandwidth notices.
HERO_VIDEO = (0, 0.95)
RUNAWAY, MIGRATING = 3, 1  # the spaces (by rank) that run away: the first told, the second held
SILENCE_HOURS = 7 * 24
STARTED_FILE = "demo-started"  # in the stack's state folder: the day the demo first ran
SILENCE_REASON = "content migration of space {space} this week (load tests and a re-import)"


@dataclass(frozen=True)
class DemoCalendar:
    """The demo's days, from the day it first ran (``started``, kept in the stack's state folder)."""

    started: date

    @property
    def month_start(self) -> date:
        """The day the billing month in progress began: five to eight days back, on a day from 1 to 28
        (a contract day every month has)."""
        return next(d for d in (self.started - timedelta(days=k) for k in range(5, 9)) if d.day <= 28)

    @property
    def closing_day(self) -> date:
        """The previous billing month's last day: the first day the daily DAG runs (the history before it)."""
        return self.month_start - timedelta(days=1)

    @property
    def last(self) -> date:
        return self.started - timedelta(days=1)

    @property
    def lookback_days(self) -> int:
        """The alert lookback that tells each of the daily DAG's days as it runs, as if live."""
        return (self.started - self.closing_day).days

    @property
    def held_space(self) -> int:
        """The id of the space the demo's silence holds."""
        return space_id(MIGRATING)

    def spikes(self) -> tuple[tuple[int, date, date], ...]:
        """The runaway spaces: one over the month's end (open on its last day, over two days later), one in
        the last two days."""
        first = (RUNAWAY, self.closing_day - timedelta(days=1), self.month_start)
        return first, (MIGRATING, self.last - timedelta(days=1), self.last)


def started(state: Path, today: date) -> DemoCalendar:
    """The calendar of the demo kept in ``state`` (a stack restarted later keeps its contract day), or one
    that starts ``today``."""
    path = state / STARTED_FILE
    if path.exists():
        return DemoCalendar(date.fromisoformat(path.read_text().strip()))
    state.mkdir(exist_ok=True)
    path.write_text(f"{today}\n")
    return DemoCalendar(today)


def simulation(calendar: DemoCalendar, today: date | None = None) -> SimulatorSettings:
    """The simulated organisation (``today``: the simulator's date, None the real one)."""
    return SimulatorSettings(
        today=today,
        monthly_limit=MONTHLY_LIMIT,
        spikes=calendar.spikes(),
        bytes_per_request=BYTES_PER_REQUEST,
        hero_video=HERO_VIDEO,
    )


def settings(ui: str, calendar: DemoCalendar) -> str:
    """The monitor's configuration: Slack-style webhook, email and PagerDuty, routed (docs/alerts.md,
    "Routes"); the plan Growth under a contract whose months start on ``calendar``'s day; notices link to
    the dashboard at ``ui``."""
    return (
        f"dashboard_url: {ui}\n"
        "channels:  # named as the console prints what each gets\n"
        "  - {name: webhook, type: slack, conn_id: storyblok_alerts_webhook}\n"
        "  - {name: email, type: email, conn_id: smtp_devstack, to: [platform@localhost]}\n"
        "  - {name: pagerduty, type: pagerduty, conn_id: pagerduty_devstack}\n"
        "routes:\n"
        "  - {match: {severity: critical}, channels: [pagerduty], continue: true}  # a limit reached, a hard cap\n"
        "  - {match: {kind: spike}, channels: [email]}  # spikes to the content team\n"
        "  - {channels: [webhook]}  # the rest: crossings, forecasts, the bill, figures that disagree\n"
        "organisations:\n"
        "  - conn_id: storyblok_default\n"
        "    plan: growth\n"
        f"    year_start_day: {calendar.month_start.day}  # the contract's day: each month starts on it\n"
        f"    alert_lookback_days: {calendar.lookback_days}  # the daily DAG's days are told as they run\n"
        "    digest: {weekday: monday, hour: 8}  # the weekly digest, to webhook and email (never to the pager)\n"
    )


def webhook_connection(receiver: WebhookReceiver) -> dict[str, str]:
    """The connection the demo's webhook channel names, to ``receiver``."""
    return {"AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK": json.dumps({"conn_type": "http", "host": receiver.url})}


def smtp_connection(mail: SmtpReceiver) -> dict[str, str]:
    """The connection the demo's email channel names, to ``mail`` (plain SMTP, no retries in the hook)."""
    extra = {"disable_tls": True, "disable_ssl": True, "from_email": "monitor@localhost", "retry_limit": 0}
    conn = {"conn_type": "smtp", "host": mail.host, "port": mail.port, "extra": extra}
    return {"AIRFLOW_CONN_SMTP_DEVSTACK": json.dumps(conn)}


def pagerduty_connection(pager: IncidentReceiver) -> dict[str, str]:
    """The connection the demo's PagerDuty channel names, to ``pager`` (its client takes https:// only: the
    receiver's own certificate)."""
    conn = {
        "conn_type": "pagerduty_events",
        "host": pager.url,
        "password": "devstack-routing-key",
        "extra": {"ca_bundle": str(pager.ca_file)},
    }
    return {"AIRFLOW_CONN_PAGERDUTY_DEVSTACK": json.dumps(conn)}


@contextmanager
def receivers(env: MutableMapping[str, str]) -> Iterator[dict[str, Any]]:
    """The demo's three channels on this machine (``slack``, ``email``, ``pager``), behind the connections
    its configuration names, set in ``env``."""
    with ExitStack() as stack, TemporaryDirectory() as tls:
        slack, mail, pager = WebhookReceiver().start(), SmtpReceiver().start(), IncidentReceiver(tls=Path(tls)).start()
        for server in (slack, mail, pager):
            stack.callback(server.stop)
        env.update(webhook_connection(slack) | smtp_connection(mail) | pagerduty_connection(pager))
        yield {"slack": slack, "email": mail, "pager": pager}
