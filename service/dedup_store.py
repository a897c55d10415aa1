"""The duplicate index in the database: a :class:`triage.dedup.KeyStore` over two indexed
tables, used inside the intake transaction, so every process and restart sees the same
index (nothing correctness needs lives in one process's memory)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import DedupKey, DedupSignature
from triage.dedup import CaseSignature

MAX_POSTINGS = 2000  # keys shared by more items than this say nothing about one case


class SqlKeyStore:
    def __init__(self, session: Session):
        self.session = session

    def candidates(self, keys: list[str], *, limit: int) -> list[str]:
        if not keys:
            return []
        common = select(DedupKey.key).where(DedupKey.key.in_(keys)).group_by(DedupKey.key) \
            .having(func.count() > MAX_POSTINGS)
        rows = self.session.execute(
            select(DedupKey.feedback_id, func.count().label("n"))
            .where(DedupKey.key.in_(keys), DedupKey.key.not_in(common))
            .group_by(DedupKey.feedback_id).order_by(func.count().desc()).limit(limit)
        ).all()
        return [r[0] for r in rows]

    def add(self, item_id: str, keys: list[str], signature: CaseSignature, cluster: str) -> None:
        self.session.add_all([DedupKey(key=k, feedback_id=item_id) for k in dict.fromkeys(keys)])
        self.session.add(DedupSignature(feedback_id=item_id, signature=signature.to_dict(),
                                        cluster=cluster))
        self.session.flush()

    def signature(self, item_id: str) -> CaseSignature | None:
        row = self.session.get(DedupSignature, item_id)
        return CaseSignature.from_dict(row.signature) if row else None

    def cluster_of(self, item_id: str) -> str | None:
        row = self.session.get(DedupSignature, item_id)
        return row.cluster if row else None

    def cluster_size(self, cluster: str) -> int:
        return self.session.scalar(
            select(func.count()).select_from(DedupSignature).where(DedupSignature.cluster == cluster)) or 0

    def __len__(self) -> int:
        return self.session.scalar(select(func.count()).select_from(DedupSignature)) or 0
