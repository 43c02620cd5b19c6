"""Replay: rebuild the day tables of a range from the answers kept in ``raw_responses``, with no API call.

Both endpoints: ``all_traffic``'s answers rebuild the organisation's and spaces' days, ``assets_traffic``'s
the files' days and months.

For after a parser fix, or to fill a fresh warehouse from stored answers. The answers go through the
same upsert rules as the fetches did, oldest first, so a later count replaces an earlier one and a
null byte count never replaces a known one: the tables end as the fetches left them. Only days in
the range are written; the answers themselves, the snapshots and the alerts are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from storyblok_traffic.assets import parse_asset_day
from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.model import ALL_TRAFFIC, ASSETS_TRAFFIC, DailyTraffic, parse_daily
from storyblok_traffic.warehouse import reads
from storyblok_traffic.warehouse.asset_writes import write_asset_day
from storyblok_traffic.warehouse.writes import write_days


@dataclass(frozen=True)
class Replayed:
    answers: int  # stored answers that cover part of the range
    org_days: int  # org day rows inserted or changed
    space_days: int  # space day rows inserted or changed
    asset_answers: int = 0  # stored assets_traffic answers of days in the range
    asset_days: int = 0  # asset day rows inserted, changed or removed

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def replay(conn: Connection, org: str, first: date, last: date) -> Replayed:
    """Rewrite ``org``'s day rows of ``first``..``last`` from its stored answers; the caller owns the transaction."""
    if last < first:
        raise ValueError(f"the last day {last} is before the first day {first}")
    answers = reads.stored_answers(conn, org, ALL_TRAFFIC, first, last)
    org_days = space_days = 0
    for start, end, fetched_at, payload in answers:
        try:
            daily = parse_daily(payload, start, end)
        except StoryblokPayloadError as err:
            raise StoryblokPayloadError(f"the answer for {start}..{end} fetched at {fetched_at}: {err}") from None
        written = write_days(conn, org, _within(daily, first, last), fetched_at)
        org_days, space_days = org_days + written[0], space_days + written[1]
    asset_answers, asset_days = _replay_assets(conn, org, first, last)
    return Replayed(len(answers), org_days, space_days, asset_answers, asset_days)


def _replay_assets(conn: Connection, org: str, first: date, last: date) -> tuple[int, int]:
    """Each stored day of ``assets_traffic`` in the range, oldest answer first: the newest one stands."""
    answers = reads.stored_answers(conn, org, ASSETS_TRAFFIC, first, last)
    written = 0
    for day, _, fetched_at, pages in answers:
        try:
            served = parse_asset_day(pages, day)
        except StoryblokPayloadError as err:
            raise StoryblokPayloadError(f"the assets answer for {day} fetched at {fetched_at}: {err}") from None
        written += write_asset_day(conn, org, served).asset_days
    return len(answers), written


def _within(daily: DailyTraffic, first: date, last: date) -> DailyTraffic:
    return DailyTraffic(
        report=daily.report,
        org_days={d: b for d, b in daily.org_days.items() if first <= d <= last},
        space_days={key: b for key, b in daily.space_days.items() if first <= key[1] <= last},
    )
