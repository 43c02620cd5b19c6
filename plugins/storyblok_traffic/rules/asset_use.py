"""Which files carry a period's bandwidth, and what to do about each, in words (pure).

A bandwidth notice names the files behind most of its bytes: filename, space, type, size, bytes, the
times served (bytes / the file's size) and the share of the period's bytes. Each hint is one rule:

- an image over 1 MB served more than 1,000 times: serve it resized through Storyblok's Image Service;
- a video: Storyblok's asset CDN serves it whole to every viewer;
- a file deleted in Storyblok and still served: something still links it;
- a private file: served through signed links only, so whoever fetches it holds one.
"""

from __future__ import annotations

from datetime import date

import msgspec

from storyblok_traffic.rules.plans import amount_text

RESIZE_FROM_BYTES = 1_000_000  # an image larger than this ...
RESIZE_FROM_TIMES = 1_000  # ... served more often than this in the period is worth resizing
MB = 1_000_000


class AssetUse(msgspec.Struct, frozen=True, omit_defaults=True):
    """One file's bytes in a period, with what the warehouse knows of it (kept with the notice that names it)."""

    asset_id: int
    filename: str
    space_id: str
    content_type: str | None
    content_length: int | None  # the file's size in bytes; None when Storyblok did not say
    is_private: bool | None
    deleted: bool
    total_bytes: int
    # of a day's file: its normal day (the median of the same weekday before it), 0 when it served nothing then
    usual_bytes: int | None = None

    @property
    def times_served(self) -> int | None:
        """Bytes over the file's size: whole downloads, as if none was partial or resized."""
        return self.total_bytes // self.content_length if self.content_length else None

    @property
    def name(self) -> str:
        """The file's name without Storyblok's path (``hero.png``), else its id."""
        return self.filename.rstrip("/").rsplit("/", 1)[-1] or f"asset {self.asset_id}"


def hints(use: AssetUse) -> list[str]:
    """What to do about the file, each rule's words; none for a file nothing is known to be wrong with."""
    found = []
    kind = use.content_type or ""
    times = use.times_served
    size = use.content_length or 0
    if kind.startswith("image/") and size > RESIZE_FROM_BYTES and times is not None and times > RESIZE_FROM_TIMES:
        found.append(
            f"a {size / MB:.1f} MB image served about {times:,} times: serve it resized through Storyblok's "
            "Image Service (its URL with /m/ and a width, e.g. /m/1200x0)"
        )
    if kind.startswith("video/"):
        found.append("a video: every view downloads it from Storyblok; host it on a video service and embed that")
    if use.deleted:
        found.append("deleted in Storyblok and still served: a page, an app or a cache still links it")
    if use.is_private:
        found.append("private: served only through signed links, so whatever fetches it this often holds one")
    return found


def days_of(period: str, start: date, through: date) -> str:
    """A period's days so far, as a phrase: ``in the month from 2026-12-02 to 2026-12-05``; its first day
    alone, ``on 2026-12-02, the month's first day`` (not "from 2026-12-02 to 2026-12-02")."""
    if through == start:
        return f"on {start}, the {period}'s first day"
    return f"in the {period} from {start} to {through}"


def files_heading(which: str, days_missing: int) -> str:
    """``Files behind the most bandwidth in the month from 2026-11-01 to 2026-11-20 (2 days of it with no
    file stored):``, the line above the files' ``use_line``s; ``which``: the range, as a phrase."""
    plural = "day" if days_missing == 1 else "days"
    not_stored = f" ({days_missing} {plural} of it with no file stored)" if days_missing else ""
    return f"Files behind the most bandwidth {which}{not_stored}:"


def size_text(size: int) -> str:
    """A file's size as the dashboard shows it: ``20 kB``, ``48.0 MB``, ``1.2 GB`` (a small file is no
    ``0.0 MB``, which made its times served look wrong)."""
    if size < 1_000:
        return f"{size:,} bytes"
    if size < MB:
        return f"{size / 1_000:,.0f} kB"
    if size < 1_000 * MB:
        return f"{size / MB:,.1f} MB"
    return f"{size / (1_000 * MB):,.1f} GB"


def use_line(use: AssetUse, period_bytes: int) -> str:
    """``hero.png (space 100007, image/png, 3.2 MB): 41.2 GB, served about 12,900 times, 38.1% of the
    bandwidth, 6.3x its usual day; <hints>``."""
    about = [f"space {use.space_id}"]
    if use.content_type:
        about.append(use.content_type)
    if use.content_length:
        about.append(size_text(use.content_length))
    figures = [amount_text("bytes", use.total_bytes)]
    if use.times_served is not None:
        figures.append(f"served about {use.times_served:,} times")
    if period_bytes > 0:
        figures.append(f"{100 * use.total_bytes / period_bytes:.1f}% of the bandwidth")
    if use.usual_bytes is not None:
        figures.append(usual_text(use))
    line = f"{use.name} ({', '.join(about)}): {', '.join(figures)}"
    told = hints(use)
    return f"{line}; {'; '.join(told)}" if told else line


def usual_text(use: AssetUse) -> str:
    """A day's file against its own normal day: how a spike is attributed to it."""
    if not use.usual_bytes:
        return "not served on its usual day"
    return f"{use.total_bytes / use.usual_bytes:.1f}x its usual day ({amount_text('bytes', use.usual_bytes)})"


def carrying(uses: list[AssetUse], count: int = 3) -> list[AssetUse]:
    """The ``count`` files with the most bytes, largest first (ties by id): the ones a notice names."""
    return sorted(uses, key=lambda u: (-u.total_bytes, u.asset_id))[:count]
