"""Training beyond the exact solver's reach: the Nyström fit agrees with the exact ridge,
and threshold tuning samples whole groups, reviewed cases first."""

from __future__ import annotations

import numpy as np

from training.train import TrainParams, _make_classifier, cv_sample, learnable_labels
from triage.data import LabelledExample
from triage.pipeline import prepare_text


def test_nystroem_fit_ranks_like_the_exact_fit(small_seed, taxonomy):
    train, test = small_seed[::2], small_seed[1::2]
    docs = [prepare_text(ex.text, taxonomy).doc for ex in train]
    test_docs = [prepare_text(ex.text, taxonomy).doc for ex in test]
    labels = [learnable_labels(ex.labels, taxonomy) for ex in train]
    primary = [ex.primary for ex in train]
    exact = _make_classifier(taxonomy, TrainParams())
    exact.fit(docs, labels, primary=primary)
    approx = _make_classifier(taxonomy, TrainParams(max_dual=3 * len(train) // 4))
    approx.fit(docs, labels, primary=primary)
    assert approx.W_.shape == exact.W_.shape
    a, e = approx.decision_scores(test_docs), exact.decision_scores(test_docs)
    groups = np.array([taxonomy.group_of(c) for c in taxonomy.codes])
    same_group = groups[a.rank.argmax(axis=1)] == groups[e.rank.argmax(axis=1)]
    assert same_group.mean() >= 0.8, same_group.mean()
    gold = np.array([taxonomy.group_of(ex.primary) for ex in test])
    # a quarter fewer basis rows costs little accuracy against the truth, too
    assert (groups[a.rank.argmax(axis=1)] == gold).mean() >= (groups[e.rank.argmax(axis=1)] == gold).mean() - 0.1


def test_cv_sample_takes_whole_groups_and_reviews_first():
    exs = [LabelledExample(id=f"s{i}", text="t", labels=("TN02",), primary="TN02") for i in range(50)]
    exs += [LabelledExample(id=f"r{i}", text="t", labels=("TN02",), primary="TN02", source="review")
            for i in range(10)]
    groups = [ex.id for ex in exs[:50]] + [f"c{i // 2}" for i in range(10)]  # review pairs
    assert list(cv_sample(exs, groups, 100)) == list(range(60))
    idx = cv_sample(exs, groups, 20)
    chosen = {exs[i].id for i in idx}
    assert {f"r{i}" for i in range(10)} <= chosen  # every reviewed case
    assert 20 <= len(idx) <= 21
    for g in set(groups):
        members = [i for i, x in enumerate(groups) if x == g]
        assert all(i in idx for i in members) or not any(i in idx for i in members)
