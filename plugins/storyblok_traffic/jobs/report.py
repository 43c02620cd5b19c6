"""A short text report of what the warehouse holds: per month, against the yearly limit, and alerts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Date, cast, func, select

from storyblok_traffic.rules import spike_lines
from storyblok_traffic.rules.alert_state import ALARM, SPIKE
from storyblok_traffic.rules.usage import percent_of
from storyblok_traffic.rules.wording import WORDING
from storyblok_traffic.warehouse import alerts
from storyblok_traffic.warehouse.reads import limits_on
from storyblok_traffic.warehouse.tables import org_traffic_daily


def usage_report(conn: Connection, org: str, as_of: date) -> str:
    t = org_traffic_daily.c
    month = cast(func.date_trunc("month", t.day), Date).label("month")
    rows = conn.execute(
        select(month, func.count(), func.sum(t.api_requests), func.sum(t.total_bytes))
        .where(t.org == org, t.day <= as_of)
        .group_by(month)
        .order_by(month)
    ).all()
    limits = limits_on(conn, org, as_of)
    yearly = limits.yearly if limits else 0
    lines = [f"Storyblok traffic for {org} (yearly limit: {yearly:,} requests)", ""]
    lines.append(f"{'month':<9}{'days':>6}{'requests':>14}{'% of year':>11}{'GB':>10}")
    for first, days, requests, size in rows:
        pct = percent_of(int(requests), yearly)
        lines.append(
            f"{first:%Y-%m}  {days:>5}{int(requests):>14,}{'' if pct is None else f'{pct:.1f}%':>11}"
            f"{int(size or 0) / 1e9:>10.2f}"
        )
    year_total = sum(int(r[2]) for r in rows if r[0].year == as_of.year)
    pct = percent_of(year_total, yearly)
    lines += [
        "",
        f"{as_of.year} to {as_of}: {year_total:,} requests stored, {pct if pct is not None else '?'}% of the limit",
    ]
    recorded = alerts.history(conn, org)
    now = [a for a in recorded if a.kind == SPIKE and a.notice == ALARM and not spike_lines.figures(a).new]
    lines.append("Spikes now: " + (", ".join(f"{a.period} since {a.crossed_on}" for a in now) or "none"))
    lines.append("Alerts:" + ("" if recorded else " none"))
    lines += [f"  {WORDING[a.kind].report_line(a)}" for a in recorded]
    return "\n".join(lines)
