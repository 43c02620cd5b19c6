"""OpenLineage for the operators (issue 40): what each task reads and writes, as datasets that a
catalogue fed by OpenLineage (Marquez, DataHub, ...) shows. Airflow's OpenLineage provider, when it is
installed and configured, asks each operator's ``get_openlineage_facets_on_complete``; without it
nothing here is called, and the provider is imported by nothing else.

The datasets, named by OpenLineage's naming conventions where they have one:
- an organisation's statistics at Storyblok: namespace the Management API's root
  (``https://mapi.storyblok.com``, the connection's region), name ``<org>/all_traffic`` or
  ``<org>/assets_traffic`` (the endpoints answer for the token's organisation: ``org`` is the key
  the warehouse keeps it by);
- a warehouse table: namespace ``postgres://host:port``, name ``database.schema.table``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storyblok_traffic.config import Warehouse

# What each kind of task writes and reads in the warehouse (warehouse.tables).
DAYS_WRITTEN = ("org_traffic_daily", "space_traffic_daily", "usage_snapshots", "raw_responses")
FILES_WRITTEN = ("assets", "asset_traffic_daily", "asset_traffic_monthly", "raw_responses")
CHECK_READS = ("org_traffic_daily", "space_traffic_daily", "usage_snapshots", "asset_traffic_daily")
CHECK_WRITES = ("usage_alerts",)
NOTIFY_READS, NOTIFY_WRITES = ("usage_alerts",), ("alert_deliveries",)

Dataset = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class Lineage:
    inputs: tuple[Dataset, ...] = ()
    outputs: tuple[Dataset, ...] = ()


def statistics(orgs: Iterable[tuple[str, str]], endpoint: str) -> tuple[Dataset, ...]:
    """Each organisation's ``endpoint`` at Storyblok (``orgs``: its connection id and key), at the API
    root of its connection."""
    from storyblok_traffic.hooks.storyblok import StoryblokHook

    return tuple((StoryblokHook(conn_id).settings.base_url, f"{org}/{endpoint}") for conn_id, org in orgs)


def tables(warehouse: Warehouse, names: Sequence[str]) -> tuple[Dataset, ...]:
    """The warehouse's tables ``names``, named as OpenLineage names a Postgres table."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    conn = PostgresHook.get_connection(warehouse.conn_id)
    namespace = f"postgres://{conn.host}:{conn.port or 5432}"
    return tuple((namespace, f"{conn.schema or 'postgres'}.{warehouse.schema}.{name}") for name in names)


def operator_lineage(found: Lineage) -> Any:
    """The provider's ``OperatorLineage`` of ``found`` (imported here only: the provider is optional)."""
    from airflow.providers.common.compat.openlineage.facet import Dataset as OpenLineageDataset
    from airflow.providers.openlineage.extractors import OperatorLineage

    return OperatorLineage(
        inputs=[OpenLineageDataset(namespace=ns, name=name) for ns, name in found.inputs],
        outputs=[OpenLineageDataset(namespace=ns, name=name) for ns, name in found.outputs],
    )


class ReportsLineage:
    """An operator whose ``lineage`` says what it reads and writes (``task_instance``: the run's, when a
    run's parameters choose what it reads), told to OpenLineage when the task completes."""

    def lineage(self, task_instance: Any = None) -> Lineage:
        raise NotImplementedError

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        return operator_lineage(self.lineage(task_instance))
