"""The pipeline's failures: each task keeps its error and cause, the DAG's callback counts the run on
its organisation's incident of that cause and tells every channel once (``rules.incidents``)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from storyblok_traffic.config import ChannelConfig

if TYPE_CHECKING:
    from storyblok_traffic.config import Warehouse
    from storyblok_traffic.rules.incidents import Failure

# ``ti`` is the task that failed, when Airflow knows it; ``error`` what ``record_failure`` kept of its error.
# Told per failed run: for a DAG of the user's own, which has no warehouse to keep an incident in.
FAILURE_TEXT = (
    "Storyblok traffic pipeline {{ dag.dag_id }} failed in run {{ run_id }}"
    "{% if ti is defined %} at task {{ ti.task_id }}{% endif %}"
    "{% if error %}: {{ error }}{% else %} ({{ reason }}){% endif %}. "
    "Open the run in the Airflow UI to see the failed task's log."
)
FAILURE_KEY = "failure"  # the XCom that carries a failed task's error to the DAG's failure notice
CAUSE_KEY = "failure_cause"  # and its cause (``rules.incidents``)
FINGERPRINT_KEY = "failure_token"  # and, for a rejected token, its fingerprint (a hash, never the token)
MAX_ERROR_CHARS = 400
WAREHOUSE_WAITS = (5, 15)  # seconds before each new try to record a failure (a Postgres restart takes a few)


def cause_of(error: BaseException) -> str:
    """The incident cause of a task's error: what the error (or one it was raised from) says it is."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from storyblok_traffic import errors
    from storyblok_traffic.rules import incidents as i

    kinds: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
        (errors.StoryblokConnectionError, i.CONNECTION),
        (errors.StoryblokUnavailable, i.API_UNAVAILABLE),
        (errors.StoryblokPayloadError, i.INVALID_ANSWER),
        ((errors.WarehouseWaitTimeout, OperationalError, DBAPIError), i.WAREHOUSE_UNREACHABLE),
    )
    for e in _chain(error):
        said = getattr(e, "incident_cause", None)
        if isinstance(said, str):
            return said
        if isinstance(e, errors.StoryblokRequestRejected):
            return i.TOKEN_REJECTED if e.status in (401, 403) else i.CONNECTION if e.status == 404 else i.BUG
        for kind, cause in kinds:
            if isinstance(e, kind):
                return cause
    return i.BUG


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then those it was raised from or while handling (``from None`` keeps the context)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def record_failure(context: Any) -> None:
    """Every task's failure callback: keep its error's first line, its cause and a rejected token's
    fingerprint as XComs for the DAG's failure callback.

    Airflow hands a DAG's failure callback the task that failed but not its error. A task's own
    callback runs in its process before Airflow records the failure, so the XComs are there by then.
    """
    from airflow.sdk.log import redact

    error = context.get("exception")
    if error is None:
        return
    lines = str(redact(str(error))).strip().splitlines()  # masked before it is cut: no half secret
    text = lines[0] if lines else type(error).__name__
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    ti = context["ti"]
    ti.xcom_push(key=FAILURE_KEY, value=text)
    ti.xcom_push(key=CAUSE_KEY, value=cause_of(error))
    fingerprint = getattr(error, "token_fingerprint", None)
    if isinstance(fingerprint, str):
        ti.xcom_push(key=FINGERPRINT_KEY, value=fingerprint)


class PipelineFailureNotifier(BaseNotifier):
    """The DAG's failure callback; one channel failing does not stop the others.

    With ``warehouse`` (the package's DAGs), a failed run counts on its organisation's open incident
    of the same cause, or opens one, which every channel is told once (``rules.incidents``); the next
    completed check resolves it. ``org`` names the organisation, or ``org_param`` the run's param whose
    value (a connection id) ``orgs`` maps to it. Without ``warehouse``, ``text`` goes to every channel
    for each failed run. With ``record_failure`` as the tasks' failure callback, the error and its
    cause are the failed task's.
    """

    template_fields: Sequence[str] = ("text",)

    def __init__(
        self,
        *,
        channels: Sequence[ChannelConfig],
        text: str = FAILURE_TEXT,
        warehouse: Warehouse | None = None,
        org: str | None = None,
        org_param: str | None = None,
        orgs: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.text = text
        self.warehouse = warehouse
        self.org = org
        self.org_param = org_param
        self.orgs = dict(orgs or {})

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        context["error"] = _recorded(context, FAILURE_KEY)
        super().render_template_fields(context, jinja_env)

    def get_template_env(self, dag: Any = None) -> Any:
        # Airflow 3.3.2's dag.test() hands DAG callbacks a SerializedDAG, which has no template
        # environment: fall back to the plain sandboxed one rather than lose the notice.
        if dag is not None and not hasattr(dag, "get_template_env"):
            dag = None
        return super().get_template_env(dag=dag)

    def notify(self, context: Any) -> None:
        from storyblok_traffic.rules.messages import failure_message

        org = self._org(context)
        if self.warehouse is None or org is None:
            failed = self._send_all(failure_message(self.text))  # told per failed run
        else:
            failed = self._record(org, _failure(context))
        if failed:
            raise RuntimeError(f"failure notice not delivered to channel(s): {', '.join(failed)}")

    def _record(self, org: str, failure: Failure) -> list[str]:
        """Count the failure on its incident; a warehouse restarting is back within seconds, so it is
        tried again before the failure is told directly (with nowhere to keep it). Returns the channels
        that refused."""
        for wait in WAREHOUSE_WAITS:
            try:
                return self._count(org, failure)
            except Exception:
                self.log.warning("Could not record the failure of %s in the warehouse; again in %d s", org, wait)
                time.sleep(wait)
        try:
            return self._count(org, failure)
        except Exception:
            self.log.exception("Could not record the failure of %s in the warehouse: telling it directly", org)
            return self._tell_directly(org, failure)

    def _count(self, org: str, failure: Failure) -> list[str]:
        from storyblok_traffic.notifications.incidents import deliver_incidents
        from storyblok_traffic.rules.incidents import summary
        from storyblok_traffic.warehouse.alerts import lock_org
        from storyblok_traffic.warehouse.engine import warehouse_transaction
        from storyblok_traffic.warehouse.incidents import count_failure

        assert self.warehouse is not None
        with warehouse_transaction(self.warehouse) as conn:
            lock_org(conn, org)
            incident, new = count_failure(conn, org, failure)
            failures = deliver_incidents(conn, org, self.channels)
        self.log.warning("%s: %s%s", org or "watchdog", summary(incident), " (opened now)" if new else "")
        return list(failures)

    def _tell_directly(self, org: str, failure: Failure) -> list[str]:
        """The warehouse could not keep the incident: every channel gets this run's failure as an opening."""
        from storyblok_traffic.rules.incidents import BUG, UNKNOWN, WAREHOUSE_UNREACHABLE, message, opened

        if failure.cause in (BUG, UNKNOWN):  # the callback's own failure to reach the warehouse says more
            failure = replace(failure, cause=WAREHOUSE_UNREACHABLE)
        return self._send_all(message(opened(org, failure)))

    def _send_all(self, message: Any) -> list[str]:
        from storyblok_traffic.notifications.senders import send_to_all

        return list(send_to_all(self.channels, message))

    def _org(self, context: Any) -> str | None:
        if self.org is not None:
            return self.org
        if self.org_param is not None:
            chosen = (context.get("params") or {}).get(self.org_param)
            return self.orgs.get(str(chosen)) if chosen is not None else None
        return None


def _failure(context: Any) -> Failure:
    from storyblok_traffic.rules.incidents import UNKNOWN, Failure

    ti = context.get("ti")
    return Failure(
        cause=_recorded(context, CAUSE_KEY) or UNKNOWN,
        run_id=str(context.get("run_id") or getattr(context.get("dag_run"), "run_id", "?")),
        task_id=getattr(ti, "task_id", None),
        error=_recorded(context, FAILURE_KEY) or context.get("reason"),
        at=datetime.now(UTC).replace(microsecond=0),
        token_fingerprint=_recorded(context, FINGERPRINT_KEY),
    )


def _recorded(context: Any, key: str) -> str | None:
    """What ``record_failure`` kept for the failed task, if Airflow named it and the XCom can be read."""
    ti = context.get("ti")
    if ti is None:
        return None
    try:
        value = ti.xcom_pull(key=key)
    except Exception:  # the notice must go out even when the error cannot be read (dag.test has no comms)
        return None
    return str(value) if value else None
