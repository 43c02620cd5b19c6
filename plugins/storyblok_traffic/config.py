"""Monitor configuration: validated, frozen structs read from a YAML file (cheap enough for DAG parsing).

The file named by ``STORYBLOK_TRAFFIC_CONFIG`` is optional; without it one organisation is monitored
through the ``storyblok_default`` connection with the defaults below.

The settings are msgspec structs rather than dataclasses because every DAG file parse builds these
classes: a dataclass compiles its generated methods from source (about 1.5 ms for the three here,
most of a one-task DAG's whole parse), a struct is built in C.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import msgspec
from msgspec import Meta, Struct, field
from msgspec.structs import force_setattr

CONFIG_ENV = "STORYBLOK_TRAFFIC_CONFIG"
DEFAULT_CONN_ID = "storyblok_default"
DEFAULT_DAG_ID = "storyblok_traffic"

from storyblok_traffic.rules.meters import Billing, Meter  # noqa: E402 (names only: cheap at every parse)

if TYPE_CHECKING:
    from storyblok_traffic.rules.routes import Routing
    from storyblok_traffic.rules.silences import Silence

# The start of a configured silence without one: it holds from the first check that reads it.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

LimitMeter = Meter  # the meter compared with Storyblok's limits
LIMIT_METERS: tuple[str, ...] = get_args(LimitMeter)
PlanName = Literal["starter", "growth", "growth_plus", "custom"]
PLAN_NAMES: tuple[str, ...] = get_args(PlanName)
ChannelType = Literal["slack", "email", "webhook", "pagerduty", "opsgenie", "teams", "apprise"]
CHANNEL_TYPES: tuple[str, ...] = get_args(ChannelType)

# Airflow connection ids and Postgres identifiers we accept: no quoting surprises anywhere.
# Character sets, not regular expressions: compiling four patterns took 0.2 ms of every DAG file parse,
# a tenth of what a whole one-task DAG costs.
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_WORD = _LOWER | {c.upper() for c in _LOWER} | _DIGITS | {"_"}
_CONN_ID_CHARS = _WORD | {".", "-"}
_IDENTIFIER_CHARS = _LOWER | _DIGITS | {"_"}
_CHANNEL_CHARS = _LOWER | _DIGITS | {"_", "-"}


def _spelled(value: object, first: frozenset[str], rest: frozenset[str], max_len: int) -> bool:
    """``value`` is a string of 1..max_len characters from ``rest``, starting with one from ``first``."""
    return isinstance(value, str) and 0 < len(value) <= max_len and value[0] in first and set(value) <= rest


def _is_conn_id(value: object) -> bool:
    return _spelled(value, _CONN_ID_CHARS, _CONN_ID_CHARS, 250)


def _is_email(value: object) -> bool:
    if not isinstance(value, str) or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return bool(local and domain) and not any(c.isspace() or c in ",;" for c in value)


class ConfigError(ValueError):
    """The monitor configuration is invalid; the message names the setting (and the file it is read from).

    ``file`` and ``problem`` are the message's two parts, for who shows them apart (the dashboard).
    """

    def __init__(self, message: str, *, file: str | None = None, problem: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.problem = problem or message


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


# Types and ranges are msgspec constraints, checked when a file is decoded (``from_dict``); what a
# constraint cannot say (spellings, one setting against another) is checked in ``__post_init__``,
# which also runs when the structs are built in Python.
Percents = tuple[Annotated[float, Meta(gt=0, le=1000)], ...]  # [] turns the rule off
RefetchDays = Annotated[int, Meta(ge=0, le=31)]
GapDays = Annotated[int, Meta(ge=0, le=366)]
WindowDays = Annotated[int, Meta(ge=7, le=366)]
Month = Annotated[int, Meta(ge=1, le=12)]
DayOfMonth = Annotated[int, Meta(ge=1, le=31)]
LookbackDays = Annotated[int, Meta(ge=0, le=3650)]
StaleDays = Annotated[int, Meta(ge=1, le=365)]
SilenceHours = Annotated[int, Meta(ge=1, le=24 * 31)]
Amount = Annotated[int, Meta(ge=0, le=10**12)]
SpikeWindowDays = Annotated[int, Meta(ge=14, le=366)]
NoiseDays = Annotated[int, Meta(ge=28, le=366)]
Factor = Annotated[float, Meta(ge=0, le=1000)]
Percent = Annotated[float, Meta(ge=0, le=100)]
WaitSeconds = Annotated[int, Meta(ge=1, le=86_400)]
Retries = Annotated[int, Meta(ge=0, le=20)]


Quantity = Annotated[int, Meta(ge=1, le=10**18)]  # requests, or bytes (a petabyte is 10**15)


def _price(value: Decimal | None, name: str) -> None:
    _check(
        value is None or (value.is_finite() and 0 <= value <= 10**9),
        f"{name} must be an amount from 0 to 1000000000, got {value}",
    )


class TermsOverride(Struct, frozen=True, forbid_unknown_fields=True):
    """One meter's figures of the contract, each replacing the plan table's (per month)."""

    included: Quantity | None = None
    max: Quantity | None = None
    block_size: Quantity | None = None
    block_price: Decimal | None = None

    def __post_init__(self) -> None:
        _price(self.block_price, "block_price")


class PlanMeters(Struct, frozen=True, forbid_unknown_fields=True):
    requests: TermsOverride | None = None
    bytes: TermsOverride | None = None


def _thresholds(value: tuple[float, ...], name: str) -> tuple[float, ...]:
    """Percents, sorted; each once."""
    out = tuple(sorted(float(item) for item in value))
    _check(len(set(out)) == len(out), f"{name} lists a threshold twice: {list(value)}")
    return out


class MeterThresholds(Struct, frozen=True, forbid_unknown_fields=True):
    """One meter's own thresholds; each one not set is the organisation's."""

    yearly_thresholds: Percents | None = None
    monthly_thresholds: Percents | None = None
    forecast_thresholds: Percents | None = None

    def __post_init__(self) -> None:
        for name in ("yearly_thresholds", "monthly_thresholds", "forecast_thresholds"):
            if (value := getattr(self, name)) is not None:
                force_setattr(self, name, _thresholds(value, name))


class ThresholdsByMeter(Struct, frozen=True, forbid_unknown_fields=True):
    requests: MeterThresholds | None = None
    bytes: MeterThresholds | None = None


class ChannelConfig(Struct, frozen=True, forbid_unknown_fields=True):
    """Where notifications go: a Slack-compatible webhook, email over SMTP, a generic JSON webhook, an
    incident service (PagerDuty, Opsgenie: an incident per alert, resolved by its end), a Microsoft Teams
    Workflows webhook, or any service Apprise knows.

    ``conn_id`` is an HTTP connection whose host is the webhook URL (slack, webhook, teams), an SMTP
    connection (email, which also needs ``to``), or the provider's own connection (a
    ``pagerduty_events``, ``opsgenie`` or ``apprise`` connection).
    """

    name: str
    type: ChannelType
    conn_id: str
    to: str | tuple[str, ...] = ()  # one address or a list
    from_email: str | None = None

    def __post_init__(self) -> None:
        _check(
            _spelled(self.name, _LOWER, _CHANNEL_CHARS, 40),
            f"channel name {self.name!r} must be lower-case letters, digits, '-' or '_' (at most 40)",
        )
        where = f"channel {self.name!r}"
        _check(self.type in CHANNEL_TYPES, f"{where}: type {self.type!r} is not one of {', '.join(CHANNEL_TYPES)}")
        _check(_is_conn_id(self.conn_id), f"{where}: conn_id {self.conn_id!r} is not a valid Airflow id")
        to = (self.to,) if isinstance(self.to, str) else tuple(self.to)
        force_setattr(self, "to", to)
        for address in (*to, *([self.from_email] if self.from_email else [])):
            _check(_is_email(address), f"{where}: {address!r} is not an email")
        provider = PROVIDER_OF.get(self.type)
        _check(
            provider is None or _installed(f"airflow.providers.{provider}"),
            f"{where}: type {self.type} needs apache-airflow-providers-{provider}, which is not installed "
            f"(pip install 'storyblok-traffic-monitor[{provider}]')",
        )
        if self.type == "email":
            _check(len(to) > 0, f"{where}: an email channel needs 'to' (one or more addresses)")
        else:
            _check(not to and not self.from_email, f"{where}: 'to' and 'from_email' only apply to email channels")

    @property
    def recipients(self) -> tuple[str, ...]:
        """``to`` as a tuple (``__post_init__`` makes one of a single address)."""
        return (self.to,) if isinstance(self.to, str) else self.to


# The channel types that open an incident per notice (a digest never goes to them).
INCIDENT_CHANNEL_TYPES = ("pagerduty", "opsgenie")
# The channel types that send through a provider of their own (an extra of this package).
PROVIDER_OF = {"pagerduty": "pagerduty", "opsgenie": "opsgenie", "apprise": "apprise"}


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported here (found, not imported)."""
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):  # a parent missing, or an import blocked
        return False


DEFAULT_CHANNELS = (ChannelConfig(name="slack", type="slack", conn_id="storyblok_alerts_webhook"),)

# What a route can match (``rules.routes``): the notices' kinds and severities, spelled as stored.
KindName = Literal[
    "actual", "forecast", "spike", "no_data", "overage", "maximum", "plan", "disagree", "cheaper", "silent"
]
SeverityName = Literal["critical", "warning", "info"]
Text = Annotated[str, Meta(min_length=1)]
Moment = Annotated[datetime, Meta(tz=True)]  # a time with its zone: 2026-12-24T18:00:00Z


class RouteMatch(Struct, frozen=True, forbid_unknown_fields=True):
    """What a route matches: each field a value or a list of them; a field not given matches anything."""

    org: Text | tuple[Text, ...] | None = None
    kind: KindName | tuple[KindName, ...] | None = None
    meter: Meter | tuple[Meter, ...] | None = None
    period: Text | tuple[Text, ...] | None = None  # year, month, or a spike's series (organisation, space 7)
    severity: SeverityName | tuple[SeverityName, ...] | None = None
    space: Text | int | tuple[Text | int, ...] | None = None  # space ids: YAML reads 100021 as a number

    def values(self) -> dict[str, frozenset[str]]:
        """Each field given, with the values it accepts as text."""
        given = {name: getattr(self, name) for name in self.__struct_fields__}
        return {
            name: frozenset(str(v) for v in (value if isinstance(value, tuple) else (value,)))
            for name, value in given.items()
            if value is not None
        }


class RouteConfig(Struct, frozen=True, forbid_unknown_fields=True):
    """A route (Alertmanager's semantics): the notices it matches go to its channels; the routes after
    it are tried only with ``continue: true``."""

    channels: Annotated[tuple[str, ...], Meta(min_length=1)]
    match: RouteMatch = RouteMatch()
    go_on: bool = field(default=False, name="continue")


class SilenceConfig(Struct, frozen=True, forbid_unknown_fields=True):
    """A silence kept in the configuration (``rules.silences``): the notices it matches go nowhere until
    ``ends``. ``match.org`` names its organisations (none: every one)."""

    ends: Moment
    reason: Text
    match: RouteMatch = RouteMatch()
    starts: Moment | None = None  # none: from the first check that reads it
    created_by: Text = "configuration"


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
Hour = Annotated[int, Meta(ge=0, le=23)]


class DigestConfig(Struct, frozen=True, forbid_unknown_fields=True):
    """The weekly digest (``jobs.digest``): sent on ``weekday`` at ``hour`` (UTC) for the week that ended
    before; ``channels``: names from the monitor's channels (none: the organisation's that take text,
    every type but the incident services)."""

    weekday: Weekday = "monday"
    hour: Hour = 8
    channels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.channels is not None:
            force_setattr(self, "channels", tuple(self.channels))

    @property
    def cron(self) -> str:
        """Its schedule as cron: ``0 8 * * 1``."""
        return f"0 {self.hour} * * {WEEKDAYS.index(self.weekday) + 1}"


class OrgConfig(Struct, frozen=True, forbid_unknown_fields=True):
    """One monitored Storyblok organisation, reached through one Airflow connection."""

    conn_id: str = DEFAULT_CONN_ID
    org: str = ""  # the key stored in the warehouse; defaults to conn_id
    limit_meter: LimitMeter = "requests"
    refetch_days: RefetchDays = 3  # each daily run asks again for this many days before its own (late bytes)
    max_gap_days: GapDays = 31  # and for days missed since the newest complete one, at most this many back
    # Also load the bytes each file served per day (assets_traffic), and name the files in bandwidth notices.
    asset_traffic: bool = True
    # Percent of each period's limit; [] turns the period (or the forecast) off.
    yearly_thresholds: Percents = (50.0, 75.0, 90.0, 100.0)
    monthly_thresholds: Percents = (80.0, 100.0)
    forecast_thresholds: Percents = (100.0,)
    # A meter's own thresholds (requests, bytes); each one not set is the three above.
    meter_thresholds: ThresholdsByMeter = ThresholdsByMeter()
    forecast_window_days: WindowDays = 28  # run rate from the last N days, per weekday
    forecast_min_days: WindowDays = 14  # fewer stored days in the window: no forecast
    # The contract year; months start on the same day of the month (clamped to short months).
    year_start_month: Month = 1
    year_start_day: DayOfMonth = 1
    # days older than this many days before today are caught up: recorded quietly, what is still open told
    # once by the newest day's check (1: yesterday's check tells the present; a catch-up tells it once)
    alert_lookback_days: LookbackDays = 1
    stale_after_days: StaleDays = 2
    silence_after_hours: SilenceHours = 36  # no check completed for this long: the watchdog tells every channel
    # Spikes: a day at least spike_factor x its series' normal weekday, out of the series' own noise,
    # with spike_min_requests or more and an excess of spike_min_month_pct of the monthly limit or more.
    spike_factor: Factor = 3.0  # 0 turns spike alerts off
    spike_min_requests: Amount = 1_000
    # the day's excess over its normal, in percent of the monthly limit
    spike_min_month_pct: Percent = 1.0
    spike_window_days: SpikeWindowDays = 56  # the normal: median of the same weekday in this many days before
    spike_noise_days: NoiseDays = 112  # the noise: the spread of the daily ratios to the normal in these days
    spike_back_to_normal: bool = True  # tell when a spike episode ends
    channels: tuple[str, ...] | None = None  # names from the monitor's channels; None means all
    # The bill (rules/plans.py, plans.toml): None assumes the plan whose included requests are the API's
    # monthly limit; each figure of the table can be replaced by the contract's.
    plan: PlanName | None = None
    billing: Billing = "monthly"
    currency: str | None = None  # ISO 4217 code; default the table's
    base_price: Decimal | None = None  # per billing period; default the plan's
    plan_meters: PlanMeters = PlanMeters()
    # A notice when the billing period's overage (so far, or projected at its end) first exceeds this
    # amount, in the plan's currency; 0: any overage; null: no such notice.
    overage_alert: Decimal | None = Decimal(0)
    # Percent of each meter's hard maximum (beyond it Storyblok refuses the API): urgent notices.
    maximum_thresholds: Percents = (90.0, 100.0)
    # The weekly digest of the organisation's usage (weekday, hour, channels); null: none.
    digest: DigestConfig | None = DigestConfig()

    def __post_init__(self) -> None:
        _check(_is_conn_id(self.conn_id), f"conn_id {self.conn_id!r} is not a valid connection id")
        self._check_plan()
        defaulted = not self.org
        if defaulted:
            force_setattr(self, "org", self.conn_id)
        _check(
            0 < len(self.org) <= 200,
            f"org {self.org!r} must be 1-200 characters" + (" (it defaults to conn_id: set org)" if defaulted else ""),
        )
        for name in ("yearly_thresholds", "monthly_thresholds", "forecast_thresholds", "maximum_thresholds"):
            force_setattr(self, name, _thresholds(getattr(self, name), name))
        _check(
            self.forecast_min_days <= self.forecast_window_days,
            f"forecast_min_days must be a whole number from 7 to {self.forecast_window_days} "
            f"(forecast_window_days), got {self.forecast_min_days!r}",
        )
        try:
            date(2000, self.year_start_month, self.year_start_day)  # a leap year: 02-29 is a valid start
        except ValueError:
            raise ConfigError(
                f"year_start_month {self.year_start_month} and year_start_day {self.year_start_day} are not a date"
            ) from None
        _check(
            self.spike_factor == 0 or self.spike_factor > 1,
            f"spike_factor must be 0 (off) or a number above 1 and at most 1000, got {self.spike_factor!r}",
        )
        force_setattr(self, "spike_factor", float(self.spike_factor))
        force_setattr(self, "spike_min_month_pct", float(self.spike_min_month_pct))
        if self.channels is not None:
            force_setattr(self, "channels", tuple(self.channels))

    def _check_plan(self) -> None:
        _price(self.base_price, "base_price")
        _price(self.overage_alert, "overage_alert")
        _check(
            self.currency is None or (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()),
            f"currency {self.currency!r} must be a three-letter ISO 4217 code such as USD or EUR",
        )
        if self.plan != "custom":
            return
        requests = self.plan_meters.requests
        missing = [
            name
            for name, value in (
                ("base_price", self.base_price),
                ("plan_meters.requests.included", requests and requests.included),
                ("plan_meters.requests.block_size", requests and requests.block_size),
                ("plan_meters.requests.block_price", requests and requests.block_price),
            )
            if value is None
        ]
        _check(not missing, f"plan custom needs {', '.join(missing)} (the contract's figures)")

    def thresholds_of(self, meter: str) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
        """``meter``'s (yearly, monthly, forecast) thresholds: its own where set, else the organisation's."""
        own = getattr(self.meter_thresholds, meter, None) or MeterThresholds()
        names = ("yearly_thresholds", "monthly_thresholds", "forecast_thresholds")
        yearly, monthly, forecast = (x if (x := getattr(own, n)) is not None else getattr(self, n) for n in names)
        return yearly, monthly, forecast

    @property
    def year_start(self) -> tuple[int, int]:
        return (self.year_start_month, self.year_start_day)

    @property
    def dag_id(self) -> str:
        if self.conn_id == DEFAULT_CONN_ID:
            return DEFAULT_DAG_ID
        return f"{DEFAULT_DAG_ID}_{''.join(c if c in _WORD else '_' for c in self.conn_id)}"


class Warehouse(Struct, frozen=True):
    """Where the tables live: a Postgres connection and schema, and whether tasks may migrate it."""

    conn_id: str
    schema: str
    auto_migrate: bool = True
    limit_meters: tuple[tuple[str, str], ...] = ()  # (org, limit_meter): what a migration must know
    lock_timeout_seconds: int = 300  # the longest wait for a lock (an organisation's, the schema's)
    statement_timeout_seconds: int = 900  # the longest a statement may run


class MonitorConfig(Struct, frozen=True, forbid_unknown_fields=True):
    """Settings shared by every organisation's DAG."""

    start_date: date = date(2026, 1, 1)
    catchup: bool = False
    schedule: str = "0 0 * * *"  # each run covers the UTC day that just ended
    warehouse_conn_id: str = "storyblok_warehouse"
    warehouse_schema: str = "storyblok"
    # Tasks migrate a schema that is behind; false: they fail naming `storyblok-traffic db migrate`.
    auto_migrate: bool = True
    # No wait on the warehouse is unbounded: a lock held by another session, or a statement, that
    # outlasts these fails the task naming what it waited for (its retry runs once the other is done).
    lock_timeout_seconds: WaitSeconds = 300
    statement_timeout_seconds: WaitSeconds = 900
    pool: str = "storyblok_api"
    retries: Retries = 3
    channels: tuple[ChannelConfig, ...] = DEFAULT_CHANNELS
    # Which channels each notice goes to (docs/alerts.md, "Routes"); none: an organisation's to its channels.
    routes: tuple[RouteConfig, ...] = ()
    # Notices muted until a time, for a known cause (docs/alerts.md, "Silences"); also made in the dashboard.
    silences: tuple[SilenceConfig, ...] = ()
    # The Airflow UI's address as your users open it: each notice then links to its dashboard view.
    dashboard_url: str | None = None
    organisations: Annotated[tuple[OrgConfig, ...], Meta(min_length=1)] = field(default_factory=lambda: (OrgConfig(),))

    def __post_init__(self) -> None:
        for name in ("warehouse_conn_id", "pool"):
            value = getattr(self, name)
            _check(_is_conn_id(value), f"{name} {value!r} is not a valid Airflow id")
        _check(
            _spelled(self.warehouse_schema, _LOWER | {"_"}, _IDENTIFIER_CHARS, 63),
            f"warehouse_schema {self.warehouse_schema!r} must be a lower-case SQL identifier "
            "(letters, digits, underscores)",
        )
        _check(len(self.organisations) > 0, "organisations must list at least one organisation")
        seen: set[str] = set()
        for org in self.organisations:
            _check(org.dag_id not in seen, f"organisation {org.conn_id!r} is configured twice")
            seen.add(org.dag_id)
        names = [c.name for c in self.channels]
        _check(len(set(names)) == len(names), f"channels: a name is used twice in {names}")
        for org in self.organisations:
            unknown = sorted(set(org.channels or ()) - set(names))
            _check(not unknown, f"organisation {org.org!r}: unknown channel(s) {', '.join(unknown)}; known: {names}")
        _check(
            self.dashboard_url is None
            or (self.dashboard_url.startswith(("https://", "http://")) and " " not in self.dashboard_url),
            f"dashboard_url {self.dashboard_url!r} must be the Airflow UI's http(s) address, "
            "such as https://airflow.example.com",
        )
        for org in self.organisations:
            self._check_digest(org, names)
        orgs = [o.org for o in self.organisations]
        for i, route in enumerate(self.routes, 1):
            where = f"route {i}"
            unknown = sorted(set(route.channels) - set(names))
            _check(
                not unknown,
                f"{where}: unknown channel(s) {', '.join(unknown)}; known: {', '.join(names)} "
                "(a route sends to channels defined under channels:)",
            )
            _check_monitored(where, route.match, orgs)

        for i, silence in enumerate(self.silences, 1):
            from storyblok_traffic.rules.silences import matcher  # only with silences: DAG parsing stays light

            _check_monitored(f"silence {i}", silence.match, orgs)
            try:
                matcher({name: values for name, values in silence.match.values().items() if name != "org"})
            except ValueError as err:
                raise ConfigError(f"silence {i}: {err}") from None
            _check(
                silence.starts is None or silence.starts < silence.ends,
                f"silence {i}: starts ({silence.starts}) must be before ends ({silence.ends})",
            )

    def _check_digest(self, org: OrgConfig, names: list[str]) -> None:
        """A digest names known channels, none an incident service (a digest opens no incident)."""
        if org.digest is None or org.digest.channels is None:
            return
        where = f"organisation {org.org!r}: digest"
        _check(bool(org.digest.channels), f"{where}: channels is empty (digest: null turns the digest off)")
        unknown = sorted(set(org.digest.channels) - set(names))
        _check(not unknown, f"{where}: unknown channel(s) {', '.join(unknown)}; known: {', '.join(names)}")
        types = {c.name: c.type for c in self.channels}
        paging = [n for n in org.digest.channels if types[n] in INCIDENT_CHANNEL_TYPES]
        others = [n for n in names if types[n] not in INCIDENT_CHANNEL_TYPES]
        _check(
            not paging,
            f"{where}: {', '.join(paging)} {'is an incident service' if len(paging) == 1 else 'are incident services'}"
            f" (a digest is no incident); the channels that take it: {', '.join(others) or 'none'}",
        )

    def digest_channels_for(self, org: OrgConfig) -> tuple[ChannelConfig, ...]:
        """The channels ``org``'s weekly digest goes to (none without a digest)."""
        if org.digest is None:
            return ()
        if org.digest.channels is None:
            return tuple(c for c in self.channels_for(org) if c.type not in INCIDENT_CHANNEL_TYPES)
        return tuple(c for c in self.channels if c.name in org.digest.channels)

    @property
    def warehouse(self) -> Warehouse:
        limit_meters = tuple((o.org, o.limit_meter) for o in self.organisations)
        return Warehouse(
            self.warehouse_conn_id,
            self.warehouse_schema,
            self.auto_migrate,
            limit_meters,
            self.lock_timeout_seconds,
            self.statement_timeout_seconds,
        )

    def routing(self, org: OrgConfig) -> Routing:
        """Which channels each of ``org``'s notices goes to: the routes, else the organisation's channels."""
        from storyblok_traffic.rules.routes import Route, Routing

        routes = tuple(Route(r.channels, r.match.values(), r.go_on) for r in self.routes)
        return Routing(routes, tuple(c.name for c in self.channels_for(org)))

    def silences_for(self, org: OrgConfig) -> tuple[Silence, ...]:
        """The configuration's silences of ``org`` (those whose ``match.org`` names it, or names none)."""
        from storyblok_traffic.rules.silences import CONFIGURATION, Silence, configured_id

        found = []
        for s in self.silences:
            match = s.match.values()
            if org.org not in match.pop("org", frozenset({org.org})):
                continue
            starts = s.starts or EARLIEST
            made = configured_id(org.org, match, starts, s.ends, s.reason)
            found.append(Silence(made, org.org, match, starts, s.ends, s.reason, s.created_by, CONFIGURATION))
        return tuple(found)

    def channels_for(self, org: OrgConfig) -> tuple[ChannelConfig, ...]:
        """The channels an organisation notifies, in configuration order."""
        if org.channels is None:
            return self.channels
        return tuple(c for c in self.channels if c.name in org.channels)

    @classmethod
    def from_dict(cls, raw: Any) -> MonitorConfig:
        """The configuration decoded and validated by msgspec; an error names the setting and its place."""
        try:
            return msgspec.convert(raw, cls)
        except msgspec.ValidationError as err:
            from storyblok_traffic.config_errors import explain

            raise ConfigError(explain(str(err), raw, cls)) from None


def _check_monitored(where: str, match: RouteMatch, orgs: list[str]) -> None:
    """A route's or a silence's ``match.org`` names monitored organisations only."""
    strangers = sorted(match.values().get("org", frozenset()) - set(orgs))
    _check(not strangers, f"{where}: match org {', '.join(strangers)} is not monitored; known: {', '.join(orgs)}")


def load_config(path: str | os.PathLike[str] | None = None) -> MonitorConfig:
    """Read the configuration file (``STORYBLOK_TRAFFIC_CONFIG``), or the defaults when there is none."""
    path = path or os.environ.get(CONFIG_ENV)
    if not path:
        return MonitorConfig()
    import yaml  # only when a file is configured: keeps DAG parsing light

    # libyaml's parser (PyYAML's wheels carry it): the pure-Python one took 56 ms of a 300 ms request for
    # 200 organisations, and the dashboard reads the file on every request.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        raw = yaml.load(Path(path).read_text(), Loader=loader) or {}  # noqa: S506 (a safe loader)
    except OSError as err:
        said, name = f"cannot be read: {err.strerror}", str(path)
        raise ConfigError(f"cannot read {CONFIG_ENV} file {name}: {err.strerror}", file=name, problem=said) from None
    except yaml.YAMLError as err:
        said = f"not valid YAML: {err}"
        raise ConfigError(f"{path} is not valid YAML: {err}", file=str(path), problem=said) from None
    try:
        return MonitorConfig.from_dict(raw)
    except ConfigError as err:
        raise ConfigError(f"{CONFIG_ENV} file {path}: {err}", file=str(path), problem=str(err)) from None
