"""``make bench``: each table says where its figures come from (CPU model, cores, date, command), and
each benchmark's results keep it, so a few run again by name keep their own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from benchmarks import run as bench


def test_the_run_is_the_machine_the_date_and_the_command(monkeypatch):
    monkeypatch.setattr(bench, "machine", lambda: {"cpu": "Intel(R) Xeon(R) Processor", "cpus": 2})
    by_make = bench.provenance([], {"MAKELEVEL": "1"}, date(2026, 12, 6))
    assert bench.header(by_make) == "Intel(R) Xeon(R) Processor, 2 cores · 2026-12-06 · `make bench`"
    by_name = bench.provenance(["bill", "dashboard"], {"MAKELEVEL": "1"}, date(2026, 12, 6))
    assert by_name["command"] == "python -m benchmarks.run bill dashboard"
    assert bench.provenance([], {}, date(2026, 12, 6))["command"] == "python -m benchmarks.run"
    assert bench.header({"date": "2026-12-02", "command": "make bench"}) == (
        "CPU model not recorded, cores not recorded · 2026-12-02 · `make bench`"
    )


def test_the_cpu_model_and_cores_come_from_this_machine():
    found = bench.machine()
    cpuinfo = Path("/proc/cpuinfo").read_text()
    assert found["cpu"]
    assert found["cpu"] in cpuinfo
    assert found["cpus"] >= 1


def test_results_json_is_one_table_per_run_each_under_its_header():
    import json

    results = json.loads(bench.OUT.read_text())["results"]
    assert all({"date", "command", "cpu"} <= set(r["run"]) for r in results.values())
    text = bench.tables(results)
    heads = [line for line in text.splitlines() if " · " in line]
    assert len(heads) == len({bench.header(r["run"]) for r in results.values()})
    readme = (bench.ROOT / "benchmarks" / "README.md").read_text()
    assert all(head in readme for head in heads)  # the README heads its tables with the same lines
