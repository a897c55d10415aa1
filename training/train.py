"""Fit a model from labelled examples: cross-validated thresholds, then the final fit.

The decision thresholds are chosen on out-of-fold scores of the training data only; the
evaluation set is never seen here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from triage.artifacts import TriageModel
from triage.classify import FeedbackClassifier
from triage.data import LabelledExample
from triage.decision import gate_scores, group_accuracy, tune_policy
from triage.features import TriageVectorizer
from triage.pipeline import Prepared, prepare_text
from triage.taxonomy import Taxonomy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainParams:
    alpha: float = 1.0
    temperature: float = 8.0
    group_power: float = 1.0
    word_weight: float = 0.8
    plain_weight: float = 1.0
    char_weight: float = 1.0
    char_range: tuple[int, int] | None = None  # char n-grams did not help on data/eval
    folds: int = 3
    party_factor: float = 0.25
    seed: int = 13
    # Above this many examples the thresholds are tuned on a cross-validated sample of this
    # size (reviewed cases first): out-of-fold scores of 12,000 cases pin thresholds as
    # well as 50,000 would, at a fraction of the cost. The final fit uses every example.
    cv_max: int = 12_000
    max_dual: int = 12_000


def learnable_labels(labels: Sequence[str], taxonomy: Taxonomy) -> list[str]:
    """The labels a classifier head learns: codes the crosswalk implies (DD07 beside a TN
    code, DD06 beside an LP code) are dropped where their source is present."""
    out = list(labels)
    for imp in taxonomy.crosswalk.implies:
        if imp.target in out and any(c in imp.sources for c in out if c != imp.target):
            out.remove(imp.target)
    return out


def stable_folds(strata: Sequence[str], groups: Sequence[str], k: int, *,
                 seed: int = 13) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds that a retrain keeps: a group's fold is a hash of its name
    (and the seed), so adding reviewed cases moves no existing example to another fold and
    the thresholds change only as much as the new data warrants. Within each stratum the
    groups are dealt round-robin in hash order, which keeps the folds balanced; a new group
    shifts only the groups after it in that order, in its own stratum."""
    import hashlib

    def h(g: str) -> int:
        return int.from_bytes(hashlib.blake2b(f"{seed}:{g}".encode(), digest_size=8).digest(), "big")

    first_stratum: dict[str, str] = {}
    for st, g in zip(strata, groups):
        first_stratum.setdefault(g, st)
    by_stratum: dict[str, list[str]] = {}
    for g, st in first_stratum.items():
        by_stratum.setdefault(st, []).append(g)
    fold_of: dict[str, int] = {}
    for st, gs in by_stratum.items():
        offset = h(st) % k
        for pos, g in enumerate(sorted(gs, key=h)):
            fold_of[g] = (pos + offset) % k
    assign = np.array([fold_of[g] for g in groups])
    return [(np.flatnonzero(assign != f), np.flatnonzero(assign == f)) for f in range(k)]


def cv_sample(examples: Sequence[LabelledExample], groups: Sequence[str], cap: int, *,
              seed: int = 13) -> np.ndarray:
    """Indices of the examples the thresholds are tuned on: all of them up to ``cap``;
    beyond it, whole groups, reviewed cases before seed examples, the rest at random."""
    n = len(examples)
    if n <= cap:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    names = list(members)
    rng.shuffle(names)
    names.sort(key=lambda g: examples[members[g][0]].source != "review")  # stable: reviews first
    chosen: list[int] = []
    for g in names:
        if len(chosen) >= cap:
            break
        chosen.extend(members[g])
    return np.array(sorted(chosen))


def _make_classifier(taxonomy: Taxonomy, p: TrainParams) -> FeedbackClassifier:
    return FeedbackClassifier(
        classes=taxonomy.codes, groups=[taxonomy.group_of(c) for c in taxonomy.codes],
        out_codes=taxonomy.out_codes, alpha=p.alpha, temperature=p.temperature,
        group_power=p.group_power, max_dual=p.max_dual, seed=p.seed,
        vectorizer=TriageVectorizer(word_weight=p.word_weight, plain_weight=p.plain_weight,
                                    char_weight=p.char_weight, char_range=p.char_range),
    )


def _prepare_chunk(texts: list[str], taxonomy: Taxonomy) -> list[Prepared]:
    return [prepare_text(t, taxonomy) for t in texts]


def prepare_examples(examples: Sequence[LabelledExample], taxonomy: Taxonomy, *,
                     n_jobs: int = 2) -> list[Prepared]:
    """Normalize, redact and segment every example (the costly part), on ``n_jobs`` cores."""
    texts = [ex.text for ex in examples]
    if n_jobs <= 1 or len(texts) < 500:
        return _prepare_chunk(texts, taxonomy)
    from joblib import Parallel, delayed

    size = -(-len(texts) // (n_jobs * 4))
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    parts = Parallel(n_jobs=n_jobs)(delayed(_prepare_chunk)(c, taxonomy) for c in chunks)
    return [p for part in parts for p in part]


def fit_model(examples: Sequence[LabelledExample], taxonomy: Taxonomy, *,
              params: TrainParams = TrainParams(), prepared: list[Prepared] | None = None,
              groups: Sequence[str] | None = None) -> tuple[TriageModel, dict]:
    """Cross-validate for the decision policy, then fit on everything."""
    t0 = time.perf_counter()
    prepared = prepared if prepared is not None else prepare_examples(examples, taxonomy)
    docs = [p.doc for p in prepared]
    labels = [learnable_labels(ex.labels, taxonomy) for ex in examples]
    primary = [ex.primary for ex in examples]
    party = np.array([p.party_member for p in prepared], dtype=bool)
    groups = list(groups) if groups is not None else [ex.id for ex in examples]
    strata = [taxonomy.group_of(p) for p in primary]
    K = len(taxonomy.codes)
    cv_idx = cv_sample(examples, groups, params.cv_max, seed=params.seed)
    n = len(cv_idx)
    oof = np.zeros((n, K))
    oof_rank = np.zeros((n, K))
    oof_out = np.zeros(n)
    for train_idx, test_idx in stable_folds([strata[i] for i in cv_idx],
                                            [groups[i] for i in cv_idx], params.folds,
                                            seed=params.seed):
        tr, te = cv_idx[train_idx], cv_idx[test_idx]
        clf = _make_classifier(taxonomy, params)
        clf.fit([docs[i] for i in tr], [labels[i] for i in tr], primary=[primary[i] for i in tr])
        s = clf.decision_scores([docs[i] for i in te])
        oof[test_idx] = s.codes
        oof_rank[test_idx] = s.rank
        oof_out[test_idx] = s.p_out
    # From here on the out-of-fold arrays describe the cross-validated sample.
    cv_examples = [examples[i] for i in cv_idx]
    primary_cv = [primary[i] for i in cv_idx]
    party_cv = party[cv_idx]
    t_cv = time.perf_counter() - t0
    classes = np.array(taxonomy.codes)
    policy = tune_policy(oof, oof_rank, oof_out, [ex.labels for ex in cv_examples],
                         classes=classes, taxonomy=taxonomy, party=party_cv,
                         party_factor=params.party_factor)
    accuracy = {}
    for flag in (False, True):
        policy.act_precedence = flag
        accuracy[flag] = group_accuracy(oof, oof_rank, oof_out, primary_cv, classes=classes,
                                        taxonomy=taxonomy, party=party_cv, policy=policy)
    policy.act_precedence = accuracy[True] > accuracy[False]
    policy.metrics["cv_group_accuracy_by_act_precedence"] = {str(k): round(v, 4)
                                                             for k, v in accuracy.items()}
    clf = _make_classifier(taxonomy, params)
    clf.fit(docs, labels, primary=primary)
    model = TriageModel(classifier=clf, policy=policy, taxonomy_version=taxonomy.version,
                        taxonomy_fingerprint=taxonomy.fingerprint)
    gated = gate_scores(oof_rank, party_cv, np.array([c in taxonomy.crosswalk.party_only for c in classes]),
                        params.party_factor)
    top3 = np.argsort(-gated, axis=1)[:, :3]
    index = {c: i for i, c in enumerate(classes)}
    cv = dict(policy.metrics)
    top1_group = [taxonomy.group_of(str(classes[k])) for k in gated.argmax(axis=1)]
    cv["cv_group_accuracy_top1"] = round(float(np.mean(
        [g == taxonomy.group_of(p) for g, p in zip(top1_group, primary_cv)])), 4)
    cv["cv_primary_top3_recall"] = round(float(np.mean(
        [index[p] in top3[i] for i, p in enumerate(primary_cv)])), 4)
    cv["cv_examples"] = n
    cv["seconds_cv"] = round(t_cv, 2)
    cv["seconds_total"] = round(time.perf_counter() - t0, 2)
    log.info("trained on %d examples in %.1fs", len(examples), cv["seconds_total"])
    return model, cv
