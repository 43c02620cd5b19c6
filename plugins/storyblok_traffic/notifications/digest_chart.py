"""The weekly digest's chart: each meter's billing month so far, summed day by day, against the month's
limit, and its projection to the month's end; a PNG drawn on the worker (matplotlib's Agg canvas: no
browser, no display, no network; pyplot's global state is never touched)."""

from __future__ import annotations

import io
from datetime import date

from storyblok_traffic import documents as m
from storyblok_traffic.evaluation.digest import Digest
from storyblok_traffic.rules.meters import METER_TITLES
from storyblok_traffic.rules.plans import BYTES_PER_GB, amount_text, limit_text

# Drawn at twice the size it is shown (the <img>'s width): sharp on a high-density screen.
WIDTH_PX, HEIGHT_PX, SCALE = 640, 250, 2
INK, MUTED, LIMIT, USED, PROJECTED = "#1f2328", "#59636e", "#b42318", "#1f6feb", "#1f6feb"


def cumulative_png(digest: Digest) -> bytes:
    """The month of each meter (the limit meter's first) in one PNG, a panel each."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    months = _months(digest.usage, digest.limit_meter)
    dpi = 100 * SCALE
    figure = Figure(figsize=(WIDTH_PX / 100, HEIGHT_PX / 100 * len(months)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    for axes, period in zip(figure.subplots(len(months), 1, squeeze=False)[:, 0], months, strict=True):
        _panel(axes, period, digest.usage.daily, date.fromisoformat(digest.usage.as_of))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return out.getvalue()


def _months(usage: m.Usage, limit_meter: str) -> list[m.Period]:
    months = [p for p in usage.periods if p.period == "month" and p.limit > 0]
    return sorted(months, key=lambda p: p.meter != limit_meter)


def _panel(axes: object, period: m.Period, daily: list[m.DailyRow], as_of: date) -> None:
    from matplotlib.axes import Axes
    from matplotlib.dates import DateFormatter, DayLocator, date2num

    assert isinstance(axes, Axes)
    scale, unit = (BYTES_PER_GB, "GB") if period.meter == "bytes" else (1, "requests")
    start, end = date.fromisoformat(period.start), date.fromisoformat(period.end)
    # Each day's running total on that day, as the dashboard's month chart draws it.
    days: list[float] = []
    running: list[float] = []
    total = 0
    for row in daily:
        day = date.fromisoformat(row.day)
        amount = row.requests if period.meter == "requests" else row.bytes
        if start <= day <= min(end, as_of) and amount is not None:
            total += amount
            days.append(date2num(day))
            running.append(total / scale)
    axes.plot(days, running, color=USED, linewidth=2, marker="o", markersize=2.5, label="used so far")
    if period.forecast is not None and days:
        # Through the day the forecast reaches the limit, when it does: the line crosses it where the text
        # says (the forecast's path follows the weekdays, a straight line to the end would not).
        path = [(days[-1], running[-1])]
        crossing = period.forecast.crossing_day
        if crossing and period.usage < period.limit and date2num(date.fromisoformat(crossing)) > days[-1]:
            path.append((date2num(date.fromisoformat(crossing)), period.limit / scale))
        path.append((date2num(end), period.forecast.usage_at_end / scale))
        xs, ys = zip(*path, strict=True)
        axes.plot(xs, ys, color=PROJECTED, linestyle=(0, (4, 3)), linewidth=1.5, label="projected")
    axes.axhline(
        period.limit / scale, color=LIMIT, linewidth=1.2, label=f"limit {limit_text(period.meter, period.limit)}"
    )
    axes.set_xlim(date2num(start), date2num(end))
    axes.set_ylim(bottom=0)
    axes.set_title(
        f"{METER_TITLES[period.meter]}, month {start:%-d %b %Y} - {end:%-d %b %Y}: "
        f"{amount_text(period.meter, period.usage)} ({_pct(period.percent)} of the limit)",
        loc="left", fontsize=10.5, color=INK,
    )  # fmt: skip
    axes.xaxis.set_major_locator(DayLocator(interval=7))
    axes.xaxis.set_major_formatter(DateFormatter("%-d %b"))
    axes.tick_params(labelsize=9, colors=MUTED)
    axes.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    axes.set_ylabel(unit, fontsize=9, color=MUTED)
    axes.grid(axis="y", color="#d0d7de", linewidth=0.5)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="lower right", fontsize=8.5, frameon=False)  # under the rising lines


def _pct(percent: float | None) -> str:
    return "?" if percent is None else f"{percent:.1f}%"
