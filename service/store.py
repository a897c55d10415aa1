"""SQL only, no commits: the caller's transaction decides."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import ApiKey, AuditEvent, Feedback, SubmitterIdentity, Suggestion


def now() -> datetime:
    return datetime.now(UTC)


def audit(session: Session, action: str, *, actor: str | None, feedback_id: str | None = None,
          detail: dict | None = None) -> None:
    session.add(AuditEvent(at=now(), actor=actor, action=action, feedback_id=feedback_id,
                           detail=detail))


def feedback_by_idempotency_key(session: Session, key: str) -> Feedback | None:
    return session.scalar(select(Feedback).where(Feedback.idempotency_key == key))


def suggestions_of(session: Session, feedback_id: str) -> list[Suggestion]:
    return list(session.scalars(select(Suggestion).where(Suggestion.feedback_id == feedback_id)
                                .order_by(Suggestion.rank)))


def has_identity(session: Session, feedback_id: str) -> bool:
    return session.get(SubmitterIdentity, feedback_id) is not None


def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash,
                                               ApiKey.revoked_at.is_(None)))


def untriaged_ids(session: Session, limit: int = 100) -> list[str]:
    return list(session.scalars(select(Feedback.id).where(Feedback.status == "untriaged")
                                .order_by(Feedback.created_at).limit(limit)))
