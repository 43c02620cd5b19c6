"""The ``assets_traffic`` answer, parsed and validated into typed objects (no I/O).

``GET /v1/orgs/me/statistics/assets_traffic`` answers the bytes each of the organisation's assets (its
files: images, videos, documents) served in the requested days. It takes no ``group_by``: the package
asks one day per request. Its paging is undocumented; the Management API's list convention (``page``,
``per_page``, the ``Total`` and ``Per-Page`` headers) is followed when the answer sends those headers,
so one day's answer is one or more pages. They are kept as received, as a JSON array of the pages'
bodies, and parsed together: an asset listed on two pages with different figures is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from math import ceil
from typing import Any

import msgspec
from msgspec.structs import force_setattr

from storyblok_traffic.errors import StoryblokPayloadError
from storyblok_traffic.model import Count, checked_utf8, describe_invalid, not_json

# Pages of one day past this are refused, not requested: at the 1,000 assets a page the package asks
# for, 100 pages is 100,000 assets served in a day.
MAX_PAGES = 100


class AssetBytes(msgspec.Struct, frozen=True):
    """One asset and the bytes it served in the requested days."""

    id: Count
    filename: str
    space_id: str | int  # always a str once parsed, as the traffic tables keep space ids
    total_bytes: Count
    content_type: str | None = None
    content_length: Count | None = None  # the file's size in bytes
    is_private: bool | None = None
    deleted_at: datetime | None = None  # set: deleted in Storyblok, and still served
    alt: str | None = None
    asset_folder_id: Count | None = None

    def __post_init__(self) -> None:
        if isinstance(self.space_id, int):
            force_setattr(self, "space_id", str(self.space_id))


class AssetsTraffic(msgspec.Struct, frozen=True):
    """One page of ``GET /v1/orgs/me/statistics/assets_traffic``."""

    assets: list[AssetBytes]


@dataclass(frozen=True)
class AssetDay:
    """The assets that served bytes on ``day``, by asset id."""

    day: date
    assets: dict[int, AssetBytes]


@dataclass(frozen=True)
class Paging:
    """What an answer's headers say of its pages: the assets in all of them, and how many a page holds."""

    total: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def paging(headers: Any) -> Paging | None:
    """The ``Total`` and ``Per-Page`` headers, checked; None when the answer sends neither (not paged)."""
    total, per_page = headers.get("Total"), headers.get("Per-Page")
    if total is None and per_page is None:
        return None
    found = {"Total": total, "Per-Page": per_page}
    for name, value in found.items():
        if value is None or not value.strip().isdigit():
            raise StoryblokPayloadError(
                f"Storyblok's assets_traffic answer is paged but its {name} header is {value!r}, not a count"
            )
    pages = Paging(total=int(found["Total"]), per_page=int(found["Per-Page"]))
    if pages.per_page == 0:
        raise StoryblokPayloadError("Storyblok's assets_traffic answer is paged with a Per-Page header of 0")
    if pages.pages > MAX_PAGES:
        raise StoryblokPayloadError(
            f"Storyblok's assets_traffic answer says {pages.total:,} assets in pages of {pages.per_page:,}: "
            f"{pages.pages:,} pages, more than the {MAX_PAGES} a day this package reads"
        )
    return pages


def pages_text(bodies: list[bytes]) -> bytes:
    """The pages' bodies as one JSON array, each as received: the form a day's answer is kept in."""
    return b"[" + b",".join(bodies) + b"]"


def parse_asset_day(pages: str | bytes | list[Any], day: date, total: int | None = None) -> AssetDay:
    """Validate a day's pages (their JSON array as kept, or the decoded list); ``total``: the assets the
    ``Total`` header announced, which the pages must hold. A wrong field raises naming the page and field."""
    try:
        if isinstance(pages, bytes | str):
            answers = msgspec.json.decode(checked_utf8(pages), type=list[AssetsTraffic], strict=False)
        else:
            answers = msgspec.convert(pages, list[AssetsTraffic], strict=False)
    except msgspec.ValidationError as err:
        raise StoryblokPayloadError(_paged(describe_invalid(err, pages))) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as err:
        raise not_json(pages if isinstance(pages, bytes | str) else str(pages), err) from None
    assets: dict[int, AssetBytes] = {}
    for number, page in enumerate(answers, start=1):
        for asset in page.assets:
            seen = assets.setdefault(asset.id, asset)
            if seen != asset:
                raise StoryblokPayloadError(
                    f"Storyblok's assets_traffic answer for {day} lists asset {asset.id} twice with different "
                    f"figures (page {number}): which one is meant is unknown"
                )
    listed = sum(len(page.assets) for page in answers)
    if total is not None and listed != total:
        raise StoryblokPayloadError(
            f"Storyblok's assets_traffic answer for {day} announced {total:,} assets (its Total header) and its "
            f"{len(answers)} page(s) hold {listed:,}"
        )
    return AssetDay(day=day, assets=assets)


def _paged(message: str) -> str:
    """The validator's path starts at the list of pages: "3.assets.0.id" is said as page 4's "assets.0.id"."""
    head, sep, rest = message.partition(": ")
    number, dot, where = rest.partition(".")
    if sep and number.isdigit() and dot:
        return f"{head}: page {int(number) + 1}: {where}"
    return message
