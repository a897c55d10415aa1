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
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import Database
from service.dedup_store import SqlKeyStore
from service.errors import EmptyText, NotFound, TooLarge, ValidationFailed
from service.localities import normalize_locality
from service.models import AuditEvent, Feedback, SubmitterIdentity, Suggestion
from service.periods import VIETNAM, local_date
from service.schemas import FeedbackCreate
from service.security import IdentityCipher
from service.store import feedback_by_idempotency_key, now, untriaged_ids
from triage.deadlines import Track, due_date, guess_track, working_days_left
from triage.dedup import CaseSignature
from triage.pipeline import Triager, dedup_index_for
from triage.priority import score_priority

log = logging.getLogger(__name__)

# The intake statements, built once (Core on the session's connection: the ORM's unit of
# work and statement building cost more than SQLite itself on this path).
_FEEDBACK = Feedback.__table__
_INSERT_FEEDBACK = _FEEDBACK.insert()
_INSERT_IDENTITY = SubmitterIdentity.__table__.insert()
_INSERT_AUDIT = AuditEvent.__table__.insert()
_INSERT_SUGGESTION = Suggestion.__table__.insert()
_BY_IDEMPOTENCY_KEY = select(_FEEDBACK.c.id).where(_FEEDBACK.c.idempotency_key == bindparam("k"))
_STATUS = select(_FEEDBACK.c.status).where(_FEEDBACK.c.id == bindparam("i"))
_STATUS_FOR_UPDATE = _STATUS.with_for_update()
_UPDATE_TRIAGED = (_FEEDBACK.update().where(_FEEDBACK.c.id == bindparam("b_id"))
                   .values(version=_FEEDBACK.c.version + 1))
# the reporter key (or NULL) of every item of a cluster: Core on the session's connection,
# as above (through the ORM session this one statement cost ~0.9 ms per linked intake)
_CLUSTER_REPORTERS = (select(SubmitterIdentity.__table__.c.reporter_key).select_from(
    _FEEDBACK.outerjoin(SubmitterIdentity.__table__,
                        SubmitterIdentity.__table__.c.feedback_id == _FEEDBACK.c.id))
    .where(_FEEDBACK.c.cluster == bindparam("c")))
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# PostgreSQL: each statement is a round trip to another process on the same cores, so the
# INSERTs (and UPDATE) of one transaction go out as one statement of data-modifying CTEs
# (SQLite has no DML in CTEs and no round trips: there they stay separate statements).
# Built once per shape; every value is a bound parameter typed by its column.
_PG_STATEMENTS: dict = {}


def _pg_statement(parts: tuple[tuple[str, object, tuple[str, ...]], ...]):
    """One ``SELECT 1`` carrying, as CTEs, an INSERT per (prefix, table, columns) part
    (an UPDATE when the table is the feedback update); parameters are ``prefix_column``."""
    stmt = _PG_STATEMENTS.get(parts)
    if stmt is None:
        stmt = select(literal_column("1"))
        for prefix, table, cols in parts:
            if table == "update":
                dml = (_FEEDBACK.update().where(_FEEDBACK.c.id == bindparam(f"{prefix}_id"))
                       .values(version=_FEEDBACK.c.version + 1,
                               **{c: bindparam(f"{prefix}_{c}") for c in cols if c != "id"}))
            else:
                dml = table.insert().values({c: bindparam(f"{prefix}_{c}") for c in cols})
            stmt = stmt.add_cte(dml.cte(prefix))
        _PG_STATEMENTS[parts] = stmt
    return stmt


def _execute_together(conn, postgres: bool, parts: list[tuple[str, object, dict]]) -> None:
    """Run the writes ``(prefix, statement or table, values)``: one statement on
    PostgreSQL, one each elsewhere (``statement`` is then what is executed)."""
    if not postgres:
        for _, stmt, values in parts:
            conn.execute(stmt, values)
        return
    shape, params = [], {}
    for prefix, stmt, values in parts:
        table = "update" if stmt is _UPDATE_TRIAGED else stmt.table
        shape.append((prefix, table, tuple(values)))
        params.update({f"{prefix}_{k}": v for k, v in values.items()})
    conn.execute(_pg_statement(tuple(shape)), params)


def _tracking_code() -> str:
    return "PA-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class Triaged:
    """What the language step wrote: the item's columns and its suggestion rows, so that
    the intake response needs no second read of what was just written."""

    values: dict
    suggestions: list[dict]


@dataclass(frozen=True)
class Intake:
    id: str
    created: bool
    item: dict = field(default_factory=dict)   # the columns stored in the first transaction
    anonymous: bool = True
    triaged: Triaged | None = None


def intake(db: Database, triager: Triager | None, cipher: IdentityCipher, payload: FeedbackCreate,
           *, actor: str, idempotency_key: str | None, max_chars: int) -> tuple[str, bool]:
    """Store one item, then triage it. Returns (feedback id, created?)."""
    done = intake_item(db, triager, cipher, payload, actor=actor,
                       idempotency_key=idempotency_key, max_chars=max_chars)
    return done.id, done.created


def intake_item(db: Database, triager: Triager | None, cipher: IdentityCipher,
                payload: FeedbackCreate, *, actor: str, idempotency_key: str | None,
                max_chars: int) -> Intake:
    """Store one item and commit (raw text first), then triage it in a second transaction.

    The first transaction is three plain INSERTs (item, encrypted identity, audit row); the
    encryption happens before it, outside the write lock."""
    if not payload.text.strip():
        raise EmptyText("text is empty or whitespace only")
    if len(payload.text) > max_chars:
        raise TooLarge(f"text has {len(payload.text)} characters; the limit is {max_chars}")
    locality = normalize_locality(payload.locality)
    identity = payload.submitter.model_dump(exclude_none=True) if payload.submitter else {}
    t = now()
    item = {
        "id": uuid.uuid4().hex, "tracking_code": _tracking_code(), "text_raw": payload.text,
        "channel": payload.channel.value if payload.channel else None, "locality": locality,
        "district": payload.district, "received_at": received_utc(payload.received_at) if payload.received_at else t,
        "created_at": t,
        "external_ref": payload.external_ref, "idempotency_key": idempotency_key,
        "status": "untriaged", "version": 1}
    person = ({"feedback_id": item["id"], "ciphertext": cipher.encrypt(identity),
               "reporter_key": cipher.reporter_key(identity)} if identity else None)
    try:
        with db.transaction() as s:
            conn = s.connection()
            if idempotency_key:
                existing = conn.execute(_BY_IDEMPOTENCY_KEY, {"k": idempotency_key}).scalar()
                if existing is not None:
                    return Intake(existing, False)
            _execute_together(conn, not db.is_sqlite, [
                ("f", _INSERT_FEEDBACK, item),
                *([("i", _INSERT_IDENTITY, person)] if person else []),
                ("a", _INSERT_AUDIT, {
                    "at": t, "actor": actor, "action": "intake", "feedback_id": item["id"],
                    "detail": {"channel": item["channel"],
                               "anonymous": payload.submitter is None}})])
    except IntegrityError:
        # two requests with one Idempotency-Key at the same moment (PostgreSQL): one wins
        if idempotency_key:
            with db.read() as s:
                existing = feedback_by_idempotency_key(s, idempotency_key)
            if existing is not None:
                return Intake(existing.id, False)
        raise
    triaged = None
    if triager is not None:
        try:
            triaged = _triage(db, triager, item, reporter_key=person and person["reporter_key"])
        except Exception:  # noqa: BLE001 - the item is stored; it is retried later
            log.exception("triage failed for %s; left untriaged", item["id"])
    return Intake(item["id"], True, item, anonymous=person is None, triaged=triaged)


def triage_item(db: Database, triager: Triager, feedback_id: str) -> None:
    """Suggestions, duplicate link and priority for one stored item, in one transaction."""
    with db.read() as s:
        row = s.execute(select(Feedback.id, Feedback.text_raw, Feedback.status,
                               Feedback.received_at, Feedback.track,
                               SubmitterIdentity.reporter_key)
                        .outerjoin(SubmitterIdentity, SubmitterIdentity.feedback_id == Feedback.id)
                        .where(Feedback.id == feedback_id)).one_or_none()
    if row is None:
        raise NotFound(feedback_id)
    if row.status != "untriaged":
        return
    _triage(db, triager, {"id": row.id, "text_raw": row.text_raw, "received_at": row.received_at,
                          "track": row.track}, reporter_key=row.reporter_key)


class _AlreadyTriaged(Exception):
    """Another process or the retry thread triaged the item first: write nothing."""


class _LazyKeyStore:
    """The duplicate index's store, opening the write transaction on first use: the
    language step before the duplicate search (normalize, redact, segment, classify,
    explain) runs outside the database's write lock, so workers overlap on it."""

    def __init__(self, session_factory):
        self._session_factory = session_factory
        self._store: SqlKeyStore | None = None

    def _s(self) -> SqlKeyStore:
        if self._store is None:
            self._store = SqlKeyStore(self._session_factory())
        return self._store

    def candidates(self, keys: list[str], *, limit: int, min_hits: int = 1) -> list[str]:
        return self._s().candidates(keys, limit=limit, min_hits=min_hits)

    def add(self, item_id: str, keys: list[str], signature: CaseSignature, cluster: str) -> None:
        self._s().add(item_id, keys, signature, cluster)

    def signature(self, item_id: str) -> CaseSignature | None:
        return self._s().signature(item_id)

    def cluster_of(self, item_id: str) -> str | None:
        return self._s().cluster_of(item_id)

    def cluster_size(self, cluster: str) -> int:
        return self._s().cluster_size(cluster)

    def __len__(self) -> int:
        return len(self._s())


def _triage(db: Database, triager: Triager, item: dict, *, reporter_key: str | None) -> Triaged | None:
    """The language step for one stored item, then one transaction that writes the duplicate
    index entry, the item's triage columns, its suggestions and the audit row."""
    stack = ExitStack()
    opened: list[Session] = []

    def session() -> Session:
        if not opened:
            s = stack.enter_context(db.transaction())
            status = s.connection().execute(_STATUS if db.is_sqlite else _STATUS_FOR_UPDATE,
                                            {"i": item["id"]}).scalar()
            if status is None:
                raise NotFound(item["id"])
            if status != "untriaged":
                raise _AlreadyTriaged(item["id"])
            opened.append(s)
        return opened[0]

    try:
        with stack:
            index = dedup_index_for(triager, _LazyKeyStore(session))
            result = triager.triage(item["text_raw"], item_id=item["id"], dedup=index)
            s = session()
            return _write_triage(s, triager, item, result, reporter_key=reporter_key)
    except _AlreadyTriaged:
        return None


def _write_triage(s: Session, triager: Triager, item: dict, result, *,
                  reporter_key: str | None) -> Triaged:
    track = item.get("track") or guess_track(item["text_raw"]).value
    hol = vietnam_holidays()
    due = due_date(local_date(item["received_at"]), Track(track), triager.taxonomy, holidays=hol)
    reporters = (distinct_reporters(s, result.cluster, own=reporter_key)
                 if result.duplicate else 1)
    days_left = working_days_left(datetime.now(UTC).date(), due, hol)
    score_of = dict(result.labels)
    prio = score_priority(
        suggested=[(c, score_of.get(c, 0.0)) for c in result.suggested],
        taxonomy=triager.taxonomy, text=result.redacted_text, out_of_scope=result.out_of_scope,
        reporters=reporters, days_left=days_left, plain=result.plain)
    values = {
        "text_redacted": result.redacted_text, "model_id": result.model_id,
        "out_of_scope": result.out_of_scope, "uncertainty": result.uncertainty,
        "priority": prio.score,
        "priority_level": prio.level, "reasons": list(prio.reasons),
        "explanations": result.explanations,
        "duplicate_of": result.duplicate.item_id if result.duplicate else None,
        "similarity": result.duplicate.similarity if result.duplicate else None,
        "possible_duplicates": [{"id": m.item_id, "cluster": m.cluster, "probability": m.similarity}
                                for m in result.possible_duplicates],
        "cluster": result.cluster, "track": track, "due_at": due, "status": "new"}
    suggested = set(result.suggested)
    order = {c: i for i, c in enumerate(result.suggested)}
    top = sorted(result.labels, key=lambda cs: (cs[0] not in suggested, order.get(cs[0], 99)))
    rows = [{"feedback_id": item["id"], "model_id": result.model_id, "code": code,
             "score": round(score, 5), "rank": rank, "suggested": code in suggested}
            for rank, (code, score) in enumerate(top[:10])]
    conn = s.connection()
    audit = {"at": now(), "actor": f"model:{result.model_id}", "action": "suggestion",
             "feedback_id": item["id"],
             "detail": {"suggested": result.suggested, "duplicate_of": values["duplicate_of"]}}
    if conn.dialect.name == "postgresql":
        _execute_together(conn, True, [("b", _UPDATE_TRIAGED, {"id": item["id"], **values}),
                                       *[(f"s{i}", _INSERT_SUGGESTION, r) for i, r in enumerate(rows)],
                                       ("a", _INSERT_AUDIT, audit)])
    else:
        conn.execute(_UPDATE_TRIAGED, {"b_id": item["id"], **values})
        conn.execute(_INSERT_SUGGESTION, rows)
        conn.execute(_INSERT_AUDIT, audit)
    return Triaged({**values, "version": item.get("version", 1) + 1}, rows)


def distinct_reporters(s: Session, cluster: str, *, own: str | None) -> int:
    """People who sent this case: items with the same reporter key count once, each
    anonymous (or unidentifiable) item counts as one; ``own`` is the new item's key."""
    keys = s.connection().execute(_CLUSTER_REPORTERS, {"c": cluster}).scalars().all()
    keys.append(own)
    return len({k for k in keys if k is not None}) + sum(k is None for k in keys)



def received_utc(moment: datetime) -> datetime:
    """Received-at in UTC, so that both backends store the same instant (SQLite keeps no
    offset) and period reports compare like with like; a time without an offset is the
    local time of the Vietnamese office that received the item."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)).astimezone(UTC)


_HOLIDAYS: frozenset[date] | None = None


def vietnam_holidays() -> frozenset[date]:
    """Vietnam's public holidays (Tết and the Hùng Kings' day by the lunar calendar),
    computed offline by the `holidays` package, once, as a plain set of dates (the
    package's own lookup costs microseconds per day tested)."""
    global _HOLIDAYS
    if _HOLIDAYS is None:
        import holidays

        _HOLIDAYS = frozenset(holidays.country_holidays("VN", years=range(2015, 2041)).keys())
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
