"""Queue, claims, reviews, identity reveal and the audit log."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from service.api.deps import Caller, check_item_scope, require, state
from service.api.feedback import read_item
from service.errors import Forbidden, NotFound
from service.models import Feedback
from service.review import claim, release, reveal_identity, review
from service.schemas import FeedbackRead, IdentityReveal, QueueItem, QueuePage, ReviewCreate
from service.security import in_scope
from service.store import audit_events, queue, suggestions_of
from triage.deadlines import Track

router = APIRouter(prefix="/api/v1")


@router.get("/queue", response_model=QueuePage)
def get_queue(st=Depends(state), c: Caller = Depends(require("queue:read")),
              status: list[str] = Query(default=["new", "in_review"]),
              group: str | None = None, code: str | None = None, channel: str | None = None,
              locality: str | None = None, track: str | None = None,
              overdue: bool | None = None, cluster: str | None = None,
              order: Literal["priority", "uncertainty"] = Query(
                  default="priority",
                  description="priority: most urgent first; uncertainty: the items the model "
                              "is least sure about first (labelling sessions)"),
              limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0)):
    if c.scope and locality and not in_scope(c.scope, locality):
        raise Forbidden("locality outside the key's scope")
    with st.db.read() as s:
        items, total = queue(s, status=status, group=group, code=code, channel=channel,
                             locality=locality or c.scope, track=track, overdue=overdue,
                             cluster=cluster, today=date.today(), limit=limit, offset=offset,
                             order=order)
        return QueuePage(total=total, items=[QueueItem(
            id=i.id, status=i.status, priority=i.priority, priority_level=i.priority_level,
            due_at=i.due_at, track=i.track, channel=i.channel, locality=i.locality,
            suggested=[x.code for x in suggestions_of(s, i.id) if x.suggested],
            cluster=i.cluster, duplicate_of=i.duplicate_of, claimed_by=i.claimed_by,
            version=i.version, excerpt=(i.text_redacted or "")[:200] or None,
            uncertainty=i.uncertainty) for i in items])


@router.get("/clusters/{cluster_id}")
def get_cluster(cluster_id: str, st=Depends(state), c: Caller = Depends(require("feedback:read"))):
    """All items of one case, oldest first, with how many channels and reporters it has."""
    from sqlalchemy import select

    from service.models import SubmitterIdentity

    with st.db.read() as s:
        items = [i for i in s.scalars(select(Feedback).where(Feedback.cluster == cluster_id)
                                      .order_by(Feedback.received_at))
                 if in_scope(c.scope, i.locality)]
        if not items:
            raise NotFound(f"no cluster {cluster_id}")
        named = {r for (r,) in s.execute(select(SubmitterIdentity.feedback_id).where(
            SubmitterIdentity.feedback_id.in_([i.id for i in items])))}
        return {
            "cluster": cluster_id, "size": len(items),
            "channels": sorted({i.channel for i in items if i.channel}),
            "named_reporters": len(named), "anonymous_items": len(items) - len(named),
            "items": [{"id": i.id, "status": i.status, "channel": i.channel,
                       "received_at": i.received_at.isoformat(), "duplicate_of": i.duplicate_of,
                       "similarity": i.similarity, "text": i.text_redacted} for i in items],
        }


@router.post("/feedback/{feedback_id}/claim", response_model=FeedbackRead)
def post_claim(feedback_id: str, st=Depends(state), c: Caller = Depends(require("review:write"))):
    check_item_scope(st, feedback_id, c)
    claim(st.db, feedback_id, c.actor)
    return read_item(st, feedback_id, c)


@router.delete("/feedback/{feedback_id}/claim", status_code=204)
def delete_claim(feedback_id: str, st=Depends(state), c: Caller = Depends(require("review:write"))):
    check_item_scope(st, feedback_id, c)
    release(st.db, feedback_id, c.actor)
    return Response(status_code=204)


@router.post("/feedback/{feedback_id}/review", response_model=FeedbackRead)
def post_review(feedback_id: str, body: ReviewCreate, st=Depends(state),
                c: Caller = Depends(require("review:write"))):
    check_item_scope(st, feedback_id, c)
    review(st.db, st.taxonomy, feedback_id, c.actor, version=body.version, codes=body.codes,
           track=Track(body.track) if body.track else None, duplicate=body.duplicate,
           merge_into=body.merge_into,
           action=body.action, forwarded_to=body.forwarded_to, outcome=body.outcome)
    return read_item(st, feedback_id, c)


@router.post("/feedback/{feedback_id}/identity")
def post_identity(feedback_id: str, body: IdentityReveal, st=Depends(state),
                  c: Caller = Depends(require("identity:reveal"))):
    check_item_scope(st, feedback_id, c)
    identity = reveal_identity(st.db, st.cipher, feedback_id, c.actor, body.reason)
    return {"feedback_id": feedback_id, "anonymous": identity is None, "submitter": identity}


@router.get("/audit")
def get_audit(st=Depends(state), c: Caller = Depends(require("audit:read")),
              feedback_id: str | None = None, limit: int = Query(default=100, ge=1, le=1000),
              offset: int = Query(default=0, ge=0)):
    with st.db.read() as s:
        return [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                 "feedback_id": e.feedback_id, "detail": e.detail}
                for e in audit_events(s, feedback_id=feedback_id, limit=limit, offset=offset)]
