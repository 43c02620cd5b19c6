"""Our evaluation of a loaded year without Airflow: ``check`` over every day, as ``evaluate_days`` runs it.

``--busy-from N`` lowers the spike checks' floor to N requests a day, so that every space is busy
and judged on every day: the worst case for a year's check. The check is rolled back, so both
measurements can use one loaded schema.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import create_engine

from benchmarks.peers.standin import arguments, report
from storyblok_traffic.config import OrgConfig
from storyblok_traffic.evaluation.check import check
from storyblok_traffic.rules.routes import Routing
from storyblok_traffic.warehouse.engine import begin


def main() -> None:
    args = arguments()
    busy_from = args.busy_from
    engine = create_engine(args.db.replace("postgresql://", "postgresql+psycopg://"))
    org = OrgConfig(conn_id="bench") if busy_from is None else OrgConfig(conn_id="bench", spike_min_requests=busy_from)
    started = time.perf_counter()
    with begin(engine, args.schema) as conn:
        last = check(
            conn, org, args.first, args.last, datetime.now(UTC).date(), Routing(default=("log",)), backfill=True
        )
        work_s = time.perf_counter() - started
        conn.rollback()
    report(work_s=work_s, periods=len(last.periods))


if __name__ == "__main__":
    main()
