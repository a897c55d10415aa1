"""The periodic report: ``GET /api/v1/reports`` as JSON, CSV or an HTML page."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from service.api.deps import Caller, require, state
from service.errors import Forbidden
from service.localities import normalize_locality
from service.periods import resolve_period
from service.report_render import render_csv, render_html
from service.reports import build_report
from service.security import in_scope

router = APIRouter(prefix="/api/v1")


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


def report_scope_or_raise(c: Caller, locality: str | None) -> str | None:
    """The locality subtree to report on: the one asked for (it must lie inside the key's
    scope, 403 otherwise), or the key's whole scope."""
    locality = normalize_locality(locality) if locality else None
    if locality is None:
        return c.scope
    if not in_scope(c.scope, locality):
        raise Forbidden("locality outside the key's scope")
    return locality


@router.get("/reports", responses={200: {"content": {"text/csv": {}, "text/html": {}}}})
def get_report(
        st: Annotated[object, Depends(state)],
        c: Annotated[Caller, Depends(require("report:read"))],
        period: Annotated[str | None, Query(description="2026-Q3, 2026-H1, 2026 or 2026-07")] = None,
        from_: Annotated[str | None, Query(alias="from", description="first day, YYYY-MM-DD")] = None,
        to: Annotated[str | None, Query(description="last day (included), YYYY-MM-DD")] = None,
        locality: Annotated[str | None, Query(description="province or commune code")] = None,
        format: ReportFormat = ReportFormat.json):
    """Totals for one period and one locality subtree (the key's scope by default)."""
    chosen = resolve_period(period, from_, to)
    subtree = report_scope_or_raise(c, locality)
    with st.db.read() as s:
        report = build_report(s, st.taxonomy, chosen, locality=subtree)
    name = f"bao-cao-{chosen.label.replace('..', '_')}" + (f"-{subtree}" if subtree else "")
    if format is ReportFormat.csv:
        return Response(render_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if format is ReportFormat.html:
        return HTMLResponse(render_html(report))
    return report
