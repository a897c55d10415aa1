"""Reviewers' decisions as data: the labelled-case export and the agreement statistics.

A suggestion and a human answer are kept apart (``suggestion`` rows carry the model id and
score; ``review`` rows the reviewer's final codes), so both questions can be answered
afterwards: *what should the model learn* (the export) and *how often was each model
right* (the statistics).

The outcome of one suggested code in a review:

- ``accepted``: the reviewer kept it;
- ``corrected``: the reviewer dropped it and put another code of the same group in its
  place (the model saw the right kind of case but picked the wrong article);
- ``removed``: dropped with no same-group replacement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Feedback, Review, Suggestion
from triage.taxonomy import Taxonomy

CALIBRATION_BINS = 10


def _latest_reviews(session: Session, *, model_id: str | None = None,
                    since: datetime | None = None):
    """The newest review of each item (a later review supersedes an earlier one)."""
    newest = (select(Review.feedback_id, func.max(Review.id).label("rid"))
              .group_by(Review.feedback_id).subquery())
    q = select(Review, Feedback).join(newest, Review.id == newest.c.rid).join(
        Feedback, Feedback.id == Review.feedback_id)
    if model_id is not None:
        q = q.where(Review.model_id == model_id)
    if since is not None:
        q = q.where(Review.at >= since)
    return session.execute(q.order_by(Review.at, Review.id))


def suggestion_outcomes(suggested: list[str], final: list[str],
                        taxonomy: Taxonomy) -> dict[str, str]:
    """accepted / corrected / removed for each suggested code (see the module docstring)."""
    final_set = set(final)
    added_groups = {taxonomy.group_of(c) for c in final if c not in suggested
                    and c in taxonomy.categories}
    out = {}
    for code in suggested:
        if code in final_set:
            out[code] = "accepted"
        elif code in taxonomy.categories and taxonomy.group_of(code) in added_groups:
            out[code] = "corrected"
        else:
            out[code] = "removed"
    return out


def export_reviewed(session: Session, taxonomy: Taxonomy, *, since: datetime | None = None,
                    scope: str | None = None) -> Iterator[dict]:
    """Reviewed cases in the labelled-example format (DESIGN.md), redacted text only.

    Codes given under an older taxonomy edition are migrated through the taxonomy's
    mapping; a case whose codes all lapse is skipped."""
    from service.security import in_scope

    for rev, item in _latest_reviews(session, since=since):
        if not item.text_redacted or not in_scope(scope, item.locality):
            continue
        codes = taxonomy.migrate_codes(rev.codes, rev.taxonomy_version)
        if not codes:
            continue
        yield {
            "id": f"review-{item.id}",
            "text": item.text_redacted,
            "labels": codes,
            "primary": codes[0],
            "source": "review",
            "cluster": item.cluster or f"c-{item.id}",
            "channel": item.channel,
            "reviewed_at": rev.at.isoformat(),
            "model_id": rev.model_id,
            "taxonomy_version": taxonomy.version,
            "suggested": rev.accepted + rev.removed,
        }


def model_stats(session: Session, taxonomy: Taxonomy, model_id: str) -> dict:
    """Agreement of reviewers with one model's suggestions, per code, and calibration:
    of the stored scores in a bin, how many codes did the reviewer end up giving?"""
    per_code: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reviews = {rev.feedback_id: rev for rev, _item in _latest_reviews(session, model_id=model_id)}
    totals: dict[str, int] = defaultdict(int)
    for rev in reviews.values():
        suggested = rev.accepted + rev.removed
        for code, outcome in suggestion_outcomes(suggested, rev.codes, taxonomy).items():
            per_code[code]["suggested"] += 1
            per_code[code][outcome] += 1
            totals[outcome] += 1
        for code in rev.added:
            per_code[code]["added_by_reviewer"] += 1
            totals["added_by_reviewer"] += 1
    bins = [{"lo": i / CALIBRATION_BINS, "hi": (i + 1) / CALIBRATION_BINS, "n": 0,
             "score_sum": 0.0, "hits": 0} for i in range(CALIBRATION_BINS)]
    if reviews:
        ids = list(reviews)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for sug in session.scalars(select(Suggestion).where(
                    Suggestion.feedback_id.in_(chunk), Suggestion.model_id == model_id)):
                b = bins[min(int(sug.score * CALIBRATION_BINS), CALIBRATION_BINS - 1)]
                b["n"] += 1
                b["score_sum"] += sug.score
                b["hits"] += sug.code in reviews[sug.feedback_id].codes
    n_scored = sum(b["n"] for b in bins)
    ece = sum(abs(b["score_sum"] / b["n"] - b["hits"] / b["n"]) * b["n"]
              for b in bins if b["n"]) / n_scored if n_scored else None
    n_sugg = sum(totals[k] for k in ("accepted", "corrected", "removed"))

    def rate(k: str, counts: dict, n: int) -> float | None:
        return round(counts.get(k, 0) / n, 4) if n else None

    return {
        "model": model_id,
        "reviewed_items": len(reviews),
        "suggestions": n_sugg,
        "acceptance_rate": rate("accepted", totals, n_sugg),
        "correction_rate": rate("corrected", totals, n_sugg),
        "removal_rate": rate("removed", totals, n_sugg),
        "added_by_reviewer": totals.get("added_by_reviewer", 0),
        "per_code": {
            code: {"suggested": c["suggested"], "accepted": c["accepted"],
                   "corrected": c["corrected"], "removed": c["removed"],
                   "added_by_reviewer": c["added_by_reviewer"],
                   "acceptance_rate": rate("accepted", c, c["suggested"]),
                   "correction_rate": rate("corrected", c, c["suggested"]),
                   "removal_rate": rate("removed", c, c["suggested"])}
            for code, c in sorted(per_code.items(), key=lambda kv: taxonomy.codes.index(kv[0])
                                  if kv[0] in taxonomy.categories else 999)
        },
        "calibration": {
            "bins": [{"lo": round(b["lo"], 2), "hi": round(b["hi"], 2), "n": b["n"],
                      "mean_score": round(b["score_sum"] / b["n"], 4) if b["n"] else None,
                      "observed": round(b["hits"] / b["n"], 4) if b["n"] else None}
                     for b in bins],
            "expected_calibration_error": round(ece, 4) if ece is not None else None,
            "scored": n_scored,
        },
    }


# -- hooks lent to the training commands (entry-point group `triage.hooks`) ---------------
def safe_url(url: str) -> str:
    """A database URL fit for a model card or a log: the password masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def labelled_from_url(url: str, taxonomy: Taxonomy) -> list[dict]:
    """Every reviewed case in the database at ``url``, as labelled-example dicts."""
    from service.db import Database

    db = Database(url)
    try:
        with db.read() as s:
            return list(export_reviewed(s, taxonomy))
    finally:
        db.dispose()


def record_model_event(url: str | None, action: str, detail: dict) -> None:
    """An audit row for a promotion or rollback (DESIGN.md: every state change is one)."""
    from service.db import Database
    from service.migrate import migrate
    from service.settings import Settings
    from service.store import audit

    url = url or Settings().database_url
    migrate(url)
    db = Database(url)
    try:
        with db.transaction() as s:
            audit(s, action, actor="cli", detail=detail)
    finally:
        db.dispose()
