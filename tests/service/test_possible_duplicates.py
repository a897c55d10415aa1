"""Possible duplicates: an earlier item of another case that the verifier puts between
0.5 and its link threshold is shown on the item (not linked), and a reviewer can merge it."""

from __future__ import annotations

import numpy as np

from triage.dedup import MAX_POSSIBLE, POSSIBLE, DuplicateIndex, Verifier, case_signature

CASE = ("Ông Nguyễn Văn Hùng, Chủ tịch UBND xã Tân Phước, cắt tiền hỗ trợ lũ lụt của 37 hộ ở "
        "ấp Tân Hòa, mỗi hộ nhận 1.200.000 đồng mà phải ký nhận 2.000.000 đồng.")
RETOLD = ("Dân ấp Tân Hòa bức xúc lắm, tiền lũ về xã Tân Phước mà tới tay bà con có hơn một "
          "triệu, ký giấy thì ghi hai triệu. Ai hỏi thì ổng nói để lo chi phí chung.")


class _Fixed:
    """An estimator that answers the given probability for every pair, in order."""

    def __init__(self, *probs: float):
        self.probs = list(probs)

    def predict_proba(self, X):
        p = np.array([self.probs[i % len(self.probs)] for i in range(len(X))])
        return np.column_stack([1 - p, p])


def test_possible_matches_are_other_cases_between_the_two_thresholds():
    index = DuplicateIndex()
    texts = [f"{CASE} Lần thứ {i}." for i in range(6)]
    for i, t in enumerate(texts):
        index.store.add(f"e{i}", case_signature(t).keys(), case_signature(t), f"c-{i % 5}")
    # e0..e5 in clusters c-0..c-4, c-0 twice (e0, e5)
    probs = {"e0": 0.95, "e1": 0.8, "e2": 0.45, "e3": 0.7, "e4": 0.6, "e5": 0.85}
    index.verifier = Verifier(_Fixed(0.5), threshold=0.9)
    index.threshold = 0.9
    order = []

    def probabilities(sig, others):
        cands = index.store.candidates(sig.keys(), limit=index.max_candidates)
        order.extend(cands)
        return np.array([probs[c] for c in cands])

    index.verifier.probabilities = probabilities
    match, possible = index.find_all(case_signature(CASE))
    assert match.item_id == "e0" and match.cluster == "c-0"
    # e5 is in the linked cluster; e2 is under POSSIBLE; at most MAX_POSSIBLE, best first
    assert [m.item_id for m in possible] == ["e1", "e3", "e4"][:MAX_POSSIBLE]
    assert all(POSSIBLE <= m.similarity < 0.9 for m in possible)


def test_possible_duplicate_is_shown_and_a_reviewer_merges_it(client, make_key):
    intake, rev = make_key("intake"), make_key("reviewer")
    triager = client.app.state.triage.triager  # this app's own loaded model
    triager.model.dedup_verifier = Verifier(_Fixed(0.7), threshold=0.9)
    a = client.post("/api/v1/feedback", headers=intake, json={"text": CASE}).json()
    b = client.post("/api/v1/feedback", headers=intake, json={"text": RETOLD}).json()
    assert b["duplicate_of"] is None and b["cluster"] != a["cluster"]
    assert b["possible_duplicates"] == [{"id": a["id"], "cluster": a["cluster"], "probability": 0.7}]
    shown = client.get(f"/api/v1/feedback/{b['id']}", headers=rev).json()
    assert shown["possible_duplicates"] == b["possible_duplicates"]
    v = client.post(f"/api/v1/feedback/{b['id']}/claim", headers=rev).json()["version"]
    merged = client.post(f"/api/v1/feedback/{b['id']}/review", headers=rev,
                         json={"version": v, "codes": ["TN01"], "merge_into": a["cluster"]})
    assert merged.status_code == 200 and merged.json()["cluster"] == a["cluster"]
    assert client.get(f"/api/v1/clusters/{a['cluster']}", headers=rev).json()["size"] == 2
