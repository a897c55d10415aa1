"""Use cases, each owning its transaction.

Intake stores the raw text (and the encrypted identity) and commits *before* any language
processing, so nothing accepted is lost; then a second transaction writes the redacted
text, the suggestions and the duplicate link together. If that step fails the item stays
``untriaged`` and :func:`triage_pending` processes it later.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import insert

from service.db import Database
from service.dedup_store import SqlKeyStore
from service.errors import EmptyText, NotFound, TooLarge, ValidationFailed
from service.localities import normalize_locality
from service.models import Feedback, SubmitterIdentity, Suggestion
from service.periods import VIETNAM, local_date
from service.schemas import FeedbackCreate
from service.security import IdentityCipher
from service.store import audit, feedback_by_idempotency_key, now, untriaged_ids
from triage.deadlines import Track, due_date, guess_track
from triage.dedup import DuplicateIndex
from triage.pipeline import Triager, idf_for

log = logging.getLogger(__name__)
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _tracking_code() -> str:
    return "PA-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def intake(db: Database, triager: Triager | None, cipher: IdentityCipher, payload: FeedbackCreate,
           *, actor: str, idempotency_key: str | None, max_chars: int) -> tuple[str, bool]:
    """Store one item, then triage it. Returns (feedback id, created?)."""
    if not payload.text.strip():
        raise EmptyText("text is empty or whitespace only")
    if len(payload.text) > max_chars:
        raise TooLarge(f"text has {len(payload.text)} characters; the limit is {max_chars}")
    locality = normalize_locality(payload.locality)
    with db.transaction() as s:
        if idempotency_key:
            existing = feedback_by_idempotency_key(s, idempotency_key)
            if existing is not None:
                return existing.id, False
        item = Feedback(
            id=uuid.uuid4().hex, tracking_code=_tracking_code(), text_raw=payload.text,
            channel=payload.channel.value if payload.channel else None,
            locality=locality, district=payload.district,
            received_at=received_utc(payload.received_at) if payload.received_at else now(),
            created_at=now(), external_ref=payload.external_ref,
            idempotency_key=idempotency_key, status="untriaged", version=1)
        s.add(item)
        if payload.submitter is not None:
            identity = payload.submitter.model_dump(exclude_none=True)
            if identity:
                s.add(SubmitterIdentity(feedback_id=item.id, ciphertext=cipher.encrypt(identity)))
        audit(s, "intake", actor=actor, feedback_id=item.id,
              detail={"channel": item.channel, "anonymous": payload.submitter is None})
        feedback_id = item.id
    if triager is not None:
        try:
            triage_item(db, triager, feedback_id)
        except Exception:  # noqa: BLE001 - the item is stored; it is retried later
            log.exception("triage failed for %s; left untriaged", feedback_id)
    return feedback_id, True


def triage_item(db: Database, triager: Triager, feedback_id: str) -> None:
    """Suggestions, duplicate link and priority for one stored item, in one transaction."""
    with db.transaction() as s:
        item = s.get(Feedback, feedback_id, with_for_update=not db.url.startswith("sqlite"))
        if item is None:
            raise NotFound(feedback_id)
        if item.status != "untriaged":
            return
        index = DuplicateIndex(SqlKeyStore(s), idf=idf_for(triager))
        result = triager.triage(item.text_raw, item_id=item.id, dedup=index)
        item.text_redacted = result.redacted_text
        item.model_id = result.model_id
        item.out_of_scope = result.out_of_scope
        item.uncertainty = result.uncertainty
        item.priority = result.priority.score
        item.priority_level = result.priority.level
        item.reasons = list(result.priority.reasons)
        item.explanations = result.explanations
        item.duplicate_of = result.duplicate.item_id if result.duplicate else None
        item.similarity = result.duplicate.similarity if result.duplicate else None
        item.cluster = result.cluster
        item.track = item.track or guess_track(item.text_raw).value
        item.due_at = due_date(local_date(item.received_at), Track(item.track), triager.taxonomy,
                               holidays=vietnam_holidays())
        item.status = "new"
        item.version += 1
        suggested = set(result.suggested)
        order = {c: i for i, c in enumerate(result.suggested)}
        top = sorted(result.labels, key=lambda cs: (cs[0] not in suggested, order.get(cs[0], 99)))
        s.execute(insert(Suggestion), [
            {"feedback_id": item.id, "model_id": result.model_id, "code": code,
             "score": round(score, 5), "rank": rank, "suggested": code in suggested}
            for rank, (code, score) in enumerate(top[:10])])
        audit(s, "suggestion", actor=f"model:{result.model_id}", feedback_id=item.id,
              detail={"suggested": result.suggested, "duplicate_of": item.duplicate_of})


def received_utc(moment: datetime) -> datetime:
    """Received-at in UTC, so that both backends store the same instant (SQLite keeps no
    offset) and period reports compare like with like; a time without an offset is the
    local time of the Vietnamese office that received the item."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)).astimezone(UTC)


_HOLIDAYS = None


def vietnam_holidays():
    """Vietnam's public holidays (Tết and the Hùng Kings' day by the lunar calendar),
    computed offline by the `holidays` package."""
    global _HOLIDAYS
    if _HOLIDAYS is None:
        import holidays

        _HOLIDAYS = holidays.country_holidays("VN", years=range(2015, 2041))
    return _HOLIDAYS


def triage_pending(db: Database, triager: Triager, *, limit: int = 100) -> int:
    """Process items left untriaged (the NLP step failed or no model was loaded)."""
    with db.read() as s:
        ids = untriaged_ids(s, limit)
    done = 0
    for feedback_id in ids:
        try:
            triage_item(db, triager, feedback_id)
            done += 1
        except Exception:  # noqa: BLE001
            log.exception("triage failed again for %s", feedback_id)
    return done


MAX_BATCH_LINES = 10_000


def intake_batch(db: Database, triager: Triager | None, cipher: IdentityCipher,
                 lines: list[bytes | str], *, actor: str, max_chars: int,
                 scope_check=None) -> list[dict]:
    """One result or one error per line, in order. Every valid line is stored (raw text
    first, then triaged); a bad line never stops the others."""
    import json

    from pydantic import ValidationError

    from service.errors import ServiceError

    results: list[dict] = []
    for n, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValidationFailed(f"not valid JSON: {exc.msg}") from None
            if not isinstance(obj, dict):
                raise ValidationFailed("each line must be a JSON object")
            key = obj.pop("idempotency_key", None)
            try:
                payload = FeedbackCreate.model_validate(obj)
            except ValidationError as exc:
                raise ValidationFailed("; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
            if scope_check is not None:
                scope_check(payload)
            feedback_id, created = intake(db, triager, cipher, payload, actor=actor,
                                          idempotency_key=key, max_chars=max_chars)
            results.append({"line": n, "status": 201 if created else 200, "id": feedback_id})
        except ServiceError as exc:
            results.append({"line": n, "status": exc.status,
                            "error": {"code": exc.code, "title": exc.title, "detail": exc.detail}})
    return results
