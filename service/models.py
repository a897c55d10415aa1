"""ORM classes only (SQLAlchemy 2, typed ``Mapped``).

Raw text is stored before any processing; the submitter's identity lives in its own table,
encrypted; every state change is an append-only audit row.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    text_raw: Mapped[str] = mapped_column(Text)
    text_redacted: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    locality: Mapped[str | None] = mapped_column(String(32), index=True)
    district: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    external_ref: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # untriaged, new, ...
    model_id: Mapped[str | None] = mapped_column(String(64))
    out_of_scope: Mapped[bool | None]
    priority: Mapped[float | None] = mapped_column(Float, index=True)
    priority_level: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[list | None] = mapped_column(JSON)
    explanations: Mapped[dict | None] = mapped_column(JSON)
    duplicate_of: Mapped[str | None] = mapped_column(String(32))
    similarity: Mapped[float | None] = mapped_column(Float)
    # earlier items of other cases the verifier thinks may be this one: [{id, cluster, probability}]
    possible_duplicates: Mapped[list | None] = mapped_column(JSON)
    cluster: Mapped[str | None] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    track: Mapped[str | None] = mapped_column(String(16), index=True)
    due_at: Mapped[date | None] = mapped_column(Date, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    final_codes: Mapped[list | None] = mapped_column(JSON(none_as_null=True))  # SQL NULL until reviewed
    outcome: Mapped[str | None] = mapped_column(Text)
    forwarded_to: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How unsure the model was (0 sure … 1 a coin toss): the labelling-session order.
    uncertainty: Mapped[float | None] = mapped_column(Float, index=True)

    # Items closed in a period (status forwarded/closed, reviewed_at in range): the
    # periodic report. Not reviewed_at alone: SQLite would pick it for IS NULL.
    __table_args__ = (Index("ix_feedback_status_reviewed_at", "status", "reviewed_at"),)


class Review(Base):
    """A reviewer's decision: the final codes and what became of each suggestion."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str | None] = mapped_column(String(64))
    codes: Mapped[list] = mapped_column(JSON)
    accepted: Mapped[list] = mapped_column(JSON)
    removed: Mapped[list] = mapped_column(JSON)
    added: Mapped[list] = mapped_column(JSON)
    duplicate_confirmed: Mapped[bool | None]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The taxonomy edition the codes belong to; older labels migrate through its mapping.
    taxonomy_version: Mapped[str | None] = mapped_column(String(32))


class Suggestion(Base):
    __tablename__ = "suggestion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id"), index=True)
    model_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    suggested: Mapped[bool]


class SubmitterIdentity(Base):
    __tablename__ = "submitter_identity"

    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id"), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # HMAC of the normalized identity (IdentityCipher.reporter_key): the same person sending
    # the same case twice counts once among its reporters; not reversible without the key.
    reporter_key: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    feedback_id: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[dict | None] = mapped_column(JSON)


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DedupItem(Base):
    """One item in the duplicate index: its case signature and cluster. ``id`` is a compact
    surrogate that the postings point to (a 32-character feedback id in each of ~20
    postings per item would triple the index at a million items)."""

    __tablename__ = "dedup_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feedback_id: Mapped[str] = mapped_column(String(32), unique=True)
    signature: Mapped[dict] = mapped_column(JSON)
    cluster: Mapped[str] = mapped_column(String(40), index=True)


class ConsoleSession(Base):
    """A signed-in reviewer console: the browser holds a random token, the row holds only its
    sha256, the key it stands for and the CSRF token its forms must echo. Logout or an
    expired row ends it for every process at once."""

    __tablename__ = "console_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_key.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class DedupPosting(Base):
    """One index key of an item (MinHash band, person, place, phrase) as a 64-bit hash of
    the key string; a key keeps at most a few hundred postings (see ``DedupKeyCount``)."""

    __tablename__ = "dedup_posting"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    item: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    __table_args__ = ({"sqlite_with_rowid": False},)


class DedupKeyCount(Base):
    """How many items carry a key (counted up to just past the posting cap): a lookup reads
    these first and does not pull the postings of a common key."""

    __tablename__ = "dedup_key_count"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)
    __table_args__ = ({"sqlite_with_rowid": False},)
