"""Silences (pure): what one matches, when it holds, which of several holds a notice, and how a silenced
notice moves on (issue 38)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.notices import OPEN, RESOLVED, lifecycle
from storyblok_traffic.rules.quiet_history import recorded_quietly
from storyblok_traffic.rules.silences import Silence, configured_id, matcher, silencing
from tests.unit.rules.test_message_batch import DAY, SPACE_SPIKE, YEAR80

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def made(id: str, match: dict[str, set[str]], hours: int = 4, org: str = "acme", **kw: object) -> Silence:
    values = {k: frozenset(v) for k, v in match.items()}
    return Silence(id, org, values, NOW - timedelta(hours=1), NOW + timedelta(hours=hours), "why", "alice", **kw)  # type: ignore[arg-type]


def test_a_silence_matches_as_a_route_does_within_its_organisation():
    spikes = made("1", {"kind": {"spike"}, "space": {"12345"}})
    assert spikes.matches(SPACE_SPIKE)
    assert not spikes.matches(YEAR80)  # another kind
    assert not spikes.matches(replace(SPACE_SPIKE, space_id="777", period="space 777"))  # another space
    assert not made("2", {"kind": {"spike"}}, org="globex").matches(SPACE_SPIKE)  # another organisation
    assert made("3", {}).matches(YEAR80)  # matching nothing in particular: everything of its organisation
    assert made("4", {"severity": {"warning", "critical"}}).matches(YEAR80)  # a list: any of its values


def test_a_silence_holds_from_its_start_until_its_end_or_its_expiry():
    s = made("1", {})
    assert s.holds(NOW)
    assert not s.holds(NOW + timedelta(hours=4))
    assert not s.holds(NOW - timedelta(hours=2))
    expired = replace(s, expired_at=NOW + timedelta(minutes=5))
    assert expired.ended_at == NOW + timedelta(minutes=5)
    assert expired.holds(NOW)
    assert not expired.holds(NOW + timedelta(minutes=5))


def test_of_several_silences_the_one_that_ends_last_holds_the_notice():
    short, long, other = (
        made("1", {}, hours=1),
        made("2", {"kind": {"actual"}}, hours=8),
        made("3", {"kind": {"spike"}}),
    )
    assert silencing([short, long, other], YEAR80, NOW) == long
    assert silencing([short, long, other], YEAR80, NOW + timedelta(hours=9)) is None


def test_a_matcher_refuses_a_field_a_silence_cannot_match():
    assert matcher({"kind": ["spike"], "space": ["12345"], "meter": []}) == {
        "kind": frozenset({"spike"}),
        "space": frozenset({"12345"}),
    }
    with pytest.raises(ValueError, match="cannot match on org, threshold; a silence matches kind, meter"):
        matcher({"threshold": ["80"], "org": ["acme"]})
    with pytest.raises(ValueError, match="name at least one of kind, meter, period, severity or space"):
        matcher({"kind": [], "space": []})
    with pytest.raises(ValueError, match="period 'quarter' is not year, month, organisation or a space's series"):
        matcher({"period": ["quarter"]})
    assert matcher({"period": ["space 7", "new space 8", "month"]})["period"] == {"space 7", "new space 8", "month"}


def test_a_matcher_whose_kinds_and_periods_never_meet_is_refused():
    """A silence that can match no notice would hold nothing while its maker thinks it holds: refused."""
    for never in (
        {"kind": ["spike"], "period": ["month"]},  # a spike's period is its series
        {"kind": ["actual", "forecast"], "period": ["organisation", "space 7"]},
        {"kind": ["no_data"], "period": ["year"]},  # its period is the pseudo-period "data"
    ):
        with pytest.raises(ValueError, match="matches no notice: a spike's period is its series"):
            matcher(never)
    for some in (
        {"kind": ["spike", "actual"], "period": ["month"]},
        {"kind": ["spike"], "period": ["organisation", "year"]},
        {"period": ["space 7"]},
        {"kind": ["overage"], "period": ["month"]},
    ):
        assert matcher(some)["period"] == frozenset(some["period"])


def test_a_configured_silence_keeps_its_id_and_a_changed_one_gets_another():
    ends = NOW + timedelta(days=1)
    one = configured_id("acme", {"kind": frozenset({"spike"})}, NOW, ends, "load test")
    assert one == configured_id("acme", {"kind": frozenset({"spike"})}, NOW, ends, "load test")
    assert one.startswith("config-")
    assert one != configured_id("acme", {"kind": frozenset({"spike"})}, NOW, ends, "another reason")


def test_a_silenced_alarm_counts_as_told_its_end_is_due_and_a_new_alarm_after_a_silenced_end_too():
    silenced = replace(SPACE_SPIKE, status=st.SILENCED, silence_id="1")
    over = st.spike("acme", silenced.period, silenced.period_start, DAY, False, 5_000, 5_000, meter="requests")
    clear = st.next_state(silenced, over, DAY + timedelta(days=1), quiet=False)
    assert clear is not None
    assert (clear.status, clear.notice, clear.silence_id) == (st.PENDING, st.CLEAR, None)
    again = st.spike("acme", silenced.period, silenced.period_start, DAY, True, 50_000, 5_000, meter="requests")
    silenced_clear = replace(clear, status=st.SILENCED, silence_id="1")
    raised = st.next_state(silenced_clear, again, DAY + timedelta(days=2), quiet=False)
    assert raised is not None
    assert (raised.status, raised.notice) == (st.PENDING, st.ALARM)


def test_a_silenced_notice_is_shown_open_or_resolved_never_as_recorded_quietly():
    open_alarm = replace(YEAR80, status=st.SILENCED, silence_id="1")
    assert lifecycle(open_alarm, DAY, DAY, delivered=False) == OPEN
    ended = replace(open_alarm, status=st.CLEARED, notice=st.CLEAR)
    assert not recorded_quietly(ended, delivered=False)
    assert lifecycle(ended, DAY, DAY, delivered=False) == RESOLVED


def test_configured_silences_belong_to_the_organisations_they_name(tmp_path):
    from tests.unit.rules.test_routes import _config

    config = _config(
        tmp_path,
        "  - conn_id: sb2\n    org: globex\n"
        "silences:\n"
        "  - {match: {org: globex, kind: spike, space: 7}, ends: 2026-12-24T18:00:00Z, reason: CDN migration}\n"
        "  - {match: {severity: info}, ends: 2026-12-24T18:00:00+01:00, starts: 2026-12-20T00:00:00Z, reason: freeze,"
        " created_by: ops}\n",
    )
    acme, globex = config.organisations
    [everything] = config.silences_for(acme)
    assert (everything.match, everything.created_by, everything.source) == (
        {"severity": frozenset({"info"})},
        "ops",
        "configuration",
    )
    assert everything.ends_at == datetime(2026, 12, 24, 17, tzinfo=UTC)
    spike, _ = config.silences_for(globex)
    assert (spike.org, spike.match) == ("globex", {"kind": frozenset({"spike"}), "space": frozenset({"7"})})
    assert spike.id != everything.id
    assert spike.id == config.silences_for(globex)[0].id


@pytest.mark.parametrize(
    ("silence", "told"),
    [
        ("{ends: 2026-12-24 18:00, reason: x}", "ends '2026-12-24 18:00' must be a time with its zone, such as "),
        ("{ends: 2026-12-24T18:00:00Z}", "silence 1: missing reason"),
        ("{match: {org: acne}, ends: 2026-12-24T18:00:00Z, reason: x}", "silence 1: match org acne is not monitored"),
        ("{match: {kind: spikes}, ends: 2026-12-24T18:00:00Z, reason: x}", "'spikes'"),
        (
            "{match: {kind: spike}, ends: 2026-12-24T18:00:00Z, starts: 2026-12-25T00:00:00Z, reason: x}",
            "silence 1: starts (2026-12-25",
        ),
        ("{until: 2026-12-24T18:00:00Z, reason: x}", "silence 1: unknown setting until"),
        ("{ends: 2026-12-24T18:00:00Z, reason: x}", "silence 1: name at least one of kind, meter, period, severity"),
        ("{match: {space: abc}, ends: 2026-12-24T18:00:00Z, reason: x}", "silence 1: space 'abc' is not a space id"),
    ],
)
def test_a_wrong_silence_is_refused_at_load_naming_it(tmp_path, silence, told):
    from storyblok_traffic.config import ConfigError
    from tests.unit.rules.test_routes import _config

    with pytest.raises(ConfigError) as err:
        _config(tmp_path, f"silences:\n  - {silence}\n")
    assert told in str(err.value)
