"""`create_app(settings)`: engine, lifespan (load the model), error handlers, routers.
Nothing happens at import."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy import text

from service.api import feedback, learning, reports, review
from service.console import add_console
from service.db import Database
from service.errors import add_exception_handlers, problem
from service.security import IdentityCipher
from service.settings import Settings
from triage.errors import TriageError
from triage.pipeline import Triager
from triage.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)


class AsyncFifoSlots:
    """At most ``n`` holders; the others wait in strict arrival order, as coroutines on the
    event loop rather than as threads of the pool: a waiting request costs nothing, and
    only the holders' threads compete with the loop for the GIL (2 workers at concurrency
    32: about 15% more intakes per second than with the waiters parked in pool threads).
    A released slot is handed to the longest waiter directly, so a newcomer never takes it
    first (with a plain semaphore some requests waited twice their turn)."""

    def __init__(self, n: int):
        self._free = n
        self._waiters: deque[asyncio.Future] = deque()

    async def __aenter__(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut  # resolved by the holder that hands its slot over
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._hand_over()  # handed a slot just as the request went away: pass it on
            else:
                self._waiters.remove(fut)
            raise

    async def __aexit__(self, *exc) -> None:
        self._hand_over()

    def _hand_over(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self._free += 1


@dataclass
class AppState:
    settings: Settings
    db: Database
    taxonomy: Taxonomy
    cipher: IdentityCipher
    triager: Triager | None
    key_cache: dict = field(default_factory=dict)  # key hash -> (Caller, valid until)
    intake_slots: AsyncFifoSlots | None = None
    # The last model this worker refused to switch to, and why (shown by GET /api/v1/model).
    refused: dict | None = None


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


def _load_triager(models_dir, taxonomy: Taxonomy, model_id: str | None = None) -> Triager:
    from service.flows import vietnam_holidays
    from triage.pipeline import freeze_heap, idf_for

    triager = Triager.from_models_dir(models_dir, taxonomy=taxonomy, model_id=model_id)
    triager.triage("khởi động")  # warm the segmenter before the first request
    idf_for(triager)     # the duplicate index's weights, and the holiday calendar:
    vietnam_holidays()   # built once here rather than inside the first intake
    freeze_heap()
    return triager


def _watch_model(st: AppState, stop: threading.Event) -> None:
    """Switch to the model `registry.json` names as active (after `triage promote` or
    `triage rollback`), without a restart: the new model is loaded and verified aside, then
    swapped in with one assignment, so a request in flight finishes on the model it started
    with. A model that fails verification is refused; the current one keeps serving."""
    from triage.artifacts import active_model_id

    while not stop.wait(st.settings.model_poll_seconds):
        try:
            wanted = active_model_id(st.settings.models_dir)
        except Exception as exc:  # noqa: BLE001 - a half-written or unreadable registry
            log.warning("cannot read the model registry: %s", exc)
            continue
        current = st.triager.model.model_id if st.triager else None
        if not wanted or wanted == current or (st.refused and st.refused["id"] == wanted):
            continue
        try:
            st.triager = _load_triager(st.settings.models_dir, st.taxonomy, wanted)
            st.refused = None
            log.info("switched from model %s to %s", current, wanted)
        except Exception as exc:  # noqa: BLE001 - refuse it, keep serving the current one
            st.refused = {"id": wanted, "reason": str(exc)}
            log.error("refused model %s, still serving %s: %s", wanted, current, exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        taxonomy = load_taxonomy()
        refused = None
        try:
            triager = _load_triager(settings.models_dir, taxonomy)
        except TriageError as exc:
            log.error("no model loaded, items will be stored untriaged: %s", exc)
            triager = None
            from triage.artifacts import active_model_id

            try:
                refused = {"id": active_model_id(settings.models_dir), "reason": str(exc)}
            except Exception:  # noqa: BLE001
                refused = None
        db = Database(settings.database_url, background_checkpoints=True)
        app.state.triage = AppState(settings, db, taxonomy, IdentityCipher.from_settings(
            settings.identity_key, settings.identity_key_file), triager, refused=refused,
            intake_slots=AsyncFifoSlots(settings.intake_parallelism))
        stop = threading.Event()
        threads = [threading.Thread(target=fn, args=(app.state.triage, stop), name=name,
                                    daemon=True)
                   for fn, name in ((_retry_untriaged, "retry-untriaged"),
                                    (_watch_model, "watch-model"))]
        for t in threads:
            t.start()
        yield
        stop.set()
        for t in threads:
            t.join(timeout=5)
        db.dispose()

    app = FastAPI(title="Vietnamese feedback triage", version="0.1.0", lifespan=lifespan,
                  docs_url="/docs")
    add_exception_handlers(app)
    app.include_router(feedback.router)
    app.include_router(review.router)
    app.include_router(learning.router)
    app.include_router(reports.router)
    add_console(app)

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
