"""Compose the steps into one call: ``Triager.triage(text) -> TriageResult``.

normalize → redact → segment → classify (one matrix product per batch) → decide
(thresholds, party gate, crosswalk) → explain → deduplicate → prioritize.

>>> triager = Triager.from_models_dir("models")          # doctest: +SKIP
>>> triager.triage("chu tich xa nhan tien lam so do").suggested   # doctest: +SKIP
['TN02', 'DD07']
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from triage.artifacts import TriageModel, load_model
from triage.concepts import concept_idf
from triage.decision import Decision, decide, gate_scores
from triage.dedup import DuplicateIndex, DuplicateMatch, Idf
from triage.features import FeatureDoc
from triage.normalize import normalize_text
from triage.priority import PriorityDecision, score_priority
from triage.redact import redact
from triage.taxonomy import Taxonomy, load_taxonomy
from triage.textutil import strip_diacritics

# Classification reads the start of very long texts; the whole text is still redacted.
MAX_CLASSIFY_CHARS = 20_000


@dataclass(frozen=True)
class Prepared:
    """A text after normalization and redaction, with its features' input."""

    normalized: str
    redacted: str
    doc: FeatureDoc
    party_member: bool
    redaction_counts: dict[str, int]


@dataclass(frozen=True)
class TriageResult:
    id: str | None
    redacted_text: str
    labels: list[tuple[str, float]]
    suggested: list[str]
    explanations: dict[str, list[str]]
    implied: dict[str, str]
    out_of_scope: bool
    party_member: bool
    priority: PriorityDecision
    duplicate: DuplicateMatch | None
    cluster: str | None
    model_id: str
    redaction_counts: dict[str, int] = field(default_factory=dict)
    uncertainty: float = 0.0  # 0 = sure … 1 = a coin toss
    # earlier items of other cases the verifier thinks may be this one (not linked)
    possible_duplicates: tuple[DuplicateMatch, ...] = ()
    # the redacted text lower-cased without diacritics, when the pipeline computed it
    # (the service's priority reads it instead of stripping the text again)
    plain: str | None = None

    def to_contract(self) -> dict:
        """The `triage predict` output line (DESIGN.md)."""
        return {
            "id": self.id,
            "labels": [{"code": c, "score": round(s, 4)} for c, s in self.labels],
            "suggested": list(self.suggested),
            "out_of_scope": self.out_of_scope,
            "priority": self.priority.score,
            "priority_level": self.priority.level,
            "reasons": list(self.priority.reasons),
            "duplicate_of": self.duplicate.item_id if self.duplicate else None,
            "similarity": round(self.duplicate.similarity, 4) if self.duplicate else None,
            "cluster": self.cluster,
            "explanations": self.explanations,
            "redacted_text": self.redacted_text,
        }


def prepare_text(text: str, taxonomy: Taxonomy) -> Prepared:
    """Normalize, redact and segment one text (the part of the pipeline before the model)."""
    normalized = normalize_text(text)
    red = redact(normalized)
    doc = FeatureDoc.from_text(red.text[:MAX_CLASSIFY_CHARS])
    plain = doc.plain if len(red.text) <= MAX_CLASSIFY_CHARS else None
    return Prepared(normalized, red.text, doc,
                    taxonomy.shows_party_membership(red.text, plain=plain), red.counts)


class Triager:
    """The language core behind one object; cheap to call, safe to share for reading."""

    def __init__(self, taxonomy: Taxonomy, model: TriageModel):
        self.taxonomy = taxonomy
        self.model = model
        clf = model.classifier
        self._classes = clf.classes_
        self._party_mask = np.array([c in taxonomy.crosswalk.party_only for c in self._classes])
        self._idf: Idf | None = None

    @classmethod
    def from_models_dir(cls, models_dir: str | Path, *, taxonomy: Taxonomy | None = None,
                        model_id: str | None = None) -> Triager:
        taxonomy = taxonomy or load_taxonomy()
        return cls(taxonomy, load_model(models_dir, taxonomy, model_id=model_id))

    # -- steps ---------------------------------------------------------------------------
    @staticmethod
    def _plain(p: Prepared) -> str | None:
        return p.doc.plain if len(p.redacted) <= MAX_CLASSIFY_CHARS else None

    def prepare(self, text: str) -> Prepared:
        return prepare_text(text, self.taxonomy)

    def _decide_batch(self, prepared: list[Prepared]) -> tuple[list[Decision], list]:
        clf = self.model.classifier
        X = clf.transform([p.doc for p in prepared])
        s = clf.scores_from_features(X)
        party = np.array([p.party_member for p in prepared], dtype=bool)
        factor = self.model.policy.party_factor
        gated = gate_scores(s.codes, party, self._party_mask, factor)
        gated_rank = gate_scores(s.rank, party, self._party_mask, factor)
        decisions = [
            decide(gated[i], gated_rank[i], float(s.p_out[i]), classes=self._classes,
                   policy=self.model.policy, taxonomy=self.taxonomy, party_member=bool(party[i]))
            for i in range(len(prepared))
        ]
        return decisions, X

    def _empty_decision(self) -> Decision:
        ranked = [("OUT03", 1.0)] + [(str(c), 0.0) for c in self._classes if c != "OUT03"]
        return Decision(ranked, ["OUT03"], True, {}, 0.0)

    def triage_many(self, items: Iterable[tuple[str | None, str]], *,
                    dedup: DuplicateIndex | None = None,
                    batch_size: int = 256) -> Iterator[TriageResult]:
        """Triage ``(id, text)`` pairs in batches, in order; each is checked for duplicates
        against ``dedup`` (and then added to it)."""
        batch: list[tuple[str | None, str]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                yield from self._run_batch(batch, dedup)
                batch = []
        if batch:
            yield from self._run_batch(batch, dedup)

    def triage(self, text: str, *, item_id: str | None = None,
               dedup: DuplicateIndex | None = None) -> TriageResult:
        return next(iter(self._run_batch([(item_id, text)], dedup)))

    def _run_batch(self, batch: list[tuple[str | None, str]],
                   dedup: DuplicateIndex | None) -> list[TriageResult]:
        prepared = [self.prepare(text) for _, text in batch]
        live = [i for i, p in enumerate(prepared) if any(ch.isalnum() for ch in p.doc.plain)]
        decisions: dict[int, Decision] = {}
        rows: dict[int, int] = {}
        X = None
        if live:
            decs, X = self._decide_batch([prepared[i] for i in live])
            for j, i in enumerate(live):
                decisions[i] = decs[j]
                rows[i] = j
        results = []
        for i, (item_id, _text) in enumerate(batch):
            p = prepared[i]
            plain = self._plain(p)
            d = decisions.get(i) or self._empty_decision()
            explanations = {}
            if i in rows:
                explanations = self.model.classifier.explain(
                    X, rows[i], [c for c in d.suggested if c not in d.implied])
            match, cluster, reporters, possible = None, None, 1, ()
            if dedup is not None:
                link = dedup.link(
                    item_id if item_id is not None else f"#{len(dedup)}", p.redacted,
                    codes=d.ranked[:6], plain=plain,
                    syllables=p.doc.syllables if plain is not None else None,
                    accented=p.doc.accented)
                match, cluster, reporters, possible = link.match, link.cluster, link.size, link.possible
            score_of = dict(d.ranked)
            prio = score_priority(
                suggested=[(c, score_of.get(c, 0.0)) for c in d.suggested], taxonomy=self.taxonomy,
                text=p.redacted, out_of_scope=d.out_of_scope, reporters=reporters,
                plain=plain)
            results.append(TriageResult(
                id=item_id, redacted_text=p.redacted, labels=d.ranked, suggested=d.suggested,
                explanations=_dedupe_explanations(explanations), implied=d.implied,
                out_of_scope=d.out_of_scope, party_member=p.party_member, priority=prio,
                duplicate=match, cluster=cluster, model_id=self.model.model_id,
                redaction_counts=p.redaction_counts, uncertainty=d.uncertainty,
                possible_duplicates=possible, plain=plain))
        return results


def _dedupe_explanations(explanations: dict[str, list[str]]) -> dict[str, list[str]]:
    """Keep one spelling of a phrase (the accented one) per code."""
    out = {}
    for code, phrases in explanations.items():
        seen, kept = set(), []
        for ph in phrases:
            key = strip_diacritics(ph)
            if key in seen:
                continue
            seen.add(key)
            kept.append(ph)
        out[code] = kept
    return out


def idf_for(triager: Triager) -> Idf:
    """IDF of diacritics-free syllables and bigrams from the model's vectorizer (rare = high)."""
    if triager._idf is None:
        plain = triager.model.classifier.vectorizer_.plain_
        idf = plain.idf_
        table = {t: float(idf[j]) for t, j in plain.vocabulary_.items() if t.count(" ") <= 1}
        table.update(concept_idf(plain.vocabulary_, idf))
        triager._idf = Idf(table, float(idf.max()) if len(idf) else 1.0)
    return triager._idf


def verifier_for(triager: Triager):
    """The model's learned duplicate verifier, or None (an older model: the hand-weighted
    similarity decides)."""
    return getattr(triager.model, "dedup_verifier", None)


def freeze_heap() -> None:
    """Put what is alive now (a loaded model: vocabularies, weights, trees, and the
    segmenter) out of the cyclic garbage collector's reach, so that its full passes, which
    the many small objects of each item trigger, no longer walk the model (about 40 ms
    each; triage runs about 4% faster). Call it once the model is loaded and warm. Nothing
    is leaked: frozen objects are still freed when their last reference goes."""
    gc.collect()
    gc.freeze()


def dedup_index_for(triager: Triager, store=None, *, verifier: bool = True) -> DuplicateIndex:
    """A duplicate index weighted by the model's IDF and checked by its verifier (in memory
    unless a store is given; ``verifier=False``: the hand-weighted similarity only)."""
    return DuplicateIndex(store, idf=idf_for(triager),
                          verifier=verifier_for(triager) if verifier else None)
