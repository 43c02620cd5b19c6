"""Our evaluation of a loaded year without Airflow: ``check`` over every day, as ``evaluate_days`` runs it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import create_engine

from benchmarks.peers.standin import arguments, report
from storyblok_traffic.check import check
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.warehouse.engine import begin


def main() -> None:
    args = arguments()
    engine = create_engine(args.db.replace("postgresql://", "postgresql+psycopg://"))
    org = OrgConfig(conn_id="bench")
    started = time.perf_counter()
    with begin(engine, args.schema) as conn:
        last = check(conn, org, args.first, args.last, datetime.now(UTC).date(), ["log"], history=True)
    report(work_s=time.perf_counter() - started, periods=len(last.periods))


if __name__ == "__main__":
    main()
