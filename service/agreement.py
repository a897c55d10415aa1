"""Agreement between the model and the reviewers, per code, from the ``review`` table.

Every review stores which suggestions were accepted, which removed, and which codes the
reviewer added. For a code: acceptance = accepted / suggested, removal = removed /
suggested (suggested = accepted + removed), and missed = added / (accepted + added), the
share of the code's final uses the model did not suggest. Each review row counts (a
re-review is a second opinion on the same suggestions).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.models import Feedback, Review


@dataclass
class CodeAgreement:
    code: str
    accepted: int = 0
    removed: int = 0
    added: int = 0

    @property
    def suggested(self) -> int:
        return self.accepted + self.removed

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.suggested if self.suggested else None

    @property
    def removal(self) -> float | None:
        return self.removed / self.suggested if self.suggested else None

    @property
    def missed(self) -> float | None:
        used = self.accepted + self.added
        return self.added / used if used else None


@dataclass
class Agreement:
    reviews: int
    unchanged: int  # reviews that kept exactly the suggested codes
    codes: list[CodeAgreement]


def agreement_by_code(session: Session, *, scope: str | None = None) -> Agreement:
    """Per-code agreement over the reviews of items in the locality subtree ``scope``."""
    q = select(Review.accepted, Review.removed, Review.added).join(
        Feedback, Feedback.id == Review.feedback_id)
    if scope:
        q = q.where(or_(Feedback.locality == scope, Feedback.locality.like(f"{scope}.%")))
    per: dict[str, CodeAgreement] = defaultdict(lambda: CodeAgreement(""))
    reviews = unchanged = 0
    for accepted, removed, added in session.execute(q):
        reviews += 1
        unchanged += not removed and not added
        for field, codes in (("accepted", accepted), ("removed", removed), ("added", added)):
            for code in codes or []:
                row = per[code]
                row.code = code
                setattr(row, field, getattr(row, field) + 1)
    rows = sorted(per.values(), key=lambda r: (-(r.suggested + r.added), r.code))
    return Agreement(reviews=reviews, unchanged=unchanged, codes=rows)
