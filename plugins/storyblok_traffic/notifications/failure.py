"""The pipeline's failure notice: each task keeps its error, the DAG's callback tells every channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseNotifier

from storyblok_traffic.config import ChannelConfig

# ``ti`` is the task that failed, when Airflow knows it; ``error`` what ``record_failure`` kept of its error.
FAILURE_TEXT = (
    "Storyblok traffic pipeline {{ dag.dag_id }} failed in run {{ run_id }}"
    "{% if ti is defined %} at task {{ ti.task_id }}{% endif %}"
    "{% if error %}: {{ error }}{% else %} ({{ reason }}){% endif %}. "
    "Open the run in the Airflow UI to see the failed task's log."
)
FAILURE_KEY = "failure"  # the XCom that carries a failed task's error to the DAG's failure notice
MAX_ERROR_CHARS = 400


def record_failure(context: Any) -> None:
    """Every task's failure callback: keep its error's first line as XCom ``failure``.

    Airflow hands a DAG's failure callback the task that failed but not its error. A task's own
    callback runs in its process before Airflow records the failure, so the XCom is there by then.
    """
    from airflow.sdk.log import redact

    error = context.get("exception")
    if error is None:
        return
    lines = str(redact(str(error))).strip().splitlines()  # masked before it is cut: no half secret
    text = lines[0] if lines else type(error).__name__
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    context["ti"].xcom_push(key=FAILURE_KEY, value=text)


class PipelineFailureNotifier(BaseNotifier):
    """The DAG's failure callback: ``text`` to every channel; one channel failing does not stop the others.

    Set as the DAG's ``on_failure_callback``, it runs once per failed run; with ``record_failure`` as
    the tasks' failure callback, ``text`` can name the failed task's error (``{{ error }}``).
    """

    template_fields: Sequence[str] = ("text",)

    def __init__(self, *, channels: Sequence[ChannelConfig], text: str = FAILURE_TEXT) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.text = text

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        context["error"] = _recorded_error(context)
        super().render_template_fields(context, jinja_env)

    def get_template_env(self, dag: Any = None) -> Any:
        # Airflow 3.3.2's dag.test() hands DAG callbacks a SerializedDAG, which has no template
        # environment: fall back to the plain sandboxed one rather than lose the notice.
        if dag is not None and not hasattr(dag, "get_template_env"):
            dag = None
        return super().get_template_env(dag=dag)

    def notify(self, context: Any) -> None:
        from storyblok_traffic.notifications.senders import sender_for
        from storyblok_traffic.rules.messages import failure_message

        message = failure_message(self.text)
        failed = []
        for channel in self.channels:
            try:
                sender_for(channel).send(message)
            except Exception:
                self.log.exception("Could not send the failure notice to channel %s", channel.name)
                failed.append(channel.name)
        if failed:
            raise RuntimeError(f"failure notice not delivered to channel(s): {', '.join(failed)}")


def _recorded_error(context: Any) -> str | None:
    """What ``record_failure`` kept for the failed task, if Airflow named it and the XCom can be read."""
    ti = context.get("ti")
    if ti is None:
        return None
    try:
        error = ti.xcom_pull(key=FAILURE_KEY)
    except Exception:  # the notice must go out even when the error cannot be read (dag.test has no comms)
        return None
    return str(error) if error else None
