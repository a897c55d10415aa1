"""Intake and reading of feedback items."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Header, Request, Response

from service.api.deps import Caller, item_in_scope_or_raise, require, state
from service.errors import Forbidden, TooLarge
from service.flows import MAX_BATCH_LINES, intake, intake_batch
from service.localities import normalize_locality
from service.schemas import FeedbackCreate, FeedbackRead, LabelRead, PriorityRead
from service.security import in_scope
from service.store import has_identity, suggestions_of

router = APIRouter(prefix="/api/v1")


def read_item(st, feedback_id: str, c: Caller) -> FeedbackRead:
    with st.db.read() as s:
        item = item_in_scope_or_raise(s, feedback_id, c)
        sugg = suggestions_of(s, item.id)
        return FeedbackRead(
            id=item.id, tracking_code=item.tracking_code, status=item.status,
            text=item.text_redacted, channel=item.channel, locality=item.locality,
            received_at=item.received_at, model_id=item.model_id,
            labels=[LabelRead(code=x.code, score=x.score) for x in sugg],
            suggested=[x.code for x in sugg if x.suggested],
            explanations=item.explanations or {}, out_of_scope=item.out_of_scope,
            duplicate_of=item.duplicate_of, similarity=item.similarity, cluster=item.cluster,
            priority=PriorityRead(score=item.priority, level=item.priority_level,
                                  reasons=item.reasons or []),
            anonymous=not has_identity(s, item.id), track=item.track, due_at=item.due_at,
            version=item.version, claimed_by=item.claimed_by, final_codes=item.final_codes)


@router.post("/feedback", status_code=201, response_model=FeedbackRead)
def create_feedback(payload: FeedbackCreate, response: Response, st=Depends(state),
                    c: Caller = Depends(require("feedback:create")),
                    idempotency_key: str | None = Header(default=None, max_length=128)):
    if not in_scope(c.scope, normalize_locality(payload.locality)):
        raise Forbidden("locality outside the key's scope")
    feedback_id, created = intake(st.db, st.triager, st.cipher, payload, actor=c.actor,
                                  idempotency_key=idempotency_key,
                                  max_chars=st.settings.max_text_chars)
    if not created:
        response.status_code = 200
    return read_item(st, feedback_id, c)


@router.post("/feedback:batch")
async def create_feedback_batch(request: Request, st=Depends(state),
                                c: Caller = Depends(require("feedback:create"))):
    """NDJSON in (one FeedbackCreate per line, optional "idempotency_key"), NDJSON out: one
    result or one error per line, in order."""
    from starlette.concurrency import run_in_threadpool

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
    return read_item(st, feedback_id, c)


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
