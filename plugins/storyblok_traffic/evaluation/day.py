"""One organisation's usage as of one day, in three steps: ``observe`` (read what the day needs,
once, and judge it with ``rules`` alone), ``record`` (move the alert rows, write once) and
``summarise``. Read-only callers (the dashboard, the extra of the daily run's outlet event) skip ``record``.

Days are recorded in date order by ``storyblok_traffic.evaluation.check``, which holds the
organisation's lock and owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import msgspec
from sqlalchemy import Connection

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation import reconciliation, spikes
from storyblok_traffic.evaluation.bill_checks import bill_check
from storyblok_traffic.evaluation.meters import PERIOD_OF_BILLING, BillFigures, bill_figures
from storyblok_traffic.evaluation.result import AlertView, BillView, Evaluation, ForecastView, PeriodSummary
from storyblok_traffic.evaluation.told import with_figures
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.forecast import Forecast, project
from storyblok_traffic.rules.meters import MONTHS_BILLED, Meter
from storyblok_traffic.rules.periods import Window, window_of
from storyblok_traffic.rules.plans import Plan
from storyblok_traffic.rules.reconcile import Comparison
from storyblok_traffic.rules.spikes import Ratios
from storyblok_traffic.rules.usage import AlarmRun, Crossing, Limits, counted, format_pct, limit_in_force, percent_of
from storyblok_traffic.warehouse import alerts
from storyblok_traffic.warehouse.stored_days import StoredDays, complete_days


def evaluate(
    conn: Connection,
    org: OrgConfig,
    day: date,
    quiet: bool,
    fetched_day: bool | None,
    stored: StoredDays | None = None,
) -> Evaluation:
    """``org`` as of ``day``, read only: what the rules see, with the alert rows as they are.

    ``fetched_day``: whether the day's traffic is in (None: unknown). ``quiet``: the day is older
    than the lookback (its alerts would be recorded as suppressed). ``stored``: the organisation's
    days, when the caller reads them for more than this (read here otherwise).
    """
    carry = Carry.of(conn, org.org) if stored is None else Carry(stored, alerts.AlertRows(conn, org.org))
    observed = observe(conn, org, day, quiet, fetched_day, carry)
    return summarise(observed, observed.known, alerts.count_pending(conn, org.org))


def evaluate_and_record(
    conn: Connection, org: OrgConfig, day: date, quiet: bool, fetched_day: bool | None, carry: Carry
) -> Evaluation:
    """``org`` as of ``day``, its alert transitions recorded: a step of ``check``, which holds the lock,
    owns the transaction and counts the notices waiting once, at its end (``pending_notices`` is 0)."""
    observed = observe(conn, org, day, quiet, fetched_day, carry)
    return summarise(observed, record(conn, observed, carry), pending=0)


@dataclass(frozen=True)
class Observed:
    """One day as the rules see it, before any alert row moves: each period's facts, the spike
    findings, Storyblok's figure, and every observation with the rows it may move."""

    org: OrgConfig
    day: date
    quiet: bool
    fetched_day: bool | None
    newest: date | None
    data_key: tuple[str, date]
    facts: list[_Facts]
    found: spikes.Findings | None
    spike_rows: dict[st.Series, st.Alert]
    verdict: Comparison | None
    gap: st.Observation | None
    seen: list[st.Observation]
    known: dict[tuple[object, ...], st.Alert]  # the rows of every observed key that exist
    billed: BillFigures  # the billing period as of the day (its notices' bill)
    plan_note: str | None = None  # why only the limit meter (``limit_meter``) is watched (no plan), or None


def observe(
    conn: Connection, org: OrgConfig, day: date, quiet: bool, fetched_day: bool | None, carry: Carry
) -> Observed:
    """Read what the day needs (from the carry's reads, once) and judge it with ``rules`` alone."""
    stored = carry.stored
    history = stored.limit_history()
    figures = bill_figures(stored, org, day, plans=False)
    watched = watched_meters(org, history, figures.chosen.plan)
    meters = [
        (w, window_of(period, day, org.year_start))
        for w in watched
        for period in ("year", "month")
        if w.thresholds(period)
    ]
    windows = list(dict.fromkeys(w for _, w in meters))
    newest = stored.newest_day(day)
    data_key = (st.DATA_PERIOD, newest or st.NEVER)
    gap = _unhealed_gap(stored, org, day)
    gap_keys = [(st.DATA_PERIOD, gap.period_start)] if gap else []
    billed = bill_check(org, stored, day, figures)
    known = carry.alerts.load([(w.period, w.start) for w in windows] + [data_key] + gap_keys + billed.keys)

    facts = [_facts(org, w, day, meter, stored, carry.alarm_runs) for meter, w in meters]
    seen = [obs for f in facts for obs in _observations(org, f, billed.sentence)]
    seen += billed.seen
    # Each meter's spikes, the limit meter's first (the summary's); none when spikes are off.
    judged = [_spike_check(org, meter, stored, day, carry, facts) for meter in watched] if org.spike_factor else []
    found = judged[0].found if judged else None
    spike_rows = judged[0].rows if judged else carry.alerts.spikes(org.limit_meter)
    for check in judged:
        known |= {a.key: a for a in check.rows.values()}
        seen += check.seen
    seen.append(_observe_data(org, day, newest, fetched_day))
    if gap:
        seen.append(gap)
    verdict = reconciliation.reconcile_newest(conn, org, day, stored)
    if verdict is not None:  # disagreeing: an alarm; agreeing: an alarm of the year ends
        seen.append(reconciliation.disagreement(org, day, verdict))
        known |= carry.alerts.load([("year", verdict.configured.year_start)])
    return Observed(
        org,
        day,
        quiet,
        fetched_day,
        newest,
        data_key,
        facts,
        found,
        spike_rows,
        verdict,
        gap,
        seen,
        known,
        figures,
        billed.note,
    )


def record(conn: Connection, observed: Observed, carry: Carry) -> dict[tuple[object, ...], st.Alert]:
    """Move each observed row by the state machine, write the rows that changed (once), and return the
    state as the day leaves it."""
    day, quiet = observed.day, observed.quiet
    moved = [
        new for obs in observed.seen if (new := st.next_state(observed.known.get(obs.key), obs, day, quiet)) is not None
    ]
    # Each notice due keeps what it tells, as of its day: its message is rendered from that alone.
    changed = with_figures(conn, observed.org, day, moved, carry.stored, observed.billed)
    alerts.save(conn, changed, day, before=observed.known)
    carry.alerts.saved(changed)
    return observed.known | {a.key: a for a in changed}


def summarise(observed: Observed, state: Mapping[tuple[object, ...], st.Alert], pending: int) -> Evaluation:
    """The day's summary: each period's figures and alerts in ``state``, the notes, the spikes."""
    org, day, newest, found, verdict = observed.org, observed.day, observed.newest, observed.found, observed.verdict
    data_row = state.get((org.org, *observed.data_key, st.NO_DATA, 0.0, st.NO_METER))
    notes = (
        *_data_notes(org, day, newest, observed.fetched_day, observed.quiet),
        observed.gap and observed.gap.detail,
        reconciliation.advice(verdict),
        spikes.note(org, found),
        observed.plan_note,
    )
    return Evaluation(
        org=org.org,
        day=day,
        limit_meter=org.limit_meter,
        quiet=observed.quiet,
        newest_day=newest,
        periods=tuple(_summary(org, f, day, state) for f in observed.facts),
        data_alert=_view(data_row) if data_row else None,
        pending_notices=pending,
        notes=tuple(n for n in notes if n),
        reconciliation=reconciliation.summary(verdict),
        spikes=spikes.views(found, observed.spike_rows) if found else (),
        bill=_bill_view(observed.billed),
    )


def _bill_view(figures: BillFigures) -> BillView | None:
    now, at_end = figures.now, figures.at_end
    if now is None:
        return None
    return BillView(now.plan, now.currency, now.total, now.overage, None if at_end is None else at_end.total)


@dataclass
class Carry:
    """What a check of many days carries from one day to the next: the rows it reads, the alert rows
    as its days leave them, and each period's alarms so far (so that a day costs one step, not a walk
    from the period's start)."""

    stored: StoredDays
    alerts: alerts.AlertRows
    alarm_runs: dict[tuple[str, str, date], AlarmRun] = field(default_factory=dict)  # by (meter, period, start)
    # each meter's series' daily ratios (spikes.find)
    spike_ratios: dict[str, dict[st.Series, Ratios]] = field(default_factory=dict)

    @classmethod
    def of(cls, conn: Connection, org: str) -> Carry:
        """What a check of one day reads: the organisation's stored days and alert rows."""
        return cls(StoredDays(conn, org), alerts.AlertRows(conn, org))

    def reread_alerts(self, conn: Connection, org: str) -> None:
        """Read the alert rows again, after something other than ``record`` changed them (``settle``)."""
        self.alerts = alerts.AlertRows(conn, org)


@dataclass(frozen=True)
class _SpikeCheck:
    """One meter's spike verdicts on the day, its spike rows, and what they observe."""

    found: spikes.Findings
    rows: dict[st.Series, st.Alert]
    seen: list[st.Observation]


def _spike_check(
    org: OrgConfig, watched: Watched, stored: StoredDays, day: date, carry: Carry, facts: Sequence[_Facts]
) -> _SpikeCheck:
    """``watched``'s spikes, judged as the limit meter's are (the rule reads ``limit_meter``), against its
    own monthly limit; a day whose bytes are not in yet has no verdict, and is judged when they arrive
    (the change makes the check evaluate that day again)."""
    judged = org if watched.meter == org.limit_meter else msgspec.structs.replace(org, limit_meter=watched.meter)
    rows = carry.alerts.spikes(watched.meter)
    month_limit = _limit_on(watched.history, "month", day)
    memo = carry.spike_ratios.setdefault(watched.meter, {})
    # The limit meter's spaces are judged each day; the other meter's when the organisation spikes.
    found = spikes.find(stored, judged, day, rows, month_limit, memo, every_space=watched.meter == org.limit_meter)
    seen = spikes.observations(judged, found, rows, _month_so_far(facts, watched.meter), month_limit)
    return _SpikeCheck(found, rows, seen)


def _month_so_far(facts: Sequence[_Facts], meter: str) -> tuple[int, int, date] | None:
    """(usage, limit, last day) of ``meter``'s month, for a spike's "at this rate"; None without monthly checks."""
    month = next((f for f in facts if f.window.period == "month" and f.meter == meter), None)
    return None if month is None or month.limit <= 0 else (month.usage, month.limit, month.window.last)


def _unhealed_gap(stored: StoredDays, org: OrgConfig, day: date) -> st.Observation | None:
    """Days of the contract year missing where no daily run will fetch them: a no-data alarm naming them.

    Daily runs fetch only after the newest complete day, at most max_gap_days back; a hole behind
    that stays. Days before the first stored one are the bulk DAG's job (the reconciliation names them).
    """
    reach = day - timedelta(days=max(org.max_gap_days, org.refetch_days))
    oldest = stored.oldest_day()
    if oldest is None:
        return None
    first = max(oldest, window_of("year", day, org.year_start).start)
    if first >= reach:
        return None
    start = stored.first_missing(first, reach - timedelta(days=1))
    if start is None:
        return None
    present = stored.days_stored(start, day)
    missing = [start]  # the whole hole, also where it runs past the runs' reach
    while missing[-1] + timedelta(days=1) < day and missing[-1] + timedelta(days=1) not in present:
        missing.append(missing[-1] + timedelta(days=1))
    return st.no_data(
        org.org,
        missing[0] - timedelta(days=1),  # as for any no-data alarm: the stored day before the hole
        day,
        in_alarm=True,
        detail=(
            f"{counted(len(missing), 'day')} not stored, from {missing[0]} to {missing[-1]}, and no daily run will "
            f"fetch them (they reach back {org.max_gap_days} days at most, after the newest complete day): trigger "
            f"storyblok_traffic_backfill for {missing[0]} to {missing[-1]}."
        ),
    )


def _limit_on(history: Sequence[Limits], period: str, day: date) -> int:
    limits = limit_in_force(history, day)
    return limits.of(period) if limits else 0


@dataclass(frozen=True)
class Watched:
    """A meter and what it is checked against: the limit meter (``limit_meter``) against the limits Storyblok
    reports (by the day each came into force), the other meter against the plan's included amount."""

    meter: Meter
    history: Sequence[Limits]
    yearly: tuple[float, ...]
    monthly: tuple[float, ...]
    forecast: tuple[float, ...]

    def thresholds(self, period: str) -> tuple[float, ...]:
        return self.yearly if period == "year" else self.monthly


def watched_meters(org: OrgConfig, history: Sequence[Limits], plan: Plan | None) -> list[Watched]:
    """The limit meter (``limit_meter``), and the other meter when ``plan`` (the organisation's, configured or
    assumed: ``BillFigures.chosen``) includes an amount of it, in the period the plan bills (the month,
    or the contract year when billed yearly)."""
    found = [Watched(org.limit_meter, history, *org.thresholds_of(org.limit_meter))]
    other: Meter = "bytes" if org.limit_meter == "requests" else "requests"
    terms = plan.terms(other) if plan else None
    if plan is not None and terms is not None and terms.included > 0:
        # Watched in the period the plan bills it: a month's included amount is no limit of the year.
        included = Limits(terms.included, terms.included * MONTHS_BILLED[plan.billing], st.NEVER)
        yearly, monthly, forecast = org.thresholds_of(other)
        yearly, monthly = (yearly, ()) if PERIOD_OF_BILLING[plan.billing] == "year" else ((), monthly)
        found.append(Watched(other, (included,), yearly, monthly, forecast))
    return found


@dataclass(frozen=True)
class _Facts:
    """One meter in one period as of the run's day."""

    meter: Meter
    window: Window
    thresholds: tuple[float, ...]
    forecast_thresholds: tuple[float, ...]
    days_with_data: int
    usage: int
    limit: int  # in force on the run's day
    active: dict[float, Crossing]  # thresholds in alarm
    forecast: Forecast | None
    bytes_missing: int = 0  # stored days of the period up to the run's day whose bytes are not in yet


def _facts(
    org: OrgConfig,
    w: Window,
    day: date,
    watched: Watched,
    stored: StoredDays,
    runs: dict[tuple[str, str, date], AlarmRun],
) -> _Facts:
    history = watched.history
    limit = _limit_on(history, w.period, day)
    thresholds = watched.thresholds(w.period)
    run = runs.get((watched.meter, w.period, w.start))
    if run is None or run.day >= day:  # a period's first day in this check, or a day evaluated again
        run = runs[(watched.meter, w.period, w.start)] = AlarmRun(thresholds, w.start)
    found = run.advance(stored.amounts(watched.meter), lambda d: _limit_on(history, w.period, d), day)
    forecast = None
    if watched.forecast and limit > 0:
        # A day's bytes come days after its requests: the rate is of complete days, from the newest one
        # (as the bill projects it, so that the period's card and the bill give one figure).
        last = day if watched.meter == "requests" else stored.newest_complete(watched.meter, w.start, day) or day
        recent = complete_days(stored, watched.meter, last - timedelta(days=org.forecast_window_days - 1), last)
        forecast = project(
            recent,
            last,
            w.last,
            run.total,
            limit,
            watched.forecast,
            org.forecast_window_days,
            org.forecast_min_days,
        )
    active = {c.threshold_pct: c for c in found}
    missing = stored.days_missing_bytes(w.start, day) if watched.meter == "bytes" else 0
    return _Facts(
        watched.meter, w, thresholds, watched.forecast, run.days_with_data, run.total, limit, active, forecast, missing
    )


def _observations(org: OrgConfig, f: _Facts, money: str | None) -> list[st.Observation]:
    """Each threshold and forecast of the period; ``money``: the bill's sentence, which a notice ends with."""
    w = f.window

    def seen(kind: str, threshold: float, crossed_on: date | None, projected_on: date | None = None) -> st.Observation:
        return st.Observation(
            org=org.org,
            period=w.period,
            period_start=w.start,
            period_end=w.last,
            kind=kind,
            threshold_pct=threshold,
            in_alarm=(crossed_on if kind == st.ACTUAL else projected_on) is not None,
            crossed_on=crossed_on,
            usage=f.usage,
            usage_limit=f.limit,
            projected_on=projected_on,
            detail=money,
            meter=f.meter,
        )

    found = [seen(st.ACTUAL, t, f.active[t].crossed_on if t in f.active else None) for t in f.thresholds]
    if f.forecast is not None:  # without a projection (too few days) nothing is said of a forecast
        found += [seen(st.FORECAST, t, None, f.forecast.crossing_of(t)) for t in f.forecast_thresholds]
    return found


def _observe_data(org: OrgConfig, day: date, newest: date | None, fetched_day: bool | None) -> st.Observation:
    stale = newest is None or (day - newest).days > org.stale_after_days
    return st.no_data(org.org, newest or st.NEVER, day, in_alarm=stale or fetched_day is False)


def _summary(org: OrgConfig, f: _Facts, day: date, state: Mapping[tuple[object, ...], st.Alert]) -> PeriodSummary:
    w = f.window
    rows = sorted(
        (a for a in state.values() if (a.period, a.period_start, a.meter) == (w.period, w.start, f.meter)),
        key=lambda a: (a.kind, a.threshold_pct),
    )
    return PeriodSummary(
        meter=f.meter,
        period=w.period,
        start=w.start,
        last=w.last,
        usage=f.usage,
        limit=f.limit,
        percent=percent_of(f.usage, f.limit),
        thresholds=f.thresholds,
        days_with_data=f.days_with_data,
        days_so_far=w.days_to(day),
        forecast=_forecast_view(f.forecast, f.limit),
        alerts=tuple(_view(a) for a in rows),
        notes=_period_notes(org, f, day),
        bytes_missing=f.bytes_missing,
    )


def _forecast_view(forecast: Forecast | None, limit: int) -> ForecastView | None:
    if forecast is None:
        return None
    return ForecastView(
        basis_days=forecast.basis_days,
        daily_rate=forecast.daily_rate,
        projected_usage=forecast.projected_usage,
        projected_percent=percent_of(forecast.projected_usage, limit),
        crossings={format_pct(t): d for t, d in forecast.crossings},
    )


def _view(alert: st.Alert) -> AlertView:
    return AlertView(alert.kind, alert.threshold_pct, alert.status, alert.crossed_on, alert.projected_on)


def _period_notes(org: OrgConfig, f: _Facts, day: date) -> tuple[str, ...]:
    notes = []
    w, days, limit, forecast = f.window, f.days_with_data, f.limit, f.forecast
    expected = w.days_to(day)
    if days < expected:
        notes.append(
            f"only {days} of {expected} days since {w.start} are stored: usage is a lower bound until "
            f"the missing days are backfilled"
        )
    if limit <= 0:
        notes.append("no traffic limit is known yet for this organisation: thresholds cannot be checked")
    elif f.forecast_thresholds and forecast is None:
        notes.append(
            f"no forecast: fewer than {org.forecast_min_days} stored days in the last {org.forecast_window_days} days"
        )
    if f.meter == "bytes":
        missing = f.bytes_missing
        if missing:
            notes.append(f"{counted(missing, 'day')} without a byte count yet (Storyblok has not calculated them)")
    return tuple(notes)


def _data_notes(
    org: OrgConfig, day: date, newest: date | None, fetched_day: bool | None, quiet: bool
) -> tuple[str, ...]:
    notes = []
    if fetched_day is False:
        notes.append(f"Storyblok returned no traffic row for {day}")
    if newest is None:
        notes.append(f"no traffic is stored for {org.org} up to {day}")
    elif (day - newest).days > org.stale_after_days:
        notes.append(
            f"the newest stored day is {newest}, {(day - newest).days} days before {day} "
            f"(allowed: {org.stale_after_days})"
        )
    if quiet:
        notes.append(
            f"{day} is caught up quietly (older than {counted(org.alert_lookback_days, 'day')} before today, or than "
            "a day already told): its alerts are recorded, not sent; what is still open is told by the newest "
            "day's check"
        )
    return tuple(notes)
