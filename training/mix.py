"""The training set of a retrain: the seed plus reviewed cases, and the held-back slice.

Rules (issue #5, DESIGN.md "Labelled examples"):

- a reviewed case beats a seed example with the same text (compared after
  normalization, without diacritics, case or spacing), and a later review beats an
  earlier one;
- the most recent reviewed cases (``holdout`` of them, by review time) are held back
  to judge the candidate beside the active model; a duplicate cluster is never split:
  if one member is held back, the whole cluster is;
- in cross-validation, one cluster is one group, so its members never straddle folds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from triage.data import LabelledExample
from triage.normalize import normalize_text
from triage.textutil import strip_diacritics


def text_key(text: str) -> str:
    """Two texts with this key are the same text as far as training is concerned."""
    plain = strip_diacritics(normalize_text(text)).lower()
    return re.sub(r"[\W_]+", " ", plain).strip()


def cluster_of(ex: LabelledExample) -> str:
    return str(ex.extra.get("cluster") or ex.id)


@dataclass
class TrainingMix:
    train: list[LabelledExample]
    groups: list[str]                # CV group of each training example
    held_back: list[LabelledExample]
    info: dict = field(default_factory=dict)


def combine(seed: Sequence[LabelledExample], reviews: Sequence[LabelledExample], *,
            holdout: float = 0.2) -> TrainingMix:
    """Merge seed and reviewed cases by the rules of the module docstring."""
    latest: dict[str, LabelledExample] = {}
    for ex in sorted(reviews, key=lambda e: str(e.extra.get("reviewed_at") or "")):
        latest[text_key(ex.text)] = ex  # a later review of the same text wins
    reviewed = list(latest.values())
    held: list[LabelledExample] = []
    if reviewed and holdout > 0:
        want = max(1, round(holdout * len(reviewed))) if len(reviewed) >= 5 else 0
        members: dict[str, list[LabelledExample]] = {}
        for ex in reviewed:
            members.setdefault(cluster_of(ex), []).append(ex)
        held_clusters: set[str] = set()
        for ex in sorted(reviewed, key=lambda e: str(e.extra.get("reviewed_at") or ""),
                         reverse=True):
            if len(held) >= want:
                break
            if cluster_of(ex) not in held_clusters:
                held_clusters.add(cluster_of(ex))
                held.extend(members[cluster_of(ex)])
    held_ids = {e.id for e in held}
    kept_reviews = [e for e in reviewed if e.id not in held_ids]
    review_keys = set(latest)
    replaced = [ex for ex in seed if text_key(ex.text) in review_keys]
    train = [ex for ex in seed if text_key(ex.text) not in review_keys] + kept_reviews
    # A cluster's CV group is named after its content, not its (random) cluster id, so the
    # same reviewed cases always fall in the same folds: a retrain on the same data gives
    # the same model.
    first_key: dict[str, str] = {}
    for ex in kept_reviews:
        k = text_key(ex.text)
        c = cluster_of(ex)
        first_key[c] = min(first_key.get(c, k), k)
    canonical = {c: "rc-" + hashlib.blake2b(k.encode(), digest_size=8).hexdigest()
                 for c, k in first_key.items()}
    groups = [canonical[cluster_of(ex)] if ex.source == "review" else ex.id for ex in train]
    info = {
        "reviewed_cases": len(reviews),
        "reviewed_unique": len(reviewed),
        "reviews_in_training": len(kept_reviews),
        "held_back": len(held),
        "held_back_clusters": len({cluster_of(e) for e in held}),
        "seed_replaced_by_review": len(replaced),
        "latest_review": max((str(e.extra.get("reviewed_at") or "") for e in reviews),
                             default=None) or None,
        "held_back_from": min((str(e.extra.get("reviewed_at") or "") for e in held),
                              default=None) or None,
    }
    return TrainingMix(train, groups, held, info)
