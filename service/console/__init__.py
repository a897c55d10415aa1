"""The reviewer console: server-rendered pages (Jinja2) under ``/console``, our own CSS and
JS under ``/static``, signed in with an API key (see ``session``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"


def add_console(app: FastAPI) -> None:
    from service.console import pages, supervisor

    app.include_router(pages.router)
    app.include_router(supervisor.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
