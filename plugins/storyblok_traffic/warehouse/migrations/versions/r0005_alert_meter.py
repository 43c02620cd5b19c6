"""The meter in the alert key: requests and bandwidth (bytes) each have their own thresholds, forecasts
and spikes, so an alert row, its deliveries and its journal name the meter it counts.

Every existing threshold, forecast and spike row counted the organisation's configured ``limit_meter``
(the migration is given it, by ``storyblok-traffic db migrate`` and by the tasks, from the
configuration; an organisation it is not given counted requests, the default). Rows of kinds that
watch no meter (no data, a silent monitor, figures disagree) get ''. Deliveries follow their alert,
so a notice sent before the upgrade is still recognised as sent.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

METERED = ("actual", "forecast", "spike")
OLD_KEY = ["org", "period", "period_start", "kind", "threshold_pct"]
# table -> the key columns after the alert's key (the deliveries' and the journal's own)
TABLES = {"usage_alerts": [], "alert_deliveries": ["notice_seq", "channel"], "usage_alert_versions": ["day"]}


def upgrade() -> None:
    bytes_orgs = _bytes_orgs()
    for table, rest in TABLES.items():
        op.add_column(table, sa.Column("meter", sa.Text, nullable=False, server_default="requests"))
        op.execute(_where(f"UPDATE {table} SET meter = '' WHERE kind NOT IN :metered"))
        if bytes_orgs:
            op.execute(
                _where(f"UPDATE {table} SET meter = 'bytes' WHERE kind IN :metered AND org IN :orgs", bytes_orgs)
            )
        op.alter_column(table, "meter", server_default=None)
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, [*OLD_KEY, "meter", *rest])


def downgrade() -> None:
    bytes_orgs = _bytes_orgs()
    for table, rest in TABLES.items():
        # Two meters' rows of one key cannot both stay: each organisation keeps its configured meter's.
        op.execute(_where(f"DELETE FROM {table} WHERE meter = 'bytes' AND org NOT IN :orgs", bytes_orgs))
        op.execute(_where(f"DELETE FROM {table} WHERE meter = 'requests' AND org IN :orgs", bytes_orgs))
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, [*OLD_KEY, *rest])
        op.drop_column(table, "meter")


def _where(sql: str, orgs: list[str] | None = None) -> sa.TextClause:
    """``sql`` with its ``:metered`` and ``:orgs`` lists bound (an empty list of orgs matches none)."""
    params: list[sa.BindParameter[object]] = (
        [sa.bindparam("metered", METERED, expanding=True)] if ":metered" in sql else []
    )
    if ":orgs" in sql:
        params.append(sa.bindparam("orgs", orgs or [""], expanding=True))
    return sa.text(sql).bindparams(*params)


def _bytes_orgs() -> list[str]:
    """The organisations whose ``limit_meter`` is bytes, as the caller of the migration passed them."""
    limit_meters = context.config.attributes.get("limit_meters") or {}
    return sorted(org for org, limit_meter in limit_meters.items() if limit_meter == "bytes")
