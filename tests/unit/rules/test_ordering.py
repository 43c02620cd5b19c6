"""Which days a check evaluates: the plan that makes any order end like date order."""

from __future__ import annotations

from datetime import date

from storyblok_traffic.rules.ordering import Plan, is_quiet, plan

D = date(2026, 3, 10)


def day(n: int) -> date:
    return date(2026, 3, n)


def test_the_first_check_evaluates_its_day():
    assert plan({D: False}, {}, None, None) == Plan(D, None, {D: False})


def test_the_next_day_needs_no_rewind():
    assert plan({day(11): False}, {}, day(10), None) == Plan(day(11), None, {day(11): False})


def test_an_earlier_day_rewinds_to_itself():
    assert plan({day(5): True}, {}, day(10), None) == Plan(day(5), day(5), {day(5): True})


def test_changed_data_rewinds_to_the_earliest_change():
    assert plan({day(11): False}, {}, day(10), day(7)) == Plan(day(7), day(7), {day(11): False})


def test_a_change_after_every_checked_day_needs_no_rewind():
    assert plan({day(11): False}, {}, day(10), day(11)) == Plan(day(11), None, {day(11): False})


def test_a_rerun_of_a_current_day_changes_nothing():
    assert plan({day(8): True}, {day(8): True}, day(10), None) == Plan(None, None)


def test_a_rerun_keeps_the_quiet_flag_of_its_first_check():
    # Notified when it was recent; run again when it is old: it stays what it was.
    assert plan({day(8): True}, {day(8): False}, day(10), None) == Plan(None, None)


def test_a_backfill_turns_checked_days_quiet_and_rewinds_to_them():
    assert plan({day(8): True, day(9): True}, {day(8): False}, day(10), None, backfill=True) == Plan(
        day(8), day(8), {day(8): True, day(9): True}
    )


def test_quiet_means_older_than_the_lookback():
    assert not is_quiet(day(7), today=day(10), lookback_days=3)
    assert is_quiet(day(6), today=day(10), lookback_days=3)


def test_nothing_new_on_a_first_check_plans_nothing():
    assert plan({}, {}, None, None) == Plan(None, None, {})


def test_a_day_equal_to_the_newest_checked_rewinds_to_itself():
    """Checked through the 10th, the 10th again (now quiet by a backfill): it is re-evaluated, so rewound."""
    assert plan({day(10): True}, {day(10): False}, day(10), None, backfill=True) == Plan(
        day(10), day(10), {day(10): True}
    )


def test_data_changed_on_the_newest_checked_day_rewinds_to_it():
    assert plan({day(11): False}, {}, day(10), day(10)) == Plan(day(10), day(10), {day(11): False})
