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


def queue(session: Session, *, status: list[str] | None, group: str | None, code: str | None,
          channel: str | None, locality: str | None, track: str | None, overdue: bool | None,
          cluster: str | None, today, limit: int, offset: int,
          order: str = "priority") -> tuple[list[Feedback], int]:
    """Items by priority (highest first), then due date (soonest first); with
    ``order="uncertainty"`` the items the model is least sure about come first (active
    learning: a labelling session teaches the model most there)."""
    from sqlalchemy import func, or_

    q = select(Feedback)
    if status:
        q = q.where(Feedback.status.in_(status))
    if code or group:
        sub = select(Suggestion.feedback_id).where(Suggestion.suggested.is_(True))
        sub = sub.where(Suggestion.code == code) if code else sub.where(
            Suggestion.code.like(f"{group}%"))
        q = q.where(Feedback.id.in_(sub))
    if channel:
        q = q.where(Feedback.channel == channel)
    if locality:
        q = q.where(or_(Feedback.locality == locality, Feedback.locality.like(f"{locality}.%")))
    if track:
        q = q.where(Feedback.track == track)
    if overdue is not None:
        q = q.where(Feedback.due_at < today) if overdue else q.where(
            or_(Feedback.due_at.is_(None), Feedback.due_at >= today))
    if cluster:
        q = q.where(Feedback.cluster == cluster)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    keys = [Feedback.priority.desc().nulls_last(), Feedback.due_at.asc().nulls_last(),
            Feedback.created_at]
    if order == "uncertainty":
        keys.insert(0, Feedback.uncertainty.desc().nulls_last())
    q = q.order_by(*keys).limit(limit).offset(offset)
    return list(session.scalars(q)), total


def audit_events(session: Session, *, feedback_id: str | None, limit: int, offset: int):
    q = select(AuditEvent)
    if feedback_id:
        q = q.where(AuditEvent.feedback_id == feedback_id)
    return list(session.scalars(q.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)))


def console_session_by_hash(session: Session, token_hash: str):
    """The unexpired console session with this token hash, with its (unrevoked) key."""
    from service.models import ConsoleSession

    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == token_hash,
                                                      ConsoleSession.expires_at > now()))
    if row is None:
        return None, None
    key = session.scalar(select(ApiKey).where(ApiKey.id == row.key_id,
                                              ApiKey.revoked_at.is_(None)))
    return (row, key) if key is not None else (None, None)


def delete_expired_console_sessions(session: Session) -> None:
    from sqlalchemy import delete

    from service.models import ConsoleSession

    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now()))
