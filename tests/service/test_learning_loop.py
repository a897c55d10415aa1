"""The learning loop through the API (issue #5): a model that has never seen a kind of case
gets it wrong; reviewers correct such cases; the export feeds a retrain; the promotion gate
lets the better candidate in; every request keeps being answered while the service
switches; the same kind of case in new wording now gets the right code."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.migrate import migrate
from service.settings import Settings
from triage.cli import main as triage_main

KIND = "LP02"  # lavish spending on receptions, festivals and conferences
# What reviewers will correct (the model never saw the code): many writers, many channels.
CORRECTED = [
    "Đề nghị làm rõ việc UBND xã Tân Hòa chi hơn 300 triệu đồng tổ chức lễ hội hoa xuân kéo dài 5 ngày, thuê ca sĩ từ thành phố về hát trong khi đường vào trường học còn lầy lội.",
    "Phường tổ chức liên hoan tổng kết cuối năm ở nhà hàng sang trọng, 40 mâm cỗ, rượu ngoại, tiền lấy từ ngân sách phường. Dân chúng tôi thấy quá lãng phí.",
    "xa minh to chuc hoi nghi so ket 6 thang ma thue ca resort 3 ngay 2 dem, an uong linh dinh, tien ngan sach chu dau phai tien tui ho",
    "Huyện đoàn đi tham quan học tập kinh nghiệm ở Phú Quốc nhưng thực chất là đi du lịch, cả đoàn 25 người, chi phí hàng trăm triệu.",
    "Tôi phản ánh: lễ khánh thành cây cầu nhỏ ở thôn 4 mà tổ chức rình rang, dựng sân khấu, bắn pháo giấy, thuê MC, tốn gấp mấy lần cái cầu.",
    "Cuộc họp giao ban của sở mà lần nào cũng đặt tiệc ở khách sạn 5 sao, hoa tươi, quà tặng cho từng đại biểu, tiền đâu mà tiêu hoang vậy?",
    "Hotline ghi nhận: người gọi cho biết xã tổ chức tiếp khách đoàn kiểm tra huyện liên tục, tuần nào cũng nhậu ở quán đặc sản, hóa đơn do kế toán xã thanh toán.",
    "Ý kiến cử tri: đề nghị cắt giảm các lễ kỷ niệm, hội nghị hoành tráng, tốn kém; năm nay xã tổ chức kỷ niệm ngày thành lập mà chi gần nửa tỷ.",
    "ub xa tổ chức đại hội thể dục thể thao mà in băng rôn, áo đồng phục, tiệc chiêu đãi hoành tráng ko cần thiết, dân nghèo thì ko ai lo",
    "Trường tiểu học tổ chức lễ kỷ niệm 20 năm thành lập, vận động phụ huynh đóng góp, mời ca sĩ về biểu diễn, chi tiêu quá mức, phụ huynh rất bức xúc.",
    "Báo địa phương đưa tin: Ban quản lý khu du lịch chi tiền tỷ cho đêm khai mạc lễ hội pháo hoa trong khi nhiều hạng mục phục vụ dân còn dang dở.",
    "Đoàn công tác của huyện đi nước ngoài 10 ngày với danh nghĩa khảo sát mô hình nông nghiệp, nhưng lịch trình toàn tham quan mua sắm, tiền ngân sách chi trả.",
    "Cơ quan tôi mỗi dịp lễ tết đều tổ chức tiệc tùng, mua quà biếu cấp trên bằng tiền quỹ cơ quan, tôi thấy cần chấn chỉnh, liên hệ 0912 345 678.",
    "xa to chuc le don bang cong nhan nong thon moi, dung rap, thue nhac, dai tiec 60 mam cho khach, trong khi tieu chi nong thon moi con chua dat het",
    "Thị trấn tổ chức hội thi ẩm thực mà chi phí thuê sân khấu, âm thanh, ánh sáng hết mấy trăm triệu, chủ yếu phục vụ lãnh đạo và khách mời ăn uống.",
    "Sở tổ chức hội nghị khách hàng ở khu nghỉ dưỡng cao cấp, mời cả người nhà cán bộ đi cùng, chi phí quyết toán vào kinh phí hoạt động thường xuyên.",
]
# The same kind of case, written afresh after the retrain.
NEW_WORDING = [
    "Phản ánh việc xã chi tiền ngân sách để tổ chức tiệc mừng công sau đợt thi đua, hơn 50 mâm, có cả bia rượu, karaoke cho cán bộ.",
    "huyen to chuc le hoi van hoa du lich ton kem qua, thue nghe si, phao hoa, san khau hoanh trang ma dan van thieu nuoc sach",
    "Đề nghị kiểm tra khoản chi tiếp khách của UBND phường quý III: nhiều bữa ăn ở nhà hàng hải sản, có bữa hơn 20 triệu đồng.",
    "Công ty nhà nước tổ chức cho cán bộ đi nghỉ mát kết hợp hội nghị tại khu resort, chi phí đoàn vượt xa định mức cho phép.",
]


def _write_jsonl(path, rows) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def _run(capsys, *argv: str) -> tuple[int, str]:
    """Run a `triage` command in-process: (exit code, last line of stdout)."""
    rc = triage_main(list(argv))
    captured = capsys.readouterr()
    out = captured.out.strip().splitlines()
    if rc != 0:
        print(captured.err)  # shown by pytest when the test fails
    return rc, out[-1] if out else ""


@pytest.fixture
def loop_env(tmp_path, database_url, small_seed):
    """A models dir whose active model never saw the kind, and the seed file it came from."""
    seed = [ex for ex in small_seed if KIND not in ex.labels]
    seed_file = tmp_path / "seed.jsonl"
    _write_jsonl(seed_file, [{"id": ex.id, "text": ex.text, "labels": list(ex.labels),
                              "primary": ex.primary} for ex in seed])
    migrate(database_url)
    return tmp_path / "models", seed_file


def test_reviews_retrain_promote_and_every_request_is_answered(loop_env, database_url, make_key,
                                                                tmp_path, capsys):
    models_dir, seed_file = loop_env
    rc, base_id = _run(capsys, "train", "--data", str(seed_file), "--models-dir", str(models_dir),
                         "--no-dedup-verifier")
    assert rc == 0
    settings = Settings(database_url=database_url, models_dir=models_dir,
                        identity_key_file=tmp_path / "identity.key", model_poll_seconds=0.2)
    intake, reviewer, supervisor = make_key("intake"), make_key("reviewer"), make_key("supervisor")
    with TestClient(create_app(settings)) as client:
        # Traffic all along: every request must be answered, whatever the loop is doing.
        failures, answered, stop = [], [], threading.Event()

        def traffic():
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    r = client.post("/api/v1/feedback", headers=intake, json={
                        "text": f"Cán bộ thôn {n} thu tiền vệ sinh không có biên lai, đề nghị kiểm tra."})
                    q = client.get("/readyz")
                    (answered if r.status_code == 201 and q.status_code == 200 else failures).append(
                        (r.status_code, q.status_code))
                except Exception as exc:  # noqa: BLE001 - a dropped request is the failure
                    failures.append(repr(exc))
                time.sleep(0.05)

        worker = threading.Thread(target=traffic, daemon=True)
        worker.start()
        try:
            before = [client.post("/api/v1/feedback", headers=intake, json={"text": t}).json()
                      for t in NEW_WORDING]
            assert all(KIND not in item["suggested"] for item in before)  # it gets them wrong
            ids = []
            for text in CORRECTED:
                r = client.post("/api/v1/feedback", headers=intake,
                                json={"text": text, "channel": "don_thu"})
                assert r.status_code == 201
                assert KIND not in r.json()["suggested"]
                ids.append(r.json()["id"])
            for fid in ids:
                item = client.post(f"/api/v1/feedback/{fid}/claim", headers=reviewer).json()
                r = client.post(f"/api/v1/feedback/{fid}/review", headers=reviewer, json={
                    "version": item["version"], "codes": [KIND, "DD06"], "action": "none"})
                assert r.status_code == 200, r.text

            # The export: reviewed cases only, redacted, in the labelled-example format.
            r = client.get("/api/v1/labels/export", headers=supervisor)
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("application/x-ndjson")
            exported = [json.loads(line) for line in r.text.splitlines()]
            assert {e["id"] for e in exported} == {f"review-{i}" for i in ids}
            assert all(e["labels"] == [KIND, "DD06"] and e["source"] == "review" for e in exported)
            assert all(e["model_id"] == base_id for e in exported)
            assert "0912 345 678" not in r.text and "<SĐT>" in r.text

            # Reviewers removed what the old model said and added the kind, every time.
            stats = client.get(f"/api/v1/models/{base_id}/stats", headers=supervisor).json()
            assert stats["reviewed_items"] == len(CORRECTED)
            assert stats["per_code"][KIND]["added_by_reviewer"] == len(CORRECTED)
            assert stats["acceptance_rate"] is not None and stats["acceptance_rate"] < 0.5
            assert sum(b["n"] for b in stats["calibration"]["bins"]) == stats["calibration"]["scored"] > 0

            reviews = tmp_path / "reviews.jsonl"
            reviews.write_text(r.text, encoding="utf-8")
            rc, cand_id = _run(capsys, "train", "--data", str(seed_file), "--reviews", str(reviews),
                               "--no-dedup-verifier",
                               "--models-dir", str(models_dir))
            assert rc == 0 and cand_id != base_id
            card = json.loads((models_dir / cand_id / "meta.json").read_text(encoding="utf-8"))
            assert card["training_data"]["reviews"]["reviewed_cases"] == len(CORRECTED)
            held = card["training_data"]["reviews"]["held_back"]
            assert 0 < held < len(CORRECTED)
            assert card["training_data"]["by_source"]["review"] == len(CORRECTED) - held
            # Not active until promoted: the service still serves the base model.
            assert client.get("/api/v1/model", headers=reviewer).json()["id"] == base_id

            rc, promoted = _run(capsys, "promote", cand_id, "--models-dir", str(models_dir),
                                "--db", database_url)
            assert rc == 0 and promoted == cand_id
            deadline = time.monotonic() + 90  # a poll, then loading and verifying aside
            while client.get("/api/v1/model", headers=reviewer).json()["id"] != cand_id:
                assert time.monotonic() < deadline, "the service did not switch to the new model"
                time.sleep(0.1)

            after = [client.post("/api/v1/feedback", headers=intake, json={"text": t}).json()
                     for t in NEW_WORDING]
        finally:
            stop.set()
            worker.join(timeout=10)
        assert sum(KIND in item["suggested"] for item in after) >= len(NEW_WORDING) - 1, \
            [item["suggested"] for item in after]
        assert all(KIND in [x["code"] for x in item["labels"][:5]] for item in after), \
            [[x["code"] for x in item["labels"][:5]] for item in after]
        assert all(item["model_id"] == cand_id for item in after)
        assert not failures, failures[:5]  # (status of the post, status of /readyz) or error
        assert len(answered) > 10
        audit = client.get("/api/v1/audit", headers=supervisor, params={"limit": 1000}).json()
        promo = [e for e in audit if e["action"] == "model_promote"]
        assert promo and promo[0]["detail"]["model"] == cand_id
        assert promo[0]["detail"]["previous"] == base_id
