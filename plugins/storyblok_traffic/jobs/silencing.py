"""``storyblok-traffic silence``'s work: make, list and expire silences (``warehouse.silences``).

Each function owns no transaction: the command opens one around it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from storyblok_traffic.errors import SilenceError
from storyblok_traffic.rules.silences import CLI, Silence, matcher
from storyblok_traffic.warehouse import silences

_SPAN = re.compile(r"^([1-9][0-9]*)([hdw])$")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
LONGEST = timedelta(days=92)  # as the dashboard's: a silence is for a known cause, not for ever


def span(text: str) -> timedelta:
    """``4h``, ``3d``, ``2w`` as a time span; anything else refused, naming the forms."""
    found = _SPAN.match(text.strip())
    if re.fullmatch(r"0+[hdw]", text.strip()):
        raise SilenceError(f"--for {text!r}: a silence holds an hour at least (1h)")
    if found is None:
        raise SilenceError(f"--for {text!r}: give hours, days or weeks, such as 4h, 3d or 2w")
    return timedelta(hours=int(found[1]) * _UNIT_HOURS[found[2]])


def make(
    conn: Connection, org: str, match: Mapping[str, Sequence[str]], until: datetime, reason: str, by: str, now: datetime
) -> Silence:
    """A silence of ``org`` from ``now`` until ``until``; refused (before anything is written) when it
    would end before it starts, last longer than ``LONGEST``, or gives no reason."""
    if until <= now:
        raise SilenceError(f"it would end at {until:%Y-%m-%d %H:%M} UTC, which is not after now")
    if until - now > LONGEST:
        raise SilenceError(f"it would hold {(until - now).days} days; a silence holds at most {LONGEST.days}")
    if not reason.strip():
        raise SilenceError("--reason: say why (it is told when the silence ends while a notice it held is open)")
    try:
        matched = matcher(match)
    except ValueError as err:
        raise SilenceError(str(err)) from None
    return silences.add(conn, Silence("", org, matched, now, until, reason.strip(), by, CLI), now)


def listing(conn: Connection, org: str | None, now: datetime, everything: bool = False) -> str:
    """The silences as a table, the newest first: those that hold or will, or (``everything``) all, with
    every change to each."""
    found = [s for s in silences.load(conn, org) if everything or s.ended_at > now]
    if not found:
        return "no silences" + ("" if everything else " holding or to come (--all shows those that ended)")
    changes = silences.changes(conn, [s.id for s in found])
    lines = []
    for s in found:
        lines.append(
            f"{s.id}  {s.org}  {s.state(now)}  {s.describe()}  until {_utc(s.ended_at)}  by {s.created_by} "
            f"({s.source}): {s.reason}"
        )
        lines += [f"    {_utc(c.at)}  {c.who}: {c.what}" for c in changes if c.silence_id == s.id]
    return "\n".join(lines)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
