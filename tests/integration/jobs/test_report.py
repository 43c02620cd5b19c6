from __future__ import annotations

from datetime import date

from storyblok_traffic.config import MonitorConfig, OrgConfig
from storyblok_traffic.jobs.daily import check_usage
from storyblok_traffic.jobs.report import bill_report, usage_report
from storyblok_traffic.warehouse.engine import begin


def test_report_per_month_with_percent_and_alerts(history, engine, schema):
    history.limit("acme", date(2026, 6, 1), 100)
    history.days("acme", {date(2026, 5, 31): 300, date(2026, 6, 1): 400})
    org = OrgConfig(conn_id="sb", org="acme", monthly_thresholds=())
    check_usage(date(2026, 6, 1), org, MonitorConfig(warehouse_schema=schema), today=date(2026, 6, 1))
    with begin(engine, schema) as conn:
        text = usage_report(conn, "acme", date(2026, 6, 1))
    lines = text.splitlines()
    assert lines[0] == "Storyblok traffic for acme (yearly limit: 1,200 requests)"
    assert any(line.startswith("2026-05") and "300" in line and "25.0%" in line for line in lines)
    assert any(line.startswith("2026-06") and "400" in line and "33.3%" in line for line in lines)
    assert "2026-01-01 to 2026-06-01: 700 requests stored, 58.33% of the limit" in text
    assert "  year from 2026-01-01, API requests: 50% crossed on 2026-06-01 (pending)" in lines
    assert "  no data after 2026-06-01" not in text
    assert "Files behind" not in text  # none stored: no line about them


def test_a_contracts_report_sums_its_own_months_and_year_as_the_notices_do(history, engine, schema):
    """Months from the 15th: the report's months, year so far and files are the contract's (the notices'),
    not the calendar's (the calendar year said 700 requests where the contract year had 400)."""
    history.limit("acme", date(2026, 1, 1), 100)
    history.meters("acme", {date(2026, 5, 31): (300, 10**9), date(2026, 6, 14): (400, 10**9)})
    history.meters("acme", {date(2026, 6, 15): (500, 10**9), date(2026, 6, 16): (600, 3 * 10**9)})
    history.files("acme", date(2026, 6, 16), {7: ("launch.mp4", "video/mp4", 200 * 10**6, 10**9)})
    with begin(engine, schema) as conn:
        text = usage_report(conn, "acme", date(2026, 6, 16), (6, 15))
    lines = text.splitlines()
    assert lines[2].split() == ["month", "from", "days", "requests", "%", "of", "year", "GB"]
    assert lines[3].split() == ["2026-05-15", "2", "700", "58.3%", "2.00"]
    assert lines[4].split() == ["2026-06-15", "2", "1,100", "91.7%", "4.00"]
    assert "2026-06-15 to 2026-06-16: 1,100 requests stored, 91.67% of the limit" in text
    assert any(line.startswith("Files behind the most bandwidth in the month from 2026-06-15 to ") for line in lines)


def test_the_report_names_the_month_s_files_behind_the_bandwidth(history, engine, schema):
    history.limit("acme", date(2026, 6, 1), 100)
    history.meters("acme", {date(2026, 6, 1): (10, 40 * 10**9), date(2026, 6, 2): (10, 40 * 10**9)})
    video = ("launch.mp4", "video/mp4", 200 * 10**6, 30 * 10**9)
    history.files("acme", date(2026, 6, 2), {7: video, 8: ("logo.png", "image/png", 10**5, 10**6)})
    with begin(engine, schema) as conn:
        lines = usage_report(conn, "acme", date(2026, 6, 2)).splitlines()
    heading = lines.index(
        "Files behind the most bandwidth in the month from 2026-06-01 to 2026-06-02 (1 day of it with no file stored):"
    )
    assert lines[heading + 1].startswith(
        "  launch.mp4 (space 100007, video/mp4, 200.0 MB): 30.0 GB, served about 150 times, 37.5% of the bandwidth"
    )
    assert lines[heading + 2].startswith("  logo.png (space 100007, image/png, 100 kB): ")


def test_the_bill_in_the_report_hand_computed(history, engine, schema):
    """Storyblok's limit of 1,000,000 is Growth's: assumed. Three days of 2,000,000 requests pass
    Growth's maximum of 5,000,000 on the third; 1,000,000 over: five blocks of 1,000,000 at USD 10."""
    history.limit("acme", date(2026, 6, 1), 1_000_000)
    history.days("acme", {date(2026, 6, d): 2_000_000 for d in (1, 2, 3)})  # and 20,000,000 bytes a day
    with begin(engine, schema) as conn:
        text = bill_report(conn, OrgConfig(conn_id="sb", org="acme"), date(2026, 6, 3))
    assert text.splitlines() == [
        "Bill: Growth, assumed: Storyblok reports a monthly limit of 1,000,000 requests, what Growth includes "
        "(set plan to be sure), billed monthly, 2026-06-01 to 2026-06-30 (plan table read 2026-12-05: check it "
        "against the contract)",
        "  API requests: 6,000,000 requests of 1,000,000 requests included (600.0%); overage 5 blocks, USD 50.00; "
        "maximum 5,000,000 requests reached on 2026-06-03",
        "  bandwidth: 0.1 GB of 400.0 GB included (0.01%); overage 0 blocks, USD 0.00",
        "  so far: USD 149.00 (overage USD 50.00); projected: too few complete days",
        "  the month on each plan: Starter USD 60.00 (not possible on this plan: its hard cap of 100,000 API "
        "requests would be exceeded by 5,900,000 requests; past a hard cap Storyblok's API refuses requests), "
        "Growth USD 149.00 (yours) (not possible on this plan: its hard cap of 5,000,000 API requests would be "
        "exceeded by 1,000,000 requests; past a hard cap Storyblok's API refuses requests), Growth Plus USD 369.00",
    ]


def test_without_a_plan_the_report_says_why_no_bill_is_made(history, engine, schema):
    history.limit("acme", date(2026, 6, 1), 800_000)
    history.days("acme", {date(2026, 6, 1): 10})
    with begin(engine, schema) as conn:
        text = bill_report(conn, OrgConfig(conn_id="sb", org="acme"), date(2026, 6, 1))
    assert text == (
        "Bill: Storyblok reports a monthly limit of 800,000 requests, which no plan of the table includes: only "
        "that limit is watched and no bill is made (set plan)."
    )


def test_the_quiet_history_is_folded_a_line_per_period_as_on_the_dashboard(history, engine, schema):
    """A history checked quietly (older than the lookback) records an alert per crossing; the report
    folds them under one line per period, the dashboard's lines, and tells the live alert on its own."""
    from storyblok_traffic.evaluation.figures import usage_figures

    history.limit("acme", date(2026, 1, 1), 100)
    history.days("acme", {date(2026, 3, 1): 90, date(2026, 3, 2): 20, date(2026, 4, 1): 85, date(2026, 6, 1): 100})
    org, config = OrgConfig(conn_id="sb", org="acme"), MonitorConfig(warehouse_schema=schema)
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 4, 1), date(2026, 6, 1)):
        check_usage(day, org, config, today=date(2026, 6, 1))  # all but June 1 older than the lookback
    with begin(engine, schema) as conn:
        lines = usage_report(conn, "acme", date(2026, 6, 1)).splitlines()
        dashboard = usage_figures(conn, org, date(2026, 6, 1), date(2026, 6, 1), config.routing(org))
    quiet = lines[lines.index("Recorded quietly (the history, or days caught up; never sent):") + 1 :]
    assert quiet == [
        "  month 2026-04-01: 1 alert (API requests 80%)",
        "  month 2026-03-01: 2 alerts (API requests 80%, 100%)",
    ]
    assert quiet == [f"  {q.line}" for q in dashboard.quiet]
    assert [len(q.rows) for q in dashboard.quiet] == [1, 2]
    assert {r.group for q in dashboard.quiet for r in q.rows} == {"quiet"}
    assert not any("(suppressed)" in line for line in lines)
    assert "  month from 2026-06-01, API requests: 100% crossed on 2026-06-01 (pending)" in lines


def test_with_nothing_stored_the_report_says_so_instead_of_a_zero_limit_and_a_free_plan(history, engine, schema):
    org = OrgConfig(conn_id="sb", org="acme", plan="growth")
    with begin(engine, schema) as conn:
        assert usage_report(conn, "acme", date(2026, 6, 1)) == "No traffic is stored for acme yet.\nPipeline: working"
        assert bill_report(conn, org, date(2026, 6, 1)) == "Bill: no traffic stored yet, so no bill to make."
