"""The API floor: the same requests at the allowed pace, each answer read whole, nothing else done."""

from __future__ import annotations

import time

import requests

from benchmarks.peers.standin import ENDPOINT, Pace, arguments, months, params, report


def main() -> None:
    args = arguments()
    started = time.perf_counter()
    session = requests.Session()
    session.headers["Authorization"] = args.token
    pace, received = Pace(args.rate), 0
    for first, last in months(args.first, args.last):
        pace.wait()
        response = session.get(args.api + ENDPOINT, params=params(first, last), timeout=30)
        response.raise_for_status()
        received += len(response.content)
    report(work_s=time.perf_counter() - started, bytes=received)


if __name__ == "__main__":
    main()
