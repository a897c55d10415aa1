"""The learned duplicate verifier: fitted on data/dedup_train (never the evaluation set),
carried inside the model artifact, and as exact as the estimator it was made from."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from tests.triage.test_dedup import HOTLINE_RETELLING, MEETING_NOTES, OTHER_OFFICIAL, PETITION
from training.dedup_fit import CONSTRAINTS, default_training_items, fit_verifier
from triage.dedup import PAIR_FEATURES, TreeEnsemble, Verifier


def test_the_tree_ensemble_gives_the_estimators_own_probabilities():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.RandomState(7)
    X = rng.rand(600, len(PAIR_FEATURES))
    y = (X[:, 0] + 0.5 * X[:, 3] - 0.8 * X[:, 10] + 0.1 * rng.randn(600) > 0.5).astype(int)
    est = HistGradientBoostingClassifier(max_depth=3, max_iter=60, monotonic_cst=CONSTRAINTS,
                                         random_state=0).fit(X, y)
    test = rng.rand(50, len(PAIR_FEATURES))
    assert np.allclose(TreeEnsemble(est).predict_proba(test), est.predict_proba(test), atol=1e-12)


def test_the_verifier_never_trains_on_the_held_out_half():
    """`evaluate-dedup --split held-out` measures it on cases it has not seen."""
    from training.dedup_eval import read_dedup_set, split_items

    held = {it["id"] for it in split_items(read_dedup_set("data/dedup"), "held-out")}
    ids = {it["id"] for it in default_training_items()}
    assert len(ids) > 500 and not ids & held
    assert any(i.startswith("dup") for i in ids)  # the dev half is in


@pytest.fixture(scope="module")
def verifier(triager):
    v = fit_verifier(triager)
    assert v is not None
    return v


def test_verifier_is_fitted_on_the_training_pairs_with_a_chosen_threshold(verifier):
    info = verifier.info
    assert info["positive_pairs"] > 100 and info["pairs"] > info["positive_pairs"]
    assert 0.3 <= verifier.threshold <= 0.99
    assert info["cv_pair_precision"] >= 0.9


def test_verifier_links_the_retellings_and_not_the_other_official(triager, verifier):
    """Cases written for this test, not in any data file: a petition, a hotline retelling
    and a line of meeting notes of it, and the same kind of complaint about another man."""
    from triage.pipeline import dedup_index_for

    triager.model.dedup_verifier = verifier
    try:
        index = dedup_index_for(triager)
        assert index.verifier is verifier
        texts = [("p", PETITION), ("other", OTHER_OFFICIAL), ("tel", HOTLINE_RETELLING),
                 ("notes", MEETING_NOTES)]
        res = {r.id: r for r in triager.triage_many(texts, dedup=index)}
    finally:
        triager.model.dedup_verifier = None
    assert res["tel"].cluster == res["p"].cluster
    assert res["notes"].cluster == res["p"].cluster
    assert res["other"].duplicate is None and res["other"].cluster != res["p"].cluster
    assert res["tel"].duplicate.reasons[0].startswith("khả năng cùng vụ việc")


def test_verifier_travels_in_the_artifact(tmp_path, triager, verifier, taxonomy):
    from triage.artifacts import load_model, save_model

    model = copy.copy(triager.model)  # the session's model itself stays as it is
    model.dedup_verifier = verifier
    save_model(model, tmp_path, training_data={}, metrics={"dedup_verifier": verifier.info})
    loaded = load_model(tmp_path, taxonomy)
    assert isinstance(loaded.dedup_verifier, Verifier)
    assert loaded.dedup_verifier.threshold == verifier.threshold
    X = np.random.RandomState(1).rand(5, len(verifier.features))
    assert np.array_equal(loaded.dedup_verifier.estimator.predict_proba(X),
                          verifier.estimator.predict_proba(X))
    assert np.array_equal(loaded.dedup_verifier.space.vectors, verifier.space.vectors)


def test_evaluate_dedup_counts_links_listings_and_hard_negatives(tmp_path, triager):
    """The report on a labelled file written here: the copy without accents is linked, the
    look-alike about another official is a hard negative that stays apart."""
    import json

    from training.dedup_eval import evaluate_dedup, format_dedup_report
    from triage.textutil import strip_diacritics

    rows = [{"id": "a", "group": "g1", "kind": "original", "text": PETITION},
            {"id": "b", "group": None, "kind": "hard_negative", "near": "a", "text": OTHER_OFFICIAL},
            {"id": "c", "group": "g1", "kind": "no_diacritics", "text": strip_diacritics(PETITION)},
            {"id": "d", "group": "g1", "kind": "mention", "text": MEETING_NOTES}]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    r = evaluate_dedup(triager, path)
    assert r["gold_pairs"] == 3 and r["hard_negatives"] == 1 and r["groups"] == 1
    assert r["recall_by_kind"]["no_diacritics"] == 1.0
    assert all(r["linked_or_listed_by_kind"][k] >= v for k, v in r["recall_by_kind"].items())
    assert r["hard_negatives_linked"] == []
    assert "hard negatives linked: 0" in format_dedup_report(r)


def test_a_model_whose_verifier_cannot_score_is_refused_at_load(tmp_path, triager, taxonomy):
    """Refused when it is loaded, not at the first intake that has a candidate."""
    from triage.artifacts import ModelVerificationError, load_model, save_model

    model = copy.copy(triager.model)
    model.dedup_verifier = Verifier(object(), 0.9)  # no predict_proba
    save_model(model, tmp_path, training_data={}, metrics={})
    with pytest.raises(ModelVerificationError, match="smoke prediction failed"):
        load_model(tmp_path, taxonomy)


def test_the_threshold_is_read_off_writers_the_trees_did_not_see(verifier):
    """Each writer's pairs are scored by trees fitted on the other writers only (the way
    the hidden evaluation set's writers meet the verifier)."""
    assert verifier.info["threshold_folds"] >= 5
    assert {"dedup", "north_rural", "party_conduct_cities"} <= set(verifier.info["sources"])


def test_a_verifier_of_other_pair_features_is_set_aside_not_refused(tmp_path, triager, verifier,
                                                                      taxonomy, caplog):
    """A model fitted by an earlier version, whose verifier reads other features: the
    classifier is still served, duplicates fall back to the hand-weighted similarity."""
    from triage.artifacts import load_model, save_model

    other_features = copy.copy(verifier)
    other_features.features = PAIR_FEATURES[:-1]
    # the same features, but read off signatures without concept terms (before version 2)
    other_signatures = copy.copy(verifier)
    del other_signatures.signature_version
    for k, old in enumerate((other_features, other_signatures)):
        model = copy.copy(triager.model)
        model.dedup_verifier = old
        save_model(model, tmp_path / str(k), training_data={}, metrics={})
        caplog.clear()
        with caplog.at_level("WARNING"):
            loaded = load_model(tmp_path / str(k), taxonomy)
        assert loaded.dedup_verifier is None and "hand-weighted similarity" in caplog.text
    model = copy.copy(triager.model)
    model.dedup_verifier = copy.copy(verifier)
    save_model(model, tmp_path / "current", training_data={}, metrics={})
    assert load_model(tmp_path / "current", taxonomy).dedup_verifier is not None


def test_leave_one_writer_out_clusters_each_writer_with_a_verifier_fitted_on_the_others(
        tmp_path, monkeypatch, triager):
    """`triage evaluate-dedup --by-writer`, on three small writers (whole cases of three
    training files): every writer is reported, the totals are the sum of its parts, and
    the session's own verifier is left in place."""
    import json

    from training import dedup_fit
    from training.dedup_eval import read_dedup_set

    train = tmp_path / "train"
    train.mkdir()
    for name in ("north_rural", "south_urban", "central_highlands"):
        items = read_dedup_set(f"data/dedup_train/{name}.jsonl")[:60]
        with (train / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for it in items:
                fh.write(json.dumps({k: v for k, v in it.items() if k != "source"},
                                    ensure_ascii=False) + "\n")
    monkeypatch.setattr(dedup_fit, "DEFAULT_DIR", train)
    monkeypatch.setattr(dedup_fit, "EVALUATION_SET", tmp_path / "absent")
    before = triager.model.dedup_verifier
    r = dedup_fit.leave_one_writer_out(triager)
    assert triager.model.dedup_verifier is before
    assert set(r["writers"]) == {"north_rural", "south_urban", "central_highlands"}
    assert r["hard_negatives"] == sum(w["hard_negatives"] for w in r["writers"].values()) > 0
    assert 0.0 <= r["pairwise_precision"] <= 1.0 and 0.0 < r["pairwise_recall"] <= 1.0
    assert r["recall_by_kind"]["exact_resubmission"] == 1.0
    assert "all writers" in dedup_fit.format_writer_report(r)


@pytest.fixture(scope="module")
def space():
    from training.dedup_fit import fit_space

    return fit_space()


def _sig(text):
    from triage.dedup import case_signature

    return case_signature(text)


def test_the_wording_space_brings_one_act_told_in_other_words_together(space):
    """Written for this test: a bribe for a land-use certificate told twice with hardly a
    bigram in common, against a pothole complaint in the same commune."""
    told = _sig("Cán bộ địa chính xã Tân Lập đòi tiền bồi dưỡng mới chịu làm sổ đỏ cho dân.")
    retold = _sig("muon duoc cap giay chung nhan quyen su dung dat o xa tan lap thi phai dua "
                  "phong bi cho can bo dia chinh, khong dua la ho ngam ho so hoai")
    other = _sig("Đường liên thôn ở xã Tân Lập xuống cấp, ổ gà nhiều, trời mưa là ngập nước.")
    # in common: the commune and "cán bộ địa chính", which the pothole shares in part
    assert len(told.weights.keys() & retold.weights.keys()) <= 5
    same, apart = space.cosines(told, [retold, other])
    assert same > apart + 0.3


def test_the_wording_space_reads_a_text_without_bigrams_it_knows_as_zero(space):
    sig = _sig("xyzq wvut")
    assert not np.any(space.vector(sig))
    assert space.cosines(sig, [_sig("Cán bộ địa chính xã đòi tiền")])[0] == 0.0


def test_a_verifier_with_a_space_reads_its_cosine_as_the_last_feature(verifier):
    from triage.dedup import SPACE_FEATURES

    assert verifier.space is not None and verifier.current
    assert verifier.features == PAIR_FEATURES + SPACE_FEATURES
    a, b = _sig(PETITION), _sig(HOTLINE_RETELLING)
    X = verifier.pair_matrix(a, [b])
    assert X.shape == (1, len(PAIR_FEATURES) + 1)
    assert X[0, -1] == pytest.approx(float(verifier.space.cosines(a, [b])[0]), abs=1e-6)


def test_a_verifier_pickled_before_wording_spaces_still_scores():
    """One fitted on the pair features alone, without the attribute at all."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.RandomState(3)
    X = rng.rand(300, len(PAIR_FEATURES))
    est = HistGradientBoostingClassifier(max_iter=20).fit(X, (X[:, 0] > 0.5).astype(int))
    old = Verifier(est, 0.5)
    del old.space
    assert old.current and old.features == PAIR_FEATURES
    p = old.probabilities(_sig(PETITION), [_sig(HOTLINE_RETELLING), _sig(OTHER_OFFICIAL)])
    assert p.shape == (2,) and ((p >= 0) & (p <= 1)).all()


def test_the_space_is_learnt_from_the_bigrams_the_pipeline_signs(triager, seed_examples):
    """The space reads a signature's bigrams, so it must be fitted on those very bigrams."""
    from training.dedup_fit import text_bigrams
    from triage.pipeline import dedup_index_for

    sample = seed_examples[::97]
    index = dedup_index_for(triager, verifier=False)
    list(triager.triage_many(((ex.id, ex.text) for ex in sample), dedup=index))
    for ex in sample:
        assert text_bigrams(ex.text) == set(index.store.signatures[ex.id].weights), ex.id


def test_too_small_a_corpus_gives_no_space_and_the_verifier_goes_without():
    from training.dedup_fit import fit_space

    assert fit_space(["Chủ tịch xã nhận tiền", "đường liên thôn hư"]) is None
    assert Verifier(object(), 0.5, space=None).features == PAIR_FEATURES
