"""Which days a usage check evaluates (pure): every check leaves the state date order would leave.

Alert state is a fold over the checked days in date order. The warehouse keeps, per organisation,
the days checked so far (each with whether it was quiet: recorded, never notified) and the earliest
day whose stored data changed since (a watermark the upsert writes in its own transaction). A check
for any day, in any order, rewinds the alert state to just before the earliest day now out of date
and evaluates every checked day from there, in date order, its own included. So a late retry, a
rerun of an old day or a parallel backfill ends exactly where the same days run one by one would,
and no check waits for another (Airflow's ``depends_on_past`` used to: a day that never completed
stalled every later check).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Plan:
    """Rewind to before ``rewind_to`` (None: no rewind), record ``new`` as checked, then evaluate from ``first``."""

    first: date | None  # None: every requested day is checked and current; report, change nothing
    rewind_to: date | None
    new: dict[date, bool] = field(default_factory=dict)  # day -> quiet, days to record as checked


def plan(
    requested: Mapping[date, bool],
    known: Mapping[date, bool],
    checked_through: date | None,
    changed_from: date | None,
    backfill: bool = False,
) -> Plan:
    """What a check of ``requested`` (day -> quiet now) must evaluate.

    ``known``: the requested days checked before, with their quiet flag (a day keeps the flag of its
    first check, so a rerun of an old day that was notified then does not turn it quiet; a
    ``backfill`` turns days quiet). ``checked_through``: the newest day checked before. ``changed_from``: the
    earliest day whose data changed since it was evaluated.
    """
    wanted = {day: True if backfill else known.get(day, quiet) for day, quiet in requested.items()}
    new = {day: quiet for day, quiet in wanted.items() if known.get(day) != quiet}
    if checked_through is None:
        return Plan(min(new), None, new) if new else Plan(None, None)
    starts = [day for day in new if day <= checked_through]
    if changed_from is not None and changed_from <= checked_through:
        starts.append(changed_from)
    if starts:
        return Plan(min(starts), min(starts), new)
    if new:
        return Plan(min(new), None, new)
    return Plan(None, None)


def is_quiet(day: date, today: date, lookback_days: int) -> bool:
    """Recorded without a notice: older than the lookback."""
    return (today - day).days > lookback_days
