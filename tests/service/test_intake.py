"""Intake through real HTTP (the ASGI app) on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine, select, text

from service.models import AuditEvent, Feedback, SubmitterIdentity

PETITION = ("Kính gửi Mặt trận Tổ quốc phường. Ông Trần Văn Bình, cán bộ địa chính phường, đòi "
            "tôi đưa 15 triệu đồng thì mới ký hồ sơ cấp sổ đỏ. Số điện thoại của tôi 0912 345 678.")


def test_health_and_readiness_need_no_key(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_intake_stores_triages_and_redacts(client, make_key, settings):
    r = client.post("/api/v1/feedback", headers=make_key("intake"),
                    json={"text": PETITION, "channel": "duong_day_nong",
                          "submitter": {"name": "Lê Thị Hoa", "phone": "0912345678"}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "new" and body["tracking_code"].startswith("PA-")
    assert body["suggested"] and body["priority"]["reasons"]
    assert "0912" not in body["text"] and "<SĐT>" in body["text"]
    assert body["anonymous"] is False and "Hoa" not in r.text
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        raw = conn.execute(select(Feedback.text_raw)).scalar_one()
        cipher = conn.execute(select(SubmitterIdentity.ciphertext)).scalar_one()
        actions = [a for (a,) in conn.execute(select(AuditEvent.action).where(
            AuditEvent.feedback_id.is_not(None)).order_by(AuditEvent.id))]
        key_uses = conn.execute(select(AuditEvent.actor).where(
            AuditEvent.action == "key_use")).scalars().all()
    engine.dispose()
    assert raw == PETITION                      # the original is kept for the record
    assert b"Hoa" not in cipher and b"0912" not in cipher   # identity encrypted at rest
    assert actions == ["intake", "suggestion"]
    assert len(key_uses) == 1 and key_uses[0].startswith("key:")   # the key's use is audited


def test_resubmission_without_accents_is_linked(client, make_key):
    from triage.textutil import strip_diacritics

    key = make_key("intake")
    first = client.post("/api/v1/feedback", headers=key, json={"text": PETITION}).json()
    second = client.post("/api/v1/feedback", headers=key,
                         json={"text": strip_diacritics(PETITION), "channel": "email"}).json()
    assert second["duplicate_of"] == first["id"] and second["cluster"] == first["cluster"]


def test_idempotency_key_never_makes_a_second_item(client, make_key, settings):
    key = {**make_key("intake"), "Idempotency-Key": "retry-1"}
    a = client.post("/api/v1/feedback", headers=key, json={"text": PETITION})
    b = client.post("/api/v1/feedback", headers=key, json={"text": PETITION})
    assert a.status_code == 201 and b.status_code == 200 and a.json()["id"] == b.json()["id"]
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM feedback")).scalar_one() == 1
    engine.dispose()


def test_read_back_needs_a_reading_role(client, make_key):
    created = client.post("/api/v1/feedback", headers=make_key("intake"),
                          json={"text": PETITION}).json()
    assert client.get(f"/api/v1/feedback/{created['id']}", headers=make_key("intake")).status_code == 403
    r = client.get(f"/api/v1/feedback/{created['id']}", headers=make_key("reviewer"))
    assert r.status_code == 200 and r.json()["id"] == created["id"]


def test_intake_answer_is_what_the_database_holds(client, make_key):
    """The 201 body is built from what intake wrote, without reading it back: it must be
    exactly what a later read returns."""
    created = client.post("/api/v1/feedback", headers=make_key("intake"), json={
        "text": PETITION, "channel": "hom_thu", "locality": "00070",
        "received_at": "2026-11-30T08:15:00+07:00", "submitter": {"phone": "0912345678"}})
    assert created.status_code == 201, created.text
    read = client.get(f"/api/v1/feedback/{created.json()['id']}", headers=make_key("reviewer"))
    assert read.status_code == 200
    assert created.json() == read.json()


def test_symbols_only_are_triaged_not_left_behind(client, make_key):
    """Nothing to index (no words): still triaged (out of scope), not left untriaged."""
    for noise in ("👍👍", "?????"):
        r = client.post("/api/v1/feedback", headers=make_key("intake"), json={"text": noise})
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "new" and r.json()["out_of_scope"] is True, r.json()
