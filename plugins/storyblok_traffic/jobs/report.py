"""A short text report of what the warehouse holds: per month, against the yearly limit, and alerts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from storyblok_traffic.billing import TITLES, plan_table
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.meters import MeterUse, bill_figures
from storyblok_traffic.evaluation.told import files_between
from storyblok_traffic.rules import spike_lines
from storyblok_traffic.rules.alert_state import ALARM, SPIKE, Alert
from storyblok_traffic.rules.asset_use import days_of, files_heading, use_line
from storyblok_traffic.rules.incidents import summary
from storyblok_traffic.rules.meters import METER_NAMES
from storyblok_traffic.rules.periods import window_of
from storyblok_traffic.rules.plans import amount_text, money, over_maximum_text
from storyblok_traffic.rules.quiet_history import HEADING, fold, recorded_quietly
from storyblok_traffic.rules.usage import percent_of
from storyblok_traffic.rules.wording import WORDING
from storyblok_traffic.warehouse import alerts, incidents, reads
from storyblok_traffic.warehouse.stored_days import StoredDays


def usage_report(conn: Connection, org: str, as_of: date, year_start: tuple[int, int] = (1, 1)) -> str:
    """Each month stored, the contract year so far against its limit, the month's files, the spikes now,
    the pipeline and the alerts; ``year_start``: the contract year's (month, day) (``OrgConfig.year_start``),
    whose day starts every month."""
    rows = reads.month_sums(conn, org, as_of, year_start)
    if not rows:  # nothing stored: no limit, no percent, nothing to sum
        return "\n".join([f"No traffic is stored for {org} yet.", *_pipeline_lines(conn, org)])
    limits = reads.limits_on(conn, org, as_of)
    yearly = limits.yearly if limits else 0
    # Months named by their month; a contract's whose months start on another day, by their first day.
    head, label, width = ("month", "%Y-%m", 8) if year_start[1] == 1 else ("month from", "%Y-%m-%d", 12)
    lines = [f"Storyblok traffic for {org} (yearly limit: {yearly:,} requests)", ""]
    lines.append(f"{head:<{width}}{'days':>6}{'requests':>14}{'% of year':>11}{'GB':>10}")
    for first, days, requests, size in rows:
        pct = percent_of(int(requests), yearly)
        lines.append(
            f"{first.strftime(label):<{width}}{days:>6}{int(requests):>14,}"
            f"{'' if pct is None else f'{pct:.1f}%':>11}{int(size or 0) / 1e9:>10.2f}"
        )
    year = window_of("year", as_of, year_start)
    year_total = sum(int(r[2]) for r in rows if r[0] >= year.start)
    share = percent_of(year_total, yearly)
    said = "?" if share is None else str(share)
    lines += ["", f"{year.start} to {as_of}: {year_total:,} requests stored, {said}% of the limit"]
    lines += _file_lines(conn, org, window_of("month", as_of, year_start).start, as_of)
    recorded = alerts.history(conn, org)
    now = [a for a in recorded if a.kind == SPIKE and a.notice == ALARM and not spike_lines.figures(a).new]
    lines.append("Spikes now: " + (", ".join(f"{a.period} since {a.crossed_on}" for a in now) or "none"))
    return "\n".join(lines + _pipeline_lines(conn, org) + _alert_lines(conn, recorded))


TOP_FILES = 5


def _file_lines(conn: Connection, org: str, first: date, as_of: date) -> list[str]:
    """The files behind the most bandwidth in the month from ``first`` so far, as a bandwidth notice names
    them (none stored: no line)."""
    uses, missing, through = files_between(conn, org, first, as_of, TOP_FILES)
    if through is None or not uses:
        return []
    bandwidth = sum(size or 0 for _, _, size in reads.org_days(conn, org, first, through))
    heading = files_heading(days_of("month", first, through), missing)
    return [heading, *(f"  {use_line(use, bandwidth)}" for use in uses)]


def _pipeline_lines(conn: Connection, org: str) -> list[str]:
    """The pipeline's incidents: each open one, else the newest resolved one (``rules.incidents``)."""
    found = incidents.recent(conn, org)
    open_now = [i for i in found if i.is_open]
    if open_now:
        return ["Pipeline failing:"] + [f"  {summary(i)}" for i in open_now]
    last = f"; the last incident: {summary(found[0])}" if found else ""
    return [f"Pipeline: working{last}"]


def _alert_lines(conn: Connection, recorded: list[Alert]) -> list[str]:
    """Each alert told (or due) on a line of its own; the quietly recorded history folded as the
    dashboard folds it, a line per period (a year's history load records dozens of them)."""
    told = {key for (key, _), _ in alerts.delivered(conn, recorded)}
    loud: list[Alert] = []
    quiet: list[Alert] = []
    for a in recorded:
        (quiet if recorded_quietly(a, a.key in told) else loud).append(a)
    lines = ["Alerts:" + ("" if loud else " none")]
    lines += [f"  {WORDING[a.kind].report_line(a)}" for a in loud]
    if quiet:
        lines += [f"{HEADING}:"] + [f"  {q.line}" for q in fold(quiet)]
    return lines


def bill_report(conn: Connection, org: OrgConfig, as_of: date) -> str:
    """The billing period's bill as of ``as_of``: the plan, each meter, the projected bill, every plan."""
    stored = StoredDays(conn, org.org)
    if stored.newest_day(as_of) is None:
        return "Bill: no traffic stored yet, so no bill to make."
    found = bill_figures(stored, org, as_of)
    plan, window = found.chosen.plan, found.window
    if plan is None or window is None or found.now is None:
        return f"Bill: {found.chosen.how}."
    lines = [
        f"Bill: {found.chosen.how}, billed {plan.billing}, {window.start} to {window.last} "
        f"(plan table read {plan_table().read_on}: check it against the contract)"
    ]
    if found.chosen.disagreement:
        lines.append(f"  {found.chosen.disagreement}")
    lines += [f"  {_meter_line(use, plan.currency)}" for use in found.meters]
    at_end = found.at_end
    lines.append(
        f"  so far: {money(found.now.total, plan.currency)} (overage {money(found.now.overage, plan.currency)}); "
        + (
            f"projected: {money(at_end.total, plan.currency)} (overage {money(at_end.overage, plan.currency)})"
            if at_end
            else "projected: too few complete days"
        )
    )
    other = [
        f"{TITLES[b.plan]} {money(b.total, b.currency)}"
        + (" (yours)" if b.plan == plan.name else "")
        + (f" ({text})" if (text := over_maximum_text(b)) else "")
        for b in found.what_if
    ]
    lines.append("  the month on each plan: " + ", ".join(other))
    return "\n".join(lines)


def _meter_line(use: MeterUse, currency: str) -> str:
    now, at_end = use.now, use.at_end
    pct = percent_of(use.used, now.included)
    text = f"{METER_NAMES[use.meter]}: {amount_text(use.meter, use.used)} of {amount_text(use.meter, now.included)}"
    text += " included"
    text += f" ({pct}%)" if pct is not None else ""
    if use.days_missing:
        text += f", {use.days_missing} day{'s' if use.days_missing != 1 else ''} not in yet"
    text += f"; overage {now.blocks} block{'s' if now.blocks != 1 else ''}, {money(now.overage, currency)}"
    if use.projected is not None and at_end is not None:
        text += f"; projected {amount_text(use.meter, use.projected)}, overage {money(at_end.overage, currency)}"
    if use.maximum_on is not None and now.maximum is not None:
        verb = "reached" if use.used >= now.maximum else "projected to be reached"
        text += f"; maximum {amount_text(use.meter, now.maximum)} {verb} on {use.maximum_on}"
    return text
