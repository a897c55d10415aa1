"""The reviewer's loop through real HTTP: intake → queue → claim → review → audit trail."""

from __future__ import annotations

from service.db import Database
from service.dedup_store import SqlKeyStore
from triage.textutil import strip_diacritics

CASE = ("Kính gửi Mặt trận Tổ quốc xã Tân Phước. Ông Nguyễn Văn Hùng, Chủ tịch UBND xã Tân Phước, "
        "đã cắt tiền hỗ trợ lũ lụt của 37 hộ, mỗi hộ chỉ nhận 1.200.000 đồng nhưng phải ký "
        "nhận 2.000.000 đồng. Ngày 15/10/2026 tại hội trường ấp Tân Hòa.")
PHONE = ("Tố cáo cán bộ địa chính xã Hòa Bình đòi 10 triệu mới ký hồ sơ đất. Liên hệ tôi "
         "0987 654 321.")


def test_end_to_end_review_loop(client, make_key):
    intake, rev, rev2, sup = (make_key("intake"), make_key("reviewer"), make_key("reviewer"),
                              make_key("supervisor"))
    a = client.post("/api/v1/feedback", headers=intake, json={"text": CASE, "channel": "don_thu"})
    b = client.post("/api/v1/feedback", headers=intake,
                    json={"text": strip_diacritics(CASE), "channel": "duong_day_nong"})
    c = client.post("/api/v1/feedback", headers=intake,
                    json={"text": PHONE, "submitter": {"name": "Trần Thị Mai", "phone": "0987654321"}})
    assert {r.status_code for r in (a, b, c)} == {201}
    a, b, c = a.json(), b.json(), c.json()
    assert b["duplicate_of"] == a["id"] and b["cluster"] == a["cluster"]
    assert "<SĐT>" in c["text"] and "0987" not in c["text"]
    assert c["track"] == "to_cao" and c["due_at"]

    q = client.get("/api/v1/queue", headers=rev).json()
    assert q["total"] == 3
    prios = [i["priority"] for i in q["items"]]
    assert prios == sorted(prios, reverse=True)
    assert client.get(f"/api/v1/queue?cluster={a['cluster']}", headers=rev).json()["total"] == 2

    claimed = client.post(f"/api/v1/feedback/{a['id']}/claim", headers=rev)
    assert claimed.status_code == 200 and claimed.json()["status"] == "in_review"
    other = client.post(f"/api/v1/feedback/{a['id']}/claim", headers=rev2)
    assert other.status_code == 409 and other.json()["code"] == "conflict"

    version = claimed.json()["version"]
    bad = client.post(f"/api/v1/feedback/{a['id']}/review", headers=rev,
                      json={"version": version, "codes": ["TN01", "XX99"]})
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_category"
    stale = client.post(f"/api/v1/feedback/{a['id']}/review", headers=rev,
                        json={"version": version - 1, "codes": ["TN01", "DD07"]})
    assert stale.status_code == 409
    done = client.post(f"/api/v1/feedback/{a['id']}/review", headers=rev,
                       json={"version": version, "codes": ["TN01", "DD07"], "track": "to_cao",
                             "action": "forward", "forwarded_to": "Thanh tra tỉnh"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "forwarded" and done.json()["final_codes"] == ["TN01", "DD07"]
    again = client.post(f"/api/v1/feedback/{a['id']}/review", headers=rev,
                        json={"version": done.json()["version"], "codes": ["TN01"]})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    assert client.post(f"/api/v1/feedback/{c['id']}/identity", headers=rev,
                       json={"reason": "xác minh nội dung tố cáo"}).status_code == 403
    short = client.post(f"/api/v1/feedback/{c['id']}/identity", headers=sup, json={"reason": "x"})
    assert short.status_code == 422
    shown = client.post(f"/api/v1/feedback/{c['id']}/identity", headers=sup,
                        json={"reason": "Thanh tra tỉnh đề nghị xác minh người tố cáo"})
    assert shown.status_code == 200 and shown.json()["submitter"]["name"] == "Trần Thị Mai"

    trail = client.get(f"/api/v1/audit?feedback_id={a['id']}", headers=sup).json()
    assert [e["action"] for e in reversed(trail)] == ["intake", "suggestion", "claim", "review"]
    reveal = client.get(f"/api/v1/audit?feedback_id={c['id']}", headers=sup).json()[0]
    assert reveal["action"] == "identity_reveal" and "Mai" not in str(reveal)
    assert client.get("/api/v1/audit", headers=rev).status_code == 403


def test_lease_release_lets_another_reviewer_claim(client, make_key):
    item = client.post("/api/v1/feedback", headers=make_key("intake"), json={"text": CASE}).json()
    r1, r2 = make_key("reviewer"), make_key("reviewer")
    assert client.post(f"/api/v1/feedback/{item['id']}/claim", headers=r1).status_code == 200
    assert client.delete(f"/api/v1/feedback/{item['id']}/claim", headers=r2).status_code == 409
    assert client.delete(f"/api/v1/feedback/{item['id']}/claim", headers=r1).status_code == 204
    assert client.post(f"/api/v1/feedback/{item['id']}/claim", headers=r2).status_code == 200


def test_cluster_view_split_and_merge(client, make_key, settings):
    intake, rev = make_key("intake"), make_key("reviewer")
    a = client.post("/api/v1/feedback", headers=intake, json={"text": CASE, "channel": "don_thu"}).json()
    b = client.post("/api/v1/feedback", headers=intake,
                    json={"text": strip_diacritics(CASE), "channel": "email"}).json()
    cluster = client.get(f"/api/v1/clusters/{a['cluster']}", headers=rev).json()
    assert cluster["size"] == 2 and cluster["channels"] == ["don_thu", "email"]
    v = client.post(f"/api/v1/feedback/{b['id']}/claim", headers=rev).json()["version"]
    split = client.post(f"/api/v1/feedback/{b['id']}/review", headers=rev,
                        json={"version": v, "codes": ["TN01", "DD07"], "duplicate": "reject"}).json()
    assert split["cluster"] != a["cluster"] and split["duplicate_of"] is None
    assert client.get(f"/api/v1/clusters/{a['cluster']}", headers=rev).json()["size"] == 1
    # the duplicate index follows the split: a later duplicate of b joins b's new cluster
    db = Database(settings.database_url)
    with db.read() as s:
        assert SqlKeyStore(s).cluster_of(b["id"]) == split["cluster"]
    db.dispose()
    v = client.post(f"/api/v1/feedback/{b['id']}/claim", headers=rev).json()["version"]
    merged = client.post(f"/api/v1/feedback/{b['id']}/review", headers=rev,
                         json={"version": v, "codes": ["TN01", "DD07"], "merge_into": a["cluster"]})
    assert merged.status_code == 200 and merged.json()["cluster"] == a["cluster"]
    assert client.get(f"/api/v1/clusters/{a['cluster']}", headers=rev).json()["size"] == 2
