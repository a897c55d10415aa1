"""The training mix of a retrain: reviews beat seed, recent reviews are held back by whole
clusters, clusters are CV groups; the promotion gate; taxonomy editions."""

from __future__ import annotations

import pytest

from training.mix import combine, text_key
from training.promote import Comparison, Gate, gate_problems
from triage.data import LabelledExample
from triage.errors import TaxonomyError
from triage.taxonomy import parse_taxonomy


def _review(i: int, text: str, codes: tuple[str, ...], cluster: str, day: int) -> LabelledExample:
    return LabelledExample(id=f"review-{i}", text=text, labels=codes, primary=codes[0],
                           source="review",
                           extra={"cluster": cluster, "reviewed_at": f"2026-11-{day:02d}T08:00:00+00:00"})


SEED = [
    LabelledExample(id="s1", text="Chủ tịch xã nhận tiền của dân mới ký giấy xác nhận đất.",
                    labels=("TN02", "DD07"), primary="TN02"),
    LabelledExample(id="s2", text="Xã tổ chức liên hoan tất niên linh đình bằng tiền ngân sách.",
                    labels=("LP02", "DD06"), primary="LP02"),
    LabelledExample(id="s3", text="Đường làng ngập nước mấy tháng nay chưa ai sửa.",
                    labels=("OUT01",), primary="OUT01"),
]


def test_the_same_text_ignores_accents_case_spacing_and_punctuation():
    assert text_key("Chủ tịch xã  nhận tiền!") == text_key("chu tich xa nhan tien")
    assert text_key("Chủ tịch xã nhận tiền") != text_key("Chủ tịch xã trả tiền")


def test_a_reviewed_case_beats_the_seed_example_with_the_same_text():
    corrected = _review(1, "chu tich xa nhan tien cua dan moi ky giay xac nhan dat",
                        ("TN10", "DD07"), "c-1", 3)
    mix = combine(SEED, [corrected], holdout=0.0)
    texts = {text_key(ex.text): ex for ex in mix.train}
    assert len(mix.train) == 3
    assert texts[text_key(SEED[0].text)].labels == ("TN10", "DD07")
    assert mix.info["seed_replaced_by_review"] == 1


def test_a_later_review_of_the_same_text_wins():
    old = _review(1, "Cán bộ địa chính gây khó dễ để vòi tiền.", ("TN04",), "c-1", 1)
    new = _review(2, "can bo dia chinh gay kho de de voi tien", ("TN10",), "c-1", 9)
    mix = combine([], [new, old], holdout=0.0)
    assert [ex.labels for ex in mix.train] == [("TN10",)]


def test_recent_reviews_are_held_back_and_a_cluster_is_never_split():
    reviews = [_review(i, f"Phản ánh số {i}: cán bộ thôn {i} thu tiền sai quy định lần {i}.",
                       ("TN10",), f"c-{i}", i) for i in range(1, 11)]
    # the newest case has two older duplicates in its cluster
    reviews += [_review(20 + j, f"Cùng vụ thôn 10, người thứ {j} báo lại với lời lẽ khác {j}.",
                        ("TN10",), "c-10", 1) for j in range(2)]
    mix = combine(SEED, reviews, holdout=0.2)
    held = {ex.id for ex in mix.held_back}
    assert {"review-10", "review-20", "review-21"} <= held  # the whole cluster of the newest
    assert "review-1" not in held
    train_clusters = {ex.extra["cluster"] for ex in mix.train if ex.source == "review"}
    held_clusters = {ex.extra["cluster"] for ex in mix.held_back}
    assert not train_clusters & held_clusters
    # one CV group per cluster, named by content: the same data gives the same folds
    by_cluster = {}
    for ex, g in zip(mix.train, mix.groups):
        if ex.source == "review":
            by_cluster.setdefault(ex.extra["cluster"], set()).add(g)
    assert all(len(gs) == 1 for gs in by_cluster.values())
    renamed = [LabelledExample(**{**ex.__dict__, "extra": {**ex.extra, "cluster": "x" + ex.extra["cluster"]}})
               for ex in reviews]
    assert combine(SEED, renamed, holdout=0.2).groups == mix.groups
    assert len(mix.train) + len(mix.held_back) == len(SEED) + len(reviews)
    # members of one cluster share a CV group, seed examples are their own group
    assert mix.groups[:3] == ["s1", "s2", "s3"]


def _report(micro: float, recalls: dict[str, tuple[float, int]]) -> dict:
    """A report whose code recalls are r of n; the items found are the first r·n."""
    return {"n": 100, "micro_f1": micro,
            "per_code": {c: {"recall": r, "support": n} for c, (r, n) in recalls.items()},
            "found": {c: list(range(round(r * n))) for c, (r, n) in recalls.items()}}


def test_the_gate_refuses_a_lower_micro_f1_or_a_collapsed_code():
    ok = Comparison("a", "b", {"eval": {"baseline": _report(0.80, {"TN02": (0.9, 20)}),
                                        "candidate": _report(0.82, {"TN02": (0.85, 20)})}})
    assert gate_problems(ok) == []
    worse = Comparison("a", "b", {"eval": {"baseline": _report(0.80, {"TN02": (0.9, 20)}),
                                           "candidate": _report(0.79, {"TN02": (0.9, 20)})}})
    assert "micro-F1" in gate_problems(worse)[0]
    collapsed = Comparison("a", "b", {"eval": {
        "baseline": _report(0.80, {"TN02": (0.9, 20), "LP02": (0.8, 2)}),
        "candidate": _report(0.81, {"TN02": (0.5, 20), "LP02": (0.0, 2)})}})
    problems = gate_problems(collapsed)
    assert len(problems) == 1 and "TN02" in problems[0]  # LP02 has too little support
    assert gate_problems(collapsed, Gate(recall_margin=0.5)) == []
    # two items of ten lost is within chance; eight of twenty is not
    noisy = Comparison("a", "b", {"eval": {
        "baseline": _report(0.80, {"DD04": (0.9, 10)}),
        "candidate": _report(0.81, {"DD04": (0.7, 10)})}})
    assert gate_problems(noisy) == []


def _edition(raw: dict, version: str, mapping: dict | None) -> dict:
    new = dict(raw, version=version)
    if mapping is not None:
        new["previous_editions"] = [{"version": raw["version"], "mapping": mapping}]
    return new


def test_labels_migrate_through_the_mapping_of_a_new_edition():
    import yaml

    from triage.taxonomy import DEFAULT_TAXONOMY_PATH

    raw = yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    tax = parse_taxonomy(_edition(raw, "2027-01", {"DV05": ["DV06"], "DV07": ["DV07", "DV08"]}))
    assert tax.migrate_codes(["DV05", "DV07", "TN02"], raw["version"]) == ["DV06", "DV07", "DV08", "TN02"]
    assert tax.migrate_codes(["TN02"], None) == ["TN02"]
    with pytest.raises(TaxonomyError, match="no mapping"):
        tax.migrate_codes(["DV05"], "2020-01")
    with pytest.raises(TaxonomyError, match="unknown code"):
        parse_taxonomy(_edition(raw, "2027-01", {"DV05": ["DV99"]}))
