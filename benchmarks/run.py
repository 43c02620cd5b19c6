"""``make bench``: every benchmark in a fresh interpreter, one table, the same as JSON in results.json.

The table's first line says where its figures come from: the CPU model and cores, the date and the
command; each benchmark's results keep the same (``run``), so a few run again by name keep their own.
``python -m benchmarks.run --tables`` prints results.json's tables, one per run. Exits 1 when a target
is missed.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT

OUT = ROOT / "benchmarks" / "results.json"
BENCHMARKS = (
    "parse",
    "upsert",
    "backfill",
    "scheduler_backfill",
    "dashboard",
    "bill",
    "many_orgs",
    "spike_detection",
    "noisy_year",
    "notices",
    "routes",
    "routed_year",
    "asset_storage",
    "asset_history",
    "scale",
    "metrics",
    "digest",
)

# (benchmark, label, value, target text, met?) from a benchmark's results
Row = tuple[str, str, Any, str, bool | None]


def _parse(r: dict[str, Any]) -> list[Row]:
    """Ours against the floor of our own shape: what the package adds over Airflow's price for the DAGs."""
    both = round(r["ours_ms"] / r["floor_ms"], 2)
    daily = round(r["daily_dag_file_ms"] / r["floor_daily_ms"], 2)
    return [
        ("parse", "dags/ in a DagBag (ms, median of 5)", r["ours_ms"], "", None),
        ("parse", "floor: dags/'s shape in EmptyOperators (ms)", r["floor_ms"], "", None),
        ("parse", "ratio: dags/ to its floor", both, "<= 1.3", both <= 1.3),
        ("parse", "the daily DAG file (ms)", r["daily_dag_file_ms"], "", None),
        ("parse", "floor: the daily file's shape in EmptyOperators (ms)", r["floor_daily_ms"], "", None),
        ("parse", "ratio: the daily DAG file to its floor", daily, "<= 1.2", daily <= 1.2),
        ("parse", "one-task DAG (ms)", r["one_task_ms"], "", None),
        ("parse", "ratio: dags/ to a one-task DAG", r["ratio"], "", None),
        ("parse", "ratio: the floor of dags/ to a one-task DAG", r["floor_ratio"], "", None),
        ("parse", "least possible: both DAGs in one file, 6 EmptyOperators (ms)", r["least_ms"], "", None),
    ]


def _upsert(r: dict[str, Any]) -> list[Row]:
    first, reload, copy = r["ours_first_rows_s"], r["ours_reload_rows_s"], r["copy_rows_s"]
    h_first, h_reload = r["insert_rows_first_rows_s"], r["insert_rows_reload_rows_s"]
    vs_helper = f"{first / h_first:.1f}x / {reload / h_reload:.1f}x"
    vs_copy = f"{copy / first:.1f}x / {copy / reload:.1f}x"
    return [
        ("upsert", f"first load, {r['rows']:,} rows (rows/s)", first, ">= 120,000", first >= 120_000),
        ("upsert", "reload, 10 % changed (rows/s)", reload, ">= 120,000", reload >= 120_000),
        ("upsert", "insert_rows(replace=True): first / reload", f"{h_first:,} / {h_reload:,}", "", None),
        (
            "upsert",
            "ours vs insert_rows: first / reload",
            vs_helper,
            ">= 2x",
            min(first / h_first, reload / h_reload) >= 2,
        ),
        ("upsert", "plain COPY, unindexed (rows/s)", copy, "", None),
        ("upsert", "COPY vs ours: first / reload", vs_copy, "<= 3x", max(copy / first, copy / reload) <= 3),
    ]


def _bulk(r: dict[str, Any]) -> list[Row]:
    """Each loader in its own process, median of the repeats; work = in-process, after imports."""
    floor, plain, ours, dlt = r["api_floor"], r["plain_first"], r["ours_first"], r["dlt_load_first"]
    plain_re, ours_re, dlt_re = r["plain_reload"], r["ours_reload"], r["dlt_load_reload"]
    b = "backfill"
    pair = lambda first, again, key: f"{first[key]:.2f} / {again[key]:.2f}"  # noqa: E731
    vs_plain = max(ours["work_s"] / plain["work_s"], ours_re["work_s"] / plain_re["work_s"])
    vs_dlt = min(dlt["work_s"] / ours["work_s"], dlt_re["work_s"] / ours_re["work_s"])
    airflow = r["dags_test_backfill"]["wall_s"] - r["dags_test_one_task"]["wall_s"]
    over_plain = airflow / plain["wall_s"]
    rows = {ours["rows"], plain["rows"], dlt["rows"], r["dags_test_backfill"]["rows"]}
    sums = {ours["requests_sum"], plain["requests_sum"], dlt["requests_sum"], r["dags_test_backfill"]["requests_sum"]}
    what = f"{r['days']} days x {r['spaces']} spaces, {r['rate']} requests/s"
    return [
        (b, f"{what}: space rows loaded", f"{ours['rows']:,}", "", None),
        (b, "the 12 requests alone: wall / work (s)", f"{floor['wall_s']:.2f} / {floor['work_s']:.2f}", "", None),
        (b, "plain requests + COPY + ON CONFLICT: wall, first / reload (s)", pair(plain, plain_re, "wall_s"), "", None),
        (b, "plain: work, first / reload (s)", pair(plain, plain_re, "work_s"), "", None),
        (b, "ours without Airflow: wall, first / reload (s)", pair(ours, ours_re, "wall_s"), "", None),
        (b, "ours: work, first / reload (s)", pair(ours, ours_re, "work_s"), "", None),
        (b, "dlt (merge): wall, first / reload (s)", pair(dlt, dlt_re, "wall_s"), "", None),
        (b, "dlt: work, first / reload (s)", pair(dlt, dlt_re, "work_s"), "", None),
        (b, "ours' work to the plain loader's (worse of first, reload)", round(vs_plain, 2), "<= 1.3", vs_plain <= 1.3),
        (b, "dlt's work to ours (lesser of first, reload)", round(vs_dlt, 2), ">= 2.5", vs_dlt >= 2.5),
        (b, "ours: peak RSS of the load (MB)", round(ours["peak_rss_mb"], 1), "<= 120", ours["peak_rss_mb"] <= 120),
        (b, "plain / dlt: peak RSS (MB)", f"{plain['peak_rss_mb']:.0f} / {dlt['peak_rss_mb']:.0f}", "", None),
        (b, "rows rewritten by a reload: ours", ours_re["rows_rewritten"], "0", ours_re["rows_rewritten"] == 0),
        (b, "rows rewritten by a reload: plain / dlt", f"{plain_re['rows_rewritten']:,} / {dlt_re['rows_rewritten']:,}",
         "", None),
        (b, "space rows (and their requests) equal in every loader", f"{ours['rows']:,}", "equal",
         len(rows) == 1 and len(sums) == 1),
        (b, "ours: evaluation of the year without Airflow (s)", r["ours_evaluate"]["work_s"], "< 0.3",
         r["ours_evaluate"]["work_s"] < 0.3),
        (b, "ours: the same with every space busy: judged for spikes each day (s)", r["ours_evaluate_busy"]["work_s"],
         "", None),
        (b, "airflow dags test storyblok_traffic_backfill (s)", r["dags_test_backfill"]["wall_s"], "", None),
        (b, "airflow dags test of a one-task DAG (s)", r["dags_test_one_task"]["wall_s"], "", None),
        (b, "the DAG over the one-task test (s)", round(airflow, 2), "", None),
        (b, "the DAG over the one-task test, to the plain loader's wall", round(over_plain, 2), "<= 1.5",
         over_plain <= 1.5),
        (b, "days evaluated by the DAG run", r["dags_test_backfill"]["days_checked"], f"{r['days']}",
         r["dags_test_backfill"]["days_checked"] == r["days"]),
    ]  # fmt: skip


def _scheduler(r: dict[str, Any]) -> list[Row]:
    return [
        ("scheduler_backfill", "airflow standalone start (s)", r["startup_s"], "", None),
        (
            "scheduler_backfill",
            "floor: 30 days of the same shape doing nothing, per run (s)",
            r["floor_per_run_30_s"],
            "",
            r["floor_states_30"] == {"success": 30},
        ),
        (
            "scheduler_backfill",
            "30 days: wall time per run (s)",
            r["per_run_30_s"],
            "",
            r["states_30"] == {"success": 30},
        ),
        ("scheduler_backfill", "ratio: 30 days to the floor", r["ratio_30"], "<= 1.3", r["ratio_30"] <= 1.3),
        (
            "scheduler_backfill",
            "90 days: wall time per run (s)",
            r["per_run_90_s"],
            "",
            r["states_90"] == {"success": 90},
        ),
        (
            "scheduler_backfill",
            "90 days: requests answered 429",
            r["retried_calls_90"],
            "0",
            r["retried_calls_90"] == 0,
        ),
        ("scheduler_backfill", "Airflow processes: peak PSS (MB)", r["airflow_peak_pss_mb"], "", None),
    ]


def _dashboard(r: dict[str, Any]) -> list[Row]:
    api = r["api_median_ms"]
    return [
        ("dashboard", "space rows stored (3 years, 500 spaces)", r["space_rows"], "", None),
        ("dashboard", "/api/usage server time, both meters billed (ms, median of 10)", api, "< 200", api < 200),
        ("dashboard", "baseline: /api/usage without a plan, no bill (ms)", r["api_no_bill_median_ms"], "", None),
        ("dashboard", "page rendered in headless Chromium (ms, median of 3)", r["page_median_ms"], "", None),
    ]


def _bill(r: dict[str, Any]) -> list[Row]:
    """Both meters and the bill: the year's check within twice the one-meter check; the overview."""
    one, both, overview = r["year_one_meter_s"], r["year_both_meters_s"], r["overview_median_ms"]
    ratio = round(both / one, 2)
    return [
        ("bill", "space rows stored (3 years, 500 spaces)", r["space_rows"], "", None),
        ("bill", "the year's check, one meter, no plan (s, median of 3)", one, "", None),
        ("bill", "the year's check, both meters and the bill (s, median of 3)", both, "", None),
        ("bill", "ratio: both meters to one", ratio, "<= 2", ratio <= 2),
        ("bill", "spike episodes in that year on the simulator's noise: requests / bandwidth",
         " / ".join(str(r["spike_episodes_on_noise"][m]) for m in ("requests", "bytes")), "0 / 0",
         not any(r["spike_episodes_on_noise"].values())),
        ("bill", f"/api/overview, {r['overview_orgs']} organisations (ms, median of 10)", overview, "< 300",
         overview < 300),
        ("bill", "baseline: /api/overview, one organisation (ms)", r["overview_one_org_median_ms"], "", None),
    ]  # fmt: skip


def _many_orgs(r: dict[str, Any]) -> list[Row]:
    over = r["parse_over_floor_per_dag_ms"]
    ran = r["day_runs"]
    return [
        ("many_orgs", f"dags/ with {r['organisations']} organisations (ms, median of 3)", r["parse_ms"], "", None),
        ("many_orgs", "floor: the same DAGs in EmptyOperators (ms)", r["floor_parse_ms"], "", None),
        ("many_orgs", "parse over the floor, per DAG (ms)", over, "< 20", over < 20),
        ("many_orgs", "one day of every organisation: runs by state", ran, f"{r['organisations']} success",
         ran == {"success": r["organisations"]}),
        ("many_orgs", "one day of every organisation: first queued to last done (s)", r["day_all_orgs_s"], "", None),
        ("many_orgs", "one day of every organisation: 429 answers", r["day_429"], "0", r["day_429"] == 0),
    ]  # fmt: skip


def _spike_detection(r: dict[str, Any]) -> list[Row]:
    """Issue 23's targets, in each series' own noise: quiet on noise, a 6-sigma day caught on its day."""
    from include.spike_trials import QUIET_WEEKLY

    rows: list[Row] = []
    for s in r["rows"]:
        noise, six = s["noise_episodes_per_series_year"], s["6 sigma"]
        rows.append(
            ("spike_detection", f"{s['shape']}: episodes per series-year on noise", noise, "<= 0.1", noise <= 0.1)
        )
        rows.append(("spike_detection", f"{s['shape']}: a 6-sigma day caught (%)", six, ">= 95", six >= 95))
        rows.append(
            (
                "spike_detection",
                f"{s['shape']}: 3x / 5x / 10x / 30x / 3 days at 3x / step 4x caught (%)",
                " / ".join(str(s[k]) for k in ("3x", "5x", "10x", "30x", "3 days at 3x", "step 4x")),
                "",
                None,
            )
        )
        if s["shape"] == QUIET_WEEKLY:
            rows.append(("spike_detection", f"{s['shape']}: a 5x day caught (%)", s["5x"], ">= 95", s["5x"] >= 95))
            rows.append(
                (
                    "spike_detection",
                    f"{s['shape']}: a step to 4x caught within two days (%)",
                    s["step 4x"],
                    ">= 90",
                    s["step 4x"] >= 90,
                )
            )
    for times in ("x2", "x4"):
        shift = r[f"level_shift_{times}_episodes_per_series"]
        rows.append(
            (
                "spike_detection",
                f"after a level shift ({times}, sigma 0.3, weekly): episodes per series",
                shift,
                "<= 1",
                shift <= 1,
            )
        )
    return rows  # fmt: skip


def _noisy_year(r: dict[str, Any]) -> list[Row]:
    """A year of 500 noisy spaces: the spike checks cost at most as much as the rest of the evaluation."""
    b, ours, plain = "noisy_year", r["ours_s"], r["plain_s"]
    ratio = round(ours / plain, 2)
    return [
        (b, f"{r['days']} days x {r['spaces']} spaces, uniform 0..5,000: space rows", f"{r['space_rows']:,}", "", None),
        (b, "ours: the year's check, in process (s)", ours, "< 1", ours < 1),
        (b, "plain: the same days with spikes off (s)", plain, "", None),
        (b, "ratio: ours to plain", ratio, "<= 2", ratio <= 2),
        (b, "ours: spike episodes recorded", r["ours_spike_episodes"], "0", r["ours_spike_episodes"] == 0),
        (b, "without the bill's share (spike_min_month_pct 0): the check (s)", r["share_off_s"], "", None),
        (b, "without the bill's share: spike episodes recorded", r["share_off_spike_episodes"], "", None),
    ]  # fmt: skip


def _notices(r: dict[str, Any]) -> list[Row]:
    """make run's year: a catch-up tells the present once; a wrong token is one incident per channel."""
    b, up, wrong = "notices", r["catch_up"], r["wrong_token"]
    sent, failing = up["messages"], wrong["while_failing"]
    return [
        (b, f"catch-up of {r['days']} days, runs shuffled: messages (slack, json, email)",
         _per_channel(sent), "1 each", set(sent.values()) == {1}),
        (b, "the days they tell, in arrival order", ", ".join(up["days_told"]),
         "never older than one told", up["in_order"]),
        (b, f"wrong token, {wrong['runs_failed']} runs failed: messages (slack, json, email)",
         _per_channel(failing), "1 each", set(failing.values()) == {1}),
        (b, "incident notices (JSON webhook's events): opened, resolved after the fix",
         f"{wrong['opened']}, {wrong['resolved']}", "1, 1", (wrong["opened"], wrong["resolved"]) == (1, 1)),
        (b, "after the fix, all messages (slack, json, email)", _per_channel(wrong["after_the_fix"]), "", None),
    ]  # fmt: skip


def _routes(r: dict[str, Any]) -> list[Row]:
    """Issue 38: routing is cheap beside delivering (no database, no network)."""
    routed = r["routed_ms"]
    return [
        ("routes", f"{r['notices']:,} notices through {r['routes']} routes (ms, median of 5)", routed, "< 100",
         routed < 100),
        ("routes", "baseline: the same notices with no route (ms)", r["unrouted_ms"], "", None),
        ("routes", "notices no route matched (to the organisation's channels)", r["fell_through"], "", None),
    ]  # fmt: skip


def _metrics(r: dict[str, Any]) -> list[Row]:
    """Issue 40: the usage gauges cost a day's check little."""
    ratio = round(r["check_with_metrics_ms"] / r["check_ms"], 2)
    return [
        ("metrics", f"a day's check on {r['space_days']:,} space days, gauges sent to StatsD (ms, median of 9)",
         r["check_with_metrics_ms"], "", None),
        ("metrics", "baseline: the same check without metrics (ms)", r["check_ms"], "", None),
        ("metrics", "ratio: with the gauges to without", ratio, "<= 1.05", ratio <= 1.05),
        ("metrics", "datagrams the StatsD socket received in the 9 checks", r["datagrams"], "", None),
    ]  # fmt: skip


def _digest(r: dict[str, Any]) -> list[Row]:
    """Issue 40: the weekly digest's chart is drawn quickly on the worker; its DAG's run against a one-task DAG's."""
    ratio = r["run_ratio"]
    return [
        ("digest", f"the month's chart as PNG, {r['png_bytes']:,} bytes: drawn (ms, median of 9)", r["draw_ms"],
         "< 500", r["draw_ms"] < 500),
        ("digest", "the first drawing, matplotlib imported (ms)", r["draw_cold_ms"], "", None),
        ("digest", "resident memory the chart added to the process (MB)", r["chart_rss_mb"], "< 60",
         r["chart_rss_mb"] < 60),
        ("digest", "importing matplotlib's figure and Agg canvas in a fresh interpreter (s)",
         r["matplotlib_import_s"], "", None),
        ("digest", f"the digest DAG's run through the scheduler, {r['space_days']:,} space days (s, median of 5)",
         r["digest_run_s"], "", None),
        ("digest", "baseline: a one-task DAG's run, its task doing nothing (s)", r["one_task_run_s"], "", None),
        ("digest", "ratio: the digest's run to the one-task run", ratio, "<= 1.3", ratio <= 1.3),
    ]  # fmt: skip


def _routed_year(r: dict[str, Any]) -> list[Row]:
    """Issue 38: the demo's routes mean fewer messages per channel; routes and silences cost little."""
    b, routed, plain, d = "routed_year", r["routed"]["per_week"], r["plain"]["per_week"], r["delivery"]
    each = ", ".join(f"{c} {routed[c]} (without routes {plain[c]})" for c in ("slack", "email", "pager"))
    ratio = round(d["routed_silenced_ms"] / d["plain_ms"], 2) if d["plain_ms"] else None
    return [
        (b, f"make run's year checked live, {r['routed']['weeks']:.0f} weeks: messages per channel per week",
         each, "fewer with routes", all(routed[c] <= plain[c] for c in routed)),
        (b, f"{d['notices']} notices delivered at once via 50 routes, 10 silences taking none (ms, median of 5)",
         d["routed_silenced_ms"], "", None),
        (b, "baseline: the same delivery with neither (ms)", d["plain_ms"], "", None),
        (b, "ratio: with routes and silences to without", ratio, "<= 1.2", ratio is not None and ratio <= 1.2),
    ]  # fmt: skip


def _asset_storage(r: dict[str, Any]) -> list[Row]:
    """Issue 39: a day of 50,000 files written fast and small; a month's top files fast over a year."""
    b, d, y = "asset_storage", r["day"], r["year"]
    nothing = all(v == 0 for v in d["rerun_written"].values())
    return [
        (b, f"a day of {d['files']:,} files parsed and upserted: files, day and month rows (s)", d["first_s"],
         "< 1.5", d["first_s"] < 1.5),
        (b, "Python's peak allocation meanwhile (MB, tracemalloc)", d["python_peak_mb"], "< 150",
         d["python_peak_mb"] < 150),
        (b, "baseline: COPY of the same day rows into an unindexed table (s)", d["plain_copy_s"], "", None),
        (b, "the same day again (s): rows written", f"{d['rerun_s']}: {sum(d['rerun_written'].values())}",
         "0 rows", nothing),
        (b, f"{y['rows']:,} day rows: bytes on disk per row, with the key", y["bytes_per_row"], "", None),
        (b, "baseline: a plain table of the same rows, no key (bytes per row)", y["plain_bytes_per_row"], "", None),
        (b, "the month rows beside them (bytes per day row)", y["month_rows_bytes_per_day_row"], "", None),
        (b, "a month's top 20 files with their descriptions (ms, median of 5)", y["top_month_ms"], "< 100",
         y["top_month_ms"] < 100),
        (b, "baseline: the month's top 20 summed from its day rows (ms)", y["top_month_summed_ms"], "", None),
        (b, "a day's top 20 files from its day rows (ms)", y["top_day_ms"], "", None),
    ]  # fmt: skip


def _asset_history(r: dict[str, Any]) -> list[Row]:
    """Issue 39: a year of files' bytes at the API's pace; a check naming its notice's files."""
    b, h, a = "asset_history", r["history"], r["attribution"]
    return [
        (b, f"a year of files' bytes: {h['requests']} requests, {h['files_per_day']:,} files a day, loaded (s)",
         h["ours_s"], "", None),
        (b, f"floor: the same requests at {r['rate']} a second, answers dropped (s)", h["floor_s"], "", None),
        (b, "ratio: the load to its floor", h["ratio"], "<= 1.3", h["ratio"] <= 1.3),
        (b, f"a day's check, its bandwidth notice naming {a['files_named']} files over {a['day_rows']:,} day rows (ms)",
         a["with_files_ms"], "", None),
        (b, "baseline: the same check, asset_traffic off (ms)", a["without_ms"], "", None),
        (b, "ratio: with the files to without", a["ratio"], "<= 1.2", a["ratio"] <= 1.2),
    ]  # fmt: skip


def _scale(r: dict[str, Any]) -> list[Row]:
    """The overview flat in years and under 300 ms at 200 organisations; a busy day under 0.3 s."""
    o, busy = r["overview_ms"], r["busy_day_s"]
    flat = round(o["200x10"] / o["200x1"], 2)
    rows: list[Row] = [
        ("scale", f"/api/overview, {n} organisations x {y} years (ms, median of 10)", o[f"{n}x{y}"], *target)
        for y in (1, 3, 10)
        for n in (10, 50, 200)
        for target in [("< 300", o[f"{n}x{y}"] < 300) if n == 200 else ("", None)]
    ]
    rows += [
        ("scale", "baseline: /api/overview, one organisation of one year (ms)", r["overview_one_org_ms"], "", None),
        ("scale", "ratio: 200 organisations of 10 years to 200 of 1", flat, "<= 1.2", flat <= 1.2),
        *[
            ("scale", f"a day's check, every space judged, {n} spaces (s, median of 5)", busy[n], *target)
            for n in ("100", "500", "2500")
            for target in [("< 0.3", busy[n] < 0.3) if n == "2500" else ("", None)]
        ],
        ("scale", "baseline: the same day's check, spikes off, 2500 spaces (s)", r["busy_day_spikes_off_s"], "", None),
    ]
    return rows


def _per_channel(counts: dict[str, int]) -> str:
    return ", ".join(str(counts[c]) for c in ("slack", "json", "email"))


ROWS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "parse": _parse,
    "asset_history": _asset_history,
    "upsert": _upsert,
    "backfill": _bulk,
    "scheduler_backfill": _scheduler,
    "dashboard": _dashboard,
    "bill": _bill,
    "many_orgs": _many_orgs,
    "spike_detection": _spike_detection,
    "noisy_year": _noisy_year,
    "notices": _notices,
    "routes": _routes,
    "routed_year": _routed_year,
    "asset_storage": _asset_storage,
    "scale": _scale,
    "metrics": _metrics,
    "digest": _digest,
}


def _rows(name: str, r: dict[str, Any]) -> list[Row]:
    return [*ROWS[name](r), (name, "peak memory of the benchmark process (MB)", r["peak_rss_mb"], "", None)]


def machine() -> dict[str, Any]:
    def first_line(path: str, prefix: str) -> str:
        try:
            return next(line for line in Path(path).read_text().splitlines() if line.startswith(prefix))
        except (OSError, StopIteration):
            return ""

    return {
        "cpus": os.cpu_count(),
        "cpu": first_line("/proc/cpuinfo", "model name").split(":", 1)[-1].strip(),
        "memory": first_line("/proc/meminfo", "MemTotal").split(":", 1)[-1].strip(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def provenance(argv: Sequence[str], environ: Mapping[str, str], today: date) -> dict[str, Any]:
    """Where a run's figures come from, kept with each benchmark it ran: the machine, the date and the
    command (``make bench`` when make started it with no names; make sets MAKELEVEL in its recipes)."""
    command = "make bench" if not argv and "MAKELEVEL" in environ else " ".join(["python -m benchmarks.run", *argv])
    return {"date": today.isoformat(), "command": command, **machine()}


def header(run: dict[str, Any]) -> str:
    """A table's first line: the CPU model and cores, the date, the command; nothing else."""
    cpu = run.get("cpu") or "CPU model not recorded"
    cores = f"{run['cpus']} cores" if run.get("cpus") else "cores not recorded"
    return f"{cpu}, {cores} · {run['date']} · `{run['command']}`"


def tables(results: dict[str, dict[str, Any]]) -> str:
    """The results as tables, one per run (benchmarks in the order given), each under its header."""
    runs: dict[str, list[Row]] = {}
    for name, r in results.items():
        runs.setdefault(header(r["run"]), []).extend(_rows(name, r))
    return "\n\n".join(f"{head}\n\n{table(rows)}" for head, rows in runs.items())


def run(name: str) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"benchmark {name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["benchmark_seconds"] = round(time.perf_counter() - started, 1)
    return result


def table(rows: list[Row]) -> str:
    def mark(ok: bool | None) -> str:
        return "" if ok is None else ("met" if ok else "MISSED")

    lines = ["| benchmark | measure | value | target | |", "|---|---|---|---|---|"]
    fmt: Callable[[Any], str] = lambda v: f"{v:,}" if isinstance(v, int) else str(v)  # noqa: E731
    lines += [f"| {b} | {m} | {fmt(v)} | {t} | {mark(ok)} |" for b, m, v, t, ok in rows]
    return "\n".join(lines)


def main() -> int:
    if sys.argv[1:] == ["--tables"]:  # what results.json holds, as the README shows it
        print(tables(json.loads(OUT.read_text())["results"]))
        return 0
    only = sys.argv[1:] or list(BENCHMARKS)
    run_of = provenance(sys.argv[1:], os.environ, datetime.now(UTC).date())
    results = {name: run(name) | {"run": run_of} for name in only}
    print(tables(results))
    missed = any(ok is False for name, r in results.items() for *_, ok in _rows(name, r))
    if sys.argv[1:] and OUT.exists():  # a few benchmarks again: the others' last figures stay, with their run
        results = json.loads(OUT.read_text())["results"] | results
    OUT.write_text(json.dumps({"results": results}, indent=2) + "\n")
    print(f"\nwritten to {OUT.relative_to(ROOT)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
