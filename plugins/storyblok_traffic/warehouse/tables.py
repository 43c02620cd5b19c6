"""Current table definitions, used by every query.

Tables carry no schema: ``connect()`` in ``storyblok_traffic.warehouse.engine`` maps them into the configured
schema with ``schema_translate_map``, so the schema name is never formatted into SQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSON

metadata = MetaData()

org_traffic_daily = Table(
    "org_traffic_daily",
    metadata,
    Column("org", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("api_requests", BigInteger, nullable=False),
    Column("total_bytes", BigInteger),  # null until Storyblok has calculated the bandwidth
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("org", "day"),
)

space_traffic_daily = Table(
    "space_traffic_daily",
    metadata,
    Column("org", Text, nullable=False),
    Column("space_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("api_requests", BigInteger, nullable=False),
    Column("total_bytes", BigInteger),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    # Day before space: a new month appends at the index's edge, and one day's spaces (spike checks) is one range.
    PrimaryKeyConstraint("org", "day", "space_id"),
)

# Storyblok's assets (files: images, videos, documents) and the bytes each served a day (assets_traffic).
assets = Table(
    "assets",
    metadata,
    Column("org", Text, nullable=False),
    Column("asset_id", BigInteger, nullable=False),
    Column("space_id", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_type", Text),
    Column("content_length", BigInteger),  # the file's size in bytes
    Column("is_private", Boolean),
    Column("deleted_at", DateTime(timezone=True)),  # deleted in Storyblok (and, if it has traffic, still linked)
    Column("first_day", Date, nullable=False),  # the first and last day it served bytes, of the days fetched
    Column("last_day", Date, nullable=False),
    PrimaryKeyConstraint("org", "asset_id"),
)

# Only assets with traffic on the day: some 50,000 a day, 18 million rows a year, for a large organisation.
asset_traffic_daily = Table(
    "asset_traffic_daily",
    metadata,
    Column("org", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("asset_id", BigInteger, nullable=False),
    Column("total_bytes", BigInteger, nullable=False),
    # Day first, as space_traffic_daily: a day's rows are one range (a check's top assets read 17 ms of them).
    PrimaryKeyConstraint("org", "day", "asset_id"),
)

# Each asset's month, kept with every daily write: a month's top assets summed from the daily rows read
# 1.5 million of them (1.1 s, measured over a year of 50,000 assets a day); from here, 20 index entries.
asset_traffic_monthly = Table(
    "asset_traffic_monthly",
    metadata,
    Column("org", Text, nullable=False),
    Column("month", Date, nullable=False),  # its first day
    Column("asset_id", BigInteger, nullable=False),
    Column("total_bytes", BigInteger, nullable=False),
    Column("days", Integer, nullable=False),  # days of the month it served bytes on
    PrimaryKeyConstraint("org", "month", "asset_id"),
    Index("ix_asset_traffic_monthly_top", "org", "month", text("total_bytes DESC"), "asset_id"),
)

usage_snapshots = Table(
    "usage_snapshots",
    metadata,
    Column("org", Text, nullable=False),
    Column("as_of", Date, nullable=False),  # the UTC day the snapshot was fetched
    Column("monthly_traffic_limit", BigInteger, nullable=False),
    Column("yearly_traffic_limit", BigInteger, nullable=False),
    Column("traffic_used_this_year", BigInteger, nullable=False),
    Column("requests_used_last_7_days", BigInteger),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("org", "as_of"),
)

usage_alerts = Table(
    "usage_alerts",
    metadata,
    Column("org", Text, nullable=False),
    Column("period", Text, nullable=False),  # 'year', 'month', or 'data' for no-data alarms
    Column("period_start", Date, nullable=False),  # for 'data': the newest stored day when data stopped
    Column("kind", Text, nullable=False),  # 'actual', 'forecast' or 'no_data'
    Column("threshold_pct", Numeric(7, 2), nullable=False),
    Column("period_end", Date),
    Column("crossed_on", Date, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("usage", BigInteger, nullable=False),
    Column("usage_limit", BigInteger, nullable=False),
    Column("projected_on", Date),
    Column("status", Text, nullable=False),  # pending, sent, suppressed, cleared
    Column("notice", Text, nullable=False),  # alarm or clear
    Column("notice_seq", Integer, nullable=False),
    Column("evaluated_on", Date, nullable=False),
    Column("notified_at", DateTime(timezone=True)),
    Column("detail", Text),  # figures disagree: what Storyblok reports, what is stored, what to change
    Column("meter", Text, nullable=False),  # requests or bytes; '' for kinds without one (no data, ...)
    # What the notice tells beyond its row, stored when it became due (``rules.told``): its message is
    # rendered from the row and these, never from figures read at sending time. Null for quiet rows.
    Column("figures", JSON),
    Column("space_id", Text),  # a space's spike or new space: its space; null for the organisation and other kinds
    Column("silence_id", Text),  # status 'silenced': the silence that held its current notice (``silences``)
    PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct", "meter"),
    # The alerts that may be open (``alerts.maybe_open``), found without reading the organisation's years.
    Index("ix_usage_alerts_pending", "org", postgresql_where=text("status = 'pending'")),
    Index(
        "ix_usage_alerts_told_alarms",
        "org",
        "period_end",
        postgresql_where=text("notice = 'alarm' AND status IN ('sent', 'silenced')"),
    ),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("org", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("kind", Text, nullable=False),
    Column("threshold_pct", Numeric(7, 2), nullable=False),
    Column("notice_seq", Integer, nullable=False),
    Column("channel", Text, nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
    Column("meter", Text, nullable=False),
    # The notice as the channel got it (its row with its figures): the message renders again from these,
    # byte for byte (``notifications.delivery.rendered_again``). Null for deliveries before revision 0008.
    Column("as_sent", JSON),
    PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct", "meter", "notice_seq", "channel"),
)

# An incident service's incident whose alarm ended without a notice of its own (its period ended, data came
# back): resolved there once (``notifications.delivery``), per channel and notice.
incident_ends = Table(
    "incident_ends",
    metadata,
    Column("org", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("kind", Text, nullable=False),
    Column("threshold_pct", Numeric(7, 2), nullable=False),
    Column("meter", Text, nullable=False),
    Column("notice_seq", Integer, nullable=False),
    Column("channel", Text, nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct", "meter", "notice_seq", "channel"),
)

raw_responses = Table(
    "raw_responses",
    metadata,
    Column("org", Text, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("group_by", Text, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),  # the answer's text as received (token blanked), lz4 where possible
    Column(
        "endpoint", Text, nullable=False
    ),  # the statistics endpoint that answered: model.ALL_TRAFFIC or ASSETS_TRAFFIC
    PrimaryKeyConstraint("org", "endpoint", "start_date", "end_date", "group_by"),
)

rejected_responses = Table(
    "rejected_responses",
    metadata,
    Column("org", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("error", Text, nullable=False),
    Column("body", Text, nullable=False),  # as received (first MB), for diagnosis; never parsed into the tables
    Column("endpoint", Text, nullable=False),
    PrimaryKeyConstraint("org", "received_at"),
)

evaluation_marks = Table(
    "evaluation_marks",
    metadata,
    Column("org", Text, primary_key=True),
    Column("changed_from", Date),  # moved by every write that changes a stored day, in its transaction
    Column("checked_at", DateTime(timezone=True)),  # when a daily check last completed: the watchdog reads it
    Column("watched_since", DateTime(timezone=True)),  # when the watchdog first saw the organisation
)

# The days checked so far; see storyblok_traffic.rules.ordering.
checked_days = Table(
    "checked_days",
    metadata,
    Column("org", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("quiet", Boolean, nullable=False),  # recorded without notices (caught up, or history)
    Column("history", Boolean, nullable=False),  # checked by a history load: before monitoring started
    PrimaryKeyConstraint("org", "day"),
)


def _alert_columns() -> list[Column[object]]:
    return [Column(c.name, c.type, nullable=c.nullable) for c in usage_alerts.columns]


# Every change of an alert row, by the day whose evaluation made it: a check that must evaluate an
# earlier day again rewinds usage_alerts to these rows as they were before that day.
usage_alert_versions = Table(
    "usage_alert_versions",
    metadata,
    Column("day", Date, nullable=False),
    *_alert_columns(),
    PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct", "meter", "day"),
)


# Notices whose row moved on to a newer notice before every channel had them (``rules.alert_state.
# superseded``): each goes out with its row's next message to the channels that lack it, and its row
# here goes once every channel has it. ``day``: the evaluation that superseded it (a rewind takes it back).
superseded_notices = Table(
    "superseded_notices",
    metadata,
    Column("day", Date, nullable=False),
    *_alert_columns(),
    PrimaryKeyConstraint("org", "period", "period_start", "kind", "threshold_pct", "meter", "notice_seq"),
)


# A failing pipeline, one incident per organisation and cause (``rules.incidents``): opened by the first
# failed run, counted on by later ones, resolved by the next completed check. ``org`` is '' for the watchdog.
pipeline_incidents = Table(
    "pipeline_incidents",
    metadata,
    Column("org", Text, nullable=False),
    Column("cause", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("first_run", Text, nullable=False),
    Column("first_task", Text),
    Column("first_error", Text),  # the first line of the error, secrets masked
    Column("last_run", Text, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("runs_failed", Integer, nullable=False),
    Column("token_fingerprint", Text),  # a rejected token's keyed hash: only that token fails fast
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", Date),  # the day whose completed check resolved it
    PrimaryKeyConstraint("org", "cause", "opened_at"),
)

# Which channel has which notice of an incident (opened, resolved): the same ledger as alert_deliveries.
incident_deliveries = Table(
    "incident_deliveries",
    metadata,
    Column("org", Text, nullable=False),
    Column("cause", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("notice", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("org", "cause", "opened_at", "notice", "channel"),
)


# Each organisation's weekly digest, per channel (``jobs.digest``): the same ledger as alert_deliveries, so
# that a week is sent once to each channel, and a retry serves only the channel that refused it. ``subject``
# and ``text``: what the channel was told.
digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    Column("org", Text, nullable=False),
    Column("week_start", Date, nullable=False),  # the ISO week's Monday
    Column("channel", Text, nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    PrimaryKeyConstraint("org", "week_start", "channel"),
)


# Silences (``rules.silences``): a matcher, a time span, a reason and who made it; one organisation each.
silences = Table(
    "silences",
    metadata,
    Column("id", Text, primary_key=True),  # a number (dashboard, CLI) or 'config-<hash>' (the configuration)
    Column("org", Text, nullable=False),
    Column("matchers", JSON, nullable=False),  # field -> [values], the fields beyond the organisation
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("source", Text, nullable=False),  # dashboard, cli or configuration
    Column("expired_at", DateTime(timezone=True)),  # expired before its end
    Column("expired_by", Text),
)

# Every change to a silence: who did what, when (made, expired, gone from the configuration).
silence_changes = Table(
    "silence_changes",
    metadata,
    Column("silence_id", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", Text, nullable=False),
    Column("what", Text, nullable=False),
    PrimaryKeyConstraint("silence_id", "at", "what"),
)
