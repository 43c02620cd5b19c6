"""Why an organisation's figures may be missing or behind: its daily DAG's newest run failed.

Read from Airflow's metadata database, which the API server (where the dashboard's app runs) reaches
through ``airflow.utils.session.create_session``, as Airflow's own routes do; a task never runs this
(tasks may not touch the metadata database). One statement: the newest finished run of the DAG
(by ``run_after``: a manual run may have no logical date), the first task of it that failed, and
the error ``record_failure`` kept of it (XCom ``failure``: its first line, masked in the task's
process before it was stored, so no token reaches it).
"""

from __future__ import annotations

from datetime import datetime

from storyblok_traffic import documents as m


def last_failure(dag_id: str) -> m.LastFailure | None:
    """The newest finished run of ``dag_id`` when it failed (else ``None``): run, time, task and error."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from sqlalchemy import and_, select

    from storyblok_traffic.notifications.failure import FAILURE_KEY

    newest = (
        select(DagRun.id, DagRun.dag_id, DagRun.run_id, DagRun.end_date, DagRun._state.label("state"))
        .where(DagRun.dag_id == dag_id, DagRun._state.in_([DagRunState.SUCCESS, DagRunState.FAILED]))
        .order_by(DagRun.run_after.desc(), DagRun.id.desc())
        .limit(1)
        .subquery()
    )
    failed_task = and_(
        TaskInstance.dag_id == newest.c.dag_id,
        TaskInstance.run_id == newest.c.run_id,
        TaskInstance.state == TaskInstanceState.FAILED,
    )
    recorded = and_(
        XComModel.dag_run_id == newest.c.id,
        XComModel.task_id == TaskInstance.task_id,
        XComModel.map_index == TaskInstance.map_index,
        XComModel.key == FAILURE_KEY,
    )
    query = (
        select(
            newest.c.run_id,
            newest.c.state,
            newest.c.end_date.label("run_ended"),
            TaskInstance.task_id,
            TaskInstance.end_date.label("task_ended"),
            XComModel.value,
        )
        .select_from(newest)
        .outerjoin(TaskInstance, failed_task)
        .outerjoin(XComModel, recorded)
        # The task that failed first is the cause (the others failed after it, or were told to).
        .order_by(TaskInstance.end_date.is_(None), TaskInstance.end_date)
        .limit(1)
    )
    with create_session(scoped=False) as session:
        row = session.execute(query).first()
    if row is None or row.state != DagRunState.FAILED:
        return None
    return m.LastFailure(
        dag_id=dag_id,
        run_id=row.run_id,
        failed_at=_iso(row.task_ended or row.run_ended),
        task_id=row.task_id,
        error=_text(XComModel.deserialize_value(row)),
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _text(value: object) -> str | None:
    """The error as ``record_failure`` pushed it: a string (``None`` when no task recorded one)."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
