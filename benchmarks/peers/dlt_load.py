"""dlt's loader on the same data: a resource of the same requests at the same pace, merged on the key.

Runs in the benchmark's own virtual environment for dlt (``make bench`` makes it); dlt is never a
dependency of the package.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers import requests

from benchmarks.peers.standin import ENDPOINT, Pace, arguments, months, params, report


def main() -> None:
    args = arguments()
    started = time.perf_counter()

    @dlt.resource(name="space_traffic_daily", primary_key=("space_id", "date"), write_disposition="merge")
    def traffic() -> Iterator[list[dict[str, Any]]]:
        pace = Pace(args.rate)
        for first, last in months(args.first, args.last):
            pace.wait()
            response = requests.get(
                args.api + ENDPOINT, params=params(first, last), headers={"Authorization": args.token}, timeout=30
            )
            response.raise_for_status()
            yield response.json()["traffic"]

    pipeline = dlt.pipeline(
        pipeline_name=f"storyblok_{args.schema}",
        destination=dlt.destinations.postgres(credentials=_with_password(args.db)),
        dataset_name=args.schema,
        pipelines_dir=tempfile.mkdtemp(prefix="dlt-pipelines-"),
    )
    info = pipeline.run(traffic())
    info.raise_on_failed_jobs()
    report(work_s=time.perf_counter() - started, loads=len(info.loads_ids))


def _with_password(url: str) -> str:
    """dlt insists on a password; a server with trust authentication ignores the one it gets."""
    scheme, rest = url.split("://", 1)
    userinfo, _, host = rest.rpartition("@")
    return url if ":" in userinfo or not userinfo else f"{scheme}://{userinfo}:unused@{host}"


if __name__ == "__main__":
    main()
