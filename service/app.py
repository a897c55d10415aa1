"""`create_app(settings)`: engine, lifespan (load the model), error handlers, routers.
Nothing happens at import."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import text

from service.api import feedback, reports, review
from service.db import Database
from service.errors import add_exception_handlers, problem
from service.security import IdentityCipher
from service.settings import Settings
from triage.errors import TriageError
from triage.pipeline import Triager
from triage.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)


@dataclass
class AppState:
    settings: Settings
    db: Database
    taxonomy: Taxonomy
    cipher: IdentityCipher
    triager: Triager | None


def _retry_untriaged(st: AppState, stop: threading.Event) -> None:
    """Items whose language step failed (or came in while no model was loaded) are
    processed again, every `retry_seconds`; safe with several workers (row locks)."""
    from service.flows import triage_pending

    while not stop.wait(st.settings.retry_seconds):
        if st.triager is None:
            continue
        try:
            n = triage_pending(st.db, st.triager)
            if n:
                log.info("retried %d untriaged items", n)
        except Exception:  # noqa: BLE001
            log.exception("retry of untriaged items failed")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        taxonomy = load_taxonomy()
        try:
            triager = Triager.from_models_dir(settings.models_dir, taxonomy=taxonomy)
            triager.triage("khởi động")  # warm the segmenter before the first request
        except TriageError as exc:
            log.error("no model loaded, items will be stored untriaged: %s", exc)
            triager = None
        db = Database(settings.database_url)
        app.state.triage = AppState(settings, db, taxonomy, IdentityCipher.from_settings(
            settings.identity_key, settings.identity_key_file), triager)
        stop = threading.Event()
        retry = threading.Thread(target=_retry_untriaged, args=(app.state.triage, stop),
                                 name="retry-untriaged", daemon=True)
        retry.start()
        yield
        stop.set()
        retry.join(timeout=5)
        db.dispose()

    app = FastAPI(title="Vietnamese feedback triage", version="0.1.0", lifespan=lifespan,
                  docs_url="/docs")
    add_exception_handlers(app)
    app.include_router(feedback.router)
    app.include_router(review.router)
    app.include_router(reports.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz():
        st: AppState = app.state.triage
        try:
            with st.db.read() as s:
                s.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001
            return problem(503, "database_unavailable", "Database unavailable", type(exc).__name__)
        if st.triager is None:
            return problem(503, "model_unavailable", "No model is loaded")
        return {"status": "ready", "model": st.triager.model.model_id}

    return app
