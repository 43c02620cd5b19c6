"""The ``storyblok-traffic`` console command against a real Postgres: as installed (a fresh process),
and in-process where only its behaviour matters (no interpreter start)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from storyblok_traffic.warehouse.migrations import HEAD, REVISIONS, current_revision

COMMAND = str(Path(sys.executable).with_name("storyblok-traffic"))


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a fresh process."""
    return subprocess.run(
        [COMMAND, *args], env=os.environ | env, capture_output=True, text=True, timeout=120, check=False
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``main`` in this process, with what it printed."""
    from storyblok_traffic.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


def test_db_migrate_with_a_url_then_current(engine, schema, warehouse_url):
    before = cli("db", "current", "--url", warehouse_url, "--schema", schema)
    assert before.returncode == 1
    assert "revision none; this package needs" in before.stdout

    done = cli("db", "migrate", "--url", warehouse_url, "--schema", schema)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"warehouse schema {schema}: at revision {HEAD} (applied {', '.join(REVISIONS)})"
    assert current_revision(engine, schema) == HEAD

    again = cli("db", "migrate", "--url", warehouse_url, "--schema", schema)
    assert "(nothing to do)" in again.stdout
    assert cli("db", "current", "--url", warehouse_url, "--schema", schema).returncode == 0


def test_db_migrate_reads_the_configuration_and_its_airflow_connection(engine, schema, warehouse_conn, tmp_path):
    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\n")
    done = cli("db", "migrate", STORYBLOK_TRAFFIC_CONFIG=str(config))
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip() == f"warehouse schema {schema}: at revision {HEAD} (applied {', '.join(REVISIONS)})"
    )  # one line
    assert current_revision(engine, schema) == HEAD


def test_a_bad_configuration_names_the_file_and_the_setting(tmp_path, monkeypatch, capsys):
    config = tmp_path / "monitor.yaml"
    config.write_text("warehouse_schema: Not-An-Identifier\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    done = run(capsys, "db", "migrate")
    assert done.returncode == 2
    assert str(config) in done.stderr
    assert "warehouse_schema 'Not-An-Identifier'" in done.stderr


def test_report_prints_the_stored_usage(history, schema, warehouse_url, capsys):
    history.days("acme", {date(2026, 3, d): 1_000 for d in range(1, 6)})
    history.limit("acme", date(2026, 3, 1), 10_000)
    done = run(capsys, "report", "--url", warehouse_url, "--schema", schema, "--org", "acme", "--as-of", "2026-03-05")
    assert done.returncode == 0, done.stderr
    assert "2026-01-01 to 2026-03-05: 5,000 requests stored" in done.stdout
    assert "Bill:" not in done.stdout  # acme is not a configured organisation: its plan is unknown


def test_a_report_cut_short_by_its_reader_ends_quietly(history, schema, warehouse_url):
    """`storyblok-traffic report | head -1`: the reader has gone when the report is written; no traceback."""
    history.days("acme", {date(2026, 3, d): 1_000 for d in range(1, 6)})
    history.limit("acme", date(2026, 3, 1), 10_000)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: the first write meets a broken pipe
    try:
        done = subprocess.run(
            [COMMAND, "report", "--url", warehouse_url, "--schema", schema, "--org", "acme"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


def test_report_of_a_configured_organisation_ends_with_its_bill(history, schema, warehouse_url, capsys):
    history.days("storyblok_default", {date(2026, 3, d): 1_000 for d in range(1, 6)})
    history.limit("storyblok_default", date(2026, 3, 1), 100_000)  # Starter's included requests
    done = run(capsys, "report", "--url", warehouse_url, "--schema", schema, "--as-of", "2026-03-05")
    assert done.returncode == 0, done.stderr
    assert "\nBill: Starter, assumed: Storyblok reports a monthly limit of 100,000 requests" in done.stdout
    bill = "  API requests: 5,000 requests of 100,000 requests included (5.0%); overage 0 blocks, USD 0.00"
    assert bill in done.stdout


def test_report_defaults_to_the_newest_stored_day_and_never_suggests_a_migration(
    history, schema, warehouse_url, capsys
):
    history.days("acme", {date(2026, 3, d): 1_000 for d in range(1, 6)})
    history.limit("acme", date(2026, 3, 1), 10_000)
    done = run(capsys, "report", "--url", warehouse_url, "--schema", schema, "--org", "acme")
    assert done.returncode == 0, done.stderr
    assert "2026-01-01 to 2026-03-05: 5,000 requests stored" in done.stdout
    wrong = warehouse_url.rsplit("/", 1)[0] + "/postgres"  # the natural guess: the server's default database
    done = run(capsys, "report", "--url", wrong, "--schema", schema, "--org", "acme")
    assert done.returncode == 1
    assert f"database 'postgres' has no warehouse schema '{schema}'" in done.stderr
    assert "migrate" not in done.stderr


def test_an_unreachable_warehouse_is_one_line_not_a_traceback(schema, capsys):
    from include.net import free_port

    done = run(
        capsys, "db", "migrate", "--url", f"postgresql://postgres@127.0.0.1:{free_port()}/none", "--schema", schema
    )
    assert done.returncode == 1
    assert done.stderr.startswith("storyblok-traffic: ")
    assert "Traceback" not in done.stderr


def test_a_missing_airflow_connection_is_named(monkeypatch, capsys):
    monkeypatch.delenv("AIRFLOW_CONN_STORYBLOK_WAREHOUSE", raising=False)
    done = run(capsys, "db", "current", "--conn-id", "no_such_warehouse")
    assert done.returncode == 1
    assert "cannot use the warehouse connection 'no_such_warehouse'" in done.stderr
    assert "or name the database with --url postgresql://" in done.stderr  # what to do instead
    assert "Traceback" not in done.stderr


def test_silence_add_list_and_expire(engine, schema, warehouse_url, tmp_path, monkeypatch, capsys):
    """Issue 38: a silence made from a shell, listed with its changes, expired; a mistake is one line
    naming it, and nothing is written for it."""
    config = tmp_path / "monitor.yaml"
    config.write_text(f"warehouse_schema: {schema}\norganisations: [{{conn_id: sb, org: acme}}]\n")
    monkeypatch.setenv("STORYBLOK_TRAFFIC_CONFIG", str(config))
    where = ("--url", warehouse_url)
    made = run(
        capsys,
        "silence",
        "add",
        *where,
        "--kind",
        "spike",
        "--space",
        "100021",
        "--for",
        "3d",
        "--reason",
        "CDN migration",
        "--by",
        "alice",
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("silence 1 made for acme: kind=spike, space=100021 until ")

    wrong = run(capsys, "silence", "add", *where, "--for", "3 days", "--reason", "x")
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1,
        "storyblok-traffic: silence not made: --for '3 days': give hours, days or weeks, such as 4h, 3d or 2w",
    )
    stranger = run(capsys, "silence", "add", *where, "--org", "globex", "--for", "4h", "--reason", "x")
    assert "--org globex: not monitored; one of acme" in stranger.stderr
    refused = {
        ("--kind", "spike", "--for", "0h"): "a silence holds an hour at least (1h)",
        ("--space", "abc", "--for", "4h"): "space 'abc' is not a space id (digits)",
        ("--for", "4h"): "name at least one of kind, meter, period, severity or space",
    }
    for args, said in refused.items():
        assert said in run(capsys, "silence", "add", *where, *args, "--reason", "x").stderr
    assert "--org nope: not monitored" in run(capsys, "silence", "list", *where, "--org", "nope").stderr

    listed = run(capsys, "silence", "list", *where)
    first, change = listed.stdout.splitlines()
    assert first.startswith("1  acme  active  kind=spike, space=100021  until ")
    assert first.endswith("by alice (cli): CDN migration")
    assert change.split("UTC  ", 1)[1].startswith("alice: made (cli): kind=spike, space=100021 until ")

    ended = run(capsys, "silence", "expire", *where, "1", "--by", "bob")
    assert ended.stdout.strip() == "silence 1 of acme expired: its notices go out again"
    assert run(capsys, "silence", "list", *where).stdout.strip().startswith("no silences holding or to come")
    everything = run(capsys, "silence", "list", *where, "--all").stdout.splitlines()
    assert everything[0].startswith("1  acme  ended  ")
    assert everything[-1].endswith("bob: expired (cli)")
    again = run(capsys, "silence", "expire", *where, "1")
    assert again.returncode == 1
    assert "silence 1 ended already" in again.stderr


def test_digest_previews_a_week_as_text_or_as_the_emails_html_and_refuses_what_it_cannot_tell(
    history, schema, warehouse_url, tmp_path, capsys
):
    """Two weeks of March 2026 (2026-W10, W11) stored: the preview of W11 against W10, sent nowhere."""
    history.meters("storyblok_default", {date(2026, 3, d): (1_000 * d, 10**9) for d in range(2, 16)})
    history.limit("storyblok_default", date(2026, 3, 1), 100_000)
    where = ["--url", warehouse_url, "--schema", schema]
    done = run(capsys, "digest", *where, "--week", "2026-W11")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        "Storyblok weekly digest for storyblok_default: 2026-W11, 9 Mar - 15 Mar 2026",
        "This week",
        f"  API requests: {sum(1_000 * d for d in range(9, 16)):,}, +{(84 / 35 - 1) * 100:.1f}% on the week before",
    ]
    page = tmp_path / "digest.html"
    done = run(capsys, "digest", *where, "--week", "2026-W11", "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"the digest of 2026-W11 for storyblok_default: {page} (open it in a browser)\n"
    assert '<img src="data:image/png;base64,iVBORw0KGgo' in page.read_text()  # the chart inside the file
    future = run(capsys, "digest", *where, "--week", "2099-W01")
    assert (future.returncode, future.stderr) == (
        1,
        "storyblok-traffic: week 2099-W01 (29 Dec 2098 - 4 Jan 2099) has not begun: today is "
        f"{datetime.now(UTC).date()}\n",
    )
    empty = run(capsys, "digest", *where, "--week", "2026-W01")
    assert empty.returncode == 1
    assert "nothing is stored for storyblok_default by 2026-01-04" in empty.stderr
    with pytest.raises(SystemExit) as wrong:
        run(capsys, "digest", *where, "--week", "2026-11")
    assert wrong.value.code == 2
    assert "is not an ISO week such as 2026-W49" in capsys.readouterr().err
