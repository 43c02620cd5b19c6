"""The weekly digest in words: one list of sections (``sections``) that the text (Slack, Teams, webhooks,
the terminal) and the email's HTML both render, so that every channel says the same thing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from html import escape

from storyblok_traffic import documents as m
from storyblok_traffic.evaluation.digest import Digest, WeekMeter, WeekSpace
from storyblok_traffic.rules.asset_use import size_text
from storyblok_traffic.rules.messages import Message
from storyblok_traffic.rules.meters import METER_NAMES, METER_TITLES
from storyblok_traffic.rules.plans import amount_text, money, used_text
from storyblok_traffic.rules.usage import counted

CHART_NAME = "storyblok-usage-month.png"


@dataclass(frozen=True)
class Section:
    heading: str  # empty: a note above the rest
    lines: list[str]
    chart: bool = False  # the email shows the billing month's chart after it


def subject(d: Digest) -> str:
    incomplete = " (in progress)" if d.in_progress else "" if d.complete else " (incomplete)"
    return f"Storyblok weekly digest for {d.org}: {d.week.label}, {d.week.span()}{incomplete}"


def sections(d: Digest) -> list[Section]:
    """What the digest tells, in order; a section with nothing to say is left out."""
    found = [
        Section("", _incomplete(d)),
        Section("This week", [_week_line(w) for w in d.meters]),
        Section("Ended this week", [_closed_line(p) for p in d.closed]),
        Section("This billing period", [*_period_lines(d.usage), *_bill_lines(d.usage.bill)], chart=True),
        Section(f"Top spaces this week, by {METER_NAMES[d.limit_meter]}", _space_lines(d.spaces, d.limit_meter)),
        Section(_files_heading(d.files), _file_lines(d.files)),
        Section(_told_heading(d.told), [_told_line(n) for n in d.told] or ["none"]),
        Section("Still open, told before this week", [_open_line(n) for n in d.still_open]),
    ]
    return [s for s in found if s.lines]


def text(d: Digest, link: str | None) -> str:
    """The subject, then each section: its heading and its lines (indented), then the dashboard's link."""
    out = [subject(d)]
    for s in sections(d):
        out += ([s.heading] if s.heading else []) + [f"  {line}" if s.heading else line for line in s.lines]
    return "\n".join(out + ([f"Dashboard: {link}"] if link else []))


def html(d: Digest, link: str | None, chart: str | None) -> str:
    """The email's body: the same sections as the text, and, with ``chart`` (the image's ``src``, a
    ``cid:`` reference in an email), the billing month's chart after the period's figures."""
    parts = [f'<h1 style="{_H1}">{escape(subject(d))}</h1>']
    for s in sections(d):
        if s.heading:
            items = "".join(f"<li>{escape(line)}</li>" for line in s.lines)
            parts += [f'<h2 style="{_H2}">{escape(s.heading)}</h2>', f'<ul style="{_UL}">{items}</ul>']
        else:
            parts += [f'<p style="{_NOTE}">{escape(line)}</p>' for line in s.lines]
        if s.chart and chart:
            parts.append(f'<img src="{escape(chart)}" width="640" alt="{escape(_chart_alt(d.usage))}" style="{_IMG}">')
    if link:
        parts.append(f'<p><a href="{escape(link)}" style="{_LINK}">Open the dashboard</a></p>')
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(subject(d))}</title></head>\n"
        f'<body style="{_BODY}">\n<main style="max-width:680px">\n{body}\n</main>\n</body></html>\n'
    )


# Inline styles: mail clients drop <style> blocks. Colours with a contrast of 4.5:1 or more on white.
_BODY = "margin:0;padding:16px;background:#ffffff;color:#1f2328;font:14px/1.5 -apple-system,Segoe UI,Arial,sans-serif"
_H1 = "font-size:18px;margin:0 0 12px"
_H2 = "font-size:15px;margin:18px 0 4px"
_UL = "margin:0;padding-left:20px"
_NOTE = "margin:0 0 8px;padding:8px 12px;background:#fff8c5;border-left:4px solid #9a6700"
_IMG = "display:block;max-width:100%;height:auto;margin:12px 0"
_LINK = "color:#0550ae"


def _incomplete(d: Digest) -> list[str]:
    said, left_out = [], len(d.missing_days) + len(d.bytes_missing)
    if d.in_progress:
        said.append(f"the week is in progress (its figures are as of {_date(date.fromisoformat(d.usage.as_of))})")
    if len(d.missing_days) == 7:
        said.append("none of its days is stored yet")
    elif d.missing_days:
        said.append(f"{_days(d.missing_days)} {_are(d.missing_days)} not stored yet")
    if d.bytes_missing:
        said.append(f"Storyblok has not counted the bandwidth of {_days(d.bytes_missing)} yet")
    if not said:
        return []
    return [f"Incomplete week: {'; '.join(said)}. This week's figures leave {'them' if left_out > 1 else 'it'} out."]


def _week_line(w: WeekMeter) -> str:
    amount = f"{w.used:,}" if w.meter == "requests" else amount_text(w.meter, w.used)
    line = f"{METER_TITLES[w.meter]}: {amount}"
    if w.days_counted < 7:
        line += f" ({counted(w.days_counted, 'day')} of 7 counted)"
    if w.change_pct is not None:
        days = "week" if w.days_counted == 7 else f"same {w.days_counted} days of the week"
        line += f", {_signed(w.change_pct)} on the {days} before"
    return line


def _standing(p: m.Period | m.ClosedPeriod) -> str:
    """``API requests, month 2 Dec 2026 - 1 Jan 2027: 188,995 of 1,000,000 requests (18.9%)``."""
    start, end = date.fromisoformat(p.start), date.fromisoformat(p.end)
    return f"{METER_TITLES[p.meter]}, {p.period} {_span(start, end)}: {used_text(p.meter, p.usage, p.limit)} " + (
        f"({_pct(p.percent)})"
    )


def _closed_line(p: m.ClosedPeriod) -> str:
    line = _standing(p)
    if p.limit_crossed_on:
        line += f", the limit reached on {_date(date.fromisoformat(p.limit_crossed_on))}"
    return line


def _period_lines(usage: m.Usage) -> list[str]:
    return [_period_line(p, usage) for p in usage.periods if p.limit > 0]


def _period_line(p: m.Period, usage: m.Usage) -> str:
    line = _standing(p)
    if p.end <= usage.as_of:  # it ended on the week's last day: nothing left to project
        line += f"; it ended on {_date(date.fromisoformat(p.end))}"
    elif p.forecast is not None:
        projected = p.forecast.usage_at_end * 100 / p.limit
        line += f"; projected {amount_text(p.meter, p.forecast.usage_at_end)} ({projected:.1f}%) at its end"
        if p.forecast.crossing_day and p.usage < p.limit:
            line += f", reaching the limit on {_date(date.fromisoformat(p.forecast.crossing_day))}"
    if p.usage >= p.limit:
        line += f"; the limit {_reached(p, usage)}"
    return line


def _reached(p: m.Period, usage: m.Usage) -> str:
    """``reached on 23 Nov 2026``: the day of the period's 100% crossing, as its alert row has it."""
    crossed = [
        a.crossed_on
        for a in usage.alerts
        if (a.kind, a.threshold, a.meter, a.period, a.period_start) == ("actual", 100, p.meter, p.period, p.start)
    ]
    return f"reached on {_date(date.fromisoformat(crossed[0]))}" if crossed else "is reached"


def _bill_lines(bill: m.Bill) -> list[str]:
    if bill.plan is None or bill.currency is None or bill.period_end is None:
        return [f"Bill: {bill.how}"]
    plan = next((w.title for w in bill.what_if if w.current), bill.plan)
    assumed = " (assumed from Storyblok's monthly limit)" if bill.assumed else ""
    so_far = (bill.base_price or Decimal(0)) + (bill.overage or Decimal(0))
    line = f"Bill on {plan}{assumed}: {money(so_far, bill.currency)} so far"
    if bill.overage:
        line += f" (overage {money(bill.overage, bill.currency)})"
    if bill.projected_total is not None:
        line += f"; projected {money(bill.projected_total, bill.currency)} for the period to "
        line += _date(date.fromisoformat(bill.period_end))
        if bill.projected_overage:
            line += f" (overage {money(bill.projected_overage, bill.currency)})"
    else:
        line += "; no projection yet (too few complete days)"
    return [line]


def _space_lines(spaces: list[WeekSpace], meter: str) -> list[str]:
    return [
        f"Space {s.space_id}: {amount_text(meter, s.used)}, {s.share:.1f}% of the organisation's"
        + ("" if s.change_pct is None else f" ({_signed(s.change_pct)} on the week before)")
        for s in spaces
    ]


def _file_lines(files: m.Assets | None) -> list[str]:
    if files is None or not files.assets:
        return []
    return [
        f"{a.name} (space {a.space_id}): {size_text(a.bytes)}"
        + ("" if a.share is None else f", {a.share:.1f}% of the bandwidth")
        + ("" if a.change_pct is None else f" ({_signed(a.change_pct)} on the same days of the week before)")
        for a in files.assets
    ]


def _files_heading(files: m.Assets | None) -> str:
    through = files.files_through if files else None
    if files is None or through is None or through >= files.last_day:
        return "Top files this week, by bandwidth"
    return f"Top files this week, by bandwidth (counted through {_date(date.fromisoformat(through))})"


def _told_heading(told: list[m.AlertRow]) -> str:
    still = sum(1 for n in told if n.group == "open")
    return f"Notices this week: {len(told)}, {still} still open"


def _told_line(n: m.AlertRow) -> str:
    """The notice as the report prints it, after the day whose figures it told and where it stands now."""
    held = f", held by silence {n.silence_id}" if n.status == "silenced" and n.silence_id else ""
    return f"[{n.as_of}, {'open' if n.group == 'open' else 'resolved'}{held}] {n.line}"


def _open_line(n: m.AlertRow) -> str:
    """An open notice told before the week: its figures are of the day it was told (a notice keeps them)."""
    return f"[told with the figures of {n.as_of}] {n.line}"


def _chart_alt(usage: m.Usage) -> str:
    months = [p for p in usage.periods if p.period == "month" and p.limit > 0]
    return "Chart of the billing month so far against its limit: " + "; ".join(_period_line(p, usage) for p in months)


def _days(days: list[date]) -> str:
    return ", ".join(_day(d) for d in days)


def _are(days: list[date]) -> str:
    return "is" if len(days) == 1 else "are"


def _day(day: date) -> str:
    """A day of the week: ``Sun 6 Dec``."""
    return f"{day:%a %-d %b}"


def _date(day: date) -> str:
    return f"{day:%-d %b %Y}"


def _span(first: date, last: date) -> str:
    """``1 Dec - 31 Dec 2026``; across a year's end ``2 Dec 2025 - 1 Dec 2026``."""
    return f"{first:%-d %b}{'' if first.year == last.year else f' {first.year}'} - {_date(last)}"


def _pct(percent: float | None) -> str:
    return "no limit" if percent is None else f"{percent:.1f}%"


def _signed(change: float) -> str:
    return f"{change:+.1f}%".replace("-0.0%", "+0.0%")  # a fall too small to show is no fall


def message(d: Digest, channel_type: str, link: str | None, chart: bytes | None) -> Message:
    """What a channel of ``channel_type`` gets: an email the HTML with the chart (``cid:``), any other
    channel the text with the dashboard's link (Slack and Teams show it as a button)."""
    data = {
        "kind": "digest",
        "org": d.org,
        "week": d.week.label,
        "first_day": d.week.first.isoformat(),
        "last_day": d.week.last.isoformat(),
        "as_of": d.usage.as_of,
        "complete": d.complete,
        **({"url": link} if link else {}),
    }
    said = Message(subject=subject(d), text=text(d, link), data=data, link=link)
    if channel_type != "email":
        return said
    images = ((CHART_NAME, chart),) if chart else ()
    return replace(said, html=html(d, link, f"cid:{CHART_NAME}" if chart else None), images=images)
