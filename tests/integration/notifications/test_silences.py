"""Silences through a real delivery (issue 38): a silence hides a spike and its end, and nothing else;
a silenced notice is recorded with its silence and never waits; when a silence ends while what it held
is still open, one notice says so, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from storyblok_traffic.config import MonitorConfig, OrgConfig, RouteMatch, SilenceConfig
from storyblok_traffic.errors import SilenceError
from storyblok_traffic.notifications.delivery import deliver_pending
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.silences import CLI, Silence
from storyblok_traffic.warehouse import alerts, silences
from storyblok_traffic.warehouse.engine import begin
from tests.integration.conftest import History
from tests.integration.pipeline import SLACK
from tests.unit.rules.test_message_batch import SPACE_SPIKE, YEAR80

ORG = OrgConfig(conn_id="sb", org="acme")
DAY = date(2026, 11, 26)
# Still open whenever the test runs: its year has not ended.
OPEN_YEAR = replace(YEAR80, status=st.PENDING, period_end=date(2099, 12, 31))
SPIKE = replace(SPACE_SPIKE, status=st.PENDING)


def silence(match: dict[str, frozenset[str]], hours: int = 4) -> Silence:
    now = datetime.now(UTC).replace(microsecond=0)
    return Silence("", "acme", match, now, now + timedelta(hours=hours), "CDN migration", "alice", CLI)


def deliver(engine, schema, config: MonitorConfig):
    with begin(engine, schema) as conn:
        return deliver_pending(conn, ORG, config.channels, config.routing(ORG))


def rows(engine, schema) -> dict[str, st.Alert]:
    with begin(engine, schema) as conn:
        return {a.kind: a for a in alerts.history(conn, "acme")}


def test_a_silence_hides_a_spike_and_its_end_and_nothing_else(engine, schema, receiver):
    History(engine, schema)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,))
    with begin(engine, schema) as conn:
        made = silences.add(conn, silence({"kind": frozenset({"spike"})}), datetime.now(UTC))
        alerts.save(conn, [SPIKE, OPEN_YEAR], DAY, before={})
    first = deliver(engine, schema, config)
    [text] = receiver.texts()
    assert "Yearly request limit" in text
    assert "12345" not in text
    assert list(first.sent) == ["slack"]
    spike = rows(engine, schema)[st.SPIKE]
    assert (spike.status, spike.silence_id) == (st.SILENCED, made.id)
    with begin(engine, schema) as conn:
        assert alerts.count_pending(conn, "acme") == 0  # neither the notify branch nor the watchdog retries it

    # The spike ends while the silence holds: its "back to normal" is silenced too.
    ended = st.spike("acme", SPIKE.period, SPIKE.period_start, SPIKE.crossed_on, False, 1_000, 1_000, meter="requests")
    back = st.next_state(spike, ended, DAY + timedelta(days=1), quiet=False)
    assert back is not None
    assert (back.status, back.notice) == (st.PENDING, st.CLEAR)
    with begin(engine, schema) as conn:
        alerts.save(conn, [back], DAY + timedelta(days=1), before={back.key: spike})
    deliver(engine, schema, config)
    assert len(receiver.texts()) == 1  # nothing more was sent
    cleared = rows(engine, schema)[st.SPIKE]
    assert (cleared.status, cleared.notice, cleared.silence_id) == (st.SILENCED, st.CLEAR, made.id)


def test_a_silence_that_ends_while_its_notice_is_open_tells_so_once(engine, schema, receiver):
    History(engine, schema)
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,))
    with begin(engine, schema) as conn:
        made = silences.add(conn, silence({"kind": frozenset({"actual"})}), datetime.now(UTC))
        alerts.save(conn, [OPEN_YEAR], DAY, before={})
    deliver(engine, schema, config)
    assert receiver.texts() == []
    with begin(engine, schema) as conn:
        silences.expire(conn, "acme", made.id, "bob", datetime.now(UTC), CLI)
    deliver(engine, schema, config)
    deliver(engine, schema, config)  # and again: nothing twice
    [text] = receiver.texts()
    lines = text.splitlines()
    assert lines[1].startswith(f"Silence {made.id} (CDN migration) ended at ")
    assert lines[1].endswith("UTC; what it held is still open:")
    assert "Yearly request limit" in text
    year = rows(engine, schema)[st.ACTUAL]
    assert (year.status, year.silence_id, year.notice_seq) == (st.SENT, None, OPEN_YEAR.notice_seq + 1)
    with begin(engine, schema) as conn:
        said = [(c.who, c.what) for c in silences.changes(conn, [made.id])]
    assert said == [
        ("alice", f"made (cli): kind=actual until {made.ends_at:%Y-%m-%d %H:%M} UTC"),
        ("bob", "expired (cli)"),
    ]


def test_a_configured_silence_is_stored_once_and_expired_when_it_leaves_the_file(engine, schema):
    History(engine, schema)
    ends = datetime.now(UTC) + timedelta(days=2)
    kept = SilenceConfig(ends=ends, reason="load test", match=RouteMatch(kind="spike"))
    config = MonitorConfig(warehouse_schema=schema, channels=(SLACK,), organisations=(ORG,), silences=(kept,))
    [configured] = config.silences_for(ORG)
    now = datetime.now(UTC)
    with begin(engine, schema) as conn:
        silences.sync_configured(conn, "acme", config.silences_for(ORG), now)
        silences.sync_configured(conn, "acme", config.silences_for(ORG), now + timedelta(minutes=1))
        assert [s.id for s in silences.load(conn, "acme")] == [configured.id]
        with pytest.raises(SilenceError, match="kept in the configuration file"):
            silences.expire(conn, "acme", configured.id, "bob", now, CLI)
        silences.sync_configured(conn, "acme", (), now + timedelta(minutes=2))
        [gone] = silences.load(conn, "acme")
        said = [c.what for c in silences.changes(conn, [configured.id])]
    assert gone.ended_at == now + timedelta(minutes=2)
    assert said == [
        f"read from the configuration: kind=spike until {ends:%Y-%m-%d %H:%M} UTC",
        "expired: gone from the configuration",
    ]
