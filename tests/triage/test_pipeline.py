import json
import subprocess
import sys

import pytest

from triage.textutil import strip_diacritics

CORRUPTION = ("Kính gửi Mặt trận Tổ quốc xã. Ông Trần Văn Bình, cán bộ địa chính xã, đòi tôi "
              "đưa 15 triệu đồng thì mới ký hồ sơ cấp sổ đỏ cho gia đình tôi.")


def test_result_contract(triager, taxonomy):
    res = triager.triage(CORRUPTION, item_id="a1").to_contract()
    assert set(res) >= {"id", "labels", "suggested", "out_of_scope", "priority", "priority_level",
                        "reasons", "duplicate_of", "cluster", "redacted_text"}
    assert [l["code"] for l in res["labels"]].count("TN02") == 1
    assert len(res["labels"]) == len(taxonomy.codes)
    scores = [l["score"] for l in res["labels"]]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert res["suggested"], "an in-scope item always has a suggestion"
    assert 1.0 <= res["priority"] <= 5.0 and res["reasons"]


def test_corruption_text_is_suggested_as_corruption_with_dd07(triager, taxonomy):
    res = triager.triage(CORRUPTION)
    assert taxonomy.group_of(res.labels[0][0]) == "TN"
    assert "DD07" in res.suggested
    assert res.explanations[res.suggested[0]], "each learned suggestion is explained"


def test_same_group_with_and_without_diacritics(triager, taxonomy):
    a = triager.triage(CORRUPTION)
    b = triager.triage(strip_diacritics(CORRUPTION))
    assert taxonomy.group_of(a.labels[0][0]) == taxonomy.group_of(b.labels[0][0])


def test_dv_only_with_party_membership(triager, taxonomy):
    member = triager.triage("Đảng viên, Bí thư chi bộ thôn 4 ông Lê Văn Tám nhận hối lộ 50 triệu "
                            "của doanh nghiệp để cho thuê đất công.")
    nonmember = triager.triage("Ông Lê Văn Tám nhận hối lộ 50 triệu của doanh nghiệp để cho "
                               "thuê đất công.")
    assert not any(taxonomy.group_of(c) == "DV" for c in nonmember.suggested)
    assert member.party_member and not nonmember.party_member


def test_personal_data_never_reaches_the_output(triager):
    res = triager.triage("Tôi là Hoa, sđt 0987 654 321, email hoa.le@yahoo.com. " + CORRUPTION)
    assert "0987" not in res.redacted_text and "hoa.le" not in res.redacted_text
    assert "<SĐT>" in res.redacted_text and "<EMAIL>" in res.redacted_text


@pytest.mark.parametrize("text", ["", "   ", "!!!", "😡😡😡"])
def test_empty_or_symbol_only_is_out_of_scope(triager, text):
    res = triager.triage(text)
    assert res.out_of_scope and res.suggested and res.suggested[0].startswith("OUT")


def test_fifty_thousand_characters(triager):
    res = triager.triage((CORRUPTION + " ") * 300)
    assert res.suggested and len(res.redacted_text) > 40_000


def _run_predict(models_dir, tmp_path, lines, *extra):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "triage.cli", "predict", str(src), "-o", str(out),
                           "--models-dir", str(models_dir), *extra], capture_output=True, text=True)
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return proc, rows


def test_predict_cli_keeps_order_and_links_a_resubmission(models_dir, tmp_path):
    lines = [json.dumps({"id": "x1", "text": CORRUPTION}, ensure_ascii=False),
             json.dumps({"id": "x2", "text": "Cho hỏi làm căn cước công dân ở đâu ạ?"},
                        ensure_ascii=False),
             json.dumps({"id": "x3", "text": strip_diacritics(CORRUPTION), "channel": "email"})]
    proc, rows = _run_predict(models_dir, tmp_path, lines)
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in rows] == ["x1", "x2", "x3"]
    assert rows[2]["duplicate_of"] == "x1" and rows[2]["cluster"] == rows[0]["cluster"]
    assert rows[1]["duplicate_of"] is None


def test_predict_cli_malformed_line_stops_with_line_number(models_dir, tmp_path):
    lines = [json.dumps({"id": "ok", "text": CORRUPTION}, ensure_ascii=False), "{not json",
             json.dumps({"id": "no-text"})]
    proc, rows = _run_predict(models_dir, tmp_path, lines)
    assert proc.returncode == 1 and "line 2" in proc.stderr


def test_predict_cli_skip_errors_reports_each_skipped_line(models_dir, tmp_path):
    lines = [json.dumps({"id": "ok", "text": CORRUPTION}, ensure_ascii=False), "{not json",
             json.dumps({"id": "no-text"}), json.dumps({"id": "ok2", "text": "alo test"})]
    proc, rows = _run_predict(models_dir, tmp_path, lines, "--skip-errors")
    assert proc.returncode == 0
    assert [r["id"] for r in rows] == ["ok", "ok2"]
    assert "line 2" in proc.stderr and "line 3" in proc.stderr and "2 lines skipped" in proc.stderr


def test_priority_rises_as_the_deadline_nears(taxonomy):
    from triage.priority import score_priority

    def score(days_left):
        return score_priority(suggested=[("TT04", 0.4)], taxonomy=taxonomy, out_of_scope=False,
                              text="Cán bộ xã gây phiền hà khi làm thủ tục", days_left=days_left)

    far, soon, today, late = score(15), score(2), score(0), score(-4)
    assert far.score < soon.score < today.score <= late.score
    assert not any("hạn" in r for r in far.reasons)
    assert any("quá hạn xử lý 4 ngày" in r for r in late.reasons)


def test_working_days_left_skips_weekends_and_holidays():
    from datetime import date

    from triage.deadlines import working_days_left

    tet = {date(2026, 2, d) for d in range(16, 21)}
    assert working_days_left(date(2026, 2, 13), date(2026, 2, 23), tet) == 1   # Fri -> Mon
    assert working_days_left(date(2026, 2, 23), date(2026, 2, 23), tet) == 0
    assert working_days_left(date(2026, 2, 24), date(2026, 2, 23), tet) == -1
    assert working_days_left(date(2026, 3, 2), date(2026, 2, 23), tet) == -5
