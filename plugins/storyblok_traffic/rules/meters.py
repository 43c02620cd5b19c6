"""Storyblok's two meters and its two ways of billing them (pure names; the configuration imports this
at every DAG parse, the bill's arithmetic in ``rules.plans`` only when a bill is made)."""

from __future__ import annotations

from typing import Literal

Meter = Literal["requests", "bytes"]
METERS: tuple[Meter, ...] = ("requests", "bytes")
Billing = Literal["monthly", "yearly"]
MONTHS_BILLED: dict[str, int] = {"monthly": 1, "yearly": 12}
