"""Routes (pure, and as configured): Alertmanager's semantics, first match unless `continue`, the
organisation's channels for a notice no route matches, and a route refused at load naming what is wrong."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storyblok_traffic.config import ConfigError, load_config
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.routes import Route, Routing
from tests.unit.rules.test_messages import alert

CROSSING = alert(threshold_pct=80.0, meter="requests")  # a monthly threshold below 100%: warning
REACHED = replace(CROSSING, threshold_pct=100.0)  # critical
MAXIMUM = replace(CROSSING, kind=st.MAXIMUM, threshold_pct=100.0)
SPIKE_7 = replace(CROSSING, kind=st.SPIKE, period="space 7", period_start=st.NEVER, threshold_pct=0.0, space_id="7")
SPIKE_9 = replace(SPIKE_7, period="space 9", space_id="9")
FORECAST = replace(CROSSING, kind=st.FORECAST, period="year", threshold_pct=100.0)

ROUTING = Routing(
    (
        Route(("pager",), {"severity": frozenset({"critical"})}, go_on=True),
        Route(("space-team",), {"kind": frozenset({"spike"}), "space": frozenset({"7", "8"})}),
        Route(("email",), {"kind": frozenset({"actual", "maximum"}), "meter": frozenset({"requests"})}),
    ),
    default=("slack",),
)


@pytest.mark.parametrize(
    ("notice", "channels"),
    [
        (CROSSING, ("email",)),  # the third route: the first that matches decides
        (REACHED, ("pager", "email")),  # critical: the pager, and on (continue) to the crossing's route
        (MAXIMUM, ("pager", "email")),
        (SPIKE_7, ("space-team",)),  # space 7 is the team's
        (SPIKE_9, ("slack",)),  # another space: no route matches, the organisation's channels
        (FORECAST, ("slack",)),
    ],
)
def test_the_first_route_that_matches_decides_unless_it_continues(notice, channels):
    assert ROUTING(notice) == channels


def test_a_route_that_continues_and_nothing_after_it_still_decides():
    """Alertmanager: a matching route with continue counts as matched; the default is for no match."""
    only = Routing((Route(("pager",), {"severity": frozenset({"critical"})}, go_on=True),), default=("slack",))
    assert only(REACHED) == ("pager",)
    assert only(CROSSING) == ("slack",)
    assert ROUTING.channels == ("slack", "pager", "space-team", "email")


def test_a_field_the_notice_lacks_matches_no_value_and_an_empty_match_every_notice():
    spaces = Routing((Route(("space-team",), {"space": frozenset({"7"})}),), default=("slack",))
    assert spaces(CROSSING) == ("slack",)  # a threshold has no space
    assert Routing((Route(("all",)),), default=("slack",))(CROSSING) == ("all",)
    assert Routing()(CROSSING) == ()  # no route and no channel: nowhere


def _config(tmp_path, routes: str):
    path = tmp_path / "c.yaml"
    path.write_text(
        "channels:\n  - {name: slack, type: slack, conn_id: a}\n  - {name: pager, type: webhook, conn_id: b}\n"
        "organisations:\n  - conn_id: sb\n    org: acme\n" + routes
    )
    return load_config(path)


def test_routes_from_the_configuration_route_as_written(tmp_path):
    config = _config(
        tmp_path,
        "routes:\n"
        "  - {match: {severity: critical}, channels: [pager], continue: true}\n"
        "  - {match: {kind: [spike], space: 7}, channels: [pager]}\n",
    )
    routing = config.routing(config.organisations[0])
    assert routing(REACHED) == ("pager",)  # critical: the first route, and no other matches after it
    assert routing(SPIKE_7) == ("pager",)  # space: 7 read as a number, matched as the id it is
    assert routing(CROSSING) == ("slack", "pager")  # no route: the organisation's channels (all of them)


@pytest.mark.parametrize(
    ("routes", "told"),
    [
        ("  - {matches: {kind: spike}, channels: [pager]}\n", "route 1: unknown setting matches: did you mean match?"),
        ("  - {match: {kind: spikes}, channels: [pager]}\n", "'spikes'"),
        ("  - {match: {kind: spike}, channels: [pagr]}\n", "route 1: unknown channel(s) pagr; known: slack, pager"),
        (
            "  - {match: {org: acme}, channels: [pager]}\n  - {match: {org: acne}, channels: [pager]}\n",
            "route 2: match org acne is not monitored",
        ),
        ("  - {match: {kind: spike}, channels: []}\n", "channels"),
    ],
)
def test_a_wrong_route_is_refused_at_load_naming_it(tmp_path, routes, told):
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, "routes:\n" + routes)
    assert told in str(err.value)
