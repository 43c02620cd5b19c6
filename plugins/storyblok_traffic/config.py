"""Monitor configuration: validated dataclasses read from a YAML file (cheap enough for DAG parsing).

The file named by ``STORYBLOK_TRAFFIC_CONFIG`` is optional; without it one organisation is monitored
through the ``storyblok_default`` connection with the defaults below.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args

CONFIG_ENV = "STORYBLOK_TRAFFIC_CONFIG"
DEFAULT_CONN_ID = "storyblok_default"
DEFAULT_DAG_ID = "storyblok_traffic"

Metric = Literal["requests", "bytes"]
METRICS: tuple[str, ...] = get_args(Metric)

# Airflow connection ids and Postgres identifiers we accept: no quoting surprises anywhere.
_CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ConfigError(ValueError):
    """The monitor configuration is invalid; the message names the setting."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _thresholds(value: Any, name: str) -> tuple[float, ...]:
    _check(isinstance(value, list | tuple) and len(value) > 0, f"{name} must be a non-empty list of percents")
    out: list[float] = []
    for item in value:
        _check(
            isinstance(item, int | float) and not isinstance(item, bool),
            f"{name} holds {item!r}, which is not a number",
        )
        _check(0 < item <= 1000, f"{name} holds {item}, outside 0 < percent <= 1000")
        out.append(float(item))
    _check(len(set(out)) == len(out), f"{name} lists a threshold twice: {value}")
    return tuple(sorted(out))


@dataclass(frozen=True)
class OrgConfig:
    """One monitored Storyblok organisation, reached through one Airflow connection."""

    conn_id: str = DEFAULT_CONN_ID
    org: str = ""  # the key stored in the warehouse; defaults to conn_id
    metric: Metric = "requests"
    yearly_thresholds: tuple[float, ...] = (50.0, 75.0, 90.0, 100.0)

    def __post_init__(self) -> None:
        _check(bool(_CONN_ID.match(self.conn_id)), f"conn_id {self.conn_id!r} is not a valid connection id")
        if not self.org:
            object.__setattr__(self, "org", self.conn_id)
        _check(0 < len(self.org) <= 200, f"org {self.org!r} must be 1-200 characters")
        _check(self.metric in METRICS, f"metric {self.metric!r} is not one of {', '.join(METRICS)}")
        object.__setattr__(self, "yearly_thresholds", _thresholds(list(self.yearly_thresholds), "yearly_thresholds"))

    @property
    def dag_id(self) -> str:
        if self.conn_id == DEFAULT_CONN_ID:
            return DEFAULT_DAG_ID
        return f"{DEFAULT_DAG_ID}_{re.sub(r'[^A-Za-z0-9_]', '_', self.conn_id)}"


@dataclass(frozen=True)
class MonitorConfig:
    """Settings shared by every organisation's DAG."""

    start_date: date = date(2026, 1, 1)
    catchup: bool = False
    schedule: str = "0 0 * * *"  # each run covers the UTC day that just ended
    warehouse_conn_id: str = "storyblok_warehouse"
    warehouse_schema: str = "storyblok"
    alerts_conn_id: str = "storyblok_alerts_webhook"
    pool: str = "storyblok_api"
    retries: int = 3
    organisations: tuple[OrgConfig, ...] = field(default_factory=lambda: (OrgConfig(),))

    def __post_init__(self) -> None:
        _check(isinstance(self.start_date, date), f"start_date {self.start_date!r} is not a date")
        _check(isinstance(self.catchup, bool), f"catchup {self.catchup!r} must be true or false")
        for name in ("warehouse_conn_id", "alerts_conn_id", "pool"):
            value = getattr(self, name)
            _check(bool(_CONN_ID.match(str(value))), f"{name} {value!r} is not a valid Airflow id")
        _check(
            bool(_IDENTIFIER.match(self.warehouse_schema)),
            f"warehouse_schema {self.warehouse_schema!r} must be a lower-case SQL identifier "
            "(letters, digits, underscores)",
        )
        _check(isinstance(self.retries, int) and 0 <= self.retries <= 20, "retries must be 0-20")
        _check(len(self.organisations) > 0, "organisations must list at least one organisation")
        seen: set[str] = set()
        for org in self.organisations:
            _check(org.dag_id not in seen, f"organisation {org.conn_id!r} is configured twice")
            seen.add(org.dag_id)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MonitorConfig:
        _check(isinstance(raw, dict), "the configuration must be a mapping")
        _reject_unknown(raw, cls, "configuration")
        values = dict(raw)
        orgs_raw = values.pop("organisations", None)
        if orgs_raw is not None:
            _check(isinstance(orgs_raw, list), "organisations must be a list")
            values["organisations"] = tuple(_org_from_dict(item) for item in orgs_raw)
        if isinstance(values.get("start_date"), str):
            try:
                values["start_date"] = date.fromisoformat(values["start_date"])
            except ValueError:
                raise ConfigError(f"start_date {values['start_date']!r} is not YYYY-MM-DD") from None
        return cls(**values)


def _org_from_dict(raw: Any) -> OrgConfig:
    _check(isinstance(raw, dict), f"each organisation must be a mapping, got {raw!r}")
    _reject_unknown(raw, OrgConfig, f"organisation {raw.get('conn_id', '?')!r}")
    values = dict(raw)
    if "yearly_thresholds" in values:
        values["yearly_thresholds"] = _thresholds(values["yearly_thresholds"], "yearly_thresholds")
    return OrgConfig(**values)


def _reject_unknown(raw: dict[str, Any], cls: type, where: str) -> None:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    _check(not unknown, f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def load_config(path: str | os.PathLike[str] | None = None) -> MonitorConfig:
    """Read the configuration file (``STORYBLOK_TRAFFIC_CONFIG``), or the defaults when there is none."""
    path = path or os.environ.get(CONFIG_ENV)
    if not path:
        return MonitorConfig()
    import yaml  # only when a file is configured: keeps DAG parsing light

    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as err:
        raise ConfigError(f"cannot read {CONFIG_ENV} file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML: {err}") from None
    return MonitorConfig.from_dict(raw)
