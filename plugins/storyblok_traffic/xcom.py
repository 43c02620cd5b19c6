"""Every XCom payload between this package's tasks, in one style: a msgspec struct, stored as its
builtins (JSON) form by ``dump`` and validated back by ``load``.

``FetchedTraffic`` goes from the fetch task to ``upsert``, ``Upserted`` from ``upsert`` to the check,
``Range`` from the backfill's load to its evaluation; the check's ``Evaluation`` (in
``evaluation.result``) is pushed as ``usage_summary`` by the same ``dump``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar

import msgspec

from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.model import ALL_TRAFFIC, DailyTraffic, parse_daily

if TYPE_CHECKING:
    from storyblok_traffic.assets import AssetDay

T = TypeVar("T")


def dump(value: Any) -> Any:
    """The plain JSON form XCom stores: dates as ISO strings, structs and dataclasses as objects."""
    return msgspec.to_builtins(value)


def load(value: Any, kind: type[T]) -> T:
    """``value`` pulled from XCom, validated into ``kind``; a malformed one fails naming the field."""
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as err:
        raise StoryblokPayloadError(f"{kind.__name__} from XCom is malformed: {err}") from None


class _Payload(msgspec.Struct, frozen=True):
    """A payload's XCom form both ways: ``to_xcom`` is ``dump``, ``from_xcom`` is ``load`` into the class."""

    def to_xcom(self) -> dict[str, Any]:
        return dump(self)

    @classmethod
    def from_xcom(cls, value: Any) -> Self:
        return load(value, cls)


class FetchedTraffic(_Payload, frozen=True):
    """What the fetch task hands to the upsert task: the answer and its request.

    ``payload`` is the answer's JSON text as fetched (token blanked), or its decoded value in an
    XCom written by an older version; both parse and store alike.
    """

    org: str
    start_date: date
    end_date: date
    group_by: str
    fetched_at: datetime
    payload: str | dict[str, Any]
    endpoint: str = ALL_TRAFFIC  # which statistics endpoint answered (an older version's XCom: this one)

    def daily(self) -> DailyTraffic:
        return parse_daily(self.payload, self.start_date, self.end_date)

    def assets(self) -> AssetDay:
        """An ``assets_traffic`` answer's pages, validated (the fetch asks one day: ``start_date``)."""
        from storyblok_traffic.assets import parse_asset_day

        return parse_asset_day(self.payload if isinstance(self.payload, str) else [self.payload], self.start_date)


class Upserted(_Payload, frozen=True):
    """What ``upsert_traffic`` wrote for one fetch."""

    org: str
    start_date: date
    end_date: date  # the run's day
    org_days: int  # org days in the answer
    fetched_day: bool  # the answer had a row for the run's day
    written: dict[str, int]  # table -> rows inserted or changed


class Range(_Payload, frozen=True):
    """Days from ``first`` to ``last``, both included: what a backfill run loads and evaluates."""

    first: date
    last: date
