"""What every loader in the bulk comparison shares: arguments, months, pace, report.

Standard library only: the dlt loader imports this from dlt's own virtual environment.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from typing import Any

ENDPOINT = "/v1/orgs/me/statistics/all_traffic"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True, help="the stand-in API's root URL")
    parser.add_argument("--token", required=True)
    parser.add_argument("--db", required=True, help="postgresql:// URL of the target database")
    parser.add_argument("--schema", required=True)
    parser.add_argument("--first", type=date.fromisoformat, required=True)
    parser.add_argument("--last", type=date.fromisoformat, required=True)
    parser.add_argument("--rate", type=float, default=6.0, help="requests a second the API allows")
    parser.add_argument("--busy-from", type=int, help="the evaluation only: the spike checks' floor (requests a day)")
    return parser.parse_args()


def months(first: date, last: date) -> list[tuple[date, date]]:
    """Calendar months of first..last: one request each, as our load asks."""
    out, start = [], first
    while start <= last:
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = min(last, following - timedelta(days=1))
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def params(first: date, last: date) -> dict[str, str]:
    return {"start_date": first.isoformat(), "end_date": last.isoformat(), "group_by": "day"}


class Pace:
    """Starts requests at most ``rate`` a second: the least spacing the API accepts."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.last = -1e9

    def wait(self) -> None:
        delay = self.last + self.interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.last = time.monotonic()


def report(**values: Any) -> None:
    """The loader's last line: its results as JSON for the benchmark, with its own peak memory."""
    sys.stdout.write(json.dumps({**values, "peak_rss_mb": peak_rss_mb()}) + "\n")


def peak_rss_mb() -> float:
    """This program's peak resident memory, from ``VmHWM``: ``getrusage`` would also count the memory
    of the process it was started from, which a child carries until ``exec`` (here, the benchmark's)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
