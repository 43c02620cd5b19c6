"""Alert transitions (pure): notices only on the way into alarm, or out of a notified one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from storyblok_traffic.rules import alert_state as st

DAY = date(2026, 6, 10)


def seen(in_alarm: bool, kind: str = st.ACTUAL) -> st.Observation:
    return st.Observation(
        org="acme",
        period="year",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        kind=kind,
        threshold_pct=50.0,
        in_alarm=in_alarm,
        crossed_on=date(2026, 6, 9) if in_alarm else None,
        usage=600,
        usage_limit=1200,
    )


def raised(quiet: bool = False) -> st.Alert:
    alert = st.next_state(None, seen(True), DAY, quiet)
    assert alert is not None
    return alert


def test_entering_alarm_is_due_unless_quiet():
    assert (raised().status, raised().notice, raised().notice_seq, raised().crossed_on) == (
        st.PENDING,
        st.ALARM,
        1,
        date(2026, 6, 9),
    )
    assert raised(quiet=True).status == st.SUPPRESSED
    assert st.next_state(None, seen(False), DAY, quiet=False) is None


def test_staying_in_alarm_changes_nothing():
    for status in (st.PENDING, st.SENT):
        assert st.next_state(replace(raised(), status=status), seen(True), DAY, quiet=False) is None
    # Quiet days keep a quiet alarm quiet.
    assert st.next_state(raised(quiet=True), seen(True), DAY.replace(day=11), quiet=True) is None


def test_a_quiet_alarm_of_an_open_period_is_told_once_on_the_first_live_day():
    quiet = raised(quiet=True)  # crossed on 06-09, recorded during history
    live = replace(seen(True), usage=700, crossed_on=date(2026, 6, 9))
    told = st.next_state(quiet, live, DAY.replace(day=20), quiet=False)
    assert told is not None
    assert (told.status, told.notice, told.notice_seq) == (st.PENDING, st.ALARM, 1)
    assert (told.crossed_on, told.as_of, told.usage) == (date(2026, 6, 9), DAY.replace(day=20), 700)
    # Once told (sent), later live days change nothing.
    assert st.next_state(replace(told, status=st.SENT), live, DAY.replace(day=21), quiet=False) is None
    # A rerun of a day older than the quiet row does not tell it.
    assert st.next_state(quiet, live, DAY.replace(day=1), quiet=False) is None


def test_a_quiet_forecast_is_remade_as_of_the_live_day():
    made = st.next_state(None, replace(seen(True, st.FORECAST), projected_on=date(2026, 12, 31)), DAY, quiet=True)
    assert made is not None
    assert made.status == st.SUPPRESSED
    now = replace(seen(True, st.FORECAST), projected_on=date(2026, 12, 24))
    told = st.next_state(made, now, date(2026, 12, 2), quiet=False)
    assert told is not None
    assert (told.status, told.crossed_on, told.projected_on) == (st.PENDING, date(2026, 12, 2), date(2026, 12, 24))
    # A forecast that no longer reaches its threshold is not the state now: it ends, quietly, never told.
    ended = st.next_state(made, seen(False, st.FORECAST), date(2026, 12, 2), quiet=False)
    assert ended is not None
    assert (ended.status, ended.notice, ended.notice_seq) == (st.CLEARED, st.CLEAR, made.notice_seq)


def test_leaving_a_notified_alarm_sends_one_clear_notice():
    sent = replace(raised(), status=st.SENT)
    cleared = st.next_state(sent, seen(False), DAY.replace(day=11), quiet=False)
    assert cleared is not None
    assert (cleared.status, cleared.notice, cleared.notice_seq) == (st.PENDING, st.CLEAR, 2)
    assert st.next_state(replace(cleared, status=st.CLEARED), seen(False), DAY.replace(day=12), False) is None


def test_back_in_alarm_before_the_clear_went_out_is_a_new_alarm_and_the_clear_still_goes_out():
    sent = replace(raised(), status=st.SENT)
    clearing = st.next_state(sent, seen(False), DAY.replace(day=11), quiet=False)
    assert clearing is not None
    assert clearing.status == st.PENDING
    again = st.next_state(clearing, seen(True), DAY.replace(day=12), quiet=False)
    assert again is not None
    # In date order, the clear went out on the 11th and the alarm on the 12th: both are told, whichever
    # order the checks and the sends take.
    assert (again.status, again.notice, again.notice_seq) == (st.PENDING, st.ALARM, 3)
    assert st.superseded(clearing, again) == clearing


def test_an_alarm_recorded_quietly_clears_silently():
    cleared = st.next_state(replace(raised(), status=st.SUPPRESSED), seen(False), DAY, quiet=False)
    assert cleared is not None
    assert (cleared.status, cleared.notice_seq) == (st.CLEARED, 1)
    assert st.superseded(replace(raised(), status=st.SUPPRESSED), cleared) is None


def test_an_alarm_still_pending_when_it_ends_is_superseded_by_its_end_not_dropped():
    pending = raised()
    ended = st.next_state(pending, seen(False), DAY.replace(day=11), quiet=False)
    assert ended is not None
    assert (ended.status, ended.notice, ended.notice_seq) == (st.PENDING, st.CLEAR, 2)
    assert st.superseded(pending, ended) == pending  # kept to go out with its end
    # A told alarm, or a change that keeps the notice, supersedes nothing.
    assert st.superseded(replace(pending, status=st.SENT), ended) is None
    assert st.superseded(pending, replace(pending, as_of=DAY.replace(day=11))) is None


def test_alarm_again_after_a_clear_is_a_new_notice():
    done = replace(raised(), status=st.CLEARED, notice=st.CLEAR, notice_seq=2)
    again = st.next_state(done, seen(True), DAY.replace(day=20), quiet=False)
    assert again is not None
    assert (again.status, again.notice, again.notice_seq) == (st.PENDING, st.ALARM, 3)


def test_a_rerun_of_an_older_day_moves_nothing_back():
    sent = replace(raised(), status=st.SENT)
    assert st.next_state(sent, seen(False), DAY.replace(day=1), quiet=False) is None


def test_forecasts_fire_once_per_period_and_end_quietly_when_the_projection_falls_back():
    first = st.next_state(None, seen(True, st.FORECAST), DAY, quiet=False)
    assert first is not None
    told = replace(first, status=st.SENT)
    ended = st.next_state(told, seen(False, st.FORECAST), DAY.replace(day=11), False)
    assert ended == replace(told, status=st.CLEARED, notice=st.CLEAR, evaluated_on=DAY.replace(day=11))
    assert ended.notice_seq == told.notice_seq  # no notice of its own
    assert st.next_state(ended, seen(True, st.FORECAST), DAY.replace(day=12), False) is None  # not raised again
    assert st.next_state(told, seen(True, st.FORECAST), DAY.replace(day=11), False) is None  # still projected
    assert st.next_state(first, seen(False, st.FORECAST), DAY.replace(day=11), False) is None  # due: it goes out
    assert st.next_state(told, seen(False, st.FORECAST), DAY.replace(day=9), False) is None  # an older day


def test_figures_that_agree_again_end_the_disagreement_quietly():
    alarm = st.next_state(
        None, st.disagreement("acme", date(2026, 1, 1), DAY, 900, 600, "Set `limit_meter: bytes`."), DAY, False
    )
    assert alarm is not None
    assert alarm.status == st.PENDING
    agree = st.disagreement("acme", date(2026, 1, 1), DAY.replace(day=11), 900, 900, None)
    assert not agree.in_alarm
    assert st.next_state(None, agree, DAY.replace(day=11), False) is None
    ended = st.next_state(replace(alarm, status=st.SENT), agree, DAY.replace(day=11), False)
    assert ended is not None
    assert (ended.status, ended.notice, ended.notice_seq) == (st.CLEARED, st.CLEAR, alarm.notice_seq)


def test_history_stored_later_moves_a_first_alarm_back_quietly():
    sent = replace(raised(), status=st.SENT, crossed_on=DAY)  # raised before the older days were stored
    earlier = replace(seen(True), crossed_on=date(2026, 3, 4))
    moved = st.next_state(sent, earlier, date(2026, 3, 5), quiet=True)  # a backfilled older day sees it
    assert moved is not None
    assert (moved.crossed_on, moved.status, moved.notice_seq) == (date(2026, 3, 4), st.SENT, 1)
    again = replace(sent, notice_seq=3)  # an alarm that came back after a clear keeps its own start
    assert st.next_state(again, earlier, date(2026, 3, 5), quiet=True) is None


def spike(in_alarm: bool, announce_clear: bool = True) -> st.Observation:
    return replace(
        seen(in_alarm, st.SPIKE),
        period="space 7",
        period_start=st.NEVER,
        threshold_pct=0.0,
        announce_clear=announce_clear,
    )


def test_a_spike_ends_with_a_notice_unless_turned_off_and_starts_again_as_the_next_notice():
    start = st.next_state(None, spike(True), DAY, quiet=False)
    assert start is not None
    sent = replace(start, status=st.SENT)
    end = st.next_state(sent, spike(False), DAY.replace(day=11), quiet=False)
    assert end is not None
    assert (end.status, end.notice, end.notice_seq) == (st.PENDING, st.CLEAR, 2)
    quiet_end = st.next_state(sent, spike(False, announce_clear=False), DAY.replace(day=11), quiet=False)
    assert quiet_end is not None
    assert (quiet_end.status, quiet_end.notice) == (st.CLEARED, st.CLEAR)
    again = st.next_state(replace(end, status=st.CLEARED), spike(True), DAY.replace(day=20), quiet=False)
    assert again is not None
    assert (again.status, again.notice, again.notice_seq, again.crossed_on) == (
        st.PENDING,
        st.ALARM,
        3,
        date(2026, 6, 9),
    )


def test_an_untold_spike_that_ends_is_superseded_by_its_end_not_dropped():
    start = st.next_state(None, spike(True), DAY, quiet=False)
    assert start is not None  # pending: its notice has not gone out
    end = st.next_state(start, spike(False), DAY.replace(day=11), quiet=False)
    assert end is not None
    assert (end.status, end.notice) == (st.PENDING, st.CLEAR)
    # With the end not to be told, the start still goes out first.
    assert st.next_state(start, spike(False, announce_clear=False), DAY.replace(day=11), quiet=False) is None
    # An actual threshold never told ends the same way: its end supersedes it.
    actual = raised()
    ended = st.next_state(actual, seen(False), DAY.replace(day=11), quiet=False)
    assert ended is not None
    assert (ended.status, ended.notice) == (st.PENDING, st.CLEAR)


def test_each_kind_without_a_threshold_has_its_own_row_key():
    day, since = date(2026, 3, 10), date(2026, 3, 7)
    seen = [
        st.no_data("acme", since, day, in_alarm=True),
        st.monitor_silent("acme", since, 36, 36),
        st.disagreement("acme", date(2026, 1, 1), day, 900, 800, "set year_start_month: 4"),
        st.spike("acme", "space 7", st.NEVER, day, True, 5_000, 1_000, meter="requests"),
    ]
    assert [o.key for o in seen] == [
        ("acme", st.DATA_PERIOD, since, st.NO_DATA, 0.0, st.NO_METER),
        ("acme", st.MONITOR_PERIOD, st.NEVER, st.SILENT, 0.0, st.NO_METER),
        ("acme", "year", date(2026, 1, 1), st.DISAGREE, 0.0, st.NO_METER),
        ("acme", "space 7", st.NEVER, st.SPIKE, 0.0, "requests"),
    ]
    assert all(o.period_end is None and o.in_alarm for o in seen)
    assert [(o.crossed_on, o.usage, o.usage_limit) for o in seen] == [
        (day, 0, 0),
        (since, 36, 36),
        (day, 900, 800),
        (day, 5_000, 1_000),
    ]
    assert seen[2].detail == "set year_start_month: 4"


def test_checks_are_silent_from_the_allowed_hours_on():
    since = date(2026, 3, 7)
    assert not st.monitor_silent("acme", since, 35, 36).in_alarm
    assert st.monitor_silent("acme", since, 36, 36).in_alarm


@pytest.mark.parametrize(
    ("series", "period"),
    [(st.ORG, "organisation"), (st.Series("123"), "space 123"), (st.Series("123", new=True), "new space 123")],
)
def test_a_spike_series_is_stored_as_its_period_and_read_back(series: st.Series, period: str):
    assert series.period == period
    assert st.Series.of(period) == series
    assert series.is_org == (series.space_id is None)


@pytest.mark.parametrize("period", ["month", "space ", "new space ", "spaces 1", ""])
def test_a_period_that_is_no_spike_series_is_refused_by_name(period: str):
    with pytest.raises(ValueError, match="not a spike series"):
        st.Series.of(period)


# Whole rows, field by field: a transition that drops or swaps one figure is caught here.
WHEN = DAY.replace(day=20)


def full_seen(**kw: object) -> st.Observation:
    base = st.Observation(
        org="acme",
        period="month",
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
        kind=st.ACTUAL,
        threshold_pct=80.0,
        in_alarm=True,
        crossed_on=date(2026, 6, 12),
        usage=812,
        usage_limit=1000,
        projected_on=date(2026, 6, 25),
        detail="why",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def expected(**kw: object) -> st.Alert:
    base = st.Alert(
        org="acme",
        period="month",
        period_start=date(2026, 6, 1),
        kind=st.ACTUAL,
        threshold_pct=80.0,
        period_end=date(2026, 6, 30),
        crossed_on=date(2026, 6, 12),
        as_of=WHEN,
        usage=812,
        usage_limit=1000,
        projected_on=date(2026, 6, 25),
        status=st.PENDING,
        notice=st.ALARM,
        notice_seq=1,
        evaluated_on=WHEN,
        detail="why",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_raised_row_carries_every_figure_of_what_was_seen():
    assert st.next_state(None, full_seen(), WHEN, quiet=False) == expected()
    assert st.next_state(None, full_seen(), WHEN, quiet=True) == expected(status=st.SUPPRESSED)
    # Without a crossing day (the watchdog's own clock aside), the run's day is the start.
    assert st.next_state(None, full_seen(crossed_on=None), WHEN, quiet=False) == expected(crossed_on=WHEN)


def test_an_alarm_after_a_clear_is_raised_again_with_the_next_notice_number_and_the_runs_quietness():
    cleared = expected(status=st.CLEARED, notice=st.CLEAR, notice_seq=2, evaluated_on=DAY)
    assert st.next_state(cleared, full_seen(), WHEN, quiet=False) == expected(notice_seq=3)
    assert st.next_state(cleared, full_seen(), WHEN, quiet=True) == expected(notice_seq=3, status=st.SUPPRESSED)


def test_back_in_alarm_before_the_clear_went_out_is_raised_anew_with_every_figure_of_the_run():
    clearing = expected(status=st.PENDING, notice=st.CLEAR, notice_seq=2, evaluated_on=DAY, usage=700)
    assert st.next_state(clearing, full_seen(), WHEN, quiet=False) == expected(notice_seq=3)


def test_a_clear_notice_carries_the_runs_figures_and_a_quiet_one_is_recorded_as_cleared():
    told = expected(status=st.SENT, evaluated_on=DAY, as_of=DAY)
    below = full_seen(in_alarm=False, usage=700, usage_limit=1500)
    clear = expected(notice=st.CLEAR, notice_seq=2, usage=700, usage_limit=1500)
    assert st.next_state(told, below, WHEN, quiet=False) == clear
    assert st.next_state(told, below, WHEN, quiet=True) == replace(clear, status=st.CLEARED)


def test_an_alarm_never_told_ends_quietly_as_of_the_run():
    untold = expected(status=st.SUPPRESSED, evaluated_on=DAY, as_of=DAY)
    ended = replace(untold, status=st.CLEARED, notice=st.CLEAR, evaluated_on=WHEN)
    assert st.next_state(untold, full_seen(in_alarm=False), WHEN, quiet=False) == ended


def test_a_quiet_alarm_is_told_by_a_live_run_of_its_own_day_with_that_runs_figures():
    quiet = expected(status=st.SUPPRESSED, usage=800, usage_limit=900, projected_on=None, detail="old")
    now = full_seen(usage=850, crossed_on=None, detail=None)
    told = expected(usage=850, detail="old")  # the recorded start and words stay when the run has none
    assert st.next_state(quiet, now, WHEN, quiet=False) == told
    assert st.next_state(quiet, full_seen(detail="new"), WHEN, quiet=False) == expected(detail="new")
    older = replace(quiet, evaluated_on=DAY)  # recorded on an earlier run: the notice is as of this one
    assert st.next_state(older, now, WHEN, quiet=False) == told


def test_the_constructors_keep_what_they_are_given():
    gap = st.no_data("acme", date(2026, 6, 1), WHEN, True, detail="a hole")
    assert (gap.detail, gap.period, gap.kind, gap.crossed_on) == ("a hole", st.DATA_PERIOD, st.NO_DATA, WHEN)
    episode = st.spike("acme", "space 7", st.NEVER, DAY, True, 900, 100, projected_on=WHEN, detail="{}", meter="bytes")
    assert (episode.projected_on, episode.detail, episode.announce_clear) == (WHEN, "{}", True)
    assert (episode.usage, episode.usage_limit, episode.crossed_on, episode.period_end) == (900, 100, DAY, None)
    assert episode.meter == "bytes"
    quiet_end = st.spike("acme", "space 7", st.NEVER, DAY, False, 1, 1, announce_clear=False, meter="requests")
    assert quiet_end.announce_clear is False


@pytest.mark.parametrize(
    ("series", "space"), [("organisation", None), ("space 100021", "100021"), ("new space 7", "7")]
)
def test_a_spikes_row_names_its_space_in_a_field_of_its_own(series: str, space: str | None):
    row = st.next_state(None, st.spike("acme", series, st.NEVER, DAY, True, 900, 100, meter="requests"), DAY, False)
    assert row is not None
    assert row.space_id == space
    assert raised().space_id is None  # a threshold names no space
