"""Bounded waits on the warehouse: every transaction's ``lock_timeout`` (advisory locks included) and
``statement_timeout``, and the error that says which wait ran out."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from storyblok_traffic.errors import WarehouseWaitTimeout

# The waits of a transaction without settings of its own (the command line, tests): the defaults.
LOCK_TIMEOUT_SECONDS, STATEMENT_TIMEOUT_SECONDS = 300, 900
LOCK_NOT_AVAILABLE, _QUERY_CANCELED = "55P03", "57014"  # SQLSTATEs: lock_timeout, statement_timeout


def bound_waits(conn: Connection, lock_timeout_seconds: int, statement_timeout_seconds: int | None = None) -> None:
    """This transaction's ``lock_timeout`` (advisory locks included) and ``statement_timeout``."""
    statement = statement_timeout_seconds or 0  # 0: Postgres's "no bound": only where the caller asks
    conn.execute(
        text("SELECT set_config('lock_timeout', :lock, true), set_config('statement_timeout', :statement, true)"),
        {"lock": f"{lock_timeout_seconds}s", "statement": f"{statement}s"},
    )


def wait_error(err: OperationalError, lock_s: int, statement_s: int) -> WarehouseWaitTimeout | None:
    """A bounded wait that ran out, said as what was waited for; None for any other error."""
    code = getattr(err.orig, "sqlstate", None)
    what = " ".join(str(err.statement or "").split())[:200]
    if code == LOCK_NOT_AVAILABLE:
        return WarehouseWaitTimeout(
            f"waited {lock_s} s (lock_timeout_seconds) for a lock another session holds, to run: {what}"
        )
    if code == _QUERY_CANCELED:
        return WarehouseWaitTimeout(f"a statement ran longer than statement_timeout_seconds ({statement_s} s): {what}")
    return None
