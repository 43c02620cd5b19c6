"""Storyblok's two meters and its two ways of billing them (pure names; the configuration imports this
at every DAG parse, the bill's arithmetic in ``rules.plans`` only when a bill is made)."""

from __future__ import annotations

from typing import Literal

Meter = Literal["requests", "bytes"]
METERS: tuple[Meter, ...] = ("requests", "bytes")
Billing = Literal["monthly", "yearly"]
MONTHS_BILLED: dict[str, int] = {"monthly": 1, "yearly": 12}
# What people call each meter, in notices and on the dashboard.
METER_NAMES: dict[str, str] = {"requests": "API requests", "bytes": "bandwidth"}
# What people call each meter at a line's or a title's start.
METER_TITLES: dict[str, str] = {"requests": "API requests", "bytes": "Bandwidth"}
# The meter as a noun before "limit" ("the monthly bandwidth limit").
METER_NOUNS: dict[str, str] = {"requests": "request", "bytes": "bandwidth"}
