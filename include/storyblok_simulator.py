"""A Storyblok Management API stand-in that serves ``all_traffic`` and ``assets_traffic`` the way Storyblok does.

Quirks kept: ``montly_traffic_limit`` (sic), ``traffic_top_spaces`` keyed by space id plus
``other_spaces``, null ``total_bytes`` for the most recent days, ``traffic_used_this_year`` as of
"today" whatever the requested dates, 429 over a fixed one-second window, tokens checked the
Storyblok way (personal token as it is, OAuth token as ``Bearer``).

Data is deterministic: each (space, day) always has the same numbers, with a weekly pattern,
growth over time and spaces created over time, so any split of a range gives the same rows.

Assets: each space has a catalogue of files (images, PDFs, a few videos, some deleted or private),
heavy-tailed: a few files carry most of its bytes. They serve ``ASSET_SHARE`` of the space's bytes;
a file served less than once on a day is not listed that day, and days whose bytes are not in yet
list none. ``assets_traffic`` pages (``page``, ``per_page``, ``Total`` and ``Per-Page``) only when
``asset_page_size`` is set: whether Storyblok pages it is not documented, so both shapes are served.

Run: ``python -m include.storyblok_simulator --port 8765`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

ALL_TRAFFIC = "/v1/orgs/me/statistics/all_traffic"
ASSETS_TRAFFIC = "/v1/orgs/me/statistics/assets_traffic"
ASSET_SHARE = 0.7  # of a space's bytes, served as its files (the rest: API JSON, GraphQL, webhooks)
# (content type, extension, size low, size high, share of a catalogue)
ASSET_KINDS = (
    ("image/jpeg", "jpg", 80_000, 900_000, 0.42),
    ("image/png", "png", 40_000, 3_500_000, 0.2),
    ("image/webp", "webp", 30_000, 400_000, 0.16),
    ("image/svg+xml", "svg", 2_000, 40_000, 0.1),
    ("application/pdf", "pdf", 200_000, 6_000_000, 0.08),
    ("video/mp4", "mp4", 8_000_000, 120_000_000, 0.04),
)
EPOCH = date(2024, 1, 1)  # growth and space creation are measured from here
MAX_BODIES = 256  # answers kept built; a year of 500 spaces is 12 of about 1.5 MB
WEEKDAY_FACTOR = (1.0, 1.04, 1.02, 0.98, 0.9, 0.55, 0.45)  # Monday first


@dataclass
class Fault:
    """One scripted answer, served instead of the real one to the next request."""

    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (read timeouts)
    drop: bool = False  # close the connection without an answer
    chunked: bool = False  # no Content-Length: the body in chunks (its size known only by reading it)
    truncated: bool = False  # the real answer's length declared, half of it sent, the connection closed
    path: str | None = None  # only for a request to this path (ALL_TRAFFIC, ASSETS_TRAFFIC); None: the next one


# Faults drawn at random by rate (``SimulatorSettings.fault_rates``): what production sends together.
CHAOS_KINDS = ("429 Retry-After", "429 bare", "503", "slow", "truncated", "401")


@dataclass
class SimulatorSettings:
    token: str = "sim-personal-token"
    oauth_token: str = "sim-oauth-token"
    today: date | None = None  # None: the real UTC date
    spaces: int = 6
    daily_requests: int = 14_000  # an org-wide weekday at EPOCH; grows 50 % a year
    monthly_limit: int = 1_000_000
    requests_per_second: int = 6
    retry_after: str | None = None  # sent with 429 when set, e.g. "1"
    null_bytes_days: int = 2  # the last N days (today included) have no byte counts yet
    # Bytes per API request, per space from the low to the high end (the traffic meter counts assets,
    # GraphQL and webhooks too: an asset-heavy site serves far more bytes per request than its JSON).
    bytes_per_request: tuple[int, int] = (18_000, 58_000)
    # ((space rank, first day, last day), ...): that space (0 the largest) jumps on those days, both included
    spikes: tuple[tuple[int, date, date], ...] = ()
    spike_factor: float = 6.0
    seed: str = "storyblok"
    organisations: int = 1  # more: organisation i (1..n-1) answers to the token "<token>-<i>", same data
    # ((kind, probability), ...): each request draws one of CHAOS_KINDS at these rates (a soak's faults)
    fault_rates: tuple[tuple[str, float], ...] = ()
    fault_seed: int = 0
    slow_seconds: float = 3.0  # how long a "slow" answer waits: longer than the client's read timeout
    assets_per_space: int = 24  # each space's catalogue of files
    asset_page_size: int | None = None  # assets_traffic pages by at most this many; None: never pages
    # (space rank, share): that space's heaviest file is a launch film, linked from its busiest page, serving
    # this share of the space's files' bytes (the demo's bandwidth crossing); None: no such file
    hero_video: tuple[int, float] | None = None

    def tokens(self) -> list[str]:
        """The personal token of each organisation; Storyblok limits the rate of each on its own."""
        return [self.token] + [f"{self.token}-{i}" for i in range(1, self.organisations)]


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for the given parts."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def space_id(rank: int) -> int:
    """The id of the space of this rank by size (0 the largest)."""
    return 100_000 + 7 * rank


class TrafficModel:
    """Deterministic traffic per space and day."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self.s = settings
        weights = [1.0 / (i + 1) ** 0.9 for i in range(settings.spaces)]
        total = sum(weights)
        self.spaces = [
            (
                space_id(i),
                weights[i] / total,
                EPOCH + timedelta(days=int(i * 500 / max(settings.spaces, 1))) if i >= 3 else EPOCH,
            )
            for i in range(settings.spaces)
        ]
        self._day_rows = lru_cache(maxsize=4096)(self._compute_day)
        self._catalogue: dict[int, list[tuple[dict[str, Any], float]]] = {}

    @property
    def today(self) -> date:
        return self.s.today or datetime.now(UTC).date()

    def day_rows(self, day: date) -> list[tuple[int, int, int | None]]:
        """[(space_id, api_requests, total_bytes or None)] for one day; empty after today."""
        if day > self.today:
            return []
        rows = self._day_rows(day)
        if day > self.today - timedelta(days=self.s.null_bytes_days):
            rows = [(space, req, None) for space, req, _ in rows]
        if day == self.today:  # the day is still running
            rows = [(space, req // 2, b) for space, req, b in rows]
        return rows

    def _compute_day(self, day: date) -> list[tuple[int, int, int | None]]:
        growth = 1 + 0.5 * (day - EPOCH).days / 365
        base = self.s.daily_requests * growth * WEEKDAY_FACTOR[day.weekday()]
        rows: list[tuple[int, int, int | None]] = []
        for rank, (space_id, share, created) in enumerate(self.spaces):
            if day < created:
                continue
            noise = 0.85 + 0.3 * _unit(self.s.seed, space_id, day)
            requests = int(base * share * noise * (self.s.spike_factor if self._spikes(rank, day) else 1))
            low, high = self.s.bytes_per_request
            size = low + (high - low) * _unit(self.s.seed, "size", space_id)
            rows.append((space_id, requests, int(requests * size * (0.9 + 0.2 * _unit(space_id, day)))))
        return rows

    def _spikes(self, rank: int, day: date) -> bool:
        """A runaway client on a space: its traffic multiplied for a few days."""
        return any(rank == space and first <= day <= last for space, first, last in self.s.spikes)

    def org_requests(self, first: date, last: date) -> int:
        return sum(req for day in _days(first, last) for _, req, _ in self.day_rows(day))

    def all_traffic(self, first: date, last: date, group_by: str) -> dict[str, Any]:
        key = {
            "day": lambda d: d.isoformat(),
            "month": lambda d: d.strftime("%Y-%m"),
            "year": lambda d: str(d.year),
        }[group_by]
        per_space: dict[int, dict[str, list[int | None]]] = {}
        for day in _days(first, last):
            for space_id, req, size in self.day_rows(day):
                bucket = per_space.setdefault(space_id, {}).setdefault(key(day), [0, 0])
                bucket[0] = (bucket[0] or 0) + req
                bucket[1] = None if size is None or bucket[1] is None else bucket[1] + size
        traffic = [
            {"date": label, "api_requests": req, "total_bytes": size, "space_id": space_id}
            for space_id, buckets in sorted(per_space.items())
            for label, (req, size) in sorted(buckets.items())
        ]
        org = _sum_buckets(traffic)
        ranked = sorted(per_space, key=lambda s: -sum(v[0] or 0 for v in per_space[s].values()))
        top = {
            str(space_id): [_row(label, *per_space[space_id][label]) for label in sorted(per_space[space_id])]
            for space_id in ranked[:3]
        }
        others = set(ranked[3:])  # once: built per row, it made a fill of many spaces quadratic
        top["other_spaces"] = _sum_buckets([row for row in traffic if row["space_id"] in others])
        today = self.today
        return {
            "montly_traffic_limit": self.s.monthly_limit,
            "yearly_traffic_limit": self.s.monthly_limit * 12,
            "traffic_used_this_year": self.org_requests(date(today.year, 1, 1), today),
            "cumulated_traffic": {
                "requests_used_last_days": self.org_requests(today - timedelta(days=6), today),
                "total_requests_per_time_period": sum(r["api_requests"] for r in org),
                "total_traffic_per_time_period": sum(r["total_bytes"] or 0 for r in org),
                "traffic": org,
            },
            "traffic_top_spaces": top,
            "traffic": traffic,
        }

    def catalogue(self, space_id: int) -> list[tuple[dict[str, Any], float]]:
        """The space's files (as ``assets_traffic`` lists them, without bytes), each with its share of
        the space's asset bytes: Zipf-like, the first few carry most."""
        found = self._catalogue.get(space_id)
        if found is None:
            count = self.s.assets_per_space
            weights = [1.0 / (k + 1) ** 1.6 for k in range(count)]
            total = sum(weights)
            found = [(_asset(self.s.seed, space_id, k), weights[k] / total) for k in range(count)]
            hero = self.s.hero_video
            if hero is not None and hero[0] < len(self.spaces) and self.spaces[hero[0]][0] == space_id and found:
                rest = 1 - found[0][1]
                found = [(_launch_film(space_id), hero[1])] + [(a, w * (1 - hero[1]) / rest) for a, w in found[1:]]
            self._catalogue[space_id] = found
        return found

    def assets_traffic(self, first: date, last: date) -> list[dict[str, Any]]:
        """Every file that served bytes in ``first``..``last`` with its bytes summed, by id."""
        served: dict[int, dict[str, Any]] = {}
        for day in _days(first, last):
            for space_id, _, size in self.day_rows(day):
                if size is None:
                    continue  # the day's bytes are not in yet: nor are its files'
                for asset, share in self.catalogue(space_id):
                    amount = int(size * ASSET_SHARE * share * (0.8 + 0.4 * _unit(self.s.seed, asset["id"], day)))
                    if amount < asset["content_length"]:
                        continue  # served less than once that day
                    row = served.get(asset["id"])
                    if row is None:  # the file's first day served in the range: its listing, bytes to come
                        row = served[asset["id"]] = asset | {"total_bytes": 0}
                    row["total_bytes"] += amount
        return [served[key] for key in sorted(served)]


def _asset(seed: str, space_id: int, k: int) -> dict[str, Any]:
    """The k-th file of a space: a type by the catalogue's mix, a size within the type's range."""
    asset_id = space_id * 1000 + k
    content_type, extension, low, high = _kind(_unit(seed, "kind", asset_id))
    deleted = _unit(seed, "deleted", asset_id) < 0.03
    return {
        "id": asset_id,
        "alt": None,
        "asset_folder_id": None,
        "content_length": int(low + (high - low) * _unit(seed, "length", asset_id)),
        "content_type": content_type,
        "deleted_at": "2025-11-03T09:12:44.000Z" if deleted else None,
        "filename": f"https://a.storyblok.com/f/{space_id}/{k}x{asset_id % 97}/file-{k}.{extension}",
        "is_private": _unit(seed, "private", asset_id) < 0.04,
        "space_id": space_id,
    }


def _launch_film(space_id: int) -> dict[str, Any]:
    """The demo's hero video: 48 MB, served whole to every visitor of a busy page."""
    asset_id = space_id * 1000
    return {
        "id": asset_id,
        "alt": "Launch film",
        "asset_folder_id": None,
        "content_length": 48_000_000,
        "content_type": "video/mp4",
        "deleted_at": None,
        "filename": f"https://a.storyblok.com/f/{space_id}/1920x1080/{asset_id % 97}/launch-film.mp4",
        "is_private": False,
        "space_id": space_id,
    }


def _kind(draw: float) -> tuple[str, str, int, int]:
    """The kind of ``ASSET_KINDS`` a draw in [0, 1) falls on, by their shares."""
    for content_type, extension, low, high, share in ASSET_KINDS:
        if draw < share:
            return content_type, extension, low, high
        draw -= share
    return ASSET_KINDS[0][:4]


def _chaos_fault(kind: str, settings: SimulatorSettings) -> Fault:
    busy = {"error": f"Rate limit of {settings.requests_per_second} request per second reached. Retry later."}
    return {
        "429 Retry-After": Fault(429, busy, {"Retry-After": "1"}),
        "429 bare": Fault(429, busy),
        "503": Fault(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>"),
        "slow": Fault(200, None, delay=settings.slow_seconds),
        "truncated": Fault(200, None, truncated=True),
        "401": Fault(401, {"error": "Unauthorized"}),
    }[kind]


def _row(label: str, requests: int | None, size: int | None) -> dict[str, Any]:
    return {"date": label, "api_requests": requests, "total_bytes": size}


def _sum_buckets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sums: dict[str, list[int | None]] = {}
    for row in rows:
        acc = sums.setdefault(row["date"], [0, 0])
        acc[0] = (acc[0] or 0) + row["api_requests"]
        acc[1] = None if row["total_bytes"] is None or acc[1] is None else acc[1] + row["total_bytes"]
    return [_row(label, *sums[label]) for label in sorted(sums)]


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class StoryblokSimulator:
    """The HTTP server, its data, its scripted faults and a log of what it was asked."""

    def __init__(self, settings: SimulatorSettings | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.settings = settings or SimulatorSettings()
        self.model = TrafficModel(self.settings)
        self.faults: deque[Fault] = deque()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._windows: dict[str | None, tuple[int, int]] = {}  # per token: (second, requests counted in it)
        self._bodies: dict[tuple[Any, ...], bytes] = {}
        self.injected: dict[str, int] = dict.fromkeys(CHAOS_KINDS, 0)  # faults drawn by rate, by kind
        self._chaos = random.Random(self.settings.fault_seed)
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    def start(self) -> StoryblokSimulator:
        self._thread = threading.Thread(target=self.server.serve_forever, name="storyblok-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, path: str = ALL_TRAFFIC) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    def next_fault(self, path: str) -> Fault | None:
        """The first scripted fault for ``path`` (taken from the queue), else one drawn by rate, else None."""
        with self._lock:
            for i, fault in enumerate(self.faults):
                if fault.path in (None, path):
                    del self.faults[i]
                    return fault
        return self.chaos()

    def chaos(self) -> Fault | None:
        """A fault drawn at the settings' rates, or None (the real answer)."""
        rates = dict(self.settings.fault_rates)
        unknown = set(rates) - set(CHAOS_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(CHAOS_KINDS)}")
        with self._lock:
            draw = self._chaos.random()
            for kind, rate in rates.items():
                if draw < rate:
                    self.injected[kind] += 1
                    return _chaos_fault(kind, self.settings)
                draw -= rate
        return None

    def over_rate(self, authorization: str | None = None) -> bool:
        """Over the rate in this one-second window, counted per organisation (its token) as Storyblok does."""
        now = int(time.time())
        with self._lock:
            second, count = self._windows.get(authorization, (0, 0))
            count = count + 1 if second == now else 1
            self._windows[authorization] = (now, count)
            return count > self.settings.requests_per_second

    def authorized(self, header: str | None) -> bool:
        s = self.settings
        return header is not None and (header in s.tokens() or header == f"Bearer {s.oauth_token}")

    def answer(
        self, path: str, query: dict[str, list[str]], authorization: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, body, headers): the body JSON-ready, or already its bytes."""
        with self._lock:
            self.requests.append({"path": path, "query": query, "authorization": authorization, "at": time.time()})
        if not self.authorized(authorization):
            return 401, {"error": "Unauthorized"}, {}
        if self.over_rate(authorization):
            rps = self.settings.requests_per_second
            headers = {"Retry-After": self.settings.retry_after} if self.settings.retry_after else {}
            return 429, {"error": f"Rate limit of {rps} request per second reached. Retry later."}, headers
        if path not in (ALL_TRAFFIC, ASSETS_TRAFFIC):
            return 404, ["This record could not be found"], {}
        group_by = query.get("group_by", ["month"])[0]
        if path == ALL_TRAFFIC and group_by not in ("day", "month", "year"):
            return 422, {"error": "group_by must be one of day, month, year"}, {}
        try:
            last = date.fromisoformat(query["end_date"][0]) if "end_date" in query else self.model.today
            first = date.fromisoformat(query["start_date"][0]) if "start_date" in query else last - timedelta(days=365)
        except ValueError:
            return 422, {"start_date": ["must be YYYY-MM-DD"]}, {}
        if last < first:
            return 422, {"error": "end_date must not be before start_date"}, {}
        if path == ASSETS_TRAFFIC:
            return self._assets_page(first, last, query)
        return 200, self._body(ALL_TRAFFIC, first, last, group_by), {}

    def _assets_page(self, first: date, last: date, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        """Every asset, or one page of them with the Management API's paging headers."""
        size = self.settings.asset_page_size
        if size is None:
            return 200, self._body(ASSETS_TRAFFIC, first, last), {}
        try:
            page = int(query.get("page", ["1"])[0])
            per_page = min(int(query.get("per_page", ["25"])[0]), size)
        except ValueError:
            return 422, {"page": ["must be a number"]}, {}
        if page < 1 or per_page < 1:
            return 422, {"page": ["page and per_page must be 1 or more"]}, {}
        assets = self.model.assets_traffic(first, last)
        chosen = assets[(page - 1) * per_page : page * per_page]
        return 200, {"assets": chosen}, {"Total": str(len(assets)), "Per-Page": str(per_page)}

    def _body(self, path: str, first: date, last: date, group_by: str = "") -> bytes:
        """The answer's bytes, built once per question: the data is a function of it and of the settings.

        ``path``'s whole answer: ``all_traffic``'s by ``group_by``, or every asset of ``assets_traffic``."""
        key = (path, first, last, group_by, self.model.today, astuple(self.settings))
        with self._lock:
            body = self._bodies.get(key)
        if body is None:
            if path == ASSETS_TRAFFIC:
                answer: dict[str, Any] = {"assets": self.model.assets_traffic(first, last)}
            else:
                answer = self.model.all_traffic(first, last, group_by)
            body = json.dumps(answer).encode()
            with self._lock:
                if len(self._bodies) >= MAX_BODIES:
                    self._bodies.clear()
                self._bodies[key] = body
        return body


def _handler_for(sim: StoryblokSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = urlparse(self.path)
            fault = sim.next_fault(url.path)
            if fault is None:
                status, body, headers = sim.answer(url.path, parse_qs(url.query), self.headers.get("Authorization"))
                self._send(status, body if isinstance(body, bytes) else json.dumps(body).encode(), headers)
                return
            if fault.body is None and fault.status == 200:
                # slow or truncated: the real answer (logged by answer()), late or cut
                status, body, headers = sim.answer(url.path, parse_qs(url.query), self.headers.get("Authorization"))
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                fault = Fault(status, raw, headers, fault.delay, fault.drop, fault.chunked, fault.truncated)
            else:
                with sim._lock:
                    sim.requests.append(
                        {"path": url.path, "query": parse_qs(url.query), "fault": fault.status, "at": time.time()}
                    )
            self._fault(fault)

        def _fault(self, fault: Fault) -> None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                self.connection.close()
                return
            body = fault.body if isinstance(fault.body, bytes) else json.dumps(fault.body).encode()
            if fault.truncated:
                self._send(fault.status, body[: len(body) // 2], {"Content-Length": str(len(body))} | fault.headers)
                self.close_connection = True
                return
            self._send(fault.status, body, fault.headers, fault.chunked)

        def _send(self, status: int, body: bytes, headers: dict[str, str], chunked: bool = False) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                elif "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not chunked:
                    self.wfile.write(body)
                    return
                for start in range(0, len(body), 65_536):
                    part = body[start : start + 65_536]
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (read timeout): nothing to do

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = SimulatorSettings()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=d.token, help="personal access token to accept")
    parser.add_argument("--oauth-token", default=d.oauth_token, help="OAuth token to accept as Bearer")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="pretend date (YYYY-MM-DD)")
    parser.add_argument("--spaces", type=int, default=d.spaces)
    parser.add_argument("--daily-requests", type=int, default=d.daily_requests)
    parser.add_argument("--monthly-limit", type=int, default=d.monthly_limit)
    parser.add_argument("--requests-per-second", type=int, default=d.requests_per_second)
    parser.add_argument("--retry-after", default=None, help="Retry-After value sent with 429 (default: none)")
    parser.add_argument(
        "--bytes-per-request",
        type=int,
        nargs=2,
        default=d.bytes_per_request,
        metavar=("LOW", "HIGH"),
        help="bytes served per API request, per space from LOW to HIGH (the bandwidth meter)",
    )
    parser.add_argument("--assets-per-space", type=int, default=d.assets_per_space, help="files in each space")
    parser.add_argument(
        "--asset-page-size", type=int, default=None, help="page assets_traffic by at most this many (default: never)"
    )
    args = parser.parse_args(argv)
    settings = SimulatorSettings(
        token=args.token,
        oauth_token=args.oauth_token,
        today=args.today,
        spaces=args.spaces,
        daily_requests=args.daily_requests,
        monthly_limit=args.monthly_limit,
        requests_per_second=args.requests_per_second,
        retry_after=args.retry_after,
        bytes_per_request=tuple(args.bytes_per_request),
        assets_per_space=args.assets_per_space,
        asset_page_size=args.asset_page_size,
    )
    sim = StoryblokSimulator(settings, host=args.host, port=args.port)
    print(f"Storyblok simulator on {sim.url} (token {settings.token!r}); Ctrl-C stops it", flush=True)
    try:
        sim.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server.server_close()


if __name__ == "__main__":
    main()
