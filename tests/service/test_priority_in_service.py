"""Priority in the service: distinct reporters of one case (the same person writing twice
counts once) and the time left to the legal deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from triage.textutil import strip_diacritics

CASE = ("Ông Nguyễn Văn Tâm, chủ tịch UBND xã Hòa Phú, nhận của công ty Minh Phát 200 triệu "
        "đồng để cho san lấp ruộng lúa trái phép ở thôn Đông, dân đã có ảnh chụp và clip.")


def _reporter_reasons(body: dict) -> list[str]:
    return [r for r in body["priority"]["reasons"] if "người phản ánh" in r]


def test_the_same_person_twice_is_one_reporter(client, make_key):
    key = make_key("intake")
    first = client.post("/api/v1/feedback", headers=key, json={
        "text": CASE, "submitter": {"name": "Lê Thị Hoa", "phone": "0912 345 678"}}).json()
    again = client.post("/api/v1/feedback", headers=key, json={
        "text": strip_diacritics(CASE), "channel": "email",
        "submitter": {"name": "Le Thi Hoa", "phone": "+84912345678"}}).json()
    other = client.post("/api/v1/feedback", headers=key, json={
        "text": CASE.replace("dân đã có", "bà con chúng tôi có"), "channel": "duong_day_nong",
        "submitter": {"name": "Phạm Văn Long", "phone": "0987 654 321"}}).json()
    anonymous = client.post("/api/v1/feedback", headers=key, json={
        "text": CASE, "channel": "hom_thu"}).json()
    assert again["cluster"] == first["cluster"] == other["cluster"] == anonymous["cluster"]
    assert _reporter_reasons(first) == [] and _reporter_reasons(again) == []
    assert _reporter_reasons(other) == ["2 người phản ánh cùng vụ việc"]
    assert _reporter_reasons(anonymous) == ["3 người phản ánh cùng vụ việc"]
    assert "Hoa" not in str(anonymous) and "0912" not in str(other)


def test_an_overdue_item_ranks_above_the_same_item_received_today(client, make_key):
    text = ("Cán bộ một cửa phường Tân Định thái độ hách dịch, quát nạt người già đến làm "
            "thủ tục, bắt đi lại nhiều lần mới nhận hồ sơ.")
    key = make_key("intake")
    today = client.post("/api/v1/feedback", headers=key, json={"text": text}).json()
    old = (datetime.now(UTC) - timedelta(days=120)).isoformat()
    late = client.post("/api/v1/feedback", headers=key,
                       json={"text": text + " Đã phản ánh từ lâu.", "received_at": old}).json()
    assert any("quá hạn" in r for r in late["priority"]["reasons"]), late["priority"]
    assert not any("hạn" in r for r in today["priority"]["reasons"]), today["priority"]
    assert late["priority"]["score"] > today["priority"]["score"] or late["priority"]["score"] == 5
