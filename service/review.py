"""Review use cases: claim (a lease), release, review (state machine with optimistic
concurrency), identity reveal (audited). Each owns its transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update

from service.db import Database
from service.errors import Conflict, NotFound, ValidationFailed
from service.models import Feedback, Review, SubmitterIdentity
from service.security import IdentityCipher
from service.store import audit, now, suggestions_of
from triage.deadlines import Track
from triage.taxonomy import Taxonomy

LEASE = timedelta(minutes=15)
CLAIMABLE = ("new", "in_review", "reviewed")
# status -> statuses a review may move it to
TRANSITIONS = {
    "in_review": {"reviewed", "forwarded", "closed"},
}


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "Not allowed in this status"


class UnknownCategory(ValidationFailed):
    code, title = "unknown_category", "Unknown category code"


def claim(db: Database, feedback_id: str, actor: str) -> Feedback:
    """Take (or renew) the lease on an item. 409 while someone else holds it."""
    t = now()
    with db.transaction() as s:
        item = s.get(Feedback, feedback_id)
        if item is None:
            raise NotFound(f"no feedback {feedback_id}")
        if item.status not in CLAIMABLE:
            raise InvalidTransition(f"an item in status {item.status!r} cannot be claimed")
        # One conditional UPDATE: atomic across processes and database backends.
        res = s.execute(
            update(Feedback)
            .where(Feedback.id == feedback_id, Feedback.status.in_(CLAIMABLE),
                   or_(Feedback.claimed_by.is_(None), Feedback.claimed_by == actor,
                       Feedback.claim_expires_at < t))
            .values(claimed_by=actor, claim_expires_at=t + LEASE, status="in_review",
                    version=Feedback.version + 1)
            .execution_options(synchronize_session=False))
        if res.rowcount != 1:
            raise Conflict("another reviewer holds this item")
        audit(s, "claim", actor=actor, feedback_id=feedback_id,
              detail={"expires_at": (t + LEASE).isoformat()})
    with db.read() as s:
        return s.get(Feedback, feedback_id)


def release(db: Database, feedback_id: str, actor: str) -> None:
    with db.transaction() as s:
        res = s.execute(
            update(Feedback)
            .where(Feedback.id == feedback_id, Feedback.claimed_by == actor,
                   Feedback.status == "in_review")
            .values(claimed_by=None, claim_expires_at=None,
                    status=_status_before_claim(s, feedback_id), version=Feedback.version + 1)
            .execution_options(synchronize_session=False))
        if res.rowcount != 1:
            raise Conflict("you do not hold this item")
        audit(s, "release", actor=actor, feedback_id=feedback_id)


def _status_before_claim(s, feedback_id: str) -> str:
    from sqlalchemy import select

    reviewed = s.scalar(select(Review.id).where(Review.feedback_id == feedback_id).limit(1))
    return "reviewed" if reviewed else "new"


def review(db: Database, taxonomy: Taxonomy, feedback_id: str, actor: str, *, version: int,
           codes: list[str], track: Track | None, duplicate: str | None, action: str,
           merge_into: str | None = None,
           forwarded_to: str | None, outcome: str | None) -> None:
    unknown = [c for c in codes if c not in taxonomy.categories]
    if unknown:
        raise UnknownCategory(f"not in taxonomy {taxonomy.version}: {', '.join(unknown)}")
    if not codes:
        raise ValidationFailed("give at least one code (an OUT code for out of scope)")
    out = [c for c in codes if taxonomy.is_out_of_scope(c)]
    if out and len(codes) > 1:
        raise ValidationFailed("an out-of-scope code stands alone")
    target = {"none": "reviewed", "forward": "forwarded", "close": "closed"}[action]
    if action == "forward" and not forwarded_to:
        raise ValidationFailed("forward needs forwarded_to")
    t = now()
    with db.transaction() as s:
        item = s.get(Feedback, feedback_id, with_for_update=not db.url.startswith("sqlite"))
        if item is None:
            raise NotFound(f"no feedback {feedback_id}")
        if item.version != version:
            raise Conflict(f"stale version {version}; the item is at version {item.version}")
        if target not in TRANSITIONS.get(item.status, set()):
            raise InvalidTransition(f"cannot go from {item.status!r} to {target!r}; claim it first")
        if item.claimed_by != actor or (item.claim_expires_at and _aware(item.claim_expires_at) < t):
            raise Conflict("claim the item (or renew the lease) before reviewing it")
        suggested = [x.code for x in suggestions_of(s, feedback_id) if x.suggested]
        duplicate_confirmed = None
        if duplicate == "confirm":
            duplicate_confirmed = True
        elif duplicate == "reject":
            duplicate_confirmed = False
            item.duplicate_of, item.similarity, item.cluster = None, None, f"c-{item.id}"
        if merge_into:
            from sqlalchemy import select

            target_item = s.scalar(select(Feedback.id).where(Feedback.cluster == merge_into).limit(1))
            if target_item is None:
                raise NotFound(f"no cluster {merge_into}")
            item.cluster = merge_into
            duplicate_confirmed = True
        s.add(Review(feedback_id=feedback_id, reviewer=actor, model_id=item.model_id, codes=codes,
                     accepted=[c for c in suggested if c in codes],
                     removed=[c for c in suggested if c not in codes],
                     added=[c for c in codes if c not in suggested],
                     duplicate_confirmed=duplicate_confirmed, at=t,
                     taxonomy_version=taxonomy.version))
        if duplicate == "reject" or merge_into:  # later duplicates follow the reviewer's cluster
            from sqlalchemy import update

            from service.models import DedupItem

            s.execute(update(DedupItem).where(DedupItem.feedback_id == item.id)
                      .values(cluster=item.cluster))
        item.final_codes = codes
        item.track = track.value if track else item.track
        item.status = target
        item.forwarded_to = forwarded_to or item.forwarded_to
        item.outcome = outcome or item.outcome
        item.reviewed_at = t
        item.claimed_by, item.claim_expires_at = None, None
        item.version += 1
        audit(s, "review", actor=actor, feedback_id=feedback_id,
              detail={"codes": codes, "status": target, "track": item.track,
                      "duplicate": duplicate, "cluster": item.cluster,
                      "forwarded_to": forwarded_to})


def _aware(dt):
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def reveal_identity(db: Database, cipher: IdentityCipher, feedback_id: str, actor: str,
                    reason: str) -> dict | None:
    if len(reason.strip()) < 10:
        raise ValidationFailed("a reason of at least 10 characters is required")
    with db.transaction() as s:
        if s.get(Feedback, feedback_id) is None:
            raise NotFound(f"no feedback {feedback_id}")
        row = s.get(SubmitterIdentity, feedback_id)
        audit(s, "identity_reveal", actor=actor, feedback_id=feedback_id,
              detail={"reason": reason.strip(), "anonymous": row is None})
        return cipher.decrypt(row.ciphertext) if row else None
