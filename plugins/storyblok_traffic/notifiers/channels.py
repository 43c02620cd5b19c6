"""From configured channels to notifiers, and the pipeline's own failure notice to all of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from airflow.sdk import BaseNotifier

from storyblok_traffic.config import ChannelConfig

if TYPE_CHECKING:
    from storyblok_traffic.messages import Message

# Airflow hands a DAG's failure callback the task that failed as ``ti``, but not its error: that is in the log.
FAILURE_TEXT = (
    "Storyblok traffic pipeline {{ dag.dag_id }} failed in run {{ run_id }}"
    "{% if ti is defined %} at task {{ ti.task_id }}{% endif %} ({{ reason }}). "
    "Open the run in the Airflow UI to see the failed task's log."
)


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


def notifier_for(channel: ChannelConfig) -> Sender:
    from storyblok_traffic.notifiers.email import EmailNotifier
    from storyblok_traffic.notifiers.json_webhook import JsonWebhookNotifier
    from storyblok_traffic.notifiers.slack import SlackWebhookNotifier

    if channel.type == "email":
        return EmailNotifier(to=channel.to, smtp_conn_id=channel.conn_id, from_email=channel.from_email)
    if channel.type == "webhook":
        return JsonWebhookNotifier(webhook_conn_id=channel.conn_id)
    return SlackWebhookNotifier(webhook_conn_id=channel.conn_id)


class PipelineFailureNotifier(BaseNotifier):
    """The DAG's failure callback: ``text`` to every channel; one channel failing does not stop the others.

    Set as the DAG's ``on_failure_callback``, it runs once per failed run.
    """

    template_fields: Sequence[str] = ("text",)

    def __init__(self, *, channels: Sequence[ChannelConfig], text: str = FAILURE_TEXT) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.text = text

    def get_template_env(self, dag: Any = None) -> Any:
        # Airflow 3.3.2's dag.test() hands DAG callbacks a SerializedDAG, which has no template
        # environment: fall back to the plain sandboxed one rather than lose the notice.
        if dag is not None and not hasattr(dag, "get_template_env"):
            dag = None
        return super().get_template_env(dag=dag)

    def notify(self, context: Any) -> None:
        from storyblok_traffic.messages import failure_message

        message = failure_message(self.text)
        failed = []
        for channel in self.channels:
            try:
                notifier_for(channel).send(message)
            except Exception:
                self.log.exception("Could not send the failure notice to channel %s", channel.name)
                failed.append(channel.name)
        if failed:
            raise RuntimeError(f"failure notice not delivered to channel(s): {', '.join(failed)}")
