"""Intake and reading of feedback items."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import Caller, item_in_scope_or_raise, require, state
from service.errors import Forbidden, TooLarge
from service.flows import MAX_BATCH_LINES, intake_batch, intake_item
from service.localities import normalize_locality
from service.models import Feedback
from service.schemas import (
    FeedbackCreate,
    FeedbackRead,
    LabelRead,
    PossibleDuplicateRead,
    PriorityRead,
)
from service.security import in_scope
from service.store import has_identity, suggestions_of

router = APIRouter(prefix="/api/v1")


def _utc(moment: datetime) -> datetime:
    """In UTC on both backends (SQLite hands back naive datetimes, stored as UTC;
    PostgreSQL answers in the session's time zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _feedback_read(item: dict, sugg: list[dict], *, anonymous: bool) -> FeedbackRead:
    """The response body from the item's columns and its suggestion rows (rank order)."""
    return FeedbackRead(
        id=item["id"], tracking_code=item["tracking_code"], status=item["status"],
        text=item.get("text_redacted"), channel=item["channel"], locality=item["locality"],
        received_at=_utc(item["received_at"]), model_id=item.get("model_id"),
        labels=[LabelRead(code=x["code"], score=x["score"]) for x in sugg],
        suggested=[x["code"] for x in sugg if x["suggested"]],
        explanations=item.get("explanations") or {}, out_of_scope=item.get("out_of_scope"),
        duplicate_of=item.get("duplicate_of"), similarity=item.get("similarity"),
        cluster=item.get("cluster"),
        possible_duplicates=[PossibleDuplicateRead(**m) for m in item.get("possible_duplicates") or ()],
        priority=PriorityRead(score=item.get("priority"), level=item.get("priority_level"),
                              reasons=item.get("reasons") or []),
        anonymous=anonymous, track=item.get("track"), due_at=item.get("due_at"),
        version=item["version"], claimed_by=item.get("claimed_by"),
        final_codes=item.get("final_codes"))


_COLUMNS = [c.key for c in Feedback.__table__.columns]


def read_item(st, feedback_id: str, c: Caller) -> FeedbackRead:
    with st.db.read() as s:
        item = item_in_scope_or_raise(s, feedback_id, c)
        sugg = [{"code": x.code, "score": x.score, "suggested": x.suggested}
                for x in suggestions_of(s, item.id)]
        return _feedback_read({k: getattr(item, k) for k in _COLUMNS}, sugg,
                              anonymous=not has_identity(s, item.id))


def _json(model: FeedbackRead, status_code: int = 200) -> Response:
    """The body FastAPI would send for ``response_model=FeedbackRead`` (the same pydantic
    serializer, so the same bytes), built here: FastAPI would validate the model it was
    just given again, and for a plain ``def`` endpoint do so on a second trip through the
    thread pool. ``response_model`` stays on the routes for the OpenAPI schema."""
    return Response(_SERIALIZE(model), status_code=status_code, media_type="application/json")


_SERIALIZE = FeedbackRead.__pydantic_serializer__.to_json


@router.post("/feedback", status_code=201, response_model=FeedbackRead)
async def create_feedback(payload: FeedbackCreate, st=Depends(state),
                          c: Caller = Depends(require("feedback:create")),
                          idempotency_key: str | None = Header(default=None, max_length=128)):
    if not in_scope(c.scope, normalize_locality(payload.locality)):
        raise Forbidden("locality outside the key's scope")
    # The language step is CPU work under one GIL: a few at a time, the rest waiting in
    # arrival order (as coroutines, not as pool threads), keeps each request's latency
    # near its own cost instead of all 32 of a burst finishing together at 32x.
    async with st.intake_slots:
        return await run_in_threadpool(_create_feedback, st, c, payload, idempotency_key)


def _create_feedback(st, c: Caller, payload: FeedbackCreate, idempotency_key: str | None) -> Response:
    done = intake_item(st.db, st.triager, st.cipher, payload, actor=c.actor,
                       idempotency_key=idempotency_key, max_chars=st.settings.max_text_chars)
    status_code = 201 if done.created else 200
    if done.triaged is None:  # a repeat, or left untriaged: what the database holds
        return _json(read_item(st, done.id, c), status_code)
    # just written by this request: answer from memory instead of reading it back
    return _json(_feedback_read({**done.item, **done.triaged.values}, done.triaged.suggestions,
                                anonymous=done.anonymous), status_code)


@router.post("/feedback:batch")
async def create_feedback_batch(request: Request, st=Depends(state),
                                c: Caller = Depends(require("feedback:create"))):
    """NDJSON in (one FeedbackCreate per line, optional "idempotency_key"), NDJSON out: one
    result or one error per line, in order."""

    body = await request.body()
    lines = body.splitlines()
    if len(lines) > MAX_BATCH_LINES:
        raise TooLarge(f"{len(lines)} lines; the limit is {MAX_BATCH_LINES}")

    def check(payload):
        if not in_scope(c.scope, normalize_locality(payload.locality)):
            raise Forbidden("locality outside the key's scope")

    results = await run_in_threadpool(
        intake_batch, st.db, st.triager, st.cipher, lines, actor=c.actor,
        max_chars=st.settings.max_text_chars, scope_check=check)
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
    return Response(payload, media_type="application/x-ndjson")


@router.get("/feedback/{feedback_id}", response_model=FeedbackRead)
def get_feedback(feedback_id: str, st=Depends(state), c: Caller = Depends(require("feedback:read"))):
    return _json(read_item(st, feedback_id, c))


@router.get("/taxonomy")
def get_taxonomy(st=Depends(state), c: Caller = Depends(require("taxonomy:read"))):
    return st.taxonomy.to_public_dict()


@router.get("/model")
def get_model(st=Depends(state), c: Caller = Depends(require("model:read"))):
    if st.triager is None:
        from service.errors import ModelUnavailable
        raise ModelUnavailable("no verified model is loaded")
    import os

    meta = dict(st.triager.model.meta)
    meta.pop("thresholds", None)
    meta["serving"] = {"pid": os.getpid(), "refused": st.refused}
    return meta
