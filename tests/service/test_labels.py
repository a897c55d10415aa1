"""Reviewed cases as data: taxonomy editions migrate stored labels, training reads them
straight from the database, and the labelling-session order puts unsure items first."""

from __future__ import annotations

import json
from collections import defaultdict

import yaml

from service.db import Database
from service.labels import export_reviewed, suggestion_outcomes
from triage.cli import main as triage_main
from triage.taxonomy import DEFAULT_TAXONOMY_PATH, parse_taxonomy

TEXTS = [
    "Bí thư chi bộ thôn Đông tự ý cho con trai thuê đất công ích làm xưởng, không họp chi bộ.",
    "Đảng viên Nguyễn Văn K. ở xóm 3 nhiều lần say rượu gây gổ, chửi bới hàng xóm.",
    "Phó chủ tịch xã nhận 20 triệu của chủ thầu để nghiệm thu con đường bê tông kém chất lượng.",
    "alo cho hoi thu tuc lam lai can cuoc o dau a",
]


def _post_and_review(client, make_key, codes_by_text: dict[str, list[str]]) -> list[str]:
    intake, reviewer = make_key("intake"), make_key("reviewer")
    ids = []
    for text, codes in codes_by_text.items():
        fid = client.post("/api/v1/feedback", headers=intake, json={"text": text}).json()["id"]
        item = client.post(f"/api/v1/feedback/{fid}/claim", headers=reviewer).json()
        r = client.post(f"/api/v1/feedback/{fid}/review", headers=reviewer,
                        json={"version": item["version"], "codes": codes, "action": "none"})
        assert r.status_code == 200, r.text
        ids.append(fid)
    return ids


def test_stored_labels_migrate_through_a_new_taxonomy_edition(client, make_key, settings):
    _post_and_review(client, make_key, {TEXTS[0]: ["DV05", "TN04"], TEXTS[1]: ["DV17"]})
    raw = yaml.safe_load(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    old_version = raw["version"]
    raw["version"] = "2027-01"
    raw["previous_editions"] = [{"version": old_version, "mapping": {"DV05": ["DV06"]}}]
    new = parse_taxonomy(raw)
    db = Database(settings.database_url)
    with db.read() as s:
        migrated = {ex["text"][:20]: ex for ex in export_reviewed(s, new)}
        current = {ex["text"][:20]: ex for ex in export_reviewed(s, client.app.state.triage.taxonomy)}
    db.dispose()
    assert migrated[TEXTS[0][:20]]["labels"] == ["DV06", "TN04"]
    assert migrated[TEXTS[0][:20]]["taxonomy_version"] == "2027-01"
    assert migrated[TEXTS[1][:20]]["labels"] == ["DV17"]  # not in the mapping: unchanged
    assert current[TEXTS[0][:20]]["labels"] == ["DV05", "TN04"]


def test_suggestion_outcomes_tell_a_correction_from_a_removal(taxonomy):
    out = suggestion_outcomes(["TN02", "DD07", "DV14"], ["TN10", "DD07"], taxonomy)
    assert out == {"TN02": "corrected", "DD07": "accepted", "DV14": "removed"}


def test_train_reads_reviewed_cases_straight_from_the_database(client, make_key, settings,
                                                               small_seed, tmp_path, capsys):
    ids = _post_and_review(client, make_key, {TEXTS[0]: ["DV05"], TEXTS[1]: ["DV17"],
                                              TEXTS[2]: ["TN02", "DD07"], TEXTS[3]: ["OUT02"]})
    per: dict[str, int] = defaultdict(int)
    tiny = tmp_path / "tiny.jsonl"
    with tiny.open("w", encoding="utf-8") as fh:
        for ex in small_seed:
            if per[ex.primary] < 3:
                per[ex.primary] += 1
                fh.write(json.dumps({"id": ex.id, "text": ex.text, "labels": list(ex.labels)},
                                    ensure_ascii=False) + "\n")
    models = tmp_path / "models"
    rc = triage_main(["train", "--data", str(tiny), "--no-dedup-verifier", "--db", settings.database_url,
                      "--holdout", "0", "--models-dir", str(models), "--folds", "2"])
    model_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert rc == 0
    card = json.loads((models / model_id / "meta.json").read_text(encoding="utf-8"))
    reviews = card["training_data"]["reviews"]
    assert reviews["reviewed_cases"] == len(ids) and reviews["held_back"] == 0
    assert card["training_data"]["by_source"]["review"] == len(ids)
    assert "database" in reviews["sources"]
    assert (models / "registry.json").exists()  # the first model becomes active


def test_the_labelling_session_order_puts_unsure_items_first(client, make_key):
    intake, reviewer = make_key("intake"), make_key("reviewer")
    for text in TEXTS:
        client.post("/api/v1/feedback", headers=intake, json={"text": text})
    by_uncertainty = client.get("/api/v1/queue", headers=reviewer,
                                params={"order": "uncertainty"}).json()["items"]
    values = [i["uncertainty"] for i in by_uncertainty]
    assert len(values) == len(TEXTS) and all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values, reverse=True)
    by_priority = client.get("/api/v1/queue", headers=reviewer).json()["items"]
    assert {i["id"] for i in by_priority} == {i["id"] for i in by_uncertainty}
    r = client.get("/api/v1/queue", headers=reviewer, params={"order": "random"})
    assert r.status_code == 422
