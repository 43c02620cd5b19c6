"""The FastAPI app behind "Storyblok usage", mounted at ``/storyblok-usage`` by the plugin.

A plugin's app is not behind Airflow's authentication by itself: every route asks for Airflow's
user (``GetUserDep``: a Bearer token or the UI's cookie, else 401) and for read access to the
organisation's DAG (else 403); so does the OpenAPI document. FastAPI's docs page is off (it loads
its scripts and styles from a CDN). Every error is ``{"detail": "<sentence>"}``, as the document declares: an
invalid configuration file is a 503 naming the file and the setting (the page shows it in its
layout), and anything unforeseen a 500 that says it is logged, never a bare "Internal Server Error".
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from storyblok_traffic.config import CONFIG_ENV, ConfigError, MonitorConfig, OrgConfig, load_config
from storyblok_traffic.documents import (
    Assets,
    DailyRow,
    Error,
    LastFailure,
    NewSilence,
    NotFound,
    Overview,
    Silences,
    Usage,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from storyblok_traffic.rules.silences import Silence

log = logging.getLogger(__name__)
# ASGI's types, as Starlette spells them (Starlette itself is FastAPI's, not a dependency of ours).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
PAGE = FilePath(__file__).with_name("page.html")
# Days are YYYY-MM-DD from 2000 to 2099 and nothing else (no timestamps, no other digits), and a day
# the calendar has (``format: date``): a day a month lacks is a 422 naming the parameter.
DAY = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
SPACE_ID = r"^[0-9]{1,20}$"  # Storyblok's space ids are numbers; the tables keep them as text
# Declared on every route: the configuration is read per request, and nothing unforeseen is a bare 500.
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    500: {"model": Error, "description": "an unexpected error: logged in the API server's log under the id given"},
    503: {"model": Error, "description": "the monitor's configuration is invalid: the file, the setting and why"},
}
ORG_QUERY = "the organisation (as stored; one per configured DAG); required when more than one is monitored"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "no logged-in Airflow user (a Bearer token or the UI's cookie)"},
    403: {"model": Error, "description": "no read access to the organisation's DAG"},
    404: {
        "model": NotFound,
        "description": "the organisation is not monitored, or has no stored traffic (with its DAG's failed run, if so)",
    },
    422: {
        "model": Error,
        "description": "a parameter is missing or malformed (not a calendar day, or not 2000-2099; no org "
        "while several are monitored)",
    },
    **UNAVAILABLE,
}

app = FastAPI(
    title="Storyblok usage",
    description="Usage of each monitored Storyblok organisation against its limits, as `check_usage` computes it.",
    openapi_url=None,  # served below, behind the login
    docs_url=None,
    redoc_url=None,
)


class _LoggedErrors:
    """Anything a route did not foresee: logged with its traceback under a short id, answered with that
    id (JSON for the API, the page's layout for the page) and nothing of the error's own text, which
    may hold what a user must not see (a database URL, an answer's body). Outside FastAPI's own
    handlers, so that ``HTTPException`` and the handlers below answer as before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:  # too late to answer otherwise: the server logs it
                raise
            reference = uuid.uuid4().hex[:8]
            request = Request(scope)
            log.exception("storyblok-usage: unexpected error %s on %s %s", reference, request.method, request.url.path)
            said = (
                f"an unexpected error ({type(error).__name__}) on {request.method} {_route(request)}; "
                f"it is logged in the Airflow API server's log as error {reference}"
            )
            answer: Response = JSONResponse({"detail": said}, status_code=500)
            if not _is_api(request):
                answer = _problem_page(request, "The page could not be shown", [escape(said)], 500)
            await answer(scope, receive, send)


app.add_middleware(_LoggedErrors)


@app.exception_handler(ConfigError)
def _misconfigured(request: Request, error: ConfigError) -> Response:
    """The configuration is read per request: a file made invalid is told (503) until it is mended."""
    if not _is_api(request):
        return _configuration_page(request, error)
    return JSONResponse({"detail": f"the monitor's configuration is invalid: {error}"}, status_code=503)


@app.exception_handler(RequestValidationError)
def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's list of errors, as one sentence per parameter, in the body every other error has."""
    said = []
    for e in error.errors():
        where = ".".join(str(part) for part in e.get("loc", ())[1:]) or "request"
        # Patterns said in words, not as regular expressions: a day's (``DAY``), a silence's fields'.
        mismatch = e.get("type") == "string_pattern_mismatch"
        said.append(f"{where}: {_mismatch(where, e.get('input')) if mismatch else e.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(said)}, status_code=422)


def _mismatch(where: str, value: object) -> str:
    if where == "reason":
        return "say why (not only spaces)"
    if where.startswith("space"):
        return f"{value!r} is not a space id (digits)"
    if where.startswith("period"):
        return f"{value!r} is not year, month, organisation or a space's series (space 100021)"
    return f"{value!r} is not a day YYYY-MM-DD from 2000 to 2099"


@app.get("/openapi.json", include_in_schema=False)
def openapi(user: GetUserDep) -> JSONResponse:
    return JSONResponse(app.openapi())


def _day_query(description: str, alias: str | None = None) -> Any:
    # A pattern (the shape) and ``format: date`` (a day the calendar has): both checked, both declared.
    return Query(
        alias=alias,
        description=f"YYYY-MM-DD, 2000 to 2099; {description}",
        pattern=DAY,
        examples=["2026-11-30"],
        json_schema_extra={"format": "date"},
    )


@app.get(
    "/api/usage",
    summary="Usage of one organisation as of a day",
    response_model=Usage,
    responses=ERRORS,
    description="`last_failure` names the newest run of the organisation's daily DAG when it failed (its task "
    "and error); a 404 for an organisation with nothing stored carries it too.",
)
def usage(
    user: GetUserDep,
    org: Annotated[str | None, Query(description=ORG_QUERY)] = None,
    as_of: Annotated[
        str | None,
        _day_query(
            "default: the newest stored day; today or a later day is the newest stored day too (today's "
            "traffic is not complete): the answer's as_of says which day the figures are as of"
        ),
    ] = None,
) -> Usage | JSONResponse:
    from storyblok_traffic.evaluation.figures import shown_day, usage_figures
    from storyblok_traffic.ui.runs import last_failure

    organisation, config = _readable(user, org)
    today = datetime.now(UTC).date()
    day = _day("as_of", as_of) if as_of is not None else None
    failed = last_failure(organisation.dag_id)
    with _warehouse(config) as conn:
        day = shown_day(conn, organisation.org, day or date.max, today)
        if day is None:
            found = NotFound(detail=_nothing_stored(organisation, failed), last_failure=failed)
            return JSONResponse(found.model_dump(), status_code=404)
        return usage_figures(conn, organisation, day, today, config.routing(organisation), failed)


def _nothing_stored(org: OrgConfig, failed: LastFailure | None) -> str:
    """Why an organisation has no stored day: its DAG's newest run failed (which, where, why), or none did."""
    said = f"org {org.org!r} has no stored traffic yet"
    if failed is None:
        return (
            f"{said}, and the newest finished run of its DAG {org.dag_id} did not fail (or none has finished): "
            "is the DAG unpaused? (The backfill DAG loads past days.)"
        )
    where = f" in task {failed.task_id}" if failed.task_id else ""
    why = failed.error or "no error recorded (see the task's log)"
    run = f"the newest run of its DAG {org.dag_id}, {failed.run_id}"
    return f"{said}: {run}, failed{where} at {failed.failed_at}: {why}"


@app.get(
    "/api/overview",
    summary="Every organisation the user may read, the most urgent first",
    response_model=Overview,
    responses={401: ERRORS[401], **UNAVAILABLE},
)
def overview(user: GetUserDep) -> Overview:
    from storyblok_traffic.ui.overview import overview as rows

    config = load_config()
    readable = [o for o in config.organisations if _may_read(user, o)]
    with _warehouse(config) as conn:
        return rows(conn, readable)


CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "day,requests,bytes", "content": {"text/csv": {"schema": {"type": "string"}}}}
}


@app.get(
    "/api/usage.csv",
    summary="The organisation's daily rows as CSV",
    response_class=Response,
    responses=CSV | ERRORS,
)
def usage_csv(
    user: GetUserDep,
    from_: Annotated[str, _day_query("first day", alias="from")],
    to: Annotated[
        str,
        _day_query(
            "last day; today or a later day is yesterday (today's traffic is not complete); "
            "a day before `from` is an empty range (the header alone)"
        ),
    ],
    org: Annotated[str | None, Query(description=ORG_QUERY)] = None,
) -> Response:
    from storyblok_traffic.evaluation.figures import daily_rows

    organisation, config = _readable(user, org)
    first = _day("from", from_)
    last = min(_day("to", to), datetime.now(UTC).date() - timedelta(days=1))
    rows: list[DailyRow] = []
    if first <= last:
        with _warehouse(config) as conn:
            rows = daily_rows(conn, organisation.org, first, last)
    return _csv(f"storyblok-usage-{organisation.org}-{first}-{last}.csv", ["day", "requests", "bytes"], rows)


SPACE_QUERY = "only the files of this space (its id, as the traffic tables keep it)"
ASSET_LIMIT = Query(description="how many files, the largest first", ge=1, le=1000)


@app.get(
    "/api/assets",
    summary="The files that served most bytes over a range of days",
    response_model=Assets,
    responses=ERRORS,
    description="From the bytes each file served per day (`assets_traffic`, loaded by the daily DAG's "
    "load_assets): each file's bytes, times served, share of the range's bandwidth, change against as many "
    "days just before the range, and what to do about it.",
)
def asset_list(
    user: GetUserDep,
    from_: Annotated[str, _day_query("first day", alias="from")],
    to: Annotated[str, _day_query("last day; a day before `from` is an empty range")],
    org: Annotated[str | None, Query(description=ORG_QUERY)] = None,
    space: Annotated[str | None, Query(description=SPACE_QUERY, pattern=SPACE_ID, max_length=20)] = None,
    limit: Annotated[int, ASSET_LIMIT] = 20,
) -> Assets:
    from storyblok_traffic.evaluation.figures import asset_rows

    organisation, config = _readable(user, org)
    first, last = _day("from", from_), _day("to", to)
    with _warehouse(config) as conn:
        return asset_rows(conn, organisation.org, first, last, space, limit)


ASSET_COLUMNS = [
    "asset_id",
    "filename",
    "space_id",
    "content_type",
    "content_length",
    "deleted",
    "is_private",
    "bytes",
    "times_served",
    "share",
    "change_pct",
]
ASSETS_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": ",".join(ASSET_COLUMNS), "content": {"text/csv": {"schema": {"type": "string"}}}}
}


@app.get(
    "/api/assets.csv",
    summary="The files that served most bytes over a range of days, as CSV",
    response_class=Response,
    responses=ASSETS_CSV | ERRORS,
)
def asset_csv(
    user: GetUserDep,
    from_: Annotated[str, _day_query("first day", alias="from")],
    to: Annotated[str, _day_query("last day; a day before `from` is an empty range (the header alone)")],
    org: Annotated[str | None, Query(description=ORG_QUERY)] = None,
    space: Annotated[str | None, Query(description=SPACE_QUERY, pattern=SPACE_ID, max_length=20)] = None,
    limit: Annotated[int, ASSET_LIMIT] = 20,
) -> Response:
    found = asset_list(user, from_, to, org, space, limit)
    return _csv(f"storyblok-assets-{found.org}-{found.first_day}-{found.last_day}.csv", ASSET_COLUMNS, found.assets)


def _csv(name: str, columns: list[str], rows: Sequence[BaseModel]) -> Response:
    """``rows``' ``columns`` as a CSV download named ``name``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.model_dump() for row in rows)
    return Response(
        out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


SILENCE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Error, "description": "no access to the organisation's DAG (making or expiring: edit access)"},
    404: {"model": Error, "description": "the organisation is not monitored, or has no such silence"},
    409: {"model": Error, "description": "the silence has ended already, or is kept in the configuration file"},
}


@app.get(
    "/api/silences",
    summary="An organisation's silences, with every change to each",
    response_model=Silences,
    responses=SILENCE_ERRORS,
)
def silence_list(user: GetUserDep, org: Annotated[str | None, Query(description=ORG_QUERY)] = None) -> Silences:
    from storyblok_traffic.warehouse import silences

    organisation, config = _readable(user, org)
    with _warehouse(config) as conn:
        found = silences.load(conn, organisation.org)
        return _silences(conn, organisation, _may_edit(user, organisation), found)


@app.post(
    "/api/silences",
    summary="Make a silence: the notices it matches go nowhere for the hours given",
    response_model=Silences,
    status_code=201,
    responses={**SILENCE_ERRORS, 400: {"model": Error, "description": "the body is not JSON"}},
)
def silence_add(user: GetUserDep, new: NewSilence) -> Silences:
    from storyblok_traffic.rules.silences import DASHBOARD, MATCHED, Silence, matcher
    from storyblok_traffic.warehouse import silences

    organisation, config = _editable(user, new.org)
    now = datetime.now(UTC).replace(microsecond=0)
    try:  # the rules every silence is made by (the CLI's and the configuration's too)
        match = matcher({name: getattr(new, name) for name in MATCHED})
    except ValueError as err:
        raise HTTPException(422, f"match: {err}") from None
    made = Silence(
        "",
        organisation.org,
        match,
        now,
        now + timedelta(hours=new.hours),
        new.reason.strip(),
        user.get_name(),
        DASHBOARD,
    )
    with _warehouse(config) as conn:
        silences.add(conn, made, now)
        return _silences(conn, organisation, True, silences.load(conn, organisation.org))


@app.post(
    "/api/silences/{silence_id}/expire",
    summary="End a silence now",
    response_model=Silences,
    responses=SILENCE_ERRORS,
)
def silence_expire(
    user: GetUserDep,
    silence_id: Annotated[str, Path(max_length=40)],
    org: Annotated[str | None, Query(description=ORG_QUERY)] = None,
) -> Silences:
    from storyblok_traffic.errors import SilenceError
    from storyblok_traffic.rules.silences import DASHBOARD
    from storyblok_traffic.warehouse import silences

    organisation, config = _editable(user, org)
    with _warehouse(config) as conn:
        try:
            now = datetime.now(UTC).replace(microsecond=0)
            silences.expire(conn, organisation.org, silence_id, user.get_name(), now, DASHBOARD)
        except SilenceError as err:
            raise HTTPException(404 if err.missing else 409, str(err)) from None
        return _silences(conn, organisation, True, silences.load(conn, organisation.org))


def _silences(conn: Connection, org: OrgConfig, may_edit: bool, found: list[Silence]) -> Silences:
    from storyblok_traffic.evaluation.figures import silence_rows
    from storyblok_traffic.warehouse import silences

    changes = silences.changes(conn, [s.id for s in found])
    return Silences(org=org.org, may_edit=may_edit, silences=silence_rows(found, changes, datetime.now(UTC)))


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request, user: GetUserDep) -> HTMLResponse:
    """The dashboard, for the first organisation the user may read (the nav entry)."""
    return _page(request, user, None)


@app.get("/dag/{dag_id}", response_class=HTMLResponse, include_in_schema=False)
def dag_page(request: Request, user: GetUserDep, dag_id: str) -> HTMLResponse:
    """The dashboard of the organisation behind ``dag_id`` (the DAG's "Usage" tab)."""
    return _page(request, user, dag_id)


@app.get("/static/plotly.min.js", include_in_schema=False)
def plotly_js(user: GetUserDep) -> FileResponse:
    """The charting library, from the installed plotly package: never a CDN."""
    import plotly

    path = FilePath(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


def _page(request: Request, user: Any, dag_id: str | None) -> HTMLResponse:
    organisations = load_config().organisations  # a ConfigError: the page says what (``_misconfigured``)
    own = next((o for o in organisations if o.dag_id == dag_id), None)
    if own is not None and not _may_read(user, own):
        raise HTTPException(403, f"no read access to the DAG {own.dag_id} of org {own.org!r}")
    readable = [o for o in organisations if _may_read(user, o)]
    if not readable:
        raise HTTPException(403, "no read access to any monitored organisation's DAG")
    chosen = own or readable[0]
    banner = ""
    if dag_id is not None and own is None:
        # Airflow 3.3 shows a plugin's DAG tab on every DAG: say so rather than pass one org off as this DAG's.
        banner = (
            f'<p class="banner" id="banner">The DAG {escape(dag_id)} does not fetch an organisation\'s traffic; '
            f"showing {escape(chosen.org)}"
            + (", the organisation monitored." if len(readable) == 1 else ". Choose another organisation above.")
            + "</p>"
        )
    options = "".join(_option(o, o is chosen) for o in readable)
    root = escape(request.scope.get("root_path", ""))
    # The nav entry opens on the overview when there is more than one organisation to choose from.
    first = "overview" if dag_id is None and len(readable) > 1 else "organisation"
    return _filled(root, options, banner, "", first)


def _filled(root: str, options: str, banner: str, problem: str, first: str, status: int = 200) -> HTMLResponse:
    html = PAGE.read_text().replace("{root}", root).replace("{options}", options).replace("{banner}", banner)
    return HTMLResponse(html.replace("{problem}", problem).replace("{first}", first), status_code=status)


def _problem_page(
    request: Request, title: str, paragraphs: list[str], status: int, kind: str = "error"
) -> HTMLResponse:
    """The page's own layout with only what is wrong (``paragraphs`` are HTML, escaped by the caller);
    its script loads nothing."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    problem = (
        f'<section id="problem" class="problem" role="alert" data-problem="{kind}">'
        f"<h2>{escape(title)}</h2>{body}</section>"
    )
    return _filled(escape(request.scope.get("root_path", "")), "", "", problem, "problem", status)


def _configuration_page(request: Request, error: ConfigError) -> HTMLResponse:
    where = CONFIG_ENV
    if error.file:
        where = f'<code id="problem-file">{escape(error.file)}</code> (named by {CONFIG_ENV})'
    return _problem_page(
        request,
        "The monitor's configuration is invalid",
        [
            f"In {where}:",
            f'<strong id="problem-message">{escape(error.problem)}</strong>',
            "Correct the file and reload this page. The DAGs read the same file: until it is corrected, "
            "the dag-processor reports it as an import error of the DAG files.",
        ],
        503,
        "configuration",
    )


def _is_api(request: Request) -> bool:
    """Whether the request is for the API (JSON errors) rather than the page (errors in its layout)."""
    route = _route(request)
    return route.startswith("/api/") or route == "/openapi.json"


def _route(request: Request) -> str:
    """The path inside this app (the mount's prefix taken off)."""
    path, root = request.url.path, request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _warehouse(config: MonitorConfig) -> AbstractContextManager[Connection]:
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    return warehouse_transaction(config.warehouse)


def _option(org: OrgConfig, selected: bool) -> str:
    return f'<option value="{escape(org.org)}"{" selected" if selected else ""}>{escape(org.org)}</option>'


def _may_read(user: Any, org: OrgConfig) -> bool:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return get_auth_manager().is_authorized_dag(method="GET", details=DagDetails(id=org.dag_id), user=user)


def _may_edit(user: Any, org: OrgConfig) -> bool:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return get_auth_manager().is_authorized_dag(method="PUT", details=DagDetails(id=org.dag_id), user=user)


def _editable(user: Any, org: str | None) -> tuple[OrgConfig, MonitorConfig]:
    """The configured organisation, when the user may edit its DAG (make and expire its silences)."""
    organisation, config = _readable(user, org)
    if not _may_edit(user, organisation):
        raise HTTPException(
            403,
            f"no edit access to the DAG {organisation.dag_id} of org {organisation.org!r}: silences are "
            "made and expired by its editors",
        )
    return organisation, config


def _readable(user: Any, org: str | None) -> tuple[OrgConfig, MonitorConfig]:
    """The configured organisation (None: the only one), when the user may read its DAG."""

    config = load_config()
    if org is None:
        names = [o.org for o in config.organisations]
        if len(names) != 1:
            raise HTTPException(422, f"org: required, one of {', '.join(names)}")
        org = names[0]
    organisation = next((o for o in config.organisations if o.org == org), None)
    if organisation is None:
        monitored = ", ".join(o.org for o in config.organisations)
        raise HTTPException(404, f"org {org!r} is not a monitored organisation; monitored: {monitored}")
    if not _may_read(user, organisation):
        raise HTTPException(403, f"no read access to the DAG {organisation.dag_id} of org {org!r}")
    return organisation, config


def _day(name: str, value: str) -> date:
    """A query's day (its pattern checked): a real calendar day (its ``format: date``), else a 422 naming it."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name}: {value!r} is not a calendar day (YYYY-MM-DD)") from None
