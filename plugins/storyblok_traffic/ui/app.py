"""The FastAPI app behind "Storyblok usage", mounted at ``/storyblok-usage`` by the plugin.

A plugin's app is not behind Airflow's authentication by itself: every route asks for Airflow's
user (``GetUserDep``: a Bearer token or the UI's cookie, else 401) and for read access to the
organisation's DAG (else 403); so does the OpenAPI document. FastAPI's docs page is off (it loads
its assets from a CDN). Every error is ``{"detail": "<sentence>"}``, as the document declares.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from storyblok_traffic.config import OrgConfig, load_config
from storyblok_traffic.ui.models import Error, Overview, Usage

PAGE = Path(__file__).with_name("page.html")
# Days are YYYY-MM-DD from 2000 to 2099 and nothing else (no timestamps, no other digits). What a
# pattern cannot say (a day a month lacks, a day not before today) is a 422 naming the parameter.
DAY = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "no logged-in Airflow user (a Bearer token or the UI's cookie)"},
    403: {"model": Error, "description": "no read access to the organisation's DAG"},
    404: {"model": Error, "description": "the organisation is not monitored, or has no stored traffic"},
    422: {"model": Error, "description": "a parameter is missing or malformed, or a day is out of range"},
}

app = FastAPI(
    title="Storyblok usage",
    description="Usage of each monitored Storyblok organisation against its limits, as `check_usage` computes it.",
    openapi_url=None,  # served below, behind the login
    docs_url=None,
    redoc_url=None,
)


@app.exception_handler(RequestValidationError)
def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's list of errors, as one sentence per parameter, in the body every other error has."""
    said = []
    for e in error.errors():
        where = ".".join(str(part) for part in e.get("loc", ())[1:]) or "request"
        said.append(f"{where}: {e.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(said)}, status_code=422)


@app.get("/openapi.json", include_in_schema=False)
def openapi(user: GetUserDep) -> JSONResponse:
    return JSONResponse(app.openapi())


def _day_query(description: str, alias: str | None = None) -> Any:
    return Query(alias=alias, description=f"{description} (YYYY-MM-DD)", pattern=DAY, examples=["2026-11-30"])


@app.get("/api/usage", summary="Usage of one organisation as of a day", response_model=Usage, responses=ERRORS)
def usage(
    user: GetUserDep,
    org: Annotated[str, Query(description="the organisation (as stored; one per configured DAG)")],
    as_of: Annotated[str | None, _day_query("before today; default: the newest stored day")] = None,
) -> Usage:
    from storyblok_traffic.ui.figures import newest_day, usage_figures
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    organisation, config = _readable(user, org)
    today = datetime.now(UTC).date()
    day = _past("as_of", _day("as_of", as_of), today) if as_of is not None else None
    with warehouse_transaction(config.warehouse) as conn:
        day = day or newest_day(conn, organisation.org)
        if day is None:
            raise HTTPException(404, f"org {org!r} has no stored traffic yet")
        return usage_figures(conn, organisation, day, today)


@app.get(
    "/api/overview",
    summary="Every organisation the user may read, the most urgent first",
    response_model=Overview,
    responses={401: ERRORS[401]},
)
def overview(user: GetUserDep) -> Overview:
    from storyblok_traffic.ui.overview import overview as rows
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    config = load_config()
    readable = [o for o in config.organisations if _may_read(user, o)]
    with warehouse_transaction(config.warehouse) as conn:
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
    org: Annotated[str, Query(description="the organisation")],
    from_: Annotated[str, _day_query("first day", alias="from")],
    to: Annotated[str, _day_query("last day, before today")],
) -> Response:
    from storyblok_traffic.ui.figures import daily_rows
    from storyblok_traffic.warehouse.engine import warehouse_transaction

    organisation, config = _readable(user, org)
    first = _day("from", from_)
    last = _past("to", _day("to", to), datetime.now(UTC).date())
    if last < first:
        raise HTTPException(422, f"to {last} is before from {first}")
    with warehouse_transaction(config.warehouse) as conn:
        rows = daily_rows(conn, organisation.org, first, last)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["day", "requests", "bytes"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.model_dump() for row in rows)
    name = f"storyblok-usage-{organisation.org}-{first}-{last}.csv"
    return Response(
        out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


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

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


def _page(request: Request, user: Any, dag_id: str | None) -> HTMLResponse:
    organisations = load_config().organisations
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
            f"showing {escape(chosen.org)}. Choose another organisation above.</p>"
        )
    options = "".join(_option(o, o is chosen) for o in readable)
    root = escape(request.scope.get("root_path", ""))
    # The nav entry opens on the overview when there is more than one organisation to choose from.
    first = "overview" if dag_id is None and len(readable) > 1 else "organisation"
    html = PAGE.read_text().replace("{root}", root).replace("{options}", options).replace("{banner}", banner)
    return HTMLResponse(html.replace("{first}", first))


def _option(org: OrgConfig, selected: bool) -> str:
    return f'<option value="{escape(org.org)}"{" selected" if selected else ""}>{escape(org.org)}</option>'


def _may_read(user: Any, org: OrgConfig) -> bool:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return get_auth_manager().is_authorized_dag(method="GET", details=DagDetails(id=org.dag_id), user=user)


def _readable(user: Any, org: str) -> tuple[OrgConfig, Any]:
    """The configured organisation, when the user may read its DAG."""

    config = load_config()
    organisation = next((o for o in config.organisations if o.org == org), None)
    if organisation is None:
        raise HTTPException(404, f"org {org!r} is not a monitored organisation")
    if not _may_read(user, organisation):
        raise HTTPException(403, f"no read access to the DAG {organisation.dag_id} of org {org!r}")
    return organisation, config


def _day(name: str, value: str) -> date:
    """A query's day (its pattern checked): a real calendar day, else a 422 naming the parameter."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name}: {value!r} is not a calendar day (YYYY-MM-DD)") from None


def _past(name: str, day: date, today: date) -> date:
    if day >= today:
        raise HTTPException(422, f"{name}: {day} must be before today ({today} UTC): today's traffic is not complete")
    return day
