"""``storyblok-traffic``: the warehouse's schema and a usage report, from a shell.

``db migrate`` brings the warehouse schema to this package's newest revision (run it as a role that
may change the schema, for example before starting Airflow, so that the tasks' role needs only DML
rights); ``db current`` prints the schema's revision; ``replay`` rebuilds the day tables of a range
from the stored answers (no API call); ``report`` prints what the warehouse holds;
``silence add|list|expire`` mutes notices for a known cause; ``digest`` previews an organisation's weekly
digest (its text, or the email's HTML file).
The warehouse comes from the monitor configuration (``STORYBLOK_TRAFFIC_CONFIG``) and its Airflow
connection, or from ``--url``.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any, get_args

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from storyblok_traffic.config import CONFIG_ENV, ConfigError, KindName, MonitorConfig, SeverityName, load_config
from storyblok_traffic.rules.meters import Meter
from storyblok_traffic.rules.usage import counted
from storyblok_traffic.rules.weeks import Week, last_complete_week, parse_week


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config()
    except ConfigError as err:
        print(f"storyblok-traffic: {err}", file=sys.stderr)
        return 2
    from storyblok_traffic.warehouse.migrations import SchemaNotCurrent

    schema = args.schema or config.warehouse_schema
    conn_id = args.conn_id or config.warehouse_conn_id
    try:
        engine = _engine(args.url, conn_id)
    except Exception as err:  # Airflow raises its own types for a connection it cannot find or read
        return _fail(
            f"cannot use the warehouse connection {conn_id!r}: {err} (define it in Airflow, or name the "
            "database with --url postgresql://user:password@host:5432/db)"
        )
    try:
        return int(args.run(args, config, engine, schema))
    except (SQLAlchemyError, SchemaNotCurrent) as err:
        return _fail(str(getattr(err, "orig", None) or err).strip().splitlines()[0])
    except BrokenPipeError:  # the reader went away (`report | head`): no traceback for it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own recipe
        return 0
    finally:
        engine.dispose()


def _fail(message: str) -> int:
    print(f"storyblok-traffic: {message}", file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storyblok-traffic",
        description=f"The Storyblok traffic warehouse. Settings come from the file in {CONFIG_ENV}, if set.",
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--url", help="a SQLAlchemy URL of the warehouse database (default: the Airflow connection)")
    where.add_argument("--conn-id", help="the warehouse's Airflow connection (default: warehouse_conn_id)")
    where.add_argument("--schema", help="the warehouse schema (default: warehouse_schema)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    db = commands.add_parser("db", help="the warehouse schema").add_subparsers(required=True, metavar="ACTION")
    db.add_parser("migrate", parents=[where], help="bring the schema to the newest revision").set_defaults(run=_migrate)
    db.add_parser("current", parents=[where], help="print the schema's revision").set_defaults(run=_current)
    replay = commands.add_parser(
        "replay", parents=[where], help="rebuild the day tables of a range from the stored answers (no API call)"
    )
    replay.add_argument("--org", required=True, help="the organisation (its key in the warehouse)")
    replay.add_argument("--from", dest="first", required=True, type=_day, help="first day, YYYY-MM-DD")
    replay.add_argument("--to", dest="last", required=True, type=_day, help="last day, YYYY-MM-DD")
    replay.set_defaults(run=_replay)
    report = commands.add_parser("report", parents=[where], help="print the usage stored for an organisation")
    report.add_argument("--org", help="the organisation (default: the first configured)")
    report.add_argument("--as-of", type=_day, help="YYYY-MM-DD (default: the newest stored day)")
    report.set_defaults(run=_report)
    digest = commands.add_parser(
        "digest",
        parents=[where],
        help="preview an organisation's weekly digest (sent nowhere, recorded nowhere)",
        description="Print an organisation's weekly digest as its chat channels get it, or write the email's "
        "HTML (its chart inside) to a file a browser opens. Nothing is sent or recorded: the digest DAG sends it.",
    )
    digest.add_argument("--org", help="the organisation (default: the only one configured)")
    digest.add_argument(
        "--week",
        type=_week,
        help="an ISO week such as 2026-W49, also the one in progress (default: the last that ended)",
    )
    digest.add_argument("--html", metavar="FILE", help="write the email's HTML to FILE instead of printing the text")
    digest.set_defaults(run=_digest)
    _silence_parser(commands, where)
    return parser


def _silence_parser(commands: Any, where: argparse.ArgumentParser) -> None:
    silence = commands.add_parser("silence", help="mute notices for a known cause, for a while")
    actions = silence.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[where], help="make a silence: the notices it matches go nowhere")
    add.add_argument("--org", help="the organisation (default: the only one configured)")
    choices = {"kind": get_args(KindName), "meter": get_args(Meter), "severity": get_args(SeverityName)}
    for name, what in (
        ("kind", "a kind"),
        ("meter", "a meter"),
        ("severity", "a severity"),
        ("space", "a space id"),
        ("period", "a period: year, month, or a spike's series"),
    ):
        add.add_argument(
            f"--{name}", action="append", default=[], choices=choices.get(name), help=f"match only {what}; repeatable"
        )
    span = add.add_mutually_exclusive_group(required=True)
    span.add_argument("--for", dest="span", help="how long from now: 4h, 3d, 2w")
    span.add_argument("--until", type=_moment, help="when it ends: 2026-12-24T18:00Z")
    add.add_argument("--reason", required=True, help="why (told when it ends while a notice it held is open)")
    add.add_argument("--by", default=getpass.getuser(), help="who makes it (default: your user name)")
    add.set_defaults(run=_silence_add)
    show = actions.add_parser("list", parents=[where], help="the silences that hold or will, with their changes")
    show.add_argument("--org", help="only this organisation")
    show.add_argument("--all", action="store_true", help="those that ended too")
    show.set_defaults(run=_silence_list)
    end = actions.add_parser("expire", parents=[where], help="end a silence now")
    end.add_argument("id", help="the silence's id (silence list shows it)")
    end.add_argument("--by", default=getpass.getuser(), help="who ends it (default: your user name)")
    end.set_defaults(run=_silence_expire)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def _week(text: str) -> Week:
    try:
        return parse_week(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (2026-12-24T18:00Z)") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add Z (UTC) or +01:00")
    return moment


def _engine(url: str | None, conn_id: str) -> Engine:
    if url is None:
        from storyblok_traffic.warehouse.engine import engine_from_conn_id

        return engine_from_conn_id(conn_id)
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed)


def _migrate(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from storyblok_traffic.warehouse.migrations import HEAD, migrate

    # Alembic narrates each step at INFO ("Context impl PostgresqlImpl."): the line below says what was done.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    applied = migrate(engine, schema, dict(config.warehouse.limit_meters))
    done = f"applied {', '.join(applied)}" if applied else "nothing to do"
    print(f"warehouse schema {schema}: at revision {HEAD} ({done})")
    return 0


def _current(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from storyblok_traffic.warehouse.migrations import HEAD, current_revision

    revision = current_revision(engine, schema)
    behind = "" if revision == HEAD else f"; this package needs {HEAD}: run `storyblok-traffic db migrate`"
    print(f"warehouse schema {schema}: revision {revision or 'none'}{behind}")
    return 0 if revision == HEAD else 1


def _replay(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from storyblok_traffic.jobs.replay import replay
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import ensure_current

    if args.last < args.first:
        return _fail(f"--to {args.last} is before --from {args.first}")
    ensure_current(engine, schema, config.auto_migrate, dict(config.warehouse.limit_meters))
    with begin(engine, schema) as conn:
        done = replay(conn, args.org, args.first, args.last)
    if not done.answers:
        return _fail(f"no stored answers for {args.org} cover {args.first}..{args.last} in schema {schema}")
    print(
        f"replayed {counted(done.answers, 'stored answer')} for {args.org}, {args.first}..{args.last}: "
        f"{counted(done.org_days, 'org day')} and {counted(done.space_days, 'space day')} written"
    )
    return 0


def _report(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from storyblok_traffic.jobs.report import bill_report, usage_report
    from storyblok_traffic.warehouse import reads
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import current_revision, ensure_current

    if current_revision(engine, schema) is None:
        # A read must not suggest a migration: that would make an empty warehouse in the wrong database.
        return _fail(
            f"database {engine.url.database!r} has no warehouse schema {schema!r}: point --url (or --conn-id) "
            "at the warehouse's database (`make run` prints the command for its own)"
        )
    ensure_current(engine, schema, auto_migrate=False)
    org = args.org or config.organisations[0].org
    with begin(engine, schema) as conn:
        as_of = args.as_of or reads.newest_day(conn, org, datetime.now(UTC).date())
        if as_of is None:
            return _fail(f"no traffic is stored for {org!r} in schema {schema!r}")
        configured = next((o for o in config.organisations if o.org == org), None)
        print(usage_report(conn, org, as_of, (1, 1) if configured is None else configured.year_start))
        print("" if configured is None else "\n" + bill_report(conn, configured, as_of))
    return 0


def _digest(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from pathlib import Path

    from storyblok_traffic.jobs.digest import NothingStored, WeekNotBegun, preview
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import ensure_current

    names = [o.org for o in config.organisations]
    org = next((o for o in config.organisations if o.org == (args.org or names[0])), None)
    if org is None or (args.org is None and len(names) > 1):
        return _fail(
            f"--org {args.org or ''}: {'not monitored; ' if args.org else 'required, '}one of {', '.join(names)}"
        )
    today = datetime.now(UTC).date()
    week = args.week or last_complete_week(today)
    ensure_current(engine, schema, auto_migrate=False)
    try:
        with begin(engine, schema) as conn:
            said = preview(conn, org, config, week, today, as_html=args.html is not None)
    except (NothingStored, WeekNotBegun) as err:
        return _fail(str(err))
    if args.html is None:
        print(said)
        return 0
    try:
        Path(args.html).write_text(said)
    except OSError as err:
        return _fail(f"cannot write {args.html}: {err.strerror}")
    print(f"the digest of {week.label} for {org.org}: {args.html} (open it in a browser)")
    return 0


def _silence_add(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from storyblok_traffic.errors import SilenceError
    from storyblok_traffic.jobs.silencing import make, span
    from storyblok_traffic.rules.silences import MATCHED

    now = datetime.now(UTC).replace(microsecond=0)
    names = [o.org for o in config.organisations]
    org = args.org or (names[0] if len(names) == 1 else None)
    if org not in names:
        return _fail(
            f"--org {args.org or ''}: {'required, ' if org is None else 'not monitored; '}one of {', '.join(names)}"
        )
    match = {name: getattr(args, name) for name in MATCHED}
    try:
        until = args.until or now + span(args.span)
        with _transaction(engine, schema, config) as conn:
            made = make(conn, org, match, until, args.reason, args.by, now)
    except SilenceError as err:
        return _fail(f"silence not made: {err}")
    print(f"silence {made.id} made for {org}: {made.describe()} until {made.ends_at:%Y-%m-%d %H:%M} UTC")
    return 0


def _silence_list(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from storyblok_traffic.jobs.silencing import listing

    names = [o.org for o in config.organisations]
    if args.org is not None and args.org not in names:
        return _fail(f"--org {args.org}: not monitored; one of {', '.join(names)}")
    with _transaction(engine, schema, config) as conn:
        print(listing(conn, args.org, datetime.now(UTC), args.all))
    return 0


def _silence_expire(args: argparse.Namespace, config: MonitorConfig, engine: Engine, schema: str) -> int:
    from storyblok_traffic.errors import SilenceError
    from storyblok_traffic.rules.silences import CLI
    from storyblok_traffic.warehouse import silences

    try:
        with _transaction(engine, schema, config) as conn:
            ended = silences.expire(conn, None, args.id, args.by, datetime.now(UTC).replace(microsecond=0), CLI)
    except SilenceError as err:
        return _fail(str(err))
    print(f"silence {ended.id} of {ended.org} expired: its notices go out again")
    return 0


def _transaction(engine: Engine, schema: str, config: MonitorConfig) -> AbstractContextManager[Connection]:
    from storyblok_traffic.warehouse.engine import begin
    from storyblok_traffic.warehouse.migrations import ensure_current

    ensure_current(engine, schema, config.auto_migrate, dict(config.warehouse.limit_meters))
    return begin(engine, schema)


if __name__ == "__main__":
    sys.exit(main())
