"""The duplicate index in the database: a :class:`triage.dedup.KeyStore` over two indexed
tables, used inside the intake transaction, so every process and restart sees the same
index (nothing correctness needs lives in one process's memory)."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from service.models import DedupKey, DedupSignature
from triage.dedup import CaseSignature


class SqlKeyStore:
    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[str, tuple[dict, str]] = {}

    def candidates(self, keys: list[str], *, limit: int) -> list[str]:
        """Items sharing the most keys; their signatures are fetched in the same round."""
        if not keys:
            return []
        rows = self.session.execute(
            select(DedupKey.feedback_id, func.count().label("n"))
            .where(DedupKey.key.in_(list(dict.fromkeys(keys))))
            .group_by(DedupKey.feedback_id).order_by(func.count().desc()).limit(limit)
        ).all()
        ids = [r[0] for r in rows]
        if ids:
            for fid, sig, cluster in self.session.execute(
                    select(DedupSignature.feedback_id, DedupSignature.signature,
                           DedupSignature.cluster).where(DedupSignature.feedback_id.in_(ids))):
                self._cache[fid] = (sig, cluster)
        return ids

    def add(self, item_id: str, keys: list[str], signature: CaseSignature, cluster: str) -> None:
        self.session.execute(insert(DedupKey), [{"key": k, "feedback_id": item_id}
                                                for k in dict.fromkeys(keys)])
        self.session.execute(insert(DedupSignature), [{
            "feedback_id": item_id, "signature": signature.to_dict(), "cluster": cluster}])
        self._cache[item_id] = (signature.to_dict(), cluster)

    def signature(self, item_id: str) -> CaseSignature | None:
        if item_id in self._cache:
            return CaseSignature.from_dict(self._cache[item_id][0])
        row = self.session.get(DedupSignature, item_id)
        return CaseSignature.from_dict(row.signature) if row else None

    def cluster_of(self, item_id: str) -> str | None:
        if item_id in self._cache:
            return self._cache[item_id][1]
        row = self.session.get(DedupSignature, item_id)
        return row.cluster if row else None

    def cluster_size(self, cluster: str) -> int:
        return self.session.scalar(
            select(func.count()).select_from(DedupSignature).where(DedupSignature.cluster == cluster)) or 0

    def __len__(self) -> int:
        return self.session.scalar(select(func.count()).select_from(DedupSignature)) or 0
