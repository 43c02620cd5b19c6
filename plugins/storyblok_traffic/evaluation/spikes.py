"""Spike episodes of one organisation as of one day: read the series, judge them, name the spaces.

The rule is ``storyblok_traffic.rules.spikes``. Only spaces that could spike are read day by day (at
or above the floor on the day, or in an episode that may end); every space is read only when the
organisation itself spikes, to say which spaces explain it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.result import SpikeView
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.alert_state import ORG, Series
from storyblok_traffic.rules.periods import each_day
from storyblok_traffic.rules.spike_lines import SpaceShare, SpikeDetail
from storyblok_traffic.rules.spikes import (
    MIN_HISTORY_DAYS,
    NEW,
    NO_VALUE,
    NORMAL,
    SPIKE,
    TOO_LITTLE,
    Day,
    Ratios,
    Share,
    SpikeRule,
    Verdict,
    attribute,
    cannot_alarm,
    judge,
    least_busy,
    limit_reached_at_rate,
)
from storyblok_traffic.rules.usage import Limits, limit_in_force
from storyblok_traffic.warehouse.stored_days import OrgDay, SpaceDay, StoredDays

NOBODY = 2**62  # requests no space reaches on a day: only the spaces asked for by name are read


@dataclass(frozen=True)
class Findings:
    """The verdicts on one day: the organisation's, and those of the spaces that were judged."""

    day: date
    org: Verdict
    spaces: dict[str, Verdict] = field(default_factory=dict)
    explained_by: tuple[Share, ...] = ()  # when the organisation spikes: the spaces, largest first

    def by_series(self) -> dict[Series, Verdict]:
        """Every verdict under its series: the organisation's, a space's, or a new space's."""
        spaces = {Series(space, new=v.status == NEW): v for space, v in self.spaces.items()}
        return {ORG: self.org} | spaces


def rule_of(org: OrgConfig) -> SpikeRule:
    return SpikeRule(org.spike_factor, org.spike_min_requests, org.spike_window_days, org.spike_noise_days)


@dataclass(frozen=True)
class _Judging:
    """What judging one day's series takes besides the series: the rule, the least excess that moves
    the bill, the series in an episode, and each series' daily ratios as earlier days found them."""

    rule: SpikeRule
    min_excess: float
    in_episode: frozenset[Series]
    memo: dict[Series, Ratios]

    def judge(self, series: Series, days: Mapping[date, Day], day: date, new_allowed: bool = False) -> Verdict:
        return judge(
            days,
            day,
            self.rule,
            new_allowed,
            min_excess=self.min_excess,
            in_episode=series in self.in_episode,
            memo=self.memo.setdefault(series, {}),
        )


def find(
    stored: StoredDays,
    org: OrgConfig,
    day: date,
    rows: Mapping[Series, st.Alert],
    month_limit: int = 0,
    memo: dict[Series, Ratios] | None = None,
    every_space: bool = True,
) -> Findings:
    """Judge the organisation and the spaces that could be in a spike on ``day``.

    ``rows``: the organisation's spike alerts by series; the spaces in an episode are judged too, to end
    it. ``month_limit``: the monthly limit in force (0: none known), for the least excess that pages.
    ``memo``: each series' daily ratios, kept by a check of many days (every series' stored days stay
    as they are until it ends). ``every_space`` False: a space is judged only when the organisation
    spikes (to say which explain it) or to end its episode (the other meter's checks: its floor is
    in requests, so no excess rules a space out before it is read).
    """
    rule = rule_of(org)
    open_series = frozenset(s for s, row in rows.items() if _open(row))
    how = _Judging(rule, min_excess(org, month_limit), open_series, {} if memo is None else memo)
    first = day - timedelta(days=rule.window_days + rule.noise_days)
    days = [d for d, _, _ in stored.org_days(first, day)]
    org_verdict = how.judge(ORG, _OrgSeries(stored.by_day(), org.limit_meter), day)
    if org_verdict.status in (NO_VALUE, TOO_LITTLE):
        # Without the organisation's own history no space can be told new: every one would be.
        return Findings(day, org_verdict)
    open_spaces = [s.space_id for s in open_series if s.space_id is not None and not s.new]
    if org_verdict.status == SPIKE:
        # Rare: every space, to say which explain it (a space below the floor is judged normal anyway).
        series = stored.space_series(days[0], day)
        everyone = _judge_spaces(org, day, days, series, how, open_spaces, all_of_them=True)
        return Findings(day, org_verdict, everyone, tuple(attribute(org_verdict.excess, everyone)))
    if not every_space and not open_spaces:
        return Findings(day, org_verdict)
    busy = least_busy(rule, org.limit_meter, how.min_excess) if every_space else NOBODY
    busy_series = _busy_series(stored, org, day, days, busy, open_spaces, how)
    return Findings(day, org_verdict, _judge_spaces(org, day, days, busy_series, how, open_spaces))


def _busy_series(
    stored: StoredDays, org: OrgConfig, day: date, days: list[date], busy: int, also: Sequence[str], how: _Judging
) -> Mapping[str, Mapping[date, SpaceDay]]:
    """The series of the spaces busy on ``day`` and of ``also``. Not in memory, they are read in two steps:
    the day and its same weekdays first, all ``cannot_alarm`` needs, then the whole look-back of the
    spaces it does not rule out (most are far from a spike: a day of 2,500 busy spaces read 420,000
    rows for the few judged in full)."""
    if stored.holds(days[0], busy, also):
        return stored.space_series(days[0], day, busy_from=busy, also=also)
    weeks_back = _weeks_back(day, how.rule)
    sample = stored.space_series(days[0], day, busy_from=busy, also=also, only=[day, *weeks_back])
    known = set(days)
    passed = {s for s, rows in sample.items() if not _ruled_out(org.limit_meter, rows, day, weeks_back, known, how)}
    judged = sorted(passed | set(also))
    return stored.space_series(days[0], day, busy_from=NOBODY, also=judged) if judged else {}


def _weeks_back(day: date, rule: SpikeRule) -> list[date]:
    """The same weekday 1, 2, ... weeks before ``day``, as far as the rule's window reaches."""
    return [day - timedelta(days=7 * weeks) for weeks in range(1, rule.window_days // 7 + 1)]


def min_excess(org: OrgConfig, month_limit: int) -> float:
    """The least excess over its normal that makes a day a spike: the configured share of the month's limit."""
    return month_limit * org.spike_min_month_pct / 100


def busy_from(org: OrgConfig, limits: Sequence[Limits], first: date, last: date) -> int:
    """The requests a space needs on some day of ``first``..``last`` to be judged on any of them."""
    least = min((_month_limit(limits, day) for day in each_day(first, last)), default=0)
    return least_busy(rule_of(org), org.limit_meter, min_excess(org, least))


def _month_limit(limits: Sequence[Limits], day: date) -> int:
    found = limit_in_force(limits, day)
    return found.monthly if found else 0


def _judge_spaces(
    org: OrgConfig,
    day: date,
    stored: list[date],
    series: Mapping[str, Mapping[date, SpaceDay]],
    how: _Judging,
    also: Sequence[str] = (),
    all_of_them: bool = False,
) -> dict[str, Verdict]:
    """The verdicts of the spaces that may be in a spike: ``also`` (their episode may end) and those
    ``cannot_alarm`` does not rule out; ``all_of_them``: every space's, to say which explain a spike."""
    known = set(stored)
    weeks_back = _weeks_back(day, how.rule)
    found = {}
    for space in {*series, *also}:
        days = series.get(space, {})
        if not (all_of_them or space in also) and _ruled_out(org.limit_meter, days, day, weeks_back, known, how):
            continue
        found[space] = how.judge(Series(space), _SpaceSeries(days, known, org.limit_meter), day, new_allowed=True)
    return found


class _SpaceSeries(Mapping[date, Day]):
    """A space's rows as the rule reads a series: a stored day without a row of the space is a day
    without its traffic. Looked up day by day (a judgement reads a few of them), never copied."""

    def __init__(self, rows: Mapping[date, SpaceDay], stored: set[date], meter: str) -> None:
        self.rows, self.stored, self.meter = rows, stored, meter

    def __getitem__(self, day: date) -> Day:
        if day not in self.stored:
            raise KeyError(day)
        row = self.rows.get(day)
        return _ZERO if row is None else _day(self.meter, *row)

    def __iter__(self) -> Iterator[date]:
        return iter(sorted(self.stored))

    def __len__(self) -> int:
        return len(self.stored)


_ZERO = Day(0, 0)


class _OrgSeries(Mapping[date, Day]):
    """The organisation's stored days as the rule reads a series, looked up day by day (never copied)."""

    def __init__(self, rows: Mapping[date, OrgDay], meter: str) -> None:
        self.rows, self.meter = rows, meter

    def __getitem__(self, day: date) -> Day:
        _, requests, size = self.rows[day]
        return _day(self.meter, requests, size)

    def __iter__(self) -> Iterator[date]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _ruled_out(
    meter: str, days: Mapping[date, SpaceDay], day: date, weeks_back: list[date], known: set[date], how: _Judging
) -> bool:
    """``cannot_alarm`` from the space's rows: the day and the same weekday before (None: not stored)."""
    at = 0 if meter == "requests" else 1  # the amount's place in a row (requests, bytes)
    requests, size = days.get(day, (0, 0))
    same_weekday = [None if d not in known else (r[at] if (r := days.get(d)) is not None else 0) for d in weeks_back]
    return cannot_alarm(_day(meter, requests, size), same_weekday, how.rule, how.min_excess)


def _day(meter: str, requests: int, size: int | None) -> Day:
    return Day(requests if meter == "requests" else size, requests)


def observations(
    org: OrgConfig,
    found: Findings,
    rows: Mapping[Series, st.Alert],
    month: tuple[int, int, date] | None,
    month_limit: int = 0,
) -> list[st.Observation]:
    """What the day's verdicts mean for each series: an episode starts, goes on, or ends.

    ``month``: (usage through the day, limit, last day) of the month, for "at this rate" in the notice.
    ``month_limit``: the monthly limit in force, for the share of it a spike's excess burnt.
    """
    seen = []
    judged = found.by_series()
    for series, verdict in judged.items():
        row = rows.get(series)
        if row is not None and _open(row) and verdict.status not in (NO_VALUE, TOO_LITTLE):
            seen.append(_continued(org, row, verdict))
        elif verdict.is_alarm and (row is None or not _open(row)) and not _told_by_spaces(series, found):
            seen.append(_start(org, found, series, verdict, month, month_limit))
    # A new space is told once per arrival: any later day that it is not new ends that notice without
    # a word, so that a space silent for longer than the window is told again when it comes back.
    seen += [
        _arrival_over(org, row) for series, row in rows.items() if series.new and _open(row) and series not in judged
    ]
    return seen


def _open(row: st.Alert) -> bool:
    """In an episode, or its end not told yet."""
    return row.notice == st.ALARM or row.status == st.PENDING


def _told_by_spaces(series: Series, found: Findings) -> bool:
    """The organisation's spike is all the doing of spaces that spike themselves: their notices tell it."""
    if not series.is_org or not found.explained_by:
        return False
    return all(found.spaces.get(s.space_id, Verdict(NO_VALUE)).is_alarm for s in found.explained_by)


def _start(
    org: OrgConfig, found: Findings, series: Series, v: Verdict, month: tuple[int, int, date] | None, month_limit: int
) -> st.Observation:
    space = series.space_id
    at_rate = None
    if month is not None:
        used, limit, last = month
        at_rate = limit_reached_at_rate(used, limit, found.org.amount, found.day, last)
    detail = SpikeDetail(
        space_id=space,
        new=v.status == NEW,
        amount=v.amount,
        factor=None if v.factor is None else round(v.factor, 1),
        sigmas=v.sigmas,
        # the day's excess over its normal (a new space: all of its traffic), in percent of the month's limit
        month_share=round(v.excess * 100 / month_limit, 2) if month_limit > 0 else None,
        org_excess_share=_share_of_excess(v, found.org) if space else None,
        spaces=tuple(SpaceShare(s.space_id, s.extra, s.share_pct) for s in found.explained_by),
        month_limit_at_this_rate=None if at_rate is None else at_rate.isoformat(),
    )
    return st.spike(
        org.org,
        series.period,
        st.NEVER,
        found.day,
        True,
        v.amount,
        round(v.normal),
        projected_on=at_rate,
        detail=detail.to_json(),
        meter=org.limit_meter,
    )


def _continued(org: OrgConfig, row: st.Alert, v: Verdict, announce_clear: bool | None = None) -> st.Observation:
    """The series' episode on the day of ``v``; ``announce_clear``: whether its end is told (default: as configured)."""
    told = org.spike_back_to_normal if announce_clear is None else announce_clear
    return st.spike(
        org.org,
        row.period,
        row.period_start,
        row.crossed_on,
        v.is_alarm,
        v.amount,
        round(v.normal),
        announce_clear=told,
        meter=org.limit_meter,
    )


def _arrival_over(org: OrgConfig, row: st.Alert) -> st.Observation:
    return _continued(org, row, Verdict(NORMAL, row.usage, float(row.usage_limit)), announce_clear=False)


def _share_of_excess(space: Verdict, org_verdict: Verdict) -> float | None:
    """The space's extra traffic in percent of the organisation's (None: the organisation has none)."""
    if org_verdict.excess <= 0:
        return None
    extra = space.amount - (space.normal if space.status == SPIKE else 0)
    return round(min(extra, org_verdict.excess) * 100 / org_verdict.excess, 1)


def views(found: Findings, rows: Mapping[Series, st.Alert]) -> tuple[SpikeView, ...]:
    """The series in a spike on the day, for the summary."""
    return tuple(
        SpikeView(
            series=series.period,
            status=v.status,
            amount=v.amount,
            normal=round(v.normal),
            factor=None if v.factor is None else round(v.factor, 1),
            since=rows[series].crossed_on if series in rows and _open(rows[series]) else found.day,
        )
        for series, v in sorted(found.by_series().items(), key=lambda item: -item[1].excess)
        if v.is_alarm
    )


def note(org: OrgConfig, found: Findings | None) -> str | None:
    """Why there is no verdict for the organisation, if there is none."""
    if found is None:
        return None
    if found.org.status == TOO_LITTLE:
        return (
            f"spikes: no verdict yet, {found.org.history_days} of the {org.spike_window_days} days before "
            f"{found.day} are stored ({MIN_HISTORY_DAYS} needed)"
        )
    return None
