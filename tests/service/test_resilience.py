"""Nothing accepted is lost: without a usable model the item is stored untriaged, then
processed once a model is there."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.app import create_app
from service.db import Database
from service.flows import triage_pending
from service.settings import Settings
from triage.pipeline import Triager


def test_item_survives_a_missing_model_and_is_triaged_later(settings, make_key, tmp_path,
                                                             models_dir, taxonomy):
    broken = Settings(database_url=settings.database_url, models_dir=tmp_path / "no-models",
                      identity_key_file=settings.identity_key_file)
    with TestClient(create_app(broken)) as c:
        assert c.get("/readyz").status_code == 503
        r = c.post("/api/v1/feedback", headers=make_key("intake"),
                   json={"text": "Chủ tịch xã ăn chặn tiền hỗ trợ lũ lụt của 20 hộ dân."})
        assert r.status_code == 201 and r.json()["status"] == "untriaged"
        item_id = r.json()["id"]
    db = Database(settings.database_url)
    assert triage_pending(db, Triager.from_models_dir(models_dir, taxonomy=taxonomy)) == 1
    db.dispose()
    with TestClient(create_app(settings)) as c:
        body = c.get(f"/api/v1/feedback/{item_id}", headers=make_key("reviewer")).json()
    assert body["status"] == "new" and body["suggested"]
