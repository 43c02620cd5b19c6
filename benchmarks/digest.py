"""The weekly digest (issue 40) on a year of ``SPACES`` spaces stored (the simulator's model, written with the
pipeline's own writes).

- Its chart: matplotlib imported and the first PNG drawn (cold), then the median of 9 drawn again (warm);
  the process's resident memory before the import and after the drawings (``VmRSS``). Targets: a warm
  drawing under 500 ms, the chart's memory under 60 MB.
- Its DAG run through the real scheduler (``airflow standalone``, LocalExecutor, Postgres metadata): the
  organisation's digest DAG (the week's figures, the chart, an email to a local SMTP server and a
  Slack-shaped webhook, the ledger) against a one-task DAG whose task does nothing, in one stack,
  triggered alternately, each run from its start to its end (Airflow's own record), median of 5; the
  week's ledger emptied before each digest run (so that each one sends). Target: within 1.3x.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.common import new_schema, postgres, report
from benchmarks.dashboard import _fill

DRAWINGS = 9
RUNS = 5
WEEK = "2026-W48"  # 23-29 November: the year stored ends on the 30th


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _config(schema: str, folder: Path) -> Path:
    path = folder / "monitor.yaml"
    path.write_text(
        f"warehouse_schema: {schema}\nstart_date: 2026-01-01\ndashboard_url: http://localhost:8080\nchannels:\n"
        "  - {name: slack, type: slack, conn_id: storyblok_alerts_webhook}\n"
        "  - {name: email, type: email, conn_id: smtp_alerts, to: [ops@example.com]}\n"
    )
    return path


def _chart(url: str, schema: str) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from storyblok_traffic.config import load_config
    from storyblok_traffic.evaluation.digest import week_digest
    from storyblok_traffic.rules.weeks import parse_week
    from storyblok_traffic.warehouse.engine import begin

    config = load_config()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with begin(engine, schema) as conn:
        digest = week_digest(conn, config.organisations[0], config, parse_week(WEEK), date(2026, 12, 1))
    engine.dispose()
    assert digest is not None
    before = _rss_mb()
    started = time.perf_counter()
    from storyblok_traffic.notifications.digest_chart import cumulative_png

    png = cumulative_png(digest)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(DRAWINGS):
        started = time.perf_counter()
        cumulative_png(digest)
        warm.append(time.perf_counter() - started)
    return {
        "png_bytes": len(png),
        "draw_cold_ms": round(cold * 1000, 1),
        "draw_ms": round(statistics.median(warm) * 1000, 1),
        "chart_rss_mb": round(_rss_mb() - before, 1),
    }


FLOOR = """
from datetime import datetime, timezone
from typing import Any

from airflow.sdk import DAG, BaseOperator


class Nothing(BaseOperator):
    def execute(self, context: Any) -> None:
        return None


with DAG("one_task", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    Nothing(task_id="nothing")
"""


def _import_s() -> float:
    """What importing the chart's part of matplotlib costs a fresh interpreter (a task's process), median of 3."""
    import subprocess
    import sys

    probe = (
        "import time; t = time.perf_counter(); from matplotlib.figure import Figure; "
        "from matplotlib.backends.backend_agg import FigureCanvasAgg; import matplotlib.dates; "
        "print(time.perf_counter() - t)"
    )
    found = [float(subprocess.check_output([sys.executable, "-c", probe], text=True)) for _ in range(3)]
    return round(statistics.median(found), 2)


def _runs(url: str, schema: str, home: Path, env: dict[str, str]) -> dict[str, Any]:
    """Each DAG triggered ``RUNS`` times, alternately, one run at a time: each run's seconds, start to end."""
    from sqlalchemy import create_engine, delete, text

    from benchmarks.common import ROOT, airflow_metadata_db
    from include.airflow_stack import AirflowStack, airflow_env
    from include.net import free_port
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.tables import digest_deliveries

    dags = home / "dags"
    dags.mkdir()
    (dags / "one_task.py").write_text(FLOOR)
    (dags / "storyblok_traffic_digest.py").symlink_to(ROOT / "dags" / "storyblok_traffic_digest.py")
    stack_env = airflow_env(home / "airflow", airflow_metadata_db(url), port=free_port())
    stack = AirflowStack(stack_env | env | {"AIRFLOW__CORE__DAGS_FOLDER": str(dags)}, home / "airflow.log")
    warehouse = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    meta = create_engine(stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    took: dict[str, list[float]] = {"storyblok_traffic_digest": [], "one_task": []}
    stack.start()
    try:
        for dag_id in took:
            stack.wait_for_dag(dag_id)
            stack.unpause(dag_id)
        for n in range(RUNS):
            with begin(warehouse, schema) as conn:
                conn.execute(delete(digest_deliveries))
            for dag_id in took:
                run_id = f"bench_{n}"
                body: dict[str, object] = {"dag_run_id": run_id, "logical_date": None, "conf": {"week": WEEK}}
                status, said = stack.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)
                assert status in (200, 201), said
                assert stack.wait_for_run(dag_id, run_id, timeout=300) == "success", (dag_id, run_id)
                with meta.connect() as conn:
                    query = "SELECT end_date - start_date FROM dag_run WHERE dag_id = :d AND run_id = :r"
                    took[dag_id].append(conn.scalar(text(query), {"d": dag_id, "r": run_id}).total_seconds())
    finally:
        stack.stop()
        warehouse.dispose()
        meta.dispose()
    run, one = statistics.median(took["storyblok_traffic_digest"]), statistics.median(took["one_task"])
    return {"digest_run_s": round(run, 2), "one_task_run_s": round(one, 2), "run_ratio": round(run / one, 2)}


def main() -> None:
    from include.smtp_receiver import SmtpReceiver
    from include.webhook_receiver import WebhookReceiver

    with postgres() as url, tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        schema = new_schema()
        rows = _fill(url, schema, date(2025, 12, 1), date(2026, 11, 30))
        slack, mail = WebhookReceiver().start(), SmtpReceiver().start()
        smtp = {"disable_tls": True, "disable_ssl": True, "from_email": "monitor@example.com", "retry_limit": 0}
        env = {
            "STORYBLOK_TRAFFIC_CONFIG": str(_config(schema, home)),
            "AIRFLOW_CONN_STORYBLOK_WAREHOUSE": url.replace("postgresql://", "postgres://"),
            "AIRFLOW_CONN_STORYBLOK_ALERTS_WEBHOOK": json.dumps({"conn_type": "http", "host": slack.url}),
            "AIRFLOW_CONN_SMTP_ALERTS": json.dumps({"conn_type": "smtp", "host": mail.host, "port": mail.port,
                                                    "extra": smtp}),
        }  # fmt: skip
        os.environ |= env
        chart = _chart(url, schema) | {"matplotlib_import_s": _import_s()}
        try:
            runs = _runs(url, schema, home, env)
        finally:
            slack.stop()
            mail.stop()
        sent = {"slack": len(slack.messages), "email": len(mail.emails)}
    report({"space_days": rows, **chart, **runs, "sent": sent})


if __name__ == "__main__":
    main()
