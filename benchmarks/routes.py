"""Routing (issue 38): 10,000 notices through 50 routes, against the same notices with no route (each to
the organisation's channels) in the same run. Pure: no database, no network; median of 5.

The routes are what a team writes: most match a kind and a severity, some a space or a meter, a few
continue; a third of the notices match none and fall through to the default, the slowest path.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace
from datetime import date

from benchmarks.common import report
from storyblok_traffic.rules import alert_state as st
from storyblok_traffic.rules.routes import Route, Routing

NOTICES = 10_000
ROUTES = 50
REPEATS = 5
KINDS = (st.ACTUAL, st.FORECAST, st.SPIKE, st.MAXIMUM, st.OVERAGE, st.NO_DATA)


def notices(rng: random.Random) -> list[st.Alert]:
    base = st.Alert(
        org="acme",
        period="month",
        period_start=date(2026, 12, 1),
        kind=st.ACTUAL,
        threshold_pct=80.0,
        period_end=date(2026, 12, 31),
        crossed_on=date(2026, 12, 3),
        as_of=date(2026, 12, 5),
        usage=900,
        usage_limit=1_000,
        projected_on=None,
        status=st.PENDING,
        notice=st.ALARM,
        notice_seq=1,
        evaluated_on=date(2026, 12, 5),
        meter="requests",
    )
    found = []
    for i in range(NOTICES):
        kind = rng.choice(KINDS)
        space = str(rng.randrange(500)) if kind == st.SPIKE else None
        found.append(
            replace(
                base,
                org=f"org_{i % 20}",
                kind=kind,
                threshold_pct=rng.choice((50.0, 80.0, 100.0)),
                meter=rng.choice(("requests", "bytes")),
                space_id=space,
                period=f"space {space}" if space else base.period,
            )
        )
    return found


def routes(rng: random.Random) -> tuple[Route, ...]:
    found = []
    for i in range(ROUTES):
        match = {"kind": frozenset(rng.sample(KINDS, 2)), "severity": frozenset({rng.choice(("critical", "info"))})}
        if i % 5 == 0:
            match["space"] = frozenset(str(rng.randrange(500)) for _ in range(10))
        if i % 7 == 0:
            match["meter"] = frozenset({"bytes"})
        found.append(Route((f"channel_{i % 8}",), match, go_on=i % 10 == 0))
    return tuple(found)


def timed(routing: Routing, batch: list[st.Alert]) -> float:
    start = time.perf_counter()
    for notice in batch:
        routing(notice)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    rng = random.Random(38)  # noqa: S311 (synthetic notices and routes, seeded)
    batch = notices(rng)
    routed = Routing(routes(rng), default=("slack", "email"))
    unrouted = Routing(default=("slack", "email"))
    fell_through = sum(1 for n in batch if routed(n) == routed.default)
    report(
        {
            "notices": NOTICES,
            "routes": ROUTES,
            "fell_through": fell_through,
            "routed_ms": round(statistics.median(timed(routed, batch) for _ in range(REPEATS)), 1),
            "unrouted_ms": round(statistics.median(timed(unrouted, batch) for _ in range(REPEATS)), 1),
        }
    )


if __name__ == "__main__":
    main()
